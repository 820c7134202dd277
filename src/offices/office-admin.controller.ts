import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Put, Req, UseGuards } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { uuidParam } from '../common/uuid.pipe';
import { RequireRole } from '../staff/roles';
import { StaffGuard, StaffRequest } from '../staff/staff.guard';
import { OfficeAdminService } from './office-admin.service';
import {
  CreateOfficeDto,
  CreateServiceDto,
  HoursResultDto,
  OfferedServiceDto,
  OfficeDetailDto,
  AdminOfficeDto,
  ServiceAdminDto,
  SetHoursDto,
  SetOfferingDto,
  UpdateOfficeDto,
  UpdateServiceDto,
} from './offices.dto';

const actor = (req: StaffRequest) => ({ id: req.staff!.id, label: req.staff!.email });

/** Offices, services, offerings and weekly hours (admin). Every change is audited. */
@ApiTags('offices')
@ApiBearerAuth()
@ApiForbiddenResponse({ description: 'FORBIDDEN: admins only' })
@Controller('api/v1/admin')
@UseGuards(StaffGuard)
@RequireRole('admin')
export class OfficeAdminController {
  constructor(private readonly admin: OfficeAdminService) {}

  @Post('locations')
  @HttpCode(201)
  @ApiOperation({ summary: 'Create an office (name, address, time zone, unit length, contact, notice, holidays, no-show limit)' })
  @ApiCreatedResponse({ type: AdminOfficeDto })
  @ApiConflictResponse({ description: 'LOCATION_NAME_TAKEN' })
  createOffice(@Body() dto: CreateOfficeDto, @Req() req: StaffRequest): Promise<AdminOfficeDto> {
    return this.admin.createOffice(dto, actor(req));
  }

  @Get('locations/:id')
  @ApiOperation({ summary: 'An office with its hours (every version) and how it offers each service' })
  @ApiOkResponse({ type: OfficeDetailDto })
  office(@Param('id', uuidParam()) id: string): Promise<OfficeDetailDto> {
    return this.admin.office(id);
  }

  @Patch('locations/:id')
  @ApiOperation({ summary: 'Change an office’s name, address, contact, notice, holiday region or no-show limit' })
  @ApiOkResponse({ type: AdminOfficeDto })
  @ApiConflictResponse({
    description: 'LOCATION_NAME_TAKEN, UNIT_MINUTES_FIXED, HOURS_HAVE_BOOKINGS (a new holiday region over booked days)',
  })
  updateOffice(
    @Param('id', uuidParam()) id: string,
    @Body() dto: UpdateOfficeDto,
    @Req() req: StaffRequest,
  ): Promise<AdminOfficeDto> {
    return this.admin.updateOffice(id, dto, actor(req));
  }

  @Put('locations/:id/hours')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Set the weekly hours valid from a date, with counters per period. dryRun lists the bookings left without a counter; cancelBookings cancels them with a notice',
  })
  @ApiOkResponse({ type: HoursResultDto })
  @ApiConflictResponse({ description: 'HOURS_HAVE_BOOKINGS: the affected bookings in details' })
  setHours(@Param('id', uuidParam()) id: string, @Body() dto: SetHoursDto, @Req() req: StaffRequest): Promise<HoursResultDto> {
    return this.admin.setHours(id, dto, actor(req));
  }

  @Put('locations/:id/offerings/:serviceId')
  @HttpCode(200)
  @ApiOperation({ summary: 'How an office offers a service: duration there, bookable, at most N per appointment' })
  @ApiOkResponse({ type: OfferedServiceDto })
  setOffering(
    @Param('id', uuidParam()) id: string,
    @Param('serviceId', uuidParam()) serviceId: string,
    @Body() dto: SetOfferingDto,
    @Req() req: StaffRequest,
  ): Promise<OfferedServiceDto> {
    return this.admin.setOffering(id, serviceId, dto, actor(req));
  }

  @Post('services')
  @HttpCode(201)
  @ApiOperation({ summary: 'Create a service (name, default duration, description, what to bring)' })
  @ApiCreatedResponse({ type: ServiceAdminDto })
  @ApiConflictResponse({ description: 'SERVICE_NAME_TAKEN' })
  createService(@Body() dto: CreateServiceDto, @Req() req: StaffRequest) {
    return this.admin.createService(dto, actor(req));
  }

  @Patch('services/:id')
  @ApiOperation({ summary: 'Change a service; active: false takes it off every office' })
  @ApiOkResponse({ type: ServiceAdminDto })
  @ApiConflictResponse({ description: 'SERVICE_HAS_BOOKINGS, SERVICE_NAME_TAKEN' })
  updateService(@Param('id', uuidParam()) id: string, @Body() dto: UpdateServiceDto, @Req() req: StaffRequest) {
    return this.admin.updateService(id, dto, actor(req));
  }

  @Delete('services/:id')
  @ApiOperation({ summary: 'Take a service off (it is deactivated, never deleted: past bookings keep it)' })
  @ApiOkResponse({ type: ServiceAdminDto })
  @ApiConflictResponse({ description: 'SERVICE_HAS_BOOKINGS: bookings of it are still ahead' })
  deleteService(@Param('id', uuidParam()) id: string, @Req() req: StaffRequest) {
    return this.admin.updateService(id, { active: false }, actor(req));
  }
}
