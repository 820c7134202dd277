import { Browser, Page } from 'playwright-core';
import { launchBrowser, seriousViolations } from './support/browser';
import { LocalOidcProvider } from './support/oidc-provider';
import { freePort } from './support/ports';
import { http, startTestApp, TestApp } from './support/test-app';

/**
 * Single sign-on in a real browser against a real OpenID provider (npm oidc-provider) on
 * loopback: the account is made on first sign-in with the role and offices of its claims, its
 * role follows the claims at the next sign-in, a person without a holdfast role is refused, and
 * with STAFF_PASSWORD_LOGIN=false the password form is gone (console and API).
 */
describe('console single sign-on (OpenID Connect)', () => {
  const provider = new LocalOidcProvider();
  let app: TestApp;
  let browser: Browser;
  let page: Page;
  let office: string;

  beforeAll(async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    office = '0b7e1f7a-5b1e-4a52-9a57-3d0c7e2b9a11';
    await provider.start(`${base}/verwaltung/sso/rueckkehr`, {
      'kc-clerk': {
        email: 'Sachbearbeitung@Stadt.example',
        name: 'Sina Sachbearbeitung',
        holdfast_role: ['user', 'clerk'],
        holdfast_offices: [office],
      },
      'kc-chief': { email: 'leitung@stadt.example', name: 'Lena Leitung', holdfast_role: 'supervisor' },
      'kc-nobody': { email: 'praktikant@stadt.example', name: 'Paul Praktikant', holdfast_role: ['user'] },
      // Another identity at the provider showing Lena Leitung's (verified) address.
      'kc-impostor': { email: 'Leitung@stadt.example', name: 'Ina Irrtum', holdfast_role: 'admin' },
    });
    app = await startTestApp({
      env: {
        PORT: String(port),
        PUBLIC_BASE_URL: base,
        OIDC_ISSUER: provider.issuer,
        OIDC_CLIENT_ID: provider.clientId,
        OIDC_CLIENT_SECRET: provider.clientSecret,
        STAFF_PASSWORD_LOGIN: 'false',
      },
    });
    await app.db.query(
      `INSERT INTO locations (id, name, address, time_zone) VALUES ($1, 'Bürgeramt SSO', 'Weg 1', 'Europe/Berlin')`,
      [office],
    );
    browser = await launchBrowser();
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await provider.stop();
  });
  beforeEach(async () => {
    page = await browser.newPage({ locale: 'de-DE' });
  });
  afterEach(async () => {
    await page.close();
  });

  /** Through the provider's own login form (its development interactions: any password). */
  const signInAs = async (login: string) => {
    await page.goto(`${app.url}/verwaltung/suche`);
    await page.waitForURL(/\/verwaltung\/anmelden/);
    await page.getByRole('link', { name: 'Mit dem Konto der Stadt anmelden (Single Sign-on)' }).click();
    await page.waitForURL(new RegExp(`^${provider.issuer}/`));
    await page.locator('input[name="login"]').fill(login);
    await page.locator('input[name="password"]').fill('any-password');
    await page.locator('button[type="submit"]').click();
  };

  it('signs a clerk in: the account is made with the role and offices of the claims, the session is the console cookie', async () => {
    await signInAs('kc-clerk');
    await page.waitForURL(`${app.url}/verwaltung/suche`);
    expect(await page.getByText('Angemeldet als Sina Sachbearbeitung (Sachbearbeitung)').count()).toBe(1);
    expect(await seriousViolations(page)).toEqual([]);
    const { rows } = await app.db.query(
      `SELECT u.role, array_agg(l.location_id::text) AS offices FROM staff_users u LEFT JOIN staff_user_locations l ON l.staff_user_id = u.id
        WHERE u.email = 'sachbearbeitung@stadt.example' GROUP BY u.role`,
    );
    expect(rows).toEqual([{ role: 'clerk', offices: [office] }]);
    const cookies = await page.context().cookies();
    expect(cookies.find((c) => c.name === 'holdfast_staff')).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    expect(cookies.find((c) => c.name === 'holdfast_sso')).toBeUndefined();
    const day = await page.goto(`${app.url}/verwaltung/tag`);
    expect(day!.status()).toBe(200);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toContain('Bürgeramt SSO');
    const audit = await app.db.query(
      `SELECT after FROM audit_entries WHERE action = 'staff.login' AND actor_label = 'sachbearbeitung@stadt.example'`,
    );
    expect(audit.rows[0].after).toMatchObject({ kind: 'cookie', via: 'oidc' });
  });

  it('a supervisor by claim reaches the supervisor pages; a person without a holdfast role is refused', async () => {
    await signInAs('kc-chief');
    await page.waitForURL(`${app.url}/verwaltung/suche`);
    expect((await page.goto(`${app.url}/verwaltung/anbieter`))!.status()).toBe(200);
    await page.context().clearCookies();
    await signInAs('kc-nobody');
    await page.waitForURL(/\/verwaltung\/sso\/rueckkehr/);
    expect(await page.locator('#error-summary').textContent()).toContain('keine Rolle für die Terminverwaltung');
    expect(
      (await app.db.query(`SELECT count(*)::int AS n FROM staff_users WHERE email = 'praktikant@stadt.example'`)).rows[0].n,
    ).toBe(0);
  });

  it('an account is bound to the person at the provider: another identity with its address is refused, a changed address follows it', async () => {
    await signInAs('kc-chief');
    await page.waitForURL(`${app.url}/verwaltung/suche`);
    const account = async (where: string, params: unknown[]) =>
      (
        await app.db.query(
          `SELECT u.id, u.email, u.role, u.sso_issuer, u.sso_subject,
                  (SELECT count(*)::int FROM staff_sessions s WHERE s.staff_user_id = u.id) AS sessions
             FROM staff_users u WHERE ${where}`,
          params,
        )
      ).rows;
    const [lena] = await account(`email = $1`, ['leitung@stadt.example']);
    expect(lena).toMatchObject({ role: 'supervisor', sso_issuer: provider.issuer, sso_subject: 'kc-chief' });

    await page.context().clearCookies();
    await signInAs('kc-impostor');
    await page.waitForURL(/\/verwaltung\/sso\/rueckkehr/);
    expect(await page.locator('#error-summary').textContent()).toContain('gehört zu einer anderen Anmeldung der Stadt');
    expect((await page.context().cookies()).find((c) => c.name === 'holdfast_staff')).toBeUndefined();
    // No session, no role from the other identity's claims, no second account.
    expect(await account(`email = $1`, ['leitung@stadt.example'])).toEqual([lena]);
    expect(await account(`sso_subject = $1`, ['kc-impostor'])).toEqual([]);

    // The directory changes her address: the same account signs in, under the new address.
    await provider.setAccounts({
      'kc-chief': { email: 'lena.leitung@stadt.example', name: 'Lena Leitung', holdfast_role: 'supervisor' },
    });
    await page.context().clearCookies();
    await signInAs('kc-chief');
    await page.waitForURL(`${app.url}/verwaltung/suche`);
    expect(await account(`sso_subject = $1`, ['kc-chief'])).toEqual([
      { ...lena, email: 'lena.leitung@stadt.example', sessions: lena.sessions + 1 },
    ]);
    // The audit log keeps addresses pseudonymised: two different ones.
    const audit = await app.db.query(`SELECT before, after FROM audit_entries WHERE action = 'staff.email'`);
    expect(audit.rows).toEqual([
      { before: { email: expect.stringMatching(/^hmac:/) }, after: { id: lena.id, email: expect.stringMatching(/^hmac:/) } },
    ]);
    expect(audit.rows[0].before.email).not.toBe(audit.rows[0].after.email);
  });

  it('an account an admin made is bound at its first single sign-on, by its verified address', async () => {
    const made = await app.db.query(
      `INSERT INTO staff_users (email, display_name, role, password_hash, created_at)
       VALUES ('amt@stadt.example', 'Anna Amt', 'clerk', 'not-a-hash', now()) RETURNING id`,
    );
    await provider.setAccounts({ 'kc-amt': { email: 'amt@stadt.example', name: 'Anna Amt', holdfast_role: 'clerk' } });
    await signInAs('kc-amt');
    await page.waitForURL(`${app.url}/verwaltung/suche`);
    const { rows } = await app.db.query(`SELECT id, sso_subject FROM staff_users WHERE email = 'amt@stadt.example'`);
    expect(rows).toEqual([{ id: made.rows[0].id, sso_subject: 'kc-amt' }]);
    const audit = await app.db.query(`SELECT after FROM audit_entries WHERE action = 'staff.sso_bind'`);
    expect(audit.rows).toEqual([{ after: { id: made.rows[0].id, issuer: provider.issuer, subject: 'kc-amt' } }]);
  });

  it('a return without the browser’s own transit cookie (a forged or replayed callback) signs nobody in', async () => {
    const res = await http(app, 'GET', '/verwaltung/sso/rueckkehr?code=forged-code&state=forged-state');
    expect(res.status).toBe(400);
    expect(res.headers.getSetCookie().some((c) => c.startsWith('holdfast_staff='))).toBe(false);
  });

  it('with STAFF_PASSWORD_LOGIN=false there is no password form, and the password API refuses', async () => {
    const form = await http(app, 'GET', '/verwaltung/anmelden');
    expect(form.text).not.toContain('name="password"');
    expect(form.text).toContain('/verwaltung/sso?weiter=');
    const api = await http(app, 'POST', '/api/v1/auth/login', {
      body: { email: 'leitung@stadt.example', password: 'whatever-it-is' },
    });
    expect(api.status).toBe(403);
    expect(api.body.error.code).toBe('PASSWORD_LOGIN_OFF');
  });
});
