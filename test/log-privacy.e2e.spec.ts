import type { SecretSlot } from '../src/common/message-secrets';
import { SecretsService } from '../src/common/secrets.service';
import { DispatcherService } from '../src/notifications/dispatcher.service';
import { createSlot } from './factories/scheduling.factory';
import { confirmTokenOfQueued, http, startTestApp, TestApp } from './support/test-app';

/**
 * The app's own log (pino JSON, every level) through a citizen's whole journey: booking with a
 * phone, the status page with its token in the URL, the confirmation, another address, a wrong
 * token. No line may carry the name, an address, the phone or a token; every request has its
 * access line with the route's pattern and the request id it answered with.
 */
describe('log privacy', () => {
  let app: TestApp;
  const lines: string[] = [];

  beforeAll(async () => {
    app = await startTestApp({
      env: { LOG_FORMAT: 'json', LOG_LEVEL: 'trace' },
      logDestination: { write: (line) => lines.push(...line.split('\n').filter(Boolean)) },
    });
  });

  afterAll(async () => {
    await app?.close();
  });

  it('logs requests and work, and no personal data or token', async () => {
    const { slotId } = await createSlot(app.db, { startsAt: '2026-06-03T09:00:00Z' });
    const person = {
      name: 'Hannelore Kraft-Übermuth',
      email: 'hannelore.kraft.1937@example.org',
      phone: '+49 151 23456789',
      newEmail: 'h.kraft.neu@posteo.de',
    };
    const booked = await http(app, 'POST', '/api/v1/bookings', {
      body: { slotId, name: person.name, email: person.email, phone: person.phone },
      headers: { 'x-request-id': 'proxy-req-4711' },
    });
    expect(booked.status).toBe(201);
    // The proxy's request id comes back, and every other request gets one of its own.
    expect(booked.headers.get('x-request-id')).toBe('proxy-req-4711');
    const { id, statusToken } = booked.body as { id: string; statusToken: string };
    await app.app.get(DispatcherService).dispatchOnce();
    const confirmToken = await confirmTokenOfQueued(app, id);

    // Tokens in paths and queries: the status page and the confirm page.
    expect((await http(app, 'GET', `/buchung/${id}?token=${encodeURIComponent(statusToken)}`)).status).toBe(200);
    expect((await http(app, 'GET', `/confirm?token=${encodeURIComponent(confirmToken)}`)).status).toBe(200);
    app.clock.advance({ minutes: 1 });
    const changed = await http(app, 'POST', `/api/v1/bookings/${id}/change-email`, {
      body: { email: person.newEmail },
      headers: { 'x-booking-token': statusToken },
    });
    expect(changed.status).toBe(200);
    await app.app.get(DispatcherService).dispatchOnce();
    // The token of the mail to the new address (the newest one).
    const { rows: mails } = await app.db.query<{ payload: { secrets: { confirm: SecretSlot } } }>(
      `SELECT payload FROM outbox_messages WHERE booking_id = $1 AND channel = 'email' AND recipient = $2 ORDER BY created_at DESC LIMIT 1`,
      [id, person.newEmail],
    );
    const newToken = app.app.get(SecretsService).messageSecret(mails[0].payload.secrets.confirm);
    expect(newToken).not.toBe(confirmToken);
    const confirmed = await http(app, 'POST', '/api/v1/confirmations', { body: { token: newToken } });
    expect(confirmed.status).toBe(200);
    const wrong = await http(app, 'POST', '/api/v1/confirmations', { body: { token: `${confirmToken}x` } });
    expect(wrong.status).toBe(404);
    // Every error body names the request id it answered with.
    expect(wrong.body.error.requestId).toBe(wrong.headers.get('x-request-id'));
    expect(wrong.body.error.requestId).toMatch(/^[0-9a-f-]{36}$/);
    const { rows } = await app.db.query<{ phone: string }>(`SELECT phone FROM bookings WHERE id = $1`, [id]);

    const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records.length).toBeGreaterThan(8);
    const access = records.filter((r) => r.msg === 'request');
    expect(access.map((r) => `${r.method} ${r.route} ${r.status}`)).toEqual(
      expect.arrayContaining([
        'POST /api/v1/bookings 201',
        'GET /buchung/:id 200',
        'GET /confirm 200',
        'POST /api/v1/bookings/:id/change-email 200',
        `POST /api/v1/confirmations ${confirmed.status}`,
        'POST /api/v1/confirmations 404',
      ]),
    );
    expect(access.find((r) => r.reqId === 'proxy-req-4711')).toMatchObject({ route: '/api/v1/bookings', status: 201 });
    for (const r of access) expect(typeof r.ms).toBe('number');

    const secrets = [
      person.name,
      'Hannelore',
      'Übermuth',
      person.email,
      'hannelore.kraft.1937',
      person.newEmail,
      'h.kraft.neu',
      person.phone,
      person.phone.replace(/ /g, ''),
      '23456789',
      rows[0].phone,
      statusToken,
      confirmToken,
      newToken,
      encodeURIComponent(statusToken),
    ];
    if (process.env.SHOW_LOG) console.log(lines.join('\n'));
    const leaks = lines.flatMap((line) => secrets.filter((s) => line.includes(s)).map((s) => `${s} in ${line}`));
    expect(leaks).toEqual([]);
  });
});
