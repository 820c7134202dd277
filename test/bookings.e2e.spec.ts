import { citizen, createSlot } from './factories/scheduling.factory';
import { http, startTestApp, TestApp, restoreClockAfterEach } from './support/test-app';

describe('booking a slot (real PostgreSQL, real HTTP)', () => {
  let app: TestApp;
  restoreClockAfterEach(() => app?.clock);
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.close());

  const slotTomorrow = () => createSlot(app.db, { capacity: 3, startsAt: '2026-06-02T07:00:00Z' });
  const book = (slotId: string, who = citizen(), headers: Record<string, string> = {}) =>
    http(app, 'POST', '/api/v1/bookings', { body: { slotId, ...who }, headers });
  const booked = async (slotId: string) =>
    (await app.db.query('SELECT booked FROM slots WHERE id = $1', [slotId])).rows[0].booked;

  it('50 concurrent bookings for a slot of capacity 3 give exactly 3 bookings and 47 SLOT_FULL', async () => {
    const { slotId } = await slotTomorrow();
    const results = await Promise.all(Array.from({ length: 50 }, () => book(slotId)));
    const created = results.filter((r) => r.status === 201);
    const full = results.filter((r) => r.status === 409 && r.body.error.code === 'SLOT_FULL');
    expect(created).toHaveLength(3);
    expect(full).toHaveLength(47);
    expect(await booked(slotId)).toBe(3);
    const { rows } = await app.db.query(`SELECT count(*)::int AS n FROM bookings WHERE slot_id = $1`, [slotId]);
    expect(rows[0].n).toBe(3);
    const mails = await app.db.query(
      `SELECT count(*)::int AS n FROM outbox_messages o JOIN bookings b ON b.id = o.booking_id WHERE b.slot_id = $1`,
      [slotId],
    );
    expect(mails.rows[0].n).toBe(3);
  });

  it('answers 201 with reference, pending status, hold end in the office zone and a status token', async () => {
    const { slotId } = await slotTomorrow();
    const res = await book(slotId);
    expect(res.status).toBe(201);
    expect(res.body.reference).toMatch(/^HF-[2-9A-HJ-NP-TV-Z]{4}-[2-9A-HJ-NP-TV-Z]{4}$/);
    expect(res.body.status).toBe('pending');
    // 08:00Z + 60 min window = 09:00Z = 11:00 in Berlin summer time.
    expect(res.body.holdUntil).toBe('2026-06-01T11:00:00+02:00');
    const view = await http(app, 'GET', `/api/v1/bookings/${res.body.id}`, {
      headers: { 'x-booking-token': res.body.statusToken },
    });
    expect(view.status).toBe(200);
    expect(view.body.slot.startsAt).toBe('2026-06-02T09:00:00+02:00');
    expect(view.body.messages).toEqual([expect.objectContaining({ kind: 'booking_confirmation', state: 'queued', attempts: 0 })]);
  });

  it('the hold never runs past the slot start', async () => {
    const { slotId } = await createSlot(app.db, { startsAt: '2026-06-01T08:25:00Z' });
    const res = await book(slotId);
    expect(res.status).toBe(201);
    expect(res.body.holdUntil).toBe('2026-06-01T10:25:00+02:00');
  });

  it('replays an Idempotency-Key with the same body, refuses it with another body', async () => {
    const { slotId } = await slotTomorrow();
    const who = citizen();
    const key = `key-${Date.now()}-replay`;
    const first = await book(slotId, who, { 'idempotency-key': key });
    const again = await book(slotId, who, { 'idempotency-key': key });
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    const other = await book(slotId, { ...who, name: 'Someone Else' }, { 'idempotency-key': key });
    expect(other.status).toBe(422);
    expect(other.body.error.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(await booked(slotId)).toBe(1);
  });

  it('a booking refused by a limit keeps neither its place nor its Idempotency-Key: the retry is refused the same way', async () => {
    const { slotId } = await slotTomorrow();
    const who = citizen();
    expect((await book(slotId, who)).status).toBe(201);
    const key = `key-${Date.now()}-refused`;
    for (let i = 0; i < 2; i++) {
      const refused = await book(slotId, who, { 'idempotency-key': key });
      expect(refused.status).toBe(409);
      expect(refused.body.error.code).toBe('BOOKING_LIMIT_SLOT');
    }
    expect(await booked(slotId)).toBe(1);
    const keys = await app.db.query(`SELECT count(*)::int AS n FROM idempotency_keys WHERE key = $1`, [key]);
    expect(keys.rows[0].n).toBe(0);
  });

  it('a reused Idempotency-Key with another slot, e-mail or phone is refused too, and books nothing', async () => {
    const { slotId } = await slotTomorrow();
    const { slotId: otherSlot } = await slotTomorrow();
    const who = { ...citizen(), phone: '+49 30 1234567' };
    const key = `key-${Date.now()}-fields`;
    expect((await book(slotId, who, { 'idempotency-key': key })).status).toBe(201);
    const variants: Array<[string, string, Record<string, string>]> = [
      ['slotId', otherSlot, who],
      ['email', slotId, { ...who, email: `other-${who.email}` }],
      ['phone', slotId, { ...who, phone: '+49 30 7654321' }],
      ['phone left out', slotId, { name: who.name, email: who.email }],
    ];
    for (const [field, slot, body] of variants) {
      const res = await http(app, 'POST', '/api/v1/bookings', {
        body: { slotId: slot, ...body },
        headers: { 'idempotency-key': key },
      });
      expect({ field, status: res.status, code: res.body.error?.code }).toEqual({
        field,
        status: 422,
        code: 'IDEMPOTENCY_KEY_REUSED',
      });
    }
    expect(await booked(slotId)).toBe(1);
    expect(await booked(otherSlot)).toBe(0);
  });

  it('idempotency keys are forgotten after a week; the booking stays', async () => {
    const { slotId } = await createSlot(app.db, { capacity: 3, startsAt: '2026-06-20T07:00:00Z' });
    const key = `key-${Date.now()}-old`;
    const first = await book(slotId, citizen(), { 'idempotency-key': key });
    const start = app.clock.now();
    try {
      app.clock.advance({ days: 8 });
      const { ExpirySweeperService } = await import('../src/bookings/expiry-sweeper.service');
      await app.app.get(ExpirySweeperService).sweep();
    } finally {
      app.clock.set(start);
    }
    expect((await app.db.query(`SELECT count(*)::int AS n FROM idempotency_keys WHERE key = $1`, [key])).rows[0].n).toBe(0);
    expect((await app.db.query(`SELECT count(*)::int AS n FROM bookings WHERE id = $1`, [first.body.id])).rows[0].n).toBe(1);
  });

  it('concurrent repeats of one Idempotency-Key make one booking', async () => {
    const { slotId } = await slotTomorrow();
    const who = citizen();
    const key = `key-${Date.now()}-race`;
    const results = await Promise.all(Array.from({ length: 8 }, () => book(slotId, who, { 'idempotency-key': key })));
    expect(results.map((r) => r.status)).toEqual(Array(8).fill(201));
    expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
    expect(await booked(slotId)).toBe(1);
  });

  it('limits one address: one booking per slot, three per office and day', async () => {
    const { slotId, locationId, serviceId } = await slotTomorrow();
    const who = citizen();
    expect((await book(slotId, who)).status).toBe(201);
    const twice = await book(slotId, { ...who, email: who.email.toUpperCase() });
    expect(twice.status).toBe(409);
    expect(twice.body.error.code).toBe('BOOKING_LIMIT_SLOT');
    const { addSlot } = await import('./factories/scheduling.factory');
    const more = await Promise.all(
      ['08:00', '09:00', '10:00'].map((t) => addSlot(app.db, { locationId, serviceId }, `2026-06-02T${t}:00Z`)),
    );
    expect((await book(more[0], who)).status).toBe(201);
    expect((await book(more[1], who)).status).toBe(201);
    const fourth = await book(more[2], who);
    expect(fourth.status).toBe(409);
    expect(fourth.body.error.code).toBe('BOOKING_LIMIT_DAY');
    expect(await booked(more[2])).toBe(0);
  });

  it('counts the address as the mailbox sees it: +tags where the provider ignores them, Gmail dots, googlemail.com', async () => {
    const { slotId, locationId, serviceId } = await slotTomorrow();
    const tag = Date.now().toString(36);
    expect((await book(slotId, citizen({ email: `erika.m${tag}+1@gmail.com` }))).status).toBe(201);
    for (const variant of [`erika.m${tag}+2@gmail.com`, `ErikaM${tag}@googlemail.com`, `e.r.i.k.a.m${tag}@GMAIL.com`]) {
      const res = await book(slotId, citizen({ email: variant }));
      expect([variant, res.status, res.body.error?.code]).toEqual([variant, 409, 'BOOKING_LIMIT_SLOT']);
    }
    // Outlook ignores +tags as well; three a day at one office, whatever the tag.
    const { addSlot } = await import('./factories/scheduling.factory');
    const more = await Promise.all(
      ['11:00', '12:00', '13:00'].map((t) => addSlot(app.db, { locationId, serviceId }, `2026-06-02T${t}:00Z`)),
    );
    const results = [];
    for (const [i, slot] of [slotId, ...more].entries())
      results.push((await book(slot, citizen({ email: `max${tag}+t${i}@outlook.de` }))).status);
    expect(results).toEqual([201, 201, 201, 409]);
    // Where the provider keeps `+` as part of the name (and dots everywhere but Gmail), they are other people.
    const roomy = await addSlot(app.db, { locationId, serviceId }, '2026-06-02T14:00:00Z', 10);
    expect((await book(roomy, citizen({ email: `erika.m${tag}+1@example.org` }))).status).toBe(201);
    expect((await book(roomy, citizen({ email: `erika.m${tag}+2@example.org` }))).status).toBe(201);
    expect((await book(roomy, citizen({ email: `erikam${tag}@example.org` }))).status).toBe(201);
    const { rows } = await app.db.query(`SELECT DISTINCT email_key FROM bookings WHERE slot_id = ANY($1::uuid[]) ORDER BY 1`, [
      [slotId, roomy],
    ]);
    expect(rows.map((r) => r.email_key)).toEqual([
      `erika.m${tag}+1@example.org`,
      `erika.m${tag}+2@example.org`,
      `erikam${tag}@example.org`,
      `erikam${tag}@gmail.com`,
      `max${tag}@outlook.de`,
    ]);
  });

  it('the per-day limit holds under concurrency: 6 parallel bookings by one address on one day give exactly 3', async () => {
    const { locationId, serviceId } = await slotTomorrow();
    const { addSlot } = await import('./factories/scheduling.factory');
    const slots = await Promise.all(
      ['06:00', '06:20', '06:40', '07:20', '07:40', '08:20'].map((t) =>
        addSlot(app.db, { locationId, serviceId }, `2026-06-02T${t}:00Z`),
      ),
    );
    const who = citizen();
    const results = await Promise.all(slots.map((slotId) => book(slotId, who)));
    expect(results.filter((r) => r.status === 201)).toHaveLength(3);
    expect(results.filter((r) => r.status === 409).map((r) => r.body.error.code)).toEqual([
      'BOOKING_LIMIT_DAY',
      'BOOKING_LIMIT_DAY',
      'BOOKING_LIMIT_DAY',
    ]);
    const { rows } = await app.db.query(`SELECT sum(booked)::int AS n FROM slots WHERE id = ANY($1::uuid[])`, [slots]);
    expect(rows[0].n).toBe(3);
  });

  it('a slot that has started cannot be booked', async () => {
    const { slotId } = await createSlot(app.db, { startsAt: '2026-06-01T07:59:00Z' });
    const res = await book(slotId);
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('SLOT_IN_PAST');
  });

  it('cancelling releases the place; a wrong status token reads and changes nothing', async () => {
    const { slotId } = await slotTomorrow();
    const res = await book(slotId);
    const wrong = await http(app, 'POST', `/api/v1/bookings/${res.body.id}/cancel`, {
      headers: { 'x-booking-token': 'x'.repeat(43) },
    });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe('BOOKING_TOKEN_INVALID');
    expect(await booked(slotId)).toBe(1);
    const cancel = await http(app, 'POST', `/api/v1/bookings/${res.body.id}/cancel`, {
      headers: { 'x-booking-token': res.body.statusToken },
    });
    expect(cancel.status).toBe(200);
    expect(cancel.body.status).toBe('cancelled');
    expect(cancel.body.messages[0].state).toBe('cancelled');
    expect(await booked(slotId)).toBe(0);
    const again = await http(app, 'POST', `/api/v1/bookings/${res.body.id}/cancel`, {
      headers: { 'x-booking-token': res.body.statusToken },
    });
    expect(again.status).toBe(200);
    expect(await booked(slotId)).toBe(0);
  });

  it('lists only slots with free places, in the office zone', async () => {
    const { slotId, locationId, serviceId } = await createSlot(app.db, { capacity: 1, startsAt: '2026-06-03T07:00:00Z' });
    const before = await http(
      app,
      'GET',
      `/api/v1/slots?locationId=${locationId}&serviceId=${serviceId}&from=2026-06-03&to=2026-06-04`,
    );
    expect(before.body).toEqual([expect.objectContaining({ id: slotId, startsAt: '2026-06-03T09:00:00+02:00', available: 1 })]);
    expect((await book(slotId)).status).toBe(201);
    const after = await http(
      app,
      'GET',
      `/api/v1/slots?locationId=${locationId}&serviceId=${serviceId}&from=2026-06-03&to=2026-06-04`,
    );
    expect(after.body).toEqual([]);
  });
});
