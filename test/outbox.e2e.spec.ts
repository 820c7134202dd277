import { TransactionRunner } from '../src/database/transaction-runner';
import { DispatcherService } from '../src/notifications/dispatcher.service';
import { OutboxRepository } from '../src/outbox/outbox.repository';
import { citizen, createSlot } from './factories/scheduling.factory';
import { ScriptedSmtpServer } from './support/scripted-smtp';
import { http, startTestApp, TestApp, restoreClockAfterEach } from './support/test-app';

describe('outbox dispatcher against a real SMTP relay', () => {
  const relay = new ScriptedSmtpServer();
  let app: TestApp;
  restoreClockAfterEach(() => app?.clock);
  let dispatcher: DispatcherService;

  beforeAll(async () => {
    const smtpUrl = await relay.start();
    app = await startTestApp({
      env: {
        SMTP_URL: smtpUrl,
        OUTBOX_LEASE_SECONDS: '30',
        RETRY_BASE_SECONDS: '60',
        OUTBOX_MAX_ATTEMPTS: '3',
        PROVIDER_RATE_PER_MINUTE: '20',
        DISPATCH_BATCH_SIZE: '10',
      },
    });
    dispatcher = app.app.get(DispatcherService);
  });
  afterAll(async () => {
    await app.close();
    await relay.stop();
  });

  async function book(domain = 'example.org') {
    const { slotId } = await createSlot(app.db, { capacity: 5, startsAt: '2026-06-10T08:00:00Z' });
    const who = citizen();
    const email = who.email.replace('example.org', domain);
    const res = await http(app, 'POST', '/api/v1/bookings', { body: { slotId, ...who, email } });
    expect(res.status).toBe(201);
    return { ...res.body, email };
  }
  const message = async (bookingId: string) =>
    (await app.db.query(`SELECT * FROM outbox_messages WHERE booking_id = $1`, [bookingId])).rows[0];
  const attempts = async (bookingId: string) =>
    (
      await app.db.query(
        `SELECT a.* FROM mail_attempts a JOIN outbox_messages o ON o.id = a.message_id WHERE o.booking_id = $1 ORDER BY a.id`,
        [bookingId],
      )
    ).rows;
  const deliveredTo = (email: string) => relay.received.filter((r) => r.to.includes(email));

  it('sends through a pool: many mails, few connections', async () => {
    const before = relay.connections;
    const booked = [];
    for (let i = 0; i < 12; i++) booked.push(await book());
    await dispatcher.dispatchOnce();
    await dispatcher.dispatchOnce(); // batches of 10
    // Each of these twelve arrived exactly once.
    for (const b of booked) expect(deliveredTo(b.email)).toHaveLength(1);
    expect(relay.connections - before).toBeLessThanOrEqual(5);
  });

  it('a family at its send rate waits; the other families do not wait behind it', async () => {
    const { slotId } = await createSlot(app.db, { capacity: 90, startsAt: '2026-06-10T08:00:00Z' });
    const rate = app.config.providerRatePerMinute;
    const sendToFamily = async (domain: string, n: number) => {
      const ids: string[] = [];
      for (let i = 0; i < n; i++) {
        const who = citizen();
        ids.push(
          (
            await http(app, 'POST', '/api/v1/bookings', {
              body: { slotId, ...who, email: who.email.replace('example.org', domain) },
            })
          ).body.id,
        );
      }
      return ids;
    };
    // More due mail of one family than a claim looks at (4 x the batch of 10).
    const busy = await sendToFamily('throttled.example', 80);
    app.clock.advance({ seconds: 1 });
    const quiet = await sendToFamily('quiet.example', 3);
    try {
      await dispatcher.resolveFamilies();
      for (let round = 0; round < 4; round++) await dispatcher.dispatchOnce();
      const states = async (ids: string[]) =>
        (
          await app.db.query(
            `SELECT state, count(*)::int AS n FROM outbox_messages WHERE booking_id = ANY($1::uuid[]) GROUP BY state ORDER BY state`,
            [ids],
          )
        ).rows;
      expect(await states(busy)).toEqual([
        { state: 'in_transit', n: rate },
        { state: 'queued', n: 80 - rate },
      ]);
      expect(await states(quiet)).toEqual([{ state: 'in_transit', n: 3 }]);
    } finally {
      app.clock.advance({ seconds: -1 });
      // The throttled backlog would go first in the tests below (oldest first): take it out of the way.
      await app.db.query(
        `UPDATE outbox_messages SET state = 'cancelled' WHERE booking_id = ANY($1::uuid[]) AND state = 'queued'`,
        [busy],
      );
    }
  });

  it('has no /dev routes when SMTP_URL is set', async () => {
    expect((await http(app, 'GET', '/dev/mailbox.json')).status).toBe(404);
  });

  it('a lease that ran out is claimed again and the mail is sent once', async () => {
    const b = await book();
    await dispatcher.resolveFamilies();
    // Worker A claims and "crashes": it never sends or reports.
    const stolen = await dispatcher.claim('crashed-worker');
    expect(stolen.map((m) => m.recipient)).toContain(b.email);
    // Within the lease nobody else may take it.
    expect((await dispatcher.claim('worker-b')).map((m) => m.recipient)).not.toContain(b.email);
    app.clock.advance({ seconds: 31 });
    try {
      const reclaimed = (await dispatcher.claim('worker-b')).filter((m) => m.recipient === b.email);
      expect(reclaimed).toHaveLength(1);
      await dispatcher.deliver(reclaimed[0], 'worker-b');
      expect(deliveredTo(b.email)).toHaveLength(1);
      const m = await message(b.id);
      expect(m).toMatchObject({ state: 'in_transit', attempts: 2, lease_owner: null });
      expect((await attempts(b.id)).map((a) => [a.outcome, a.worker])).toEqual([
        ['lease_expired', 'crashed-worker'],
        ['accepted', 'worker-b'],
      ]);
      // The crashed worker coming back cannot overwrite the result: its lease is gone.
      const late = await app.app.get(OutboxRepository).complete(app.app.get(TransactionRunner).manager, m.id, 'crashed-worker', {
        outcome: 'failed',
        startedAt: new Date(),
        finishedAt: new Date(),
        replyCode: 554,
        reply: 'late',
        errorCode: null,
        category: 'unknown_permanent',
      });
      expect(late).toBe(false);
      expect((await message(b.id)).state).toBe('in_transit');
      // Nothing is due any more: running the dispatcher again sends nothing twice.
      await dispatcher.dispatchOnce();
      expect(deliveredTo(b.email)).toHaveLength(1);
    } finally {
      app.clock.advance({ seconds: -31 });
    }
  });

  it('a 4xx reply defers with backoff, and the mail goes out once the relay accepts', async () => {
    relay.rcptReplies.set('busy.example', { code: 451, message: '4.7.1 Try again later' });
    const b = await book('busy.example');
    await dispatcher.dispatchOnce();
    let m = await message(b.id);
    expect(m.state).toBe('deferred');
    expect(m.last_reply_code).toBe(451);
    const delay = (new Date(m.next_attempt_at).getTime() - app.clock.now().toMillis()) / 1000;
    expect(delay).toBeGreaterThanOrEqual(30);
    expect(delay).toBeLessThanOrEqual(60);
    // Not due yet: nothing is attempted.
    await dispatcher.dispatchOnce();
    expect(await attempts(b.id)).toHaveLength(1);
    relay.rcptReplies.delete('busy.example');
    app.clock.advance({ seconds: 61 });
    try {
      await dispatcher.dispatchOnce();
    } finally {
      app.clock.advance({ seconds: -61 });
    }
    m = await message(b.id);
    expect(m.state).toBe('in_transit');
    expect((await attempts(b.id)).map((a) => a.outcome)).toEqual(['deferred', 'accepted']);
    expect(deliveredTo(b.email)).toHaveLength(1);
    const view = await http(app, 'GET', `/api/v1/bookings/${b.id}`, { headers: { 'x-booking-token': b.statusToken } });
    expect(view.body.messages[0].history.map((h: any) => [h.outcome, h.replyCode])).toEqual([
      ['deferred', 451],
      ['accepted', 250],
    ]);
  });

  it('a 5xx for an unknown mailbox bounces the mail at once; the booking stays pending', async () => {
    relay.rcptReplies.set('gone.example', { code: 550, message: '5.1.1 User unknown' });
    const b = await book('gone.example');
    await dispatcher.dispatchOnce();
    const m = await message(b.id);
    expect(m.state).toBe('bounced');
    expect(m.last_reply).toContain('User unknown');
    expect(m.last_reply_category).toBe('mailbox_unknown');
    expect((await attempts(b.id)).map((a) => [a.outcome, a.reply_code])).toEqual([['bounced', 550]]);
    const view = await http(app, 'GET', `/api/v1/bookings/${b.id}`, { headers: { 'x-booking-token': b.statusToken } });
    expect(view.body.status).toBe('pending');
  });

  it('a DMARC refusal after DATA fails the mail without calling the address bad; a refused sender is retried', async () => {
    relay.dataReplies.set('strict.example', {
      code: 550,
      message: "5.7.26 Unauthenticated email from stadt.example is not accepted due to domain's DMARC policy.",
    });
    const b = await book('strict.example');
    await dispatcher.dispatchOnce();
    expect(await message(b.id)).toMatchObject({ state: 'failed', last_reply_category: 'sender_config' });
    relay.dataReplies.delete('strict.example');

    relay.mailReply = { code: 451, message: '4.3.0 Temporary sender verification failure' };
    const c = await book('example.org');
    await dispatcher.dispatchOnce();
    relay.mailReply = undefined;
    expect(await message(c.id)).toMatchObject({ state: 'deferred', last_reply_code: 451 });
  });

  it('gives up after OUTBOX_MAX_ATTEMPTS temporary failures, with every attempt recorded', async () => {
    relay.rcptReplies.set('never.example', { code: 421, message: '4.7.0 Rate limited' });
    const b = await book('never.example');
    const start = app.clock.now();
    try {
      for (let i = 0; i < 3; i++) {
        await dispatcher.dispatchOnce();
        app.clock.advance({ hours: 2 });
      }
      const m = await message(b.id);
      expect(m.state).toBe('failed');
      expect((await attempts(b.id)).map((a) => a.outcome)).toEqual(['deferred', 'deferred', 'failed']);
    } finally {
      app.clock.set(start);
    }
  });

  it('a relay that takes 10 s per answer for one family does not stall the others: their mail goes out and is recorded meanwhile', async () => {
    const { slotId } = await createSlot(app.db, { capacity: 20, startsAt: '2026-06-09T08:00:00Z' });
    const slow: string[] = [];
    const fast: string[] = [];
    for (let i = 0; i < 6; i++) {
      const who = citizen();
      const email =
        i < 1 ? who.email.replace('example.org', 'slow-provider.example') : who.email.replace('example.org', `fast${i}.example`);
      (i < 1 ? slow : fast).push(email);
      expect((await http(app, 'POST', '/api/v1/bookings', { body: { slotId, ...who, email } })).status).toBe(201);
    }
    relay.dataDelays.set('slow-provider.example', 10_000);
    const dispatcher = app.app.get(DispatcherService);
    const started = Date.now();
    const round = dispatcher.dispatchOnce();
    try {
      const recorded = async () =>
        (
          await app.db.query(`SELECT count(*)::int AS n FROM outbox_messages WHERE recipient = ANY($1) AND state <> 'sending'`, [
            fast,
          ])
        ).rows[0].n;
      while ((await recorded()) < fast.length && Date.now() - started < 9_000) await new Promise((r) => setTimeout(r, 50));
      // Every other family's mail was taken by the relay and recorded while the slow one still waits.
      expect(await recorded()).toBe(fast.length);
      expect(relay.received.filter((r) => slow.includes(r.to[0]))).toHaveLength(0);
    } finally {
      await round;
      relay.dataDelays.clear();
    }
    expect(relay.received.filter((r) => slow.includes(r.to[0]))).toHaveLength(1);
  }, 60_000);
});
