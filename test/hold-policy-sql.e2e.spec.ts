import { DateTime } from 'luxon';
import { BookingsRepository } from '../src/bookings/bookings.repository';
import { HoldService } from '../src/bookings/hold.service';
import { HoldInput, HoldMessage, holdOutcome, HoldReason, HoldSettings } from '../src/bookings/hold-policy';
import { TransactionRunner } from '../src/database/transaction-runner';
import { CONFIRMATION_KINDS, type DeliveryEvidence, type OutboxState } from '../src/outbox/outbox-states';
import { startTestApp, TestApp } from './support/test-app';

/**
 * The sweeper decides holds in SQL (BookingsRepository's HOLD_DECISIONS), everything else with the
 * pure policy (hold-policy.ts `holdOutcome`). This holds the two equal on a generated table of cases:
 * every combination of when the hold started, when the slot starts, the current hold, staff goodwill
 * and a set of confirmation messages (ties at the window's end, bounces, SMS, withdrawn mail, mail to
 * a replaced address, other kinds of mail), plus random instants down to the microsecond, under three
 * sets of settings. A rule changed in one place and not the other fails here.
 */
const NOW = DateTime.fromISO('2026-06-01T12:00:00.000Z', { zone: 'utc' });
const SETTINGS: HoldSettings[] = [
  { confirmWindowMinutes: 60, holdMaxHours: 72, confirmCutoffMinutes: 60 }, // the defaults (the app's config here)
  { confirmWindowMinutes: 15, holdMaxHours: 2, confirmCutoffMinutes: 0 },
  { confirmWindowMinutes: 90, holdMaxHours: 1, confirmCutoffMinutes: 120 },
];
const min = (m: number) => NOW.plus({ minutes: m });

interface CaseMessage {
  kind?: string;
  channel: 'email' | 'sms';
  state: OutboxState;
  /** Default: the booking's address. */
  recipient?: string;
  acceptedAt?: string | null;
  acceptedBy?: 'relay' | 'mx' | 'sms_gateway' | null;
  deliveredAt?: string | null;
  evidence?: DeliveryEvidence | null;
  failedAt?: string | null;
}
interface Case {
  email: string;
  startedAt: string;
  slotStartsAt: string;
  holdUntil: string;
  goodwillUntil: string | null;
  messages: CaseMessage[];
}

const iso = (d: DateTime) => d.toUTC().toISO()!;
/** The instant plus some microseconds (PostgreSQL keeps them; the policy, like node-postgres, sees milliseconds). */
const micro = (d: DateTime, us: number) => `${iso(d).slice(0, 23)}${String(us).padStart(3, '0')}Z`;
const mx = (at: DateTime): CaseMessage => ({
  channel: 'email',
  state: 'accepted',
  acceptedAt: iso(at),
  acceptedBy: 'mx',
  deliveredAt: iso(at),
  evidence: 'smtp',
});
const email = (state: OutboxState, over: Partial<CaseMessage> = {}): CaseMessage => ({ channel: 'email', state, ...over });

/** Message sets: each is one booking's confirmation mail and SMS as the outbox may hold them. */
const MESSAGE_SETS: Array<(e: string) => CaseMessage[]> = [
  () => [],
  () => [email('queued')],
  () => [email('sending')],
  () => [email('deferred')],
  () => [email('held_provider_blocked')],
  () => [email('in_transit', { acceptedAt: iso(min(-100)), acceptedBy: 'relay' })],
  () => [email('delayed', { acceptedAt: iso(min(-100)), acceptedBy: 'relay' })],
  () => [mx(min(-90))],
  () => [mx(min(-60))], // the window ends exactly now (W = 60): expires
  () => [mx(min(-60).plus({ milliseconds: 1 }))], // a millisecond later: runs on
  () => [{ ...mx(min(-60)), acceptedAt: micro(min(-60), 400), deliveredAt: micro(min(-60), 400) }], // microseconds later: still ends now
  () => [mx(min(-15))],
  () => [mx(min(-10))],
  // Our relay took it long ago; its report says delivered recently.
  () => [email('accepted', { acceptedAt: iso(min(-300)), acceptedBy: 'relay', deliveredAt: iso(min(-30)), evidence: 'report' })],
  () => [mx(min(-200)), mx(min(-20))], // the latest delivery counts
  () => [email('bounced', { failedAt: iso(min(-90)) })],
  () => [email('bounced', { failedAt: iso(min(-20)) })],
  () => [email('bounced', { failedAt: micro(min(-60), 700) })],
  () => [email('bounced', { failedAt: null })], // no time: not a bounce the window can start from
  () => [email('failed', { failedAt: iso(min(-90)) })], // our failure, not the address's
  () => [email('cancelled')],
  () => [email('cancelled'), email('bounced', { failedAt: iso(min(-75)) })],
  () => [
    email('bounced', { failedAt: iso(min(-90)) }),
    { kind: 'sms_confirmation', channel: 'sms', state: 'failed', failedAt: iso(min(-40)) },
  ],
  () => [email('bounced', { failedAt: iso(min(-90)) }), { kind: 'sms_confirmation', channel: 'sms', state: 'queued' }],
  () => [{ kind: 'sms_confirmation', channel: 'sms', state: 'failed', failedAt: iso(min(-40)) }], // no e-mail bounced
  () => [
    email('held_provider_blocked'),
    {
      kind: 'sms_confirmation',
      channel: 'sms',
      state: 'accepted',
      acceptedAt: iso(min(-85)),
      acceptedBy: 'sms_gateway',
      deliveredAt: iso(min(-80)),
      evidence: 'report',
    },
  ],
  // Delivered to the address the citizen has since replaced: does not count; the new one is queued.
  () => [{ ...mx(min(-90)), recipient: 'old.address@example.org' }, email('queued')],
  (e) => [{ ...mx(min(-90)), recipient: e.toUpperCase() }], // the same address in other letters counts
  () => [{ ...mx(min(-90)), kind: 'booking_closed_notice' }], // not a confirmation
];

/**
 * Every combination. The current holds and goodwill include the ties the rules name (the window
 * from now, the 72 h limit, the cutoff at the default settings, a few microseconds past now).
 */
function generatedCases(): Case[] {
  const cases: Case[] = [];
  const starts = [-10, -120, -72 * 60, -73 * 60].map(min);
  const slots = [30, 61, 3 * 24 * 60, 10 * 24 * 60].map(min);
  for (const started of starts)
    for (const slot of slots) {
      const limits = [started.plus({ hours: 72 }), slot.minus({ minutes: 60 })].map(iso);
      const holds = [
        iso(started.plus({ minutes: 60 })),
        iso(min(-1)),
        iso(NOW),
        micro(NOW, 300),
        iso(min(60)),
        iso(min(24 * 60)),
        ...limits,
      ];
      const goodwills = [null, iso(min(-10)), iso(min(60)), micro(min(60), 300), iso(started.plus({ hours: 80 })), ...limits];
      for (const holdUntil of holds)
        for (const goodwillUntil of goodwills)
          for (const messages of MESSAGE_SETS) {
            const e = `c${cases.length}@example.org`;
            cases.push({
              email: e,
              startedAt: iso(started),
              slotStartsAt: iso(slot),
              holdUntil,
              goodwillUntil,
              messages: messages(e),
            });
          }
    }
  return cases;
}

/** Random instants with microseconds (as PostgreSQL keeps them; the policy sees milliseconds). */
function randomCases(count: number): Case[] {
  let seed = 20211;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const at = (fromMinutes: number, toMinutes: number) => {
    const ms = NOW.toMillis() + Math.floor((fromMinutes + random() * (toMinutes - fromMinutes)) * 60_000);
    return `${new Date(ms).toISOString().slice(0, 23)}${String(Math.floor(random() * 1000)).padStart(3, '0')}Z`;
  };
  const states: OutboxState[] = [
    'queued',
    'deferred',
    'held_provider_blocked',
    'in_transit',
    'accepted',
    'delayed',
    'bounced',
    'failed',
    'cancelled',
  ];
  return Array.from({ length: count }, (_, i) => {
    const e = `r${i}@example.org`;
    const messages = Array.from({ length: Math.floor(random() * 3) }, (): CaseMessage => {
      const state = states[Math.floor(random() * states.length)];
      const sms = random() < 0.25;
      if (sms)
        return state === 'accepted'
          ? {
              kind: 'sms_confirmation',
              channel: 'sms',
              state,
              acceptedBy: 'sms_gateway',
              acceptedAt: at(-200, 0),
              deliveredAt: random() < 0.7 ? at(-200, 0) : null,
            }
          : {
              kind: 'sms_confirmation',
              channel: 'sms',
              state: ['bounced', 'in_transit', 'delayed'].includes(state) ? 'failed' : state,
              failedAt: at(-200, 0),
            };
      if (state === 'accepted') {
        const t = at(-200, 0);
        return { channel: 'email', state, acceptedAt: t, acceptedBy: 'mx', deliveredAt: t, evidence: 'smtp' };
      }
      if (state === 'in_transit' || state === 'delayed') return email(state, { acceptedAt: at(-200, 0), acceptedBy: 'relay' });
      return email(state, { failedAt: state === 'bounced' || state === 'failed' ? at(-200, 0) : null });
    });
    return {
      email: e,
      startedAt: at(-80 * 60, 0),
      slotStartsAt: at(10, 5 * 24 * 60),
      holdUntil: at(-120, 120),
      goodwillUntil: random() < 0.3 ? at(-60, 4 * 24 * 60) : null,
      messages,
    };
  });
}

/** As the policy sees an instant: to the millisecond (luxon, like node-postgres, drops the microseconds). */
const ms = (value: string) => DateTime.fromISO(value, { zone: 'utc' });

/** The pure policy's input for a case: its confirmation messages to the booking's current address. */
function inputOf(c: Case, settings: HoldSettings): HoldInput {
  const messages: HoldMessage[] = c.messages
    .filter((m) => (CONFIRMATION_KINDS as readonly string[]).includes(m.kind ?? 'booking_confirmation'))
    .filter((m) => m.channel !== 'email' || (m.recipient ?? c.email).toLowerCase() === c.email.toLowerCase())
    .map((m) => ({
      channel: m.channel,
      state: m.state,
      acceptedAt: m.acceptedAt ? ms(m.acceptedAt) : null,
      acceptedBy: m.acceptedBy === 'sms_gateway' ? null : (m.acceptedBy ?? null),
      deliveredAt: m.deliveredAt ? ms(m.deliveredAt) : null,
      evidence: m.evidence ?? null,
      failedAt: m.failedAt ? ms(m.failedAt) : null,
    }));
  return {
    now: NOW,
    holdStartedAt: ms(c.startedAt),
    slotStartsAt: ms(c.slotStartsAt),
    currentHoldUntil: ms(c.holdUntil),
    goodwillUntil: c.goodwillUntil ? ms(c.goodwillUntil) : null,
    messages,
    settings,
  };
}

interface Verdict {
  holdUntil: string;
  expires: boolean;
  reason: HoldReason;
  expiryReason: string;
}

describe('the sweeper’s SQL decision equals the pure hold policy', () => {
  let app: TestApp;
  let cases: Case[];
  const ids: string[] = [];

  beforeAll(async () => {
    // Thousands of generated cases in a few statements: more than the request-sized statement bound on a loaded machine.
    app = await startTestApp({ env: { DB_QUERY_TIMEOUT_MS: '60000', REQUEST_TIMEOUT_MS: '120000' } });
    cases = [...generatedCases(), ...randomCases(3000)];
    const {
      rows: [place],
    } = await app.db.query(
      `WITH l AS (INSERT INTO locations (name, address, time_zone) VALUES ('Bürgeramt Fälle', 'Am Fall 1, 45468 Mülheim', 'Europe/Berlin') RETURNING id),
            s AS (INSERT INTO services (name, duration_minutes) VALUES ('Fälle', 20) RETURNING id)
       SELECT l.id AS location, s.id AS service FROM l, s`,
    );
    // One slot per start instant (capacity is not what is decided here).
    const starts = [...new Set(cases.map((c) => c.slotStartsAt))];
    const { rows: slots } = await app.db.query(
      `INSERT INTO slots (location_id, service_id, starts_at, ends_at, capacity)
       SELECT $1, $2, t, t + interval '20 minutes', 100000 FROM unnest($3::timestamptz[]) t RETURNING id, starts_at`,
      [place.location, place.service, starts],
    );
    const slotOf = new Map(starts.map((s, i) => [s, slots[i].id as string]));
    // The bulk inserts are no request: the bookings' commit window (5 s on a connection that does not
    // set it, as the app's pool does from DB_QUERY_TIMEOUT_MS) would cut them off on a loaded machine.
    const bulk = await app.db.connect();
    await bulk.query(`SET holdfast.commit_window_ms = 120000`);
    const { rows: booked } = await bulk.query(
      `INSERT INTO bookings (reference, slot_id, location_id, name, email, status, hold_until, created_at, hold_started_at, goodwill_until)
       SELECT 'HC' || lpad(n::text, 10, '0'), t.slot, $1, 'Fall ' || n, t.email, 'pending', t.hold, t.started, t.started, t.goodwill
         FROM unnest($2::uuid[], $3::text[], $4::timestamptz[], $5::timestamptz[], $6::timestamptz[]) WITH ORDINALITY
              AS t(slot, email, hold, started, goodwill, n)
        ORDER BY n RETURNING id`,
      [
        place.location,
        cases.map((c) => slotOf.get(c.slotStartsAt)),
        cases.map((c) => c.email),
        cases.map((c) => c.holdUntil),
        cases.map((c) => c.startedAt),
        cases.map((c) => c.goodwillUntil),
      ],
    );
    ids.push(...booked.map((b) => b.id as string));
    const rows = cases.flatMap((c, i) => c.messages.map((m) => ({ booking: ids[i], c, m })));
    await bulk.query(
      `INSERT INTO outbox_messages (booking_id, kind, channel, recipient, message_id, payload, state, next_attempt_at, created_at,
                                    accepted_at, accepted_by, delivered_at, delivery_evidence, failed_at, lease_owner, lease_until,
                                    reports_requested)
       SELECT t.booking, t.kind, t.channel, t.recipient, '<case-' || n || '@holdfast.test>', '{}', t.state, $1, $1,
              t.accepted_at, t.accepted_by, t.delivered_at, t.evidence, t.failed_at,
              CASE WHEN t.state = 'sending' THEN 'case-worker' END, CASE WHEN t.state = 'sending' THEN $1::timestamptz + interval '1 minute' END,
              CASE WHEN t.state = 'in_transit' THEN true END
         FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[], $8::text[], $9::timestamptz[],
                     $10::text[], $11::timestamptz[]) WITH ORDINALITY
              AS t(booking, kind, channel, recipient, state, accepted_at, accepted_by, delivered_at, evidence, failed_at, n)`,
      [
        NOW.toJSDate(),
        rows.map((r) => r.booking),
        rows.map((r) => r.m.kind ?? 'booking_confirmation'),
        rows.map((r) => r.m.channel),
        rows.map((r) => r.m.recipient ?? r.c.email),
        rows.map((r) => r.m.state),
        rows.map((r) => r.m.acceptedAt ?? null),
        rows.map((r) => r.m.acceptedBy ?? null),
        rows.map((r) => r.m.deliveredAt ?? null),
        rows.map((r) => r.m.evidence ?? null),
        rows.map((r) => r.m.failedAt ?? null),
      ],
    );
    await bulk.query(`RESET holdfast.commit_window_ms`);
    bulk.release();
  }, 120_000);

  afterAll(() => app?.close());

  const sqlVerdicts = async (settings: HoldSettings): Promise<Map<string, Verdict>> => {
    const repo = app.app.get(BookingsRepository);
    const rows = await repo.holdDecisions(app.app.get(TransactionRunner).manager, ids, NOW.toJSDate(), settings);
    return new Map(
      rows.map((r) => [
        r.id,
        { holdUntil: r.holdUntil.toISOString(), expires: r.expires, reason: r.reason, expiryReason: r.expiryReason },
      ]),
    );
  };
  const pureVerdict = (c: Case, settings: HoldSettings): Verdict => {
    const outcome = holdOutcome(inputOf(c, settings));
    return {
      holdUntil: iso(outcome.holdUntil),
      expires: outcome.holdUntil <= NOW,
      reason: outcome.decision.reason,
      expiryReason: outcome.expiryReason,
    };
  };

  it.each(
    SETTINGS.map((s) => [
      `window ${s.confirmWindowMinutes} min, max ${s.holdMaxHours} h, cutoff ${s.confirmCutoffMinutes} min`,
      s,
    ]),
  )('on every case (%s)', async (_name, settings) => {
    const sql = await sqlVerdicts(settings as HoldSettings);
    const differences = cases
      .map((c, i) => ({ case: c, sql: sql.get(ids[i]), pure: pureVerdict(c, settings as HoldSettings) }))
      .filter((d) => JSON.stringify(d.sql) !== JSON.stringify(d.pure));
    expect({ cases: sql.size, differences: differences.slice(0, 3), count: differences.length }).toEqual({
      cases: cases.length,
      differences: [],
      count: 0,
    });
  });

  it('the cases reach every reason, both expiry reasons, and both sides of now (the table tests something)', async () => {
    const seen = { reasons: new Set<string>(), expiry: new Set<string>(), expires: new Set<boolean>() };
    for (const settings of SETTINGS)
      for (const verdict of (await sqlVerdicts(settings)).values()) {
        seen.reasons.add(verdict.reason);
        seen.expiry.add(verdict.expiryReason);
        seen.expires.add(verdict.expires);
      }
    const all: HoldReason[] = [
      'window_from_delivery',
      'waiting_for_delivery',
      'window_from_bounce',
      'kept_previous_hold',
      'goodwill',
      'capped_by_max_hold',
      'capped_by_slot_start',
    ];
    expect([...seen.reasons].sort()).toEqual([...all].sort());
    expect([...seen.expiry].sort()).toEqual(['mail_undelivered', 'not_confirmed']);
    expect([...seen.expires].sort()).toEqual([false, true]);
  });

  it('the app’s own path (HoldService reading the same rows) decides the same', async () => {
    const sql = await sqlVerdicts(SETTINGS[0]);
    const outcomes = await app.app.get(HoldService).decideHolds(app.app.get(TransactionRunner).manager, ids, NOW);
    const differences = outcomes
      .map((o) => ({
        id: o.id,
        ts: { holdUntil: iso(o.holdUntil), expires: o.holdUntil <= NOW, reason: o.decision.reason, expiryReason: o.expiryReason },
        sql: sql.get(o.id),
      }))
      .filter((d) => JSON.stringify(d.ts) !== JSON.stringify(d.sql));
    expect({ decided: outcomes.length, differences: differences.slice(0, 3) }).toEqual({
      decided: cases.length,
      differences: [],
    });
  });

  it('storing the running holds writes exactly the decided end and reason, and leaves the ended ones as they were', async () => {
    const tx = app.app.get(TransactionRunner);
    const expected = await sqlVerdicts(SETTINGS[0]);
    const { rows: before } = await app.db.query(`SELECT id, hold_until, hold_reason FROM bookings WHERE id = ANY($1::uuid[])`, [
      ids,
    ]);
    await tx
      .run(async (manager) => {
        const decided = await app.app.get(BookingsRepository).storeRunningHolds(manager, ids, NOW.toJSDate(), SETTINGS[0]);
        const { rows: after } = {
          rows: await manager.query(`SELECT id, hold_until, hold_reason FROM bookings WHERE id = ANY($1::uuid[])`, [ids]),
        };
        const was = new Map(before.map((b) => [b.id, b]));
        const wrong = after.filter((b: { id: string; hold_until: Date; hold_reason: string | null }) => {
          const v = expected.get(b.id)!;
          const ends = v.expires;
          const w = was.get(b.id)!;
          return ends
            ? b.hold_until.getTime() !== w.hold_until.getTime() || b.hold_reason !== w.hold_reason
            : b.hold_until.toISOString() !== v.holdUntil || b.hold_reason !== v.reason;
        });
        expect({ wrong: wrong.slice(0, 3) }).toEqual({ wrong: [] });
        expect(
          decided
            .filter((d) => d.expires)
            .map((d) => d.id)
            .sort(),
        ).toEqual(
          [...expected]
            .filter(([, v]) => v.expires)
            .map(([id]) => id)
            .sort(),
        );
        throw new Error('rollback');
      })
      .catch((err: Error) => {
        if (err.message !== 'rollback') throw err;
      });
  });
});
