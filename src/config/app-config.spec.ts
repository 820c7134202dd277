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
    expect(loadConfig({}).databaseTimeouts.startupParameters).toBe(true);
    const pooled = loadConfig({
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
    expect(loadConfig({ DATABASE_URL: 'postgres://x@db/holdfast' }).seedDemo).toBe(false);
    expect(loadConfig({ DATABASE_URL: 'postgres://x@db/holdfast', SEED_DEMO: 'true' }).seedDemo).toBe(true);
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
});
