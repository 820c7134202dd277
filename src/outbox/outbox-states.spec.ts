import { computeHold } from '../bookings/hold-policy';
import { DateTime } from 'luxon';
import {
  DELIVERED,
  DUE,
  HANDED_OVER,
  isDeliveredMailState,
  OUTBOX_STATES,
  sqlList,
  STUCK,
  UNDELIVERED,
  UNSENT,
  WAITING,
} from './outbox-states';

describe('the named sets of outbox states', () => {
  // One row per state: the table is the definition the SQL sets must agree with.
  const table: Array<[(typeof OUTBOX_STATES)[number], { delivered: boolean; unsent: boolean; due: boolean; stuck: boolean }]> = [
    ['queued', { delivered: false, unsent: true, due: true, stuck: false }],
    ['sending', { delivered: false, unsent: false, due: false, stuck: false }],
    ['deferred', { delivered: false, unsent: true, due: true, stuck: false }],
    ['held_provider_blocked', { delivered: false, unsent: true, due: false, stuck: true }],
    // Our relay took it, no report yet: on its way as far as we know, neither delivered nor stuck.
    ['in_transit', { delivered: false, unsent: false, due: false, stuck: false }],
    ['accepted', { delivered: true, unsent: false, due: false, stuck: false }],
    ['delayed', { delivered: false, unsent: false, due: false, stuck: true }],
    ['bounced', { delivered: false, unsent: false, due: false, stuck: true }],
    ['failed', { delivered: false, unsent: false, due: false, stuck: true }],
    ['cancelled', { delivered: false, unsent: false, due: false, stuck: false }],
  ];

  it('covers every state', () => {
    expect(table.map(([state]) => state).sort()).toEqual([...OUTBOX_STATES].sort());
  });

  it.each(table)('%s', (state, expected) => {
    expect({
      delivered: isDeliveredMailState(state),
      unsent: (UNSENT as readonly string[]).includes(state),
      due: (DUE as readonly string[]).includes(state),
      stuck: (STUCK as readonly string[]).includes(state),
    }).toEqual(expected);
    expect(DELIVERED.includes(state)).toBe(expected.delivered);
    // Not delivered and not withdrawn: the citizen still waits for it.
    expect(UNDELIVERED.includes(state)).toBe(!expected.delivered && state !== 'cancelled');
  });

  it.each(OUTBOX_STATES)('the hold policy counts a mail that is %s as delivered exactly when the SQL sets do', (state) => {
    const now = DateTime.fromISO('2026-06-01T08:00:00Z', { zone: 'utc' });
    const decision = computeHold({
      now,
      holdStartedAt: now,
      slotStartsAt: now.plus({ days: 2 }),
      currentHoldUntil: now.plus({ minutes: 60 }),
      messages: [{ channel: 'email', state, acceptedAt: now, acceptedBy: 'relay' }],
      settings: { confirmWindowMinutes: 60, holdMaxHours: 72, confirmCutoffMinutes: 60 },
    });
    expect(decision.delivered).toBe(DELIVERED.includes(state));
  });

  it('sets that waiting mail and reports use are what they say', () => {
    expect([...WAITING].sort()).toEqual(['deferred', 'delayed', 'held_provider_blocked', 'queued']);
    expect([...HANDED_OVER].sort()).toEqual(['accepted', 'delayed', 'in_transit']);
  });

  it('sqlList quotes state names and refuses anything else', () => {
    expect(sqlList(DUE)).toBe("('queued', 'deferred')");
    expect(() => sqlList(["x'); DROP TABLE bookings; --"])).toThrow('not a state name');
  });
});
