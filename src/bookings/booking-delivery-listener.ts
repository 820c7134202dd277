import { Injectable } from '@nestjs/common';
import { DateTime } from 'luxon';
import { EntityManager } from 'typeorm';
import type { DeliveryListener, DispatchRoundFacts } from '../outbox/delivery-listener';
import { BookingsRepository } from './bookings.repository';
import { HoldService } from './hold.service';
import { SmsFallbackService } from './sms-fallback.service';

/** The booking side's answer to delivery changes: the hold follows the mail; stuck mail brings the SMS. */
@Injectable()
export class BookingDeliveryListener implements DeliveryListener {
  constructor(
    private readonly bookings: BookingsRepository,
    private readonly holds: HoldService,
    private readonly smsFallback: SmsFallbackService,
  ) {}

  lockBookings(manager: EntityManager, bookingIds: string[]): Promise<void> {
    return this.bookings.lock(manager, bookingIds);
  }

  async onDeliveryChanged(manager: EntityManager, bookingIds: string[], now: DateTime): Promise<void> {
    await this.holds.recompute(manager, bookingIds, now);
  }

  async beforeDispatchRound(manager: EntityManager, _now: DateTime, facts: DispatchRoundFacts): Promise<void> {
    await this.smsFallback.enqueueDue(manager, facts.inTransitStuckAfterMinutes);
  }
}
