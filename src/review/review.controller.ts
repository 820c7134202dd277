import { Body, Controller, Get, HttpCode, Param, Post, Query, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsISO8601,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
} from 'class-validator';
import { uuidParam } from '../common/uuid.pipe';
import { RequireRole } from '../staff/roles';
import { StaffGuard, StaffRequest } from '../staff/staff.guard';
import { ReviewService } from './review.service';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

export class ReviewQueryDto {
  @ApiPropertyOptional({
    enum: ['mail_undelivered', 'held_for_mail'],
    description:
      'mail_undelivered: expired because the mail never arrived; held_for_mail: pending, mail not yet arrived. Default: both.',
  })
  @IsOptional()
  @IsIn(['mail_undelivered', 'held_for_mail'])
  reason?: 'mail_undelivered' | 'held_for_mail';
  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUUID() locationId?: string;
  @ApiPropertyOptional({ example: '2026-12-01', description: "The appointment's day in the office's zone" })
  @IsOptional()
  @Matches(/^\d{4}-\d{2}-\d{2}$/)
  @IsISO8601({ strict: true })
  day?: string;
  @ApiPropertyOptional({ example: 'united-internet' }) @IsOptional() @Matches(/^[a-z0-9][a-z0-9.-]{0,63}$/) family?: string;
  @ApiPropertyOptional({ description: 'Also closed reviews' })
  @IsOptional()
  @Transform(({ value }) => value === 'true' || value === true)
  @IsBoolean()
  includeClosed?: boolean;
  @ApiPropertyOptional({ default: 50 }) @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(200) limit?: number;
  @ApiPropertyOptional({ default: 0 }) @IsOptional() @Type(() => Number) @IsInt() @Min(0) @Max(1_000_000) offset?: number;
}

export class ReasonDto {
  @ApiProperty({ example: 'Bürgerin hat angerufen und die Buchungsnummer genannt' })
  @Transform(trim)
  @IsString()
  @MinLength(3)
  @MaxLength(1000)
  reason: string;
}

export class ExtendDto extends ReasonDto {
  @ApiProperty({ example: '2026-12-01T16:00:00+01:00' }) @IsISO8601({ strict: true }) until: string;
}

export class ReinstateDto extends ReasonDto {
  @ApiPropertyOptional({ format: 'uuid', description: "Another slot; default: the booking's own" })
  @IsOptional()
  @IsUUID()
  slotId?: string;
}

@ApiTags('review')
@ApiBearerAuth()
@Controller('api/v1/review/bookings')
@UseGuards(StaffGuard)
@RequireRole('clerk')
export class ReviewController {
  constructor(private readonly review: ReviewService) {}

  @Get()
  @ApiOperation({ summary: 'The review queue: lapsed because the mail never arrived, or still waiting for it; newest first' })
  list(@Query() q: ReviewQueryDto) {
    return this.review.list({ ...q, limit: q.limit ?? 50, offset: q.offset ?? 0 });
  }

  @Get(':id')
  @ApiOperation({ summary: 'A booking with every delivery attempt and report, and its audit trail' })
  detail(@Param('id', uuidParam()) id: string) {
    return this.review.detail(id);
  }

  @Post(':id/extend')
  @HttpCode(200)
  @ApiOperation({ summary: 'Goodwill extension of a pending booking (never past the slot start minus the cutoff)' })
  extend(@Param('id', uuidParam()) id: string, @Body() dto: ExtendDto, @Req() req: StaffRequest) {
    return this.review.extend(id, dto.until, dto.reason, actor(req));
  }

  @Post(':id/reinstate')
  @HttpCode(200)
  @ApiOperation({
    summary: 'An expired booking back to pending, in its slot or another (409 when full); a new confirmation goes out',
  })
  reinstate(@Param('id', uuidParam()) id: string, @Body() dto: ReinstateDto, @Req() req: StaffRequest) {
    return this.review.reinstate(id, dto.slotId, dto.reason, actor(req));
  }

  @Post(':id/confirm')
  @HttpCode(200)
  @ApiOperation({ summary: 'Confirm by hand, e.g. after the citizen called and read out the reference' })
  confirm(@Param('id', uuidParam()) id: string, @Body() dto: ReasonDto, @Req() req: StaffRequest) {
    return this.review.confirm(id, dto.reason, actor(req));
  }

  @Post(':id/close')
  @HttpCode(200)
  @ApiOperation({ summary: 'No further action; the citizen gets a notice with a link to book again' })
  close(@Param('id', uuidParam()) id: string, @Body() dto: ReasonDto, @Req() req: StaffRequest) {
    return this.review.close(id, dto.reason, actor(req));
  }
}

const actor = (req: StaffRequest) => ({ id: req.staff!.id, label: req.staff!.email });
