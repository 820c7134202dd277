import { DispatcherService } from '../src/notifications/dispatcher.service';
import { SchedulingService } from '../src/scheduling/scheduling.service';
import { slotOf } from './factories/scheduling.factory';
import {
  bookThroughApi,
  confirmTokenOfQueued,
  http,
  restoreClockAfterEach,
  staffToken,
  startTestApp,
  TestApp,
} from './support/test-app';

/**
 * Another time for the same service: the citizen with the status token, or a clerk for a citizen
 * on the phone (with a reason). The new place is taken before the old one is given back, in one
 * transaction; a confirmed booking stays confirmed and its calendar entry moves (same UID, a
 * higher SEQUENCE); the rules refuse a move too close to the appointment or to another service.
 */
describe('rescheduling', () => {
  let app: TestApp;
  let clerk: string;
  restoreClockAfterEach(() => app?.clock);
  beforeAll(async () => {
    app = await startTestApp({ clockStart: '2026-06-01T04:00:00Z' }); // Monday 06:00 in Berlin
    clerk = await staffToken(app, 'clerk');
  }, 60_000);
  afterAll(() => app?.close());

  let services: Record<string, string> = {};
  async function office(counters = 1) {
    const tag = Math.random().toString(36).slice(2, 8);
    const {
      rows: [location],
    } = await app.db.query(
      `INSERT INTO locations (name, address, time_zone) VALUES ($1, 'Ring 1', 'Europe/Berlin') RETURNING id`,
      [`Bürgeramt Verlegt ${tag}`],
    );
    await app.db.query(
      `INSERT INTO opening_hours (location_id, weekday, opens, closes, counters) SELECT $1, d, '08:00', '12:00', $2 FROM generate_series(1, 7) d`,
      [location.id, counters],
    );
    if (!services.pass) {
      for (const [key, minutes] of [
        ['pass', 20],
        ['meldung', 10],
      ] as const)
        services[key] = (
          await app.db.query(`INSERT INTO services (name, duration_minutes) VALUES ($1, $2) RETURNING id`, [
            `${key} ${tag}`,
            minutes,
          ])
        ).rows[0].id;
    }
    await app.app.get(SchedulingService).generateForLocation(location.id, 3);
    return location.id as string;
  }
  const slot = (locationId: string, service: string, startsAt: string) => slotOf(app.db, locationId, services[service], startsAt);
  const book = (slotId: string) => bookThroughApi(app, slotId);
  const move = (b: { id: string; statusToken: string }, slotId: string) =>
    http(app, 'POST', `/api/v1/bookings/${b.id}/reschedule`, { body: { slotId }, headers: { 'x-booking-token': b.statusToken } });
  const reserved = async (locationId: string) =>
    (
      await app.db.query(
        `SELECT to_char(starts_at AT TIME ZONE 'Europe/Berlin', 'HH24:MI') AS at FROM counter_units WHERE location_id = $1 AND reserved > 0 ORDER BY starts_at`,
        [locationId],
      )
    ).rows.map((r: { at: string }) => r.at);

  it('a confirmed booking moves and stays confirmed; its calendar entry moves (same UID, SEQUENCE 1, then 2 on cancel)', async () => {
    const mitte = await office();
    const booking = await book(await slot(mitte, 'pass', '2026-06-02T06:00:00Z')); // Tue 08:00
    expect(
      (await http(app, 'POST', '/api/v1/confirmations', { body: { token: await confirmTokenOfQueued(app, booking.id) } })).status,
    ).toBe(200);
    expect(await reserved(mitte)).toEqual(['08:00', '08:10']);
    const moved = await move(booking, await slot(mitte, 'pass', '2026-06-02T08:00:00Z')); // Tue 10:00
    expect(moved.status).toBe(200);
    expect(moved.body.status).toBe('confirmed');
    expect(moved.body.slot.startsAt).toBe('2026-06-02T10:00:00+02:00');
    expect(await reserved(mitte)).toEqual(['10:00', '10:10']);
    await app.app.get(DispatcherService).dispatchOnce();
    const mails = app.catcher!.list().filter((m) => m.to.includes(booking.email));
    const confirmed = mails.find((m) => m.subject.startsWith('Ihr Termin ist bestätigt'))!;
    const movedMail = mails.find((m) => m.subject.startsWith('Ihr Termin wurde verlegt'))!;
    expect(movedMail.subject).toContain('02.06.2026, 10:00 Uhr');
    const uid = /UID:(.+)/.exec(confirmed.attachments[0].content)![1].trim();
    expect(movedMail.attachments[0].content).toContain(`UID:${uid}`);
    expect(movedMail.attachments[0].content).toContain('SEQUENCE:1');
    expect(movedMail.attachments[0].content).toContain('METHOD:REQUEST');
    const cancelled = await http(app, 'POST', `/api/v1/bookings/${booking.id}/cancel`, {
      headers: { 'x-booking-token': booking.statusToken },
    });
    expect(cancelled.status).toBe(200);
    await app.app.get(DispatcherService).dispatchOnce();
    const cancelMail = app
      .catcher!.list()
      .find((m) => m.to.includes(booking.email) && m.subject.startsWith('Ihr Termin ist abgesagt'))!;
    expect(cancelMail.attachments[0].content).toContain('SEQUENCE:2');
    expect(await reserved(mitte)).toEqual([]);
  });

  it('to another office with the same service; a pending booking keeps its hold, never past the new start', async () => {
    const [from, to] = [await office(), await office()];
    const booking = await book(await slot(from, 'pass', '2026-06-01T09:00:00Z')); // Mon 11:00
    const moved = await move(booking, await slot(to, 'pass', '2026-06-01T06:20:00Z')); // Mon 08:20, in 2 h 20 min
    expect(moved.status).toBe(200);
    expect(moved.body.status).toBe('pending');
    const row = (await app.db.query(`SELECT location_id, hold_until FROM bookings WHERE id = $1`, [booking.id])).rows[0];
    expect(row.location_id).toBe(to);
    expect(row.hold_until.getTime()).toBeLessThanOrEqual(Date.parse('2026-06-01T06:20:00Z'));
    expect([await reserved(from), await reserved(to)]).toEqual([[], ['08:20', '08:30']]);
  });

  it('refused: another service, a full slot (nothing changes), too close to the appointment, a cancelled booking, a wrong token', async () => {
    const mitte = await office();
    const booking = await book(await slot(mitte, 'pass', '2026-06-01T08:00:00Z')); // Mon 10:00
    const other = await move(booking, await slot(mitte, 'meldung', '2026-06-01T09:00:00Z'));
    expect([other.status, other.body.error.code, other.body.error.details.reason]).toEqual([
      409,
      'RESCHEDULE_NOT_ALLOWED',
      'other_service',
    ]);
    await book(await slot(mitte, 'pass', '2026-06-01T09:00:00Z')); // 11:00 taken: one counter
    const full = await move(booking, await slot(mitte, 'pass', '2026-06-01T09:00:00Z'));
    expect([full.status, full.body.error.code]).toEqual([409, 'SLOT_FULL']);
    expect(await reserved(mitte)).toEqual(['10:00', '10:10', '11:00', '11:10']);
    const wrong = await http(app, 'POST', `/api/v1/bookings/${booking.id}/reschedule`, {
      body: { slotId: await slot(mitte, 'pass', '2026-06-01T09:40:00Z') },
      headers: { 'x-booking-token': 'x'.repeat(43) },
    });
    expect(wrong.status).toBe(401);
    app.clock.set('2026-06-01T06:30:00Z'); // 08:30: the appointment at 10:00 is 1 h 30 min away
    const late = await move(booking, await slot(mitte, 'pass', '2026-06-01T09:40:00Z'));
    expect(late.body.error.details.reason).toBe('too_late');
    app.clock.set('2026-06-01T04:00:00Z');
    await http(app, 'POST', `/api/v1/bookings/${booking.id}/cancel`, { headers: { 'x-booking-token': booking.statusToken } });
    const gone = await move(booking, await slot(mitte, 'pass', '2026-06-01T09:40:00Z'));
    expect(gone.body.error.details.reason).toBe('not_active');
  });

  it('a clerk moves a booking for a citizen on the phone, with a reason, audited', async () => {
    const mitte = await office(2);
    const booking = await book(await slot(mitte, 'meldung', '2026-06-02T07:00:00Z'));
    const target = await slot(mitte, 'meldung', '2026-06-02T09:30:00Z');
    const noReason = await http(app, 'POST', `/api/v1/review/bookings/${booking.id}/reschedule`, {
      body: { slotId: target },
      headers: { authorization: `Bearer ${clerk}` },
    });
    expect(noReason.status).toBe(400);
    const moved = await http(app, 'POST', `/api/v1/review/bookings/${booking.id}/reschedule`, {
      body: { slotId: target, reason: 'Bürger rief an, kann erst um halb zwölf' },
      headers: { authorization: `Bearer ${clerk}` },
    });
    expect(moved.status).toBe(200);
    const audit = await app.db.query(
      `SELECT actor_label, reason FROM audit_entries WHERE booking_id = $1 AND action = 'booking.rescheduled'`,
      [booking.id],
    );
    expect(audit.rows).toEqual([
      { actor_label: expect.stringContaining('clerk'), reason: 'Bürger rief an, kann erst um halb zwölf' },
    ]);
    expect(await reserved(mitte)).toEqual(['11:30']);
  });
});
