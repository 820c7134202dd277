import { ConsoleClient, signedIn, staffAccount } from './support/console';
import { http, restoreClockAfterEach, startTestApp, TestApp } from './support/test-app';

/**
 * The console's sign-in and sessions over real HTTP: the cookie's attributes, a new session id at
 * every sign-in, the form token (login CSRF too), idle and absolute expiry, sign-out, an admin
 * listing and revoking sessions of both kinds, deactivation ending them, and the bearer API as before.
 */
describe('console sign-in and sessions', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ clockStart: '2026-06-01T06:00:00Z' });
  }, 60_000);
  afterAll(() => app?.close());
  restoreClockAfterEach(() => app?.clock);

  it('sends a visitor without a session to the sign-in page, which sets only the sign-in token', async () => {
    const client = new ConsoleClient(app);
    const start = await client.get('/verwaltung?lang=de');
    expect(start.status).toBe(303);
    expect(start.headers.get('location')).toBe('/verwaltung/anmelden?neu=1&weiter=%2Fverwaltung%3Flang%3Dde');
    const form = await client.get('/verwaltung/anmelden?neu=1&weiter=%2Fverwaltung%3Flang%3Dde');
    expect(form.status).toBe(200);
    expect(form.headers.get('cache-control')).toBe('no-store');
    expect(form.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(form.headers.get('content-security-policy')).not.toContain('unsafe-inline');
    expect(form.text).toContain('name="weiter" value="/verwaltung?lang=de"');
    expect([...client.cookies.keys()].sort()).toEqual(['holdfast_lang', 'holdfast_signin']);
  });

  it('signs in with the form: HttpOnly, SameSite=Strict cookie under /verwaltung, a new id each time, audited', async () => {
    const account = await staffAccount(app, 'clerk');
    const client = new ConsoleClient(app);
    const token = await client.csrf('/verwaltung/anmelden');
    const wrong = await client.post('/verwaltung/anmelden', {
      _csrf: token,
      email: account.email,
      password: 'wrong-password-here',
    });
    expect(wrong.status).toBe(401);
    expect(wrong.text).toContain('E-Mail-Adresse oder Passwort ist falsch.');
    expect(wrong.text).toContain(`value="${account.email}"`);
    const ok = await client.post('/verwaltung/anmelden', {
      _csrf: token,
      email: account.email,
      password: account.password,
      weiter: '/verwaltung/suche',
    });
    expect(ok.status).toBe(303);
    expect(ok.headers.get('location')).toBe('/verwaltung/suche');
    const setCookie = ok.headers.getSetCookie().find((c) => c.startsWith('holdfast_staff='))!;
    expect(setCookie).toMatch(/; Path=\/verwaltung; HttpOnly; SameSite=Strict; Max-Age=36000$/);
    expect(setCookie).not.toContain('Secure');
    const first = client.cookies.get('holdfast_staff');
    const home = await client.get('/verwaltung');
    expect(home.status).toBe(200);
    expect(home.text).toContain('Angemeldet als Test clerk (Sachbearbeitung)');
    await client.signIn(account.email, account.password);
    expect(client.cookies.get('holdfast_staff')).not.toBe(first);
    // The session the browser had before is over.
    const old = await http(app, 'GET', '/verwaltung', { headers: { cookie: `holdfast_staff=${first}` } });
    expect(old.status).toBe(303);
    const { rows } = await app.db.query(
      `SELECT count(*)::int AS n FROM audit_entries WHERE action = 'staff.login' AND actor_label = $1`,
      [account.email],
    );
    expect(rows[0].n).toBe(2);
  });

  it('refuses a sign-in form without its token, and any console form without the session token (audited)', async () => {
    const account = await staffAccount(app, 'clerk');
    const client = new ConsoleClient(app);
    await client.get('/verwaltung/anmelden');
    const forged = await client.post('/verwaltung/anmelden', {
      _csrf: 'forged-token-value-123456',
      email: account.email,
      password: account.password,
    });
    expect(forged.status).toBe(403);
    expect(client.cookies.has('holdfast_staff')).toBe(false);
    await client.signIn(account.email, account.password);
    const noToken = await client.post('/verwaltung/abmelden', {});
    expect(noToken.status).toBe(403);
    expect(noToken.text).toContain('Formular abgelaufen');
    expect((await client.get('/verwaltung')).status).toBe(200);
    const { rows } = await app.db.query(`SELECT after FROM audit_entries WHERE action = 'access.refused' AND actor_label = $1`, [
      account.email,
    ]);
    expect(rows).toEqual([{ after: { route: 'POST /verwaltung/abmelden', csrf: 'invalid' } }]);
  });

  it('signs out: the session ends and its cookie is cleared', async () => {
    const { client } = await signedIn(app, 'clerk');
    const cookie = client.cookies.get('holdfast_staff');
    const out = await client.submit('/verwaltung/abmelden', {});
    expect(out.status).toBe(303);
    expect(out.headers.get('location')).toBe('/verwaltung/anmelden?abgemeldet=1');
    expect(client.cookies.has('holdfast_staff')).toBe(false);
    const again = await http(app, 'GET', '/verwaltung', { headers: { cookie: `holdfast_staff=${cookie}` } });
    expect(again.status).toBe(303);
  });

  it('ends a session unused for STAFF_SESSION_IDLE_MINUTES, and any after STAFF_SESSION_HOURS however busy', async () => {
    const { client } = await signedIn(app, 'clerk');
    app.clock.advance({ minutes: 29 });
    expect((await client.get('/verwaltung')).status).toBe(200);
    app.clock.advance({ minutes: 29 });
    expect((await client.get('/verwaltung')).status).toBe(200);
    app.clock.advance({ minutes: 31 });
    const idle = await client.get('/verwaltung');
    expect(idle.status).toBe(303);
    expect(idle.headers.get('location')).toContain('abgelaufen=1');

    const busy = await signedIn(app, 'clerk');
    for (let i = 0; i < 9 * 3; i++) {
      app.clock.advance({ minutes: 20 });
      expect((await busy.client.get('/verwaltung')).status).toBe(200);
    }
    app.clock.advance({ minutes: 61 });
    expect((await busy.client.get('/verwaltung')).status).toBe(303);
  });

  it('keeps cookie and bearer apart: a bearer token is no console session, a cookie no API token', async () => {
    const account = await staffAccount(app, 'clerk');
    const bearer = (await http(app, 'POST', '/api/v1/auth/login', { body: { email: account.email, password: account.password } }))
      .body.token;
    expect((await http(app, 'GET', '/api/v1/auth/me', { headers: { authorization: `Bearer ${bearer}` } })).status).toBe(200);
    expect((await http(app, 'GET', '/verwaltung', { headers: { cookie: `holdfast_staff=${bearer}` } })).status).toBe(303);
    const client = new ConsoleClient(app);
    await client.signIn(account.email, account.password);
    const cookie = client.cookies.get('holdfast_staff');
    expect((await http(app, 'GET', '/api/v1/auth/me', { headers: { authorization: `Bearer ${cookie}` } })).status).toBe(401);
    const out = await http(app, 'POST', '/api/v1/auth/logout', { headers: { authorization: `Bearer ${bearer}` } });
    expect(out.status).toBe(200);
    expect((await http(app, 'GET', '/api/v1/auth/me', { headers: { authorization: `Bearer ${bearer}` } })).status).toBe(401);
  });

  it('an admin lists sessions of both kinds without tokens, revokes one, and deactivating an account ends all of its', async () => {
    const admin = await staffAccount(app, 'admin');
    const adminToken = (await http(app, 'POST', '/api/v1/auth/login', { body: { email: admin.email, password: admin.password } }))
      .body.token;
    const as = { authorization: `Bearer ${adminToken}` };
    const clerk = await staffAccount(app, 'clerk');
    const bearer = (await http(app, 'POST', '/api/v1/auth/login', { body: { email: clerk.email, password: clerk.password } }))
      .body.token;
    const browser = new ConsoleClient(app);
    await browser.signIn(clerk.email, clerk.password);
    const second = new ConsoleClient(app);
    await second.signIn(clerk.email, clerk.password);

    const listed = await http(app, 'GET', `/api/v1/staff/sessions?staffUserId=${clerk.id}`, { headers: as });
    expect(listed.status).toBe(200);
    expect(listed.body.map((s: { kind: string }) => s.kind).sort()).toEqual(['bearer', 'cookie', 'cookie']);
    expect(listed.text).not.toContain(bearer);
    expect(listed.text).not.toContain(browser.cookies.get('holdfast_staff'));

    const clerkAsk = await http(app, 'GET', '/api/v1/staff/sessions', { headers: { authorization: `Bearer ${bearer}` } });
    expect(clerkAsk.status).toBe(403);

    const cookieSession = listed.body.find((s: { kind: string }) => s.kind === 'cookie');
    expect((await http(app, 'DELETE', `/api/v1/staff/sessions/${cookieSession.id}`, { headers: as })).status).toBe(200);
    expect((await http(app, 'DELETE', `/api/v1/staff/sessions/${cookieSession.id}`, { headers: as })).status).toBe(404);
    const stillIn = [(await browser.get('/verwaltung')).status, (await second.get('/verwaltung')).status].sort();
    expect(stillIn).toEqual([200, 303]);

    const off = await http(app, 'POST', `/api/v1/staff/users/${clerk.id}/deactivate`, { headers: as });
    expect(off.status).toBe(200);
    expect(off.body.sessionsEnded).toBe(2);
    expect((await browser.get('/verwaltung')).status).toBe(303);
    expect((await second.get('/verwaltung')).status).toBe(303);
    expect((await http(app, 'GET', '/api/v1/auth/me', { headers: { authorization: `Bearer ${bearer}` } })).status).toBe(401);
    const relogin = await http(app, 'POST', '/api/v1/auth/login', { body: { email: clerk.email, password: clerk.password } });
    expect(relogin.status).toBe(401);
    expect((await http(app, 'POST', `/api/v1/staff/users/${clerk.id}/deactivate`, { headers: as })).body.error.code).toBe(
      'INVALID_TRANSITION',
    );
    expect((await http(app, 'POST', `/api/v1/staff/users/${admin.id}/deactivate`, { headers: as })).body.error.code).toBe(
      'STAFF_SELF_CHANGE',
    );
  });

  it('marks the cookie Secure when PUBLIC_BASE_URL is https', async () => {
    const secure = await startTestApp({ env: { PUBLIC_BASE_URL: 'https://termine.stadt.example' } });
    try {
      const account = await staffAccount(secure, 'clerk');
      const client = new ConsoleClient(secure);
      const res = await client.signIn(account.email, account.password);
      expect(res.headers.getSetCookie().find((c) => c.startsWith('holdfast_staff='))).toContain('; Secure;');
    } finally {
      await secure.close();
    }
  }, 60_000);
});
