import { Pool } from 'pg';
import { createApp, RunningApp } from '../src/app.factory';
import { ExpirySweeperService } from '../src/bookings/expiry-sweeper.service';
import { ManualClock } from '../src/common/clock';
import { DispatcherService } from '../src/notifications/dispatcher.service';
import { createSlot } from './factories/scheduling.factory';
import { Pgbouncer, pgbouncerVersion } from './support/pgbouncer';
import { createTestDatabase } from './support/test-database';
import { confirmTokenOfQueued, http, testConfig, TestApp } from './support/test-app';

/**
 * The app through Debian's PgBouncer in transaction-pooling mode (3 server connections for the
 * app's pool of 20): no session state survives a transaction there. Configured as README's
 * "Scaling out" says: no named statements (PgBouncer < 1.21), no start-up parameters (the
 * database's settings give the timeouts and the commit window), the start-up migration direct.
 */
function atLeast(version: string, [major, minor]: [number, number]): boolean {
  const [a, b] = version.split('.').map(Number);
  return a > major || (a === major && b >= minor);
}

describe('behind PgBouncer (transaction pooling)', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let bouncer: Pgbouncer;
  let running: RunningApp;
  let app: TestApp;
  beforeAll(async () => {
    database = await createTestDatabase();
    const name = database.name;
    const direct = new Pool({ connectionString: database.url, max: 1 });
    for (const setting of [
      `statement_timeout = '4500ms'`,
      `idle_in_transaction_session_timeout = '10s'`,
      `"holdfast.commit_window_ms" = '5000'`,
    ])
      await direct.query(`ALTER DATABASE "${name}" SET ${setting}`);
    await direct.end();
    bouncer = new Pgbouncer(database.url);
    await bouncer.start();
    const config = testConfig({
      DATABASE_MIGRATION_URL: database.url,
      // PgBouncer 1.21 and later keep protocol-level prepared statements (max_prepared_statements); Debian's may be older.
      DB_PREPARED_STATEMENTS: String(atLeast(pgbouncerVersion(), [1, 21])),
      DB_STARTUP_PARAMETERS: 'false',
    });
    const clock = new ManualClock('2026-06-01T08:00:00Z');
    running = await createApp(config, {
      clock,
      databaseUrl: bouncer.url,
      logger: false,
      mxResolver: { resolveMx: async () => [] },
    });
    app = { ...running, clock, config, db: new Pool({ connectionString: bouncer.url, max: 4 }) };
  }, 60_000);
  afterAll(async () => {
    await app?.db.end();
    await running?.close();
    await bouncer?.stop();
    await database?.drop();
  });

  it('bookings, mail dispatch and the sweeper work; the timeouts and the commit window hold on every server connection', async () => {
    const { slotId } = await createSlot(app.db, { startsAt: '2026-06-03T08:00:00Z', capacity: 31 });
    // 30 bookings at once over 3 server connections: every transaction on whichever connection is free.
    const made = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        http(app, 'POST', '/api/v1/bookings', { body: { slotId, name: `Erika ${i}`, email: `erika.${i}@example.org` } }),
      ),
    );
    expect(made.map((r) => r.status)).toEqual(Array(30).fill(201));
    // One more for a taken address and slot: refused, as directly.
    const twice = await http(app, 'POST', '/api/v1/bookings', { body: { slotId, name: 'Erika', email: 'erika.0@example.org' } });
    expect([twice.status, twice.body.error.code]).toEqual([409, 'BOOKING_LIMIT_SLOT']);
    expect((await app.db.query(`SELECT booked FROM slots WHERE id = $1`, [slotId])).rows[0].booked).toBe(30);

    await app.app.get(DispatcherService).dispatchOnce();
    const states = (await app.db.query(`SELECT state, count(*)::int AS n FROM outbox_messages GROUP BY state`)).rows;
    expect(states).toEqual([{ state: 'accepted', n: 30 }]);

    const first = made[0].body as { id: string };
    const confirmed = await http(app, 'POST', '/api/v1/confirmations', {
      body: { token: await confirmTokenOfQueued(app, first.id) },
    });
    expect(confirmed.status).toBe(200);
    app.clock.advance({ hours: 2 });
    expect(await app.app.get(ExpirySweeperService).sweep()).toBe(29);
    expect((await app.db.query(`SELECT booked FROM slots WHERE id = $1`, [slotId])).rows[0].booked).toBe(1);

    // The server-side settings every pooled connection has, without start-up parameters.
    const settings = await Promise.all(
      Array.from({ length: 6 }, () =>
        app.db.query(
          `SELECT current_setting('statement_timeout') AS st, current_setting('holdfast.commit_window_ms', true) AS cw`,
        ),
      ),
    );
    expect(settings.map((r) => r.rows[0])).toEqual(Array(6).fill({ st: '4500ms', cw: '5000' }));
    expect(bouncer.log).not.toMatch(/prepared statement .* (does not exist|already exists)/);
  });
});
