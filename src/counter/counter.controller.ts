import { AttendanceRecordedDto, WalkInCreatedDto } from './counter.responses';
import { Body, Controller, Get, HttpCode, Param, Post, Query, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiConflictResponse, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { uuidParam } from '../common/uuid.pipe';
import { RequireRole } from '../staff/roles';
import { StaffGuard, StaffRequest } from '../staff/staff.guard';
import { AttendanceDto, DayListDto, DayQueryDto, WalkInDto } from './counter.dto';
import { CounterDayService } from './counter-day.service';

const actor = (req: StaffRequest) => ({
  id: req.staff!.id,
  label: req.staff!.email,
  locationIds: req.staff!.locationIds ?? null,
});

@ApiTags('counter')
@ApiBearerAuth()
@Controller('api/v1/counter')
@UseGuards(StaffGuard)
@RequireRole('clerk')
export class CounterController {
  constructor(private readonly day: CounterDayService) {}

  @Get('locations/:id/day')
  @ApiOperation({ summary: "An office's day at the counter: every booking by time, with status, attendance and walk-ins" })
  @ApiOkResponse({ type: DayListDto })
  dayList(@Param('id', uuidParam()) id: string, @Query() query: DayQueryDto, @Req() req: StaffRequest) {
    return this.day.dayList(id, query.date, actor(req));
  }

  @Post('bookings/:id/attendance')
  @HttpCode(200)
  @ApiOperation({ summary: `Check-in (arrived), served, or a no-show (after the slot's end plus 15 minutes); audited` })
  @ApiConflictResponse({ description: 'ATTENDANCE_NOT_ALLOWED (details.reason)' })
  @ApiOkResponse({ type: AttendanceRecordedDto })
  attendance(@Param('id', uuidParam()) id: string, @Body() dto: AttendanceDto, @Req() req: StaffRequest) {
    return this.day.record(id, dto.state, actor(req));
  }

  @Post('walk-ins')
  @HttpCode(201)
  @ApiOperation({
    summary: 'Someone at the desk gets a free counter in this slot now: confirmed and checked in at once, no mail; audited',
  })
  @ApiCreatedResponse({ type: WalkInCreatedDto })
  @ApiConflictResponse({ description: 'SLOT_FULL, SLOT_IN_PAST' })
  walkIn(@Body() dto: WalkInDto, @Req() req: StaffRequest) {
    return this.day.walkIn(dto.slotId, dto.name, actor(req));
  }
}
