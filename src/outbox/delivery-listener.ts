import type { DynamicModule, Type } from '@nestjs/common';
import type { DateTime } from 'luxon';
import type { EntityManager } from 'typeorm';

/**
 * What the delivery side (dispatcher, delivery reports, SMS reports) tells the booking side. The
 * delivery side owns this interface; the bookings module implements it (holds follow the mail),
 * so no delivery code imports booking code.
 */
export interface DeliveryListener {
  /**
   * Takes these bookings' row locks before the caller touches circuits or messages: the lock
   * order booking -> circuit -> outbox, the same as the sweeper's, so they never deadlock.
   */
  lockBookings(manager: EntityManager, bookingIds: string[]): Promise<void>;

  /**
   * The delivery facts of these bookings' messages changed, in the caller's transaction (which
   * holds the bookings' locks where it must): recompute what depends on them before it commits.
   */
  onDeliveryChanged(manager: EntityManager, bookingIds: string[], now: DateTime): Promise<void>;

  /**
   * Once per dispatch round, before the claim: messages the booking side adds because of
   * delivery facts (the SMS fallback for mail that cannot arrive), so the same round sends them.
   */
  beforeDispatchRound(manager: EntityManager, now: DateTime, facts: DispatchRoundFacts): Promise<void>;
}

/** What the delivery side knows at the start of a round that the booking side cannot. */
export interface DispatchRoundFacts {
  /**
   * After how many minutes a mail in our relay's queue without the report it was asked for counts
   * as stuck; null when silence says nothing (the relay does not send reports at all).
   */
  inTransitStuckAfterMinutes: number | null;
}

export const DELIVERY_LISTENER = Symbol('DELIVERY_LISTENER');

/**
 * The module that provides DELIVERY_LISTENER; the app passes it to each delivery module that
 * announces changes (a Nest custom provider across modules, without an import upwards).
 */
export type DeliveryListenerModule = Type<unknown> | DynamicModule;
