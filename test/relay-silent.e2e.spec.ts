import { ProvidersService } from '../src/mail-delivery/providers.service';
import { DispatcherService } from '../src/notifications/dispatcher.service';
import { citizen, createSlot } from './factories/scheduling.factory';
import { ScriptedSmtpServer } from './support/scripted-smtp';
import { http, restoreClockAfterEach, startTestApp, TestApp } from './support/test-app';

/**
 * A relay that announces DSN but never sends a report (reports to BOUNCE_DOMAIN go nowhere, or it
 * ignores NOTIFY). After enough acceptances with no report at all, it counts as silent: the
 * transit rule covers its mail too, and the relay view says why.
 */
describe('a relay that announces DSN and never reports', () => {
  const relay = new ScriptedSmtpServer();
  let app: TestApp;
  restoreClockAfterEach(() => app?.clock);

  beforeAll(async () => {
    app = await startTestApp({ env: { SMTP_URL: await relay.start(), RELAY_TRANSIT_MINUTES: '30' } });
  });
  afterAll(async () => {
    await app.close();
    await relay.stop();
  });

  const states = async () =>
    (await app.db.query(`SELECT state, delivery_evidence, count(*)::int AS n FROM outbox_messages GROUP BY 1, 2 ORDER BY 1`))
      .rows;

  it('twelve mails in transit an hour, not one report: silent; the transit rule counts them delivered', async () => {
    const { slotId } = await createSlot(app.db, { capacity: 20, startsAt: '2026-06-08T08:00:00Z' });
    for (let i = 0; i < 12; i++)
      expect((await http(app, 'POST', '/api/v1/bookings', { body: { slotId, ...citizen() } })).status).toBe(201);
    const dispatcher = app.app.get(DispatcherService);
    await dispatcher.dispatchOnce();
    expect(await states()).toEqual([{ state: 'in_transit', delivery_evidence: null, n: 12 }]);
    const providers = app.app.get(ProvidersService);
    expect(await providers.relayStatus()).toMatchObject({ reports: 'unknown', transitRuleForAll: false, ehlo: { dsn: true } });

    // 40 minutes: past RELAY_TRANSIT_MINUTES, but a reporting relay may still report; nothing moves.
    app.clock.advance({ minutes: 40 });
    await dispatcher.dispatchOnce();
    expect(await states()).toEqual([{ state: 'in_transit', delivery_evidence: null, n: 12 }]);

    // 61 minutes, still not one report: the relay is silent.
    app.clock.advance({ minutes: 21 });
    await dispatcher.dispatchOnce();
    expect(await states()).toEqual([{ state: 'accepted', delivery_evidence: 'transit_rule', n: 12 }]);
    const status = await providers.relayStatus();
    expect(status).toMatchObject({
      reports: 'silent',
      transitRuleForAll: true,
      counts: { accepted: 12, withoutDsn: 0, dueForReport: 12, unreported: 12, dueForReportWeek: 12, reportsLastWeek: 0 },
    });
    expect(status.warnings.join(' ')).toMatch(
      /None of 12 relay acceptances of the last 7 days older than 60 minutes got a report/,
    );
    // Counted delivered when the rule found the relay silent (61 minutes after the 250, later than
    // RELAY_TRANSIT_MINUTES): the citizen's window runs a full hour from then, not from minute 30.
    const { rows } = await app.db.query(
      `SELECT DISTINCT o.delivered_at - o.accepted_at AS transit, b.hold_until - o.delivered_at AS "window"
         FROM outbox_messages o JOIN bookings b ON b.id = o.booking_id`,
    );
    expect(rows.map((r) => [r.transit.hours ?? 0, r.transit.minutes ?? 0, r.window.hours ?? 0, r.window.minutes ?? 0])).toEqual([
      [1, 1, 1, 0],
    ]);
  });
});
