import { Client, Pool } from 'pg';
import { createApp, RunningApp } from '../src/app.factory';
import { ManualClock } from '../src/common/clock';
import { citizen, createSlot } from './factories/scheduling.factory';
import { PrivatePostgres } from './support/private-postgres';
import { testConfig } from './support/test-app';

/**
 * The database goes away under traffic: paused (every PostgreSQL process stopped with SIGSTOP, as
 * a hung VM or a storage stall looks to the app) and resumed, then shut down and started again.
 * The app answers every request in bounded time with 201 or 503 DATABASE_UNAVAILABLE (never a
 * 500, never a hang), readiness answers within its short timeout, the app recovers without a
 * restart within 5 s, and what is in the database is exactly what was confirmed to a client:
 * a request answered 503 wrote nothing, also when its COMMIT reached the server only after the
 * pause. (Before: with PostgreSQL paused, requests and readiness hung for as long as the pause
 * and a booking committed after its client had given up.)
 */
const CONNECT_MS = 1000;
const QUERY_MS = 2000;
/** The longest a request may take while the database is away: a pooled connection's statement
 * times out (QUERY_MS), or a fresh one does not connect (CONNECT_MS); plus scheduling slack. */
const ANSWER_BOUND_MS = QUERY_MS + CONNECT_MS + 1500;

interface Outcome {
  email: string;
  status: number | 'no answer';
  code?: string;
  retryAfter?: string | null;
  ms: number;
  at: number;
}

describe('the database is paused, stopped and back', () => {
  const database = new PrivatePostgres();
  let running: RunningApp;
  let slotId: string;
  let databaseUrl: string;

  beforeAll(async () => {
    await database.start();
    databaseUrl = database.url;
    const config = testConfig({
      DB_CONNECT_TIMEOUT_MS: String(CONNECT_MS),
      DB_QUERY_TIMEOUT_MS: String(QUERY_MS),
      REQUEST_TIMEOUT_MS: '20000',
    });
    running = await createApp(config, {
      clock: new ManualClock('2026-06-01T08:00:00Z'),
      databaseUrl,
      logger: process.env.DEBUG_OUTAGE ? undefined : false,
    });
    const db = new Pool({ connectionString: databaseUrl, max: 1 });
    ({ slotId } = await createSlot(db, { capacity: 10_000, startsAt: '2026-06-10T08:00:00Z' }));
    await db.end();
  }, 60_000);

  afterAll(async () => {
    await running?.close();
    await database.close();
  });

  /** A steady stream of bookings from `workers` clients, each waiting for its answer. */
  function traffic(workers: number) {
    const outcomes: Outcome[] = [];
    let stopping = false;
    const t0 = Date.now();
    const one = async (): Promise<void> => {
      const who = citizen();
      const began = Date.now();
      try {
        const res = await fetch(`${running.url}/api/v1/bookings`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ slotId, ...who }),
          signal: AbortSignal.timeout(30_000),
        });
        const body = (await res.json().catch(() => ({}))) as { error?: { code?: string } };
        outcomes.push({
          email: who.email,
          status: res.status,
          code: body.error?.code,
          retryAfter: res.headers.get('retry-after'),
          ms: Date.now() - began,
          at: Date.now() - t0,
        });
      } catch {
        outcomes.push({ email: who.email, status: 'no answer', ms: Date.now() - began, at: Date.now() - t0 });
      }
    };
    const loops = Array.from({ length: workers }, async () => {
      while (!stopping) {
        await one();
        await new Promise((r) => setTimeout(r, 20));
      }
    });
    return {
      outcomes,
      since: () => Date.now() - t0,
      stop: async () => {
        stopping = true;
        await Promise.all(loops);
        return outcomes;
      },
    };
  }

  async function ready(): Promise<{ status: number; ms: number }> {
    const began = Date.now();
    const res = await fetch(`${running.url}/health/ready`, { signal: AbortSignal.timeout(30_000) });
    await res.text();
    return { status: res.status, ms: Date.now() - began };
  }

  /** What the database holds for these addresses, once it answers again. */
  async function written(emails: string[]) {
    const client = new Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      const { rows } = await client.query(
        `SELECT b.email,
                (SELECT count(*)::int FROM confirmation_tokens t WHERE t.booking_id = b.id) AS tokens,
                (SELECT count(*)::int FROM outbox_messages o WHERE o.booking_id = b.id) AS mails
           FROM bookings b WHERE b.email = ANY($1)`,
        [emails],
      );
      return rows as Array<{ email: string; tokens: number; mails: number }>;
    } finally {
      await client.end();
    }
  }

  async function expectExactlyTheConfirmedWritten(outcomes: Outcome[]) {
    // Give a COMMIT still in a resumed server's buffer the time to be applied, or refused.
    await new Promise((r) => setTimeout(r, QUERY_MS));
    const rows = await written(outcomes.map((o) => o.email));
    const confirmed = outcomes.filter((o) => o.status === 201).map((o) => o.email);
    expect(rows.map((r) => r.email).sort()).toEqual(confirmed.sort());
    // Nothing half-written: every booking has its token and its confirmation mail.
    expect(rows.filter((r) => r.tokens !== 1 || r.mails !== 1)).toEqual([]);
  }

  function expectOnlyBoundedAnswers(outcomes: Outcome[]) {
    const kinds = new Set(outcomes.map((o) => `${o.status} ${o.code ?? ''}`.trim()));
    expect([...kinds].sort()).toEqual(['201', '503 DATABASE_UNAVAILABLE']);
    expect(Math.max(...outcomes.map((o) => o.ms))).toBeLessThan(ANSWER_BOUND_MS);
    for (const o of outcomes.filter((x) => x.status === 503)) expect(o.retryAfter).toBe('5');
  }

  it('paused for 4 s under traffic: bounded 503s, readiness within its timeout, back within 5 s, nothing written for a 503', async () => {
    const load = traffic(4);
    await new Promise((r) => setTimeout(r, 700));
    const pids = database.pids();
    for (const pid of pids) process.kill(pid, 'SIGSTOP');
    const pausedAt = load.since();
    let readiness: { status: number; ms: number };
    try {
      await new Promise((r) => setTimeout(r, 1500));
      readiness = await ready();
      await new Promise((r) => setTimeout(r, 4000 - 1500 - readiness.ms));
    } finally {
      for (const pid of pids) process.kill(pid, 'SIGCONT');
    }
    const resumedAt = load.since();
    await new Promise((r) => setTimeout(r, 6000));
    const outcomes = await load.stop();

    expect(readiness.status).toBe(503);
    expect(readiness.ms).toBeLessThan(1500);
    expectOnlyBoundedAnswers(outcomes);
    // Bookings went through before the pause, failed during it, and go through again soon after.
    expect(outcomes.filter((o) => o.status === 201 && o.at < pausedAt).length).toBeGreaterThan(0);
    expect(outcomes.filter((o) => o.status === 503).length).toBeGreaterThan(0);
    const firstAfter = outcomes.filter((o) => o.status === 201 && o.at - o.ms > resumedAt).map((o) => o.at);
    expect(firstAfter.length).toBeGreaterThan(0);
    expect(Math.min(...firstAfter) - resumedAt).toBeLessThan(5000);
    expect((await ready()).status).toBe(200);
    await expectExactlyTheConfirmedWritten(outcomes);
  }, 60_000);

  it('shut down and started again under traffic: bounded 503s, back within 5 s of the start, nothing half-written', async () => {
    const load = traffic(4);
    await new Promise((r) => setTimeout(r, 700));
    await database.stop();
    const stoppedAt = load.since();
    await new Promise((r) => setTimeout(r, 2000));
    const whileDown = await ready();
    await database.restart();
    const startedAt = load.since();
    await new Promise((r) => setTimeout(r, 6000));
    const outcomes = await load.stop();

    expect(whileDown.status).toBe(503);
    expect(whileDown.ms).toBeLessThan(1500);
    expectOnlyBoundedAnswers(outcomes);
    expect(outcomes.filter((o) => o.status === 503 && o.at > stoppedAt).length).toBeGreaterThan(0);
    const firstAfter = outcomes.filter((o) => o.status === 201 && o.at - o.ms > startedAt).map((o) => o.at);
    expect(firstAfter.length).toBeGreaterThan(0);
    expect(Math.min(...firstAfter) - startedAt).toBeLessThan(5000);
    await expectExactlyTheConfirmedWritten(outcomes);
  }, 60_000);

  it('a booking whose transaction outlived the commit window is refused at COMMIT (the database decides, on its clock)', async () => {
    const client = new Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      const insert = `INSERT INTO bookings (id, reference, slot_id, location_id, name, email, status, hold_until, created_at, hold_started_at)
        SELECT gen_random_uuid(), $1, s.id, s.location_id, 'Late Commit', $2, 'pending', now() + interval '1 hour', now(), now()
          FROM slots s WHERE s.id = $3`;
      const late = citizen();
      await client.query('BEGIN');
      await client.query(`SET LOCAL holdfast.commit_window_ms = 300`);
      await client.query(insert, ['LATE-0001', late.email, slotId]);
      await client.query('SELECT pg_sleep(0.5)');
      await expect(client.query('COMMIT')).rejects.toMatchObject({ code: 'HF503' });
      const onTime = citizen();
      await client.query('BEGIN');
      await client.query(`SET LOCAL holdfast.commit_window_ms = 300`);
      await client.query(insert, ['LATE-0002', onTime.email, slotId]);
      await client.query('COMMIT');
      const { rows } = await client.query(`SELECT email FROM bookings WHERE email = ANY($1)`, [[late.email, onTime.email]]);
      expect(rows.map((r) => r.email)).toEqual([onTime.email]);
    } finally {
      await client.end();
    }
  });
});
