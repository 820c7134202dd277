import { ExpirySweeperService } from '../src/bookings/expiry-sweeper.service';
import { DispatcherService } from '../src/notifications/dispatcher.service';
import { simpleParser } from 'mailparser';
import { ProvidersService } from '../src/mail-delivery/providers.service';
import { StaffService } from '../src/staff/staff.service';
import { addSlot, citizen, createSlot } from './factories/scheduling.factory';
import { GMX_IP_BLOCK } from './support/provider-replies';
import { ScriptedSmtpServer } from './support/scripted-smtp';
import { http, startTestApp, TestApp, restoreClockAfterEach, confirmTokenOfQueued } from './support/test-app';

describe("the clerks' review queue", () => {
  // The city relay; GMX and Web.de refuse our IP (554) until a test lets them through.
  const relay = new ScriptedSmtpServer();
  let app: TestApp;
  restoreClockAfterEach(() => app?.clock);
  let clerk: string;
  let slot: { slotId: string; locationId: string; serviceId: string };
  let lapsed: { id: string; statusToken: string; email: string };
  let waiting: { id: string; statusToken: string; email: string };
  let closing: { id: string; statusToken: string; email: string };

  const as = (token: string) => ({ authorization: `Bearer ${token}` });
  const book = async (domain = 'example.org') => {
    const who = citizen();
    const email = who.email.replace('example.org', domain);
    const res = await http(app, 'POST', '/api/v1/bookings', { body: { slotId: slot.slotId, ...who, email } });
    expect(res.status).toBe(201);
    return { ...res.body, email };
  };
  const status = async (b: { id: string; statusToken: string }) =>
    (await http(app, 'GET', `/api/v1/bookings/${b.id}`, { headers: { 'x-booking-token': b.statusToken } })).body;
  const auditOf = async (id: string) =>
    (
      await app.db.query(
        `SELECT action, reason, actor_label, before, after FROM audit_entries WHERE booking_id = $1 ORDER BY id`,
        [id],
      )
    ).rows;

  /** The text of the last mail the relay took for this address (decoded). */
  const lastMailTo = async (email: string, containing: string) => {
    for (const mail of [...relay.received].reverse()) {
      if (!mail.to.includes(email)) continue;
      const parsed = await simpleParser(mail.raw);
      if ((parsed.text ?? '').includes(containing) || (parsed.subject ?? '').includes(containing)) return parsed;
    }
    return undefined;
  };

  /** GMX takes mail again; a supervisor resumes the family (idempotent). */
  const gmxTakesMailAgain = async () => {
    relay.rcptReplies.clear();
    await app.app.get(ProvidersService).resume('united-internet', 'GMX nimmt wieder an', { id: null, label: 'supervisor' });
  };

  beforeAll(async () => {
    const smtpUrl = await relay.start();
    relay.rcptReplies.set('gmx.de', GMX_IP_BLOCK);
    relay.rcptReplies.set('web.de', GMX_IP_BLOCK);
    app = await startTestApp({ env: { SMTP_URL: smtpUrl } });
    await app.app
      .get(StaffService)
      .create({ email: 'clerk@review.example', role: 'clerk', password: 'clerk-password-1' }, { id: null, label: 'test' });
    slot = await createSlot(app.db, { capacity: 5, startsAt: '2026-06-10T08:00:00Z' });
    // Two bookings whose mail cannot arrive: GMX refuses, the family's circuit opens, both are held
    // (the second without an attempt) for the 72 hours the hold may last, then lapse.
    lapsed = await book('gmx.de');
    // A millisecond later, so the claim (oldest due first) tries `lapsed` first.
    app.clock.advance({ milliseconds: 1 });
    closing = await book('web.de');
    await app.app.get(DispatcherService).dispatchOnce();
    app.clock.set('2026-06-04T08:00:01Z'); // 72 h later: the hold's upper limit
    await app.app.get(ExpirySweeperService).sweep();
    clerk = (
      await http(app, 'POST', '/api/v1/auth/login', { body: { email: 'clerk@review.example', password: 'clerk-password-1' } })
    ).body.token;
    app.clock.advance({ minutes: 5 });
    // A third still waits: its mail is the probe of the half-open circuit, refused again, held.
    waiting = await book('gmx.de');
    await app.app.get(DispatcherService).dispatchOnce();
  });
  afterAll(async () => {
    await app.close();
    await relay.stop();
  });

  it('lists what lapsed because the mail never arrived, and what still waits for it; filters; paginates', async () => {
    const all = await http(app, 'GET', '/api/v1/review/bookings', { headers: as(clerk) });
    expect(all.status).toBe(200);
    expect(all.body.total).toBe(3);
    expect(all.body.items[0].id).toBe(waiting.id); // newest first
    const lapsedOnly = await http(app, 'GET', '/api/v1/review/bookings?reason=mail_undelivered', { headers: as(clerk) });
    expect(lapsedOnly.body.items.map((i: any) => i.id).sort()).toEqual([lapsed.id, closing.id].sort());
    expect(lapsedOnly.body.items[0]).toMatchObject({ status: 'expired', expiryReason: 'mail_undelivered', reviewStatus: 'open' });
    const held = await http(
      app,
      'GET',
      `/api/v1/review/bookings?reason=held_for_mail&family=united-internet&locationId=${slot.locationId}&day=2026-06-10`,
      { headers: as(clerk) },
    );
    expect(held.body.items.map((i: any) => i.id)).toEqual([waiting.id]);
    expect(held.body.items[0].mail).toMatchObject({ state: 'held_provider_blocked', family: 'united-internet' });
    const page = await http(app, 'GET', '/api/v1/review/bookings?limit=1&offset=1', { headers: as(clerk) });
    expect(page.body).toMatchObject({ total: 3, limit: 1, offset: 1 });
    expect(page.body.items).toHaveLength(1);
    expect((await http(app, 'GET', '/api/v1/review/bookings?day=2026-06-11', { headers: as(clerk) })).body.total).toBe(0);
  });

  it('shows a booking with its delivery history and audit trail', async () => {
    const detail = await http(app, 'GET', `/api/v1/review/bookings/${lapsed.id}`, { headers: as(clerk) });
    expect(detail.status).toBe(200);
    expect(detail.body).toMatchObject({
      id: lapsed.id,
      status: 'expired',
      expiryReason: 'mail_undelivered',
      reviewStatus: 'open',
    });
    // Tried once, refused by GMX, held by the circuit, withdrawn when the booking lapsed.
    expect(detail.body.messages).toHaveLength(1);
    expect(detail.body.messages[0]).toMatchObject({
      channel: 'email',
      state: 'cancelled',
      family: 'united-internet',
      attempts: 1,
    });
    expect(detail.body.messages[0].history).toEqual([
      expect.objectContaining({ attempt: 1, outcome: 'held', replyCode: 554, category: 'provider_block' }),
    ]);
    // Nobody acted on it yet: the sweeper's expiry is in the booking, not in the staff audit.
    expect(detail.body.audit).toEqual([]);
  });

  it('a goodwill extension: refused past the slot (audited), granted within it, beyond the 72 hours', async () => {
    const tooLate = await http(app, 'POST', `/api/v1/review/bookings/${waiting.id}/extend`, {
      body: { until: '2026-06-10T07:30:00Z', reason: 'Kulanz' },
      headers: as(clerk),
    });
    expect(tooLate.status).toBe(422);
    expect(tooLate.body.error.code).toBe('EXTENSION_INVALID');
    const spaceForT = await http(app, 'POST', `/api/v1/review/bookings/${waiting.id}/extend`, {
      body: { until: '2026-06-09 12:00:00Z', reason: 'Kulanz' },
      headers: as(clerk),
    });
    // The shape passes validation (ISO 8601 allows the space), the date library does not: 422, named.
    expect(spaceForT.status).toBe(422);
    expect(spaceForT.body.error).toMatchObject({
      code: 'EXTENSION_INVALID',
      message: '`until` is not a valid ISO-8601 date-time.',
    });
    const noReason = await http(app, 'POST', `/api/v1/review/bookings/${waiting.id}/extend`, {
      body: { until: '2026-06-09T12:00:00Z' },
      headers: as(clerk),
    });
    expect(noReason.status).toBe(400);
    const ok = await http(app, 'POST', `/api/v1/review/bookings/${waiting.id}/extend`, {
      body: { until: '2026-06-09T12:00:00Z', reason: 'GMX-Störung, Kulanz bis Dienstag' },
      headers: as(clerk),
    });
    expect(ok.status).toBe(200);
    expect(ok.body.holdUntil).toBe('2026-06-09T14:00:00+02:00');
    const trail = await auditOf(waiting.id);
    expect(trail.map((t) => t.action)).toEqual(['review.extend.refused', 'review.extend.refused', 'review.extend']);
    expect(trail.at(-1)).toMatchObject({
      reason: 'GMX-Störung, Kulanz bis Dienstag',
      actor_label: 'clerk@review.example',
      after: { goodwillUntil: '2026-06-09T12:00:00.000Z' },
    });
  });

  it('reinstates an expired booking with a new confirmation: the old link is dead, the new one confirms', async () => {
    const oldToken = await confirmTokenOfQueued(app, lapsed.id);
    const res = await http(app, 'POST', `/api/v1/review/bookings/${lapsed.id}/reinstate`, {
      body: { reason: 'Bürger rief an, Mail kam nie an' },
      headers: as(clerk),
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'pending', reviewStatus: 'closed', expiryReason: null });
    // The hold starts again now (2026-06-04 08:05:01 here): its first window and its upper limit count from the reinstatement.
    const { rows: held } = await app.db.query(`SELECT hold_started_at, hold_until FROM bookings WHERE id = $1`, [lapsed.id]);
    expect(held[0].hold_started_at.toISOString()).toBe(app.clock.now().toUTC().toISO());
    expect(held[0].hold_until.toISOString()).toBe(app.clock.now().plus({ minutes: 60 }).toUTC().toISO());
    expect((await http(app, 'POST', '/api/v1/confirmations', { body: { token: oldToken } })).status).toBe(404);
    const trail = (await http(app, 'GET', `/api/v1/review/bookings/${lapsed.id}`, { headers: as(clerk) })).body.audit;
    expect(trail).toEqual([
      expect.objectContaining({
        action: 'review.reinstate',
        actorLabel: 'clerk@review.example',
        reason: 'Bürger rief an, Mail kam nie an',
        before: expect.objectContaining({ status: 'expired', reviewStatus: 'open' }),
        after: expect.objectContaining({ status: 'pending', reviewStatus: 'closed' }),
      }),
    ]);
    // GMX takes mail again; a supervisor resumes the family and the new confirmation goes out.
    await gmxTakesMailAgain();
    await app.app.get(DispatcherService).dispatchOnce();
    const mail = await lastMailTo(lapsed.email, 'wiederhergestellt');
    expect(mail).toBeDefined();
    const token = /\/confirm\?token=([A-Za-z0-9_-]{43})/.exec(mail!.text ?? '')![1];
    expect((await http(app, 'POST', '/api/v1/confirmations', { body: { token } })).body.status).toBe('confirmed');
    const { rows } = await app.db.query(`SELECT booked FROM slots WHERE id = $1`, [slot.slotId]);
    expect(rows[0].booked).toBe(2); // waiting + lapsed
  });

  it('refuses to reinstate into a full slot, and audits the refusal', async () => {
    // A full slot of the same service at the same office (another service's slot is refused too: RESCHEDULE_NOT_ALLOWED).
    const {
      rows: [at],
    } = await app.db.query(
      `SELECT s.location_id AS "locationId", s.service_id AS "serviceId" FROM bookings b JOIN slots s ON s.id = b.slot_id WHERE b.id = $1`,
      [closing.id],
    );
    const fullSlotId = await addSlot(app.db, at, '2026-06-11T08:00:00Z', 0);
    const otherService = await createSlot(app.db, { capacity: 3, startsAt: '2026-06-11T08:00:00Z' });
    const wrong = await http(app, 'POST', `/api/v1/review/bookings/${closing.id}/reinstate`, {
      body: { slotId: otherService.slotId, reason: 'anderer Termin' },
      headers: as(clerk),
    });
    expect([wrong.status, wrong.body.error.code]).toEqual([409, 'RESCHEDULE_NOT_ALLOWED']);
    const res = await http(app, 'POST', `/api/v1/review/bookings/${closing.id}/reinstate`, {
      body: { slotId: fullSlotId, reason: 'anderer Termin' },
      headers: as(clerk),
    });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('SLOT_FULL');
    expect((await status(closing)).status).toBe('expired');
    expect((await auditOf(closing.id)).map((t) => t.action)).toEqual(['review.reinstate.refused', 'review.reinstate.refused']);
  });

  it('confirms by hand a pending booking; refuses an expired one', async () => {
    const wrong = await http(app, 'POST', `/api/v1/review/bookings/${closing.id}/confirm`, {
      body: { reason: 'Anruf' },
      headers: as(clerk),
    });
    expect(wrong.status).toBe(409);
    expect(wrong.body.error.code).toBe('INVALID_TRANSITION');
    const ok = await http(app, 'POST', `/api/v1/review/bookings/${waiting.id}/confirm`, {
      body: { reason: 'Bürgerin rief an: HF-Nummer genannt' },
      headers: as(clerk),
    });
    expect(ok.body.status).toBe('confirmed');
    expect((await auditOf(waiting.id)).at(-1)).toMatchObject({
      action: 'review.confirm',
      before: { status: 'pending' },
      after: { status: 'confirmed' },
    });
  });

  it('closes a review: the citizen is told, with a link to book again', async () => {
    const res = await http(app, 'POST', `/api/v1/review/bookings/${closing.id}/close`, {
      body: { reason: 'Bürger nicht erreichbar' },
      headers: as(clerk),
    });
    expect(res.status).toBe(200);
    expect(res.body.reviewStatus).toBe('closed');
    await gmxTakesMailAgain();
    await app.app.get(DispatcherService).dispatchOnce();
    const notice = await lastMailTo(closing.email, 'verfallen');
    expect(notice?.text).toContain('http://holdfast.test/');
    const again = await http(app, 'POST', `/api/v1/review/bookings/${closing.id}/close`, {
      body: { reason: 'nochmal' },
      headers: as(clerk),
    });
    expect(again.status).toBe(409);
  });

  it('refuses to reinstate when the citizen booked the same slot again meanwhile (409, audited)', async () => {
    const again = await http(app, 'POST', '/api/v1/bookings', {
      body: { slotId: slot.slotId, name: 'Neu Gebucht', email: closing.email },
    });
    expect(again.status).toBe(201);
    const res = await http(app, 'POST', `/api/v1/review/bookings/${closing.id}/reinstate`, {
      body: { reason: 'Anruf' },
      headers: as(clerk),
    });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('BOOKING_LIMIT_SLOT');
    expect((await auditOf(closing.id)).at(-1).action).toBe('review.reinstate.refused');
  });

  it('is for staff only', async () => {
    expect((await http(app, 'GET', '/api/v1/review/bookings')).status).toBe(401);
    expect((await http(app, 'GET', '/api/v1/review/bookings?reason=everything', { headers: as(clerk) })).status).toBe(400);
    expect((await http(app, 'GET', '/api/v1/review/bookings/not-a-uuid', { headers: as(clerk) })).status).toBe(400);
  });
});
