import { DeclaredIncidentDto, EndedIncidentDto, HoldExtensionDto, IncidentViewDto } from './incidents.responses';
import { Body, Controller, Get, HttpCode, Param, Post, Req, UseGuards } from '@nestjs/common';

import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { uuidParam } from '../common/uuid.pipe';

import { RequireRole } from '../staff/roles';

import { StaffGuard, StaffRequest } from '../staff/staff.guard';

import { IncidentsService } from './incidents.service';

import { DeclareIncidentDto, ExtendHoldsDto, EndIncidentDto } from './incidents.dto';

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
  @ApiOkResponse({ type: [IncidentViewDto] })
  list() {
    return this.incidents.list();
  }

  @Post()
  @RequireRole('supervisor')
  @ApiOperation({
    summary:
      'Declare an incident: the family is paused; its relay-accepted, unconfirmed mail counts as undelivered, so holds extend',
  })
  @ApiCreatedResponse({ type: DeclaredIncidentDto })
  declare(@Body() dto: DeclareIncidentDto, @Req() req: StaffRequest) {
    return this.incidents.declare(dto.family, dto.reason, actor(req));
  }

  @Post(':id/extend-holds')
  @HttpCode(200)
  @RequireRole('supervisor')
  @ApiOperation({ summary: 'Goodwill for all pending bookings of the family (dryRun: count only, the default)' })
  @ApiOkResponse({ type: HoldExtensionDto })
  extend(@Param('id', uuidParam()) id: string, @Body() dto: ExtendHoldsDto, @Req() req: StaffRequest) {
    return this.incidents.extendHolds(id, dto.until, dto.reason, dto.dryRun ?? true, actor(req));
  }

  @Post(':id/end')
  @HttpCode(200)
  @RequireRole('supervisor')
  @ApiOperation({
    summary: 'End the incident: the family resumes; held mail goes out with an apology; holds restart from delivery',
  })
  @ApiOkResponse({ type: EndedIncidentDto })
  end(@Param('id', uuidParam()) id: string, @Body() dto: EndIncidentDto, @Req() req: StaffRequest) {
    return this.incidents.end(id, dto.reason, actor(req));
  }
}
