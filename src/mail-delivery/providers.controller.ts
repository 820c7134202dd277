import { CircuitViewDto, ProviderViewDto, RelayStatusDto } from './providers.responses';
import { Body, Controller, Get, HttpCode, Param, Post, Req, UseGuards } from '@nestjs/common';

import { ApiBearerAuth, ApiForbiddenResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { RequireRole } from '../staff/roles';

import { StaffGuard, StaffRequest } from '../staff/staff.guard';

import { ProvidersService } from './providers.service';

import { ProviderActionDto } from './providers.dto';

@ApiTags('mail')
@ApiBearerAuth()
@Controller('api/v1/mail/providers')
@UseGuards(StaffGuard)
export class ProvidersController {
  constructor(private readonly providers: ProvidersService) {}

  @Get()
  @RequireRole('clerk')
  @ApiOperation({
    summary:
      "Per provider family: circuit state and since when, waiting mail and the oldest one's age, reply categories in the last hour and day, the last reply",
  })
  @ApiOkResponse({ type: [ProviderViewDto] })
  list() {
    return this.providers.list();
  }

  @Post(':family/pause')
  @HttpCode(200)
  @RequireRole('supervisor')
  @ApiOperation({ summary: 'Stop sending to a provider family until resumed (audited)' })
  @ApiForbiddenResponse({ description: 'FORBIDDEN for clerks' })
  @ApiOkResponse({ type: CircuitViewDto, description: 'The family’s circuit after the pause' })
  pause(@Param('family') family: string, @Body() dto: ProviderActionDto, @Req() req: StaffRequest) {
    return this.providers.pause(family, dto.reason, { id: req.staff!.id, label: req.staff!.email });
  }

  @Post(':family/resume')
  @HttpCode(200)
  @RequireRole('supervisor')
  @ApiOperation({ summary: 'Send to the family again; held mail goes out (audited)' })
  @ApiOkResponse({ type: CircuitViewDto, description: 'The family’s circuit after the resume' })
  resume(@Param('family') family: string, @Body() dto: ProviderActionDto, @Req() req: StaffRequest) {
    return this.providers.resume(family, dto.reason, { id: req.staff!.id, label: req.staff!.email });
  }
}

@ApiTags('mail')
@ApiBearerAuth()
@Controller('api/v1/mail/relay')
@UseGuards(StaffGuard)
export class RelayController {
  constructor(private readonly providers: ProvidersService) {}

  @Get()
  @RequireRole('clerk')
  @ApiOperation({
    summary:
      'Our relay: whether it announces DSN and sends reports, the transit rule (RELAY_TRANSIT_MINUTES), mail in transit, the rolling counts and the warnings',
  })
  @ApiOkResponse({ type: RelayStatusDto })
  status() {
    return this.providers.relayStatus();
  }
}
