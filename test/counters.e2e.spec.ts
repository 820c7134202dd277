import { DataSource } from 'typeorm';
import { APP_ENTITIES } from '../src/app.entities';
import { dataSourceOptions } from '../src/database/data-source-options';
import { ExpirySweeperService } from '../src/bookings/expiry-sweeper.service';
import { DispatcherService } from '../src/notifications/dispatcher.service';
import { SchedulingService } from '../src/scheduling/scheduling.service';
import { citizen } from './factories/scheduling.factory';
import { createTestDatabase } from './support/test-database';
import { http, restoreClockAfterEach, startTestApp, TestApp } from './support/test-app';

/**
 * Capacity is counters over time: an office's counters are shared by all its services. Three
 * counters at 08:00 take three people, whatever they come for; a 20-minute service takes its
 * counter for two 10-minute units. The database keeps it (trigger slots_counters, CHECK on
 * counter_units), so concurrency cannot overbook it.
 */
describe('counters shared by all services, over time', () => {
  let app: TestApp;
  restoreClockAfterEach(() => app?.clock);
  beforeAll(async () => {
    app = await startTestApp({ clockStart: '2026-06-01T04:00:00Z' }); // Monday, 06:00 in Berlin
  }, 60_000);
  afterAll(() => app?.close());

  /** An office with Monday 08–12 three counters and 12–14 two, 10-minute units, and three services. */
  async function office(day = 1, zone = 'Europe/Berlin') {
    const tag = Math.random().toString(36).slice(2, 8);
    const {
      rows: [location],
    } = await app.db.query(
      `INSERT INTO locations (name, address, time_zone, unit_minutes) VALUES ($1, 'Markt 1', $2, 10) RETURNING id`,
      [`Bürgeramt Zähler ${tag}`, zone],
    );
    await app.db.query(
      `INSERT INTO opening_hours (location_id, weekday, opens, closes, counters) VALUES ($1, $2, '08:00', '12:00', 3), ($1, $2, '12:00', '14:00', 2)`,
      [location.id, day],
    );
    const services: Record<string, string> = {};
    for (const [name, minutes] of [
      ['Personalausweis', 10],
      ['Reisepass', 20],
      ['Anmeldung', 30],
    ] as const) {
      const {
        rows: [row],
      } = await app.db.query(`INSERT INTO services (name, duration_minutes) VALUES ($1, $2) RETURNING id`, [
        `${name} ${tag}`,
        minutes,
      ]);
      services[name] = row.id;
    }
    await app.app.get(SchedulingService).generateForLocation(location.id, 3);
    const slotAt = async (service: string, startsAt: string) =>
      (
        await app.db.query(`SELECT id FROM slots WHERE location_id = $1 AND service_id = $2 AND starts_at = $3`, [
          location.id,
          services[service],
          startsAt,
        ])
      ).rows[0]?.id as string;
    return { locationId: location.id as string, services, slotAt };
  }

  const book = (slotId: string) => {
    const who = citizen();
    return http(app, 'POST', '/api/v1/bookings', { body: { slotId, name: who.name, email: who.email } });
  };

  /** Per unit: its counters, what it holds, and how many active bookings overlap it (by their slots). */
  const units = async (locationId: string) =>
    (
      await app.db.query(
        `SELECT u.starts_at, u.counters, u.reserved,
                (SELECT count(*)::int FROM bookings b JOIN slots s ON s.id = b.slot_id
                  WHERE b.status IN ('pending', 'confirmed') AND s.location_id = u.location_id
                    AND s.starts_at < u.ends_at AND s.ends_at > u.starts_at) AS overlapping
           FROM counter_units u WHERE u.location_id = $1 ORDER BY u.starts_at`,
        [locationId],
      )
    ).rows as Array<{ starts_at: Date; counters: number; reserved: number; overlapping: number }>;

  it('three counters, 30 concurrent bookings of three services around 08:00: never more than three at once', async () => {
    const { locationId, services, slotAt } = await office();
    const starts = ['06:00', '06:10', '06:20'].map((t) => `2026-06-01T${t}:00Z`); // 08:00–08:20 in Berlin
    const slots: string[] = [];
    for (let i = 0; i < 30; i++) slots.push(await slotAt(['Personalausweis', 'Reisepass', 'Anmeldung'][i % 3], starts[i % 3]));
    expect(slots.every(Boolean)).toBe(true);
    const results = await Promise.all(slots.map(book));
    const codes = results.map((r) => (r.status === 201 ? 201 : r.body.error.code));
    expect(new Set(codes)).toEqual(new Set([201, 'SLOT_FULL']));
    const made = codes.filter((c) => c === 201).length;
    expect(made).toBeGreaterThanOrEqual(3);
    const all = await units(locationId);
    // At no instant more than three overlapping bookings; every unit holds exactly what overlaps it.
    expect(all.filter((u) => u.overlapping > u.counters)).toEqual([]);
    expect(all.filter((u) => u.reserved !== u.overlapping)).toEqual([]);
    expect(Math.max(...all.map((u) => u.overlapping))).toBe(3);
    // A full unit: no service lists a start whose units include it.
    const full = all.filter((u) => u.reserved >= u.counters).map((u) => u.starts_at.getTime());
    expect(full).toContain(Date.parse(starts[0]));
    for (const serviceId of Object.values(services)) {
      const listed = (
        await http(app, 'GET', `/api/v1/slots?locationId=${locationId}&serviceId=${serviceId}&from=2026-06-01&to=2026-06-02`)
      ).body as Array<{ startsAt: string; endsAt: string }>;
      const blocked = listed.filter((s) => full.some((f) => f >= Date.parse(s.startsAt) && f < Date.parse(s.endsAt)));
      expect(blocked).toEqual([]);
    }
  });

  it('the free times are exactly the starts whose units all have a free counter, and each is bookable', async () => {
    const { locationId, services, slotAt } = await office();
    // Two counters taken 08:00–08:30 by two 30-minute bookings, the third 08:10–08:20 by a 10-minute one.
    for (const [service, at] of [
      ['Anmeldung', '06:00'],
      ['Anmeldung', '06:00'],
      ['Personalausweis', '06:10'],
    ] as const)
      expect((await book(await slotAt(service, `2026-06-01T${at}:00Z`))).status).toBe(201);
    const listed = async (service: string) =>
      (
        await http(
          app,
          'GET',
          `/api/v1/slots?locationId=${locationId}&serviceId=${services[service]}&from=2026-06-01&to=2026-06-02`,
        )
      ).body as Array<{ id: string; startsAt: string }>;
    const ten = (await listed('Personalausweis')).map((s) => s.startsAt.slice(11, 16));
    const twenty = (await listed('Reisepass')).map((s) => s.startsAt.slice(11, 16));
    // 08:10 is full; a 20-minute service cannot start at 08:00 (it would need 08:10 too).
    expect(ten.slice(0, 3)).toEqual(['08:00', '08:20', '08:30']);
    expect(twenty.slice(0, 2)).toEqual(['08:20', '08:30']);
    // Across the period boundary: 13:40 is the last start of a 20-minute service (closing at 14:00).
    expect(twenty.at(-1)).toBe('13:40');
    expect(twenty).toContain('11:50');
    const first = (await listed('Reisepass'))[0];
    expect((await book(first.id)).status).toBe(201);
    expect((await units(locationId)).filter((u) => u.reserved !== u.overlapping)).toEqual([]);
  });

  it('a booking needs a counter in every unit it spans: 11:50 for 20 minutes runs into the two-counter period', async () => {
    const { locationId, slotAt } = await office();
    for (let i = 0; i < 2; i++) expect((await book(await slotAt('Personalausweis', '2026-06-01T10:00:00Z'))).status).toBe(201); // 12:00
    const refused = await book(await slotAt('Reisepass', '2026-06-01T09:50:00Z')); // 11:50–12:10
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('SLOT_FULL');
    expect((await book(await slotAt('Personalausweis', '2026-06-01T09:50:00Z'))).status).toBe(201); // 11:50–12:00
    const all = await units(locationId);
    expect(all.filter((u) => u.reserved !== u.overlapping || u.reserved > u.counters)).toEqual([]);
  });

  it('cancelling and expiring (the sweeper releases in bulk) give the counters back', async () => {
    const { locationId, slotAt } = await office();
    const made = await book(await slotAt('Anmeldung', '2026-06-01T08:00:00Z'));
    expect(made.status).toBe(201);
    const held = async () => (await units(locationId)).filter((u) => u.reserved > 0).length;
    expect(await held()).toBe(3);
    const cancelled = await http(app, 'POST', `/api/v1/bookings/${made.body.id}/cancel`, {
      headers: { 'x-booking-token': made.body.statusToken },
    });
    expect(cancelled.status).toBe(200);
    expect(await held()).toBe(0);
    // Expiry: the mail delivered, its hour of confirmation over, the sweeper's bulk release.
    const lapsing = await book(await slotAt('Reisepass', '2026-06-01T08:00:00Z'));
    expect(await held()).toBe(2);
    await app.app.get(DispatcherService).dispatchOnce();
    app.clock.advance({ hours: 2 });
    expect(await app.app.get(ExpirySweeperService).sweep()).toBeGreaterThanOrEqual(1);
    expect((await app.db.query(`SELECT status FROM bookings WHERE id = $1`, [lapsing.body.id])).rows[0].status).toBe('expired');
    expect(await held()).toBe(0);
  });

  it('DST: on the day clocks go forward the units start at 08:00 local time and hold three', async () => {
    app.clock.set('2026-03-28T12:00:00Z');
    const { locationId, slotAt } = await office(7); // Sunday 2026-03-29, the switch to summer time
    const all = await units(locationId);
    expect(all[0].starts_at.toISOString()).toBe('2026-03-29T06:00:00.000Z'); // 08:00 CEST
    expect(all.at(-1)!.starts_at.toISOString()).toBe('2026-03-29T11:50:00.000Z'); // 13:50 CEST
    const slot = await slotAt('Personalausweis', '2026-03-29T06:00:00Z');
    const results = await Promise.all(Array.from({ length: 6 }, () => book(slot)));
    expect(results.filter((r) => r.status === 201)).toHaveLength(3);
  });
});

describe('the migration to counters', () => {
  it('carries slots and bookings over: units with what the bookings hold, old overbooking kept and marked, nothing lost', async () => {
    const db = await createTestDatabase();
    const ds = new DataSource(dataSourceOptions(db.url, { entities: APP_ENTITIES }));
    await ds.initialize();
    try {
      // The schema before counters: every migration after CounterUnits undone, then CounterUnits.
      while (
        (await ds.query(`SELECT name FROM typeorm_migrations ORDER BY id DESC LIMIT 1`))[0].name !== 'CounterUnits1764440000000'
      )
        await ds.undoLastMigration();
      await ds.undoLastMigration();
      const [{ id: locationId }] = await ds.query(
        `INSERT INTO locations (name, address, time_zone) VALUES ('Altamt', 'Weg 1', 'Europe/Berlin') RETURNING id`,
      );
      await ds.query(
        `INSERT INTO opening_hours (location_id, weekday, opens, closes, counters)
                      SELECT $1, d, '08:00', '12:00', 3 FROM generate_series(1, 7) d`,
        [locationId],
      );
      // The old model: three services, each with its own slot of capacity 3 at 08:00 tomorrow; all full (nine people).
      const tomorrow8 = `((now() AT TIME ZONE 'Europe/Berlin')::date + 1 + time '08:00') AT TIME ZONE 'Europe/Berlin'`;
      for (const name of ['Ausweis', 'Pass', 'Anmeldung']) {
        const [{ id: slotId }] = await ds.query(
          `WITH s AS (INSERT INTO services (name, duration_minutes) VALUES ($2, 20) RETURNING id)
           INSERT INTO slots (location_id, service_id, starts_at, ends_at, capacity, booked)
           SELECT $1, s.id, ${tomorrow8}, ${tomorrow8} + interval '20 minutes', 3, 3 FROM s RETURNING id`,
          [locationId, name],
        );
        await ds.query(
          `INSERT INTO bookings (id, reference, slot_id, location_id, name, email, status, hold_until, created_at, hold_started_at, confirmed_at)
           SELECT gen_random_uuid(), 'HF-' || $2::text || g, $1, $3, 'Alt', $2::text || g || '@example.org', 'confirmed', now(), now(), now(), now()
             FROM generate_series(1, 3) g`,
          [slotId, name.slice(0, 4).toUpperCase(), locationId],
        );
      }
      await ds.runMigrations();
      const units = await ds.query(
        `SELECT to_char(starts_at AT TIME ZONE 'Europe/Berlin', 'HH24:MI') AS at, counters, reserved, overbooked_by_migration AS over
           FROM counter_units WHERE location_id = $1 AND starts_at < ${tomorrow8} + interval '30 minutes' AND starts_at >= ${tomorrow8}
          ORDER BY starts_at`,
        [locationId],
      );
      expect(units).toEqual([
        { at: '08:00', counters: 9, reserved: 9, over: 6 },
        { at: '08:10', counters: 9, reserved: 9, over: 6 },
        { at: '08:20', counters: 3, reserved: 0, over: null },
      ]);
      expect((await ds.query(`SELECT count(*)::int AS n FROM bookings WHERE status = 'confirmed'`))[0].n).toBe(9);
      // A unit's counters never go below what it holds; releasing works through the trigger.
      await ds.query(
        `UPDATE slots SET booked = booked - 1 WHERE location_id = $1 AND booked > 0 AND service_id = (SELECT min(id::text)::uuid FROM services)`,
        [locationId],
      );
      const after = await ds.query(`SELECT reserved FROM counter_units WHERE location_id = $1 AND starts_at = ${tomorrow8}`, [
        locationId,
      ]);
      expect(after[0].reserved).toBe(8);
    } finally {
      await ds.destroy();
      await db.drop();
    }
  });
});
