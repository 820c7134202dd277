import { BookingViewDto } from './booking-view.responses';
import { RateLimited } from '../common/rate-limit';
import { Body, Controller, Get, Headers, HttpCode, Inject, Param, Post } from '@nestjs/common';
import { AltchaService } from '../bot-check/altcha.service';
import { APP_CONFIG, AppConfig } from '../config/app-config';

import {
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { DomainError } from '../common/domain-error';

import { uuidParam } from '../common/uuid.pipe';

import { bookingView } from './booking-view';

import { BookingsService } from './bookings.service';

import { CreateBookingDto, ChangeEmailDto, AddPhoneDto, CreatedBookingDto, RescheduleDto } from './bookings.dto';

const IDEMPOTENCY_KEY = /^[A-Za-z0-9_.:-]{8,200}$/;

@ApiTags('bookings')
@Controller('api/v1/bookings')
export class BookingsController {
  constructor(
    private readonly bookings: BookingsService,
    private readonly altcha: AltchaService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @RateLimited('booking')
  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'Book a slot; the booking is pending until confirmed through the mailed link' })
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description: '8-200 characters [A-Za-z0-9_.:-]; a repeat with the same body returns the first response',
  })
  @ApiCreatedResponse({ type: CreatedBookingDto })
  @ApiConflictResponse({ description: 'SLOT_FULL, SLOT_IN_PAST, BOOKING_LIMIT_SLOT, BOOKING_LIMIT_DAY' })
  @ApiHeader({
    name: 'X-Altcha',
    required: false,
    description:
      'With ALTCHA_API: the solved challenge of GET /api/v1/altcha/challenge (base64 JSON of challenge and solution), once; a retry needs a fresh one',
  })
  async create(
    @Body() dto: CreateBookingDto,
    @Headers('idempotency-key') key: string | undefined,
    @Headers('x-altcha') proof: string | undefined,
  ) {
    if (key !== undefined && !IDEMPOTENCY_KEY.test(key)) {
      throw new DomainError('VALIDATION_FAILED', 'Idempotency-Key must be 8-200 characters of A-Z a-z 0-9 _ . : -', [
        { field: 'Idempotency-Key', problems: ['invalid format'] },
      ]);
    }
    if (this.config.altcha.api) {
      const verdict = await this.altcha.verify(proof);
      if (verdict === 'missing')
        throw new DomainError(
          'ALTCHA_REQUIRED',
          'This API wants a solved challenge of GET /api/v1/altcha/challenge as X-Altcha.',
        );
      if (verdict !== 'verified')
        throw new DomainError(
          'ALTCHA_INVALID',
          `The X-Altcha solution is ${verdict === 'used' ? 'used up' : verdict}; solve a new challenge.`,
        );
    }
    const { body } = await this.bookings.create(dto, key);
    return body;
  }

  @RateLimited('status')
  @Get(':id')
  @ApiOperation({ summary: 'Status of a booking and of its confirmation mail' })
  @ApiHeader({ name: 'X-Booking-Token', required: true })
  @ApiOkResponse({
    type: BookingViewDto,
    description: 'The booking, its slot, and every message with its delivery state and attempts',
  })
  @ApiUnauthorizedResponse({ description: 'BOOKING_TOKEN_INVALID' })
  async get(@Param('id', uuidParam()) id: string, @Headers('x-booking-token') token: string | undefined) {
    const { booking, messages, hold } = await this.bookings.getForHolder(id, token);
    return bookingView(booking, messages, hold);
  }

  @RateLimited('self_service')
  @Post(':id/resend')
  @HttpCode(200)
  @ApiOperation({ summary: 'Send the confirmation again (earlier links stop working); once every 5 minutes' })
  @ApiHeader({ name: 'X-Booking-Token', required: true })
  @ApiOkResponse({ type: BookingViewDto })
  resend(@Param('id', uuidParam()) id: string, @Headers('x-booking-token') token: string | undefined) {
    return this.selfService(id, token, 'resend');
  }

  @RateLimited('self_service')
  @Post(':id/change-email')
  @HttpCode(200)
  @ApiOperation({ summary: 'Use another e-mail address: old links die, a new mail goes out, the hold is recomputed' })
  @ApiHeader({ name: 'X-Booking-Token', required: true })
  @ApiOkResponse({ type: BookingViewDto })
  changeEmail(
    @Param('id', uuidParam()) id: string,
    @Body() dto: ChangeEmailDto,
    @Headers('x-booking-token') token: string | undefined,
  ) {
    return this.selfService(id, token, 'change_email', dto.email);
  }

  @RateLimited('self_service')
  @Post(':id/add-phone')
  @HttpCode(200)
  @ApiOperation({ summary: 'Add a phone number: while the mail cannot be delivered, an SMS with a code and the link goes out' })
  @ApiHeader({ name: 'X-Booking-Token', required: true })
  @ApiOkResponse({ type: BookingViewDto })
  addPhone(
    @Param('id', uuidParam()) id: string,
    @Body() dto: AddPhoneDto,
    @Headers('x-booking-token') token: string | undefined,
  ) {
    return this.selfService(id, token, 'add_phone', dto.phone);
  }

  @RateLimited('self_service')
  @Post(':id/new-code')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Send a new SMS code and link (earlier codes stop working, tries start again); once every 5 minutes',
  })
  @ApiHeader({ name: 'X-Booking-Token', required: true })
  @ApiOkResponse({ type: BookingViewDto })
  newCode(@Param('id', uuidParam()) id: string, @Headers('x-booking-token') token: string | undefined) {
    return this.selfService(id, token, 'new_code');
  }

  private async selfService(
    id: string,
    token: string | undefined,
    action: 'resend' | 'change_email' | 'add_phone' | 'new_code',
    value?: string,
  ) {
    const { booking, messages, hold } = await this.bookings.selfService(id, token, action, value);
    return bookingView(booking, messages, hold);
  }

  @RateLimited('self_service')
  @Post(':id/reschedule')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Another time for the same service (this or another office), until 2 hours before the appointment; the new place is taken before the old is given back; a confirmed booking stays confirmed; a mail with the moved calendar entry',
  })
  @ApiHeader({ name: 'X-Booking-Token', required: true })
  @ApiConflictResponse({ description: 'RESCHEDULE_NOT_ALLOWED (details.reason), SLOT_FULL, BOOKING_LIMIT_SLOT' })
  @ApiOkResponse({ type: BookingViewDto })
  async reschedule(
    @Param('id', uuidParam()) id: string,
    @Body() dto: RescheduleDto,
    @Headers('x-booking-token') token: string | undefined,
  ) {
    await this.bookings.reschedule(id, dto.slotId, { statusToken: token });
    const { booking, messages, hold } = await this.bookings.getForHolder(id, token);
    return bookingView(booking, messages, hold);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @ApiOperation({ summary: 'Cancel a booking; its place is released' })
  @ApiHeader({ name: 'X-Booking-Token', required: true })
  @ApiConflictResponse({ description: 'INVALID_TRANSITION' })
  @ApiOkResponse({ type: BookingViewDto })
  async cancel(@Param('id', uuidParam()) id: string, @Headers('x-booking-token') token: string | undefined) {
    await this.bookings.cancel(id, token);
    const { booking, messages } = await this.bookings.getForHolder(id, token);
    return bookingView(booking, messages);
  }
}
