import { createTransport } from 'nodemailer';
import { ExpirySweeperService } from '../src/bookings/expiry-sweeper.service';
import { BounceListenerService } from '../src/mail-delivery/bounce-listener.service';
import { DispatcherService } from '../src/notifications/dispatcher.service';
import { citizen, createSlot } from './factories/scheduling.factory';
import { sendDsn } from './support/dsn';
import { ScriptedSmtpServer } from './support/scripted-smtp';
import { signedHeaders } from './support/webhook';
import { http, startTestApp, TestApp, restoreClockAfterEach } from './support/test-app';

const WEBHOOK_SECRET = 'webhook-secret-for-tests-0123456789';

/**
 * After the relay said 250: the relay (a real SMTP server here) accepts every mail, and later
 * reports back to the VERP envelope sender with RFC 3464 reports, as Postfix does; a mail
 * service reports by signed webhook.
 */
describe('delivery reports: DSNs at the bounce listener, signed webhook', () => {
  const relay = new ScriptedSmtpServer();
  let app: TestApp;
  restoreClockAfterEach(() => app?.clock);
  let bouncePort: number;

  beforeAll(async () => {
    const smtpUrl = await relay.start();
    app = await startTestApp({
      env: {
        SMTP_URL: smtpUrl,
        BOUNCE_SMTP_PORT: '0',
        BOUNCE_SMTP_HOST: '127.0.0.1',
        BOUNCE_DOMAIN: 'bounce.stadt.example',
        MAIL_WEBHOOK_SECRET: WEBHOOK_SECRET,
      },
    });
    bouncePort = app.app.get(BounceListenerService).port!;
  });
  afterAll(async () => {
    await app.close();
    await relay.stop();
  });

  async function bookAndSend(domain: string) {
    const { slotId } = await createSlot(app.db, { capacity: 3, startsAt: '2026-06-08T08:00:00Z' });
    const who = citizen();
    const email = who.email.replace('example.org', domain);
    const booking = (await http(app, 'POST', '/api/v1/bookings', { body: { slotId, ...who, email } })).body;
    await app.app.get(DispatcherService).dispatchOnce();
    const mail = relay.received.find((r) => r.to.includes(email))!;
    const {
      rows: [message],
    } = await app.db.query(`SELECT id, message_id, state FROM outbox_messages WHERE booking_id = $1`, [booking.id]);
    // The relay took it: in transit until a report says where it is.
    expect(message.state).toBe('in_transit');
    return {
      booking,
      email,
      returnPath: mail.from,
      outboxId: message.id as string,
      messageIdHeader: message.message_id as string,
    };
  }

  /** The relay's report, from a fixture, sent over SMTP to the bounce listener. */
  const sendReport = (fixture: string, sent: { returnPath: string; outboxId: string; messageIdHeader: string }, to?: string) =>
    sendDsn(
      bouncePort,
      fixture,
      { returnPath: sent.returnPath, envid: sent.outboxId, messageIdHeader: sent.messageIdHeader },
      to,
    );

  const state = async (outboxId: string) =>
    (await app.db.query(`SELECT state FROM outbox_messages WHERE id = $1`, [outboxId])).rows[0].state;
  const events = async (outboxId: string) =>
    (
      await app.db.query(
        `SELECT source, kind, status, category, state_after FROM delivery_events WHERE message_id = $1 ORDER BY id`,
        [outboxId],
      )
    ).rows;

  it('sends with a signed VERP envelope sender and asks for every report, success too', async () => {
    const sent = await bookAndSend('example.org');
    expect(sent.returnPath).toMatch(/^bounces\+[0-9a-f]{32}\.[0-9a-z]{3}\.[0-9a-f]{16}@bounce\.stadt\.example$/);
    const mail = relay.received.find((r) => r.to.includes(sent.email))!;
    expect(mail.dsn).toEqual({ ret: 'HDRS', envid: sent.outboxId, notify: ['SUCCESS', 'FAILURE', 'DELAY'] });
    const { rows } = await app.db.query(
      `SELECT accepted_by, reports_requested, delivered_at, delivery_evidence FROM outbox_messages WHERE id = $1`,
      [sent.outboxId],
    );
    expect(rows[0]).toEqual({ accepted_by: 'relay', reports_requested: true, delivered_at: null, delivery_evidence: null });
  });

  /** A supervisor resumes the family, so an earlier test's block report does not hold this test's mail. */
  const startClean = async (family = 'united-internet') => {
    const { ProvidersService } = await import('../src/mail-delivery/providers.service');
    await app.app.get(ProvidersService).resume(family, 'test: start clean', { id: null, label: 'test' });
  };

  const hold = async (bookingId: string) =>
    (await app.db.query(`SELECT status, hold_until, hold_reason FROM bookings WHERE id = $1`, [bookingId])).rows[0];

  it('a mail in transit holds the booking past its window; the success report starts the window then', async () => {
    await startClean();
    const sent = await bookAndSend('web.de');
    const sweeper = app.app.get(ExpirySweeperService);
    const start = app.clock.now();
    // Three hours in the relay's queue, no report: the 60-minute window has not started.
    app.clock.advance({ hours: 3 });
    await sweeper.sweep();
    const waiting = await hold(sent.booking.id);
    expect(waiting.status).toBe('pending');
    expect(waiting.hold_reason).toBe('waiting_for_delivery');
    expect(waiting.hold_until.getTime()).toBe(start.plus({ hours: 4 }).toMillis());
    // The providers view shows the family's mail sitting in the relay far longer than usual.
    const { ProvidersService } = await import('../src/mail-delivery/providers.service');
    const before = (await app.app.get(ProvidersService).list()).find((v) => v.family === 'united-internet')!;
    expect(before.inRelay).toMatchObject({ slow: true, oldestInTransitMinutes: 180 });
    expect(before.inRelay.inTransit).toBeGreaterThanOrEqual(1);
    // The relay reports it passed the mail to Web.de's MX.
    await sendReport('relayed-webde.eml', sent);
    expect(await state(sent.outboxId)).toBe('accepted');
    const { rows } = await app.db.query(`SELECT delivered_at, delivery_evidence FROM outbox_messages WHERE id = $1`, [
      sent.outboxId,
    ]);
    expect(rows[0]).toEqual({ delivered_at: app.clock.now().toJSDate(), delivery_evidence: 'report' });
    expect(await events(sent.outboxId)).toEqual([
      { source: 'dsn', kind: 'relayed', status: '2.0.0', category: null, state_after: 'accepted' },
    ]);
    const delivered = await hold(sent.booking.id);
    expect(delivered.hold_reason).toBe('window_from_delivery');
    // Its transit time (three hours) is now the family's usual one, from the report.
    const after = (await app.app.get(ProvidersService).list()).find((v) => v.family === 'united-internet')!;
    expect(after.inRelay).toMatchObject({ medianTransitMinutes: 180, reportedLastDay: 1 });
    expect(delivered.hold_until.getTime()).toBe(app.clock.now().plus({ minutes: 60 }).toMillis());
    // The window runs from the report: an hour and a minute later the booking lapses as not confirmed.
    app.clock.advance({ minutes: 61 });
    await sweeper.sweep();
    expect(await hold(sent.booking.id)).toMatchObject({ status: 'expired' });
    const { rows: reason } = await app.db.query(`SELECT expiry_reason FROM bookings WHERE id = $1`, [sent.booking.id]);
    expect(reason[0].expiry_reason).toBe('not_confirmed');
  });

  it("delayed, then delivered: the window starts at the success report, not at the relay's 250", async () => {
    await startClean();
    const sent = await bookAndSend('web.de');
    await sendReport('delayed-webde.eml', sent);
    expect(await state(sent.outboxId)).toBe('delayed');
    app.clock.advance({ hours: 5 });
    await app.app.get(ExpirySweeperService).sweep();
    expect((await hold(sent.booking.id)).status).toBe('pending');
    await sendReport('relayed-webde.eml', sent);
    expect(await state(sent.outboxId)).toBe('accepted');
    const delivered = await hold(sent.booking.id);
    expect(delivered).toMatchObject({ status: 'pending', hold_reason: 'window_from_delivery' });
    expect(delivered.hold_until.getTime()).toBe(app.clock.now().plus({ minutes: 60 }).toMillis());
  });

  it('a delay warning moves a mail in transit to undelivered, and the booking shows it', async () => {
    await startClean();
    const sent = await bookAndSend('web.de');
    await sendReport('delayed-webde.eml', sent);
    expect(await state(sent.outboxId)).toBe('delayed');
    expect(await events(sent.outboxId)).toEqual([
      { source: 'dsn', kind: 'delayed', status: '4.0.0', category: 'provider_block', state_after: 'delayed' },
    ]);
    const view = await http(app, 'GET', `/api/v1/bookings/${sent.booking.id}`, {
      headers: { 'x-booking-token': sent.booking.statusToken },
    });
    expect(view.body.messages[0]).toMatchObject({ state: 'delayed', family: 'united-internet' });
    expect(view.body.messages[0].reports[0]).toMatchObject({ source: 'dsn', kind: 'delayed', category: 'provider_block' });
  });

  /**
   * From a clean start (a supervisor resumes the family, so an earlier test's block does not
   * count), a GMX mail goes out and the relay reports that it gave up on GMX's block.
   */
  async function blockedByGmx() {
    await startClean();
    const sent = await bookAndSend('gmx.de');
    await sendReport('failed-gmx-block.eml', sent);
    return sent;
  }

  it('a relay that gave up on a GMX block (failed, 4.x.x) is not a bad address: the mail is taken back and held', async () => {
    const sent = await blockedByGmx();
    expect(await state(sent.outboxId)).toBe('held_provider_blocked');
    expect((await events(sent.outboxId))[0]).toMatchObject({
      kind: 'failed',
      category: 'provider_block',
      state_after: 'held_provider_blocked',
    });
    const { rows } = await app.db.query(`SELECT state FROM provider_circuits WHERE family = 'united-internet'`);
    expect(rows[0].state).toBe('open');
  });

  it("through the relay, after the block: one probe per open period, decided by the relay's report, then every held mail goes out once more", async () => {
    const blocked = await blockedByGmx();
    const held = (await app.db.query(`SELECT o.id, o.recipient FROM outbox_messages o WHERE o.state = 'held_provider_blocked'`))
      .rows;
    expect(held.map((h) => h.id)).toEqual([blocked.outboxId]);
    // Booked while the circuit is open: held without an attempt.
    const { slotId } = await createSlot(app.db, { capacity: 3, startsAt: '2026-06-08T08:00:00Z' });
    const who = citizen();
    const late = (
      await http(app, 'POST', '/api/v1/bookings', { body: { slotId, ...who, email: who.email.replace('example.org', 'web.de') } })
    ).body;
    const dispatcher = app.app.get(DispatcherService);
    await dispatcher.dispatchOnce();
    const {
      rows: [lateMessage],
    } = await app.db.query(`SELECT id, recipient, state FROM outbox_messages WHERE booking_id = $1`, [late.id]);
    expect(lateMessage.state).toBe('held_provider_blocked');
    const receivedBefore = relay.received.length;

    const circuit = async () =>
      (await app.db.query(`SELECT state FROM provider_circuits WHERE family = 'united-internet'`)).rows[0].state;
    app.clock.advance({ minutes: 16 });
    try {
      // The probe: the relay takes it, which says nothing about GMX; the circuit waits for the report.
      await dispatcher.dispatchOnce();
      expect(relay.received.length - receivedBefore).toBe(1);
      const probe = [...held, lateMessage].find((m) => relay.received.at(-1)!.to.includes(m.recipient))!;
      expect(await state(probe.id)).toBe('in_transit');
      await dispatcher.dispatchOnce();
      expect(await circuit()).toBe('half_open');
      expect(relay.received.length - receivedBefore).toBe(1);
      // The relay reports the probe delivered: the circuit closes and the held mail goes out, once.
      const mail = relay.received.at(-1)!;
      await sendReport('relayed-webde.eml', { returnPath: mail.from, outboxId: probe.id, messageIdHeader: mail.messageId ?? '' });
      expect(await circuit()).toBe('closed');
      await dispatcher.dispatchOnce();
      await dispatcher.dispatchOnce();
      expect(await state(probe.id)).toBe('accepted');
      for (const m of [...held, lateMessage].filter((x) => x.id !== probe.id)) expect(await state(m.id)).toBe('in_transit');
      expect(relay.received.length - receivedBefore).toBe(2);
      expect(relay.received.filter((r) => r.to.includes(lateMessage.recipient))).toHaveLength(1);
    } finally {
      app.clock.advance({ minutes: -16 });
    }
  });

  it('a probe the relay took and then reports blocked again: the circuit reopens for twice as long', async () => {
    await blockedByGmx();
    const dispatcher = app.app.get(DispatcherService);
    const before = relay.received.length;
    app.clock.advance({ minutes: 16 });
    try {
      await dispatcher.dispatchOnce();
      expect(relay.received.length - before).toBe(1);
      const mail = relay.received.at(-1)!;
      const { rows } = await app.db.query(`SELECT id, message_id FROM outbox_messages WHERE message_id = $1`, [mail.messageId]);
      await sendReport('failed-gmx-block.eml', {
        returnPath: mail.from,
        outboxId: rows[0].id,
        messageIdHeader: rows[0].message_id,
      });
      const { rows: circuits } = await app.db.query(
        `SELECT state, circuit->>'failedProbes' AS failed, circuit->>'openPeriodMs' AS period FROM provider_circuits WHERE family = 'united-internet'`,
      );
      expect(circuits[0]).toEqual({ state: 'open', failed: '1', period: String(30 * 60_000) });
      expect(await state(rows[0].id)).toBe('held_provider_blocked');
    } finally {
      app.clock.advance({ minutes: -16 });
    }
  });

  it('a report about a mail that is being sent right now is refused for later (451 / 503), then applied', async () => {
    const sent = await bookAndSend('example.org');
    // The same mail is being sent again (as after a taken-back failure): its row is `sending`.
    await app.db.query(
      `UPDATE outbox_messages SET state = 'sending', lease_owner = 'other-worker', lease_until = '2026-06-01T09:00:00Z' WHERE id = $1`,
      [sent.outboxId],
    );
    await expect(sendReport('failed-user-unknown.eml', sent)).rejects.toThrow(/451/);
    const body = JSON.stringify({ id: sent.outboxId, event: 'bounced', status: '5.1.1' });
    const early = await webhook(body, sign(body));
    expect(early.status).toBe(503);
    expect(early.body.error.code).toBe('REPORT_TOO_EARLY');
    expect(await events(sent.outboxId)).toEqual([]);
    await app.db.query(`UPDATE outbox_messages SET state = 'in_transit', lease_owner = NULL, lease_until = NULL WHERE id = $1`, [
      sent.outboxId,
    ]);
    await sendReport('failed-user-unknown.eml', sent);
    expect(await state(sent.outboxId)).toBe('bounced');
  });

  it('a failure for an unknown mailbox bounces the mail', async () => {
    const sent = await bookAndSend('example.org');
    await sendReport('failed-user-unknown.eml', sent);
    expect(await state(sent.outboxId)).toBe('bounced');
    expect((await events(sent.outboxId))[0]).toMatchObject({
      kind: 'failed',
      status: '5.1.1',
      category: 'mailbox_unknown',
      state_after: 'bounced',
    });
  });

  it('refuses a forged bounce address at RCPT and records nothing', async () => {
    const sent = await bookAndSend('example.org');
    const forged = sent.returnPath.replace(/\.[0-9a-f]{16}@/, '.000000aaaaaaaaaa@');
    await expect(sendReport('failed-user-unknown.eml', sent, forged)).rejects.toThrow(/550/);
    expect(await state(sent.outboxId)).toBe('in_transit');
    expect(await events(sent.outboxId)).toEqual([]);
  });

  it('a malformed report, a plain mail or binary junk to a valid address is recorded as unmatched and changes nothing', async () => {
    const sent = await bookAndSend('example.org');
    const before = (await app.db.query(`SELECT count(*)::int AS n FROM delivery_events WHERE unmatched_reason IS NOT NULL`))
      .rows[0].n;
    const transport = createTransport({ host: '127.0.0.1', port: bouncePort, ignoreTLS: true });
    try {
      await transport.sendMail({
        envelope: { from: '', to: [sent.returnPath] },
        raw: 'From: a@b.example\r\nSubject: Urlaub\r\n\r\nIch bin im Urlaub.\r\n',
      });
      await transport.sendMail({
        envelope: { from: '', to: [sent.returnPath] },
        raw: Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256)),
      });
      await transport.sendMail({
        envelope: { from: '', to: [sent.returnPath] },
        raw: 'Content-Type: multipart/report; report-type=delivery-status; boundary=x\r\n\r\n--x\r\nContent-Type: message/delivery-status\r\n\r\nAction: exploded\r\n--x--\r\n',
      });
      await expect(
        transport.sendMail({
          envelope: { from: '', to: [sent.returnPath] },
          raw: `Subject: big\r\n\r\n${'x'.repeat(400 * 1024)}\r\n`,
        }),
      ).rejects.toThrow(/552/);
    } finally {
      transport.close();
    }
    expect(await state(sent.outboxId)).toBe('in_transit');
    const after = (await app.db.query(`SELECT count(*)::int AS n FROM delivery_events WHERE unmatched_reason IS NOT NULL`))
      .rows[0].n;
    expect(after - before).toBe(3);
    // Counted against the message, their text not kept (before: up to 64 KiB each, and no message).
    const { rows } = await app.db.query(
      `SELECT source, kind, unmatched_reason, raw FROM delivery_events WHERE message_id = $1 AND unmatched_reason IS NOT NULL`,
      [sent.outboxId],
    );
    expect(rows).toHaveLength(3);
    expect(rows.every((r) => r.raw === null && r.kind === 'unparsed' && r.source === 'dsn')).toBe(true);
  });

  it('a bounce address expires: a report after its last valid day is refused at RCPT and records nothing', async () => {
    const sent = await bookAndSend('example.org');
    app.clock.advance({ days: 15 });
    try {
      await expect(sendReport('failed-user-unknown.eml', sent)).rejects.toThrow(/550.*expired/);
    } finally {
      app.clock.advance({ days: -15 });
    }
    expect(await state(sent.outboxId)).toBe('in_transit');
    expect(await events(sent.outboxId)).toEqual([]);
  });

  it('the address of mail sent before addresses expired still works for VERP_VALID_DAYS after the message', async () => {
    const sent = await bookAndSend('example.org');
    const { SecretsService } = await import('../src/common/secrets.service');
    const { createHmac } = await import('node:crypto');
    const key = app.app.get(SecretsService).verpKey();
    const sig = createHmac('sha256', key).update(sent.outboxId).digest('hex').slice(0, 20);
    const legacy = { ...sent, returnPath: `bounces+${sent.outboxId.replace(/-/g, '')}.${sig}@bounce.stadt.example` };
    app.clock.advance({ days: 15 });
    try {
      await expect(sendReport('failed-user-unknown.eml', legacy)).rejects.toThrow(/550.*expired/);
    } finally {
      app.clock.advance({ days: -15 });
    }
    await sendReport('failed-user-unknown.eml', legacy);
    expect(await state(sent.outboxId)).toBe('bounced');
  });

  it('at most 20 reports per message by mail; the 21st is refused at RCPT', async () => {
    const sent = await bookAndSend('example.org');
    const transport = createTransport({ host: '127.0.0.1', port: bouncePort, ignoreTLS: true, pool: true, maxConnections: 1 });
    try {
      for (let i = 0; i < 20; i++)
        await transport.sendMail({
          envelope: { from: '', to: [sent.returnPath] },
          raw: `Subject: Abwesend ${i}\r\n\r\nBin weg.\r\n`,
        });
      await expect(
        transport.sendMail({ envelope: { from: '', to: [sent.returnPath] }, raw: 'Subject: noch eine\r\n\r\nx\r\n' }),
      ).rejects.toThrow(/550.*enough reports/);
    } finally {
      transport.close();
    }
    const { rows } = await app.db.query(`SELECT count(*)::int AS n FROM delivery_events WHERE message_id = $1`, [sent.outboxId]);
    expect(rows[0].n).toBe(20);
  });

  const sign = (body: string, secret = WEBHOOK_SECRET, skewSeconds = 0) => signedHeaders(secret, body, app.clock, skewSeconds);
  const webhook = (body: string, signed?: Record<string, string>) =>
    http(app, 'POST', '/api/v1/mail/events', {
      raw: body,
      headers: { 'content-type': 'application/json', ...signed },
    });

  it('webhook: unsigned or wrongly signed is 401 and records nothing', async () => {
    const sent = await bookAndSend('example.org');
    const body = JSON.stringify({ id: sent.outboxId, event: 'bounced', status: '5.1.1', diagnostic: '550 5.1.1 User unknown' });
    const unsigned = await webhook(body);
    const wrong = await webhook(body, sign(body, 'another-secret-entirely-xyz'));
    const tampered = await webhook(body.replace('bounced', 'delivered'), sign(body));
    for (const res of [unsigned, wrong, tampered]) {
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('WEBHOOK_SIGNATURE_INVALID');
    }
    expect(await state(sent.outboxId)).toBe('in_transit');
    expect(await events(sent.outboxId)).toEqual([]);
  });

  it('webhook: a captured request replayed changes nothing; one older than five minutes is refused', async () => {
    const sent = await bookAndSend('example.org');
    const delayed = JSON.stringify({ id: sent.outboxId, event: 'delayed', status: '4.4.7' });
    const captured = sign(delayed);
    expect((await webhook(delayed, captured)).body).toEqual({ matched: true, state: 'delayed' });
    const delivered = JSON.stringify({ id: sent.outboxId, event: 'delivered' });
    expect((await webhook(delivered, sign(delivered))).body).toEqual({ matched: true, state: 'accepted' });
    // The captured "delayed" again: recognised, applied no second time; the mail stays delivered.
    expect((await webhook(delayed, captured)).body).toEqual({ matched: false, state: null, duplicate: true });
    expect(await state(sent.outboxId)).toBe('accepted');
    // Signed six minutes ago (or ahead): refused, nothing recorded.
    for (const skew of [-360, 360]) {
      const stale = await webhook(delayed, sign(delayed, WEBHOOK_SECRET, skew));
      expect([stale.status, stale.body.error.code]).toEqual([401, 'WEBHOOK_SIGNATURE_INVALID']);
      expect(stale.body.error.message).toMatch(/more than 300 seconds/);
    }
    expect((await events(sent.outboxId)).map((e) => e.kind)).toEqual(['delayed', 'delivered']);
  });

  it('webhook: a signed bounce by Message-ID bounces the mail; an unknown id is recorded as unmatched', async () => {
    const sent = await bookAndSend('example.org');
    const body = JSON.stringify({
      messageId: sent.messageIdHeader,
      event: 'bounced',
      status: '5.1.1',
      diagnostic: '550 5.1.1 <x@example.org>: User unknown',
      remoteMta: 'mx.example.org',
    });
    const res = await webhook(body, sign(body));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ matched: true, state: 'bounced' });
    expect(await state(sent.outboxId)).toBe('bounced');
    const unknownBody = JSON.stringify({ id: '00000000-0000-4000-8000-000000000000', event: 'delivered' });
    const unknown = await webhook(unknownBody, sign(unknownBody));
    expect(unknown.body).toEqual({ matched: false, state: null });
    const bad = JSON.stringify({ id: sent.outboxId, event: 'exploded' });
    expect((await webhook(bad, sign(bad))).status).toBe(400);
  });

  it("webhook: delivered by the recipient's MX delivers a mail in transit, proved by the report", async () => {
    const sent = await bookAndSend('example.org');
    const body = JSON.stringify({ id: sent.outboxId, event: 'delivered', remoteMta: 'mx.example.org' });
    expect((await webhook(body, sign(body))).body).toEqual({ matched: true, state: 'accepted' });
    const { rows } = await app.db.query(
      `SELECT accepted_by, delivered_at, delivery_evidence FROM outbox_messages WHERE id = $1`,
      [sent.outboxId],
    );
    // Our relay took it; the report proves where it went.
    expect(rows[0]).toEqual({ accepted_by: 'relay', delivered_at: app.clock.now().toJSDate(), delivery_evidence: 'report' });
  });
});
