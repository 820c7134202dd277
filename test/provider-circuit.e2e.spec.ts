import { DispatcherService } from '../src/notifications/dispatcher.service';
import { citizen, createSlot } from './factories/scheduling.factory';
import { GMX_IP_BLOCK } from './support/provider-replies';
import { ScriptedSmtpServer } from './support/scripted-smtp';
import { http, startTestApp, TestApp, restoreClockAfterEach } from './support/test-app';

/**
 * The Bremen/Mülheim case through a relay that passes the provider's refusal on: GMX blocks
 * our IP; the united-internet family (gmx.de, web.de, gmx.net) stops at the first refusal and
 * is probed once per open period; gmail.com and t-online.de keep flowing; when the block lifts
 * every held mail goes out exactly once.
 */
describe('provider circuit: one family blocked, the others flowing', () => {
  // A relay without DSN (its 250 counts as delivered at once: RELAY_TRANSIT_MINUTES=0), refusing what
  // the provider behind it refuses: its 250 is the probe's whole answer.
  const relay = new ScriptedSmtpServer({ dsn: false });
  let app: TestApp;
  restoreClockAfterEach(() => app?.clock);
  let dispatcher: DispatcherService;
  let staffToken: string;
  const bookings: Array<{ id: string; statusToken: string; email: string }> = [];

  const UI = ['gmx.de', 'web.de', 'gmx.net'];
  const OTHERS = ['gmail.com', 't-online.de'];
  const rcptTo = (domains: string[]) => relay.rcptLog.filter((a) => domains.includes(a.split('@')[1])).length;
  const deliveredTo = (email: string) => relay.received.filter((r) => r.to.includes(email)).length;
  const stateOf = async (id: string) =>
    (await app.db.query(`SELECT state, family FROM outbox_messages WHERE booking_id = $1`, [id])).rows[0];

  beforeAll(async () => {
    const smtpUrl = await relay.start();
    for (const d of ['gmx.de', 'web.de', 'gmx.net']) relay.rcptReplies.set(d, GMX_IP_BLOCK);
    app = await startTestApp({ env: { SMTP_URL: smtpUrl, DISPATCH_BATCH_SIZE: '100', RELAY_TRANSIT_MINUTES: '0' } });
    dispatcher = app.app.get(DispatcherService);
    const { StaffService } = await import('../src/staff/staff.service');
    await app.app
      .get(StaffService)
      .create(
        { email: 'aufsicht@test.example', role: 'supervisor', password: 'supervisor-password' },
        { id: null, label: 'test' },
      );
    staffToken = (
      await http(app, 'POST', '/api/v1/auth/login', { body: { email: 'aufsicht@test.example', password: 'supervisor-password' } })
    ).body.token;
    const { slotId } = await createSlot(app.db, { capacity: 50, startsAt: '2026-06-03T08:00:00Z' });
    for (const domain of [...UI, ...UI, ...OTHERS, ...OTHERS, ...OTHERS]) {
      const who = citizen();
      const email = who.email.replace('example.org', domain);
      const res = await http(app, 'POST', '/api/v1/bookings', { body: { slotId, ...who, email } });
      expect(res.status).toBe(201);
      bookings.push({ ...res.body, email });
    }
  });
  afterAll(async () => {
    await app.close();
    await relay.stop();
  });

  // One scenario in three phases (each needs the state the one before left): the block, the open
  // circuit and its probe, the recovery.
  it('a GMX block from the first refusal to recovery: opens at once, probes once per period, then every held mail goes out once', async () => {
    // Phase 1: opens at the first refusal; only one united-internet mail reached the provider; the others were delivered.
    await dispatcher.dispatchOnce();
    expect(rcptTo(UI)).toBe(1);
    for (const b of bookings.filter((x) => OTHERS.includes(x.email.split('@')[1]))) expect(deliveredTo(b.email)).toBe(1);
    const ui = bookings.filter((x) => UI.includes(x.email.split('@')[1]));
    for (const b of ui) expect(await stateOf(b.id)).toEqual({ state: 'held_provider_blocked', family: 'united-internet' });

    const view = await http(app, 'GET', `/api/v1/bookings/${ui[0].id}`, { headers: { 'x-booking-token': ui[0].statusToken } });
    expect(view.body.status).toBe('pending');
    expect(view.body.messages[0]).toMatchObject({ state: 'held_provider_blocked', family: 'united-internet' });
    expect(view.body.hold.explanation).toMatch(
      /^Ihr E-Mail-Anbieter \(GMX\) nimmt unsere Nachrichten seit 10:00 Uhr nicht an\. Wir halten Ihren Termin, bis die Nachricht ankommt/,
    );
    // The status page in English says the same in English.
    const page = await http(app, 'GET', `/buchung/${ui[0].id}?token=${encodeURIComponent(ui[0].statusToken)}&lang=en`);
    expect(page.status).toBe(200);
    expect(page.text).toContain(
      'Your e-mail provider (GMX) has not been accepting our messages since 10:00. We are holding your appointment until the message arrives',
    );

    const providers = await http(app, 'GET', '/api/v1/mail/providers', { headers: { authorization: `Bearer ${staffToken}` } });
    const family = providers.body.find((p: any) => p.family === 'united-internet');
    expect(family.circuit.state).toBe('open');
    expect(family.waiting.held).toBe(6);
    expect(family.lastReply.category).toBe('provider_block');
    expect(family.lastHour.provider_block).toBe(1);
    expect(providers.body.find((p: any) => p.family === 'google').circuit.state).toBe('closed');

    // Phase 2: while open, nothing is tried; after the open period exactly one probe goes, and a refusal doubles the period.
    await dispatcher.dispatchOnce();
    await dispatcher.dispatchOnce();
    expect(rcptTo(UI)).toBe(1);
    app.clock.advance({ minutes: 16 });
    await dispatcher.dispatchOnce();
    await dispatcher.dispatchOnce();
    expect(rcptTo(UI)).toBe(2);
    const { rows } = await app.db.query(`SELECT state, open_until FROM provider_circuits WHERE family = 'united-internet'`);
    expect(rows[0].state).toBe('open');
    const openForMinutes = (new Date(rows[0].open_until).getTime() - app.clock.now().toMillis()) / 60000;
    expect(openForMinutes).toBeCloseTo(30, 0);

    // Phase 3: the block lifts; the probe closes the circuit and every held mail is delivered exactly once.
    for (const d of UI) relay.rcptReplies.delete(d);
    app.clock.advance({ minutes: 31 });
    await dispatcher.dispatchOnce(); // the probe
    await dispatcher.dispatchOnce(); // the released mail
    await dispatcher.dispatchOnce(); // nothing left
    for (const b of bookings) {
      expect(deliveredTo(b.email)).toBe(1);
      expect((await stateOf(b.id)).state).toBe('accepted');
    }
    const { rows: after } = await app.db.query(`SELECT state FROM provider_circuits WHERE family = 'united-internet'`);
    expect(after[0].state).toBe('closed');
    const lost = await app.db.query(`SELECT count(*)::int AS n FROM outbox_messages WHERE state NOT IN ('accepted')`);
    expect(lost.rows[0].n).toBe(0);
  });

  it("a probe whose worker died is probed again, even when it is the family's only mail", async () => {
    const { ProviderCircuitsService } = await import('../src/mail-delivery/provider-circuits.service');
    const { OutboxRepository } = await import('../src/outbox/outbox.repository');
    relay.rcptReplies.set('lonely.example', GMX_IP_BLOCK);
    const { slotId } = await createSlot(app.db, { capacity: 2, startsAt: '2026-06-05T08:00:00Z' });
    const who = citizen();
    const email = who.email.replace('example.org', 'lonely.example');
    const b = (await http(app, 'POST', '/api/v1/bookings', { body: { slotId, ...who, email } })).body;
    await dispatcher.dispatchOnce();
    expect(await stateOf(b.id)).toEqual({ state: 'held_provider_blocked', family: 'lonely.example' });
    relay.rcptReplies.delete('lonely.example');
    app.clock.advance({ minutes: 16 });
    // The probe is claimed by a worker that dies before sending.
    await app.app.get(ProviderCircuitsService).tick();
    await app.app.get(ProviderCircuitsService).claimProbes(async (m, id) => {
      await app.app
        .get(OutboxRepository)
        .claimProbe(m, id, { now: app.clock.now().toJSDate(), owner: 'crashed-worker', leaseSeconds: 60 });
    });
    expect((await stateOf(b.id)).state).toBe('sending');
    app.clock.advance({ minutes: 3 });
    await dispatcher.dispatchOnce(); // the probe again: accepted, the circuit closes
    expect((await stateOf(b.id)).state).toBe('accepted');
    const attempts = await app.db.query(
      `SELECT a.outcome, a.worker FROM mail_attempts a JOIN outbox_messages o ON o.id = a.message_id WHERE o.booking_id = $1 ORDER BY a.id`,
      [b.id],
    );
    expect(attempts.rows.map((r) => r.outcome)).toEqual(['held', 'lease_expired', 'accepted']);
    expect((await app.db.query(`SELECT state FROM provider_circuits WHERE family = 'lonely.example'`)).rows[0].state).toBe(
      'closed',
    );
  });

  it('a supervisor pauses and resumes a family by hand, audited; a clerk may not', async () => {
    const { StaffService } = await import('../src/staff/staff.service');
    await app.app
      .get(StaffService)
      .create(
        { email: 'sachbearbeitung@test.example', role: 'clerk', password: 'clerk-password-1' },
        { id: null, label: 'test' },
      );
    const clerk = (
      await http(app, 'POST', '/api/v1/auth/login', {
        body: { email: 'sachbearbeitung@test.example', password: 'clerk-password-1' },
      })
    ).body.token;
    const refused = await http(app, 'POST', '/api/v1/mail/providers/google/pause', {
      body: { reason: 'test' },
      headers: { authorization: `Bearer ${clerk}` },
    });
    expect(refused.status).toBe(403);
    const noReason = await http(app, 'POST', '/api/v1/mail/providers/google/pause', {
      body: {},
      headers: { authorization: `Bearer ${staffToken}` },
    });
    expect(noReason.status).toBe(400);

    const pause = await http(app, 'POST', '/api/v1/mail/providers/google/pause', {
      body: { reason: 'Gmail meldet Spam-Verdacht' },
      headers: { authorization: `Bearer ${staffToken}` },
    });
    expect(pause.status).toBe(200);
    expect(pause.body).toMatchObject({ state: 'open', pausedBy: 'aufsicht@test.example' });
    const { slotId } = await createSlot(app.db, { capacity: 5, startsAt: '2026-06-04T08:00:00Z' });
    const who = citizen();
    const b = (
      await http(app, 'POST', '/api/v1/bookings', {
        body: { slotId, ...who, email: who.email.replace('example.org', 'gmail.com') },
      })
    ).body;
    const before = rcptTo(['gmail.com']);
    app.clock.advance({ hours: 5 });
    await dispatcher.dispatchOnce();
    // Paused by hand: no probe, whatever the time; nothing reached Gmail.
    expect(rcptTo(['gmail.com'])).toBe(before);
    expect((await stateOf(b.id)).state).toBe('held_provider_blocked');

    const resume = await http(app, 'POST', '/api/v1/mail/providers/google/resume', {
      body: { reason: 'Gmail nimmt wieder an' },
      headers: { authorization: `Bearer ${staffToken}` },
    });
    expect(resume.body.state).toBe('closed');
    await dispatcher.dispatchOnce();
    expect((await stateOf(b.id)).state).toBe('accepted');
    const audit = await app.db.query(
      `SELECT action, reason, actor_label FROM audit_entries WHERE action LIKE 'provider.%' ORDER BY id`,
    );
    expect(audit.rows).toEqual([
      { action: 'provider.pause', reason: 'Gmail meldet Spam-Verdacht', actor_label: 'aufsicht@test.example' },
      { action: 'provider.resume', reason: 'Gmail nimmt wieder an', actor_label: 'aufsicht@test.example' },
    ]);
  });
});
