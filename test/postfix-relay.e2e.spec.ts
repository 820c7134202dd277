import { simpleParser } from 'mailparser';
import { ExpirySweeperService } from '../src/bookings/expiry-sweeper.service';
import { DispatcherService } from '../src/notifications/dispatcher.service';
import { citizen, createSlot } from './factories/scheduling.factory';
import { eventually } from './support/eventually';
import { freePort } from './support/ports';
import { PostfixRelay } from './support/postfix-relay';
import { GMX_IP_BLOCK, USER_UNKNOWN } from './support/provider-replies';
import { ScriptedSmtpServer } from './support/scripted-smtp';
import { http, RecordingLogger, restoreClockAfterEach, startTestApp, TestApp } from './support/test-app';

/** Web.de's answer while it refuses the city's mail (the 2021 block), at every RCPT. */
const WEBDE_DEFER = {
  code: 421,
  message:
    'web.de (mxweb113) Nemesis ESMTP Service not available Service unavailable Reject due to policy restrictions Please try again later.',
};
const BOUNCE_DOMAIN = 'bounce.stadt.example';

/**
 * A fake MX (the internet: every domain, no DSN, as the big providers' MX hosts), Debian's Postfix
 * as the city relay in front of it (README's example plus `extra`), and holdfast sending through
 * it with its bounce listener where Postfix sends the reports. Started before the suite, stopped
 * after it.
 */
function relaySetup(options: { extra?: string; env?: Record<string, string> } = {}) {
  const setup = {
    mx: new ScriptedSmtpServer({ dsn: false }),
    postfix: undefined as unknown as PostfixRelay,
    app: undefined as unknown as TestApp,
    logger: new RecordingLogger(),
  };
  restoreClockAfterEach(() => setup.app?.clock);
  beforeAll(async () => {
    await setup.mx.start();
    const bouncePort = await freePort();
    setup.postfix = new PostfixRelay({ mxPort: setup.mx.port, bouncePort, bounceDomain: BOUNCE_DOMAIN, extra: options.extra });
    setup.app = await startTestApp({
      env: {
        SMTP_URL: await setup.postfix.start(),
        BOUNCE_SMTP_PORT: String(bouncePort),
        BOUNCE_SMTP_HOST: '127.0.0.1',
        BOUNCE_DOMAIN,
        MAIL_FROM: 'Bürgeramt <termine@stadt.example>',
        ...options.env,
      },
      logger: setup.logger,
    });
  }, 60_000);
  afterAll(async () => {
    await setup.app?.close();
    await setup.postfix?.stop();
    await setup.mx.stop();
  });
  return setup;
}

/**
 * The city relay is Debian's Postfix, configured with README's example and nothing else about
 * reports (stock `delay_warning_time = 0h`: no delay warnings), in front of a fake MX on
 * loopback. holdfast sends through it and listens for its reports. This is the Mülheim case as a
 * city runs it: the relay says 250 and then keeps the mail in its queue while Web.de defers.
 */
describe('through a stock Postfix relay', () => {
  const setup = relaySetup();
  const { mx, logger } = setup;
  let app: TestApp;
  let postfix: PostfixRelay;
  beforeAll(() => {
    ({ app, postfix } = setup);
  });

  async function bookAndSend(domain: string) {
    const { slotId } = await createSlot(app.db, { capacity: 3, startsAt: '2026-06-08T08:00:00Z' });
    const who = citizen();
    const email = who.email.replace('example.org', domain);
    const res = await http(app, 'POST', '/api/v1/bookings', { body: { slotId, ...who, email } });
    expect(res.status).toBe(201);
    await app.app.get(DispatcherService).dispatchOnce();
    const message = await mail(res.body.id);
    // Postfix said 250: in transit, with reports asked for (Postfix announces DSN).
    expect(message).toMatchObject({ state: 'in_transit', accepted_by: 'relay', reports_requested: true });
    return { booking: res.body as { id: string; statusToken: string }, email, outboxId: message.id as string };
  }
  const mail = async (bookingId: string) =>
    (
      await app.db.query(
        `SELECT id, state, accepted_by, accepted_at, reports_requested, delivered_at, delivery_evidence
           FROM outbox_messages WHERE booking_id = $1`,
        [bookingId],
      )
    ).rows[0];
  const reports = async (outboxId: string) =>
    (
      await app.db.query(`SELECT kind, status, category, state_after FROM delivery_events WHERE message_id = $1 ORDER BY id`, [
        outboxId,
      ])
    ).rows;
  const booking = async (id: string) =>
    (await app.db.query(`SELECT status, expiry_reason, hold_until, hold_reason FROM bookings WHERE id = $1`, [id])).rows[0];

  it('reads the relay at start-up: Postfix announces DSN, so mail stays in transit until its report', () => {
    const line = logger.lines.find((l) => l.context === 'MailTransport' && /announces DSN/.test(l.message));
    expect(line).toMatchObject({ level: 'log' });
  });

  it('Web.de defers for hours, no delay warning comes: the booking does not lapse; the success report starts the window', async () => {
    mx.rcptReplies.set('web.de', WEBDE_DEFER);
    try {
      const sent = await bookAndSend('web.de');
      // Postfix tried the MX and keeps the mail in its queue.
      await eventually(
        async () => mx.rcptLog.filter((a) => a === sent.email).length,
        (n) => n >= 1,
        30_000,
        100,
      );
      expect(await postfix.queued()).toBeGreaterThanOrEqual(1);
      // Three hours on (the window is 60 minutes): still pending, the hold waiting for the mail.
      const start = app.clock.now();
      app.clock.advance({ hours: 3 });
      await app.app.get(ExpirySweeperService).sweep();
      expect(await booking(sent.booking.id)).toMatchObject({ status: 'pending', hold_reason: 'waiting_for_delivery' });
      expect((await booking(sent.booking.id)).hold_until.getTime()).toBe(start.plus({ hours: 4 }).toMillis());
      expect(await reports(sent.outboxId)).toEqual([]);

      // Web.de takes mail again; Postfix delivers on its next try and reports "relayed".
      mx.rcptReplies.delete('web.de');
      await postfix.flush();
      const arrived = await eventually(
        () => reports(sent.outboxId),
        (r) => r.length > 0,
      );
      expect(arrived).toEqual([
        { kind: 'relayed', status: expect.stringMatching(/^2\./), category: null, state_after: 'accepted' },
      ]);
      expect(mx.received.filter((r) => r.to.includes(sent.email))).toHaveLength(1);
      const delivered = await mail(sent.booking.id);
      expect(delivered).toMatchObject({ state: 'accepted', delivery_evidence: 'report' });
      expect(delivered.delivered_at.getTime()).toBe(app.clock.now().toMillis());
      // The window starts at the report: a full hour from now.
      const held = await booking(sent.booking.id);
      expect(held).toMatchObject({ status: 'pending', hold_reason: 'window_from_delivery' });
      expect(held.hold_until.getTime()).toBe(app.clock.now().plus({ minutes: 60 }).toMillis());
      // The citizen clicks the link in the mail Web.de finally took.
      const text = (await simpleParser(mx.received.find((r) => r.to.includes(sent.email))!.raw)).text ?? '';
      const token = /\/confirm\?token=([A-Za-z0-9_-]{43})/.exec(text)![1];
      expect((await http(app, 'POST', '/api/v1/confirmations', { body: { token } })).status).toBe(200);
      expect((await booking(sent.booking.id)).status).toBe('confirmed');
    } finally {
      mx.rcptReplies.delete('web.de');
    }
  }, 60_000);

  it.each([
    {
      name: 'a GMX block (554): the mail is taken back and held, the family blocked',
      domain: 'gmx.de',
      reply: GMX_IP_BLOCK,
      report: {
        kind: 'failed',
        status: expect.stringMatching(/^5\./),
        category: 'provider_block',
        state_after: 'held_provider_blocked',
      },
      circuit: 'open',
    },
    {
      name: 'an unknown user (550 5.1.1): bounced',
      domain: 'nobody.example',
      reply: USER_UNKNOWN,
      report: { kind: 'failed', status: '5.1.1', category: 'mailbox_unknown', state_after: 'bounced' },
      circuit: null,
    },
  ])(
    'a failure report from Postfix: $name',
    async ({ domain, reply, report, circuit }) => {
      mx.rcptReplies.set(domain, reply);
      try {
        const sent = await bookAndSend(domain);
        const arrived = await eventually(
          () => reports(sent.outboxId),
          (r) => r.length > 0,
          30_000,
          100,
        );
        expect(arrived).toEqual([report]);
        expect((await mail(sent.booking.id)).state).toBe(report.state_after);
        if (circuit) {
          const { rows } = await app.db.query(`SELECT state FROM provider_circuits WHERE family = 'united-internet'`);
          expect(rows[0].state).toBe(circuit);
        }
        // Held or bounced, the booking is still pending: a new address or a phone can still reach the citizen.
        expect((await booking(sent.booking.id)).status).toBe('pending');
      } finally {
        mx.rcptReplies.delete(domain);
      }
    },
    60_000,
  );
});

/**
 * The same Postfix with DSN taken out of its EHLO (`smtpd_discard_ehlo_keywords = dsn`): no report
 * can be asked for. holdfast warns at start-up and on the relay view, and the transit rule counts
 * the mail as delivered RELAY_TRANSIT_MINUTES after the relay's 250.
 */
describe('through a Postfix relay without DSN', () => {
  const setup = relaySetup({ extra: 'smtpd_discard_ehlo_keywords = dsn', env: { RELAY_TRANSIT_MINUTES: '30' } });
  const { mx, logger } = setup;
  let app: TestApp;
  beforeAll(() => {
    app = setup.app;
  });

  it('warns at start-up and on the relay view that no report can come, naming the rule', async () => {
    const warning = logger.lines.find((l) => l.context === 'MailTransport' && l.level === 'warn');
    expect(warning?.message).toMatch(/announces no DSN/);
    expect(warning?.message).toMatch(/30 minutes after its 250 \(RELAY_TRANSIT_MINUTES\)/);
    const { StaffService } = await import('../src/staff/staff.service');
    await app.app
      .get(StaffService)
      .create({ email: 'it@postfix.example', role: 'clerk', password: 'clerk-password-1' }, { id: null, label: 'test' });
    const token = (
      await http(app, 'POST', '/api/v1/auth/login', { body: { email: 'it@postfix.example', password: 'clerk-password-1' } })
    ).body.token;
    const view = await http(app, 'GET', '/api/v1/mail/relay', { headers: { authorization: `Bearer ${token}` } });
    expect(view.status).toBe(200);
    expect(view.body).toMatchObject({ mode: 'relay', reports: 'no_dsn', transitMinutes: 30, ehlo: { dsn: false } });
    expect(view.body.warnings.join(' ')).toMatch(/announces no DSN/);
  });

  it("the transit rule: delivered 30 minutes after the relay's 250, the window starts then", async () => {
    const { slotId } = await createSlot(app.db, { capacity: 3, startsAt: '2026-06-08T08:00:00Z' });
    const who = citizen();
    const res = await http(app, 'POST', '/api/v1/bookings', { body: { slotId, ...who } });
    const dispatcher = app.app.get(DispatcherService);
    await dispatcher.dispatchOnce();
    const query = async () =>
      (
        await app.db.query(
          `SELECT o.state, o.reports_requested, o.accepted_at, o.delivered_at, o.delivery_evidence, b.hold_until, b.hold_reason
             FROM outbox_messages o JOIN bookings b ON b.id = o.booking_id WHERE b.id = $1`,
          [res.body.id],
        )
      ).rows[0];
    const sent = await query();
    expect(sent).toMatchObject({ state: 'in_transit', reports_requested: false });
    // Postfix delivers it to the MX (asked for nothing, it reports nothing).
    await eventually(
      async () => mx.received.filter((r) => r.to.includes(who.email)).length,
      (n) => n === 1,
      30_000,
      100,
    );
    app.clock.advance({ minutes: 29 });
    await dispatcher.dispatchOnce();
    expect((await query()).state).toBe('in_transit');
    app.clock.advance({ minutes: 2 });
    await dispatcher.dispatchOnce();
    const after = await query();
    expect(after).toMatchObject({ state: 'accepted', delivery_evidence: 'transit_rule', hold_reason: 'window_from_delivery' });
    // Delivered when the rule saw it, 31 minutes on (it runs every dispatch round, a fraction of a second
    // after the 30 minutes in a running app); the window runs from then.
    expect(after.delivered_at.getTime()).toBe(sent.accepted_at.getTime() + 31 * 60_000);
    expect(after.hold_until.getTime()).toBe(sent.accepted_at.getTime() + 91 * 60_000);
  }, 60_000);
});
