import { ExpirySweeperService } from '../src/bookings/expiry-sweeper.service';
import { DispatcherService } from '../src/notifications/dispatcher.service';
import { SchedulingService } from '../src/scheduling/scheduling.service';
import { citizen, slotOf } from './factories/scheduling.factory';
import { ConsoleClient, signedIn } from './support/console';
import { GMX_IP_BLOCK } from './support/provider-replies';
import { ScriptedSmtpServer } from './support/scripted-smtp';
import { confirmTokenOfQueued, http, restoreClockAfterEach, startTestApp, TestApp } from './support/test-app';

/**
 * The clerks' pages over real HTTP, real SMTP and a real database: the review queue (filters,
 * counts, oldest first), a booking's page with its history, actions that need a reason, the day
 * list with check-in, no-show and a walk-in, the search, and a clerk bound to one office.
 */
describe('console: clerk pages', () => {
  const relay = new ScriptedSmtpServer();
  let app: TestApp;
  let clerk: ConsoleClient;
  const office: Record<'mitte' | 'nord', string> = {} as never;
  let serviceId: string;
  const lapsed: Array<{ id: string; reference: string; email: string }> = [];
  restoreClockAfterEach(() => app?.clock);

  const book = async (locationId: string, startsAt: string, domain = 'example.org') => {
    const who = citizen();
    const email = who.email.replace('example.org', domain);
    const slotId = await slotOf(app.db, locationId, serviceId, startsAt);
    const res = await http(app, 'POST', '/api/v1/bookings', { body: { slotId, name: who.name, email } });
    expect(res.status).toBe(201);
    return { id: res.body.id as string, reference: res.body.reference as string, email, name: who.name };
  };

  beforeAll(async () => {
    const smtpUrl = await relay.start();
    relay.rcptReplies.set('gmx.de', GMX_IP_BLOCK);
    // Monday 1 June 2026, 06:00 in Berlin.
    app = await startTestApp({ env: { SMTP_URL: smtpUrl }, clockStart: '2026-06-01T04:00:00Z' });
    serviceId = (await app.db.query(`INSERT INTO services (name, duration_minutes) VALUES ('Konsole 20', 20) RETURNING id`))
      .rows[0].id;
    for (const name of ['mitte', 'nord'] as const) {
      office[name] = (
        await app.db.query(
          `INSERT INTO locations (name, address, time_zone) VALUES ($1, 'Platz 1', 'Europe/Berlin') RETURNING id`,
          [`Bürgeramt Konsole ${name}`],
        )
      ).rows[0].id;
      await app.db.query(
        `INSERT INTO opening_hours (location_id, weekday, opens, closes, counters) SELECT $1, d, '08:00', '12:00', 2 FROM generate_series(1, 7) d`,
        [office[name]],
      );
      await app.app.get(SchedulingService).generateForLocation(office[name], 8);
    }
    // Two bookings whose mail GMX refuses: held, and lapsed after the hold's 72 hours.
    lapsed.push(await book(office.mitte, '2026-06-05T08:00:00Z', 'gmx.de'));
    app.clock.advance({ minutes: 1 });
    lapsed.push(await book(office.nord, '2026-06-05T08:00:00Z', 'gmx.de'));
    await app.app.get(DispatcherService).dispatchOnce();
    app.clock.set('2026-06-04T04:01:00Z');
    await app.app.get(ExpirySweeperService).sweep();
    clerk = (await signedIn(app, 'clerk')).client;
  }, 90_000);
  afterAll(async () => {
    await app?.close();
    await relay.stop();
  });

  it('the review queue: both lapsed bookings oldest first, the count per reason, filters by office and family', async () => {
    const page = await clerk.get('/verwaltung/pruefung');
    expect(page.status).toBe(200);
    expect(page.text).toContain('Verfallen (E-Mail nicht zugestellt): 2');
    const first = page.text.indexOf(lapsed[0].reference);
    const second = page.text.indexOf(lapsed[1].reference);
    expect(first).toBeGreaterThan(0);
    expect(second).toBeGreaterThan(first);
    expect(page.text).toContain('blockiert gerade E-Mails der Stadt');
    const nord = await clerk.get(`/verwaltung/pruefung?locationId=${office.nord}`);
    expect(nord.text).not.toContain(lapsed[0].reference);
    expect(nord.text).toContain(lapsed[1].reference);
    const other = await clerk.get('/verwaltung/pruefung?family=google');
    expect(other.text).not.toContain(lapsed[0].reference);
    expect(other.text).toContain('Verfallen (E-Mail nicht zugestellt): 0');
  });

  it("a booking's page shows every attempt with the reply in words and verbatim, and the audit trail", async () => {
    const page = await clerk.get(`/verwaltung/buchungen/${lapsed[0].id}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain(lapsed[0].reference);
    expect(page.text).toContain(lapsed[0].email);
    expect(page.text).toContain('554'); // the raw reply
    expect(page.text).toContain('blockiert gerade E-Mails der Stadt'); // the category in words
    expect(page.text).toContain('Wiederherstellen');
    expect(page.text).not.toContain('statusToken');
  });

  it('an action without a reason comes back with the error named and changes nothing; with one it reinstates, audited', async () => {
    const [target] = lapsed;
    const refused = await clerk.submit(`/verwaltung/buchungen/${target.id}/wiederherstellen`, { reason: '', slotId: '' });
    expect(refused.status).toBe(422);
    expect(refused.text).toContain('Pflichtfeld, mindestens 3 Zeichen');
    expect(refused.text).toMatch(/<details class="console-action" open>/);
    expect((await app.db.query(`SELECT status FROM bookings WHERE id = $1`, [target.id])).rows[0].status).toBe('expired');

    const done = await clerk.submit(`/verwaltung/buchungen/${target.id}/wiederherstellen`, {
      reason: 'Bürgerin hat angerufen, GMX-Sperre',
      slotId: '',
    });
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe(`/verwaltung/buchungen/${target.id}?erledigt=wiederherstellen`);
    expect((await app.db.query(`SELECT status FROM bookings WHERE id = $1`, [target.id])).rows[0].status).toBe('pending');
    const { rows } = await app.db.query(
      `SELECT action, reason FROM audit_entries WHERE booking_id = $1 AND action LIKE 'review.%'`,
      [target.id],
    );
    expect(rows).toEqual([{ action: 'review.reinstate', reason: 'Bürgerin hat angerufen, GMX-Sperre' }]);
    const page = await clerk.get(done.headers.get('location')!);
    expect(page.text).toContain('Erledigt.');
    expect(page.text).toContain('Bürgerin hat angerufen, GMX-Sperre');
  });

  it('finds a booking by reference (as read out), e-mail address and part of the name', async () => {
    const b = await book(office.mitte, '2026-06-08T07:00:00Z');
    const spoken = b.reference.toLowerCase().replace(/-/g, ' ');
    for (const q of [spoken, b.email.toUpperCase(), b.name.slice(0, 12)]) {
      const res = await clerk.get(`/verwaltung/suche?q=${encodeURIComponent(q)}`);
      expect(res.status).toBe(200);
      expect(res.text).toContain(`/verwaltung/buchungen/${b.id}`);
    }
    const none = await clerk.get('/verwaltung/suche?q=%25%25');
    expect(none.text).toContain('0 Treffer');
  });

  it('an error code in the address that names no known error shows the general one, never a 500', async () => {
    for (const code of ['constructor', '__proto__', 'toString']) {
      const res = await clerk.get(`/verwaltung/tag?fehler=${code}`);
      expect(res.status).toBe(200);
    }
  });

  it('the day list: check-in and served, a no-show only after the end plus the grace time, a walk-in without mail', async () => {
    app.clock.set('2026-06-08T04:00:00Z'); // Monday 06:00
    // Days later: the console session of the other tests has ended, a new sign-in.
    let { client: clerk } = await signedIn(app, 'clerk');
    const came = await book(office.mitte, '2026-06-08T06:00:00Z');
    const stayedAway = await book(office.mitte, '2026-06-08T06:20:00Z');
    for (const b of [came, stayedAway])
      expect(
        (await http(app, 'POST', '/api/v1/confirmations', { body: { token: await confirmTokenOfQueued(app, b.id) } })).status,
      ).toBe(200);
    const day = await clerk.get(`/verwaltung/tag?locationId=${office.mitte}&date=2026-06-08`);
    expect(day.status).toBe(200);
    expect(day.text.indexOf(came.reference)).toBeLessThan(day.text.indexOf(stayedAway.reference));
    expect(day.text).toContain('08:00');

    const back = { locationId: office.mitte, date: '2026-06-08' };
    const tokenFrom = `/verwaltung/tag?locationId=${office.mitte}&date=2026-06-08`;
    app.clock.set('2026-06-08T06:05:00Z');
    ({ client: clerk } = await signedIn(app, 'clerk'));
    expect(
      (await clerk.submit('/verwaltung/tag/anwesenheit', { ...back, bookingId: came.id, state: 'arrived' }, tokenFrom)).status,
    ).toBe(303);
    expect(
      (await clerk.submit('/verwaltung/tag/anwesenheit', { ...back, bookingId: came.id, state: 'served' }, tokenFrom)).status,
    ).toBe(303);
    const early = await clerk.submit(
      '/verwaltung/tag/anwesenheit',
      { ...back, bookingId: stayedAway.id, state: 'no_show' },
      tokenFrom,
    );
    expect(early.headers.get('location')).toContain('fehler=ATTENDANCE_NOT_ALLOWED');
    expect((await clerk.get(early.headers.get('location')!)).text).toContain('nach dem Termin und einer Wartezeit');
    app.clock.set('2026-06-08T06:56:00Z'); // 08:40 slot end + 15 minutes, and a minute
    ({ client: clerk } = await signedIn(app, 'clerk'));
    expect(
      (await clerk.submit('/verwaltung/tag/anwesenheit', { ...back, bookingId: stayedAway.id, state: 'no_show' }, tokenFrom))
        .status,
    ).toBe(303);
    const { rows } = await app.db.query(`SELECT id, attendance FROM bookings WHERE id = ANY($1) ORDER BY attendance`, [
      [came.id, stayedAway.id],
    ]);
    expect(Object.fromEntries(rows.map((r) => [r.id, r.attendance]))).toEqual({
      [came.id]: 'served',
      [stayedAway.id]: 'no_show',
    });

    const walkInPage = await clerk.get(`/verwaltung/tag?locationId=${office.mitte}&date=2026-06-08&serviceId=${serviceId}`);
    const slotId = /name="slotId"[^>]*>\s*<option value="([0-9a-f-]{36})"/.exec(walkInPage.text)?.[1];
    expect(slotId).toBeDefined();
    const mailsBefore = (await app.db.query(`SELECT count(*)::int AS n FROM outbox_messages`)).rows[0].n;
    const walkIn = await clerk.submit('/verwaltung/tag/spontan', { ...back, slotId: slotId!, name: 'Max Spontan' }, tokenFrom);
    expect(walkIn.status).toBe(303);
    const id = /buchungen\/([0-9a-f-]{36})/.exec(walkIn.headers.get('location')!)![1];
    expect((await app.db.query(`SELECT status, walk_in, attendance FROM bookings WHERE id = $1`, [id])).rows[0]).toEqual({
      status: 'confirmed',
      walk_in: true,
      attendance: 'arrived',
    });
    expect((await app.db.query(`SELECT count(*)::int AS n FROM outbox_messages`)).rows[0].n).toBe(mailsBefore);
  });

  it('a clerk bound to Nord sees only Nord: queue, search, day list and booking page', async () => {
    const { client: bound } = await signedIn(app, 'clerk', { locationIds: [office.nord] });
    const queue = await bound.get('/verwaltung/pruefung');
    expect(queue.text).not.toContain(lapsed[0].reference);
    expect(queue.text).toContain(lapsed[1].reference);
    const found = await bound.get(`/verwaltung/suche?q=${lapsed[0].reference}`);
    expect(found.text).toContain('0 Treffer');
    const page = await bound.get(`/verwaltung/buchungen/${lapsed[0].id}`);
    expect(page.status).toBe(403);
    const day = await bound.get(`/verwaltung/tag?locationId=${office.mitte}`);
    expect(day.status).toBe(403);
    const own = await bound.get('/verwaltung/tag');
    expect(own.text).toContain('Bürgeramt Konsole nord');
    expect(own.text).not.toContain('Bürgeramt Konsole mitte');
  });

  it('extend, confirm by phone, reschedule to another office and cancel, each with its reason in the trail', async () => {
    app.clock.set('2026-06-06T04:00:00Z');
    const { client } = await signedIn(app, 'clerk');
    const b = await book(office.mitte, '2026-06-08T09:00:00Z'); // 11:00
    const page = `/verwaltung/buchungen/${b.id}`;
    const extended = await client.submit(
      `${page}/verlaengern`,
      { until: '2026-06-08T08:00', reason: 'Mail kommt nicht an' },
      page,
    );
    expect(extended.status).toBe(303);
    expect(
      (await app.db.query(`SELECT goodwill_until FROM bookings WHERE id = $1`, [b.id])).rows[0].goodwill_until.toISOString(),
    ).toBe('2026-06-08T06:00:00.000Z');
    const tooLate = await client.submit(`${page}/verlaengern`, { until: '2026-06-08T10:30', reason: 'zu spät' }, page);
    expect(tooLate.status).toBe(422);
    expect(tooLate.text).toContain('value="2026-06-08T10:30"');
    expect((await client.submit(`${page}/bestaetigen`, { reason: 'Buchungsnummer am Telefon genannt' }, page)).status).toBe(303);
    expect((await app.db.query(`SELECT status FROM bookings WHERE id = $1`, [b.id])).rows[0].status).toBe('confirmed');

    const withOptions = await client.get(page);
    expect(withOptions.text).toContain('Bürgeramt Konsole nord: ');
    const nordSlot = await slotOf(app.db, office.nord, serviceId, '2026-06-08T09:20:00Z');
    const moved = await client.submit(`${page}/verlegen`, { slotId: nordSlot, reason: 'Bürgerin wohnt näher an Nord' }, page);
    expect(moved.status).toBe(303);
    expect((await app.db.query(`SELECT location_id, slot_id, status FROM bookings WHERE id = $1`, [b.id])).rows[0]).toEqual({
      location_id: office.nord,
      slot_id: nordSlot,
      status: 'confirmed',
    });
    expect((await client.submit(`${page}/absagen`, { reason: 'Bürgerin hat abgesagt' }, page)).status).toBe(303);
    expect((await app.db.query(`SELECT status FROM bookings WHERE id = $1`, [b.id])).rows[0].status).toBe('cancelled');
    const trail = await app.db.query(
      `SELECT action, reason FROM audit_entries WHERE booking_id = $1 AND reason IS NOT NULL ORDER BY id`,
      [b.id],
    );
    expect(trail.rows.filter((r) => !r.action.endsWith('.refused'))).toEqual([
      { action: 'review.extend', reason: 'Mail kommt nicht an' },
      { action: 'review.confirm', reason: 'Buchungsnummer am Telefon genannt' },
      expect.objectContaining({ reason: 'Bürgerin wohnt näher an Nord' }),
      { action: 'review.cancel', reason: 'Bürgerin hat abgesagt' },
    ]);
  });

  it("a combined appointment's page names every service and the end with their minutes", async () => {
    app.clock.set('2026-06-06T04:00:00Z');
    const { client } = await signedIn(app, 'clerk');
    const extra = (await app.db.query(`INSERT INTO services (name, duration_minutes) VALUES ('Konsole Zusatz', 10) RETURNING id`))
      .rows[0].id;
    await app.app.get(SchedulingService).generateForLocation(office.mitte, 8);
    const who = citizen();
    const slotId = await slotOf(app.db, office.mitte, serviceId, '2026-06-08T08:00:00Z'); // 10:00–10:20
    const res = await http(app, 'POST', '/api/v1/bookings', {
      body: { slotId, name: who.name, email: who.email, additionalServiceIds: [extra] },
    });
    expect(res.status).toBe(201);
    const page = await client.get(`/verwaltung/buchungen/${res.body.id}`);
    expect(page.text).toContain('Konsole 20 + Konsole Zusatz');
    expect(page.text).toContain('08.06.2026 10:00 – 10:30');
  });
});
