import { citizen, createSlot } from './factories/scheduling.factory';
import { http, startTestApp, TestApp, restoreClockAfterEach } from './support/test-app';

/**
 * Every route, fed what it must refuse: a 4xx with a stable code and `{ error: { code, message } }`,
 * never a 500, and not one row written.
 */
describe('bad input gets a 4xx with a stable code and writes nothing (refusals by staff are audited)', () => {
  let app: TestApp;
  restoreClockAfterEach(() => app?.clock);
  let slot: { slotId: string; locationId: string; serviceId: string };
  /** A slot with room, so a refusal is the input's, not SLOT_FULL's. */
  let roomy: { slotId: string };
  let booking: { id: string; statusToken: string };
  let adminToken: string;
  let clerkToken: string;

  const counts = async () =>
    (
      await app.db
        .query(`SELECT (SELECT count(*) FROM bookings)::int AS bookings, (SELECT count(*) FROM outbox_messages)::int AS outbox,
      (SELECT count(*) FROM confirmation_tokens)::int AS tokens, (SELECT count(*) FROM idempotency_keys)::int AS keys,
      (SELECT sum(booked) FROM slots)::int AS booked, (SELECT count(*) FROM staff_users)::int AS staff,
      (SELECT count(*) FROM bookings WHERE status <> 'pending')::int AS changed,
      (SELECT count(*) FROM incidents)::int AS incidents, (SELECT count(*) FROM delivery_events)::int AS events,
      (SELECT count(*) FROM provider_circuits)::int AS circuits, (SELECT max(hold_until) FROM bookings) AS hold,
      (SELECT count(*) FROM bookings WHERE goodwill_until IS NOT NULL OR phone IS NOT NULL)::int AS touched`)
    ).rows[0];

  beforeAll(async () => {
    app = await startTestApp();
    slot = await createSlot(app.db, { capacity: 1, startsAt: '2026-06-02T08:00:00Z' });
    booking = (await http(app, 'POST', '/api/v1/bookings', { body: { slotId: slot.slotId, ...citizen() } })).body;
    roomy = await createSlot(app.db, { capacity: 5, startsAt: '2026-06-03T08:00:00Z' });
    const { StaffService } = await import('../src/staff/staff.service');
    const staff = app.app.get(StaffService);
    await staff.create({ email: 'admin@test.example', role: 'admin', password: 'admin-password-1' }, { id: null, label: 'test' });
    await staff.create({ email: 'clerk@test.example', role: 'clerk', password: 'clerk-password-1' }, { id: null, label: 'test' });
    adminToken = (
      await http(app, 'POST', '/api/v1/auth/login', { body: { email: 'admin@test.example', password: 'admin-password-1' } })
    ).body.token;
    clerkToken = (
      await http(app, 'POST', '/api/v1/auth/login', { body: { email: 'clerk@test.example', password: 'clerk-password-1' } })
    ).body.token;
  });
  afterAll(() => app.close());

  const validBooking = () => ({ slotId: slot.slotId, ...citizen() });
  const json = { 'content-type': 'application/json' };
  type Case = [string, string, string, { body?: unknown; raw?: string; headers?: Record<string, string> }, number, string];
  const cases = (): Case[] => [
    ['booking: empty body', 'POST', '/api/v1/bookings', { raw: '', headers: json }, 400, 'MALFORMED_REQUEST'],
    ['booking: broken JSON', 'POST', '/api/v1/bookings', { raw: '{"slotId": ', headers: json }, 400, 'MALFORMED_REQUEST'],
    ['booking: JSON array', 'POST', '/api/v1/bookings', { body: [] }, 400, 'VALIDATION_FAILED'],
    ['booking: no fields', 'POST', '/api/v1/bookings', { body: {} }, 400, 'VALIDATION_FAILED'],
    [
      'booking: unknown field',
      'POST',
      '/api/v1/bookings',
      { body: { ...validBooking(), status: 'confirmed' } },
      400,
      'VALIDATION_FAILED',
    ],
    [
      'booking: slotId not a uuid',
      'POST',
      '/api/v1/bookings',
      { body: { ...validBooking(), slotId: '1; DROP TABLE slots' } },
      400,
      'VALIDATION_FAILED',
    ],
    [
      'booking: bad e-mail',
      'POST',
      '/api/v1/bookings',
      { body: { ...validBooking(), email: 'not-an-address' } },
      400,
      'VALIDATION_FAILED',
    ],
    [
      'booking: e-mail too long',
      'POST',
      '/api/v1/bookings',
      { body: { ...validBooking(), email: `${'a'.repeat(250)}@example.org` } },
      400,
      'VALIDATION_FAILED',
    ],
    [
      'booking: name too long',
      'POST',
      '/api/v1/bookings',
      { body: { ...validBooking(), name: 'x'.repeat(201) } },
      400,
      'VALIDATION_FAILED',
    ],
    [
      'booking: name with control characters',
      'POST',
      '/api/v1/bookings',
      { body: { ...validBooking(), name: 'Erika\u0000Muster' } },
      400,
      'VALIDATION_FAILED',
    ],
    ['booking: name a number', 'POST', '/api/v1/bookings', { body: { ...validBooking(), name: 42 } }, 400, 'VALIDATION_FAILED'],
    [
      'booking: bad phone',
      'POST',
      '/api/v1/bookings',
      { body: { ...validBooking(), phone: 'call me maybe' } },
      400,
      'VALIDATION_FAILED',
    ],
    [
      'booking: unknown slot',
      'POST',
      '/api/v1/bookings',
      { body: { ...validBooking(), slotId: '00000000-0000-4000-8000-000000000000' } },
      404,
      'SLOT_NOT_FOUND',
    ],
    ['booking: full slot', 'POST', '/api/v1/bookings', { body: validBooking() }, 409, 'SLOT_FULL'],
    [
      'booking: bad Idempotency-Key',
      'POST',
      '/api/v1/bookings',
      { body: validBooking(), headers: { 'idempotency-key': 'short' } },
      400,
      'VALIDATION_FAILED',
    ],
    [
      'booking: form-encoded body',
      'POST',
      '/api/v1/bookings',
      { raw: 'slotId=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
      400,
      'VALIDATION_FAILED',
    ],
    [
      'booking: text/plain body',
      'POST',
      '/api/v1/bookings',
      { raw: 'hello', headers: { 'content-type': 'text/plain' } },
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    ],
    [
      'booking: body over 64 KiB',
      'POST',
      '/api/v1/bookings',
      { raw: JSON.stringify({ ...validBooking(), name: 'x'.repeat(70_000) }), headers: json },
      413,
      'PAYLOAD_TOO_LARGE',
    ],
    ['status: id not a uuid', 'GET', '/api/v1/bookings/abc', { headers: { 'x-booking-token': 'x' } }, 400, 'VALIDATION_FAILED'],
    ['status: no token', 'GET', `/api/v1/bookings/${booking.id}`, {}, 401, 'BOOKING_TOKEN_INVALID'],
    [
      'status: token of another booking',
      'GET',
      `/api/v1/bookings/00000000-0000-4000-8000-000000000000`,
      { headers: { 'x-booking-token': booking.statusToken } },
      401,
      'BOOKING_TOKEN_INVALID',
    ],
    [
      'cancel: wrong token',
      'POST',
      `/api/v1/bookings/${booking.id}/cancel`,
      { headers: { 'x-booking-token': 'nope' } },
      401,
      'BOOKING_TOKEN_INVALID',
    ],
    ['cancel: id not a uuid', 'POST', '/api/v1/bookings/123/cancel', {}, 400, 'VALIDATION_FAILED'],
    ['slots: no parameters', 'GET', '/api/v1/slots', {}, 400, 'VALIDATION_FAILED'],
    [
      'slots: bad date',
      'GET',
      `/api/v1/slots?locationId=${slot.locationId}&serviceId=${slot.serviceId}&from=yesterday`,
      {},
      400,
      'VALIDATION_FAILED',
    ],
    [
      'slots: to before from',
      'GET',
      `/api/v1/slots?locationId=${slot.locationId}&serviceId=${slot.serviceId}&from=2026-06-05&to=2026-06-01`,
      {},
      400,
      'VALIDATION_FAILED',
    ],
    [
      'slots: range too long',
      'GET',
      `/api/v1/slots?locationId=${slot.locationId}&serviceId=${slot.serviceId}&from=2026-06-01&to=2027-06-01`,
      {},
      400,
      'VALIDATION_FAILED',
    ],
    [
      'slots: unknown location',
      'GET',
      `/api/v1/slots?locationId=00000000-0000-4000-8000-000000000000&serviceId=${slot.serviceId}`,
      {},
      404,
      'LOCATION_NOT_FOUND',
    ],
    [
      'slots: unknown service',
      'GET',
      `/api/v1/slots?locationId=${slot.locationId}&serviceId=00000000-0000-4000-8000-000000000000`,
      {},
      404,
      'SERVICE_NOT_FOUND',
    ],
    [
      'slots: unknown parameter',
      'GET',
      `/api/v1/slots?locationId=${slot.locationId}&serviceId=${slot.serviceId}&limit=5`,
      {},
      400,
      'VALIDATION_FAILED',
    ],
    ['confirm API: no token', 'POST', '/api/v1/confirmations', { body: {} }, 400, 'VALIDATION_FAILED'],
    ['confirm API: token a number', 'POST', '/api/v1/confirmations', { body: { token: 5 } }, 400, 'VALIDATION_FAILED'],
    ['confirm API: unknown token', 'POST', '/api/v1/confirmations', { body: { token: 'B'.repeat(43) } }, 404, 'TOKEN_INVALID'],
    ['confirm API: malformed token', 'POST', '/api/v1/confirmations', { body: { token: "' OR 1=1 --" } }, 404, 'TOKEN_INVALID'],
    [
      'login: wrong password',
      'POST',
      '/api/v1/auth/login',
      { body: { email: 'admin@test.example', password: 'wrong' } },
      401,
      'LOGIN_FAILED',
    ],
    [
      'login: unknown user',
      'POST',
      '/api/v1/auth/login',
      { body: { email: 'nobody@test.example', password: 'wrong' } },
      401,
      'LOGIN_FAILED',
    ],
    ['login: no password', 'POST', '/api/v1/auth/login', { body: { email: 'admin@test.example' } }, 400, 'VALIDATION_FAILED'],
    ['me: no token', 'GET', '/api/v1/auth/me', {}, 401, 'UNAUTHENTICATED'],
    [
      'me: forged token',
      'GET',
      '/api/v1/auth/me',
      { headers: { authorization: `Bearer ${'z'.repeat(43)}` } },
      401,
      'UNAUTHENTICATED',
    ],
    [
      'staff: clerk creates staff',
      'POST',
      '/api/v1/staff/users',
      { body: { email: 'x@test.example', role: 'admin' }, headers: { authorization: `Bearer ${clerkToken}` } },
      403,
      'FORBIDDEN',
    ],
    [
      'staff: bad role',
      'POST',
      '/api/v1/staff/users',
      { body: { email: 'x@test.example', role: 'king' }, headers: { authorization: `Bearer ${adminToken}` } },
      400,
      'VALIDATION_FAILED',
    ],
    [
      'staff: short password',
      'POST',
      '/api/v1/staff/users',
      { body: { email: 'x@test.example', role: 'clerk', password: 'short' }, headers: { authorization: `Bearer ${adminToken}` } },
      400,
      'VALIDATION_FAILED',
    ],
    [
      'staff: e-mail taken',
      'POST',
      '/api/v1/staff/users',
      { body: { email: 'CLERK@test.example', role: 'clerk' }, headers: { authorization: `Bearer ${adminToken}` } },
      409,
      'STAFF_EMAIL_TAKEN',
    ],
    ['audit: clerk', 'GET', '/api/v1/audit', { headers: { authorization: `Bearer ${clerkToken}` } }, 403, 'FORBIDDEN'],
    [
      'audit: bad limit',
      'GET',
      '/api/v1/audit?limit=9999',
      { headers: { authorization: `Bearer ${adminToken}` } },
      400,
      'VALIDATION_FAILED',
    ],
    ['review: no token', 'GET', '/api/v1/review/bookings', {}, 401, 'UNAUTHENTICATED'],
    [
      'review: bad reason filter',
      'GET',
      '/api/v1/review/bookings?reason=all',
      { headers: { authorization: `Bearer ${clerkToken}` } },
      400,
      'VALIDATION_FAILED',
    ],
    [
      'review: bad day',
      'GET',
      '/api/v1/review/bookings?day=31.12.2026',
      { headers: { authorization: `Bearer ${clerkToken}` } },
      400,
      'VALIDATION_FAILED',
    ],
    [
      'review: unknown booking',
      'GET',
      '/api/v1/review/bookings/00000000-0000-4000-8000-000000000000',
      { headers: { authorization: `Bearer ${clerkToken}` } },
      404,
      'BOOKING_NOT_FOUND',
    ],
    [
      'review extend: no reason',
      'POST',
      `/api/v1/review/bookings/${booking.id}/extend`,
      { body: { until: '2026-06-01T20:00:00Z' }, headers: { authorization: `Bearer ${clerkToken}` } },
      400,
      'VALIDATION_FAILED',
    ],
    [
      'review extend: past the slot',
      'POST',
      `/api/v1/review/bookings/${booking.id}/extend`,
      { body: { until: '2026-06-02T07:30:00Z', reason: 'Kulanz' }, headers: { authorization: `Bearer ${clerkToken}` } },
      422,
      'EXTENSION_INVALID',
    ],
    [
      'review extend: in the past',
      'POST',
      `/api/v1/review/bookings/${booking.id}/extend`,
      { body: { until: '2026-05-01T20:00:00Z', reason: 'Kulanz' }, headers: { authorization: `Bearer ${clerkToken}` } },
      422,
      'EXTENSION_INVALID',
    ],
    [
      'review reinstate: pending booking',
      'POST',
      `/api/v1/review/bookings/${booking.id}/reinstate`,
      { body: { reason: 'test' }, headers: { authorization: `Bearer ${clerkToken}` } },
      409,
      'INVALID_TRANSITION',
    ],
    [
      'review reinstate: bad slot id',
      'POST',
      `/api/v1/review/bookings/${booking.id}/reinstate`,
      { body: { reason: 'test', slotId: 'x' }, headers: { authorization: `Bearer ${clerkToken}` } },
      400,
      'VALIDATION_FAILED',
    ],
    [
      'review close: not expired',
      'POST',
      `/api/v1/review/bookings/${booking.id}/close`,
      { body: { reason: 'test' }, headers: { authorization: `Bearer ${clerkToken}` } },
      409,
      'INVALID_TRANSITION',
    ],
    [
      'incident: clerk declares',
      'POST',
      '/api/v1/incidents',
      { body: { family: 'united-internet', reason: 'test' }, headers: { authorization: `Bearer ${clerkToken}` } },
      403,
      'FORBIDDEN',
    ],
    [
      'incident: bad family',
      'POST',
      '/api/v1/incidents',
      { body: { family: 'GMX!', reason: 'test' }, headers: { authorization: `Bearer ${adminToken}` } },
      400,
      'VALIDATION_FAILED',
    ],
    [
      'incident: unknown id',
      'POST',
      '/api/v1/incidents/00000000-0000-4000-8000-000000000000/end',
      { body: { reason: 'test' }, headers: { authorization: `Bearer ${adminToken}` } },
      404,
      'INCIDENT_NOT_FOUND',
    ],
    [
      'provider pause: no reason',
      'POST',
      '/api/v1/mail/providers/google/pause',
      { body: {}, headers: { authorization: `Bearer ${adminToken}` } },
      400,
      'VALIDATION_FAILED',
    ],
    [
      'self-service: bad phone',
      'POST',
      `/api/v1/bookings/${booking.id}/add-phone`,
      { body: { phone: 'abc' }, headers: { 'x-booking-token': booking.statusToken } },
      400,
      'VALIDATION_FAILED',
    ],
    [
      'self-service: foreign token',
      'POST',
      `/api/v1/bookings/${booking.id}/resend`,
      { headers: { 'x-booking-token': 'y'.repeat(43) } },
      401,
      'BOOKING_TOKEN_INVALID',
    ],
    [
      'confirm by code: bad code shape',
      'POST',
      '/api/v1/confirmations',
      { body: { reference: 'HF-AAAA-BBBB', code: '12' } },
      404,
      'TOKEN_INVALID',
    ],
    [
      'mail webhook: unsigned',
      'POST',
      '/api/v1/mail/events',
      { body: { id: booking.id, event: 'delivered' } },
      401,
      'WEBHOOK_SIGNATURE_INVALID',
    ],
    [
      'sms webhook: unsigned',
      'POST',
      '/api/v1/sms/events',
      { body: { reference: booking.id, status: 'delivered' } },
      401,
      'WEBHOOK_SIGNATURE_INVALID',
    ],
    ['unknown route', 'GET', '/api/v1/nothing-here', {}, 404, 'NOT_FOUND'],
    // Found by an audit: each gave a 500 before (PostgreSQL or class-transformer refused them late).
    [
      'booking: a lone UTF-16 surrogate in the name',
      'POST',
      '/api/v1/bookings',
      { raw: JSON.stringify({ ...citizen(), slotId: roomy.slotId, name: 'Erika \ud800 Muster' }), headers: json },
      400,
      'VALIDATION_FAILED',
    ],
    [
      'booking: a lone surrogate in the e-mail',
      'POST',
      '/api/v1/bookings',
      { raw: JSON.stringify({ ...citizen(), slotId: roomy.slotId, email: 'erika\udc00@example.org' }), headers: json },
      400,
      'VALIDATION_FAILED',
    ],
    [
      'change-email: a lone surrogate',
      'POST',
      `/api/v1/bookings/${booking.id}/change-email`,
      { raw: '{"email":"neu\\ud83d@example.org"}', headers: { ...json, 'x-booking-token': booking.statusToken } },
      400,
      'VALIDATION_FAILED',
    ],
    [
      'login: a lone surrogate',
      'POST',
      '/api/v1/auth/login',
      { raw: '{"email":"\\ud800@test.example","password":"x"}', headers: json },
      400,
      'VALIDATION_FAILED',
    ],
    [
      'provider pause: a NUL in the reason',
      'POST',
      '/api/v1/mail/providers/google/pause',
      { body: { reason: 'Wartung\u0000' }, headers: { authorization: `Bearer ${adminToken}` } },
      400,
      'VALIDATION_FAILED',
    ],
    [
      'booking: a phone of 33 characters',
      'POST',
      '/api/v1/bookings',
      { body: { ...citizen(), slotId: roomy.slotId, phone: `+${'1'.repeat(32)}` } },
      400,
      'VALIDATION_FAILED',
    ],
    [
      'booking: an array nested 5,000 deep',
      'POST',
      '/api/v1/bookings',
      { raw: `{"name":${'['.repeat(5000)}${']'.repeat(5000)}}`, headers: json },
      400,
      'INPUT_TOO_DEEP',
    ],
  ];

  it('refuses each case with its code, and nothing is written but the audit of refusals', async () => {
    const before = await counts();
    const lastAudit = (await app.db.query(`SELECT COALESCE(max(id), 0)::bigint AS id FROM audit_entries`)).rows[0].id;
    const failures: string[] = [];
    for (const [name, method, path, opts, status, code] of cases()) {
      const res = await http(app, method, path, opts);
      const body = typeof res.body === 'string' ? JSON.parse(res.body || '{}') : res.body;
      if (res.status !== status || body?.error?.code !== code || typeof body?.error?.message !== 'string') {
        failures.push(`${name}: got ${res.status} ${JSON.stringify(body).slice(0, 200)}, want ${status} ${code}`);
      }
    }
    expect(failures).toEqual([]);
    expect(await counts()).toEqual(before);
    // By design, a refused staff action is recorded (who tried what), and only refusals are.
    const audited = (await app.db.query(`SELECT action FROM audit_entries WHERE id > $1 ORDER BY id`, [lastAudit])).rows.map(
      (r) => r.action as string,
    );
    expect(audited).toEqual(expect.arrayContaining(['access.refused', 'incident.end.refused']));
    expect(audited.filter((action) => !/\.(refused|failed)$/.test(action))).toEqual([]);
  });

  it('confirm page: an unknown or missing token gets the same 404 page', async () => {
    const unknown = await http(app, 'GET', `/confirm?token=${'C'.repeat(43)}`);
    const missing = await http(app, 'GET', '/confirm');
    expect(unknown.status).toBe(404);
    expect(missing.status).toBe(404);
    expect(unknown.text).toBe(missing.text);
    const post = await http(app, 'POST', '/confirm', {
      raw: 'token=nothing',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(post.status).toBe(404);
    expect(post.text).toBe(unknown.text);
  });
});
