import { DispatcherService } from '../src/notifications/dispatcher.service';
import { SchedulingService } from '../src/scheduling/scheduling.service';
import { citizen, slotOf } from './factories/scheduling.factory';
import { bookThroughApi, http, restoreClockAfterEach, staffToken, startTestApp, TestApp } from './support/test-app';

/**
 * Closures: a change that takes capacity from existing bookings never overbooks silently. The
 * dry run lists them; applied, the closure refuses while they exist unless told to cancel them,
 * and then each citizen gets an apology with the reason and a link to book again. Public
 * holidays of the office's region have no counters at all.
 */
describe('closures and public holidays', () => {
  let app: TestApp;
  let admin: string;
  let clerk: string;
  restoreClockAfterEach(() => app?.clock);
  beforeAll(async () => {
    app = await startTestApp({ clockStart: '2026-06-01T04:00:00Z' }); // Monday 06:00 in Berlin
    admin = await staffToken(app, 'admin');
    clerk = await staffToken(app, 'clerk');
  }, 60_000);
  afterAll(() => app?.close());

  const as = (token: string) => ({ authorization: `Bearer ${token}` });

  async function office(opts: { days?: number; region?: string; weekday?: number } = {}) {
    const tag = Math.random().toString(36).slice(2, 8);
    const {
      rows: [location],
    } = await app.db.query(
      `INSERT INTO locations (name, address, time_zone, holiday_region) VALUES ($1, 'Platz 1', 'Europe/Berlin', $2) RETURNING id`,
      [`Bürgeramt Zu ${tag}`, opts.region ?? null],
    );
    await app.db.query(
      `INSERT INTO opening_hours (location_id, weekday, opens, closes, counters) SELECT $1, d, '08:00', '12:00', 2 FROM generate_series(1, 7) d`,
      [location.id],
    );
    const {
      rows: [service],
    } = await app.db.query(`INSERT INTO services (name, duration_minutes) VALUES ($1, 20) RETURNING id`, [`Pass ${tag}`]);
    await app.app.get(SchedulingService).generateForLocation(location.id, opts.days ?? 3);
    return { locationId: location.id as string, serviceId: service.id as string };
  }
  const slotAt = (at: { locationId: string; serviceId: string }, startsAt: string) =>
    slotOf(app.db, at.locationId, at.serviceId, startsAt);
  const book = (slotId: string) => bookThroughApi(app, slotId);
  const statusOf = async (id: string) => (await app.db.query(`SELECT status FROM bookings WHERE id = $1`, [id])).rows[0].status;
  const close = (locationId: string, body: object, token = admin) =>
    http(app, 'POST', `/api/v1/admin/locations/${locationId}/closures`, { body, headers: as(token) });
  // Tuesday 2026-06-02, 08:00–10:00 in Berlin.
  const tuesdayMorning = {
    startsAt: '2026-06-02T08:00:00+02:00',
    endsAt: '2026-06-02T10:00:00+02:00',
    reason: 'Betriebsversammlung',
  };

  it('dry run lists the bookings; without cancelBookings it is refused; with it they are cancelled with a notice', async () => {
    const at = await office();
    const early = await book(await slotAt(at, '2026-06-02T06:00:00Z')); // 08:00
    const late = await book(await slotAt(at, '2026-06-02T07:40:00Z')); // 09:40–10:00
    const untouched = await book(await slotAt(at, '2026-06-02T08:00:00Z')); // 10:00

    const dry = await close(at.locationId, { ...tuesdayMorning, dryRun: true });
    expect(dry.status).toBe(200);
    expect(dry.body.affected.map((b: { id: string }) => b.id)).toEqual([early.id, late.id]);
    expect(
      (await app.db.query(`SELECT count(*)::int AS n FROM closures WHERE location_id = $1`, [at.locationId])).rows[0].n,
    ).toBe(0);

    const refused = await close(at.locationId, tuesdayMorning);
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('CLOSURE_HAS_BOOKINGS');
    expect(refused.body.error.details).toHaveLength(2);
    expect(await statusOf(early.id)).toBe('pending');

    const applied = await close(at.locationId, { ...tuesdayMorning, cancelBookings: true });
    expect(applied.status).toBe(201);
    expect(applied.body.affected).toHaveLength(2);
    expect(applied.body.unitsClosed).toBe(12);
    expect([await statusOf(early.id), await statusOf(late.id), await statusOf(untouched.id)]).toEqual([
      'cancelled',
      'cancelled',
      'pending',
    ]);
    // The notice: an apology with the reason and a link to book again.
    await app.app.get(DispatcherService).dispatchOnce();
    const notice = app
      .catcher!.list()
      .find((m) => m.to.includes(early.email) && m.subject.startsWith('Ihr Termin muss leider entfallen'))!;
    expect(notice.text).toContain('Grund: Betriebsversammlung. Wir bitten um Entschuldigung.');
    expect(notice.links.some((l) => l.includes(`/termine?locationId=${at.locationId}&serviceId=${at.serviceId}`))).toBe(true);
    // No counter left in that time: nothing listed, nothing bookable; citizens see why.
    const listed = await http(
      app,
      'GET',
      `/api/v1/slots?locationId=${at.locationId}&serviceId=${at.serviceId}&from=2026-06-02&to=2026-06-03`,
    );
    expect(listed.body.map((s: { startsAt: string }) => s.startsAt.slice(11, 16))[0]).toBe('10:00');
    const blocked = await http(app, 'POST', '/api/v1/bookings', {
      body: { slotId: await slotAt(at, '2026-06-02T06:20:00Z'), name: 'Nach Schluss', email: citizen().email },
    });
    expect(blocked.status).toBe(409);
    expect(blocked.body.error.code).toBe('SLOT_FULL');
    const publicList = await http(app, 'GET', `/api/v1/locations/${at.locationId}/closures`);
    expect(publicList.body).toEqual([
      {
        id: applied.body.id,
        startsAt: '2026-06-02T08:00:00+02:00',
        endsAt: '2026-06-02T10:00:00+02:00',
        reason: 'Betriebsversammlung',
      },
    ]);
    const page = await http(app, 'GET', `/termine?locationId=${at.locationId}&serviceId=${at.serviceId}&from=2026-06-02`);
    expect(page.text).toContain('Das Bürgeramt ist geschlossen');
    expect(page.text).toContain('Betriebsversammlung');
    const audit = await app.db.query(
      `SELECT action FROM audit_entries WHERE action IN ('location.closed', 'booking.cancelled_for_closure')`,
    );
    expect(audit.rows.map((r: { action: string }) => r.action).sort()).toEqual([
      'booking.cancelled_for_closure',
      'booking.cancelled_for_closure',
      'location.closed',
    ]);
  });

  it('units generated later inside a closure have no counter', async () => {
    const at = await office({ days: 3 });
    const friday = {
      startsAt: '2026-06-05T00:00:00+02:00',
      endsAt: '2026-06-06T00:00:00+02:00',
      reason: 'Umzug der Dienststelle',
    };
    expect((await close(at.locationId, friday)).status).toBe(201);
    await app.app.get(SchedulingService).generateForLocation(at.locationId, 7);
    const { rows } = await app.db.query(
      `SELECT count(*)::int AS n, max(counters)::int AS most FROM counter_units WHERE location_id = $1 AND starts_at >= '2026-06-04T22:00:00Z' AND starts_at < '2026-06-05T22:00:00Z'`,
      [at.locationId],
    );
    expect(rows[0]).toEqual({ n: 24, most: 0 });
    const listed = await http(
      app,
      'GET',
      `/api/v1/slots?locationId=${at.locationId}&serviceId=${at.serviceId}&from=2026-06-05&to=2026-06-06`,
    );
    expect(listed.body).toEqual([]);
  });

  it('public holidays of the region (Pfingstmontag in Berlin) get neither counters nor slots', async () => {
    app.clock.set('2026-05-24T04:00:00Z'); // Sunday
    const at = await office({ region: 'DE-BE', days: 3 });
    const count = async (table: string, day: string) =>
      (
        await app.db.query(
          `SELECT count(*)::int AS n FROM ${table} WHERE location_id = $1 AND (starts_at AT TIME ZONE 'Europe/Berlin')::date = $2::date`,
          [at.locationId, day],
        )
      ).rows[0].n;
    expect(await count('counter_units', '2026-05-25')).toBe(0);
    expect(await count('slots', '2026-05-25')).toBe(0);
    expect(await count('counter_units', '2026-05-26')).toBe(24);
  });

  it('bad input and roles: a closure in the past, the end before the start, a clerk', async () => {
    const at = await office();
    const past = await close(at.locationId, { ...tuesdayMorning, startsAt: '2026-05-01T08:00:00+02:00' });
    expect([past.status, past.body.error.code]).toEqual([400, 'VALIDATION_FAILED']);
    const backwards = await close(at.locationId, { ...tuesdayMorning, endsAt: '2026-06-02T07:00:00+02:00' });
    expect([backwards.status, backwards.body.error.code]).toEqual([400, 'VALIDATION_FAILED']);
    const noReason = await close(at.locationId, { ...tuesdayMorning, reason: '' });
    expect(noReason.status).toBe(400);
    const byClerk = await close(at.locationId, tuesdayMorning, clerk);
    expect(byClerk.status).toBe(403);
    const unknown = await close('00000000-0000-4000-8000-000000000000', tuesdayMorning);
    expect(unknown.body.error.code).toBe('LOCATION_NOT_FOUND');
    expect(
      (await app.db.query(`SELECT count(*)::int AS n FROM closures WHERE location_id = $1`, [at.locationId])).rows[0].n,
    ).toBe(0);
  });
});
