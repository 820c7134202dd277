import { ExpirySweeperService } from '../src/bookings/expiry-sweeper.service';
import { DispatcherService } from '../src/notifications/dispatcher.service';
import { citizen, createSlot } from './factories/scheduling.factory';
import { confirmTokenOfQueued, http, staffToken, startTestApp, TestApp } from './support/test-app';
import { createTestDatabase } from './support/test-database';

const TOKEN = 'metrics-token-0123456789';

/** The value of one series of the exposition text (undefined: no such series). */
function series(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    const match = /^([a-z_:]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const have = (match[2] ?? '').split(',').filter(Boolean);
    if (wanted.every((w) => have.includes(w)) && have.length === wanted.length) return Number(match[3]);
  }
  return undefined;
}

describe('/metrics', () => {
  let app: TestApp;
  const scrape = async () => {
    const res = await http(app, 'GET', '/metrics', { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    return res.text;
  };

  beforeAll(async () => {
    app = await startTestApp({ env: { METRICS_TOKEN: TOKEN } });
  });

  afterAll(async () => {
    await app?.close();
  });

  it('wants its bearer token', async () => {
    expect((await http(app, 'GET', '/metrics')).body.error.code).toBe('UNAUTHENTICATED');
    expect((await http(app, 'GET', '/metrics', { headers: { authorization: `Bearer ${TOKEN}x` } })).status).toBe(401);
    expect((await http(app, 'GET', '/metrics', { headers: { authorization: TOKEN } })).status).toBe(401);
  });

  it('shows the outbox by family and state, its oldest unsent mail, circuits, attempts, holds, bookings and HTTP', async () => {
    const { slotId } = await createSlot(app.db, { capacity: 5, startsAt: '2026-06-03T09:00:00Z' });
    const admin = await staffToken(app, 'admin');
    // GMX's family is paused: its mail waits, held.
    const paused = await http(app, 'POST', '/api/v1/mail/providers/united-internet/pause', {
      body: { reason: 'GMX blockt, Ticket offen' },
      headers: { authorization: `Bearer ${admin}` },
    });
    expect(paused.status).toBe(200);
    const book = async (email: string) => {
      const res = await http(app, 'POST', '/api/v1/bookings', { body: { slotId, name: citizen().name, email } });
      expect(res.status).toBe(201);
      return res.body as { id: string };
    };
    const confirmed = await book(citizen().email);
    const unconfirmed = await book(citizen().email);
    await book(`kunde.${Date.now()}@gmx.de`);
    await app.app.get(DispatcherService).dispatchOnce();
    const token = await confirmTokenOfQueued(app, confirmed.id);
    expect((await http(app, 'POST', '/api/v1/confirmations', { body: { token } })).status).toBe(200);
    app.clock.advance({ minutes: 10 });

    let text = await scrape();
    expect(series(text, 'holdfast_outbox_messages', { family: 'united-internet', state: 'held_provider_blocked' })).toBe(1);
    expect(series(text, 'holdfast_outbox_oldest_unsent_seconds', { family: 'united-internet' })).toBe(600);
    expect(series(text, 'holdfast_provider_circuit_state', { family: 'united-internet', state: 'open' })).toBe(1);
    expect(series(text, 'holdfast_provider_circuit_state', { family: 'united-internet', state: 'closed' })).toBe(0);
    expect(series(text, 'holdfast_mail_attempts_total', { outcome: 'accepted', category: 'none' })).toBe(2);
    expect(series(text, 'holdfast_bookings_created_total')).toBe(3);
    expect(series(text, 'holdfast_bookings_confirmed_total')).toBe(1);
    expect(
      series(text, 'holdfast_http_request_duration_seconds_count', { method: 'POST', route: '/api/v1/bookings', status: '2xx' }),
    ).toBe(3);
    expect(text).toContain('holdfast_process_resident_memory_bytes');

    // Past the confirmation window: the unconfirmed booking expires, the held one is extended.
    app.clock.advance({ minutes: 61 });
    await app.app.get(ExpirySweeperService).sweep();
    text = await scrape();
    expect(series(text, 'holdfast_bookings_expired_total', { reason: 'not_confirmed' })).toBe(1);
    expect(series(text, 'holdfast_holds_extended_total')).toBe(1);
    expect(series(text, 'holdfast_outbox_oldest_unsent_seconds', { family: 'united-internet' })).toBe(71 * 60);
    const { rows } = await app.db.query(`SELECT status FROM bookings WHERE id = $1`, [unconfirmed.id]);
    expect(rows[0].status).toBe('expired');
  });

  it('is refused in production without METRICS_TOKEN', async () => {
    const database = await createTestDatabase();
    const { createApp } = await import('../src/app.factory');
    const { loadConfig } = await import('../src/config/app-config');
    const production = await createApp(
      loadConfig({
        NODE_ENV: 'production',
        DATABASE_URL: database.url,
        SMTP_URL: 'smtp://127.0.0.1:9',
        APP_SECRET: 'metrics-test-secret-0123456789abcdefghij',
        PUBLIC_BASE_URL: 'https://termine.stadt.example',
        PORT: '0',
        HOST: '127.0.0.1',
        WORKERS_ENABLED: 'false',
      }),
      { databaseUrl: database.url, logger: false, mxResolver: { resolveMx: async () => [] } },
    );
    try {
      const res = await http(production, 'GET', '/metrics');
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('FORBIDDEN');
      // Nor development routes, nor Swagger UI.
      expect((await http(production, 'GET', '/dev/mailbox.json')).status).toBe(404);
      expect((await http(production, 'GET', '/api/docs/openapi.json')).status).toBe(404);
    } finally {
      await production.close();
      await database.drop();
    }
  });
});
