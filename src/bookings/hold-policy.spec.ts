import { DateTime } from 'luxon';
import type { OutboxState } from '../outbox/outbox-states';
import {
  computeHold,
  DeliveredVia,
  expiryReasonFor,
  explainHold,
  HoldDecision,
  HoldInput,
  HoldMessage,
  HoldReason,
} from './hold-policy';

const utc = (iso: string) => DateTime.fromISO(iso, { zone: 'utc' });
const iso = (d: DateTime | undefined) => d?.toUTC().toISO() ?? null;

// Booked Monday 08:00 UTC for a slot four days later: the 72 h limit (Thursday 08:00) binds
// before the slot cutoff (Friday 07:00) unless a case moves the slot.
const created = utc('2026-05-04T08:00:00Z');
const at = (minutesAfterBooking: number) => created.plus({ minutes: minutesAfterBooking });
const h = 60;
const settings = { confirmWindowMinutes: 60, holdMaxHours: 72, confirmCutoffMinutes: 60 };

function input(over: Partial<HoldInput> = {}): HoldInput {
  return {
    now: created,
    holdStartedAt: created,
    slotStartsAt: utc('2026-05-08T08:00:00Z'),
    currentHoldUntil: at(60),
    goodwillUntil: null,
    messages: [{ channel: 'email', state: 'queued' }],
    settings,
    ...over,
  };
}

const mx = (acceptedAt: DateTime): HoldMessage => ({
  channel: 'email',
  state: 'accepted',
  acceptedAt,
  acceptedBy: 'mx',
  deliveredAt: acceptedAt,
  evidence: 'smtp',
});
/** Our relay said 250 at `acceptedAt`; no report yet. */
const inTransit = (acceptedAt: DateTime): HoldMessage => ({
  channel: 'email',
  state: 'in_transit',
  acceptedAt,
  acceptedBy: 'relay',
});
/** Our relay took it at `acceptedAt`, its success report came at `deliveredAt`. */
const reported = (acceptedAt: DateTime, deliveredAt: DateTime): HoldMessage => ({
  channel: 'email',
  state: 'accepted',
  acceptedAt,
  acceptedBy: 'relay',
  deliveredAt,
  evidence: 'report',
});
/** A relay acceptance from before success reports were asked for (no delivered_at on old rows). */
const relay = (acceptedAt: DateTime): HoldMessage => ({ channel: 'email', state: 'accepted', acceptedAt, acceptedBy: 'relay' });
const email = (state: OutboxState, extra: Partial<HoldMessage> = {}): HoldMessage => ({ channel: 'email', state, ...extra });

interface Case {
  name: string;
  in: HoldInput;
  holdUntil: DateTime;
  reason: HoldReason;
  via?: DeliveredVia;
  deliveredAt?: DateTime;
}

const cases: Case[] = [
  // A clerk reinstated it two days after booking: the hold started again, so HOLD_MAX_HOURS
  // count from the reinstatement (Saturday 08:00, beyond the slot cutoff, Friday 07:00). 78 h
  // after booking the mail still waits, and so does the hold...
  {
    name: 'reinstated: the upper limit counts from the new hold start',
    in: input({
      now: at(78 * h),
      holdStartedAt: at(48 * h),
      currentHoldUntil: at(48 * h + 60),
      messages: [email('held_provider_blocked')],
    }),
    holdUntil: at(78 * h + 60),
    reason: 'waiting_for_delivery',
  },
  // ...while a hold that started at booking ended at Thursday 08:00, 72 h after it.
  {
    name: 'not reinstated: the same facts hit the limit counted from the booking',
    in: input({ now: at(78 * h), currentHoldUntil: at(48 * h + 60), messages: [email('held_provider_blocked')] }),
    holdUntil: at(72 * h),
    reason: 'capped_by_max_hold',
  },
  // Delivered: the window runs from the delivery, not from now or from the booking.
  {
    name: 'MX accepted: delivery + window',
    in: input({ now: at(30), messages: [mx(at(5))] }),
    holdUntil: at(65),
    reason: 'window_from_delivery',
    via: 'email_mx',
    deliveredAt: at(5),
  },
  {
    name: 'accepted by the relay before reports were asked for, as the migration marks it: delivered at the 250',
    in: input({ now: at(30), messages: [{ ...relay(at(5)), deliveredAt: at(5), evidence: 'before_reports' }] }),
    holdUntil: at(65),
    reason: 'window_from_delivery',
    via: 'email_relay',
    deliveredAt: at(5),
  },
  {
    name: 'an accepted row without delivered_at or evidence (a half-written fact): read from the acceptance',
    in: input({ now: at(30), messages: [relay(at(5))] }),
    holdUntil: at(65),
    reason: 'window_from_delivery',
    via: 'email_relay',
    deliveredAt: at(5),
  },

  // In transit: our relay said 250, no report yet (the Mülheim case: the mail sits in the relay's
  // queue while the provider defers it, and a stock Postfix sends no delay warnings).
  {
    name: 'in transit: not delivered, now + window',
    in: input({ now: at(30), messages: [inTransit(at(1))] }),
    holdUntil: at(90),
    reason: 'waiting_for_delivery',
  },
  {
    name: 'in transit for two days: the hold still waits',
    in: input({ now: at(48 * h), currentHoldUntil: at(48 * h - 1), messages: [inTransit(at(1))] }),
    holdUntil: at(48 * h + 60),
    reason: 'waiting_for_delivery',
  },
  {
    name: 'in transit past HOLD_MAX_HOURS: the upper limit stays',
    in: input({ now: at(80 * h), currentHoldUntil: at(72 * h), messages: [inTransit(at(1))] }),
    holdUntil: at(72 * h),
    reason: 'capped_by_max_hold',
  },
  {
    name: "success report 6 h after the relay's 250: the window starts at the report",
    in: input({ now: at(6 * h + 10), currentHoldUntil: at(6 * h + 55), messages: [reported(at(1), at(6 * h))] }),
    holdUntil: at(7 * h),
    reason: 'window_from_delivery',
    via: 'email_report',
    deliveredAt: at(6 * h),
  },
  {
    name: 'delayed, then delivered by report: the window starts at the report, not at the 250',
    in: input({ now: at(3 * h), currentHoldUntil: at(3 * h), messages: [reported(at(1), at(3 * h - 5))] }),
    holdUntil: at(4 * h - 5),
    reason: 'window_from_delivery',
    via: 'email_report',
    deliveredAt: at(3 * h - 5),
  },
  {
    name: 'counted delivered by the transit rule (relay without DSN): window from the rule',
    in: input({
      now: at(40),
      messages: [{ ...relay(at(1)), deliveredAt: at(31), evidence: 'transit_rule' }],
    }),
    holdUntil: at(91),
    reason: 'window_from_delivery',
    via: 'email_relay',
    deliveredAt: at(31),
  },
  {
    name: 'one mail in transit, a resend delivered by the MX: delivered',
    in: input({ now: at(30), messages: [inTransit(at(1)), mx(at(20))] }),
    holdUntil: at(80),
    reason: 'window_from_delivery',
    via: 'email_mx',
    deliveredAt: at(20),
  },
  {
    name: 'accepted by an unknown acceptor reads as the relay',
    in: input({ now: at(30), messages: [email('accepted', { acceptedAt: at(5), acceptedBy: null })] }),
    holdUntil: at(65),
    reason: 'window_from_delivery',
    via: 'email_relay',
    deliveredAt: at(5),
  },
  {
    name: 'delivered long ago: the hold lies in the past (due to expire)',
    in: input({ now: at(4 * h), currentHoldUntil: at(65), messages: [mx(at(5))] }),
    holdUntil: at(65),
    reason: 'window_from_delivery',
    via: 'email_mx',
    deliveredAt: at(5),
  },

  // Not delivered: now + window, whatever the reason.
  {
    name: 'queued: now + window',
    in: input({ now: at(0), messages: [email('queued')] }),
    holdUntil: at(60),
    reason: 'waiting_for_delivery',
  },
  {
    name: 'sending: now + window',
    in: input({ now: at(10), messages: [email('sending')] }),
    holdUntil: at(70),
    reason: 'waiting_for_delivery',
  },
  {
    name: 'deferred (greylisted): extended',
    in: input({ now: at(90), currentHoldUntil: at(120), messages: [email('deferred')] }),
    holdUntil: at(150),
    reason: 'waiting_for_delivery',
  },
  {
    name: 'held by provider for 6 h: now + window',
    in: input({ now: at(6 * h), currentHoldUntil: at(6 * h + 30), messages: [email('held_provider_blocked')] }),
    holdUntil: at(7 * h),
    reason: 'waiting_for_delivery',
  },
  {
    name: 'relay accepted, then delayed: undelivered, extended',
    in: input({
      now: at(40),
      currentHoldUntil: at(65),
      messages: [email('delayed', { acceptedAt: at(5), acceptedBy: 'relay' })],
    }),
    holdUntil: at(100),
    reason: 'waiting_for_delivery',
  },
  {
    name: 'MX accepted, then delayed: undelivered too',
    in: input({ now: at(40), currentHoldUntil: at(65), messages: [email('delayed', { acceptedAt: at(5), acceptedBy: 'mx' })] }),
    holdUntil: at(100),
    reason: 'waiting_for_delivery',
  },
  {
    name: 'failed: not delivered, still waiting',
    in: input({ now: at(120), currentHoldUntil: at(150), messages: [email('failed')] }),
    holdUntil: at(180),
    reason: 'waiting_for_delivery',
  },
  // The address itself is bad: the hold ends a window after the bounce (no slot hoarding with
  // addresses that cannot exist), unless something else is still on its way.
  {
    name: 'bounced (the mailbox does not exist): a window from the bounce, not from now',
    in: input({ now: at(30), currentHoldUntil: at(60), messages: [email('bounced', { failedAt: at(2) })] }),
    holdUntil: at(62),
    reason: 'window_from_bounce',
  },
  {
    name: 'bounced two hours ago: the hold has run out (due to expire, into the review queue)',
    in: input({ now: at(120), currentHoldUntil: at(62), messages: [email('bounced', { failedAt: at(2) })] }),
    holdUntil: at(62),
    reason: 'window_from_bounce',
  },
  {
    name: 'bounced, without a bounce time (a half-written fact): still waiting',
    in: input({ now: at(120), currentHoldUntil: at(150), messages: [email('bounced')] }),
    holdUntil: at(180),
    reason: 'waiting_for_delivery',
  },
  {
    name: 'bounced, but the citizen added a phone and the SMS is on its way: waiting',
    in: input({
      now: at(30),
      messages: [email('bounced', { failedAt: at(2) }), { channel: 'sms', state: 'accepted', acceptedAt: at(25) }],
    }),
    holdUntil: at(90),
    reason: 'waiting_for_delivery',
  },
  {
    name: 'bounced, and the SMS failed too: a window from the later failure',
    in: input({
      now: at(30),
      messages: [email('bounced', { failedAt: at(2) }), { channel: 'sms', state: 'failed', failedAt: at(20) }],
    }),
    holdUntil: at(80),
    reason: 'window_from_bounce',
  },
  {
    name: 'one mail bounced, a resend still failed for another reason (maybe ours): waiting',
    in: input({ now: at(30), messages: [email('bounced', { failedAt: at(2) }), email('failed', { failedAt: at(20) })] }),
    holdUntil: at(90),
    reason: 'waiting_for_delivery',
  },
  {
    name: 'bounced late, after an extension: a full window from the bounce',
    in: input({ now: at(200), currentHoldUntil: at(230), messages: [email('bounced', { failedAt: at(190) })] }),
    holdUntil: at(250),
    reason: 'window_from_bounce',
  },
  {
    name: 'bounced while the hold was already longer: the hold is never shortened',
    in: input({ now: at(200), currentHoldUntil: at(300), messages: [email('bounced', { failedAt: at(190) })] }),
    holdUntil: at(300),
    reason: 'kept_previous_hold',
  },
  {
    name: 'bounced, staff goodwill: the goodwill holds',
    in: input({ now: at(30), goodwillUntil: at(8 * h), messages: [email('bounced', { failedAt: at(2) })] }),
    holdUntil: at(8 * h),
    reason: 'goodwill',
  },
  {
    name: 'cancelled message: not delivered',
    in: input({ now: at(20), messages: [email('cancelled')] }),
    holdUntil: at(80),
    reason: 'waiting_for_delivery',
  },
  {
    name: 'no message at all: waiting',
    in: input({ now: at(20), messages: [] }),
    holdUntil: at(80),
    reason: 'waiting_for_delivery',
  },
  {
    name: 'accepted without a time: no window to start, waiting',
    in: input({ now: at(20), messages: [email('accepted', { acceptedBy: 'mx' })] }),
    holdUntil: at(80),
    reason: 'waiting_for_delivery',
  },
  {
    name: 'SMS sent, no delivery report yet: waiting',
    in: input({ now: at(20), messages: [{ channel: 'sms', state: 'accepted', acceptedAt: at(10) }] }),
    holdUntil: at(80),
    reason: 'waiting_for_delivery',
  },

  // Never shorter than what the citizen was told.
  {
    name: 'monotonic: later current hold is kept over delivery + window',
    in: input({ now: at(3 * h), currentHoldUntil: at(3 * h + 50), messages: [relay(at(5))] }),
    holdUntil: at(3 * h + 50),
    reason: 'kept_previous_hold',
    via: 'email_relay',
    deliveredAt: at(5),
  },
  {
    name: 'monotonic: later current hold is kept while waiting',
    in: input({ now: at(30), currentHoldUntil: at(200), messages: [email('deferred')] }),
    holdUntil: at(200),
    reason: 'kept_previous_hold',
  },

  // Several messages and channels.
  {
    name: 'old mail bounced, new address accepted by MX',
    in: input({ now: at(130), currentHoldUntil: at(150), messages: [email('bounced'), mx(at(125))] }),
    holdUntil: at(185),
    reason: 'window_from_delivery',
    via: 'email_mx',
    deliveredAt: at(125),
  },
  {
    name: 'two deliveries: the latest starts the window',
    in: input({ now: at(70), currentHoldUntil: at(65), messages: [relay(at(5)), mx(at(60))] }),
    holdUntil: at(120),
    reason: 'window_from_delivery',
    via: 'email_mx',
    deliveredAt: at(60),
  },
  {
    name: 'SMS delivered while the mail is held: SMS counts',
    in: input({
      now: at(70),
      currentHoldUntil: at(100),
      messages: [email('held_provider_blocked'), { channel: 'sms', state: 'accepted', acceptedAt: at(55), deliveredAt: at(60) }],
    }),
    holdUntil: at(120),
    reason: 'window_from_delivery',
    via: 'sms',
    deliveredAt: at(60),
  },

  // Limits.
  {
    name: 'cap by 72 h while waiting',
    in: input({ now: at(71 * h + 30), currentHoldUntil: at(72 * h), messages: [email('held_provider_blocked')] }),
    holdUntil: at(72 * h),
    reason: 'capped_by_max_hold',
  },
  {
    name: 'cap by 72 h after a late delivery',
    in: input({ now: at(71 * h + 40), currentHoldUntil: at(71 * h + 45), messages: [mx(at(71 * h + 30))] }),
    holdUntil: at(72 * h),
    reason: 'capped_by_max_hold',
    via: 'email_mx',
    deliveredAt: at(71 * h + 30),
  },
  {
    name: 'cap by slot start minus cutoff (slot soon)',
    in: input({ now: at(60), currentHoldUntil: at(90), slotStartsAt: at(150), messages: [email('deferred')] }),
    holdUntil: at(90),
    reason: 'capped_by_slot_start',
  },
  {
    name: 'the cap shortens a hold set past the cutoff (initialHoldUntil cuts at the slot start)',
    in: input({ now: at(10), currentHoldUntil: at(60), slotStartsAt: at(90), messages: [mx(at(5))] }),
    holdUntil: at(30),
    reason: 'capped_by_slot_start',
    via: 'email_mx',
    deliveredAt: at(5),
  },
  {
    name: 'booked inside the cutoff: the hold is already over',
    in: input({ now: at(0), currentHoldUntil: at(30), slotStartsAt: at(30), messages: [email('queued')] }),
    holdUntil: at(-30),
    reason: 'capped_by_slot_start',
  },

  // Goodwill.
  {
    name: 'goodwill later than the window: goodwill',
    in: input({ now: at(30), messages: [mx(at(5))], goodwillUntil: at(4 * h) }),
    holdUntil: at(4 * h),
    reason: 'goodwill',
    via: 'email_mx',
    deliveredAt: at(5),
  },
  {
    name: 'goodwill beyond 72 h',
    in: input({ now: at(75 * h), currentHoldUntil: at(72 * h), goodwillUntil: at(80 * h), messages: [email('bounced')] }),
    holdUntil: at(80 * h),
    reason: 'goodwill',
  },
  {
    name: 'goodwill beyond 72 h limits the waiting hold at itself',
    in: input({ now: at(79 * h + 30), currentHoldUntil: at(80 * h), goodwillUntil: at(80 * h), messages: [email('deferred')] }),
    holdUntil: at(80 * h),
    reason: 'goodwill',
  },
  {
    name: 'goodwill never past slot start minus cutoff',
    in: input({ now: at(75 * h), currentHoldUntil: at(72 * h), goodwillUntil: at(100 * h), messages: [email('deferred')] }),
    holdUntil: at(95 * h),
    reason: 'capped_by_slot_start',
  },
  {
    name: 'goodwill earlier than the window changes nothing',
    in: input({ now: at(30), goodwillUntil: at(20), messages: [mx(at(5))] }),
    holdUntil: at(65),
    reason: 'window_from_delivery',
    via: 'email_mx',
    deliveredAt: at(5),
  },
];

/** Type-checked list of every outbox state, so a new state fails the coverage test below. */
const EVERY_STATE: Record<OutboxState, true> = {
  queued: true,
  sending: true,
  deferred: true,
  held_provider_blocked: true,
  in_transit: true,
  accepted: true,
  delayed: true,
  bounced: true,
  failed: true,
  cancelled: true,
};

describe('computeHold', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const d = computeHold(c.in);
    expect({
      holdUntil: iso(d.holdUntil),
      reason: d.reason,
      delivered: d.delivered,
      via: d.deliveredVia ?? null,
      deliveredAt: iso(d.deliveredAt),
    }).toEqual({
      holdUntil: iso(c.holdUntil),
      reason: c.reason,
      delivered: c.via !== undefined,
      via: c.via ?? null,
      deliveredAt: iso(c.deliveredAt),
    });
    // Undelivered decisions say since when (the hold started); delivered ones do not.
    expect(iso(d.undeliveredSince)).toBe(c.via === undefined ? iso(c.in.holdStartedAt) : null);
  });

  it('the table exercises every email state', () => {
    const seen = new Set(cases.flatMap((c) => c.in.messages.filter((m) => m.channel === 'email').map((m) => m.state)));
    expect([...seen].sort()).toEqual(Object.keys(EVERY_STATE).sort());
  });

  it.each(cases.map((c) => [c.name, c] as const))('deciding again on its own result changes nothing: %s', (_name, c) => {
    const first = computeHold(c.in);
    const again = computeHold({ ...c.in, currentHoldUntil: first.holdUntil });
    expect([iso(again.holdUntil), again.reason]).toEqual([iso(first.holdUntil), first.reason]);
  });

  it('held by the provider for 6 hours: the hold moves along, never shrinks, always >= now + window; then delivery + window', () => {
    let hold: DateTime = at(60);
    for (let minute = 0; minute <= 6 * h; minute += 7) {
      const now = at(minute);
      const d = computeHold(input({ now, currentHoldUntil: hold, messages: [email('held_provider_blocked')] }));
      expect(d.holdUntil >= hold).toBe(true);
      expect(d.holdUntil >= now.plus({ minutes: 60 })).toBe(true);
      expect(d.reason).toBe('waiting_for_delivery');
      hold = d.holdUntil;
    }
    expect(iso(hold)).toBe(iso(at(6 * h - 3 + 60)));
    // Delivered at last, by the MX: a full window from the delivery.
    const d = computeHold(input({ now: at(6 * h + 5), currentHoldUntil: hold, messages: [mx(at(6 * h + 2))] }));
    expect([iso(d.holdUntil), d.reason]).toEqual([iso(at(7 * h + 2)), 'window_from_delivery']);
  });

  it('returns UTC whatever zone the input is in', () => {
    const d = computeHold(input({ now: at(30).setZone('Europe/Berlin'), messages: [mx(at(5).setZone('Europe/Berlin'))] }));
    expect(d.holdUntil.zoneName).toBe('UTC');
    expect(d.holdUntil.toISO()).toBe('2026-05-04T09:05:00.000Z');
  });
});

describe('expiryReasonFor', () => {
  it.each<[string, 'not_confirmed' | 'mail_undelivered', HoldMessage[]]>([
    ['nothing ever delivered', 'mail_undelivered', [email('held_provider_blocked'), email('bounced')]],
    ['relay accepted, then delayed', 'mail_undelivered', [email('delayed', { acceptedAt: at(5), acceptedBy: 'relay' })]],
    ['still in the relay at the limit', 'mail_undelivered', [inTransit(at(5))]],
    ['delivered by report, not clicked', 'not_confirmed', [reported(at(5), at(65))]],
    ['no messages', 'mail_undelivered', []],
    ['delivered by MX, not clicked', 'not_confirmed', [mx(at(5))]],
    [
      'SMS delivered, mail bounced',
      'not_confirmed',
      [email('bounced'), { channel: 'sms', state: 'accepted', deliveredAt: at(9) }],
    ],
  ])('%s -> %s', (_name, expected, messages) => {
    expect(expiryReasonFor(input({ now: at(5 * h), messages }))).toBe(expected);
  });
});

describe('explainHold', () => {
  const zone = 'Europe/Berlin';
  const decision = (over: Partial<HoldDecision>): HoldDecision => ({
    holdUntil: utc('2026-05-04T09:00:00Z'),
    reason: 'window_from_delivery',
    delivered: true,
    upperLimit: utc('2026-05-07T08:00:00Z'),
    windowMinutes: 60,
    decidedAt: utc('2026-05-04T08:30:00Z'),
    ...over,
  });
  const blockedSinceYesterday = decision({
    delivered: false,
    reason: 'capped_by_max_hold',
    holdUntil: utc('2026-05-05T10:00:00Z'),
    upperLimit: utc('2026-05-05T10:00:00Z'),
    decidedAt: utc('2026-05-05T09:00:00Z'),
  });

  it.each<[string, HoldDecision, { familyLabel?: string; undeliveredSince?: DateTime }, string]>([
    [
      'delivered by mail, today',
      decision({ deliveredVia: 'email_mx' }),
      {},
      'Bitte bestätigen Sie Ihren Termin bis 11:00 Uhr über den Link in der E-Mail.',
    ],
    [
      'delivered by SMS, ends tomorrow',
      decision({ deliveredVia: 'sms', holdUntil: utc('2026-05-05T07:30:00Z') }),
      {},
      'Bitte bestätigen Sie Ihren Termin bis zum 05.05.2026 um 09:30 Uhr über den Link in der SMS.',
    ],
    [
      'provider blocks, hold at the limit',
      decision({
        delivered: false,
        reason: 'capped_by_slot_start',
        holdUntil: utc('2026-05-04T16:00:00Z'),
        upperLimit: utc('2026-05-04T16:00:00Z'),
        decidedAt: utc('2026-05-04T12:00:00Z'),
      }),
      { familyLabel: 'GMX', undeliveredSince: utc('2026-05-04T08:42:00Z') },
      'Ihr E-Mail-Anbieter (GMX) nimmt unsere Nachrichten seit 10:42 Uhr nicht an. Wir halten Ihren Termin bis 18:00 Uhr.',
    ],
    [
      'waiting, no provider named: the rule and the latest end',
      decision({
        delivered: false,
        reason: 'waiting_for_delivery',
        holdUntil: utc('2026-05-04T09:30:00Z'),
        undeliveredSince: utc('2026-05-04T08:00:00Z'),
      }),
      {},
      'Wir versuchen seit 10:00 Uhr, Ihnen die E-Mail mit dem Bestätigungslink zuzustellen. Wir halten Ihren Termin, bis die Nachricht ankommt, und geben Ihnen dann 60 Minuten Zeit zum Bestätigen – längstens bis zum 07.05.2026 um 10:00 Uhr.',
    ],
    [
      'provider named, no time known',
      decision({ delivered: false, reason: 'waiting_for_delivery', holdUntil: utc('2026-05-04T09:30:00Z') }),
      { familyLabel: 'Microsoft' },
      'Ihr E-Mail-Anbieter (Microsoft) nimmt unsere Nachrichten zurzeit nicht an. Wir halten Ihren Termin, bis die Nachricht ankommt, und geben Ihnen dann 60 Minuten Zeit zum Bestätigen – längstens bis zum 07.05.2026 um 10:00 Uhr.',
    ],
    [
      '"today" is the office\'s day, not UTC\'s: 23:30 Berlin, hold to 00:30',
      decision({ deliveredVia: 'email_relay', decidedAt: utc('2026-05-04T21:30:00Z'), holdUntil: utc('2026-05-04T22:30:00Z') }),
      {},
      'Bitte bestätigen Sie Ihren Termin bis zum 05.05.2026 um 00:30 Uhr über den Link in der E-Mail.',
    ],
    [
      'blocked since yesterday',
      blockedSinceYesterday,
      { familyLabel: 'GMX', undeliveredSince: utc('2026-05-04T08:42:00Z') },
      'Ihr E-Mail-Anbieter (GMX) nimmt unsere Nachrichten seit dem 04.05.2026 um 10:42 Uhr nicht an. Wir halten Ihren Termin bis 12:00 Uhr.',
    ],
    [
      'hold over',
      decision({ deliveredVia: 'email_mx', holdUntil: utc('2026-05-04T08:30:00Z') }),
      {},
      'Die Frist zur Bestätigung Ihres Termins ist abgelaufen.',
    ],
  ])('%s', (_name, d, opts, expected) => {
    expect(explainHold(d, { zone, ...opts })).toBe(expected);
  });

  it.each<[string, HoldDecision, { familyLabel?: string; undeliveredSince?: DateTime }, string]>([
    [
      'delivered by SMS, ends tomorrow',
      decision({ deliveredVia: 'sms', holdUntil: utc('2026-05-05T07:30:00Z') }),
      {},
      'Please confirm your appointment by 5 May 2026 at 09:30 using the link in the text message.',
    ],
    [
      'provider blocks since yesterday, hold at the limit',
      blockedSinceYesterday,
      { familyLabel: 'GMX', undeliveredSince: utc('2026-05-04T08:42:00Z') },
      'Your e-mail provider (GMX) has not been accepting our messages since 4 May 2026 at 10:42. We are holding your appointment until 12:00.',
    ],
    [
      'waiting: the rule and the latest end',
      decision({
        delivered: false,
        reason: 'waiting_for_delivery',
        holdUntil: utc('2026-05-04T09:30:00Z'),
        undeliveredSince: utc('2026-05-04T08:00:00Z'),
      }),
      {},
      'We have been trying since 10:00 to deliver the e-mail with the confirmation link to you. We are holding your appointment until the message arrives, and then give you 60 minutes to confirm – at the latest until 7 May 2026 at 10:00.',
    ],
    [
      'bounced',
      decision({ delivered: false, reason: 'window_from_bounce', holdUntil: utc('2026-05-04T10:00:00Z') }),
      {},
      'Your e-mail address cannot be reached: the message with the confirmation link came back as undeliverable. Please give another address or a phone number – we are holding your appointment until 12:00.',
    ],
    ['hold over', decision({ holdUntil: utc('2026-05-04T08:30:00Z') }), {}, 'The time to confirm your appointment has run out.'],
  ])('in English: %s', (_name, d, opts, expected) => {
    expect(explainHold(d, { zone, lang: 'en', ...opts })).toBe(expected);
  });

  it('explains a computed decision end to end', () => {
    const d = computeHold(input({ now: at(30), messages: [mx(at(5))] }));
    expect(explainHold(d, { zone })).toBe('Bitte bestätigen Sie Ihren Termin bis 11:05 Uhr über den Link in der E-Mail.');
  });
});
