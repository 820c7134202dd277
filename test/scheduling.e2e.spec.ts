import { DemoSeedService } from '../src/scheduling/demo-seed.service';
import { SchedulingService } from '../src/scheduling/scheduling.service';
import { SlotHorizonService } from '../src/scheduling/slot-horizon.service';
import { http, startTestApp, TestApp, restoreClockAfterEach } from './support/test-app';

describe('slots from weekly opening hours, stored and served', () => {
  let app: TestApp;
  restoreClockAfterEach(() => app?.clock);
  beforeAll(async () => {
    app = await startTestApp({ clockStart: '2026-03-27T10:00:00Z' });
  });
  afterAll(() => app.close());

  it('an 08:00 slot stays 08:00 Berlin time across both DST switches of 2026', async () => {
    const scheduling = app.app.get(SchedulingService);
    const everyDay = [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, opens: '08:00', closes: '09:00', counters: 2 }));
    const locationId = await scheduling.createLocation({
      name: 'Bürgeramt Sonntag',
      address: 'Am Markt 1',
      timeZone: 'Europe/Berlin',
      openings: everyDay,
    });
    const serviceId = await scheduling.createService({ name: 'Beglaubigung', durationMinutes: 30 });
    for (const at of ['2026-03-27T10:00:00Z', '2026-10-23T10:00:00Z']) {
      app.clock.set(at);
      await scheduling.generateForLocation(locationId, 4);
    }
    app.clock.set('2026-03-27T10:00:00Z');
    const { rows } = await app.db.query(
      `SELECT to_char(starts_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI') AS utc FROM slots WHERE location_id = $1 AND service_id = $2 ORDER BY starts_at`,
      [locationId, serviceId],
    );
    const utc = rows.map((r) => r.utc);
    expect(utc).toEqual(expect.arrayContaining(['2026-03-28T07:00', '2026-03-29T06:00', '2026-10-24T06:00', '2026-10-25T07:00']));
    const march = await http(
      app,
      'GET',
      `/api/v1/slots?locationId=${locationId}&serviceId=${serviceId}&from=2026-03-29&to=2026-03-30`,
    );
    // A start in every 10-minute unit (the office's unit) from which 30 minutes fit before 09:00.
    const starts = (offset: string, day: string) => ['00', '10', '20', '30'].map((m) => `${day}T08:${m}:00${offset}`);
    expect(march.body.map((s: any) => s.startsAt)).toEqual(starts('+02:00', '2026-03-29'));
    app.clock.set('2026-10-23T10:00:00Z');
    const october = await http(
      app,
      'GET',
      `/api/v1/slots?locationId=${locationId}&serviceId=${serviceId}&from=2026-10-25&to=2026-10-26`,
    );
    expect(october.body.map((s: any) => s.startsAt)).toEqual(starts('+01:00', '2026-10-25'));
    expect(october.body.every((s: any) => s.capacity === 2)).toBe(true);
    app.clock.set('2026-03-27T10:00:00Z');
  });

  it('generating twice creates no duplicate slots', async () => {
    const scheduling = app.app.get(SchedulingService);
    const locationId = await scheduling.createLocation({
      name: 'Bürgeramt Doppelt',
      address: 'Am Markt 2',
      timeZone: 'Europe/Berlin',
      openings: [{ weekday: 1, opens: '08:00', closes: '10:00', counters: 1 }],
    });
    // Slots are per service: at least one must exist (idempotent by name).
    await scheduling.createService({ name: 'Beglaubigung', durationMinutes: 30 });
    const first = await scheduling.generateForLocation(locationId, 14);
    const second = await scheduling.generateForLocation(locationId, 14);
    expect(first).toBeGreaterThan(0);
    expect(second).toBe(0);
  });

  it('the demo seed: two offices with shared counters, different hours and a closure day, three services, slots for 14 days', async () => {
    const seed = app.app.get(DemoSeedService);
    const result = await seed.seed(14);
    expect(result.locations).toBe(2);
    expect(result.services).toBe(3);
    expect(result.slots).toBeGreaterThan(500);
    const locations = (await http(app, 'GET', '/api/v1/locations')).body;
    expect(locations.map((l: any) => l.name)).toEqual(expect.arrayContaining(['Bürgeramt Mitte', 'Bürgeramt Nord']));
    const { rows } = await app.db.query(
      `SELECT DISTINCT s.capacity FROM slots s JOIN locations l ON l.id = s.location_id WHERE l.name = 'Bürgeramt Mitte'`,
    );
    expect(rows).toEqual([{ capacity: 3 }]);
    // Counters shared by the services: one row of units per office and time, not per service;
    // Mitte has three counters in the morning and two after noon, Nord two.
    const units = await app.db.query(
      `SELECT l.name, array_agg(DISTINCT u.counters ORDER BY u.counters) AS counters,
              count(*) = count(DISTINCT u.starts_at) AS one_per_time
         FROM counter_units u JOIN locations l ON l.id = u.location_id
        WHERE l.name IN ('Bürgeramt Mitte', 'Bürgeramt Nord') GROUP BY l.name ORDER BY l.name`,
    );
    expect(units.rows).toEqual([
      { name: 'Bürgeramt Mitte', counters: [2, 3], one_per_time: true },
      { name: 'Bürgeramt Nord', counters: [1, 2], one_per_time: true },
    ]);
    // Different hours, and a closure day at Mitte with the reason citizens see.
    const hours = await app.db.query(
      `SELECT l.name, min(h.opens)::text AS opens, max(h.closes)::text AS closes FROM opening_hours h
         JOIN locations l ON l.id = h.location_id WHERE l.name IN ('Bürgeramt Mitte', 'Bürgeramt Nord') GROUP BY l.name ORDER BY l.name`,
    );
    expect(hours.rows).toEqual([
      { name: 'Bürgeramt Mitte', opens: '08:00:00', closes: '18:00:00' },
      { name: 'Bürgeramt Nord', opens: '07:30:00', closes: '13:00:00' },
    ]);
    const closures = await app.db.query(
      `SELECT l.name, c.reason, c.ends_at - c.starts_at AS length FROM closures c JOIN locations l ON l.id = c.location_id
        WHERE l.name IN ('Bürgeramt Mitte', 'Bürgeramt Nord')`,
    );
    expect(closures.rows).toEqual([{ name: 'Bürgeramt Mitte', reason: 'Betriebsausflug', length: { days: 1 } }]);
    expect((await seed.seed(14)).slots).toBe(0);
  });

  it('keeps the horizon: a week later, slots for the week after next appear', async () => {
    const horizon = app.app.get(SlotHorizonService);
    await app.app.get(DemoSeedService).seed(14); // offices to keep the horizon for (idempotent)
    await horizon.extend(); // catch up the offices above that were generated for fewer days
    expect(await horizon.extend()).toBe(0);
    app.clock.advance({ days: 7 });
    try {
      expect(await horizon.extend()).toBeGreaterThan(100);
      expect(await horizon.extend()).toBe(0);
    } finally {
      app.clock.advance({ days: -7 });
    }
  });
});
