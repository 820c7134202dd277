import { DispatcherService } from '../src/notifications/dispatcher.service';
import { SchedulingService } from '../src/scheduling/scheduling.service';
import { slotOf } from './factories/scheduling.factory';
import {
  bookThroughApi,
  confirmTokenOfQueued,
  http,
  restoreClockAfterEach,
  staffToken,
  startTestApp,
  TestApp,
} from './support/test-app';

/**
 * The day at the counter: a clerk's day list of an office, check-in and served, a no-show only
 * after the slot's end plus the grace time, and walk-ins that take a free counter at once without
 * a mail. Every change audited; a citizen's token does not open these routes.
 */
describe('the day at the counter', () => {
  let app: TestApp;
  let clerk: string;
  let locationId: string;
  let serviceId: string;
  restoreClockAfterEach(() => app?.clock);
  beforeAll(async () => {
    // NO_SHOW_LIMIT 1: an address with one no-show in 90 days books at the office, not online.
    app = await startTestApp({ clockStart: '2026-06-01T04:00:00Z', env: { NO_SHOW_LIMIT: '1' } }); // Monday 06:00 in Berlin
    clerk = await staffToken(app, 'clerk');
    locationId = (
      await app.db.query(
        `INSERT INTO locations (name, address, time_zone) VALUES ('Bürgeramt Theke', 'Hof 1', 'Europe/Berlin') RETURNING id`,
      )
    ).rows[0].id;
    await app.db.query(
      `INSERT INTO opening_hours (location_id, weekday, opens, closes, counters) VALUES ($1, 1, '08:00', '12:00', 1)`,
      [locationId],
    );
    serviceId = (await app.db.query(`INSERT INTO services (name, duration_minutes) VALUES ('Theke 20', 20) RETURNING id`)).rows[0]
      .id;
    await app.app.get(SchedulingService).generateForLocation(locationId, 1);
  }, 60_000);
  afterAll(() => app?.close());

  const headers = () => ({ authorization: `Bearer ${clerk}` });
  const mark = (id: string, state: string) =>
    http(app, 'POST', `/api/v1/counter/bookings/${id}/attendance`, { body: { state }, headers: headers() });
  const slot = (startsAt: string) => slotOf(app.db, locationId, serviceId, startsAt);

  it('day list by time; check-in, served; a no-show only after the end plus 15 minutes; refusals named', async () => {
    const early = await bookThroughApi(app, await slot('2026-06-01T06:00:00Z')); // 08:00–08:20
    const late = await bookThroughApi(app, await slot('2026-06-01T07:00:00Z')); // 09:00–09:20
    const pending = await bookThroughApi(app, await slot('2026-06-01T08:00:00Z')); // 10:00, never confirmed
    for (const b of [early, late])
      expect(
        (await http(app, 'POST', '/api/v1/confirmations', { body: { token: await confirmTokenOfQueued(app, b.id) } })).status,
      ).toBe(200);

    const list = await http(app, 'GET', `/api/v1/counter/locations/${locationId}/day?date=2026-06-01`, { headers: headers() });
    expect(list.status).toBe(200);
    expect(
      list.body.bookings.map((b: { reference: string; startsAt: string; status: string }) => [b.reference, b.startsAt, b.status]),
    ).toEqual([
      [early.reference, '2026-06-01T08:00:00+02:00', 'confirmed'],
      [late.reference, '2026-06-01T09:00:00+02:00', 'confirmed'],
      [pending.reference, '2026-06-01T10:00:00+02:00', 'pending'],
    ]);

    const served = await mark(early.id, 'served');
    expect([served.status, served.body.error.details.reason]).toEqual([409, 'not_arrived']);
    expect((await mark(early.id, 'arrived')).status).toBe(200);
    expect((await mark(early.id, 'served')).status).toBe(200);
    expect((await mark(early.id, 'no_show')).body.error.details.reason).toBe('came');
    expect((await mark(pending.id, 'arrived')).body.error.details.reason).toBe('not_confirmed');

    app.clock.set('2026-06-01T07:30:00Z'); // 09:30: ten minutes after the end of 09:00–09:20
    expect((await mark(late.id, 'no_show')).body.error.details.reason).toBe('too_early');
    app.clock.set('2026-06-01T07:36:00Z'); // 09:36: sixteen minutes after
    expect((await mark(late.id, 'no_show')).status).toBe(200);

    // The no-show counts against the address (as the mailbox sees it), not against others.
    const again = await http(app, 'POST', '/api/v1/bookings', {
      body: { slotId: await slot('2026-06-01T08:30:00Z'), name: 'Wieder', email: late.email.toUpperCase() },
    });
    expect([again.status, again.body.error?.code]).toEqual([409, 'BOOKING_LIMIT_NO_SHOW']);
    expect((await bookThroughApi(app, await slot('2026-06-01T08:30:00Z'))).reference).toMatch(/^HF-/);

    const after = await http(app, 'GET', `/api/v1/counter/locations/${locationId}/day?date=2026-06-01`, { headers: headers() });
    expect(after.body.bookings.map((b: { attendance: string | null }) => b.attendance)).toEqual([
      'served',
      'no_show',
      null,
      null,
    ]);
    const audit = await app.db.query(
      `SELECT action FROM audit_entries WHERE booking_id = ANY($1) AND action LIKE 'booking.%' AND action IN ('booking.arrived', 'booking.served', 'booking.no_show') ORDER BY at`,
      [[early.id, late.id]],
    );
    expect(audit.rows.map((r: { action: string }) => r.action)).toEqual(['booking.arrived', 'booking.served', 'booking.no_show']);
  });

  it('a walk-in takes a free counter now, confirmed and checked in, without a mail; a taken counter refuses it', async () => {
    app.clock.set('2026-06-01T09:05:00Z'); // 11:05
    const now = await slot('2026-06-01T09:00:00Z'); // 11:00–11:20, started five minutes ago
    const walkIn = await http(app, 'POST', '/api/v1/counter/walk-ins', {
      body: { slotId: now, name: 'Am Schalter' },
      headers: headers(),
    });
    expect(walkIn.status).toBe(201);
    expect(walkIn.body).toMatchObject({ status: 'confirmed', attendance: 'arrived' });
    const second = await http(app, 'POST', '/api/v1/counter/walk-ins', {
      body: { slotId: await slot('2026-06-01T09:10:00Z'), name: 'Noch jemand' },
      headers: headers(),
    });
    expect([second.status, second.body.error.code]).toEqual([409, 'SLOT_FULL']); // one counter, 11:10 is under the first
    // Not even when a closure cancels it: the walk-in left no address to write to.
    const admin = await staffToken(app, 'admin');
    const closed = await http(app, 'POST', `/api/v1/admin/locations/${locationId}/closures`, {
      body: {
        startsAt: '2026-06-01T11:10:00+02:00',
        endsAt: '2026-06-01T12:00:00+02:00',
        reason: 'Stromausfall',
        cancelBookings: true,
      },
      headers: { authorization: `Bearer ${admin}` },
    });
    expect(closed.status).toBe(201);
    expect(closed.body.affected.map((b: { id: string }) => b.id)).toContain(walkIn.body.id);
    await app.app.get(DispatcherService).dispatchOnce();
    const queued = await app.db.query(`SELECT count(*)::int AS n FROM outbox_messages WHERE booking_id = $1`, [walkIn.body.id]);
    expect(queued.rows[0].n).toBe(0);
    const citizenToken = await http(app, 'GET', `/api/v1/counter/locations/${locationId}/day`, {
      headers: { authorization: 'Bearer nope' },
    });
    expect(citizenToken.status).toBe(401);
    const badDate = await http(app, 'GET', `/api/v1/counter/locations/${locationId}/day?date=01.06.2026`, { headers: headers() });
    expect(badDate.status).toBe(400);
  });
});
