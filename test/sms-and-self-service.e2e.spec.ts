import { simpleParser } from 'mailparser';
import { ExpirySweeperService } from '../src/bookings/expiry-sweeper.service';
import { DispatcherService } from '../src/notifications/dispatcher.service';
import { citizen, createSlot } from './factories/scheduling.factory';
import { FakeSmsGateway } from './support/fake-sms-gateway';
import { GMX_IP_BLOCK, USER_UNKNOWN } from './support/provider-replies';
import { ScriptedSmtpServer } from './support/scripted-smtp';
import { signedHeaders } from './support/webhook';
import { confirmTokenOfQueued, http, startTestApp, TestApp, restoreClockAfterEach } from './support/test-app';

const SMS_SECRET = 'sms-webhook-secret-0123456789';
const MAIL_SECRET = 'mail-webhook-secret-0123456789';

describe('SMS fallback, confirmation by code, citizen self-service', () => {
  const relay = new ScriptedSmtpServer();
  const gateway = new FakeSmsGateway();
  let app: TestApp;
  restoreClockAfterEach(() => app?.clock);
  let slotId: string;
  let dispatcher: DispatcherService;

  beforeAll(async () => {
    const smtpUrl = await relay.start();
    relay.rcptReplies.set('gmx.de', GMX_IP_BLOCK);
    relay.rcptReplies.set('nobody.example', USER_UNKNOWN);
    // Web.de's header-compliance refusal after DATA (test/fixtures/smtp-replies.tsv): permanent.
    relay.dataReplies.set('strict.example', {
      code: 554,
      message:
        'Transaction failed\n554-Reject due to policy restrictions.\n554 For explanation visit https://postmaster.web.de/en/case?c=hi',
    });
    app = await startTestApp({
      env: {
        SMTP_URL: smtpUrl,
        SMS_GATEWAY_URL: await gateway.start(),
        SMS_GATEWAY_TOKEN: 'gateway-token',
        SMS_WEBHOOK_SECRET: SMS_SECRET,
        MAIL_WEBHOOK_SECRET: MAIL_SECRET,
        // The tests speak for several clients through X-Forwarded-For, as the city's reverse proxy would.
        TRUST_PROXY: 'true',
      },
    });
    dispatcher = app.app.get(DispatcherService);
    slotId = (await createSlot(app.db, { capacity: 20, startsAt: '2026-06-06T08:00:00Z' })).slotId;
  });
  afterAll(async () => {
    await app.close();
    await relay.stop();
    await gateway.stop();
  });

  const book = async (domain: string, phone?: string) => {
    const who = citizen();
    const email = who.email.replace('example.org', domain);
    const res = await http(app, 'POST', '/api/v1/bookings', { body: { slotId, ...who, email, ...(phone ? { phone } : {}) } });
    expect(res.status).toBe(201);
    return { ...res.body, email };
  };
  const view = async (b: { id: string; statusToken: string }) =>
    (await http(app, 'GET', `/api/v1/bookings/${b.id}`, { headers: { 'x-booking-token': b.statusToken } })).body;
  const sign = (body: string) => signedHeaders(SMS_SECRET, body, app.clock);
  /** The SMS the gateway got for this number (holdfast sends to its E.164 form). */
  const smsFor = (phone: string) => gateway.received.filter((s) => s.to === phone.replace(/[\s()/-]/g, ''));
  /** The mail service reports an event about a mail (signed webhook), as the relay's reports would. */
  const mailEvent = async (mailId: string, event: 'delivered' | 'delayed', extra: Record<string, string> = {}) => {
    const body = JSON.stringify({ id: mailId, event, ...extra });
    const signed = signedHeaders(MAIL_SECRET, body, app.clock);
    return http(app, 'POST', '/api/v1/mail/events', {
      raw: body,
      headers: { 'content-type': 'application/json', ...signed },
    });
  };

  it('when GMX holds the mail and a phone is on file, an SMS with a code and a link goes out; its delivery starts the window', async () => {
    const b = await book('gmx.de', '+49 151 1111111');
    await dispatcher.dispatchOnce(); // the mail: refused, held
    await dispatcher.dispatchOnce(); // the SMS
    const [sms] = smsFor('+49 151 1111111');
    expect(sms.authorization).toBe('Bearer gateway-token');
    expect(sms.text).toMatch(/Code \d{6}/);
    expect(sms.text).toContain('http://holdfast.test/confirm?token=');
    expect(sms.text).toContain(b.reference);
    const messages = (await view(b)).messages;
    expect(messages.map((x: any) => [x.channel, x.state])).toEqual([
      ['email', 'held_provider_blocked'],
      ['sms', 'accepted'],
    ]);

    app.clock.advance({ minutes: 30 });
    try {
      const body = JSON.stringify({ reference: sms.reference, status: 'delivered' });
      expect(
        (await http(app, 'POST', '/api/v1/sms/events', { raw: body, headers: { 'content-type': 'application/json' } })).status,
      ).toBe(401);
      const res = await http(app, 'POST', '/api/v1/sms/events', {
        raw: body,
        headers: { 'content-type': 'application/json', ...sign(body) },
      });
      expect(res.body).toEqual({ matched: true });
      const after = await view(b);
      // 08:30Z + 60 min window = 09:30Z = 11:30 Berlin.
      expect(after.holdUntil).toBe('2026-06-01T11:30:00+02:00');
      expect(after.hold.reason).toBe('window_from_delivery');
      expect(after.hold.explanation).toContain('SMS');

      const code = /Code (\d{6})/.exec(sms.text)![1];
      const ok = await http(app, 'POST', '/api/v1/confirmations', { body: { reference: b.reference.toLowerCase(), code } });
      expect(ok.body).toEqual({ id: b.id, reference: b.reference, status: 'confirmed' });
    } finally {
      app.clock.advance({ minutes: -30 });
    }
  });

  // Held is not the only mail that cannot arrive: a delay report, an unknown mailbox and a refusal
  // for good bring the SMS too, and a mail on its way (queued, retrying) does not.
  it.each([
    ['bounced (unknown mailbox)', 'nobody.example', 'bounced'],
    ['failed (refused for good)', 'strict.example', 'failed'],
    ['delayed (a delay report after the relay took it)', 'example.net', 'delayed'],
    ['in the relay for more than 15 minutes without a report', 'example.net', 'in_transit'],
  ])('when the mail is %s and a phone is on file, the SMS goes out', async (_name, domain, state) => {
    const phone = `+49 151 ${String(Math.floor(Math.random() * 9_000_000) + 1_000_000)}`;
    const b = await book(domain, phone);
    await dispatcher.dispatchOnce(); // the mail: refused, or accepted by the relay
    let advanced = 0;
    if (state === 'delayed') {
      expect(smsFor(phone)).toEqual([]); // accepted by the relay: no SMS yet
      const mailId = (await view(b)).messages[0].id;
      const res = await mailEvent(mailId, 'delayed', { status: '4.4.7' });
      expect(res.body).toEqual({ matched: true, state: 'delayed' });
    }
    if (state === 'in_transit') {
      // A relay normally passes mail on within seconds: 15 minutes in transit is no SMS yet...
      app.clock.advance({ minutes: 15 });
      advanced = 15;
      await dispatcher.dispatchOnce();
      expect(smsFor(phone)).toEqual([]);
      // ...a minute more, and the mail counts as stuck in the relay.
      app.clock.advance({ minutes: 1 });
      advanced = 16;
    }
    await dispatcher.dispatchOnce(); // the SMS
    app.clock.advance({ minutes: -advanced });
    expect((await view(b)).messages.map((x: any) => [x.channel, x.state])).toEqual([
      ['email', state],
      ['sms', 'accepted'],
    ]);
    expect(smsFor(phone)).toHaveLength(1);
    expect(smsFor(phone)[0].text).toContain(b.reference);
  });

  it('a mail our relay took on a connection without DSN brings no SMS: no report can come, the transit rule decides', async () => {
    const phone = `+49 151 ${String(Math.floor(Math.random() * 9_000_000) + 1_000_000)}`;
    const b = await book('example.net', phone);
    await dispatcher.dispatchOnce();
    const mailId = (await view(b)).messages[0].id;
    // As if this relay connection had announced no DSN (a relay behind a load balancer, one without it).
    await app.db.query(`UPDATE outbox_messages SET reports_requested = false WHERE id = $1`, [mailId]);
    app.clock.advance({ minutes: 16 });
    try {
      await dispatcher.dispatchOnce();
      expect(smsFor(phone)).toEqual([]);
      app.clock.advance({ minutes: 15 }); // past RELAY_TRANSIT_MINUTES (30): counted delivered, still no SMS
      await dispatcher.dispatchOnce();
      expect((await view(b)).messages.map((x: any) => [x.channel, x.state])).toEqual([['email', 'accepted']]);
      expect(smsFor(phone)).toEqual([]);
    } finally {
      app.clock.advance({ minutes: -31 });
    }
  });

  it('SMS pumping: a number outside Germany and the EU is refused; a second new number within five minutes too', async () => {
    const b = await book('gmx.de');
    const addPhone = (phone: string) =>
      http(app, 'POST', `/api/v1/bookings/${b.id}/add-phone`, { body: { phone }, headers: { 'x-booking-token': b.statusToken } });
    const satellite = await addPhone('+882 1234 5678');
    expect([satellite.status, satellite.body.error.code]).toEqual([400, 'VALIDATION_FAILED']);
    expect(satellite.body.error.details[0].problems[0]).toMatch(/\+882 cannot get an SMS/);
    const booked = await http(app, 'POST', '/api/v1/bookings', {
      body: { slotId, ...citizen(), phone: '+882 1234 5679' },
    });
    expect([booked.status, booked.body.error.code]).toEqual([400, 'VALIDATION_FAILED']);
    expect((await addPhone('0151 23456789')).body.phone).toBe('+4915123456789');
    const again = await addPhone('+49 151 98765432');
    expect([again.status, again.body.error.code]).toEqual([429, 'CHANGE_TOO_SOON']);
    const { rows } = await app.db.query(`SELECT phone FROM bookings WHERE id = $1`, [b.id]);
    expect(rows[0].phone).toBe('+4915123456789');
  });

  it('no link token and no SMS code is stored: the outbox keeps placeholders, the mail and the SMS carry working secrets', async () => {
    const b = await book('gmx.de', '+49 151 4444449');
    const delivered = await book('example.org');
    await dispatcher.dispatchOnce();
    await dispatcher.dispatchOnce();
    const [sms] = smsFor('+49 151 4444449');
    const code = /Code (\d{6})/.exec(sms.text)![1];
    const smsToken = /token=([A-Za-z0-9_-]{43})/.exec(sms.text)![1];
    const mail = await simpleParser(relay.received.find((r) => r.to.includes(delivered.email))!.raw);
    const mailToken = /token=([A-Za-z0-9_-]{43})/.exec(mail.text ?? '')![1];
    const { rows } = await app.db.query(
      `SELECT payload::text AS payload FROM outbox_messages WHERE booking_id = ANY($1::uuid[])`,
      [[b.id, delivered.id]],
    );
    expect(rows).toHaveLength(3);
    const stored = rows.map((r) => r.payload).join('\n');
    // Before: the whole link and the code stood in the payload, readable in any backup.
    for (const secret of [code, smsToken, mailToken]) expect(stored).not.toContain(secret);
    expect(rows.every((r) => r.payload.includes('[[secret:confirm]]'))).toBe(true);
    const ok = await http(app, 'POST', '/api/v1/confirmations', { body: { token: mailToken } });
    expect([ok.status, ok.body.status]).toEqual([200, 'confirmed']);
    const byCode = await http(app, 'POST', '/api/v1/confirmations', { body: { reference: b.reference, code } });
    expect([byCode.status, byCode.body.status]).toEqual([200, 'confirmed']);
  });

  const tryCode = (source: string, reference: string, code: string) =>
    http(app, 'POST', '/api/v1/confirmations', { body: { reference, code }, headers: { 'x-forwarded-for': source } });

  it('wrong codes lock out the source that guessed, not the citizen; an unknown reference gets the same answers', async () => {
    const b = await book('gmx.de', '+49 151 2222222');
    await dispatcher.dispatchOnce();
    await dispatcher.dispatchOnce();
    const code = /Code (\d{6})/.exec(smsFor('+49 151 2222222')[0].text)![1];
    const wrong = code === '000000' ? '111111' : '000000';
    const guesses = [];
    for (let i = 0; i < 5; i++) guesses.push(await tryCode('203.0.113.5', b.reference, wrong));
    const unknown = [];
    for (let i = 0; i < 5; i++) unknown.push(await tryCode('203.0.113.5', 'HF-ZZZZ-ZZZZ', code));
    // The same answers (each response carries its own request id).
    const answer = (a: { status: number; body: any }) => [
      a.status,
      { ...a.body, error: { ...a.body.error, requestId: undefined } },
    ];
    expect(guesses.map(answer)).toEqual(unknown.map(answer));
    expect(guesses.map((a) => a.status)).toEqual(Array(5).fill(404));
    // The guesser is locked out of this reference, with the right code too, and so of an unknown one.
    const lockedOut = await tryCode('203.0.113.5', b.reference, code);
    expect([lockedOut.status, lockedOut.body.error.code, lockedOut.headers.get('retry-after')]).toEqual([
      429,
      'CODE_TRIES_EXCEEDED',
      '3600',
    ]);
    expect(answer(await tryCode('203.0.113.5', 'HF-ZZZZ-ZZZZ', code))).toEqual(answer(lockedOut));
    // Before: the five wrong tries locked the code itself, and the citizen's right code was refused.
    const citizenTry = await tryCode('198.51.100.20', b.reference, code);
    expect([citizenTry.status, citizenTry.body.status]).toEqual([200, 'confirmed']);
  });

  it('twenty wrong codes from many sources lock the code; the citizen asks for a new one and confirms with it', async () => {
    const b = await book('gmx.de', '+49 151 2222223');
    await dispatcher.dispatchOnce();
    await dispatcher.dispatchOnce();
    const first = /Code (\d{6})/.exec(smsFor('+49 151 2222223')[0].text)![1];
    const wrong = first === '000000' ? '111111' : '000000';
    for (let i = 0; i < 20; i++) expect((await tryCode(`203.0.113.${100 + i}`, b.reference, wrong)).status).toBe(404);
    expect((await tryCode('198.51.100.21', b.reference, first)).status).toBe(404);
    const again = await http(app, 'POST', `/api/v1/bookings/${b.id}/new-code`, { headers: { 'x-booking-token': b.statusToken } });
    expect(again.status).toBe(200);
    const soon = await http(app, 'POST', `/api/v1/bookings/${b.id}/new-code`, { headers: { 'x-booking-token': b.statusToken } });
    expect([soon.status, soon.body.error.code]).toEqual([429, 'CHANGE_TOO_SOON']);
    await dispatcher.dispatchOnce();
    const texts = smsFor('+49 151 2222223').map((m) => m.text);
    expect(texts).toHaveLength(2);
    const second = /Code (\d{6})/.exec(texts[1])![1];
    const ok = await tryCode('198.51.100.21', b.reference, second);
    expect([ok.status, ok.body.status]).toEqual([200, 'confirmed']);
  });

  it('a new code needs a phone number on file', async () => {
    const b = await book('example.org');
    const res = await http(app, 'POST', `/api/v1/bookings/${b.id}/new-code`, { headers: { 'x-booking-token': b.statusToken } });
    expect([res.status, res.body.error.code]).toEqual([409, 'SMS_NOT_POSSIBLE']);
  });

  it('a gateway that fails temporarily is retried; one that refuses is final', async () => {
    gateway.status = 503;
    const b = await book('gmx.de', '+49 151 3333333');
    await dispatcher.dispatchOnce();
    await dispatcher.dispatchOnce();
    let sms = (await view(b)).messages.find((x: any) => x.channel === 'sms');
    expect(sms).toMatchObject({ state: 'deferred', lastReplyCode: 503 });
    gateway.status = 400;
    app.clock.advance({ minutes: 5 });
    try {
      await dispatcher.dispatchOnce();
    } finally {
      app.clock.advance({ minutes: -5 });
      gateway.status = 202;
    }
    sms = (await view(b)).messages.find((x: any) => x.channel === 'sms');
    expect(sms).toMatchObject({ state: 'failed', lastReplyCode: 400 });
  });

  it('change-email: the old link dies, the mail goes to the new address, the hold runs from its delivery', async () => {
    const b = await book('gmx.de');
    await dispatcher.dispatchOnce();
    const oldToken = await confirmTokenOfQueued(app, b.id);
    app.clock.advance({ minutes: 1 });
    const who = citizen();
    const newEmail = who.email.replace('example.org', 'posteo.de');
    const bad = await http(app, 'POST', `/api/v1/bookings/${b.id}/change-email`, {
      body: { email: 'nope' },
      headers: { 'x-booking-token': b.statusToken },
    });
    expect(bad.status).toBe(400);
    const res = await http(app, 'POST', `/api/v1/bookings/${b.id}/change-email`, {
      body: { email: newEmail },
      headers: { 'x-booking-token': b.statusToken },
    });
    expect(res.status).toBe(200);
    expect(res.body.email).toBe(newEmail);
    expect((await http(app, 'POST', '/api/v1/confirmations', { body: { token: oldToken } })).status).toBe(404);
    await dispatcher.dispatchOnce();
    const mail = relay.received.find((r) => r.to.includes(newEmail))!;
    expect(mail).toBeDefined();
    const inTransit = await view(b);
    expect(inTransit.messages.map((x: any) => [x.recipient, x.state])).toEqual([
      [b.email, 'cancelled'],
      [newEmail, 'in_transit'],
    ]);
    expect(inTransit.hold.reason).toBe('waiting_for_delivery');
    // The relay reports it delivered: the window runs from then.
    expect((await mailEvent(inTransit.messages[1].id, 'delivered')).body).toEqual({ matched: true, state: 'accepted' });
    const after = await view(b);
    expect(after.messages[1].state).toBe('accepted');
    expect(after.hold.reason).toBe('window_from_delivery');
    const audit = await app.db.query(`SELECT action, actor_label FROM audit_entries WHERE booking_id = $1`, [b.id]);
    expect(audit.rows).toEqual([{ action: 'citizen.change_email', actor_label: 'citizen' }]);
    app.clock.advance({ minutes: -1 });
  });

  it('a mail accepted for a mistyped address does not count once the citizen changed it', async () => {
    const b = await book('gmail.com'); // meant gmx.de; the relay takes it and reports it delivered
    await dispatcher.dispatchOnce();
    expect((await mailEvent((await view(b)).messages[0].id, 'delivered')).body.state).toBe('accepted');
    expect((await view(b)).hold.reason).toBe('window_from_delivery');
    app.clock.advance({ minutes: 2 });
    try {
      const who = citizen();
      await http(app, 'POST', `/api/v1/bookings/${b.id}/change-email`, {
        body: { email: who.email.replace('example.org', 'gmx.de') },
        headers: { 'x-booking-token': b.statusToken },
      });
      await dispatcher.dispatchOnce(); // gmx.de: the circuit is open, held
      const after = await view(b);
      expect(after.messages.at(-1).state).toBe('held_provider_blocked');
      expect(after.hold.reason).toBe('waiting_for_delivery');
    } finally {
      app.clock.advance({ minutes: -2 });
    }
  });

  it('a confirmation that came back deferred after its booking was cancelled is withdrawn, not sent', async () => {
    const b = await book('posteo.de');
    await http(app, 'POST', `/api/v1/bookings/${b.id}/cancel`, { headers: { 'x-booking-token': b.statusToken } });
    // As if a send had been under way during the cancel and failed temporarily afterwards.
    await app.db.query(
      `UPDATE outbox_messages SET state = 'deferred', next_attempt_at = now() - interval '1 day' WHERE booking_id = $1`,
      [b.id],
    );
    const before = relay.received.length;
    await dispatcher.dispatchOnce();
    expect(relay.received.length).toBe(before);
    expect((await view(b)).messages[0].state).toBe('cancelled');
  });

  it('an address that does not exist does not hoard the slot: the hold ends a window after the bounce', async () => {
    const b = await book('nobody.example'); // the relay answers 550 5.1.1 User unknown
    await dispatcher.dispatchOnce();
    const bounced = await view(b);
    expect(bounced.messages.map((m: any) => m.state)).toEqual(['bounced']);
    expect(bounced.hold.reason).toBe('window_from_bounce');
    expect(bounced.hold.explanation).toMatch(/nicht erreichbar.*andere Adresse oder eine Telefonnummer/);
    app.clock.advance({ minutes: 61 });
    try {
      await app.app.get(ExpirySweeperService).sweep();
      // Back to the office, and into the clerks' review queue (the mail never arrived).
      expect(await view(b)).toMatchObject({ status: 'expired', expiryReason: 'mail_undelivered' });
    } finally {
      app.clock.advance({ minutes: -61 });
    }
  });

  it('change-email is throttled: a typo is fixed at once, then one new address every five minutes', async () => {
    const b = await book('posteo.de');
    const change = () =>
      http(app, 'POST', `/api/v1/bookings/${b.id}/change-email`, {
        body: { email: citizen().email.replace('example.org', 'posteo.de') },
        headers: { 'x-booking-token': b.statusToken },
      });
    expect((await change()).status).toBe(200);
    const refused = [];
    for (let i = 0; i < 5; i++) refused.push(await change());
    expect(refused.map((r) => [r.status, r.body.error?.code])).toEqual(Array(5).fill([429, 'CHANGE_TOO_SOON']));
    const queued = async () =>
      (await app.db.query(`SELECT count(*)::int AS n FROM outbox_messages WHERE booking_id = $1`, [b.id])).rows[0].n;
    expect(await queued()).toBe(2); // the first confirmation and the one to the corrected address
    app.clock.advance({ minutes: 5, seconds: 1 });
    try {
      expect((await change()).status).toBe(200);
      expect(await queued()).toBe(3);
    } finally {
      app.clock.advance({ minutes: -5, seconds: -1 });
    }
  });

  it('change-email keeps the per-day limit of the new address', async () => {
    const full = citizen();
    const target = full.email.replace('example.org', 'posteo.de');
    const { addSlot } = await import('./factories/scheduling.factory');
    const {
      rows: [s],
    } = await app.db.query(`SELECT location_id AS "locationId", service_id AS "serviceId" FROM slots WHERE id = $1`, [slotId]);
    for (const t of ['09:00', '09:20', '09:40']) {
      const other = await addSlot(app.db, s, `2026-06-06T${t}:00Z`);
      expect(
        (await http(app, 'POST', '/api/v1/bookings', { body: { slotId: other, name: full.name, email: target } })).status,
      ).toBe(201);
    }
    const b = await book('gmail.com');
    const res = await http(app, 'POST', `/api/v1/bookings/${b.id}/change-email`, {
      body: { email: target },
      headers: { 'x-booking-token': b.statusToken },
    });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('BOOKING_LIMIT_DAY');
    expect((await view(b)).email).toBe(b.email);
  });

  it('resend: a new link, at most once every five minutes; add-phone brings the SMS while the mail is held', async () => {
    const b = await book('gmx.de');
    await dispatcher.dispatchOnce();
    app.clock.advance({ minutes: 6 });
    try {
      const first = await http(app, 'POST', `/api/v1/bookings/${b.id}/resend`, { headers: { 'x-booking-token': b.statusToken } });
      expect(first.status).toBe(200);
      const again = await http(app, 'POST', `/api/v1/bookings/${b.id}/resend`, { headers: { 'x-booking-token': b.statusToken } });
      expect(again.status).toBe(429);
      expect(again.body.error.code).toBe('RESEND_TOO_SOON');
      const phone = await http(app, 'POST', `/api/v1/bookings/${b.id}/add-phone`, {
        body: { phone: '+49 151 4444444' },
        headers: { 'x-booking-token': b.statusToken },
      });
      expect(phone.body.phone).toBe('+491514444444'); // kept in E.164
      await dispatcher.dispatchOnce();
      await dispatcher.dispatchOnce();
      expect(smsFor('+49 151 4444444')).toHaveLength(1);
      const foreign = await http(app, 'POST', `/api/v1/bookings/${b.id}/add-phone`, {
        body: { phone: '+49 151 5555555' },
        headers: { 'x-booking-token': 'x'.repeat(43) },
      });
      expect(foreign.status).toBe(401);
    } finally {
      app.clock.advance({ minutes: -6 });
    }
  });
});
