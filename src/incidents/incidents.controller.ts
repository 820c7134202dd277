import { Body, Controller, Get, HttpCode, Param, Post, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsISO8601, IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { uuidParam } from '../common/uuid.pipe';
import { RequireRole } from '../staff/roles';
import { StaffGuard, StaffRequest } from '../staff/staff.guard';
import { IncidentsService } from './incidents.service';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

export class DeclareIncidentDto {
  @ApiProperty({ example: 'united-internet' }) @Matches(/^[a-z0-9][a-z0-9.-]{0,63}$/) family: string;
  @ApiProperty({ example: 'GMX und Web.de lehnen seit 10:42 ab; Relay-Queue wächst' })
  @Transform(trim)
  @IsString()
  @MinLength(3)
  @MaxLength(1000)
  reason: string;
}

export class ExtendHoldsDto {
  @ApiProperty({ example: '2026-12-03T18:00:00+01:00' }) @IsISO8601({ strict: true }) until: string;
  @ApiProperty() @Transform(trim) @IsString() @MinLength(3) @MaxLength(1000) reason: string;
  @ApiPropertyOptional({ default: true, description: 'Only count; send false to apply' })
  @IsOptional()
  @IsBoolean()
  dryRun?: boolean;
}

export class EndIncidentDto {
  @ApiProperty() @Transform(trim) @IsString() @MinLength(3) @MaxLength(1000) reason: string;
}

const actor = (req: StaffRequest) => ({ id: req.staff!.id, label: req.staff!.email });

@ApiTags('incidents')
@ApiBearerAuth()
@Controller('api/v1/incidents')
@UseGuards(StaffGuard)
export class IncidentsController {
  constructor(private readonly incidents: IncidentsService) {}

  @Get()
  @RequireRole('clerk')
  @ApiOperation({ summary: 'Provider incidents, newest first' })
  list() {
    return this.incidents.list();
  }

  @Post()
  @RequireRole('supervisor')
  @ApiOperation({
    summary:
      'Declare an incident: the family is paused; its relay-accepted, unconfirmed mail counts as undelivered, so holds extend',
  })
  declare(@Body() dto: DeclareIncidentDto, @Req() req: StaffRequest) {
    return this.incidents.declare(dto.family, dto.reason, actor(req));
  }

  @Post(':id/extend-holds')
  @HttpCode(200)
  @RequireRole('supervisor')
  @ApiOperation({ summary: 'Goodwill for all pending bookings of the family (dryRun: count only, the default)' })
  extend(@Param('id', uuidParam()) id: string, @Body() dto: ExtendHoldsDto, @Req() req: StaffRequest) {
    return this.incidents.extendHolds(id, dto.until, dto.reason, dto.dryRun ?? true, actor(req));
  }

  @Post(':id/end')
  @HttpCode(200)
  @RequireRole('supervisor')
  @ApiOperation({
    summary: 'End the incident: the family resumes; held mail goes out with an apology; holds restart from delivery',
  })
  end(@Param('id', uuidParam()) id: string, @Body() dto: EndIncidentDto, @Req() req: StaffRequest) {
    return this.incidents.end(id, dto.reason, actor(req));
  }
}
