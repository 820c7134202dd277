import { http, startTestApp, TestApp, restoreClockAfterEach } from './support/test-app';

describe('staff accounts, roles and the audit log', () => {
  let app: TestApp;
  restoreClockAfterEach(() => app?.clock);
  beforeAll(async () => {
    app = await startTestApp();
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
    const create = audit.body.find((e: any) => e.action === 'staff.create' && e.after.email === 'clerk@test.example');
    expect(create).toMatchObject({ actorLabel: 'chefin@test.example', after: { role: 'clerk' } });
    expect(audit.body.filter((e: any) => e.action === 'staff.login').map((e: any) => e.actorLabel)).toEqual(
      expect.arrayContaining(['chefin@test.example', 'clerk@test.example']),
    );
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

  it('five wrong passwords lock the account for 15 minutes, audited; the right one is refused meanwhile', async () => {
    const { StaffService } = await import('../src/staff/staff.service');
    await app.app
      .get(StaffService)
      .create({ email: 'gezielt@test.example', role: 'clerk', password: 'the-right-password' }, { id: null, label: 'test' });
    for (let i = 0; i < 5; i++)
      expect(
        (await http(app, 'POST', '/api/v1/auth/login', { body: { email: 'gezielt@test.example', password: `guess-${i}` } }))
          .status,
      ).toBe(401);
    const locked = await http(app, 'POST', '/api/v1/auth/login', {
      body: { email: 'gezielt@test.example', password: 'the-right-password' },
    });
    expect(locked.status).toBe(429);
    expect(locked.body.error.code).toBe('LOGIN_THROTTLED');
    app.clock.advance({ minutes: 16 });
    try {
      expect(
        (
          await http(app, 'POST', '/api/v1/auth/login', {
            body: { email: 'gezielt@test.example', password: 'the-right-password' },
          })
        ).status,
      ).toBe(200);
    } finally {
      app.clock.advance({ minutes: -16 });
    }
    const { rows } = await app.db.query(
      `SELECT count(*)::int AS n FROM audit_entries WHERE action = 'staff.login.failed' AND actor_label = 'gezielt@test.example'`,
    );
    expect(rows[0].n).toBe(5);
  });

  it('parallel guesses cannot pass the throttle: of ten at once, five are checked and five refused', async () => {
    const { StaffService } = await import('../src/staff/staff.service');
    await app.app
      .get(StaffService)
      .create({ email: 'parallel@test.example', role: 'clerk', password: 'the-right-password' }, { id: null, label: 'test' });
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        http(app, 'POST', '/api/v1/auth/login', { body: { email: 'parallel@test.example', password: `guess-${i}` } }),
      ),
    );
    expect(answers.filter((a) => a.status === 401)).toHaveLength(5);
    expect(answers.filter((a) => a.status === 429)).toHaveLength(5);
  });

  it('health: live and ready', async () => {
    expect((await http(app, 'GET', '/health')).body).toEqual({ status: 'ok' });
    expect((await http(app, 'GET', '/health/ready')).body).toEqual({ status: 'ok', database: 'up' });
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
