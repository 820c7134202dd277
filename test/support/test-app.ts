import type { LoggerService } from '@nestjs/common';
import { Pool } from 'pg';
import { ManualClock } from '../../src/common/clock';
import { createApp, RunningApp } from '../../src/app.factory';
import { AppConfig, loadConfig } from '../../src/config/app-config';
import { createTestDatabase } from './test-database';
import { MxResolver } from '../../src/mail-delivery/provider-families';
import type { LogDestination } from '../../src/common/logging';

export interface TestApp extends RunningApp {
  clock: ManualClock;
  config: AppConfig;
  /** Direct SQL for assertions and fixtures (the app has its own pool). */
  db: Pool;
}

/** The configuration every test app starts from: loopback, no background loops, no demo data, no per-IP limits. */
export function testConfig(env: Record<string, string> = {}): AppConfig {
  return loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    WORKERS_ENABLED: 'false',
    SEED_DEMO: 'false',
    PUBLIC_BASE_URL: 'http://holdfast.test',
    // Every test client is 127.0.0.1: the per-IP limits are off unless a test sets them (test/rate-limit.e2e.spec.ts).
    RATE_LIMIT_PER_MINUTE: '0',
    // The booking form's proof of work stays on (the browser solves it), at the least cost.
    ALTCHA_COST: '1',
    ALTCHA_MAX_TRIES: '20',
    ...env,
  });
}

/**
 * The real application on its own database: real PostgreSQL, real HTTP on a loopback port,
 * real SMTP to the in-process catcher. Background loops are off; tests drive the dispatcher
 * and the sweeper and move the injected clock.
 */
export async function startTestApp(
  opts: {
    env?: Record<string, string>;
    clockStart?: string;
    mxResolver?: MxResolver;
    logger?: LoggerService;
    /** The app's own pino log lines, written here (test/log-privacy.e2e.spec.ts). */
    logDestination?: LogDestination;
  } = {},
): Promise<TestApp> {
  const database = await createTestDatabase();
  const config = testConfig(opts.env);
  const clock = new ManualClock(opts.clockStart ?? '2026-06-01T08:00:00Z');
  // No DNS in tests: unknown domains have no MX unless a test says otherwise.
  const mxResolver = opts.mxResolver ?? { resolveMx: async () => [] };
  const running = await createApp(config, {
    clock,
    databaseUrl: database.url,
    logger: opts.logger ?? false,
    logDestination: opts.logDestination,
    mxResolver,
  });
  const db = new Pool({ connectionString: database.url, max: 4 });
  // An idle connection the server ends (57P01 at teardown, a test that terminates backends) is no test failure.
  db.on('error', () => undefined);
  return {
    ...running,
    clock,
    config,
    db,
    close: async () => {
      await db.end();
      await running.close();
      await database.drop();
    },
  };
}

export interface HttpResult<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

/** Plain fetch against the running app; JSON in, parsed JSON (or text) out. */
export async function http<T = any>(
  app: { url: string },
  method: string,
  path: string,
  opts: { body?: unknown; headers?: Record<string, string>; raw?: string } = {},
): Promise<HttpResult<T>> {
  const headers: Record<string, string> = { ...opts.headers };
  let body: string | undefined;
  if (opts.raw !== undefined) body = opts.raw;
  else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(`${app.url}${path}`, { method, headers, body, redirect: 'manual' });
  const text = await res.text();
  let parsed: unknown = text;
  if ((res.headers.get('content-type') ?? '').includes('json') && text) parsed = JSON.parse(text);
  return { status: res.status, headers: res.headers, body: parsed as T, text };
}

/**
 * Every test leaves the injected clock as it found it: the time at the start of each test (as
 * the file's setup left it) is put back after the test, whatever the test moved.
 */
export function restoreClockAfterEach(clock: () => ManualClock | undefined): void {
  let saved: ReturnType<ManualClock['now']> | undefined;
  beforeEach(() => {
    saved = clock()?.now();
  });
  afterEach(() => {
    if (saved) clock()?.set(saved);
  });
}

/** A logger that keeps what the app logs, for tests that check a warning. */
export class RecordingLogger implements LoggerService {
  readonly lines: Array<{ level: string; context?: string; message: string }> = [];
  private keep(level: string, message: unknown, params: unknown[]) {
    const context = typeof params.at(-1) === 'string' ? (params.at(-1) as string) : undefined;
    this.lines.push({ level, context, message: String(message) });
  }
  log(message: unknown, ...params: unknown[]) {
    this.keep('log', message, params);
  }
  warn(message: unknown, ...params: unknown[]) {
    this.keep('warn', message, params);
  }
  error(message: unknown, ...params: unknown[]) {
    this.keep('error', message, params);
  }
  debug(message: unknown, ...params: unknown[]) {
    this.keep('debug', message, params);
  }
  verbose(message: unknown, ...params: unknown[]) {
    this.keep('verbose', message, params);
  }
}

/**
 * The confirmation token of a booking's first queued mail, as the mail carries it: the stored
 * payload has only a placeholder and the slot it is derived from (src/common/message-secrets.ts).
 */
export async function confirmTokenOfQueued(app: TestApp, bookingId: string): Promise<string> {
  const { SecretsService } = await import('../../src/common/secrets.service');
  const { rows } = await app.db.query(
    `SELECT payload FROM outbox_messages WHERE booking_id = $1 AND channel = 'email' ORDER BY created_at LIMIT 1`,
    [bookingId],
  );
  return app.app.get(SecretsService).messageSecret(rows[0].payload.secrets.confirm);
}

/** A staff account of this role, created directly, and its bearer token from a real login. */
export async function staffToken(
  app: TestApp,
  role: 'clerk' | 'supervisor' | 'admin',
  email = `${role}-${Date.now()}@staff.example`,
) {
  const { StaffService } = await import('../../src/staff/staff.service');
  const password = `${role}-password-1`;
  await app.app.get(StaffService).create({ email, role, password }, { id: null, label: 'test' });
  return (await http(app, 'POST', '/api/v1/auth/login', { body: { email, password } })).body.token as string;
}

/** A booking through the API (expects 201), with the address it was made for. */
export async function bookThroughApi(app: TestApp, slotId: string) {
  const { citizen } = await import('../factories/scheduling.factory');
  const who = citizen();
  const res = await http(app, 'POST', '/api/v1/bookings', { body: { slotId, name: who.name, email: who.email } });
  if (res.status !== 201) throw new Error(`booking failed: ${res.status} ${res.text}`);
  return { ...res.body, email: who.email } as { id: string; statusToken: string; email: string; reference: string };
}
