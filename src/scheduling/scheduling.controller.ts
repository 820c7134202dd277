import { Controller, Get, Query } from '@nestjs/common';

import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { SchedulingService } from './scheduling.service';

import { SlotQueryDto, LocationDto, ServiceDto, SlotDto } from './scheduling.dto';

@ApiTags('scheduling')
@Controller('api/v1')
export class SchedulingController {
  constructor(private readonly scheduling: SchedulingService) {}

  @Get('locations')
  @ApiOperation({ summary: 'Offices that take appointments' })
  @ApiOkResponse({ type: [LocationDto] })
  locations() {
    return this.scheduling.listLocations();
  }

  @Get('services')
  @ApiOperation({ summary: 'What can be booked' })
  @ApiOkResponse({ type: [ServiceDto] })
  services() {
    return this.scheduling.listServices();
  }

  @Get('slots')
  @ApiOperation({ summary: "Slots with free capacity, times in the location's zone" })
  @ApiOkResponse({ type: [SlotDto] })
  slots(@Query() query: SlotQueryDto) {
    return this.scheduling.availableSlots(query);
  }
}
