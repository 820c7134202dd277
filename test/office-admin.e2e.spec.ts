import { OfficeAdminService } from '../src/offices/office-admin.service';
import { citizen } from './factories/scheduling.factory';
import { http, restoreClockAfterEach, staffToken, startTestApp, TestApp } from './support/test-app';

/**
 * Offices as a city sets them up, through the admin API: offices, services, the offering (office ×
 * service), weekly hours with counters per period and a valid-from date. Future units and slots
 * follow every change without touching what is reserved; a change that takes counters from
 * bookings is never applied silently. A booking may combine up to three services on one counter.
 */
describe('office administration and combined appointments', () => {
  let app: TestApp;
  let admin: string;
  let clerk: string;
  restoreClockAfterEach(() => app?.clock);
  beforeAll(async () => {
    app = await startTestApp({ clockStart: '2026-06-01T04:00:00Z' }); // Monday 06:00 in Berlin
    admin = await staffToken(app, 'admin');
    clerk = await staffToken(app, 'clerk');
  }, 60_000);
  afterAll(() => app?.close());

  const as = (token: string) => ({ authorization: `Bearer ${token}` });
  const api = (method: string, path: string, body?: unknown, token = admin) =>
    http(app, method, `/api/v1${path}`, { body, headers: as(token) });
  const tag = () => Math.random().toString(36).slice(2, 8);
  const count = async (table: string, where = 'true', params: unknown[] = []) =>
    (await app.db.query(`SELECT count(*)::int AS n FROM ${table} WHERE ${where}`, params)).rows[0].n as number;

  /** An office with the given hours valid from Monday 2026-06-01 and services of the given minutes. */
  async function office(periods: object[], services: Record<string, number>, extra: object = {}) {
    const t = tag();
    const created = await api('POST', '/admin/locations', {
      name: `Bürgeramt Verwaltung ${t}`,
      address: 'Rathausplatz 1',
      timeZone: 'Europe/Berlin',
      unitMinutes: 10,
      ...extra,
    });
    expect(created.status).toBe(201);
    const ids: Record<string, string> = {};
    for (const [name, minutes] of Object.entries(services)) {
      const s = await api('POST', '/admin/services', { name: `${name} ${t}`, durationMinutes: minutes, whatToBring: 'Ausweis' });
      expect(s.status).toBe(201);
      ids[name] = s.body.id;
    }
    const hours = await api('PUT', `/admin/locations/${created.body.id}/hours`, { validFrom: '2026-06-01', periods });
    expect(hours.status).toBe(200);
    return { id: created.body.id as string, services: ids };
  }
  const monday = (counters: number, opens = '08:00', closes = '12:00') => ({ weekday: 1, opens, closes, counters });
  const listed = async (locationId: string, serviceId: string, extra: string[] = [], day = '2026-06-01') => {
    const q = extra.map((id) => `&additionalServiceIds=${id}`).join('');
    const res = await http(
      app,
      'GET',
      `/api/v1/slots?locationId=${locationId}&serviceId=${serviceId}&from=${day}&to=${day}T23:59:00${q}`,
    );
    expect(res.status).toBe(200);
    return res.body as Array<{ id: string; startsAt: string; endsAt: string }>;
  };
  const slotAt = async (locationId: string, serviceId: string, startsAt: string) =>
    (
      await app.db.query(`SELECT id FROM slots WHERE location_id = $1 AND service_id = $2 AND starts_at = $3`, [
        locationId,
        serviceId,
        startsAt,
      ])
    ).rows[0]?.id as string;
  const book = (slotId: string, additionalServiceIds?: string[], who = citizen()) =>
    http(app, 'POST', '/api/v1/bookings', { body: { slotId, name: who.name, email: who.email, additionalServiceIds } });
  /** Per unit: counters, reserved, and the active bookings whose appointment (slot plus combined minutes) overlaps it. */
  const units = async (locationId: string) =>
    (
      await app.db.query(
        `SELECT u.starts_at, u.counters, u.reserved,
                (SELECT count(*)::int FROM bookings b JOIN slots s ON s.id = b.slot_id
                  WHERE b.status IN ('pending', 'confirmed') AND s.location_id = u.location_id
                    AND s.starts_at < u.ends_at AND s.ends_at + make_interval(mins => b.extra_minutes) > u.starts_at) AS overlapping
           FROM counter_units u WHERE u.location_id = $1 ORDER BY u.starts_at`,
        [locationId],
      )
    ).rows as Array<{ starts_at: Date; counters: number; reserved: number; overlapping: number }>;

  it('creates an office, a service and its offering; refuses bad input with a code and writes nothing', async () => {
    const before = await count('locations');
    const bad = [
      [{ name: 'X Amt', address: 'Weg 1', timeZone: 'Mars/Olympus' }, 400, 'VALIDATION_FAILED', 'timeZone'],
      [{ name: 'X Amt', address: 'Weg 1', timeZone: 'Europe/Berlin', unitMinutes: 3 }, 400, 'VALIDATION_FAILED', 'unitMinutes'],
      [
        { name: 'X Amt', address: 'Weg 1', timeZone: 'Europe/Berlin', holidayRegion: 'DE-XX' },
        400,
        'VALIDATION_FAILED',
        'holidayRegion',
      ],
      [{ name: 'X Amt', address: 'Weg 1', timeZone: 'Europe/Berlin', noShowLimit: -1 }, 400, 'VALIDATION_FAILED', 'noShowLimit'],
    ] as const;
    for (const [body, status, code, field] of bad) {
      const res = await api('POST', '/admin/locations', body);
      expect([res.status, res.body.error.code]).toEqual([status, code]);
      expect(JSON.stringify(res.body.error.details)).toContain(field);
    }
    const refused = await api('POST', '/admin/locations', { name: 'Y Amt', address: 'Weg 1', timeZone: 'Europe/Berlin' }, clerk);
    expect(refused.status).toBe(403);
    expect(await count('locations')).toBe(before);

    const { id, services } = await office([monday(2)], { Ausweis: 20 }, { contact: '030 115', publicNotice: 'Eingang Hof' });
    const again = await api('POST', '/admin/locations', {
      name: (await api('GET', `/admin/locations/${id}`)).body.name,
      address: 'Weg 2',
      timeZone: 'Europe/Berlin',
    });
    expect([again.status, again.body.error.code]).toEqual([409, 'LOCATION_NAME_TAKEN']);

    // The office's own terms: 30 minutes here instead of the default 20, up to two per appointment.
    const zero = await api('PUT', `/admin/locations/${id}/offerings/${services.Ausweis}`, {
      durationMinutes: 0,
      bookable: true,
      maxPerBooking: 1,
    });
    expect([zero.status, zero.body.error.code]).toEqual([400, 'VALIDATION_FAILED']);
    const offering = await api('PUT', `/admin/locations/${id}/offerings/${services.Ausweis}`, {
      durationMinutes: 30,
      bookable: true,
      maxPerBooking: 2,
    });
    expect(offering.status).toBe(200);
    expect(offering.body).toMatchObject({ durationMinutes: 30, maxPerBooking: 2, bookable: true, configured: true });
    const times = await listed(id, services.Ausweis);
    expect(times.length).toBeGreaterThan(0);
    expect(times.every((t) => Date.parse(t.endsAt) - Date.parse(t.startsAt) === 30 * 60_000)).toBe(true);
    // The last start is the one that still ends at closing.
    expect(times.at(-1)!.endsAt).toBe('2026-06-01T12:00:00+02:00');

    const detail = await api('GET', `/admin/locations/${id}`);
    expect(detail.body).toMatchObject({ contact: '030 115', publicNotice: 'Eingang Hof', unitMinutes: 10 });
    expect(detail.body.hours).toEqual([
      { validFrom: '2026-06-01', periods: [{ weekday: 1, opens: '08:00', closes: '12:00', counters: 2 }] },
    ]);

    const tzChange = await api('PATCH', `/admin/locations/${id}`, { timeZone: 'Europe/London' });
    expect([tzChange.status, tzChange.body.error.code]).toEqual([400, 'VALIDATION_FAILED']);
    const unitChange = await api('PATCH', `/admin/locations/${id}`, { unitMinutes: 5 });
    expect([unitChange.status, unitChange.body.error.code]).toEqual([409, 'UNIT_MINUTES_FIXED']);
    const renamed = await api('PATCH', `/admin/locations/${id}`, { publicNotice: null, noShowLimit: 2 });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ publicNotice: null, noShowLimit: 2 });
    expect(
      await count('audit_entries', `action IN ('location.created', 'location.updated', 'offering.set', 'location.hours_set')`),
    ).toBeGreaterThanOrEqual(4);
  });

  it('the citizens’ page lists only what the office offers, with its durations, what to bring, notice and contact', async () => {
    const { id, services } = await office(
      [monday(2)],
      { Ausweis: 20, Kfz: 30 },
      { contact: '030 115 Bürgertelefon', publicNotice: 'Eingang über den Hof' },
    );
    await api('PUT', `/admin/locations/${id}/offerings/${services.Ausweis}`, {
      durationMinutes: 40,
      bookable: true,
      maxPerBooking: 1,
    });
    await api('PUT', `/admin/locations/${id}/offerings/${services.Kfz}`, {
      durationMinutes: 30,
      bookable: false,
      maxPerBooking: 1,
    });
    const pageOf = await http(app, 'GET', `/termine?locationId=${id}`);
    expect(pageOf.status).toBe(200);
    expect(pageOf.text).toContain('Eingang über den Hof');
    expect(pageOf.text).toContain('030 115 Bürgertelefon');
    expect(pageOf.text).toContain('Bitte mitbringen: Ausweis');
    expect(pageOf.text).toContain('40 Minuten');
    expect(pageOf.text).not.toContain(services.Kfz);
    const notOffered = await http(app, 'GET', `/termine?locationId=${id}&serviceId=${services.Kfz}`);
    expect(notOffered.status).toBe(404);
  });

  it('the service itself refuses what the console’s forms could send past the API’s validation', async () => {
    const { id, services } = await office([monday(2)], { Ausweis: 20 });
    const admin = app.app.get(OfficeAdminService);
    const actor = { id: null, label: 'test' };
    const codeOf = (p: Promise<unknown>) =>
      p.then(
        () => 'ok',
        (e) => `${e.code}:${JSON.stringify(e.details)}`,
      );
    expect(
      await codeOf(admin.setOffering(id, services.Ausweis, { durationMinutes: NaN, bookable: true, maxPerBooking: 1 }, actor)),
    ).toContain('durationMinutes');
    expect(
      await codeOf(admin.setOffering(id, services.Ausweis, { durationMinutes: 20, bookable: true, maxPerBooking: 5 }, actor)),
    ).toContain('maxPerBooking');
    expect(await codeOf(admin.updateOffice(id, { noShowLimit: 101 }, actor))).toContain('noShowLimit');
    expect(await codeOf(admin.updateOffice(id, { publicNotice: 'x'.repeat(1001) }, actor))).toContain('publicNotice');
    expect(
      await codeOf(
        admin.createOffice({ name: 'Amt Sieben', address: 'Weg 7', timeZone: 'Europe/Berlin', unitMinutes: 7 }, actor),
      ),
    ).toContain('unitMinutes');
    expect(await codeOf(admin.updateService(services.Ausweis, { durationMinutes: 3 }, actor))).toContain('durationMinutes');
    const closure = await api('POST', `/admin/locations/${id}/closures`, {
      startsAt: '2026-02-30T10:00:00+01:00',
      endsAt: '2026-03-01T10:00:00+01:00',
      reason: 'Test',
    });
    expect(closure.status).toBe(400);
  });

  it('refuses bad hours with a code and leaves the hours as they were', async () => {
    const { id } = await office([monday(2)], { Ausweis: 20 });
    const cases = [
      [{ validFrom: '2026-06-01', periods: [monday(2, '08:00', '12:00'), monday(1, '11:00', '13:00')] }, 422, 'HOURS_OVERLAP'],
      [{ validFrom: '2026-06-01', periods: [monday(-1)] }, 400, 'VALIDATION_FAILED'],
      [{ validFrom: '2026-06-01', periods: [monday(0)] }, 400, 'VALIDATION_FAILED'],
      [{ validFrom: '2026-05-29', periods: [monday(2)] }, 400, 'VALIDATION_FAILED'],
      [{ validFrom: '2026-06-01', periods: [monday(2, '12:00', '08:00')] }, 400, 'VALIDATION_FAILED'],
      [
        { validFrom: '2026-06-01', periods: [{ weekday: 9, opens: '08:00', closes: '09:00', counters: 1 }] },
        400,
        'VALIDATION_FAILED',
      ],
    ] as const;
    for (const [body, status, code] of cases) {
      const res = await api('PUT', `/admin/locations/${id}/hours`, body);
      expect([res.status, res.body.error?.code]).toEqual([status, code]);
    }
    const unknown = await api('PUT', `/admin/locations/00000000-0000-4000-8000-000000000000/hours`, {
      validFrom: '2026-06-01',
      periods: [monday(1)],
    });
    expect([unknown.status, unknown.body.error.code]).toEqual([404, 'LOCATION_NOT_FOUND']);
    const hours = (await api('GET', `/admin/locations/${id}`)).body.hours;
    expect(hours).toEqual([{ validFrom: '2026-06-01', periods: [{ weekday: 1, opens: '08:00', closes: '12:00', counters: 2 }] }]);
  });

  it('fewer counters: the dry run names the bookings made last; applied it refuses, or cancels them with a notice', async () => {
    const { id, services } = await office([monday(3)], { Ausweis: 20 });
    const slot = await slotAt(id, services.Ausweis, '2026-06-01T06:00:00Z'); // 08:00
    const made: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await book(slot);
      expect(res.status).toBe(201);
      made.push(res.body.id);
      app.clock.advance({ seconds: 1 });
    }
    const fewer = { validFrom: '2026-06-01', periods: [monday(1)], reason: 'Personalmangel' };
    const dry = await api('PUT', `/admin/locations/${id}/hours`, { ...fewer, dryRun: true });
    expect(dry.status).toBe(200);
    expect(dry.body.dryRun).toBe(true);
    expect(dry.body.affected.map((b: { id: string }) => b.id).sort()).toEqual([made[1], made[2]].sort());
    // Nothing written by the dry run: the hours and the units are as before.
    expect((await units(id)).find((u) => u.starts_at.toISOString() === '2026-06-01T06:00:00.000Z')).toMatchObject({
      counters: 3,
      reserved: 3,
    });
    expect((await api('GET', `/admin/locations/${id}`)).body.hours[0].periods[0].counters).toBe(3);

    const refused = await api('PUT', `/admin/locations/${id}/hours`, fewer);
    expect([refused.status, refused.body.error.code]).toEqual([409, 'HOURS_HAVE_BOOKINGS']);
    expect(refused.body.error.details).toHaveLength(2);

    const applied = await api('PUT', `/admin/locations/${id}/hours`, { ...fewer, cancelBookings: true });
    expect(applied.status).toBe(200);
    expect(applied.body.affected).toHaveLength(2);
    const statuses = (await app.db.query(`SELECT id, status FROM bookings WHERE id = ANY($1) ORDER BY created_at`, [made])).rows;
    expect(statuses.map((r) => r.status)).toEqual(['pending', 'cancelled', 'cancelled']);
    expect(await count('outbox_messages', `kind = 'booking_closed' AND booking_id = ANY($1)`, [[made[1], made[2]]])).toBe(2);
    expect(
      await count('audit_entries', `action = 'booking.cancelled_for_capacity_change' AND booking_id = ANY($1)`, [made]),
    ).toBe(2);
    const after = await units(id);
    expect(after.every((u) => u.counters === 1 && u.reserved === u.overlapping && u.reserved <= 1)).toBe(true);
    // The 08:00 time is full now; 08:20 is free with one counter.
    const times = (await listed(id, services.Ausweis)).map((t) => t.startsAt);
    expect(times).not.toContain('2026-06-01T08:00:00+02:00');
    expect(times).toContain('2026-06-01T08:20:00+02:00');
  });

  it('fewer counters with offerNewTimes: the bookings left without a counter move to the next free times, or are cancelled when there is none', async () => {
    // Monday 08:00–09:00 with 3 counters; 20-minute Ausweis.
    const { id, services } = await office([monday(3, '08:00', '09:00')], { Ausweis: 20 });
    const made: string[] = [];
    for (const at of ['06:00', '06:00', '06:00', '06:40', '06:40']) {
      const res = await book(await slotAt(id, services.Ausweis, `2026-06-01T${at}:00Z`));
      expect(res.status).toBe(201);
      made.push(res.body.id);
      app.clock.advance({ seconds: 1 });
    }
    // One counter from now on: at 08:00 and 08:40 one stays; 08:20 has room for one of the others; the
    // 08:00 one made last finds nothing within a week (next Monday 08:00 is a week after); 08:40's does.
    const res = await api('PUT', `/admin/locations/${id}/hours`, {
      validFrom: '2026-06-01',
      periods: [monday(1, '08:00', '09:00')],
      reason: 'Zwei Kolleginnen krank',
      offerNewTimes: true,
    });
    expect([res.status, res.body.error]).toEqual([200, undefined]);
    const byId = new Map(res.body.affected.map((b: { id: string }) => [b.id, b]));
    expect([...byId.keys()].sort()).toEqual([made[1], made[2], made[4]].sort());
    expect(byId.get(made[1])).toMatchObject({ outcome: 'moved', movedTo: '2026-06-01T08:20:00+02:00' });
    expect(byId.get(made[2])).toMatchObject({ outcome: 'cancelled' });
    // 08:40's second one: the same time next Monday is within the week after it.
    expect(byId.get(made[4])).toMatchObject({ outcome: 'moved', movedTo: '2026-06-08T08:00:00+02:00' });
    const rows = (
      await app.db.query(
        `SELECT b.id, b.status, to_char(s.starts_at AT TIME ZONE 'Europe/Berlin', 'HH24:MI') AS at, b.ics_sequence
           FROM bookings b JOIN slots s ON s.id = b.slot_id WHERE b.id = ANY($1)`,
        [made],
      )
    ).rows;
    const row = (i: number) => rows.find((r) => r.id === made[i]);
    expect([row(0).status, row(0).at]).toEqual(['pending', '08:00']);
    expect([row(1).status, row(1).at, row(1).ics_sequence]).toEqual(['pending', '08:20', 1]);
    expect([row(2).status, row(3).status, row(4).status]).toEqual(['cancelled', 'pending', 'pending']);
    expect(await count('outbox_messages', `kind = 'booking_moved' AND booking_id = $1`, [made[1]])).toBe(1);
    expect(await count('outbox_messages', `kind = 'booking_closed' AND booking_id = ANY($1)`, [[made[2], made[4]]])).toBe(1);
    expect(await count('outbox_messages', `kind = 'booking_closed' AND booking_id = $1`, [made[1]])).toBe(0);
    expect(await count('audit_entries', `action = 'booking.moved_for_capacity_change' AND booking_id = $1`, [made[1]])).toBe(1);
    const after = await units(id);
    expect(after.filter((u) => u.reserved !== u.overlapping)).toEqual([]);
    expect(after.filter((u) => u.starts_at < new Date('2026-06-02T00:00:00Z')).map((u) => [u.counters, u.reserved])).toEqual([
      [1, 1],
      [1, 1],
      [1, 1],
      [1, 1],
      [1, 1],
      [1, 1],
    ]);
  });

  it('hours valid from a later date: days before keep theirs, days from it follow, reserved units untouched', async () => {
    // Every weekday 08–12 with 2 counters from 2026-06-01; from Monday 2026-06-08 only 13–15 with 1.
    const week = [1, 2, 3, 4, 5].map((weekday) => ({ weekday, opens: '08:00', closes: '12:00', counters: 2 }));
    const { id, services } = await office(week, { Ausweis: 20 });
    const booked = await book(await slotAt(id, services.Ausweis, '2026-06-02T06:00:00Z')); // Tue 08:00
    expect(booked.status).toBe(201);
    const later = await api('PUT', `/admin/locations/${id}/hours`, {
      validFrom: '2026-06-08',
      periods: [1, 2, 3, 4, 5].map((weekday) => ({ weekday, opens: '13:00', closes: '15:00', counters: 1 })),
    });
    expect(later.status).toBe(200);
    expect(later.body.affected).toEqual([]);
    const tuesday = await listed(id, services.Ausweis, [], '2026-06-02');
    expect(tuesday[0].startsAt).toBe('2026-06-02T08:00:00+02:00');
    const nextMonday = await listed(id, services.Ausweis, [], '2026-06-08');
    expect(nextMonday[0].startsAt).toBe('2026-06-08T13:00:00+02:00');
    expect(nextMonday.at(-1)!.endsAt).toBe('2026-06-08T15:00:00+02:00');
    const all = await units(id);
    expect(all.filter((u) => u.reserved !== u.overlapping)).toEqual([]);
    const morningOf8th = all.filter(
      (u) => u.starts_at >= new Date('2026-06-08T06:00:00Z') && u.starts_at < new Date('2026-06-08T10:00:00Z'),
    );
    expect(morningOf8th.every((u) => u.counters === 0)).toBe(true);
    expect((await api('GET', `/admin/locations/${id}`)).body.hours.map((v: { validFrom: string }) => v.validFrom)).toEqual([
      '2026-06-01',
      '2026-06-08',
    ]);
  });

  it('a combined appointment takes one counter for the durations added; the free times have room for all', async () => {
    // One counter 08:00–09:00; Ausweis 20 minutes, Pass 10 minutes.
    const { id, services } = await office([monday(1, '08:00', '09:00')], { Ausweis: 20, Pass: 10 });
    const combined = await listed(id, services.Ausweis, [services.Pass]);
    // 30 minutes in all: the last start is 08:30.
    expect(combined.map((t) => t.startsAt.slice(11, 16))).toEqual(['08:00', '08:10', '08:20', '08:30']);
    const made = await book(await slotAt(id, services.Ausweis, '2026-06-01T06:20:00Z'), [services.Pass]); // 08:20–08:50
    expect(made.status).toBe(201);
    const row = (await app.db.query(`SELECT extra_minutes, extra_service_ids FROM bookings WHERE id = $1`, [made.body.id]))
      .rows[0];
    expect(row).toEqual({ extra_minutes: 10, extra_service_ids: [services.Pass] });
    const held = await units(id);
    expect(held.filter((u) => u.reserved !== u.overlapping)).toEqual([]);
    const firstDay = (rows: typeof held) => rows.filter((u) => u.starts_at < new Date('2026-06-02T00:00:00Z'));
    expect(firstDay(held).map((u) => u.reserved)).toEqual([0, 0, 1, 1, 1, 0]);
    // 08:50 is the only unit left after it; Pass alone (10 min) fits there, the combination nowhere near it.
    expect((await listed(id, services.Pass)).map((t) => t.startsAt.slice(11, 16))).toEqual(['08:00', '08:10', '08:50']);
    expect((await listed(id, services.Ausweis, [services.Pass])).map((t) => t.startsAt.slice(11, 16))).toEqual([]);
    // A plain booking that would run into the combination's extra units is refused by the database.
    const clash = await book(await slotAt(id, services.Pass, '2026-06-01T06:40:00Z')); // 08:40
    expect([clash.status, clash.body.error.code]).toEqual([409, 'SLOT_FULL']);
    // Cancelling frees the extra units too.
    const cancel = await http(app, 'POST', `/api/v1/bookings/${made.body.id}/cancel`, {
      headers: { 'x-booking-token': made.body.statusToken },
    });
    expect(cancel.status).toBeLessThan(300);
    expect(firstDay(await units(id)).map((u) => u.reserved)).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('a combined appointment moves within its office only; reinstated, its later units are taken again or it is SLOT_FULL', async () => {
    app.clock.set('2026-06-01T03:00:00Z'); // 05:00 in Berlin: more than 2 h before 08:00
    const here = await office([monday(1, '08:00', '09:00')], { Ausweis: 20, Pass: 10 });
    const there = await office([monday(1, '08:00', '09:00')], { Ausweis: 20 });
    const made = await book(await slotAt(here.id, here.services.Ausweis, '2026-06-01T06:00:00Z'), [here.services.Pass]); // 08:00–08:30
    expect(made.status).toBe(201);
    // Every office offers every service unless its offering says otherwise: the same Ausweis over there.
    const elsewhere = await http(app, 'POST', `/api/v1/bookings/${made.body.id}/reschedule`, {
      body: { slotId: await slotAt(there.id, here.services.Ausweis, '2026-06-01T06:20:00Z') },
      headers: { 'x-booking-token': made.body.statusToken },
    });
    expect([elsewhere.status, elsewhere.body.error.code, elsewhere.body.error.details?.reason]).toEqual([
      409,
      'RESCHEDULE_NOT_ALLOWED',
      'combined_other_office',
    ]);
    const later = await http(app, 'POST', `/api/v1/bookings/${made.body.id}/reschedule`, {
      body: { slotId: await slotAt(here.id, here.services.Ausweis, '2026-06-01T06:30:00Z') }, // 08:30–09:00
      headers: { 'x-booking-token': made.body.statusToken },
    });
    expect(later.status).toBe(200);
    const held = (await units(here.id)).filter((u) => u.starts_at < new Date('2026-06-02T00:00:00Z'));
    expect(held.map((u) => u.reserved)).toEqual([0, 0, 0, 1, 1, 1]);
    expect(held.filter((u) => u.reserved !== u.overlapping)).toEqual([]);
    // Expired, then its later unit taken by someone else: reinstating it in its own slot is SLOT_FULL, not a 500.
    await app.db.query(
      `UPDATE bookings SET status = 'expired', expired_at = now(), expiry_reason = 'mail_undelivered' WHERE id = $1`,
      [made.body.id],
    );
    await app.db.query(`UPDATE slots SET booked = booked - 1 WHERE id = (SELECT slot_id FROM bookings WHERE id = $1)`, [
      made.body.id,
    ]);
    const taker = await book(await slotAt(here.id, here.services.Pass, '2026-06-01T06:50:00Z')); // 08:50
    expect(taker.status).toBe(201);
    const reinstated = await api('POST', `/review/bookings/${made.body.id}/reinstate`, { reason: 'Mail kam nicht an' }, clerk);
    expect([reinstated.status, reinstated.body.error?.code]).toEqual([409, 'SLOT_FULL']);
    expect((await app.db.query(`SELECT status FROM bookings WHERE id = $1`, [made.body.id])).rows[0].status).toBe('expired');
    const after = (await units(here.id)).filter((u) => u.starts_at < new Date('2026-06-02T00:00:00Z'));
    expect(after.filter((u) => u.reserved !== u.overlapping)).toEqual([]);
  });

  it('refuses combinations the office does not offer, too many of one service, or more than three services', async () => {
    const { id, services } = await office([monday(2)], { Ausweis: 20, Pass: 10, Kfz: 30 });
    const slot = await slotAt(id, services.Ausweis, '2026-06-01T06:00:00Z');
    const before = await count('bookings', 'location_id = $1', [id]);
    const off = await api('PUT', `/admin/locations/${id}/offerings/${services.Kfz}`, {
      durationMinutes: 30,
      bookable: false,
      maxPerBooking: 1,
    });
    expect(off.status).toBe(200);
    const notOffered = await book(slot, [services.Kfz]);
    expect([notOffered.status, notOffered.body.error.code]).toEqual([409, 'SERVICE_NOT_OFFERED']);
    const twice = await book(slot, [services.Ausweis]);
    expect([twice.status, twice.body.error.code]).toEqual([422, 'TOO_MANY_OF_SERVICE']);
    const four = await book(slot, [services.Pass, services.Pass, services.Pass]);
    expect([four.status, four.body.error.code]).toEqual([400, 'VALIDATION_FAILED']);
    const unknown = await book(slot, ['00000000-0000-4000-8000-000000000000']);
    expect([unknown.status, unknown.body.error.code]).toEqual([404, 'SERVICE_NOT_FOUND']);
    expect(await count('bookings', 'location_id = $1', [id])).toBe(before);
    // Kfz is no longer listed at this office at all.
    expect(await listed(id, services.Kfz)).toEqual([]);
    // Two of a service the office allows twice: 40 minutes on one counter.
    await api('PUT', `/admin/locations/${id}/offerings/${services.Ausweis}`, {
      durationMinutes: 20,
      bookable: true,
      maxPerBooking: 2,
    });
    const two = await book(slot, [services.Ausweis]);
    expect(two.status).toBe(201);
    expect((await app.db.query(`SELECT extra_minutes FROM bookings WHERE id = $1`, [two.body.id])).rows[0].extra_minutes).toBe(
      20,
    );
  });

  it('3 counters, 30 concurrent combined and single bookings around 08:00: never more than 3 at once, units exact', async () => {
    const { id, services } = await office([monday(3)], { Ausweis: 20, Pass: 10, Anmeldung: 30 });
    const names = ['Ausweis', 'Pass', 'Anmeldung'];
    const starts = ['06:00', '06:10', '06:20'].map((t) => `2026-06-01T${t}:00Z`);
    const requests: Array<Promise<{ status: number; body: any }>> = [];
    for (let i = 0; i < 30; i++) {
      const slot = await slotAt(id, services[names[i % 3]], starts[i % 3]);
      const extra = i % 2 === 0 ? [services[names[(i + 1) % 3]]] : [];
      requests.push(book(slot, extra));
    }
    const results = await Promise.all(requests);
    const codes = new Set(results.map((r) => (r.status === 201 ? 201 : r.body.error.code)));
    expect(codes).toEqual(new Set([201, 'SLOT_FULL']));
    const all = await units(id);
    expect(all.filter((u) => u.overlapping > u.counters)).toEqual([]);
    expect(all.filter((u) => u.reserved !== u.overlapping)).toEqual([]);
    expect(Math.max(...all.map((u) => u.overlapping))).toBe(3);
  });

  it('a service with bookings ahead cannot be taken off; without them it is deactivated, not deleted', async () => {
    const { id, services } = await office([monday(2)], { Ausweis: 20 });
    const made = await book(await slotAt(id, services.Ausweis, '2026-06-01T07:00:00Z'));
    expect(made.status).toBe(201);
    const refused = await api('DELETE', `/admin/services/${services.Ausweis}`);
    expect([refused.status, refused.body.error.code]).toEqual([409, 'SERVICE_HAS_BOOKINGS']);
    await http(app, 'POST', `/api/v1/bookings/${made.body.id}/cancel`, { headers: { 'x-booking-token': made.body.statusToken } });
    const off = await api('DELETE', `/admin/services/${services.Ausweis}`);
    expect(off.status).toBe(200);
    expect(off.body.active).toBe(false);
    expect(await count('services', 'id = $1', [services.Ausweis])).toBe(1);
    expect(await listed(id, services.Ausweis)).toEqual([]);
  });

  it('an office’s own no-show limit refuses addresses with that many no-shows there; other offices follow the global one', async () => {
    const strict = await office([monday(2)], { Ausweis: 20 }, { noShowLimit: 1 });
    const lenient = await office([monday(2)], { Ausweis: 20 });
    const who = citizen();
    const email = who.email;
    const first = await book(await slotAt(strict.id, strict.services.Ausweis, '2026-06-01T06:00:00Z'), undefined, who);
    expect(first.status).toBe(201);
    await app.db.query(
      `UPDATE bookings SET status = 'confirmed', confirmed_at = $2, attendance = 'no_show', attendance_at = $2 WHERE id = $1`,
      [first.body.id, new Date('2026-06-01T04:00:00Z')],
    );
    const again = await book(await slotAt(strict.id, strict.services.Ausweis, '2026-06-01T08:00:00Z'), undefined, {
      ...who,
      email,
    });
    expect([again.status, again.body.error.code]).toEqual([409, 'BOOKING_LIMIT_NO_SHOW']);
    const elsewhere = await book(await slotAt(lenient.id, lenient.services.Ausweis, '2026-06-01T08:00:00Z'), undefined, who);
    expect(elsewhere.status).toBe(201);
  });
});
