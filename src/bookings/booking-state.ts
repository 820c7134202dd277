import { DateTime } from 'luxon';

export const BOOKING_STATUSES = ['pending', 'confirmed', 'cancelled', 'expired'] as const;
export type BookingStatus = (typeof BOOKING_STATUSES)[number];
export const EXPIRY_REASONS = ['not_confirmed', 'mail_undelivered'] as const;
export type ExpiryReason = (typeof EXPIRY_REASONS)[number];

export interface BookingFacts {
  status: BookingStatus;
  holdUntil: DateTime;
  slotStartsAt: DateTime;
}

export type BookingEvent = { type: 'confirm' } | { type: 'cancel' } | { type: 'expire'; reason: ExpiryReason };

export type TransitionCode = 'HOLD_EXPIRED' | 'ALREADY_FINAL' | 'HOLD_NOT_OVER' | 'SLOT_STARTED';

export type Transition = { ok: true; next: BookingStatus; changed: boolean } | { ok: false; code: TransitionCode };

/** Whether a booking in this status holds one unit of its slot's capacity. */
export function holdsCapacity(status: BookingStatus): boolean {
  switch (status) {
    case 'pending':
    case 'confirmed':
      return true;
    case 'cancelled':
    case 'expired':
      return false;
  }
}

/**
 * The booking life cycle, as one pure decision. The database enforces the same rules with
 * compare-and-swap UPDATEs (`WHERE status = 'pending' AND hold_until > $now`), so a
 * decision made on a stale read cannot be written.
 * `changed: false` marks an idempotent repeat (confirming a confirmed booking).
 */
export function transition(booking: BookingFacts, event: BookingEvent, now: DateTime): Transition {
  switch (event.type) {
    case 'confirm':
      switch (booking.status) {
        case 'pending':
          return booking.holdUntil > now ? { ok: true, next: 'confirmed', changed: true } : { ok: false, code: 'HOLD_EXPIRED' };
        case 'confirmed':
          return { ok: true, next: 'confirmed', changed: false };
        case 'cancelled':
        case 'expired':
          return { ok: false, code: 'ALREADY_FINAL' };
      }
      break;
    case 'cancel':
      switch (booking.status) {
        case 'pending':
        case 'confirmed':
          return booking.slotStartsAt > now
            ? { ok: true, next: 'cancelled', changed: true }
            : { ok: false, code: 'SLOT_STARTED' };
        case 'cancelled':
          return { ok: true, next: 'cancelled', changed: false };
        case 'expired':
          return { ok: false, code: 'ALREADY_FINAL' };
      }
      break;
    case 'expire':
      switch (booking.status) {
        case 'pending':
          return booking.holdUntil <= now ? { ok: true, next: 'expired', changed: true } : { ok: false, code: 'HOLD_NOT_OVER' };
        case 'expired':
          return { ok: true, next: 'expired', changed: false };
        case 'confirmed':
        case 'cancelled':
          return { ok: false, code: 'ALREADY_FINAL' };
      }
      break;
  }
}

/** The end of the confirmation hold: the window from now, never past the slot's start. */
export function initialHoldUntil(now: DateTime, slotStartsAt: DateTime, confirmWindowMinutes: number): DateTime {
  const windowEnd = now.plus({ minutes: confirmWindowMinutes });
  return windowEnd < slotStartsAt ? windowEnd : slotStartsAt;
}

/** How late an appointment may still be moved (the citizen, and a clerk on their behalf): 2 hours before it. */
export const RESCHEDULE_CUTOFF_MINUTES = 120;

/**
 * Whether a booking may move to another slot: it is active (pending or confirmed), its
 * appointment is more than RESCHEDULE_CUTOFF_MINUTES away, and the new slot is of the same
 * service (at the same or another office), another slot, and has not started. Pure.
 */
export function rescheduleRefusal(
  booking: {
    status: BookingStatus;
    slotStartsAt: DateTime;
    serviceId: string;
    slotId: string;
    locationId?: string;
    extraMinutes?: number;
  },
  target: { slotId: string; serviceId: string; startsAt: DateTime; locationId?: string },
  now: DateTime,
): 'not_active' | 'too_late' | 'other_service' | 'combined_other_office' | 'same_slot' | 'slot_started' | undefined {
  if (booking.status !== 'pending' && booking.status !== 'confirmed') return 'not_active';
  if (booking.slotStartsAt.minus({ minutes: RESCHEDULE_CUTOFF_MINUTES }) <= now) return 'too_late';
  if (target.serviceId !== booking.serviceId) return 'other_service';
  // A combined appointment's minutes are its office's (offerings differ): it moves within the office.
  if ((booking.extraMinutes ?? 0) > 0 && target.locationId !== undefined && target.locationId !== booking.locationId)
    return 'combined_other_office';
  if (target.slotId === booking.slotId) return 'same_slot';
  if (target.startsAt <= now) return 'slot_started';
  return undefined;
}

/** A no-show can be recorded this long after the slot's end (the citizen may still be in the queue). */
export const NO_SHOW_GRACE_MINUTES = 15;

/**
 * Whether a clerk may record this at the counter: only for a confirmed booking; arrived once;
 * served after arrived; a no-show not for someone who came, and only after the slot's end plus
 * NO_SHOW_GRACE_MINUTES. Pure.
 */
export function attendanceRefusal(
  booking: { status: BookingStatus; attendance: 'arrived' | 'served' | 'no_show' | null; slotEndsAt: DateTime },
  state: 'arrived' | 'served' | 'no_show',
  now: DateTime,
): 'not_confirmed' | 'already' | 'not_arrived' | 'too_early' | 'came' | undefined {
  if (booking.status !== 'confirmed') return 'not_confirmed';
  if (booking.attendance === state) return 'already';
  if (state === 'served' && booking.attendance !== 'arrived') return 'not_arrived';
  if (state === 'no_show') {
    if (booking.attendance === 'arrived' || booking.attendance === 'served') return 'came';
    if (now < booking.slotEndsAt.plus({ minutes: NO_SHOW_GRACE_MINUTES })) return 'too_early';
  }
  if (state === 'arrived' && booking.attendance === 'served') return 'already';
  return undefined;
}
