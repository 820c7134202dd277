import { DateTime } from 'luxon';
import { BOOKING_STATUSES, BookingEvent, BookingStatus, holdsCapacity, initialHoldUntil, transition } from './booking-state';

const now = DateTime.fromISO('2026-05-04T10:00:00Z', { zone: 'utc' });
const future = now.plus({ minutes: 30 });
const past = now.minus({ minutes: 1 });
const slotLater = now.plus({ days: 1 });

type Row = [BookingStatus, BookingEvent['type'], 'hold-live' | 'hold-over', string];
// Every status × every event × hold live/over: the whole table, so a new status or event breaks here.
const table: Row[] = [
  ['pending', 'confirm', 'hold-live', 'ok:confirmed:changed'],
  ['pending', 'confirm', 'hold-over', 'HOLD_EXPIRED'],
  ['pending', 'cancel', 'hold-live', 'ok:cancelled:changed'],
  ['pending', 'cancel', 'hold-over', 'ok:cancelled:changed'],
  ['pending', 'expire', 'hold-live', 'HOLD_NOT_OVER'],
  ['pending', 'expire', 'hold-over', 'ok:expired:changed'],
  ['confirmed', 'confirm', 'hold-live', 'ok:confirmed:same'],
  ['confirmed', 'confirm', 'hold-over', 'ok:confirmed:same'],
  ['confirmed', 'cancel', 'hold-live', 'ok:cancelled:changed'],
  ['confirmed', 'cancel', 'hold-over', 'ok:cancelled:changed'],
  ['confirmed', 'expire', 'hold-live', 'ALREADY_FINAL'],
  ['confirmed', 'expire', 'hold-over', 'ALREADY_FINAL'],
  ['cancelled', 'confirm', 'hold-live', 'ALREADY_FINAL'],
  ['cancelled', 'confirm', 'hold-over', 'ALREADY_FINAL'],
  ['cancelled', 'cancel', 'hold-live', 'ok:cancelled:same'],
  ['cancelled', 'cancel', 'hold-over', 'ok:cancelled:same'],
  ['cancelled', 'expire', 'hold-live', 'ALREADY_FINAL'],
  ['cancelled', 'expire', 'hold-over', 'ALREADY_FINAL'],
  ['expired', 'confirm', 'hold-live', 'ALREADY_FINAL'],
  ['expired', 'confirm', 'hold-over', 'ALREADY_FINAL'],
  ['expired', 'cancel', 'hold-live', 'ALREADY_FINAL'],
  ['expired', 'cancel', 'hold-over', 'ALREADY_FINAL'],
  ['expired', 'expire', 'hold-live', 'ok:expired:same'],
  ['expired', 'expire', 'hold-over', 'ok:expired:same'],
];

function event(type: BookingEvent['type']): BookingEvent {
  return type === 'expire' ? { type, reason: 'not_confirmed' } : { type };
}

describe('booking state machine', () => {
  it('covers every status and event', () => {
    const seen = new Set(table.map(([s, e]) => `${s}/${e}`));
    expect(seen.size).toBe(BOOKING_STATUSES.length * 3);
  });

  it.each(table)('%s + %s (%s) -> %s', (status, type, hold, expected) => {
    const result = transition(
      { status, holdUntil: hold === 'hold-live' ? future : past, slotStartsAt: slotLater },
      event(type),
      now,
    );
    const actual = result.ok ? `ok:${result.next}:${result.changed ? 'changed' : 'same'}` : result.code;
    expect(actual).toBe(expected);
  });

  it('refuses to cancel once the slot has started', () => {
    expect(transition({ status: 'confirmed', holdUntil: past, slotStartsAt: past }, { type: 'cancel' }, now)).toEqual({
      ok: false,
      code: 'SLOT_STARTED',
    });
  });

  it('a hold ending exactly now is over', () => {
    expect(transition({ status: 'pending', holdUntil: now, slotStartsAt: slotLater }, { type: 'confirm' }, now)).toEqual({
      ok: false,
      code: 'HOLD_EXPIRED',
    });
    expect(
      transition({ status: 'pending', holdUntil: now, slotStartsAt: slotLater }, { type: 'expire', reason: 'not_confirmed' }, now)
        .ok,
    ).toBe(true);
  });

  it('only pending and confirmed bookings hold capacity', () => {
    expect(BOOKING_STATUSES.filter(holdsCapacity)).toEqual(['pending', 'confirmed']);
  });

  it('the hold is the window, cut at the slot start', () => {
    expect(initialHoldUntil(now, slotLater, 60).toISO()).toBe(now.plus({ minutes: 60 }).toISO());
    expect(initialHoldUntil(now, now.plus({ minutes: 20 }), 60).toISO()).toBe(now.plus({ minutes: 20 }).toISO());
  });
});
