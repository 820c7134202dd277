import { createApp, RunningApp } from '../src/app.factory';
import { ReminderService } from '../src/bookings/reminder.service';
import { DispatcherService } from '../src/notifications/dispatcher.service';
import { citizen, createSlot } from './factories/scheduling.factory';
import { FakeSmsGateway } from './support/fake-sms-gateway';
import { confirmTokenOfQueued, http, restoreClockAfterEach, startTestApp, TestApp } from './support/test-app';

/**
 * Reminders REMINDER_HOURS (24) before a confirmed appointment, by mail and by SMS with a phone:
 * exactly one per booking and channel with two instances queueing at the same moment; none for a
 * booking made inside the 24 hours, a cancelled one or one never confirmed.
 */
describe('reminders before the appointment', () => {
  const sms = new FakeSmsGateway();
  let app: TestApp;
  let second: RunningApp;
  restoreClockAfterEach(() => app?.clock);

  beforeAll(async () => {
    app = await startTestApp({
      clockStart: '2026-06-01T08:00:00Z',
      env: { SMS_GATEWAY_URL: await sms.start(), SMS_GATEWAY_TOKEN: 'gateway-token', REMINDER_HOURS: '24' },
    });
    second = await createApp(app.config, { clock: app.clock, databaseUrl: app.databaseUrl, logger: false });
  });
  afterAll(async () => {
    await second?.close();
    await app?.close();
    await sms.stop();
  });

  const book = async (slotId: string, phone?: string) => {
    const who = citizen(phone ? { phone } : {});
    const res = await http(app, 'POST', '/api/v1/bookings', { body: { slotId, ...who } });
    expect(res.status).toBe(201);
    return { ...res.body, email: who.email } as { id: string; statusToken: string; email: string };
  };
  const confirm = async (id: string) => {
    const res = await http(app, 'POST', '/api/v1/confirmations', { body: { token: await confirmTokenOfQueued(app, id) } });
    expect(res.body.status).toBe('confirmed');
  };
  const reminders = async (id: string) =>
    (
      await app.db.query(`SELECT kind FROM outbox_messages WHERE booking_id = $1 AND kind LIKE '%reminder' ORDER BY kind`, [id])
    ).rows.map((r) => r.kind);

  it('one mail and one SMS per confirmed booking, with two instances at once; none inside the window, cancelled or unconfirmed', async () => {
    const { slotId } = await createSlot(app.db, { capacity: 10, startsAt: '2026-06-04T08:00:00Z' });
    const withPhone = await book(slotId, '+49 151 7777777');
    const mailOnly = await book(slotId);
    const cancelled = await book(slotId);
    const unconfirmed = await book(slotId);
    for (const b of [withPhone, mailOnly, cancelled]) await confirm(b.id);
    const cancel = await http(app, 'POST', `/api/v1/bookings/${cancelled.id}/cancel`, {
      headers: { 'x-booking-token': cancelled.statusToken },
    });
    expect(cancel.body.status).toBe('cancelled');
    // Two days later, the evening before (23 h ahead): a booking made now is inside the window.
    app.clock.set('2026-06-03T09:00:00Z');
    const late = await book(slotId);
    await confirm(late.id);

    const a = app.app.get(ReminderService);
    const b = second.app.get(ReminderService);
    const written = await Promise.all([a.queueDue(), b.queueDue(), a.queueDue(), b.queueDue()]);
    expect(written.reduce((x, y) => x + y, 0)).toBe(2);
    expect(await reminders(withPhone.id)).toEqual(['booking_reminder', 'sms_reminder']);
    expect(await reminders(mailOnly.id)).toEqual(['booking_reminder']);
    for (const none of [cancelled, unconfirmed, late]) expect(await reminders(none.id)).toEqual([]);

    await app.app.get(DispatcherService).dispatchOnce();
    const mail = app.catcher!.list().find((m) => m.to.includes(withPhone.email) && m.subject.startsWith('Erinnerung'))!;
    expect(mail.subject).toBe(
      `Erinnerung: Ihr Termin am 04.06.2026, 10:00 Uhr (${(await http(app, 'GET', `/api/v1/bookings/${withPhone.id}`, { headers: { 'x-booking-token': withPhone.statusToken } })).body.reference})`,
    );
    expect(mail.links.some((l) => l.includes(`/buchung/${withPhone.id}/absagen?token=${withPhone.statusToken}`))).toBe(true);
    const text = sms.received.find((m) => m.to === '+491517777777')!.text;
    expect(text).toContain('Erinnerung');
    expect(text).not.toContain('[[secret:');
    // Later rounds add nothing.
    expect(await a.queueDue()).toBe(0);
  });
});
