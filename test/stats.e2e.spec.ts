import { ExpirySweeperService } from '../src/bookings/expiry-sweeper.service';
import { DispatcherService } from '../src/notifications/dispatcher.service';
import { SchedulingService } from '../src/scheduling/scheduling.service';
import { slotOf } from './factories/scheduling.factory';
import { bookThroughApi, confirmTokenOfQueued, http, staffToken, startTestApp, TestApp } from './support/test-app';

/**
 * Supervisors' statistics: aggregates computed by SQL from the tables, checked against a day
 * whose every booking the test made itself.
 */
describe('statistics', () => {
  let app: TestApp;
  let supervisor: string;
  let clerk: string;
  let locationId: string;
  let serviceId: string;
  beforeAll(async () => {
    app = await startTestApp({ clockStart: '2026-06-01T04:00:00Z' });
    supervisor = await staffToken(app, 'supervisor');
    clerk = await staffToken(app, 'clerk');
    locationId = (
      await app.db.query(
        `INSERT INTO locations (name, address, time_zone) VALUES ('Bürgeramt Zahlen', 'Hof 2', 'Europe/Berlin') RETURNING id`,
      )
    ).rows[0].id;
    await app.db.query(
      `INSERT INTO opening_hours (location_id, weekday, opens, closes, counters) SELECT $1, d, '08:00', '10:00', 2 FROM generate_series(1, 7) d`,
      [locationId],
    );
    serviceId = (await app.db.query(`INSERT INTO services (name, duration_minutes) VALUES ('Zahlen 30', 30) RETURNING id`))
      .rows[0].id;
    await app.app.get(SchedulingService).generateForLocation(locationId, 3);
  }, 60_000);
  afterAll(() => app?.close());

  it('made, confirmed, expired, cancelled, utilisation and mail by family of a period; CSV; supervisors only', async () => {
    const slot = (at: string) => slotOf(app.db, locationId, serviceId, at);
    const a = await bookThroughApi(app, await slot('2026-06-02T06:00:00Z'));
    const b = await bookThroughApi(app, await slot('2026-06-02T06:00:00Z'));
    await bookThroughApi(app, await slot('2026-06-02T07:00:00Z'));
    await app.app.get(DispatcherService).dispatchOnce();
    // a's mail had been deferred once on its way (as a refusing provider leaves it): confirmed all the same, a rescue.
    await app.db.query(
      `INSERT INTO mail_attempts (message_id, attempt, started_at, finished_at, outcome, reply_code, worker)
       SELECT id, 0, created_at, created_at, 'deferred', 421, 'test' FROM outbox_messages WHERE booking_id = $1 AND kind = 'booking_confirmation'`,
      [a.id],
    );
    expect(
      (await http(app, 'POST', '/api/v1/confirmations', { body: { token: await confirmTokenOfQueued(app, a.id) } })).status,
    ).toBe(200);
    expect(
      (await http(app, 'POST', `/api/v1/bookings/${b.id}/cancel`, { headers: { 'x-booking-token': b.statusToken } })).status,
    ).toBe(200);
    app.clock.advance({ hours: 2 }); // the third's hold (60 minutes from its delivered mail) has run out
    await app.app.get(ExpirySweeperService).sweep();

    const res = await http(app, 'GET', `/api/v1/stats?locationId=${locationId}&from=2026-06-01&to=2026-06-08`, {
      headers: { authorization: `Bearer ${supervisor}` },
    });
    expect(res.status).toBe(200);
    expect(res.body.bookings).toEqual({
      made: 3,
      walkIns: 0,
      confirmed: 1,
      expiredNotConfirmed: 1,
      expiredMailUndelivered: 0,
      rescued: 1,
      cancelled: 1,
      noShows: 0,
    });
    // Two counters, 08:00–10:00 on 3 days = 36 units × 2; a confirmed 30-minute booking holds 3 of them.
    expect(res.body.utilisation).toEqual({ reservedUnits: 3, capacityUnits: 72, share: 0.042 });
    expect(res.body.mailByFamily).toEqual([
      expect.objectContaining({ family: 'example.org', mails: 3, accepted: 3, deferred: 1, held: 0, bounced: 0 }),
    ]);
    const csv = await http(app, 'GET', `/api/v1/stats.csv?locationId=${locationId}&from=2026-06-01&to=2026-06-08`, {
      headers: { authorization: `Bearer ${supervisor}` },
    });
    expect(csv.headers.get('content-type')).toContain('text/csv');
    expect(csv.text.split('\n')).toEqual(
      expect.arrayContaining(['figure,family,value', 'bookings.made,,3', 'mail.accepted,example.org,3']),
    );
    const asClerk = await http(app, 'GET', `/api/v1/stats?from=2026-06-01&to=2026-06-08`, {
      headers: { authorization: `Bearer ${clerk}` },
    });
    expect(asClerk.status).toBe(403);
    const backwards = await http(app, 'GET', `/api/v1/stats?from=2026-06-08&to=2026-06-01`, {
      headers: { authorization: `Bearer ${supervisor}` },
    });
    expect([backwards.status, backwards.body.error.code]).toEqual([400, 'VALIDATION_FAILED']);
  });
});
