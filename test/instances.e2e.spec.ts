import { Pool } from 'pg';
import { createApp, RunningApp } from '../src/app.factory';
import { ManualClock } from '../src/common/clock';
import { loadConfig } from '../src/config/app-config';
import { ExpirySweeperService } from '../src/bookings/expiry-sweeper.service';
import { DispatcherService } from '../src/notifications/dispatcher.service';
import { citizen, createSlot } from './factories/scheduling.factory';
import { ScriptedSmtpServer } from './support/scripted-smtp';
import { createTestDatabase } from './support/test-database';
import { http, restoreClockAfterEach } from './support/test-app';

/**
 * Two instances of the app on one database and one clock, sending through `relay` (a relay without
 * reports whose 250 counts as delivered at once), as a city runs them. Started before the suite.
 */
function twoInstances(relay: ScriptedSmtpServer, clock: ManualClock, env: Record<string, string> = {}) {
  const running = {} as { a: RunningApp; b: RunningApp; pool: Pool };
  let db: { url: string; drop(): Promise<void> };
  restoreClockAfterEach(() => clock);
  beforeAll(async () => {
    const smtpUrl = await relay.start();
    db = await createTestDatabase();
    const config = loadConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      WORKERS_ENABLED: 'false',
      SEED_DEMO: 'false',
      SMTP_URL: smtpUrl,
      RELAY_TRANSIT_MINUTES: '0',
      MX_LOOKUP: 'false',
      RATE_LIMIT_PER_MINUTE: '0', // every client here is 127.0.0.1
      PUBLIC_BASE_URL: 'http://holdfast.test',
      // These tests are about sharing work, not about time bounds (test/database-outage.e2e.spec.ts):
      // 120 bookings of one slot at once queue on its row lock, longer than 5 s on a loaded 2-core machine.
      DB_QUERY_TIMEOUT_MS: '20000',
      REQUEST_TIMEOUT_MS: '40000',
      ...env,
    });
    running.a = await createApp(config, { clock, databaseUrl: db.url, logger: false });
    running.b = await createApp(config, { clock, databaseUrl: db.url, logger: false });
    running.pool = new Pool({ connectionString: db.url, max: 2 });
  });
  afterAll(async () => {
    await running.pool.end();
    await running.a.close();
    await running.b.close();
    await db.drop();
    await relay.stop();
  });
  // Filled in by beforeAll: read it in the suite's own beforeAll or tests.
  return running;
}

/** Two instances of the app on one database, as a city runs them: work is shared, never doubled. */
describe('several instances on one database', () => {
  // A relay that gives no reports, with the transit rule at 0 minutes: what it takes counts as
  // delivered at once, so the sweepers below have bookings whose window ran out.
  const relay = new ScriptedSmtpServer({ dsn: false });
  const clock = new ManualClock('2026-06-01T08:00:00Z');
  const run = twoInstances(relay, clock);
  let a: RunningApp;
  let b: RunningApp;
  let pool: Pool;
  beforeAll(() => ({ a, b, pool } = run));

  it('bookings through both, dispatched by both at once: every mail goes out exactly once', async () => {
    const { slotId } = await createSlot(pool, { capacity: 200, startsAt: '2026-06-02T08:00:00Z' });
    const emails: string[] = [];
    await Promise.all(
      Array.from({ length: 120 }, async (_, i) => {
        const who = citizen();
        emails.push(who.email);
        const res = await http(i % 2 ? a : b, 'POST', '/api/v1/bookings', { body: { slotId, ...who } });
        expect([res.status, res.body?.error?.code]).toEqual([201, undefined]);
      }),
    );
    const da = a.app.get(DispatcherService);
    const dbb = b.app.get(DispatcherService);
    for (let round = 0; round < 6; round++) await Promise.all([da.dispatchOnce(), dbb.dispatchOnce()]);
    for (const email of emails) expect(relay.received.filter((r) => r.to.includes(email))).toHaveLength(1);
    const { rows } = await pool.query(`SELECT worker, count(*)::int AS n FROM mail_attempts GROUP BY worker`);
    expect(rows.length).toBe(2); // both instances did part of the work
    expect(rows.reduce((s, r) => s + r.n, 0)).toBe(120);
  });

  it('two sweepers at once expire each booking once and give back each place once', async () => {
    const { slotId } = await createSlot(pool, { capacity: 50, startsAt: '2026-06-03T08:00:00Z' });
    for (let i = 0; i < 40; i++) await http(a, 'POST', '/api/v1/bookings', { body: { slotId, ...citizen() } });
    await Promise.all([a.app.get(DispatcherService).dispatchOnce(), b.app.get(DispatcherService).dispatchOnce()]);
    await Promise.all([a.app.get(DispatcherService).dispatchOnce(), b.app.get(DispatcherService).dispatchOnce()]);
    // Every pending booking is due (these 40, and any an earlier test left): each expired by exactly one sweeper.
    const pending = (await pool.query(`SELECT count(*)::int AS n FROM bookings WHERE status = 'pending'`)).rows[0].n;
    expect(pending).toBeGreaterThanOrEqual(40);
    const start = clock.now();
    clock.advance({ minutes: 61 });
    try {
      const [x, y] = await Promise.all([a.app.get(ExpirySweeperService).sweep(), b.app.get(ExpirySweeperService).sweep()]);
      expect(x + y).toBe(pending);
    } finally {
      clock.set(start);
    }
    const { rows } = await pool.query(`SELECT sum(booked)::int AS booked FROM slots`);
    expect(rows[0]).toEqual({ booked: 0 });
    // Every booking the two swept (these 40 and any left before): expired once, as not confirmed (the mail had arrived).
    const swept = await pool.query(
      `SELECT count(*) FILTER (WHERE status = 'expired')::int AS expired, count(*) FILTER (WHERE status = 'pending')::int AS pending,
              count(*) FILTER (WHERE status = 'expired' AND expiry_reason IS DISTINCT FROM 'not_confirmed')::int AS other_reason
         FROM bookings`,
    );
    expect(swept.rows[0]).toEqual({ expired: pending, pending: 0, other_reason: 0 });
    const expired = await pool.query(
      `SELECT count(*)::int AS n FROM bookings WHERE slot_id = $1 AND status = 'expired' AND expiry_reason = 'not_confirmed'`,
      [slotId],
    );
    expect(expired.rows[0].n).toBe(40);
  });
});

/**
 * A slow relay and a short lease: instance A claims three mails and sends them one by one; while
 * it waits for the relay's first answer its lease runs out and instance B takes the three over.
 * A must not send the two it has not started (before: both went out twice, and A's acceptances
 * were thrown away); the one in flight goes out twice at most (at least once, never lost), and
 * A's late acceptance is recorded as an attempt.
 */
describe('a lease that runs out mid-batch', () => {
  const relay = new ScriptedSmtpServer({ dsn: false });
  const clock = new ManualClock('2026-06-01T08:00:00Z');
  const run = twoInstances(relay, clock, { OUTBOX_LEASE_SECONDS: '5', SMTP_POOL_SIZE: '1', DB_POOL_SIZE: '3' });
  let a: RunningApp;
  let b: RunningApp;
  let pool: Pool;
  beforeAll(() => ({ a, b, pool } = run));

  it('the worker that lost the lease sends nothing more; every mail goes out, none is left sending', async () => {
    const { slotId } = await createSlot(pool, { capacity: 5, startsAt: '2026-06-02T08:00:00Z' });
    for (let i = 0; i < 3; i++)
      expect((await http(a, 'POST', '/api/v1/bookings', { body: { slotId, ...citizen() } })).status).toBe(201);
    relay.dataDelayMs = 800;
    try {
      const roundA = a.app.get(DispatcherService).dispatchOnce('worker-a');
      while (relay.dataStarted === 0) await new Promise((resolve) => setTimeout(resolve, 10));
      clock.advance({ seconds: 6 }); // A's lease has run out
      await b.app.get(DispatcherService).dispatchOnce('worker-b');
      await roundA;
    } finally {
      relay.dataDelayMs = 0;
    }
    const { rows: messages } = await pool.query(`SELECT message_id, state FROM outbox_messages ORDER BY created_at`);
    expect(messages.map((m) => m.state)).toEqual(['accepted', 'accepted', 'accepted']);
    const sends = messages.map((m) => relay.received.filter((r) => r.messageId === m.message_id).length).sort();
    // The one in flight when B took over twice, the two A had not started once each.
    expect(sends).toEqual([1, 1, 2]);
    const { rows: attempts } = await pool.query(
      `SELECT worker, outcome, reply LIKE '(after the lease ran out)%' AS late, count(*)::int AS n FROM mail_attempts
        GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
    );
    expect(attempts).toEqual([
      { worker: 'worker-a', outcome: 'accepted', late: true, n: 1 },
      { worker: 'worker-a', outcome: 'lease_expired', late: false, n: 3 },
      { worker: 'worker-b', outcome: 'accepted', late: false, n: 3 },
    ]);
  }, 30_000);

  it('each instance keeps to DB_POOL_SIZE connections: 40 bookings at once wait for them, none fails', async () => {
    const { slotId } = await createSlot(pool, { capacity: 50, startsAt: '2026-06-04T08:00:00Z' });
    let most = 0,
      sampling = true;
    const sampler = (async () => {
      for (; sampling; await new Promise((resolve) => setTimeout(resolve, 5))) {
        const { rows } = await pool.query(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'holdfast' AND datname = current_database()`,
        );
        most = Math.max(most, rows[0].n);
      }
    })();
    const statuses = await Promise.all(
      Array.from(
        { length: 40 },
        async (_, i) => (await http(i % 2 ? a : b, 'POST', '/api/v1/bookings', { body: { slotId, ...citizen() } })).status,
      ),
    );
    sampling = false;
    await sampler;
    expect(statuses.filter((s) => s === 201)).toHaveLength(40);
    expect(most).toBeGreaterThan(0);
    expect(most).toBeLessThanOrEqual(6); // two instances × 3
  });
});
