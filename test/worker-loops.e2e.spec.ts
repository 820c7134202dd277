import { eventually } from './support/eventually';
import { citizen, createSlot } from './factories/scheduling.factory';
import { ScriptedSmtpServer } from './support/scripted-smtp';
import { http, startTestApp, TestApp, restoreClockAfterEach } from './support/test-app';

/** Polls until `check` holds (or gives up after `ms`); returns the last value for the assertion. */
/**
 * The loops as the app runs them (every other test drives dispatchOnce and sweep by hand): the
 * dispatcher sends on its own, the sweeper expires on its own, and shutdown waits for a round.
 */
describe('the background worker loops', () => {
  // A relay without DSN: its 250 counts as delivered RELAY_TRANSIT_MINUTES (30) later, which the
  // dispatcher's own loop applies.
  const relay = new ScriptedSmtpServer({ dsn: false });
  let app: TestApp;
  restoreClockAfterEach(() => app?.clock);
  beforeAll(async () => {
    const smtpUrl = await relay.start();
    app = await startTestApp({
      env: { SMTP_URL: smtpUrl, WORKERS_ENABLED: 'true', DISPATCH_INTERVAL_MS: '20', SWEEP_INTERVAL_MS: '100' },
    });
  });
  afterAll(async () => {
    await app.close();
    await relay.stop();
  });

  const stateOf = async (bookingId: string) =>
    (
      await app.db.query(
        `SELECT b.status, b.expiry_reason AS "expiryReason", o.state AS "mailState", (SELECT count(*)::int FROM mail_attempts a WHERE a.message_id = o.id) AS attempts
           FROM bookings b JOIN outbox_messages o ON o.booking_id = b.id WHERE b.id = $1`,
        [bookingId],
      )
    ).rows[0];

  it('the dispatcher sends without being called, the sweeper expires without being called, and shutdown waits for the running round', async () => {
    const { slotId } = await createSlot(app.db, { capacity: 5, startsAt: '2026-06-03T08:00:00Z' });
    const first = await http(app, 'POST', '/api/v1/bookings', { body: { slotId, ...citizen() } });
    expect(first.status).toBe(201);
    const sent = await eventually(
      () => stateOf(first.body.id),
      (x) => x.mailState === 'in_transit',
    );
    expect(sent).toEqual({ status: 'pending', expiryReason: null, mailState: 'in_transit', attempts: 1 });

    // 31 minutes on, the dispatcher's loop counts the mail delivered (30 minutes after the
    // relay's 250); nobody clicks, and two hours later the sweeper's own loop expires it, as not
    // confirmed.
    const start = app.clock.now();
    app.clock.advance({ minutes: 31 });
    try {
      await eventually(
        () => stateOf(first.body.id),
        (x) => x.mailState === 'accepted',
      );
      app.clock.advance({ minutes: 89 });
      const lapsed = await eventually(
        () => stateOf(first.body.id),
        (x) => x.status === 'expired',
      );
      expect(lapsed).toMatchObject({ status: 'expired', expiryReason: 'not_confirmed', mailState: 'accepted' });
    } finally {
      app.clock.set(start);
    }

    // A slow relay: the round is in the middle of a send when the app is told to stop.
    relay.dataDelayMs = 1500;
    const begun = relay.dataStarted;
    const second = await http(app, 'POST', '/api/v1/bookings', { body: { slotId, ...citizen() } });
    expect(second.status).toBe(201);
    await eventually(
      async () => relay.dataStarted,
      (n) => n > begun,
    );
    await app.app.close();
    // The shutdown returned only after the round recorded the relay's answer: nothing left `sending`.
    expect(await stateOf(second.body.id)).toEqual({
      status: 'pending',
      expiryReason: null,
      mailState: 'in_transit',
      attempts: 1,
    });
  }, 60_000);
});
