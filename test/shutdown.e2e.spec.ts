import { Pool } from 'pg';
import { DateTime } from 'luxon';
import { citizen, createSlot } from './factories/scheduling.factory';
import { AppProcess, ensureBuilt } from './support/app-process';
import { eventually } from './support/eventually';
import { freePort } from './support/ports';
import { ScriptedSmtpServer } from './support/scripted-smtp';
import { createTestDatabase } from './support/test-database';

const BOOKINGS = 24;

/**
 * SIGTERM while the dispatcher sends a batch, to the built app in production mode as its own
 * process: readiness answers 503 at once, the running round sends and records what it claimed,
 * nothing more is claimed, the process exits 0. Started again, it sends the rest: every mail
 * arrives exactly once and no attempt failed.
 */
describe('shutdown on SIGTERM', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let db: Pool;
  const relay = new ScriptedSmtpServer();
  const apps: AppProcess[] = [];

  beforeAll(async () => {
    ensureBuilt();
    database = await createTestDatabase();
    db = new Pool({ connectionString: database.url, max: 2 });
    // Slow enough that a batch is still being sent when the signal comes.
    relay.dataDelayMs = 150;
    await relay.start();
  }, 180_000);

  afterAll(async () => {
    for (const app of apps) await app.kill();
    await relay.stop();
    await db?.end();
    await database?.drop();
  });

  const env = async (): Promise<Record<string, string>> => ({
    NODE_ENV: 'production',
    DATABASE_URL: database.url,
    SMTP_URL: `smtp://127.0.0.1:${relay.port}`,
    APP_SECRET: 'shutdown-test-secret-0123456789abcdefghij',
    PUBLIC_BASE_URL: 'http://localhost',
    PORT: String(await freePort()),
    HOST: '127.0.0.1',
    RATE_LIMIT_PER_MINUTE: '0',
    MX_LOOKUP: 'false',
    DISPATCH_INTERVAL_MS: '20',
    DISPATCH_BATCH_SIZE: '6',
    SMTP_POOL_SIZE: '2',
    SHUTDOWN_TIMEOUT_MS: '20000',
  });

  const states = async () =>
    (await db.query<{ state: string; n: number }>(`SELECT state, count(*)::int AS n FROM outbox_messages GROUP BY state`)).rows;

  it('finishes the running dispatch round, loses no mail, sends none twice and exits 0', async () => {
    const { slotId } = await createSlot(db, {
      capacity: BOOKINGS,
      startsAt: DateTime.utc().plus({ days: 3 }).startOf('hour').toISO()!,
    });
    const first = new AppProcess(await env());
    apps.push(first);
    first.start();
    await first.ready();
    for (let i = 0; i < BOOKINGS; i++) {
      const who = citizen();
      const res = await fetch(`${first.url}/api/v1/bookings`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ slotId, name: who.name, email: who.email }),
      });
      expect(res.status).toBe(201);
    }
    // Mid-batch: some mail is on the wire, most still queued.
    await eventually(
      async () => relay.dataStarted,
      (n) => n >= 4,
    );
    expect(relay.dataStarted).toBeLessThan(BOOKINGS);
    first.signal('SIGTERM');
    // At once (as soon as the signal is handled, while the round still runs): the load balancer must stop sending requests here.
    const ready = await eventually(
      () =>
        fetch(`${first.url}/health/ready`).then(
          async (res) => ({ status: res.status, body: await res.json() }),
          () => ({ status: 0, body: undefined }),
        ),
      (r) => r.status !== 200,
      2000,
      5,
    );
    expect(ready.status).toBe(503);
    expect(ready.body.error.code).toBe('NOT_READY');
    const { code, signal } = await first.exited();
    expect({ code, signal }).toEqual({ code: 0, signal: null });

    // Nothing is left claimed: what the round held was sent and recorded, the rest never claimed.
    const afterFirst = await states();
    expect(afterFirst.find((s) => s.state === 'sending')).toBeUndefined();
    const handedOver = afterFirst.filter((s) => ['in_transit', 'accepted'].includes(s.state)).reduce((n, s) => n + s.n, 0);
    expect(handedOver).toBe(relay.received.length);
    expect(handedOver).toBeGreaterThan(0);
    expect(handedOver).toBeLessThan(BOOKINGS);

    // Started again, it sends the rest.
    const second = new AppProcess(await env());
    apps.push(second);
    second.start();
    await second.ready();
    await eventually(states, (rows) => rows.every((s) => ['in_transit', 'accepted'].includes(s.state)), 30_000);
    second.signal('SIGTERM');
    expect(await second.exited()).toEqual({ code: 0, signal: null });

    const { rows: messages } = await db.query<{ message_id: string }>(`SELECT message_id FROM outbox_messages`);
    expect(messages).toHaveLength(BOOKINGS);
    const received = relay.received.map((m) => m.messageId);
    // Exactly once each: no mail lost, none sent twice.
    expect(received).toHaveLength(BOOKINGS);
    expect(new Set(received)).toEqual(new Set(messages.map((m) => m.message_id)));
    // No attempt failed on a closed pool or a closed database during the shutdown.
    const { rows: attempts } = await db.query<{ outcome: string; n: number }>(
      `SELECT outcome, count(*)::int AS n FROM mail_attempts GROUP BY outcome`,
    );
    expect(attempts).toEqual([{ outcome: 'accepted', n: BOOKINGS }]);
  }, 120_000);
});
