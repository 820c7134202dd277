import { ExpirySweeperService } from '../src/bookings/expiry-sweeper.service';
import { DispatcherService } from '../src/notifications/dispatcher.service';
import { StaffService } from '../src/staff/staff.service';
import { citizen, createSlot } from './factories/scheduling.factory';
import { ScriptedSmtpServer } from './support/scripted-smtp';
import { http, startTestApp, TestApp, restoreClockAfterEach } from './support/test-app';

/**
 * The 2021 relay case: the city relay took every mail (250) and then sat on GMX's for days.
 * A supervisor declares an incident; holds extend; a bulk goodwill; the end sends an apology.
 */
describe('provider incidents (supervisor)', () => {
  // A relay that gives no reports (no DSN), with the transit rule at 0 minutes: its 250 counts as
  // delivered, and only a supervisor who sees the queue grow can say otherwise. (A reporting relay's
  // mail stays in transit; a declaration moves that to delayed too.)
  const relay = new ScriptedSmtpServer({ dsn: false });
  let app: TestApp;
  restoreClockAfterEach(() => app?.clock);
  let supervisor: string;
  let clerk: string;
  let incidentId: string;
  const gmx: Array<{ id: string; statusToken: string; email: string }> = [];
  let gmail: { id: string; statusToken: string; email: string };

  const as = (token: string) => ({ authorization: `Bearer ${token}` });
  const status = async (b: { id: string; statusToken: string }) =>
    (await http(app, 'GET', `/api/v1/bookings/${b.id}`, { headers: { 'x-booking-token': b.statusToken } })).body;

  const declare = () =>
    http(app, 'POST', '/api/v1/incidents', {
      body: { family: 'united-internet', reason: 'GMX/Web.de lehnen seit 10:42 ab, Relay-Queue wächst' },
      headers: as(supervisor),
    });
  /** The open incident: the first test declares it; a test run alone declares it itself. */
  const openIncident = async () => {
    if (!incidentId) incidentId = (await declare()).body.id;
    return incidentId;
  };

  beforeAll(async () => {
    app = await startTestApp({ env: { SMTP_URL: await relay.start(), RELAY_TRANSIT_MINUTES: '0' } });
    const staff = app.app.get(StaffService);
    await staff.create(
      { email: 'aufsicht@incident.example', role: 'supervisor', password: 'supervisor-pass-1' },
      { id: null, label: 'test' },
    );
    await staff.create(
      { email: 'clerk@incident.example', role: 'clerk', password: 'clerk-password-1' },
      { id: null, label: 'test' },
    );
    const { slotId } = await createSlot(app.db, { capacity: 10, startsAt: '2026-06-05T08:00:00Z' });
    for (const domain of ['gmx.de', 'web.de', 'gmx.net', 'gmx.de', 'gmail.com']) {
      const who = citizen();
      const email = who.email.replace('example.org', domain);
      const res = await http(app, 'POST', '/api/v1/bookings', { body: { slotId, ...who, email } });
      domain === 'gmail.com' ? (gmail = { ...res.body, email }) : gmx.push({ ...res.body, email });
    }
    await app.app.get(DispatcherService).dispatchOnce();
    supervisor = (
      await http(app, 'POST', '/api/v1/auth/login', {
        body: { email: 'aufsicht@incident.example', password: 'supervisor-pass-1' },
      })
    ).body.token;
    clerk = (
      await http(app, 'POST', '/api/v1/auth/login', { body: { email: 'clerk@incident.example', password: 'clerk-password-1' } })
    ).body.token;
  });
  afterAll(async () => {
    await app.close();
    await relay.stop();
  });

  it('a clerk may not declare; a supervisor does: relay-accepted, unconfirmed mail counts as undelivered again', async () => {
    expect((await status(gmx[0])).messages[0]).toMatchObject({ state: 'accepted', acceptedBy: 'relay' });
    const refused = await http(app, 'POST', '/api/v1/incidents', {
      body: { family: 'united-internet', reason: 'Relay-Queue wächst' },
      headers: as(clerk),
    });
    expect(refused.status).toBe(403);
    const res = await declare();
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ family: 'united-internet', mailsTreatedAsUndelivered: 4, endedAt: null });
    incidentId = res.body.id;
    for (const b of gmx) expect((await status(b)).messages[0].state).toBe('delayed');
    expect((await status(gmail)).messages[0].state).toBe('accepted');
    const again = await http(app, 'POST', '/api/v1/incidents', {
      body: { family: 'united-internet', reason: 'doppelt' },
      headers: as(supervisor),
    });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('INCIDENT_OPEN');
    const refusals = await app.db.query(
      `SELECT action, actor_label, after FROM audit_entries WHERE action LIKE '%refused' ORDER BY id`,
    );
    expect(refusals.rows.map((r) => [r.action, r.actor_label])).toEqual([
      ['access.refused', 'clerk@incident.example'],
      ['incident.declare.refused', 'aufsicht@incident.example'],
    ]);
  });

  it("while the incident lasts the family's holds extend; the other family's unconfirmed booking lapses as not_confirmed", async () => {
    await openIncident();
    app.clock.advance({ hours: 2 });
    await app.app.get(ExpirySweeperService).sweep();
    for (const b of gmx) {
      const s = await status(b);
      expect(s.status).toBe('pending');
      expect(new Date(s.holdUntil).getTime()).toBeGreaterThan(app.clock.now().toMillis());
    }
    expect(await status(gmail)).toMatchObject({ status: 'expired', expiryReason: 'not_confirmed' });
  });

  it('a bulk goodwill extension: dry run first, then for every pending booking of the family', async () => {
    const until = '2026-06-03T18:00:00+02:00';
    await openIncident();
    const extensionsAudited = async () =>
      (await app.db.query(`SELECT count(*)::int AS n FROM audit_entries WHERE action = 'incident.extend_holds'`)).rows[0].n;
    const auditedBefore = await extensionsAudited();
    const dry = await http(app, 'POST', `/api/v1/incidents/${incidentId}/extend-holds`, {
      body: { until, reason: 'Kulanz wegen GMX-Störung' },
      headers: as(supervisor),
    });
    expect(dry.body).toMatchObject({ bookings: 4, dryRun: true, cappedAtSlotStart: 0 });
    expect((await status(gmx[0])).holdUntil).not.toBe(until);
    expect(await extensionsAudited()).toBe(auditedBefore); // a dry run changes nothing and records nothing
    const done = await http(app, 'POST', `/api/v1/incidents/${incidentId}/extend-holds`, {
      body: { until, reason: 'Kulanz wegen GMX-Störung', dryRun: false },
      headers: as(supervisor),
    });
    expect(done.body).toMatchObject({ bookings: 4, dryRun: false });
    expect(await extensionsAudited()).toBe(auditedBefore + 1);
    for (const b of gmx) expect((await status(b)).holdUntil).toBe(until);
  });

  it('ending it resumes the family and sends the mail again with an apology; nothing is lost', async () => {
    await openIncident();
    const before = relay.received.length;
    const res = await http(app, 'POST', `/api/v1/incidents/${incidentId}/end`, {
      body: { reason: 'GMX nimmt wieder an' },
      headers: as(supervisor),
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ mailsResent: 4, endedBy: 'aufsicht@incident.example' });
    await app.app.get(DispatcherService).dispatchOnce();
    const resent = relay.received.slice(before);
    expect(resent).toHaveLength(4);
    for (const mail of resent) expect(mail.raw).toContain('Entschuldigen Sie bitte die Verz');
    for (const b of gmx) expect((await status(b)).messages[0].state).toBe('accepted');
    // Declared and ended by the supervisor (with whatever the other tests did in between), the end last.
    const audit = await app.db.query(`SELECT action, actor_label FROM audit_entries WHERE action LIKE 'incident.%' ORDER BY id`);
    const actions = audit.rows.map((r) => r.action);
    expect(actions[0]).toBe('incident.declare');
    expect(actions.at(-1)).toBe('incident.end');
    // In between only what the other tests of this file may have done: the refused second declaration, one extension.
    for (const action of actions.slice(1, -1)) expect(['incident.declare.refused', 'incident.extend_holds']).toContain(action);
    expect(actions.filter((a) => a === 'incident.extend_holds').length).toBeLessThanOrEqual(1);
    expect(audit.rows.at(-1).actor_label).toBe('aufsicht@incident.example');
    expect(
      (await http(app, 'POST', `/api/v1/incidents/${incidentId}/end`, { body: { reason: 'nochmal' }, headers: as(supervisor) }))
        .status,
    ).toBe(404);
  });
});
