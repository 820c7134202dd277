import { generateKeyPairSync } from 'node:crypto';
import { DispatcherService } from '../src/notifications/dispatcher.service';
import { citizen, createSlot } from './factories/scheduling.factory';
import { GMX_IP_BLOCK } from './support/provider-replies';
import { ScriptedSmtpServer } from './support/scripted-smtp';
import { http, startTestApp, TestApp, restoreClockAfterEach } from './support/test-app';

/**
 * MAIL_TRANSPORT=direct: holdfast talks to the recipients' MX hosts itself (fake providers on
 * loopback addresses, all on one port), DKIM-signed, and sees GMX's refusal at the greeting.
 */
describe("direct delivery to the recipients' MX hosts", () => {
  const gmxMx = new ScriptedSmtpServer();
  const googleMx = new ScriptedSmtpServer();
  let app: TestApp;
  restoreClockAfterEach(() => app?.clock);
  let dispatcher: DispatcherService;
  const sent: Array<{ id: string; email: string }> = [];

  beforeAll(async () => {
    await gmxMx.start({ host: '127.0.0.3' });
    await googleMx.start({ host: '127.0.0.4', port: gmxMx.port });
    gmxMx.connReply = GMX_IP_BLOCK;
    const { privateKey } = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    const mx: Record<string, Array<{ exchange: string; priority: number }>> = {
      'gmx.de': [{ exchange: '127.0.0.3', priority: 10 }],
      'web.de': [{ exchange: '127.0.0.3', priority: 10 }],
      // The first MX is down (nothing listens on 127.0.0.2): the next one takes the mail.
      'gmail.com': [
        { exchange: '127.0.0.4', priority: 20 },
        { exchange: '127.0.0.2', priority: 5 },
      ],
    };
    app = await startTestApp({
      env: {
        MAIL_TRANSPORT: 'direct',
        DIRECT_SMTP_PORT: String(gmxMx.port),
        DKIM_DOMAIN: 'stadt.example',
        DKIM_SELECTOR: 'holdfast2026',
        DKIM_PRIVATE_KEY: privateKey,
        HELO_NAME: 'mail.stadt.example',
      },
      mxResolver: { resolveMx: async (domain) => mx[domain] ?? [] },
    });
    dispatcher = app.app.get(DispatcherService);
    const { slotId } = await createSlot(app.db, { capacity: 20, startsAt: '2026-06-09T08:00:00Z' });
    for (const domain of ['gmx.de', 'web.de', 'gmx.de', 'gmail.com', 'gmail.com']) {
      const who = citizen();
      const email = who.email.replace('example.org', domain);
      const res = await http(app, 'POST', '/api/v1/bookings', { body: { slotId, ...who, email } });
      sent.push({ id: res.body.id, email });
    }
  });
  afterAll(async () => {
    await app.close();
    await gmxMx.stop();
    await googleMx.stop();
  });

  /** The first dispatch round, once: the first test makes it; a test run alone makes it itself. */
  let firstRound: Promise<number> | undefined;
  const dispatchFirstRound = () => (firstRound ??= dispatcher.dispatchOnce());

  const message = async (bookingId: string) =>
    (
      await app.db.query(`SELECT state, accepted_by, last_reply_category, family FROM outbox_messages WHERE booking_id = $1`, [
        bookingId,
      ])
    ).rows[0];

  it('delivers DKIM-signed to the reachable MX and records that the MX accepted it', async () => {
    await dispatchFirstRound();
    const gmail = sent.filter((s) => s.email.endsWith('@gmail.com'));
    for (const s of gmail) {
      expect(await message(s.id)).toMatchObject({ state: 'accepted', accepted_by: 'mx' });
      const mail = googleMx.received.find((r) => r.to.includes(s.email))!;
      expect(mail.raw).toMatch(
        /^DKIM-Signature: v=1; a=rsa-sha256; c=relaxed\/relaxed; d=stadt\.example;[\s\S]*s=holdfast2026;/m,
      );
    }
    expect(googleMx.received).toHaveLength(2);
  });

  it("sees GMX refuse at the greeting: the family's circuit opens after one connection, the others are held", async () => {
    await dispatchFirstRound();
    expect(gmxMx.connections).toBe(1);
    for (const s of sent.filter((x) => !x.email.endsWith('@gmail.com'))) {
      expect(await message(s.id)).toMatchObject({ state: 'held_provider_blocked', family: 'united-internet' });
    }
    const { rows } = await app.db.query(
      `SELECT outcome, category, reply_code FROM mail_attempts WHERE family = 'united-internet'`,
    );
    expect(rows).toEqual([{ outcome: 'held', category: 'provider_block', reply_code: 554 }]);
  });

  it('probes once per open period and delivers every held mail exactly once when GMX takes mail again', async () => {
    await dispatchFirstRound();
    app.clock.advance({ minutes: 16 });
    await dispatcher.dispatchOnce();
    await dispatcher.dispatchOnce();
    expect(gmxMx.connections).toBe(2);
    gmxMx.connReply = undefined;
    app.clock.advance({ minutes: 31 });
    await dispatcher.dispatchOnce();
    await dispatcher.dispatchOnce();
    for (const s of sent) {
      expect((await message(s.id)).state).toBe('accepted');
      const mx = s.email.endsWith('@gmail.com') ? googleMx : gmxMx;
      expect(mx.received.filter((r) => r.to.includes(s.email))).toHaveLength(1);
    }
  });
});
