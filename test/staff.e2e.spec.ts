import { SecretsService } from '../src/common/secrets.service';
import { http, startTestApp, TestApp, restoreClockAfterEach } from './support/test-app';

describe('staff accounts, roles and the audit log', () => {
  let app: TestApp;
  restoreClockAfterEach(() => app?.clock);
  beforeAll(async () => {
    // The tests speak for several clients through X-Forwarded-For, as the city's reverse proxy would.
    app = await startTestApp({ env: { TRUST_PROXY: 'true' } });
  });
  afterAll(() => app.close());

  const login = async (email: string, password: string) =>
    (await http(app, 'POST', '/api/v1/auth/login', { body: { email, password } })).body;
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  it('development mode creates one admin on first start', async () => {
    const { rows } = await app.db.query(`SELECT email, role FROM staff_users`);
    expect(rows).toEqual([{ email: 'admin@holdfast.localhost', role: 'admin' }]);
  });

  it('an admin creates a clerk; the clerk logs in; roles are ranked; everything is audited', async () => {
    const { StaffService } = await import('../src/staff/staff.service');
    await app.app
      .get(StaffService)
      .create({ email: 'chefin@test.example', role: 'admin', password: 'very-secret-admin' }, { id: null, label: 'test' });
    const admin = await login('chefin@test.example', 'very-secret-admin');
    expect(admin.staff.role).toBe('admin');

    const created = await http(app, 'POST', '/api/v1/staff/users', {
      body: { email: 'clerk@test.example', role: 'clerk' },
      headers: bearer(admin.token),
    });
    expect(created.status).toBe(201);
    expect(created.body.generatedPassword).toMatch(/^[a-z2-9]{5}(-[a-z2-9]{5}){3}$/);
    const {
      rows: [stored],
    } = await app.db.query(`SELECT password_hash FROM staff_users WHERE email = 'clerk@test.example'`);
    expect(stored.password_hash).toMatch(/^\$argon2id\$/);

    const clerk = await login('CLERK@test.example', created.body.generatedPassword);
    expect((await http(app, 'GET', '/api/v1/auth/me', { headers: bearer(clerk.token) })).body).toMatchObject({
      email: 'clerk@test.example',
      role: 'clerk',
    });
    expect((await http(app, 'GET', '/api/v1/audit', { headers: bearer(clerk.token) })).status).toBe(403);

    const audit = await http(app, 'GET', '/api/v1/audit', { headers: bearer(admin.token) });
    expect(audit.status).toBe(200);
    // The log keeps the address as its keyed hash only.
    const hashed = app.app.get(SecretsService).personalHash('clerk@test.example');
    const create = audit.body.find((e: any) => e.action === 'staff.create' && e.after.email === hashed);
    expect(create).toMatchObject({ actorLabel: 'chefin@test.example', after: { role: 'clerk' } });
    expect(audit.body.filter((e: any) => e.action === 'staff.login').map((e: any) => e.actorLabel)).toEqual(
      expect.arrayContaining(['chefin@test.example', 'clerk@test.example']),
    );
  });

  it('an admin unbinds an account from its single sign-on identity (audited); an unbound one is 409', async () => {
    const admin = await login('chefin@test.example', 'very-secret-admin');
    expect(Object.keys(admin.staff).sort()).toEqual(['displayName', 'email', 'id', 'role']); // no binding in the answer
    const {
      rows: [bound],
    } = await app.db.query(
      `INSERT INTO staff_users (email, display_name, role, password_hash, created_at, sso_issuer, sso_subject)
       VALUES ('sso@test.example', 'Sina Sso', 'clerk', 'not-a-hash', now(), 'https://idp.test.example/realms/stadt', 'abc-123') RETURNING id`,
    );
    const unbind = (id: string, token = admin.token) =>
      http(app, 'POST', `/api/v1/staff/users/${id}/sso-unbind`, { headers: bearer(token) });
    const { StaffService } = await import('../src/staff/staff.service');
    await app.app
      .get(StaffService)
      .create({ email: 'schalter@test.example', role: 'clerk', password: 'clerk-password-1' }, { id: null, label: 'test' });
    const clerk = await login('schalter@test.example', 'clerk-password-1');
    const refused = await unbind(bound.id, clerk.token);
    expect([refused.status, refused.body.error.code]).toEqual([403, 'FORBIDDEN']);
    const res = await unbind(bound.id);
    expect([res.status, res.body]).toEqual([200, { id: bound.id, unbound: true }]);
    const { rows } = await app.db.query(`SELECT sso_issuer, sso_subject FROM staff_users WHERE id = $1`, [bound.id]);
    expect(rows).toEqual([{ sso_issuer: null, sso_subject: null }]);
    const audit = await app.db.query(`SELECT before, after FROM audit_entries WHERE action = 'staff.sso_unbind'`);
    expect(audit.rows).toEqual([
      { before: { issuer: 'https://idp.test.example/realms/stadt', subject: 'abc-123' }, after: { id: bound.id } },
    ]);
    const again = await unbind(bound.id);
    expect([again.status, again.body.error.code]).toEqual([409, 'INVALID_TRANSITION']);
    const unknown = await unbind('3f1e6c2a-9d4b-4c8e-8a7f-1b2c3d4e5f60');
    expect([unknown.status, unknown.body.error.code]).toEqual([404, 'STAFF_NOT_FOUND']);
  });

  it('a session ends after STAFF_SESSION_HOURS', async () => {
    const { StaffService } = await import('../src/staff/staff.service');
    await app.app
      .get(StaffService)
      .create({ email: 'kurz@test.example', role: 'supervisor', password: 'supervisor-secret' }, { id: null, label: 'test' });
    const s = await login('kurz@test.example', 'supervisor-secret');
    expect((await http(app, 'GET', '/api/v1/auth/me', { headers: bearer(s.token) })).status).toBe(200);
    app.clock.advance({ hours: 11 });
    try {
      const late = await http(app, 'GET', '/api/v1/auth/me', { headers: bearer(s.token) });
      expect(late.status).toBe(401);
      expect(late.body.error.code).toBe('UNAUTHENTICATED');
    } finally {
      app.clock.advance({ hours: -11 });
    }
  });

  const loginFrom = (source: string, email: string, password: string) =>
    http(app, 'POST', '/api/v1/auth/login', { body: { email, password }, headers: { 'x-forwarded-for': source } });
  const createClerk = async (email: string) => {
    const { StaffService } = await import('../src/staff/staff.service');
    await app.app.get(StaffService).create({ email, role: 'clerk', password: 'the-right-password' }, { id: null, label: 'test' });
  };
  const failedLoginAudit = async (account: string) =>
    (
      await app.db.query(`SELECT after FROM audit_entries WHERE action = 'staff.login.failed' AND actor_label = $1 ORDER BY at`, [
        account,
      ])
    ).rows.map((r) => r.after);

  it('five wrong passwords slow down that source (30 s, then 60 s …), not the account: its owner logs in from elsewhere', async () => {
    await createClerk('gezielt@test.example');
    for (let i = 0; i < 5; i++) expect((await loginFrom('203.0.113.66', 'gezielt@test.example', `guess-${i}`)).status).toBe(401);
    const sixth = await loginFrom('203.0.113.66', 'gezielt@test.example', 'the-right-password');
    expect([sixth.status, sixth.body.error.code, sixth.headers.get('retry-after')]).toEqual([429, 'LOGIN_THROTTLED', '30']);
    // Before: the account was locked for everyone for 15 minutes.
    expect((await loginFrom('198.51.100.7', 'gezielt@test.example', 'the-right-password')).status).toBe(200);
    app.clock.advance({ seconds: 31 });
    try {
      expect((await loginFrom('203.0.113.66', 'gezielt@test.example', 'guess-5')).status).toBe(401);
      expect((await loginFrom('203.0.113.66', 'gezielt@test.example', 'guess-6')).headers.get('retry-after')).toBe('60');
    } finally {
      app.clock.advance({ seconds: -31 });
    }
  });

  it('an account guessed at from many addresses: from the twentieth failure every source waits, at most 60 s', async () => {
    await createClerk('verteilt@test.example');
    for (let i = 0; i < 20; i++)
      expect((await loginFrom(`203.0.113.${i + 1}`, 'verteilt@test.example', `guess-${i}`)).status).toBe(401);
    const owner = await loginFrom('198.51.100.8', 'verteilt@test.example', 'the-right-password');
    expect([owner.status, owner.body.error.code]).toEqual([429, 'LOGIN_THROTTLED']);
    const wait = Number(owner.headers.get('retry-after'));
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(60);
    app.clock.advance({ seconds: wait });
    try {
      expect((await loginFrom('198.51.100.8', 'verteilt@test.example', 'the-right-password')).status).toBe(200);
    } finally {
      app.clock.advance({ seconds: -wait });
    }
  });

  it('one audit row per burst of failures, with its count, when the burst ends (a right password, or 15 quiet minutes)', async () => {
    await createClerk('zaehler@test.example');
    for (let i = 0; i < 4; i++) await loginFrom('203.0.113.90', 'zaehler@test.example', `guess-${i}`);
    expect(await failedLoginAudit('zaehler@test.example')).toEqual([]);
    expect((await loginFrom('203.0.113.90', 'zaehler@test.example', 'the-right-password')).status).toBe(200);
    expect(await failedLoginAudit('zaehler@test.example')).toMatchObject([{ failures: 4, source: '203.0.113.90' }]);
    for (let i = 0; i < 3; i++) await loginFrom('203.0.113.91', 'zaehler@test.example', `guess-${i}`);
    const { StaffService } = await import('../src/staff/staff.service');
    app.clock.advance({ minutes: 16 });
    try {
      expect(await app.app.get(StaffService).endLoginBursts()).toBeGreaterThan(0);
    } finally {
      app.clock.advance({ minutes: -16 });
    }
    expect(await failedLoginAudit('zaehler@test.example')).toMatchObject([
      { failures: 4, source: '203.0.113.90' },
      { failures: 3, source: '203.0.113.91' },
    ]);
    const { rows } = await app.db.query(
      `SELECT count(*)::int AS n FROM staff_login_failures WHERE account = 'zaehler@test.example'`,
    );
    expect(rows[0].n).toBe(0);
  });

  it('parallel guesses cannot pass the throttle: of ten at once from one source, five are checked and five refused', async () => {
    await createClerk('parallel@test.example');
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) => loginFrom('203.0.113.77', 'parallel@test.example', `guess-${i}`)),
    );
    expect(answers.filter((a) => a.status === 401)).toHaveLength(5);
    expect(answers.filter((a) => a.status === 429)).toHaveLength(5);
  });

  it('health: live and ready', async () => {
    expect((await http(app, 'GET', '/health')).body).toEqual({ status: 'ok' });
    expect((await http(app, 'GET', '/health/ready')).body).toEqual({ status: 'ok', database: 'up', mail: 'up', workers: 'off' });
  });

  it('serves the OpenAPI document with every route', async () => {
    const doc = await http(app, 'GET', '/api/docs/openapi.json');
    expect(doc.status).toBe(200);
    const paths = Object.keys(doc.body.paths);
    for (const p of [
      '/api/v1/locations',
      '/api/v1/services',
      '/api/v1/slots',
      '/api/v1/bookings',
      '/api/v1/bookings/{id}',
      '/api/v1/bookings/{id}/cancel',
      '/confirm',
      '/api/v1/confirmations',
      '/api/v1/auth/login',
      '/health/ready',
    ]) {
      expect(paths).toContain(p);
    }
    expect((await http(app, 'GET', '/api/docs')).status).toBe(200);
  });
});
