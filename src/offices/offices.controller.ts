import { Body, Controller, Get, HttpCode, Param, Post, Req, Res, UseGuards } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { uuidParam } from '../common/uuid.pipe';
import { RequireRole } from '../staff/roles';
import { StaffGuard, StaffRequest } from '../staff/staff.guard';
import { ClosuresService } from './closures.service';
import { ClosureResultDto, ClosureViewDto, CreateClosureDto } from './offices.dto';

@ApiTags('offices')
@Controller('api/v1')
@UseGuards(StaffGuard)
export class OfficesController {
  constructor(private readonly closures: ClosuresService) {}

  @Post('admin/locations/:id/closures')
  @HttpCode(201)
  @RequireRole('admin')
  @ApiBearerAuth()
  @ApiOperation({
    summary:
      'Close an office for a whole or part day (admin). dryRun lists the bookings it would affect; cancelBookings cancels them with a notice mail; audited',
  })
  @ApiCreatedResponse({ type: ClosureResultDto })
  @ApiOkResponse({ type: ClosureResultDto, description: 'The dry run (nothing written)' })
  @ApiConflictResponse({ description: 'CLOSURE_HAS_BOOKINGS: the affected bookings in details' })
  @ApiForbiddenResponse({ description: 'FORBIDDEN' })
  async close(
    @Param('id', uuidParam()) id: string,
    @Body() dto: CreateClosureDto,
    @Req() req: StaffRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ClosureResultDto> {
    const result = await this.closures.close({ ...dto, locationId: id }, { id: req.staff!.id, label: req.staff!.email });
    if (result.dryRun) reply.status(200);
    return result;
  }

  @Get('locations/:id/closures')
  @ApiOperation({ summary: 'An office’s closures from now on, with the reason citizens see' })
  @ApiOkResponse({ type: [ClosureViewDto] })
  upcoming(@Param('id', uuidParam()) id: string): Promise<ClosureViewDto[]> {
    return this.closures.upcoming(id);
  }
}
