import { citizen, createSlot } from './factories/scheduling.factory';
import { http, startTestApp, TestApp } from './support/test-app';

// The client's side of ALTCHA, as a browser's widget would do it (real proof of work, real HMACs).

const altcha = require('altcha-lib') as typeof import('altcha-lib/dist/cjs/v2/index');

const { deriveKey } = require('altcha-lib/algorithms/pbkdf2') as typeof import('altcha-lib/dist/cjs/v2/algorithms/pbkdf2');

/** Fetches a challenge from the app, solves it, and returns the payload the widget would submit. */
async function solved(app: TestApp): Promise<string> {
  const challenge = (await http(app, 'GET', '/api/v1/altcha/challenge')).body;
  const solution = await altcha.solveChallenge({ challenge, deriveKey });
  expect(solution).not.toBeNull();
  return Buffer.from(JSON.stringify({ challenge, solution })).toString('base64');
}

const form = (fields: Record<string, string>) => ({
  raw: new URLSearchParams(fields).toString(),
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
});

/**
 * The bot check of the booking form (ALTCHA, on by default) and, behind ALTCHA_API, of the JSON
 * API: a solution is accepted once, a wrong or reused one is refused with the input kept and
 * nothing booked, and a browser without JavaScript books after a short wait instead.
 */
describe('bot check: ALTCHA on the booking form and the API', () => {
  let app: TestApp;
  let slotId: string;
  beforeAll(async () => {
    app = await startTestApp({ env: { ALTCHA_API: 'true' } });
    ({ slotId } = await createSlot(app.db, { capacity: 10, startsAt: '2026-06-02T08:00:00Z' }));
  }, 60_000);
  afterAll(() => app?.close());

  const bookings = async (email: string) =>
    (await app.db.query(`SELECT count(*)::int AS n FROM bookings WHERE email = $1`, [email])).rows[0].n as number;
  const fields = (who: { name: string; email: string }, extra: Record<string, string> = {}) => ({
    slotId,
    name: who.name,
    email: who.email,
    phone: '',
    lang: 'de',
    idempotencyKey: `k${Math.random().toString(36).slice(2).padEnd(24, 'x')}`,
    ...extra,
  });

  it('the form books with a solved challenge, once: the same solution again is refused, the input kept, nothing booked', async () => {
    const proof = await solved(app);
    const first = citizen();
    const booked = await http(app, 'POST', '/termine/buchen', form(fields(first, { altcha: proof })));
    expect(booked.status).toBe(303);
    expect(booked.headers.get('location')).toMatch(/^\/buchung\//);
    expect(await bookings(first.email)).toBe(1);

    const second = citizen();
    const replayed = await http(app, 'POST', '/termine/buchen', form(fields(second, { altcha: proof })));
    expect(replayed.status).toBe(400);
    expect(replayed.text).toContain('Die Sicherheitsprüfung ist fehlgeschlagen');
    expect(replayed.text).toContain(`value="${second.email}"`);
    expect(await bookings(second.email)).toBe(0);
  });

  it('a forged or tampered solution is refused', async () => {
    const who = citizen();
    const encode = (p: unknown) => Buffer.from(JSON.stringify(p)).toString('base64');
    const wrongKey = JSON.parse(Buffer.from(await solved(app), 'base64').toString());
    const key: string = wrongKey.solution.derivedKey;
    wrongKey.solution.derivedKey = key.slice(0, -1) + (key.endsWith('0') ? '1' : '0');
    const cheaper = JSON.parse(Buffer.from(await solved(app), 'base64').toString());
    cheaper.challenge.parameters.keyPrefix = '0'; // an easier challenge than the one signed
    for (const altchaField of ['bm90IGpzb24=', encode(wrongKey), encode(cheaper), 'x'.repeat(5000)]) {
      const res = await http(app, 'POST', '/termine/buchen', form(fields(who, { altcha: altchaField })));
      expect(res.status).toBe(400);
    }
    expect(await bookings(who.email)).toBe(0);
  });

  it('without JavaScript (no solution): the form comes back asking for a short wait, then books once with its ticket', async () => {
    const who = citizen();
    const first = await http(app, 'POST', '/termine/buchen', form(fields(who)));
    expect(first.status).toBe(200);
    expect(first.text).toContain('Noch ein Schritt ohne JavaScript');
    expect(first.text).toContain(`value="${who.name}"`);
    const ticket = /name="waitTicket" value="([^"]+)"/.exec(first.text)![1];
    const key = /name="idempotencyKey" value="([^"]+)"/.exec(first.text)![1];
    expect(await bookings(who.email)).toBe(0);

    // Too early: asked again (with a fresh ticket), still nothing booked.
    const early = await http(app, 'POST', '/termine/buchen', form(fields(who, { waitTicket: ticket, idempotencyKey: key })));
    expect(early.status).toBe(200);
    expect(early.text).toContain('Noch ein Schritt ohne JavaScript');
    expect(await bookings(who.email)).toBe(0);

    await new Promise((resolve) => setTimeout(resolve, 5_100));
    const booked = await http(app, 'POST', '/termine/buchen', form(fields(who, { waitTicket: ticket, idempotencyKey: key })));
    expect(booked.status).toBe(303);
    expect(await bookings(who.email)).toBe(1);
    // The ticket is used up; a forged one is refused.
    const other = citizen();
    expect((await http(app, 'POST', '/termine/buchen', form(fields(other, { waitTicket: ticket })))).status).toBe(400);
    expect((await http(app, 'POST', '/termine/buchen', form(fields(other, { waitTicket: '1764650000000.forged' })))).status).toBe(
      400,
    );
    expect(await bookings(other.email)).toBe(0);
  }, 20_000);

  it('with ALTCHA_API the JSON API wants X-Altcha: missing 400 ALTCHA_REQUIRED, solved 201, reused 400 ALTCHA_INVALID', async () => {
    const who = citizen();
    const body = { slotId, name: who.name, email: who.email };
    const missing = await http(app, 'POST', '/api/v1/bookings', { body });
    expect(missing.status).toBe(400);
    expect(missing.body.error.code).toBe('ALTCHA_REQUIRED');
    const proof = await solved(app);
    expect((await http(app, 'POST', '/api/v1/bookings', { body, headers: { 'x-altcha': proof } })).status).toBe(201);
    const again = await http(app, 'POST', '/api/v1/bookings', {
      body: { ...body, email: citizen().email },
      headers: { 'x-altcha': proof },
    });
    expect(again.status).toBe(400);
    expect(again.body.error.code).toBe('ALTCHA_INVALID');
    expect(await bookings(who.email)).toBe(1);
  });
});
