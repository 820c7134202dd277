import { ConfigError, loadConfig } from './app-config';

describe('configuration', () => {
  it('has defaults for everything', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      port: 3000,
      confirmWindowMinutes: 60,
      devMail: true,
      databaseUrl: undefined,
      publicBaseUrl: 'http://localhost:3000',
      maxBookingsPerLocationDay: 3,
      retentionDays: 90,
    });
    expect(loadConfig({ RETENTION_DAYS: '30' }).retentionDays).toBe(30);
    expect(() => loadConfig({ RETENTION_DAYS: '0' })).toThrow(/RETENTION_DAYS/);
    // Behind PgBouncer: named statements and start-up parameters off, the migration direct.
    expect(loadConfig({}).preparedStatements).toBe(true);
    expect(loadConfig({}).dbPoolSize).toBe(20);
    expect(loadConfig({ DB_POOL_SIZE: '8' }).dbPoolSize).toBe(8);
    expect(() => loadConfig({ DB_POOL_SIZE: '1' })).toThrow(/DB_POOL_SIZE/);
    expect(loadConfig({}).databaseTimeouts.startupParameters).toBe(true);
    const pooled = loadConfig({
      HOLDFAST_DEV: 'true',
      DATABASE_URL: 'postgres://app@pgbouncer:6432/holdfast',
      DATABASE_MIGRATION_URL: 'postgres://app@db:5432/holdfast',
      DB_PREPARED_STATEMENTS: 'false',
      DB_STARTUP_PARAMETERS: 'false',
    });
    expect(pooled).toMatchObject({ preparedStatements: false, databaseMigrationUrl: 'postgres://app@db:5432/holdfast' });
    expect(pooled.databaseTimeouts.startupParameters).toBe(false);
  });

  it('seeds demo data by default only with the embedded database', () => {
    expect(loadConfig({}).seedDemo).toBe(true);
    expect(loadConfig({ HOLDFAST_DEV: 'true', DATABASE_URL: 'postgres://x@db/holdfast' }).seedDemo).toBe(false);
    expect(loadConfig({ HOLDFAST_DEV: 'true', DATABASE_URL: 'postgres://x@db/holdfast', SEED_DEMO: 'true' }).seedDemo).toBe(true);
  });

  it('reads and converts variables', () => {
    const c = loadConfig({
      PORT: '8080',
      SMTP_URL: 'smtp://relay.stadt.example:25',
      PUBLIC_BASE_URL: 'https://termine.stadt.example/',
      CONFIRM_WINDOW_MINUTES: '90',
      SEED_DEMO: 'false',
    });
    expect(c).toMatchObject({
      port: 8080,
      devMail: false,
      smtpUrl: 'smtp://relay.stadt.example:25',
      publicBaseUrl: 'https://termine.stadt.example',
      confirmWindowMinutes: 90,
      seedDemo: false,
    });
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ CONFIRM_WINDOW_MINUTES: '0' }, 'CONFIRM_WINDOW_MINUTES'],
    [{ PUBLIC_BASE_URL: 'termine.stadt.example' }, 'PUBLIC_BASE_URL'],
    [{ APP_SECRET: 'short' }, 'APP_SECRET'],
    [{ LOG_FORMAT: 'xml' }, 'LOG_FORMAT'],
    [{ SMTP_URL: 'relay.stadt.example:25' }, 'SMTP_URL'],
  ])('refuses %j with a message naming %s', (env, name) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(new RegExp(name));
  });

  it('refuses direct delivery together with a relay, and half a DKIM setup', () => {
    expect(() => loadConfig({ MAIL_TRANSPORT: 'direct', SMTP_URL: 'smtp://relay:25' })).toThrow(/exclude each other/);
    expect(() => loadConfig({ DKIM_DOMAIN: 'stadt.example' })).toThrow(/DKIM needs/);
    expect(() => loadConfig({ DKIM_DOMAIN: 'stadt.example', DKIM_SELECTOR: 's1', DKIM_PRIVATE_KEY: 'not a key' })).toThrow(/PEM/);
  });

  it('refuses a request timeout shorter than the longest a booking may take to commit', () => {
    expect(() => loadConfig({ REQUEST_TIMEOUT_MS: '5000' })).toThrow(/REQUEST_TIMEOUT_MS must be at least .*8000/);
    expect(loadConfig({ REQUEST_TIMEOUT_MS: '8000' }).requestTimeoutMs).toBe(8000);
  });

  it('direct delivery looks up MX hosts and has no development catcher', () => {
    expect(loadConfig({ MAIL_TRANSPORT: 'direct' })).toMatchObject({
      devMail: false,
      mxLookup: true,
      mailTransport: 'direct',
      directSmtpPort: 25,
    });
  });

  describe('production mode', () => {
    const city = {
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://holdfast@db.stadt.internal/holdfast',
      SMTP_URL: 'smtp://relay.stadt.internal:25',
      APP_SECRET: 'x'.repeat(40),
      PUBLIC_BASE_URL: 'https://termine.stadt.example',
    };

    it('runs with a database, a mail transport, a secret and an https address, and nothing of development mode', () => {
      const c = loadConfig(city);
      expect(c).toMatchObject({
        production: true,
        devMail: false,
        mailMode: 'relay',
        seedDemo: false,
        swaggerUi: false,
        logFormat: 'json',
      });
      expect(loadConfig({ ...city, SMTP_URL: undefined, MAIL_TRANSPORT: 'direct' })).toMatchObject({
        devMail: false,
        mailMode: 'direct',
      });
      expect(loadConfig({ ...city, SWAGGER_UI: 'true' }).swaggerUi).toBe(true);
      // Plain http only on the machine itself (a trial, the CI's start check).
      expect(loadConfig({ ...city, PUBLIC_BASE_URL: 'http://localhost:3000' }).publicBaseUrl).toBe('http://localhost:3000');
      expect(loadConfig({ ...city, PUBLIC_BASE_URL: 'http://127.0.0.1:8080' }).production).toBe(true);
    });

    it.each([
      ['no SMTP_URL', { SMTP_URL: undefined }, /SMTP_URL: production needs a mail transport/],
      ['an empty SMTP_URL', { SMTP_URL: '' }, /SMTP_URL: production needs a mail transport/],
      ['no APP_SECRET', { APP_SECRET: undefined }, /APP_SECRET: production needs a key of its own/],
      ['no PUBLIC_BASE_URL', { PUBLIC_BASE_URL: undefined }, /PUBLIC_BASE_URL: production needs the address/],
      [
        'an http PUBLIC_BASE_URL',
        { PUBLIC_BASE_URL: 'http://termine.stadt.example' },
        /PUBLIC_BASE_URL="http:\/\/termine.stadt.example": production wants https/,
      ],
      ['no DATABASE_URL', { DATABASE_URL: undefined }, /DATABASE_URL: production needs the PostgreSQL server/],
      ['HOLDFAST_DEV', { HOLDFAST_DEV: 'true' }, /HOLDFAST_DEV=true contradicts NODE_ENV=production/],
      ['SEED_DEMO', { SEED_DEMO: 'true' }, /SEED_DEMO=true: demo offices are never seeded in production/],
    ])('refuses %s with a message naming the variable', (_what, change, message) => {
      expect(() => loadConfig({ ...city, ...change })).toThrow(ConfigError);
      expect(() => loadConfig({ ...city, ...change })).toThrow(message);
    });

    it('names every problem at once', () => {
      expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/DATABASE_URL[^]*SMTP_URL[^]*APP_SECRET[^]*PUBLIC_BASE_URL/);
    });

    it('lets a migration job start with the database alone', () => {
      expect(loadConfig({ NODE_ENV: 'production', DATABASE_URL: city.DATABASE_URL }, { forRuntime: false })).toMatchObject({
        production: true,
        databaseUrl: city.DATABASE_URL,
      });
    });
  });

  it('wants development mode asked for when DATABASE_URL is set outside production', () => {
    const db = { DATABASE_URL: 'postgres://holdfast@db.stadt.internal/holdfast' };
    expect(() => loadConfig(db)).toThrow(
      /DATABASE_URL is set but NODE_ENV is not production: set NODE_ENV=production .* HOLDFAST_DEV=true/,
    );
    expect(() => loadConfig({ ...db, NODE_ENV: 'staging' })).toThrow(ConfigError);
    expect(loadConfig({ ...db, HOLDFAST_DEV: 'true' })).toMatchObject({ production: false, devMail: true });
    expect(loadConfig({ ...db, NODE_ENV: 'development' })).toMatchObject({ production: false, devMail: true });
    // Without DATABASE_URL the embedded database is the try-out: nothing to ask for.
    expect(loadConfig({})).toMatchObject({
      production: false,
      devMail: true,
      swaggerUi: true,
      logFormat: 'log',
      migrateOnStart: true,
    });
  });

  it('keeps the shutdown shorter than the outbox lease', () => {
    expect(loadConfig({}).shutdownTimeoutMs).toBe(20_000);
    // A short lease (tests, a fast failover) brings the default down with it.
    expect(loadConfig({ OUTBOX_LEASE_SECONDS: '5' }).shutdownTimeoutMs).toBe(4000);
    expect(() => loadConfig({ SHUTDOWN_TIMEOUT_MS: '60000' })).toThrow(
      /SHUTDOWN_TIMEOUT_MS must be shorter than OUTBOX_LEASE_SECONDS/,
    );
    expect(loadConfig({ SHUTDOWN_TIMEOUT_MS: '60000', OUTBOX_LEASE_SECONDS: '120' }).shutdownTimeoutMs).toBe(60_000);
    expect(loadConfig({ MIGRATE_ON_START: 'false' }).migrateOnStart).toBe(false);
    expect(() => loadConfig({ LOG_LEVEL: 'loud' })).toThrow(/LOG_LEVEL/);
    expect(() => loadConfig({ METRICS_TOKEN: 'short' })).toThrow(/METRICS_TOKEN/);
  });
});

describe('single sign-on in production', () => {
  const prod = {
    NODE_ENV: 'production',
    DATABASE_URL: 'postgres://u:p@db.stadt.example/holdfast',
    SMTP_URL: 'smtp://relay.stadt.example:25',
    APP_SECRET: 'a-production-secret-of-at-least-32-characters',
    PUBLIC_BASE_URL: 'https://termine.stadt.example',
    METRICS_TOKEN: 'metrics-token-of-some-length-0123456789',
    OIDC_CLIENT_ID: 'holdfast',
    OIDC_CLIENT_SECRET: 'secret',
  };
  it('refuses an http issuer other than loopback, takes https', () => {
    expect(() => loadConfig({ ...prod, OIDC_ISSUER: 'http://keycloak.stadt.example/realms/stadt' })).toThrow(
      /OIDC_ISSUER must be an https/,
    );
    expect(loadConfig({ ...prod, OIDC_ISSUER: 'https://keycloak.stadt.example/realms/stadt' }).oidc?.issuer).toBe(
      'https://keycloak.stadt.example/realms/stadt',
    );
  });
});
