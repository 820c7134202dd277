import { ReviewDetailDto, ReviewQueueDto } from './review.responses';
import { Body, Controller, Get, HttpCode, Param, Post, Query, Req, UseGuards } from '@nestjs/common';

import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { uuidParam } from '../common/uuid.pipe';

import { RequireRole } from '../staff/roles';

import { StaffGuard, StaffRequest } from '../staff/staff.guard';

import { ReviewService } from './review.service';

import { ReviewQueryDto, ReasonDto, ExtendDto, ReinstateDto, RescheduleByStaffDto } from './review.dto';

@ApiTags('review')
@ApiBearerAuth()
@Controller('api/v1/review/bookings')
@UseGuards(StaffGuard)
@RequireRole('clerk')
export class ReviewController {
  constructor(private readonly review: ReviewService) {}

  @Get()
  @ApiOperation({ summary: 'The review queue: lapsed because the mail never arrived, or still waiting for it; newest first' })
  @ApiOkResponse({ type: ReviewQueueDto })
  list(@Query() query: ReviewQueryDto, @Req() req: StaffRequest) {
    return this.review.list({
      ...query,
      limit: query.limit ?? 50,
      offset: query.offset ?? 0,
      locationIds: req.staff!.locationIds ?? null,
    });
  }

  @Get(':id')
  @ApiOperation({ summary: 'A booking with every delivery attempt and report, and its audit trail' })
  @ApiOkResponse({ type: ReviewDetailDto })
  detail(@Param('id', uuidParam()) id: string, @Req() req: StaffRequest) {
    return this.review.detail(id, actor(req));
  }

  @Post(':id/extend')
  @HttpCode(200)
  @ApiOperation({ summary: 'Goodwill extension of a pending booking (never past the slot start minus the cutoff)' })
  @ApiOkResponse({ type: ReviewDetailDto })
  extend(@Param('id', uuidParam()) id: string, @Body() dto: ExtendDto, @Req() req: StaffRequest) {
    return this.review.extend(id, dto.until, dto.reason, actor(req));
  }

  @Post(':id/reinstate')
  @HttpCode(200)
  @ApiOperation({
    summary: 'An expired booking back to pending, in its slot or another (409 when full); a new confirmation goes out',
  })
  @ApiOkResponse({ type: ReviewDetailDto })
  reinstate(@Param('id', uuidParam()) id: string, @Body() dto: ReinstateDto, @Req() req: StaffRequest) {
    return this.review.reinstate(id, dto.slotId, dto.reason, actor(req));
  }

  @Post(':id/reschedule')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Move a booking to another time of the same service for a citizen on the phone (with a reason; audited; the citizen gets the new time by mail)',
  })
  @ApiOkResponse({ type: ReviewDetailDto })
  reschedule(@Param('id', uuidParam()) id: string, @Body() dto: RescheduleByStaffDto, @Req() req: StaffRequest) {
    return this.review.reschedule(id, dto.slotId, dto.reason, actor(req));
  }

  @Post(':id/confirm')
  @HttpCode(200)
  @ApiOperation({ summary: 'Confirm by hand, e.g. after the citizen called and read out the reference' })
  @ApiOkResponse({ type: ReviewDetailDto })
  confirm(@Param('id', uuidParam()) id: string, @Body() dto: ReasonDto, @Req() req: StaffRequest) {
    return this.review.confirm(id, dto.reason, actor(req));
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @ApiOperation({ summary: 'Cancel for the citizen, with a reason (audited); a confirmed booking gets the cancellation mail' })
  @ApiOkResponse({ type: ReviewDetailDto })
  cancel(@Param('id', uuidParam()) id: string, @Body() dto: ReasonDto, @Req() req: StaffRequest) {
    return this.review.cancel(id, dto.reason, actor(req));
  }

  @Post(':id/close')
  @HttpCode(200)
  @ApiOperation({ summary: 'No further action; the citizen gets a notice with a link to book again' })
  @ApiOkResponse({ type: ReviewDetailDto })
  close(@Param('id', uuidParam()) id: string, @Body() dto: ReasonDto, @Req() req: StaffRequest) {
    return this.review.close(id, dto.reason, actor(req));
  }
}

const actor = (req: StaffRequest) => ({
  id: req.staff!.id,
  label: req.staff!.email,
  locationIds: req.staff!.locationIds ?? null,
});
