import { SchedulingService } from '../src/scheduling/scheduling.service';
import { citizen, slotOf } from './factories/scheduling.factory';
import { ConsoleClient, signedIn } from './support/console';
import { confirmTokenOfQueued, http, restoreClockAfterEach, startTestApp, TestApp } from './support/test-app';

/**
 * The admins' pages over real HTTP and a real database: accounts (create with the password shown
 * once, role and offices, reset, deactivate ending every session), sessions and their revocation,
 * the audit log with filters, and an office: details, a closure and new hours, each after its dry
 * run, the affected bookings cancelled with a notice.
 */
describe('console: admin pages', () => {
  let app: TestApp;
  let admin: ConsoleClient;
  let locationId: string;
  let serviceId: string;
  restoreClockAfterEach(() => app?.clock);
  beforeAll(async () => {
    app = await startTestApp({ clockStart: '2026-06-01T06:00:00Z' }); // Monday 08:00 in Berlin
    serviceId = (await app.db.query(`INSERT INTO services (name, duration_minutes) VALUES ('Admin 20', 20) RETURNING id`)).rows[0]
      .id;
    locationId = (
      await app.db.query(
        `INSERT INTO locations (name, address, time_zone) VALUES ('Bürgeramt Verwaltung', 'Ring 2', 'Europe/Berlin') RETURNING id`,
      )
    ).rows[0].id;
    await app.db.query(
      `INSERT INTO opening_hours (location_id, weekday, opens, closes, counters) SELECT $1, d, '08:00', '12:00', 2 FROM generate_series(1, 7) d`,
      [locationId],
    );
    await app.app.get(SchedulingService).generateForLocation(locationId, 10);
    admin = (await signedIn(app, 'admin')).client;
  }, 60_000);
  afterAll(() => app?.close());

  it('a clerk or supervisor is refused the admin pages (403, audited)', async () => {
    const { client, account } = await signedIn(app, 'supervisor');
    for (const path of ['/verwaltung/konten', '/verwaltung/sitzungen', '/verwaltung/aemter', `/verwaltung/aemter/${locationId}`])
      expect((await client.get(path)).status).toBe(403);
    expect((await client.get('/verwaltung/protokoll')).status).toBe(200);
    const forged = await client.submit('/verwaltung/konten', { email: 'x@y.example', role: 'admin' });
    expect(forged.status).toBe(403);
    const { rows } = await app.db.query(
      `SELECT count(*)::int AS n FROM audit_entries WHERE action = 'access.refused' AND actor_label = $1`,
      [account.email],
    );
    expect(rows[0].n).toBe(5);
    expect((await app.db.query(`SELECT count(*)::int AS n FROM staff_users WHERE email = 'x@y.example'`)).rows[0].n).toBe(0);
  });

  it('creates an account (its password shown once), changes its offices, resets the password, deactivates it', async () => {
    const created = await admin.submit('/verwaltung/konten', {
      email: 'neu@verwaltung.example',
      displayName: 'Neue Kollegin',
      role: 'clerk',
      locationIds: [locationId],
    });
    expect(created.status).toBe(201);
    const password = /Passwort: ([a-z0-9-]{23}) – wird nur jetzt angezeigt/.exec(created.text)?.[1];
    expect(password).toBeDefined();
    expect((await admin.get('/verwaltung/konten')).text).not.toContain(password!);
    const audit = await app.db.query(
      `SELECT after::text AS a FROM audit_entries WHERE action = 'staff.create' ORDER BY id DESC LIMIT 1`,
    );
    expect(audit.rows[0].a).not.toContain(password!);

    const colleague = new ConsoleClient(app);
    await colleague.signIn('neu@verwaltung.example', password!);
    const id = (await app.db.query(`SELECT id FROM staff_users WHERE email = 'neu@verwaltung.example'`)).rows[0].id;
    const taken = await admin.submit('/verwaltung/konten', { email: 'NEU@verwaltung.example', role: 'clerk' });
    expect(taken.status).toBe(409);
    expect(taken.text).toContain('gibt es schon');
    expect(taken.text).toContain('value="NEU@verwaltung.example"');

    expect((await admin.submit(`/verwaltung/konten/${id}`, { role: 'supervisor' })).status).toBe(303);
    expect((await colleague.get('/verwaltung/anbieter')).status).toBe(200); // the new role at the next request

    const reset = await admin.submit(`/verwaltung/konten/${id}/passwort`, {});
    const fresh = /Neues Passwort für neu@verwaltung.example: ([a-z0-9-]{23})/.exec(reset.text)?.[1];
    expect(fresh).toBeDefined();
    expect((await colleague.get('/verwaltung')).status).toBe(303); // the reset ended the session
    await colleague.signIn('neu@verwaltung.example', fresh!);

    const sessions = await admin.get('/verwaltung/sitzungen');
    expect(sessions.text).toContain('neu@verwaltung.example');
    expect(sessions.text).not.toContain(colleague.cookies.get('holdfast_staff')!);
    expect((await admin.submit(`/verwaltung/konten/${id}/deaktivieren`, {})).status).toBe(303);
    expect((await colleague.get('/verwaltung')).status).toBe(303);
    expect(
      (await http(app, 'POST', '/api/v1/auth/login', { body: { email: 'neu@verwaltung.example', password: fresh } })).status,
    ).toBe(401);
    expect((await admin.get('/verwaltung/konten')).text).toContain('deaktiviert');
  });

  it('lists sessions and ends one; the audit log filters by action and actor', async () => {
    const { client, account } = await signedIn(app, 'clerk');
    const page = await admin.get('/verwaltung/sitzungen');
    const sessionId = (
      await app.db.query(`SELECT s.id FROM staff_sessions s JOIN staff_users u ON u.id = s.staff_user_id WHERE u.email = $1`, [
        account.email,
      ])
    ).rows[0].id;
    expect(page.text).toContain(`/verwaltung/sitzungen/${sessionId}/beenden`);
    expect((await admin.submit(`/verwaltung/sitzungen/${sessionId}/beenden`, {})).status).toBe(303);
    expect((await client.get('/verwaltung')).status).toBe(303);
    const again = await admin.submit(`/verwaltung/sitzungen/${sessionId}/beenden`, {});
    expect(again.headers.get('location')).toBe('/verwaltung/sitzungen?fehler=1');

    const log = await admin.get(`/verwaltung/protokoll?action=staff&actor=${encodeURIComponent(account.email)}`);
    expect(log.status).toBe(200);
    expect(log.text).toContain('staff.login');
    expect(log.text).not.toContain('staff.session.revoke');
    const revokes = await admin.get('/verwaltung/protokoll?action=staff.session.revoke');
    expect(revokes.text).toContain(sessionId);
  });

  it('closes the office for a morning: the dry run names the booking, closing cancels it with a notice', async () => {
    const who = citizen();
    const slotId = await slotOf(app.db, locationId, serviceId, '2026-06-03T06:00:00Z'); // Wed 08:00
    const booked = await http(app, 'POST', '/api/v1/bookings', { body: { slotId, name: who.name, email: who.email } });
    expect(booked.status).toBe(201);
    expect(
      (await http(app, 'POST', '/api/v1/confirmations', { body: { token: await confirmTokenOfQueued(app, booked.body.id) } }))
        .status,
    ).toBe(200);
    const office = `/verwaltung/aemter/${locationId}`;
    const past = await admin.submit(
      `${office}/schliessungen`,
      { startsAt: '2026-05-30T08:00', endsAt: '2026-05-30T12:00', reason: 'Zu spät', step: 'pruefen' },
      office,
    );
    expect(past.status).toBe(400);
    expect(past.text).toContain('startsAt: in the past');
    const fields = { startsAt: '2026-06-03T08:00', endsAt: '2026-06-03T12:00', reason: 'Betriebsversammlung' };
    const dry = await admin.submit(`${office}/schliessungen`, { ...fields, step: 'pruefen' }, office);
    expect(dry.status).toBe(200);
    expect(dry.text).toContain('Probelauf: 1 Buchungen betroffen.');
    expect(dry.text).toContain(booked.body.reference);
    expect(dry.text).toContain('value="Betriebsversammlung"');
    expect((await app.db.query(`SELECT count(*)::int AS n FROM closures WHERE location_id = $1`, [locationId])).rows[0].n).toBe(
      0,
    );
    const refused = await admin.submit(`${office}/schliessungen`, { ...fields, step: 'schliessen' }, office);
    expect(refused.status).toBe(409);
    const closed = await admin.submit(`${office}/schliessungen`, { ...fields, step: 'absagen' }, office);
    expect(closed.status).toBe(303);
    expect((await admin.get(closed.headers.get('location')!)).text).toContain('Geschlossen. 1 Buchungen abgesagt');
    expect((await app.db.query(`SELECT status FROM bookings WHERE id = $1`, [booked.body.id])).rows[0].status).toBe('cancelled');
    const notice = await app.db.query(
      `SELECT count(*)::int AS n FROM outbox_messages WHERE booking_id = $1 AND kind <> 'booking_confirmation'`,
      [booked.body.id],
    );
    expect(notice.rows[0].n).toBeGreaterThan(0);
    const page = await admin.get(office);
    expect(page.text).toContain('Betriebsversammlung');
  });

  it('new hours after their dry run; an unreadable period line comes back with the text kept', async () => {
    const office = `/verwaltung/aemter/${locationId}`;
    const bad = await admin.submit(`${office}/zeiten`, { validFrom: '2026-06-08', periods: '1 8 bis 12', reason: '' }, office);
    expect(bad.status).toBe(422);
    expect(bad.text).toContain('1 8 bis 12');
    const periods = [1, 2, 3, 4, 5].map((d) => `${d} 08:00-13:00 3`).join('\n');
    const dry = await admin.submit(`${office}/zeiten`, { validFrom: '2026-06-08', periods, reason: '', step: 'pruefen' }, office);
    expect(dry.status).toBe(200);
    expect(dry.text).toContain('keine Buchung verliert ihren Schalter');
    const saved = await admin.submit(
      `${office}/zeiten`,
      { validFrom: '2026-06-08', periods, reason: '', step: 'speichern' },
      office,
    );
    expect(saved.status).toBe(303);
    const page = await admin.get(office);
    expect(page.text).toContain('Gültig ab 2026-06-08');
    const counters = await app.db.query(
      `SELECT DISTINCT counters FROM opening_hours WHERE location_id = $1 AND valid_from = '2026-06-08'`,
      [locationId],
    );
    expect(counters.rows).toEqual([{ counters: 3 }]);
  });

  it('creates a service and switches it off; edits the office details', async () => {
    const created = await admin.submit(
      '/verwaltung/anliegen',
      { name: 'Führungszeugnis', durationMinutes: '15' },
      '/verwaltung/aemter',
    );
    expect(created.status).toBe(303);
    const id = (await app.db.query(`SELECT id FROM services WHERE name = 'Führungszeugnis'`)).rows[0].id;
    const edited = await admin.submit(
      `/verwaltung/anliegen/${id}`,
      { name: 'Führungszeugnis beantragen', durationMinutes: '10', description: 'Für Arbeitgeber', whatToBring: 'Ausweis' },
      '/verwaltung/aemter',
    );
    expect(edited.status).toBe(303);
    expect(
      (await app.db.query(`SELECT name, duration_minutes, what_to_bring FROM services WHERE id = $1`, [id])).rows[0],
    ).toEqual({
      name: 'Führungszeugnis beantragen',
      duration_minutes: 10,
      what_to_bring: 'Ausweis',
    });
    expect((await admin.submit(`/verwaltung/anliegen/${id}`, { active: 'false' }, '/verwaltung/aemter')).status).toBe(303);
    expect((await app.db.query(`SELECT active FROM services WHERE id = $1`, [id])).rows[0].active).toBe(false);
    const list = await admin.get('/verwaltung/aemter');
    expect(list.text).toContain('Einschalten: Führungszeugnis beantragen');
    const office = `/verwaltung/aemter/${locationId}`;
    const changed = await admin.submit(
      office,
      {
        name: 'Bürgeramt Verwaltung',
        address: 'Ring 2',
        contact: '030 1234',
        publicNotice: 'Bitte Nummer ziehen',
        holidayRegion: '',
        noShowLimit: '',
      },
      office,
    );
    expect(changed.status).toBe(303);
    expect((await admin.get(office)).text).toContain('Bitte Nummer ziehen');
  });

  it('data protection: the export downloads as JSON; erasure is refused while a booking is ahead, then anonymises', async () => {
    const who = citizen();
    const slotId = await slotOf(app.db, locationId, serviceId, '2026-06-04T07:00:00Z');
    const booked = await http(app, 'POST', '/api/v1/bookings', { body: { slotId, name: who.name, email: who.email } });
    expect(booked.status).toBe(201);
    const exported = await admin.submit('/verwaltung/datenschutz/auskunft', { email: who.email }, '/verwaltung/datenschutz');
    expect(exported.status).toBe(200);
    expect(exported.headers.get('content-disposition')).toContain('holdfast-auskunft.json');
    expect(JSON.parse(exported.text).bookings.map((b: { reference: string }) => b.reference)).toEqual([booked.body.reference]);
    const refused = await admin.submit(
      '/verwaltung/datenschutz/loeschen',
      { email: who.email, reason: 'Antrag nach Art. 17' },
      '/verwaltung/datenschutz',
    );
    expect(refused.status).toBe(409);
    expect(refused.text).toContain(booked.body.reference);
    await http(app, 'POST', `/api/v1/bookings/${booked.body.id}/cancel`, {
      headers: { 'x-booking-token': booked.body.statusToken },
    });
    const erased = await admin.submit(
      '/verwaltung/datenschutz/loeschen',
      { email: who.email, reason: 'Antrag nach Art. 17' },
      '/verwaltung/datenschutz',
    );
    expect(erased.status).toBe(200);
    expect(erased.text).toContain('Anonymisiert: 1 Buchungen.');
    expect((await app.db.query(`SELECT email FROM bookings WHERE id = $1`, [booked.body.id])).rows[0].email).not.toBe(who.email);
  });
});
