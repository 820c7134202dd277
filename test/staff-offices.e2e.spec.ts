import { SchedulingService } from '../src/scheduling/scheduling.service';
import { slotOf } from './factories/scheduling.factory';
import { bookThroughApi, http, staffToken, startTestApp, TestApp } from './support/test-app';

/**
 * A clerk bound to offices sees and changes only those offices' bookings: the day list, the
 * counter actions, the review queue and a booking's page. A refusal is 403 and audited; an
 * unbound clerk sees every office.
 */
describe('clerks bound to offices', () => {
  let app: TestApp;
  let admin: string;
  const offices: Record<'mitte' | 'nord', { locationId: string; serviceId: string }> = {} as never;
  beforeAll(async () => {
    app = await startTestApp({ clockStart: '2026-06-01T04:00:00Z' });
    admin = await staffToken(app, 'admin');
    const serviceId = (
      await app.db.query(`INSERT INTO services (name, duration_minutes) VALUES ('Gebunden 10', 10) RETURNING id`)
    ).rows[0].id;
    for (const name of ['mitte', 'nord'] as const) {
      const locationId = (
        await app.db.query(
          `INSERT INTO locations (name, address, time_zone) VALUES ($1, 'Weg 3', 'Europe/Berlin') RETURNING id`,
          [`Bürgeramt Gebunden ${name}`],
        )
      ).rows[0].id;
      await app.db.query(
        `INSERT INTO opening_hours (location_id, weekday, opens, closes, counters) SELECT $1, d, '08:00', '12:00', 2 FROM generate_series(1, 7) d`,
        [locationId],
      );
      await app.app.get(SchedulingService).generateForLocation(locationId, 2);
      offices[name] = { locationId, serviceId };
    }
  }, 60_000);
  afterAll(() => app?.close());

  it('the bound clerk works at Mitte and is refused at Nord; an unbound clerk sees both; only clerks are bound', async () => {
    const created = await http(app, 'POST', '/api/v1/staff/users', {
      body: {
        email: 'mitte@offices.example',
        role: 'clerk',
        password: 'mitte-password-1',
        locationIds: [offices.mitte.locationId],
      },
      headers: { authorization: `Bearer ${admin}` },
    });
    expect(created.status).toBe(201);
    const bound = (
      await http(app, 'POST', '/api/v1/auth/login', { body: { email: 'mitte@offices.example', password: 'mitte-password-1' } })
    ).body.token as string;
    const as = { authorization: `Bearer ${bound}` };
    const inMitte = await bookThroughApi(
      app,
      await slotOf(app.db, offices.mitte.locationId, offices.mitte.serviceId, '2026-06-01T07:00:00Z'),
    );
    const inNord = await bookThroughApi(
      app,
      await slotOf(app.db, offices.nord.locationId, offices.nord.serviceId, '2026-06-01T07:00:00Z'),
    );

    expect(
      (await http(app, 'GET', `/api/v1/counter/locations/${offices.mitte.locationId}/day?date=2026-06-01`, { headers: as }))
        .status,
    ).toBe(200);
    const day = await http(app, 'GET', `/api/v1/counter/locations/${offices.nord.locationId}/day?date=2026-06-01`, {
      headers: as,
    });
    expect([day.status, day.body.error.code]).toEqual([403, 'FORBIDDEN']);
    expect((await http(app, 'GET', `/api/v1/review/bookings/${inNord.id}`, { headers: as })).status).toBe(403);
    expect((await http(app, 'GET', `/api/v1/review/bookings/${inMitte.id}`, { headers: as })).status).toBe(200);
    const extend = await http(app, 'POST', `/api/v1/review/bookings/${inNord.id}/extend`, {
      body: { until: '2026-06-01T08:30:00+02:00', reason: 'Anruf der Bürgerin' },
      headers: as,
    });
    expect(extend.status).toBe(403);
    const nordSlot = await slotOf(app.db, offices.nord.locationId, offices.nord.serviceId, '2026-06-01T08:00:00Z');
    const walkIn = await http(app, 'POST', '/api/v1/counter/walk-ins', {
      body: { slotId: nordSlot, name: 'Falsches Amt' },
      headers: as,
    });
    expect(walkIn.status).toBe(403);
    expect((await app.db.query(`SELECT booked FROM slots WHERE id = $1`, [nordSlot])).rows[0].booked).toBe(0);
    const refusals = await app.db.query(
      `SELECT count(*)::int AS n FROM audit_entries WHERE actor_label = 'mitte@offices.example' AND action LIKE '%refused%'`,
    );
    expect(refusals.rows[0].n).toBeGreaterThanOrEqual(3);

    // The review queue lists only Mitte's bookings for the bound clerk, both for an unbound one.
    const queue = async (token: string) =>
      (
        (
          await http(app, 'GET', '/api/v1/review/bookings?reason=held_for_mail', {
            headers: { authorization: `Bearer ${token}` },
          })
        ).body.items ?? []
      ).map((i: { location: { id: string } }) => i.location.id);
    await app.db.query(`UPDATE outbox_messages SET state = 'held_provider_blocked' WHERE booking_id = ANY($1)`, [
      [inMitte.id, inNord.id],
    ]);
    expect(new Set(await queue(bound))).toEqual(new Set([offices.mitte.locationId]));
    expect(new Set(await queue(await staffToken(app, 'clerk')))).toEqual(
      new Set([offices.mitte.locationId, offices.nord.locationId]),
    );

    const supervisor = await http(app, 'POST', '/api/v1/staff/users', {
      body: {
        email: 'sup@offices.example',
        role: 'supervisor',
        password: 'super-password-1',
        locationIds: [offices.mitte.locationId],
      },
      headers: { authorization: `Bearer ${admin}` },
    });
    expect(supervisor.status).toBe(400);
  });
});
