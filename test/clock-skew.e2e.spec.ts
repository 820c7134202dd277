import { DateTime } from 'luxon';
import { Pool } from 'pg';
import { createApp, RunningApp } from '../src/app.factory';
import { ExpirySweeperService } from '../src/bookings/expiry-sweeper.service';
import { Clock } from '../src/common/clock';
import { ClockGuard } from '../src/common/clock-guard.service';
import { loadConfig } from '../src/config/app-config';
import { citizen, createSlot } from './factories/scheduling.factory';
import { createTestDatabase } from './support/test-database';
import { http } from './support/test-app';

/** The real time, shifted by `offsetMs`: a server whose clock runs ahead or behind. */
class SkewedClock extends Clock {
  constructor(public offsetMs = 0) {
    super();
  }
  now(): DateTime {
    return DateTime.utc().plus({ milliseconds: this.offsetMs });
  }
}

/**
 * An instance whose clock ran two hours ahead expired bookings with an hour left. Each instance
 * decides with its own clock, so the clocks must agree: the app compares its clock with the
 * database's and refuses (to start; later, to sweep, dispatch and be ready) beyond CLOCK_SKEW_MAX_MS.
 */
describe("a server whose clock disagrees with the database's", () => {
  let db: { url: string; drop(): Promise<void> };
  let pool: Pool;
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    WORKERS_ENABLED: 'false',
    SEED_DEMO: 'false',
    CLOCK_SKEW_MAX_MS: '1000',
  });

  beforeAll(async () => {
    db = await createTestDatabase();
    pool = new Pool({ connectionString: db.url, max: 2 });
  });
  afterAll(async () => {
    await pool.end();
    await db.drop();
  });

  it('two hours ahead: the app does not start, and says why', async () => {
    await expect(
      createApp(config, { clock: new SkewedClock(2 * 3600_000), clockGuard: true, databaseUrl: db.url, logger: false }),
    ).rejects.toThrow(/clock is 7[12]\d{5} ms ahead of the database's \(CLOCK_SKEW_MAX_MS=1000\)/);
  });

  it('in sync it starts; drifting two hours ahead later, it expires nothing and is not ready until the clocks agree', async () => {
    const clock = new SkewedClock(0);
    let app: RunningApp | undefined;
    try {
      app = await createApp(config, { clock, clockGuard: true, databaseUrl: db.url, logger: false });
      expect((await http(app, 'GET', '/health/ready')).status).toBe(200);
      const { slotId } = await createSlot(pool, { capacity: 2, startsAt: DateTime.utc().plus({ days: 3 }).toISO()! });
      const booked = await http(app, 'POST', '/api/v1/bookings', { body: { slotId, ...citizen() } });
      expect(booked.status).toBe(201); // held for about an hour

      clock.offsetMs = 2 * 3600_000;
      const guard = app.app.get(ClockGuard);
      expect(await guard.measureSkewMs()).toBeGreaterThan(7_100_000);
      expect(await app.app.get(ExpirySweeperService).sweep()).toBe(0);
      const { rows } = await pool.query(`SELECT status FROM bookings WHERE id = $1`, [booked.body.id]);
      expect(rows[0].status).toBe('pending');
      const ready = await http(app, 'GET', '/health/ready');
      expect([ready.status, ready.body.error.code]).toEqual([503, 'CLOCK_SKEW']);

      clock.offsetMs = 0;
      await guard.measureSkewMs();
      expect((await http(app, 'GET', '/health/ready')).status).toBe(200);
    } finally {
      await app?.close();
    }
  });
});
