import { RetentionService } from '../src/privacy/retention.service';
import { SecretsService } from '../src/common/secrets.service';
import { DispatcherService } from '../src/notifications/dispatcher.service';
import { createSlot, addSlot } from './factories/scheduling.factory';
import { bookThroughApi, http, restoreClockAfterEach, staffToken, startTestApp, TestApp } from './support/test-app';

/**
 * Data protection on a real database: retention anonymises exactly what is due (bookings, their
 * mail, reports and audit values; rows stay, figures stay), instances running it together share
 * the work, the audit log keeps hashes of addresses and numbers; an admin exports and erases an
 * address.
 */
describe('data protection', () => {
  let app: TestApp;
  let admin: string;
  let supervisor: string;
  let at: { locationId: string; serviceId: string; slotId: string };
  restoreClockAfterEach(() => app?.clock);
  beforeAll(async () => {
    app = await startTestApp({ clockStart: '2026-06-01T04:00:00Z', env: { NO_SHOW_LIMIT: '1' } });
    admin = await staffToken(app, 'admin');
    supervisor = await staffToken(app, 'supervisor');
    at = await createSlot(app.db, { startsAt: '2026-06-02T08:00:00Z', capacity: 10 });
  }, 60_000);
  afterAll(() => app?.close());

  const asAdmin = { authorization: () => `Bearer ${admin}` };
  const post = (path: string, body: unknown, token = asAdmin.authorization()) =>
    http(app, 'POST', path, { body, headers: { authorization: token } });
  /** Every stored text of these tables that mentions `needle` (case-insensitive). */
  const mentions = async (needle: string) =>
    (
      await app.db.query(
        `SELECT 'bookings' AS t FROM bookings x WHERE to_jsonb(x)::text ILIKE '%' || $1 || '%'
         UNION ALL SELECT 'outbox' FROM outbox_messages x WHERE to_jsonb(x)::text ILIKE '%' || $1 || '%'
         UNION ALL SELECT 'attempts' FROM mail_attempts x WHERE to_jsonb(x)::text ILIKE '%' || $1 || '%'
         UNION ALL SELECT 'events' FROM delivery_events x WHERE to_jsonb(x)::text ILIKE '%' || $1 || '%'
         UNION ALL SELECT 'audit' FROM audit_entries x WHERE to_jsonb(x)::text ILIKE '%' || $1 || '%'`,
        [needle],
      )
    ).rows.map((r) => r.t);
  const stats = async (token = supervisor) =>
    (
      await http(app, 'GET', `/api/v1/stats?locationId=${at.locationId}&from=2026-06-01&to=2026-06-30`, {
        headers: { authorization: `Bearer ${token}` },
      })
    ).body;

  it('retention anonymises exactly the due bookings with their mail, reports and audit values; rows and figures stay; two runs at once do each booking once', async () => {
    const due = await bookThroughApi(app, at.slotId); // appointment 2 June
    const dueAddress = due.email;
    const newAddress = `neu.${Date.now()}@example.org`;
    const tokenHeader = { 'x-booking-token': due.statusToken };
    expect(
      (await http(app, 'POST', `/api/v1/bookings/${due.id}/change-email`, { body: { email: newAddress }, headers: tokenHeader }))
        .status,
    ).toBe(200);
    expect(
      (
        await http(app, 'POST', `/api/v1/bookings/${due.id}/add-phone`, {
          body: { phone: '+4915112345678' },
          headers: tokenHeader,
        })
      ).status,
    ).toBe(200);
    const cancelled = await bookThroughApi(app, at.slotId); // cancelled on 1 June
    expect(
      (
        await http(app, 'POST', `/api/v1/bookings/${cancelled.id}/cancel`, {
          headers: { 'x-booking-token': cancelled.statusToken },
        })
      ).status,
    ).toBe(200);
    const later = await bookThroughApi(app, await addSlot(app.db, at, '2026-06-20T08:00:00Z', 10)); // appointment 20 June
    await app.app.get(DispatcherService).dispatchOnce();
    await app.db.query(
      `INSERT INTO delivery_events (at, source, kind, recipient, raw, reply) VALUES ('2026-06-01T05:00:00Z', 'dsn', 'unmatched', $1, $2, $3)`,
      ['stranger@example.net', 'Final-Recipient: rfc822; stranger@example.net', '550 5.1.1 <stranger@example.net> unknown'],
    );

    // The audit log kept hashes, never the addresses or the number.
    const change = (
      await app.db.query(`SELECT before, after FROM audit_entries WHERE booking_id = $1 AND action = 'citizen.change_email'`, [
        due.id,
      ])
    ).rows[0];
    const hash = (v: string) => app.app.get(SecretsService).personalHash(v);
    expect(change).toEqual({ before: { email: hash(dueAddress), phone: null }, after: { email: hash(newAddress), phone: null } });
    expect(await mentions('15112345678')).not.toContain('audit');
    expect(await mentions(dueAddress)).not.toContain('audit');

    const figures = await stats();
    const counts = async () =>
      (
        await app.db.query(
          `SELECT (SELECT count(*)::int FROM bookings) b, (SELECT count(*)::int FROM outbox_messages) o,
                  (SELECT count(*)::int FROM mail_attempts) a, (SELECT count(*)::int FROM delivery_events) e,
                  (SELECT count(*)::int FROM audit_entries WHERE action <> 'privacy.retention') au`,
        )
      ).rows[0];
    const before = await counts();

    // 31 August 04:00: the 2 June appointment (ended 08:20) is not yet 90 days ago; nothing is due.
    app.clock.set('2026-08-31T04:00:00Z');
    const retention = app.app.get(RetentionService);
    expect(await retention.dryRun()).toMatchObject({ bookings: 1, unmatchedReports: 1 }); // the cancellation of 1 June
    app.clock.set('2026-09-01T04:00:00Z');
    const dry = await retention.dryRun();
    expect(dry).toMatchObject({ bookings: 2, unmatchedReports: 1 });
    expect(dry.messages).toBeGreaterThanOrEqual(3);
    expect(await mentions(newAddress)).toContain('bookings'); // the dry run changed nothing

    const runs = await Promise.all([retention.run(), retention.run()]);
    expect(runs[0].bookings + runs[1].bookings).toBe(2);
    expect(runs[0].unmatchedReports + runs[1].unmatchedReports).toBe(1);
    expect(runs[0].messages + runs[1].messages).toBe(dry.messages);
    const audited = (await app.db.query(`SELECT actor_label, after FROM audit_entries WHERE action = 'privacy.retention'`)).rows;
    expect(audited.reduce((n, r) => n + r.after.bookings, 0)).toBe(2);
    expect(audited.every((r) => r.actor_label === 'system:retention')).toBe(true);

    const rows = (
      await app.db.query(`SELECT id, name, email, email_key, phone, status, anonymised_at FROM bookings WHERE id = ANY($1)`, [
        [due.id, cancelled.id, later.id],
      ])
    ).rows.sort((x, y) => [due.id, cancelled.id, later.id].indexOf(x.id) - [due.id, cancelled.id, later.id].indexOf(y.id));
    expect(rows.slice(0, 2)).toEqual([
      expect.objectContaining({
        name: 'anonymisiert',
        email: `anonymised.${due.id}@holdfast.invalid`,
        phone: null,
        status: 'pending',
      }),
      expect.objectContaining({
        name: 'anonymisiert',
        email: `anonymised.${cancelled.id}@holdfast.invalid`,
        status: 'cancelled',
      }),
    ]);
    expect(rows[0].email_key).toBe(rows[0].email); // a key of its own: never counts against a real address
    expect(rows[2]).toEqual(expect.objectContaining({ email: later.email, anonymised_at: null }));
    for (const needle of [dueAddress, newAddress, '15112345678', cancelled.email, 'stranger@example.net'])
      expect([needle, await mentions(needle)]).toEqual([needle, []]);
    expect(await mentions(later.email)).toEqual(expect.arrayContaining(['bookings', 'outbox']));
    const mail = (await app.db.query(`SELECT recipient, payload FROM outbox_messages WHERE booking_id = $1`, [due.id])).rows;
    expect(mail.length).toBeGreaterThan(0);
    expect(mail.every((m) => m.payload.anonymised === true && m.recipient === `anonymised.${due.id}@holdfast.invalid`)).toBe(
      true,
    );

    // Rows stay, figures stay; a second run finds nothing.
    expect(await counts()).toEqual(before);
    expect(await stats(await staffToken(app, 'supervisor', 'later-supervisor@staff.example'))).toEqual(figures);
    expect(await retention.run()).toMatchObject({ bookings: 0, messages: 0, unmatchedReports: 0 });
    // The audit log is still closed to everyone else.
    await expect(app.db.query(`UPDATE audit_entries SET before = NULL WHERE booking_id = $1`, [due.id])).rejects.toThrow(
      /append-only/,
    );
  });

  it('an admin exports everything held about an address and erases it early; both audited; others untouched', async () => {
    const slotId = await addSlot(app.db, at, '2026-06-05T08:00:00Z', 10);
    const mine = await bookThroughApi(app, slotId);
    const other = await bookThroughApi(app, slotId);
    const phone = { 'x-booking-token': mine.statusToken };
    expect(
      (await http(app, 'POST', `/api/v1/bookings/${mine.id}/add-phone`, { body: { phone: '+4915199999999' }, headers: phone }))
        .status,
    ).toBe(200);
    await app.app.get(DispatcherService).dispatchOnce();

    const exported = await post('/api/v1/privacy/export', { email: mine.email.toUpperCase() });
    expect(exported.status).toBe(200);
    expect(exported.body.bookings.map((b: any) => [b.id, b.email])).toEqual([[mine.id, mine.email]]);
    expect(exported.body.messages.length).toBeGreaterThan(0);
    expect(exported.body.messages.every((m: any) => m.bookingId === mine.id && m.recipient === mine.email)).toBe(true);
    expect(exported.body.audit.map((e: any) => e.bookingId)).toEqual(expect.arrayContaining([mine.id]));
    expect(exported.body.audit.every((e: any) => e.bookingId === mine.id)).toBe(true);
    expect(exported.text).not.toContain(other.email);
    expect(exported.text).not.toContain(other.id);

    // A booking still ahead is not erased: cancel it first.
    const early = await post('/api/v1/privacy/erase', { email: mine.email, reason: 'Antrag vom 1. Juni' });
    expect([early.status, early.body.error.code, early.body.error.details.references]).toEqual([
      409,
      'PRIVACY_ACTIVE_BOOKING',
      [mine.reference],
    ]);
    expect(
      (await http(app, 'POST', `/api/v1/bookings/${mine.id}/cancel`, { headers: { 'x-booking-token': mine.statusToken } }))
        .status,
    ).toBe(200);
    const erased = await post('/api/v1/privacy/erase', { email: mine.email, reason: 'Antrag vom 1. Juni' });
    expect(erased.status).toBe(200);
    expect(erased.body).toMatchObject({ bookings: 1, messages: exported.body.messages.length });
    expect(await mentions(mine.email)).toEqual([]);
    expect(await mentions(other.email)).toEqual(expect.arrayContaining(['bookings', 'outbox']));
    expect((await post('/api/v1/privacy/export', { email: mine.email })).body.bookings).toEqual([]);

    const trail = (
      await app.db.query(
        `SELECT action, actor_label, reason, after FROM audit_entries WHERE action LIKE 'privacy.%' AND action <> 'privacy.retention' ORDER BY id`,
      )
    ).rows;
    const hash = app.app.get(SecretsService).personalHash(mine.email);
    expect(trail.map((e) => [e.action, e.after.email])).toEqual([
      ['privacy.export', hash],
      ['privacy.erase', hash],
      ['privacy.export', hash],
    ]);
    expect(trail[1]).toMatchObject({ reason: 'Antrag vom 1. Juni', after: { bookings: 1 } });
  });

  it('bad input is 400 with its code, other roles 403, no token 401; nothing is written', async () => {
    const auditBefore = (await app.db.query(`SELECT count(*)::int n FROM audit_entries WHERE action LIKE 'privacy.%'`)).rows[0].n;
    for (const [path, body] of [
      ['/api/v1/privacy/export', { email: 'not-an-address' }],
      ['/api/v1/privacy/export', {}],
      ['/api/v1/privacy/erase', { email: 'a@example.org' }],
      ['/api/v1/privacy/erase', { email: 'a@example.org', reason: 'x'.repeat(501) }],
    ] as const) {
      const res = await post(path, body);
      expect([path, res.status, res.body.error.code]).toEqual([path, 400, 'VALIDATION_FAILED']);
    }
    const refused = await post('/api/v1/privacy/export', { email: 'a@example.org' }, `Bearer ${supervisor}`);
    expect([refused.status, refused.body.error.code]).toEqual([403, 'FORBIDDEN']);
    const anonymous = await http(app, 'POST', '/api/v1/privacy/erase', { body: { email: 'a@example.org', reason: 'because' } });
    expect([anonymous.status, anonymous.body.error.code]).toEqual([401, 'UNAUTHENTICATED']);
    expect((await app.db.query(`SELECT count(*)::int n FROM audit_entries WHERE action LIKE 'privacy.%'`)).rows[0].n).toBe(
      auditBefore,
    );
    expect(
      (await app.db.query(`SELECT after FROM audit_entries WHERE action = 'access.refused' ORDER BY id DESC LIMIT 1`)).rows[0]
        .after,
    ).toMatchObject({ required: 'admin', actual: 'supervisor' });
  });

  it('the privacy notice says who, what, why, how long (the configured days) and the rights; every page links it in its footer', async () => {
    const notice = await http(app, 'GET', '/datenschutz');
    expect(notice.status).toBe(200);
    for (const heading of ['Wer', 'Was', 'Warum', 'Wie lange', 'Ihre Rechte'])
      expect(notice.text).toContain(`<h2 class="kern-heading-medium">${heading}</h2>`);
    expect(notice.text).toContain(`${app.config.retentionDays} Tage nach dem Termin`);
    const english = await http(app, 'GET', '/datenschutz?lang=en');
    expect(english.text).toContain(`${app.config.retentionDays} days after the appointment`);
    for (const [path, href] of [
      ['/', '/datenschutz'],
      ['/?lang=en', '/datenschutz?lang=en'],
    ])
      expect((await http(app, 'GET', path)).text).toMatch(new RegExp(`<footer[^>]*>.*href="${href.replace('?', '\\?')}"`, 's'));
  });
});
