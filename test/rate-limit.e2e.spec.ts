import { citizen, createSlot } from './factories/scheduling.factory';
import { http, startTestApp, TestApp, restoreClockAfterEach } from './support/test-app';

/**
 * Per-IP limits (RATE_LIMIT_PER_MINUTE) on what a stranger can hammer: 429 RATE_LIMITED with
 * Retry-After, per route group; behind the city's proxy (TRUST_PROXY) the client's address counts.
 */
describe('per-IP limits', () => {
  let app: TestApp;
  restoreClockAfterEach(() => app?.clock);
  beforeAll(async () => {
    // The form's bot check off: these posts come without a browser (test/bot-check.e2e.spec.ts has it).
    app = await startTestApp({ env: { RATE_LIMIT_PER_MINUTE: '3', TRUST_PROXY: '127.0.0.1', ALTCHA_PAGES: 'false' } });
  });
  afterAll(() => app.close());

  it('the fourth booking a minute from one address is refused with Retry-After; another address and other routes are not', async () => {
    const { slotId } = await createSlot(app.db, { capacity: 20, startsAt: '2026-06-08T08:00:00Z' });
    const from = (ip: string) => ({ 'x-forwarded-for': ip });
    const book = (ip: string) => http(app, 'POST', '/api/v1/bookings', { body: { slotId, ...citizen() }, headers: from(ip) });
    const first = [await book('203.0.113.7'), await book('203.0.113.7'), await book('203.0.113.7')];
    expect(first.map((r) => r.status)).toEqual([201, 201, 201]);
    const refused = await book('203.0.113.7');
    expect(refused.status).toBe(429);
    expect(refused.body.error).toMatchObject({ code: 'RATE_LIMITED', details: { retryAfterSeconds: expect.any(Number) } });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Number(refused.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    // Nothing was written for the refused one.
    const { rows } = await app.db.query(`SELECT count(*)::int AS n FROM bookings WHERE slot_id = $1`, [slotId]);
    expect(rows[0].n).toBe(3);
    // Another client behind the same proxy has its own count; the status page its own (larger) one.
    expect((await book('198.51.100.20')).status).toBe(201);
    const status = await http(app, 'GET', `/api/v1/bookings/${first[0].body.id}`, {
      headers: { ...from('203.0.113.7'), 'x-booking-token': first[0].body.statusToken },
    });
    expect(status.status).toBe(200);
  });

  it('the booking page counts with the API and answers a page: 429 in German with Retry-After, the form not taken', async () => {
    const { slotId } = await createSlot(app.db, { capacity: 20, startsAt: '2026-06-08T09:00:00Z' });
    const ip = '203.0.113.99';
    const viaPage = () =>
      fetch(`${app.url}/termine/buchen`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': ip },
        body: new URLSearchParams({
          slotId,
          ...citizen(),
          idempotencyKey: `${Math.random().toString(36)}abcdefghijklmnopqrstuv`,
        }),
        redirect: 'manual',
      });
    expect(
      (await http(app, 'POST', '/api/v1/bookings', { body: { slotId, ...citizen() }, headers: { 'x-forwarded-for': ip } }))
        .status,
    ).toBe(201);
    expect([(await viaPage()).status, (await viaPage()).status]).toEqual([303, 303]);
    const refused = await viaPage();
    const html = await refused.text();
    expect(refused.status).toBe(429);
    expect(refused.headers.get('content-type')).toContain('text/html');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(html).toContain('Zu viele Anfragen in kurzer Zeit');
    const { rows } = await app.db.query(`SELECT count(*)::int AS n FROM bookings WHERE slot_id = $1`, [slotId]);
    expect(rows[0].n).toBe(3);
  });

  it('logins from one address are limited too: the fourth try a minute gets 429', async () => {
    const tries = [];
    for (let i = 0; i < 4; i++)
      tries.push(
        await http(app, 'POST', '/api/v1/auth/login', {
          body: { email: 'nobody@stadt.example', password: 'wrong-password-1' },
          headers: { 'x-forwarded-for': '192.0.2.66' },
        }),
      );
    expect(tries.map((t) => t.status)).toEqual([401, 401, 401, 429]);
  });
});
