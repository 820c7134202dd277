import { DispatcherService } from '../src/notifications/dispatcher.service';
import { ExpirySweeperService } from '../src/bookings/expiry-sweeper.service';
import { citizen, createSlot } from './factories/scheduling.factory';
import { http, startTestApp, TestApp, restoreClockAfterEach } from './support/test-app';

describe('confirmation through the mailed link (real SMTP to the dev catcher)', () => {
  let app: TestApp;
  restoreClockAfterEach(() => app?.clock);
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.close());

  async function bookAndDeliver() {
    const { slotId } = await createSlot(app.db, { capacity: 2, startsAt: '2026-06-05T08:00:00Z' });
    const who = citizen();
    const res = await http(app, 'POST', '/api/v1/bookings', { body: { slotId, ...who } });
    expect(res.status).toBe(201);
    await app.app.get(DispatcherService).dispatchOnce();
    const mail = app.catcher!.list().find((m) => m.to.includes(who.email));
    expect(mail).toBeDefined();
    const link = mail!.links.find((l) => l.includes('/confirm?token='))!;
    return { booking: res.body, slotId, link, token: new URL(link).searchParams.get('token')!, mail: mail! };
  }

  const status = async (b: { id: string; statusToken: string }) =>
    (await http(app, 'GET', `/api/v1/bookings/${b.id}`, { headers: { 'x-booking-token': b.statusToken } })).body;

  it('mails a German confirmation with the slot in local time and a link on PUBLIC_BASE_URL', async () => {
    const { mail, link, booking } = await bookAndDeliver();
    expect(mail.subject).toContain(booking.reference);
    expect(mail.text).toContain('Freitag, 5. Juni 2026 um 10:00 Uhr');
    expect(link.startsWith('http://holdfast.test/confirm?token=')).toBe(true);
    expect(mail.messageId).toMatch(/^<[0-9a-f-]{36}@holdfast\.test>$/);
    const view = await status(booking);
    expect(view.messages[0]).toMatchObject({ state: 'accepted', attempts: 1, lastReplyCode: 250 });
    expect(view.messages[0].history).toEqual([expect.objectContaining({ attempt: 1, outcome: 'accepted', replyCode: 250 })]);
  });

  it('GET and HEAD of the link change nothing; the page escapes and sends no referrer', async () => {
    const { booking, token } = await bookAndDeliver();
    await app.db.query(
      `UPDATE services SET name = '<script>alert(1)</script>' WHERE id = (SELECT s.service_id FROM bookings b JOIN slots s ON s.id = b.slot_id WHERE b.id = $1)`,
      [booking.id],
    );
    for (const method of ['GET', 'HEAD', 'GET']) {
      const res = await http(app, method, `/confirm?token=${token}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    }
    const page = await http(app, 'GET', `/confirm?token=${token}`);
    expect(page.text).toContain('Termin bestätigen');
    expect(page.text).toContain('method="post"');
    expect(page.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page.text).not.toContain('<script>');
    expect((await status(booking)).status).toBe('pending');
  });

  it('the form POST confirms; confirming twice answers confirmed again', async () => {
    const { booking, token } = await bookAndDeliver();
    const form = await http(app, 'POST', '/confirm', {
      raw: `token=${encodeURIComponent(token)}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(form.status).toBe(200);
    expect(form.text).toContain('Ihr Termin ist bestätigt');
    expect((await status(booking)).status).toBe('confirmed');
    const again = await http(app, 'POST', '/api/v1/confirmations', { body: { token } });
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ id: booking.id, reference: booking.reference, status: 'confirmed' });
  });

  it('after the hold ran out the token gets the same 404 as an unknown one, and the sweeper released the place', async () => {
    const { booking, token, slotId } = await bookAndDeliver();
    app.clock.advance({ minutes: 61 });
    try {
      const late = await http(app, 'POST', '/api/v1/confirmations', { body: { token } });
      const unknown = await http(app, 'POST', '/api/v1/confirmations', { body: { token: 'A'.repeat(43) } });
      expect(late.status).toBe(404);
      // The same answer as for an unknown token, but for its own request id.
      expect({ ...late.body.error, requestId: undefined }).toEqual({ ...unknown.body.error, requestId: undefined });
      expect(late.body.error.code).toBe('TOKEN_INVALID');
      const page = await http(app, 'GET', `/confirm?token=${token}`);
      expect(page.status).toBe(404);

      const before = (await app.db.query('SELECT booked FROM slots WHERE id = $1', [slotId])).rows[0].booked;
      expect(before).toBe(1);
      const expired = await app.app.get(ExpirySweeperService).sweep();
      expect(expired).toBeGreaterThanOrEqual(1);
      const after = (await app.db.query('SELECT booked FROM slots WHERE id = $1', [slotId])).rows[0].booked;
      expect(after).toBe(0);
      const view = await status(booking);
      // The mail was accepted, so the citizen could have confirmed: not_confirmed, not mail_undelivered.
      expect(view).toMatchObject({ status: 'expired', expiryReason: 'not_confirmed' });
      const { rows } = await app.db.query('SELECT count(*)::int AS n FROM bookings WHERE id = $1', [booking.id]);
      expect(rows[0].n).toBe(1);
    } finally {
      app.clock.advance({ minutes: -61 });
    }
  });

  it('a booking whose mail never left is held while it cannot arrive, then expires as mail_undelivered into the review queue', async () => {
    const { slotId } = await createSlot(app.db, { capacity: 1, startsAt: '2026-06-06T08:00:00Z' });
    const res = await http(app, 'POST', '/api/v1/bookings', { body: { slotId, ...citizen() } });
    await app.db.query(
      `UPDATE outbox_messages SET next_attempt_at = next_attempt_at + interval '10 days' WHERE booking_id = $1`,
      [res.body.id],
    );
    const start = app.clock.now();
    try {
      app.clock.advance({ minutes: 61 });
      await app.app.get(ExpirySweeperService).sweep();
      const held = await status(res.body);
      expect(held.status).toBe('pending');
      // Extended to a full window from now: 09:01Z + 60 min = 12:01 in Berlin.
      expect(held.holdUntil).toBe('2026-06-01T12:01:00+02:00');
      // 72 hours after booking the hold ends (HOLD_MAX_HOURS), even though the mail never left.
      app.clock.set('2026-06-04T08:00:01Z');
      await app.app.get(ExpirySweeperService).sweep();
      expect(await status(res.body)).toMatchObject({ status: 'expired', expiryReason: 'mail_undelivered' });
      const { rows } = await app.db.query(`SELECT review_status FROM bookings WHERE id = $1`, [res.body.id]);
      expect(rows[0].review_status).toBe('open');
    } finally {
      app.clock.set(start);
    }
  });

  it('the database refuses to delete a booking or rewrite the audit log', async () => {
    const { booking } = await bookAndDeliver();
    await expect(app.db.query('DELETE FROM bookings WHERE id = $1', [booking.id])).rejects.toThrow(/never deleted/);
    await app.db.query(`INSERT INTO audit_entries (at, actor_label, action) VALUES (now(), 'test', 'test.entry')`);
    await expect(app.db.query(`UPDATE audit_entries SET action = 'forged'`)).rejects.toThrow(/append-only/);
    await expect(app.db.query(`DELETE FROM audit_entries`)).rejects.toThrow(/append-only/);
  });
});
