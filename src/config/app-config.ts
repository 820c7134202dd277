import { readFileSync } from 'node:fs';
import { plainToInstance, Transform } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  validateSync,
} from 'class-validator';

/** Germany and the other EU member states: the calling codes SMS may go to unless SMS_COUNTRY_CODES says otherwise. */
export const EU_CALLING_CODES = [
  49, 43, 32, 359, 385, 357, 420, 45, 372, 358, 33, 30, 36, 353, 39, 371, 370, 352, 356, 31, 48, 351, 40, 421, 386, 34, 46,
] as const;

const toInt = ({ value }: { value: unknown }) => (value === undefined || value === '' ? undefined : Number(value));
const toBool = ({ value }: { value: unknown }) =>
  value === undefined || value === '' ? undefined : ['1', 'true', 'yes', 'on'].includes(String(value).toLowerCase());
const emptyToUndefined = ({ value }: { value: unknown }) => (value === '' ? undefined : value);

/**
 * Every environment variable holdfast reads, with its default. README's configuration table
 * lists the same names; start-up fails with a clear message when one is malformed.
 */
export class EnvSchema {
  /** `production`: the city's installation (no development mail catcher, no /dev routes, no development admin; see refusals below). */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  NODE_ENV?: string = undefined;

  /** Development mode against a DATABASE_URL of one's own must be asked for (NODE_ENV=development does it too). */
  @Transform(toBool)
  @IsOptional()
  @IsBoolean()
  HOLDFAST_DEV?: boolean = undefined;

  /** Apply pending migrations at start-up; `false` leaves them to `npm run migration:run` as a job of its own. */
  @Transform(toBool)
  @IsBoolean()
  MIGRATE_ON_START = true;

  /** On SIGTERM the running work must end within this, else the process exits anyway (shorter than the outbox lease). */
  @Transform(toInt)
  @IsInt()
  @Min(1000)
  @Max(600_000)
  SHUTDOWN_TIMEOUT_MS = 20_000;

  /** pino's level: fatal, error, warn, info, debug, trace or silent. */
  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent' = 'info';

  /** `GET /metrics` wants `Authorization: Bearer <METRICS_TOKEN>`; unset: open in development, refused (403) in production. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  @MinLength(16)
  METRICS_TOKEN?: string = undefined;

  /** Swagger UI and the OpenAPI document at /api/docs. Default: on in development, off in production. */
  @Transform(toBool)
  @IsOptional()
  @IsBoolean()
  SWAGGER_UI?: boolean = undefined;

  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 3000;

  @IsString()
  @MinLength(1)
  HOST = '0.0.0.0';

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  DATABASE_URL?: string = undefined;

  /** The start-up migration's connection (it holds a session-level advisory lock): direct to PostgreSQL, not through a transaction pooler. Default: DATABASE_URL. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  DATABASE_MIGRATION_URL?: string = undefined;

  /** Connections the app keeps to the database (per instance). Behind PgBouncer, at most its default_pool_size. */
  @Transform(toInt)
  @IsInt()
  @Min(2)
  @Max(500)
  DB_POOL_SIZE = 20;

  /** Named (server-side) prepared statements on the booking path; `false` behind PgBouncer < 1.21 in transaction mode. */
  @Transform(toBool)
  @IsBoolean()
  DB_PREPARED_STATEMENTS = true;

  /**
   * The statement and idle timeouts and the commit window as connection start-up parameters;
   * `false` behind PgBouncer (which refuses them): then set them on the database role instead.
   */
  @Transform(toBool)
  @IsBoolean()
  DB_STARTUP_PARAMETERS = true;

  @IsString()
  DATA_DIR = './.data';

  @Transform(toInt)
  @IsInt()
  @Min(1024)
  @Max(65535)
  EMBEDDED_PG_PORT = 54329;

  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^smtps?:\/\/[^\s]+$/, { message: 'SMTP_URL must look like smtp://host:port or smtps://user:password@host:465' })
  SMTP_URL?: string = undefined;

  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(65535)
  DEV_SMTP_PORT = 0;

  @IsString()
  @MinLength(3)
  MAIL_FROM = 'Bürgeramt Terminvergabe <termine@holdfast.localhost>';

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsUrl({ require_tld: false, require_protocol: true })
  PUBLIC_BASE_URL?: string = undefined;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  @MinLength(32)
  APP_SECRET?: string = undefined;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(7 * 24 * 60)
  CONFIRM_WINDOW_MINUTES = 60;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100)
  MAX_BOOKINGS_PER_LOCATION_DAY = 3;

  /** New bookings are refused for an address with this many no-shows in the last 90 days (any office); 0: off. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(100)
  NO_SHOW_LIMIT = 0;

  /** While the confirmation cannot arrive the hold is extended, up to this long after booking (goodwill may pass it). */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(24 * 30)
  HOLD_MAX_HOURS = 72;

  /** Holds end at the latest this long before the slot starts (extensions and goodwill never pass it). */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(24 * 60)
  CONFIRM_CUTOFF_MINUTES = 60;

  /** Default: on with the embedded database (try-out), off when DATABASE_URL points at a real one. */
  @Transform(toBool)
  @IsOptional()
  @IsBoolean()
  SEED_DEMO?: boolean = undefined;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(365)
  SLOT_HORIZON_DAYS = 14;

  @Transform(toBool)
  @IsBoolean()
  WORKERS_ENABLED = true;

  @Transform(toInt)
  @IsInt()
  @Min(10)
  @Max(60000)
  DISPATCH_INTERVAL_MS = 250;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1000)
  DISPATCH_BATCH_SIZE = 50;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(3600)
  OUTBOX_LEASE_SECONDS = 60;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100)
  OUTBOX_MAX_ATTEMPTS = 12;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(86400)
  RETRY_BASE_SECONDS = 30;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(7 * 86400)
  RETRY_MAX_SECONDS = 3600;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100)
  SMTP_POOL_SIZE = 5;

  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(3600000)
  SWEEP_INTERVAL_MS = 15000;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(24 * 30)
  STAFF_SESSION_HOURS = 10;

  /** A console session unused this long ends (the absolute limit is STAFF_SESSION_HOURS). */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(24 * 60)
  STAFF_SESSION_IDLE_MINUTES = 30;

  /** E-mail and password sign-in for staff (console and API); off when only single sign-on is wanted. */
  @Transform(toBool)
  @IsBoolean()
  STAFF_PASSWORD_LOGIN = true;

  /** Single sign-on: the OpenID provider's issuer URL (Keycloak realm, ADFS); unset: no single sign-on. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true })
  OIDC_ISSUER?: string = undefined;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  @MaxLength(200)
  OIDC_CLIENT_ID?: string = undefined;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  @MaxLength(500)
  OIDC_CLIENT_SECRET?: string = undefined;

  /** The ID token's claim that names the role (a value or a list holding clerk, supervisor or admin). */
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^[A-Za-z0-9_.:/-]{1,100}$/)
  OIDC_ROLE_CLAIM = 'holdfast_role';

  /** The claim that lists the offices (location ids) a clerk is bound to; absent or empty: every office. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^[A-Za-z0-9_.:/-]{1,100}$/)
  OIDC_OFFICES_CLAIM = 'holdfast_offices';

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100000)
  PROVIDER_RATE_PER_MINUTE = 300;

  /** `domain=family` pairs, comma separated, e.g. `stadt-bremen.de=united-internet`. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^\s*[a-z0-9.-]+=[a-z0-9.-]+\s*(,\s*[a-z0-9.-]+=[a-z0-9.-]+\s*)*$/i, {
    message: 'PROVIDER_FAMILY_OVERRIDES must be domain=family pairs, comma separated',
  })
  PROVIDER_FAMILY_OVERRIDES?: string = undefined;

  /** Default: on when mail goes out for real (SMTP_URL or direct), off with the development catcher. */
  @Transform(toBool)
  @IsOptional()
  @IsBoolean()
  MX_LOOKUP?: boolean = undefined;

  /** Domain of the VERP envelope sender `bounces+<id>.<hmac>@BOUNCE_DOMAIN`. Default: the domain of MAIL_FROM. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^[a-z0-9.-]+$/i, { message: 'BOUNCE_DOMAIN must be a domain name' })
  BOUNCE_DOMAIN?: string = undefined;

  /** Port of the inbound SMTP listener for delivery reports (DSNs). Unset: no listener; 0: any free port. */
  @Transform(toInt)
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(65535)
  BOUNCE_SMTP_PORT?: number = undefined;

  @IsString()
  @MinLength(1)
  BOUNCE_SMTP_HOST = '0.0.0.0';

  /** Shared secret for `POST /api/v1/mail/events` (HMAC-SHA256 of the body). Unset: the webhook refuses everything. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  @MinLength(16)
  MAIL_WEBHOOK_SECRET?: string = undefined;

  /**
   * How long after our relay's 250 a mail counts as delivered when no report can come: the relay
   * announced no DSN on that connection, or it never sends reports at all. A relay that reports
   * leaves the mail in transit until its report, however long.
   */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(24 * 60)
  RELAY_TRANSIT_MINUTES = 30;

  /** A reminder by mail (and SMS, with a phone) this many hours before a confirmed appointment; 0: none. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(24 * 14)
  REMINDER_HOURS = 24;

  /** The status page (with JavaScript) fetches its status part again this often while the booking is pending. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(3600)
  STATUS_REFRESH_SECONDS = 30;

  /** The booking form's proof of work (ALTCHA): on by default; without JavaScript the form asks for a short wait instead. */
  @Transform(toBool)
  @IsBoolean()
  ALTCHA_PAGES = true;

  /** POST /api/v1/bookings wants a solved challenge too (header `X-Altcha`, from GET /api/v1/altcha/challenge). */
  @Transform(toBool)
  @IsBoolean()
  ALTCHA_API = false;

  /** The challenge's cost: PBKDF2 iterations per try (the browser makes up to ALTCHA_MAX_TRIES tries). */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  ALTCHA_COST = 1000;

  /** The most tries a challenge needs (the solution is drawn between half this and this). */
  @Transform(toInt)
  @IsInt()
  @Min(2)
  @Max(1_000_000)
  ALTCHA_MAX_TRIES = 2000;

  /** A bounce address (VERP) is valid this many days after the send; later reports are refused at RCPT. */
  @Transform(toInt)
  @IsInt()
  @Min(7)
  @Max(90)
  VERP_VALID_DAYS = 14;

  /** Calling codes SMS may go to, comma separated (e.g. `49,43,41`). Default: Germany and the other EU states. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^\s*\d{1,3}\s*(,\s*\d{1,3}\s*)*$/, {
    message: 'SMS_COUNTRY_CODES must be calling codes, comma separated, e.g. 49,43',
  })
  SMS_COUNTRY_CODES?: string = undefined;

  /** Requests per minute and IP address on booking, confirmation, self-service and login (the status page: 4×); 0: off. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(100_000)
  RATE_LIMIT_PER_MINUTE = 30;

  /**
   * Behind the city's reverse proxy: `true` (trust X-Forwarded-For from any hop), a hop count, or
   * the proxies' addresses/CIDRs, comma separated. Unset: the connection's address is the client.
   */
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^(true|false|\d{1,2}|[0-9a-f.:\/]+(\s*,\s*[0-9a-f.:\/]+)*)$/i, {
    message: 'TRUST_PROXY must be true, false, a hop count or proxy addresses/CIDRs, comma separated',
  })
  TRUST_PROXY?: string = undefined;

  /** The app refuses to run (and its workers pause) while its clock and the database's differ by more than this. */
  @Transform(toInt)
  @IsInt()
  @Min(10)
  @Max(60_000)
  CLOCK_SKEW_MAX_MS = 1000;

  /** A new connection to the database within this, else 503 DATABASE_UNAVAILABLE (a free one from the pool is waited for longer). */
  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(60_000)
  DB_CONNECT_TIMEOUT_MS = 2000;

  /** Every statement answered within this, else 503 DATABASE_UNAVAILABLE (and a booking's commit is refused after it). */
  @Transform(toInt)
  @IsInt()
  @Min(1000)
  @Max(600_000)
  DB_QUERY_TIMEOUT_MS = 5000;

  /** The database ends a session that sits idle inside a transaction this long. */
  @Transform(toInt)
  @IsInt()
  @Min(1000)
  @Max(3_600_000)
  DB_IDLE_IN_TRANSACTION_TIMEOUT_MS = 10_000;

  /** An HTTP request not answered within this gets 503 REQUEST_TIMEOUT. */
  @Transform(toInt)
  @IsInt()
  @Min(1000)
  @Max(600_000)
  REQUEST_TIMEOUT_MS = 15_000;

  /** `relay`: everything through SMTP_URL. `direct`: to the recipient's MX hosts, DKIM-signed. */
  @IsIn(['relay', 'direct'])
  MAIL_TRANSPORT: 'relay' | 'direct' = 'relay';

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(65535)
  DIRECT_SMTP_PORT = 25;

  /** Direct delivery: when an MX lookup fails, this domain is looked up too; if it fails as well, our resolver is down (not the recipient's DNS). */
  @Matches(/^[a-z0-9.-]+$/i)
  DNS_CANARY_DOMAIN = 'gmail.com';

  /** Our name in EHLO for direct delivery; it should match the sending IP's reverse DNS. Default: BOUNCE_DOMAIN. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^[a-z0-9.-]+$/i)
  HELO_NAME?: string = undefined;

  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^[a-z0-9.-]+$/i)
  DKIM_DOMAIN?: string = undefined;

  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^[a-z0-9._-]+$/i)
  DKIM_SELECTOR?: string = undefined;

  /** PEM text of the DKIM private key (or DKIM_PRIVATE_KEY_FILE: a path to it). */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  DKIM_PRIVATE_KEY?: string = undefined;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  DKIM_PRIVATE_KEY_FILE?: string = undefined;

  /** The SMS gateway (JSON POST with a bearer token). Unset: no SMS fallback. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsUrl({ require_tld: false, require_protocol: true })
  SMS_GATEWAY_URL?: string = undefined;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  SMS_GATEWAY_TOKEN?: string = undefined;

  /** HMAC-SHA256 key of the gateway's delivery reports (`POST /api/v1/sms/events`). */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  @MinLength(16)
  SMS_WEBHOOK_SECRET?: string = undefined;

  /** Personal data of a booking is anonymised this many days after its appointment, expiry or cancellation. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(3650)
  RETENTION_DAYS = 90;

  /** Default: `json` in production, `log` (readable lines) in development. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsIn(['log', 'json'])
  LOG_FORMAT?: 'log' | 'json' = undefined;
}

export interface AppConfig {
  /** NODE_ENV=production: the refusals below held, and nothing of development mode runs. */
  production: boolean;
  migrateOnStart: boolean;
  shutdownTimeoutMs: number;
  logLevel: EnvSchema['LOG_LEVEL'];
  metricsToken?: string;
  swaggerUi: boolean;
  port: number;
  host: string;
  databaseUrl?: string;
  /** Where the start-up migration connects (a session of its own); default: the database URL. */
  databaseMigrationUrl?: string;
  dataDir: string;
  embeddedPgPort: number;
  smtpUrl?: string;
  devSmtpPort: number;
  mailFrom: string;
  publicBaseUrl: string;
  appSecret?: string;
  confirmWindowMinutes: number;
  maxBookingsPerLocationDay: number;
  noShowLimit: number;
  holdMaxHours: number;
  confirmCutoffMinutes: number;
  seedDemo: boolean;
  slotHorizonDays: number;
  workersEnabled: boolean;
  dispatchIntervalMs: number;
  dispatchBatchSize: number;
  outboxLeaseSeconds: number;
  outboxMaxAttempts: number;
  retryBaseSeconds: number;
  retryMaxSeconds: number;
  smtpPoolSize: number;
  sweepIntervalMs: number;
  staffSessionHours: number;
  staffSessionIdleMinutes: number;
  staffPasswordLogin: boolean;
  /** Single sign-on with OpenID Connect; undefined when OIDC_ISSUER is unset. */
  oidc?: { issuer: string; clientId: string; clientSecret?: string; roleClaim: string; officesClaim: string };
  logFormat: 'log' | 'json';
  providerRatePerMinute: number;
  providerFamilyOverrides: Record<string, string>;
  mxLookup: boolean;
  bounceDomain: string;
  bounceSmtpPort?: number;
  bounceSmtpHost: string;
  mailWebhookSecret?: string;
  mailTransport: 'relay' | 'direct';
  relayTransitMinutes: number;
  verpValidDays: number;
  reminderHours: number;
  altcha: { pages: boolean; api: boolean; cost: number; maxTries: number };
  statusRefreshSeconds: number;
  clockSkewMaxMs: number;
  databaseTimeouts: {
    connectMs: number;
    poolWaitMs: number;
    queryMs: number;
    idleInTransactionMs: number;
    /** false: the server-side timeouts come from the role's settings, not from the connection's start-up. */
    startupParameters: boolean;
  };
  /** false: no named prepared statements (a transaction pooler without protocol-level support). */
  preparedStatements: boolean;
  /** Connections in the app's pool. */
  dbPoolSize: number;
  requestTimeoutMs: number;
  rateLimitPerMinute: number;
  smsCountryCodes: number[];
  /** Fastify's trustProxy: boolean, hop count or addresses. */
  trustProxy: boolean | number | string[];
  directSmtpPort: number;
  heloName: string;
  dnsCanaryDomain: string;
  dkim?: { domainName: string; keySelector: string; privateKey: string };
  smsGatewayUrl?: string;
  smsGatewayToken?: string;
  smsWebhookSecret?: string;
  retentionDays: number;
  /** true when no SMTP_URL is given: mail goes to the in-process catcher and /dev routes exist. */
  devMail: boolean;
  /** Where mail goes: the city's relay (SMTP_URL), the recipients' MX hosts, or the development catcher. */
  mailMode: 'relay' | 'direct' | 'development';
}

export class ConfigError extends Error {}

export interface LoadConfigOptions {
  /**
   * false: only the values are checked, not what running the app in its mode needs (a mail
   * transport, a secret): `npm run migration:run` as a job of its own needs the database alone.
   */
  forRuntime?: boolean;
}

/** Validates raw environment variables and returns the typed configuration, or throws ConfigError. */
export function loadConfig(env: Record<string, string | undefined>, options: LoadConfigOptions = {}): AppConfig {
  const known = Object.keys(new EnvSchema());
  const picked = Object.fromEntries(Object.entries(env).filter(([k]) => known.includes(k)));
  const schema = plainToInstance(EnvSchema, picked);
  const errors = validateSync(schema, { whitelist: true });
  if (errors.length > 0) {
    const lines = errors.map(
      (e) => `  ${e.property}=${JSON.stringify(e.value)}: ${Object.values(e.constraints ?? {}).join('; ')}`,
    );
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const bounceDomain = (
    schema.BOUNCE_DOMAIN ??
    /@([^>\s]+)>?\s*$/.exec(schema.MAIL_FROM)?.[1] ??
    'holdfast.localhost'
  ).toLowerCase();
  // The code exchange carries the client secret and the ID token: never over plain http in production.
  if (
    schema.NODE_ENV === 'production' &&
    schema.OIDC_ISSUER &&
    !/^https:\/\//i.test(schema.OIDC_ISSUER) &&
    !isLoopbackUrl(schema.OIDC_ISSUER)
  )
    throw new ConfigError(
      'Invalid configuration:\n  OIDC_ISSUER must be an https:// address in production (the sign-in carries the client secret and the ID token).',
    );
  if (schema.OIDC_ISSUER && !schema.OIDC_CLIENT_ID)
    throw new ConfigError('Invalid configuration:\n  OIDC_ISSUER is set but OIDC_CLIENT_ID is not: single sign-on needs both.');
  if (!schema.STAFF_PASSWORD_LOGIN && !schema.OIDC_ISSUER)
    throw new ConfigError(
      'Invalid configuration:\n  STAFF_PASSWORD_LOGIN=false needs OIDC_ISSUER: otherwise no staff member could sign in.',
    );
  if (schema.MAIL_TRANSPORT === 'direct' && schema.SMTP_URL)
    throw new ConfigError(
      'Invalid configuration:\n  MAIL_TRANSPORT=direct and SMTP_URL exclude each other: direct delivery needs no relay.',
    );
  // A request answered 503 REQUEST_TIMEOUT must not commit afterwards: a booking commits at most a
  // pool wait plus its commit window after the request began; the pool wait is what the request
  // timeout leaves (REQUEST_TIMEOUT_MS − DB_QUERY_TIMEOUT_MS − 1 s), and at least a connect.
  const longestCommitMs = schema.DB_CONNECT_TIMEOUT_MS + schema.DB_QUERY_TIMEOUT_MS + 1000;
  if (schema.REQUEST_TIMEOUT_MS < longestCommitMs)
    throw new ConfigError(
      `Invalid configuration:\n  REQUEST_TIMEOUT_MS must be at least DB_CONNECT_TIMEOUT_MS + DB_QUERY_TIMEOUT_MS + 1000 (${longestCommitMs}): a request must not give up before its transaction has.`,
    );
  const production = schema.NODE_ENV === 'production';
  if (options.forRuntime !== false) assertModeAllowed(schema, production);
  const outboxLeaseMs = schema.OUTBOX_LEASE_SECONDS * 1000;
  // Not set: the default, but always a second shorter than a short lease.
  if (picked.SHUTDOWN_TIMEOUT_MS === undefined)
    schema.SHUTDOWN_TIMEOUT_MS = Math.max(1000, Math.min(schema.SHUTDOWN_TIMEOUT_MS, outboxLeaseMs - 1000));
  if (schema.SHUTDOWN_TIMEOUT_MS >= outboxLeaseMs)
    throw new ConfigError(
      `Invalid configuration:\n  SHUTDOWN_TIMEOUT_MS must be shorter than OUTBOX_LEASE_SECONDS (${outboxLeaseMs} ms): mail claimed by a stopping instance must not be claimed by another while it is still being sent.`,
    );
  return {
    production,
    migrateOnStart: schema.MIGRATE_ON_START,
    shutdownTimeoutMs: schema.SHUTDOWN_TIMEOUT_MS,
    logLevel: schema.LOG_LEVEL,
    metricsToken: schema.METRICS_TOKEN,
    swaggerUi: schema.SWAGGER_UI ?? !production,
    port: schema.PORT,
    host: schema.HOST,
    databaseUrl: schema.DATABASE_URL,
    databaseMigrationUrl: schema.DATABASE_MIGRATION_URL,
    dataDir: schema.DATA_DIR,
    embeddedPgPort: schema.EMBEDDED_PG_PORT,
    smtpUrl: schema.SMTP_URL,
    devSmtpPort: schema.DEV_SMTP_PORT,
    mailFrom: schema.MAIL_FROM,
    publicBaseUrl: (schema.PUBLIC_BASE_URL ?? `http://localhost:${schema.PORT}`).replace(/\/+$/, ''),
    appSecret: schema.APP_SECRET,
    confirmWindowMinutes: schema.CONFIRM_WINDOW_MINUTES,
    maxBookingsPerLocationDay: schema.MAX_BOOKINGS_PER_LOCATION_DAY,
    noShowLimit: schema.NO_SHOW_LIMIT,
    holdMaxHours: schema.HOLD_MAX_HOURS,
    confirmCutoffMinutes: schema.CONFIRM_CUTOFF_MINUTES,
    seedDemo: schema.SEED_DEMO ?? !schema.DATABASE_URL,
    slotHorizonDays: schema.SLOT_HORIZON_DAYS,
    workersEnabled: schema.WORKERS_ENABLED,
    dispatchIntervalMs: schema.DISPATCH_INTERVAL_MS,
    dispatchBatchSize: schema.DISPATCH_BATCH_SIZE,
    outboxLeaseSeconds: schema.OUTBOX_LEASE_SECONDS,
    outboxMaxAttempts: schema.OUTBOX_MAX_ATTEMPTS,
    retryBaseSeconds: schema.RETRY_BASE_SECONDS,
    retryMaxSeconds: schema.RETRY_MAX_SECONDS,
    smtpPoolSize: schema.SMTP_POOL_SIZE,
    sweepIntervalMs: schema.SWEEP_INTERVAL_MS,
    staffSessionHours: schema.STAFF_SESSION_HOURS,
    staffSessionIdleMinutes: schema.STAFF_SESSION_IDLE_MINUTES,
    staffPasswordLogin: schema.STAFF_PASSWORD_LOGIN,
    oidc: schema.OIDC_ISSUER
      ? {
          issuer: schema.OIDC_ISSUER,
          clientId: schema.OIDC_CLIENT_ID!,
          clientSecret: schema.OIDC_CLIENT_SECRET,
          roleClaim: schema.OIDC_ROLE_CLAIM,
          officesClaim: schema.OIDC_OFFICES_CLAIM,
        }
      : undefined,
    logFormat: schema.LOG_FORMAT ?? (production ? 'json' : 'log'),
    providerRatePerMinute: schema.PROVIDER_RATE_PER_MINUTE,
    providerFamilyOverrides: Object.fromEntries(
      (schema.PROVIDER_FAMILY_OVERRIDES ?? '')
        .split(',')
        .filter((p) => p.includes('='))
        .map((p) => p.trim().toLowerCase().split('=') as [string, string]),
    ),
    mxLookup: schema.MX_LOOKUP ?? (!!schema.SMTP_URL || schema.MAIL_TRANSPORT === 'direct'),
    bounceDomain,
    bounceSmtpPort: schema.BOUNCE_SMTP_PORT,
    bounceSmtpHost: schema.BOUNCE_SMTP_HOST,
    mailWebhookSecret: schema.MAIL_WEBHOOK_SECRET,
    mailTransport: schema.MAIL_TRANSPORT,
    relayTransitMinutes: schema.RELAY_TRANSIT_MINUTES,
    verpValidDays: schema.VERP_VALID_DAYS,
    reminderHours: schema.REMINDER_HOURS,
    statusRefreshSeconds: schema.STATUS_REFRESH_SECONDS,
    altcha: { pages: schema.ALTCHA_PAGES, api: schema.ALTCHA_API, cost: schema.ALTCHA_COST, maxTries: schema.ALTCHA_MAX_TRIES },
    clockSkewMaxMs: schema.CLOCK_SKEW_MAX_MS,
    databaseTimeouts: {
      connectMs: schema.DB_CONNECT_TIMEOUT_MS,
      // A request waits for a free connection as long as its budget leaves room for the transaction.
      poolWaitMs: schema.REQUEST_TIMEOUT_MS - schema.DB_QUERY_TIMEOUT_MS - 1000,
      queryMs: schema.DB_QUERY_TIMEOUT_MS,
      idleInTransactionMs: schema.DB_IDLE_IN_TRANSACTION_TIMEOUT_MS,
      startupParameters: schema.DB_STARTUP_PARAMETERS,
    },
    preparedStatements: schema.DB_PREPARED_STATEMENTS,
    dbPoolSize: schema.DB_POOL_SIZE,
    requestTimeoutMs: schema.REQUEST_TIMEOUT_MS,
    rateLimitPerMinute: schema.RATE_LIMIT_PER_MINUTE,
    smsCountryCodes: schema.SMS_COUNTRY_CODES
      ? schema.SMS_COUNTRY_CODES.split(',').map((c) => Number(c.trim()))
      : [...EU_CALLING_CODES],
    trustProxy: trustProxyOf(schema.TRUST_PROXY),
    directSmtpPort: schema.DIRECT_SMTP_PORT,
    heloName: schema.HELO_NAME ?? bounceDomain,
    dnsCanaryDomain: schema.DNS_CANARY_DOMAIN,
    dkim: dkimConfig(schema),
    smsGatewayUrl: schema.SMS_GATEWAY_URL,
    smsGatewayToken: schema.SMS_GATEWAY_TOKEN,
    smsWebhookSecret: schema.SMS_WEBHOOK_SECRET,
    retentionDays: schema.RETENTION_DAYS,
    devMail: !production && !schema.SMTP_URL && schema.MAIL_TRANSPORT === 'relay',
    mailMode: schema.MAIL_TRANSPORT === 'direct' ? 'direct' : schema.SMTP_URL ? 'relay' : 'development',
  };
}

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Production refuses what would be unsafe for a city (each refusal names its variable); a
 * DATABASE_URL outside production means development against that database, which must be asked for.
 */
function assertModeAllowed(schema: EnvSchema, production: boolean): void {
  const problems: string[] = [];
  if (production) {
    if (schema.HOLDFAST_DEV)
      problems.push('HOLDFAST_DEV=true contradicts NODE_ENV=production: development mode never runs in production.');
    if (!schema.DATABASE_URL)
      problems.push(
        'DATABASE_URL: production needs the PostgreSQL server of the installation (the embedded one is for trying out).',
      );
    if (!schema.SMTP_URL && schema.MAIL_TRANSPORT !== 'direct')
      problems.push(
        "SMTP_URL: production needs a mail transport, the city's relay (SMTP_URL=smtp://relay.stadt.internal:25) or MAIL_TRANSPORT=direct; the development mail catcher never runs in production.",
      );
    if (!schema.APP_SECRET)
      problems.push(
        'APP_SECRET: production needs a key of its own (at least 32 characters, e.g. `openssl rand -base64 48`), not one kept in the database.',
      );
    if (!schema.PUBLIC_BASE_URL)
      problems.push(
        'PUBLIC_BASE_URL: production needs the address citizens open (https://termine.stadt.example); mail links are built from it.',
      );
    else {
      const url = new URL(schema.PUBLIC_BASE_URL);
      if (url.protocol !== 'https:' && !LOCAL_HOSTS.has(url.hostname))
        problems.push(
          `PUBLIC_BASE_URL=${JSON.stringify(schema.PUBLIC_BASE_URL)}: production wants https:// (plain http only for localhost); links in mails carry tokens.`,
        );
    }
    if (schema.SEED_DEMO) problems.push('SEED_DEMO=true: demo offices are never seeded in production.');
  } else if (schema.DATABASE_URL && !schema.HOLDFAST_DEV && schema.NODE_ENV !== 'development' && schema.NODE_ENV !== 'test') {
    problems.push(
      'DATABASE_URL is set but NODE_ENV is not production: set NODE_ENV=production to run for a city, or HOLDFAST_DEV=true (or NODE_ENV=development) to develop against this database (development mode: the mail catcher and its /dev routes without SMTP_URL, a development admin).',
    );
  }
  if (problems.length > 0) throw new ConfigError(`Invalid configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`);
}

function trustProxyOf(value: string | undefined): AppConfig['trustProxy'] {
  if (!value || value.toLowerCase() === 'false') return false;
  if (value.toLowerCase() === 'true') return true;
  if (/^\d{1,2}$/.test(value)) return Number(value);
  return value.split(',').map((v) => v.trim());
}

function dkimConfig(schema: EnvSchema): AppConfig['dkim'] {
  const key = schema.DKIM_PRIVATE_KEY ?? (schema.DKIM_PRIVATE_KEY_FILE ? readKeyFile(schema.DKIM_PRIVATE_KEY_FILE) : undefined);
  if (!schema.DKIM_DOMAIN && !schema.DKIM_SELECTOR && !key) return undefined;
  if (!schema.DKIM_DOMAIN || !schema.DKIM_SELECTOR || !key) {
    throw new ConfigError(
      'Invalid configuration:\n  DKIM needs DKIM_DOMAIN, DKIM_SELECTOR and DKIM_PRIVATE_KEY (or DKIM_PRIVATE_KEY_FILE) together.',
    );
  }
  if (!/-----BEGIN (RSA )?PRIVATE KEY-----/.test(key))
    throw new ConfigError('Invalid configuration:\n  DKIM_PRIVATE_KEY is not a PEM private key.');
  return {
    domainName: schema.DKIM_DOMAIN.toLowerCase(),
    keySelector: schema.DKIM_SELECTOR,
    privateKey: key.replace(/\\n/g, '\n'),
  };
}

function readKeyFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`Invalid configuration:\n  DKIM_PRIVATE_KEY_FILE=${JSON.stringify(path)}: ${(err as Error).message}`);
  }
}

export const APP_CONFIG = Symbol('APP_CONFIG');

/** http://localhost, 127.0.0.1 or ::1: the same machine, where https is not needed. */
function isLoopbackUrl(url: string): boolean {
  try {
    return ['localhost', '127.0.0.1', '[::1]'].includes(new URL(url).hostname);
  } catch {
    return false;
  }
}
