import { DispatcherService } from '../src/notifications/dispatcher.service';
import { citizen, createSlot } from './factories/scheduling.factory';
import { ScriptedSmtpServer } from './support/scripted-smtp';
import { http, restoreClockAfterEach, startTestApp, TestApp } from './support/test-app';

/**
 * Our own relay goes down (connection refused) and comes back. Its outage is not the recipients'
 * fault: no attempt is used up, nothing fails, nothing more is tried than one probe per period, and
 * everything goes out once when it answers again. (Before: with OUTBOX_MAX_ATTEMPTS=3 the mail was
 * `failed` after three refused connections and never sent.)
 */
describe('our relay is down, then back', () => {
  const relay = new ScriptedSmtpServer({ dsn: false });
  let app: TestApp;
  restoreClockAfterEach(() => app?.clock);

  beforeAll(async () => {
    const url = await relay.start();
    app = await startTestApp({
      env: { SMTP_URL: url, OUTBOX_MAX_ATTEMPTS: '3', RELAY_TRANSIT_MINUTES: '0', RETRY_BASE_SECONDS: '1' },
    });
  });
  afterAll(async () => {
    await app.close();
    await relay.stop();
  });

  const messages = async () =>
    (await app.db.query(`SELECT state, attempts FROM outbox_messages ORDER BY created_at`)).rows as Array<{
      state: string;
      attempts: number;
    }>;
  const tried = async () => (await app.db.query(`SELECT count(*)::int AS n FROM mail_attempts`)).rows[0].n as number;
  const relayCircuit = async () =>
    (await app.db.query(`SELECT state FROM provider_circuits WHERE family = 'our-relay'`)).rows[0]?.state ?? 'closed';

  it('no attempt used up, nothing failed, one probe per period; everything out once on recovery', async () => {
    const port = relay.port;
    await relay.stop();
    const { slotId } = await createSlot(app.db, { capacity: 10, startsAt: '2026-06-08T08:00:00Z' });
    const emails: string[] = [];
    for (let i = 0; i < 5; i++) {
      const who = citizen();
      emails.push(who.email);
      expect((await http(app, 'POST', '/api/v1/bookings', { body: { slotId, ...who } })).status).toBe(201);
    }
    const dispatcher = app.app.get(DispatcherService);
    await dispatcher.dispatchOnce();
    // The first refused connection opened our relay's circuit; the rest of the batch went back untried.
    expect(await relayCircuit()).toBe('open');
    expect(await tried()).toBe(1);
    // Ten rounds, ten minutes apart: each period ends with one probe, refused again; nothing else is tried.
    for (let round = 0; round < 10; round++) {
      app.clock.advance({ minutes: 10 });
      await dispatcher.dispatchOnce();
    }
    expect(await tried()).toBe(11);
    const { rows: attempts } = await app.db.query(`SELECT DISTINCT outcome, category, reply_code FROM mail_attempts`);
    expect(attempts).toEqual([{ outcome: 'deferred', category: 'network', reply_code: null }]);
    expect(await messages()).toEqual(Array(5).fill({ state: 'deferred', attempts: 0 }));

    // The relay is back: the next probe gets through, the circuit closes, the rest goes out.
    await relay.start({ port });
    app.clock.advance({ minutes: 10 });
    await dispatcher.dispatchOnce();
    expect(await relayCircuit()).toBe('closed');
    await dispatcher.dispatchOnce();
    expect((await messages()).map((m) => m.state)).toEqual(Array(5).fill('accepted'));
    for (const email of emails) expect(relay.received.filter((r) => r.to.includes(email))).toHaveLength(1);
    expect((await messages()).map((m) => m.attempts)).toEqual(Array(5).fill(1));
  });
});
