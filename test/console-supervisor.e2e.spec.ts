import { createSlot, citizen } from './factories/scheduling.factory';
import { signedIn } from './support/console';
import { http, restoreClockAfterEach, startTestApp, TestApp } from './support/test-app';

/**
 * The supervisors' pages over real HTTP and a real database: providers with pause and resume, an
 * incident declared after its dry run, goodwill with a dry run, its end, the statistics with SVG
 * charts and CSV; and a clerk refused (403, audited).
 */
describe('console: supervisor pages', () => {
  let app: TestApp;
  let slot: { slotId: string; locationId: string };
  restoreClockAfterEach(() => app?.clock);
  beforeAll(async () => {
    app = await startTestApp({ clockStart: '2026-06-01T06:00:00Z' });
    slot = await createSlot(app.db, { capacity: 10, startsAt: '2026-06-05T08:00:00Z' });
  }, 60_000);
  afterAll(() => app?.close());

  const book = async (domain: string) => {
    const who = citizen();
    const res = await http(app, 'POST', '/api/v1/bookings', {
      body: { slotId: slot.slotId, name: who.name, email: who.email.replace('example.org', domain) },
    });
    expect(res.status).toBe(201);
    return res.body.id as string;
  };

  it('a clerk opening a supervisor page gets the 403 page, and the refusal is audited', async () => {
    const { client, account } = await signedIn(app, 'clerk');
    for (const path of ['/verwaltung/anbieter', '/verwaltung/vorfaelle', '/verwaltung/statistik', '/verwaltung/statistik.csv']) {
      const res = await client.get(path);
      expect(res.status).toBe(403);
      expect(res.text).toContain('Kein Zugriff');
    }
    const { rows } = await app.db.query(
      `SELECT after FROM audit_entries WHERE action = 'access.refused' AND actor_label = $1 ORDER BY id`,
      [account.email],
    );
    expect(rows.map((r) => r.after.route)).toEqual([
      'GET /verwaltung/anbieter',
      'GET /verwaltung/vorfaelle',
      'GET /verwaltung/statistik',
      'GET /verwaltung/statistik.csv',
    ]);
    expect(rows[0].after).toMatchObject({ required: 'supervisor', actual: 'clerk' });
    const home = await client.get('/verwaltung');
    expect(home.text).not.toContain('/verwaltung/anbieter');
  });

  it('declares an incident after its dry run, grants goodwill after its dry run, ends it; all audited', async () => {
    const { client, account } = await signedIn(app, 'supervisor');
    const ids = [await book('gmx.de'), await book('web.de'), await book('example.org')];
    const dry = await client.submit(
      '/verwaltung/vorfaelle',
      { family: 'united-internet', reason: 'GMX hält Mails fest', step: 'pruefen' },
      '/verwaltung/vorfaelle',
    );
    expect(dry.status).toBe(200);
    expect(dry.text).toContain('Probelauf: 2 wartende Buchungen mit E-Mail an united-internet');
    expect(dry.text).toContain('value="GMX hält Mails fest"');
    expect((await app.db.query(`SELECT count(*)::int AS n FROM incidents`)).rows[0].n).toBe(0);

    const declared = await client.submit(
      '/verwaltung/vorfaelle',
      { family: 'united-internet', reason: 'GMX hält Mails fest', step: 'ausrufen' },
      '/verwaltung/vorfaelle',
    );
    expect(declared.status).toBe(303);
    const page = await client.get(declared.headers.get('location')!);
    expect(page.text).toContain('Ausgerufen.');
    expect(page.text).toContain('united-internet – GMX hält Mails fest');
    const incidentId = (await app.db.query(`SELECT id FROM incidents WHERE ended_at IS NULL`)).rows[0].id;
    const again = await client.submit(
      '/verwaltung/vorfaelle',
      { family: 'united-internet', reason: 'noch einmal', step: 'ausrufen' },
      '/verwaltung/vorfaelle',
    );
    expect(again.status).toBe(409);
    expect(again.text).toContain('läuft schon eine Störung');

    const goodwillDry = await client.submit(
      `/verwaltung/vorfaelle/${incidentId}/kulanz`,
      { until: '2026-06-03T18:00', reason: 'Kulanz wegen GMX', step: 'pruefen' },
      '/verwaltung/vorfaelle',
    );
    expect(goodwillDry.status).toBe(200);
    expect(goodwillDry.text).toContain('Probelauf: 2 Buchungen würden bis 03.06.2026 18:00 gehalten');
    expect((await app.db.query(`SELECT count(*)::int AS n FROM bookings WHERE goodwill_until IS NOT NULL`)).rows[0].n).toBe(0);
    const goodwill = await client.submit(
      `/verwaltung/vorfaelle/${incidentId}/kulanz`,
      { until: '2026-06-03T18:00', reason: 'Kulanz wegen GMX', step: 'anwenden' },
      '/verwaltung/vorfaelle',
    );
    expect(goodwill.status).toBe(303);
    const { rows: held } = await app.db.query(
      `SELECT id FROM bookings WHERE goodwill_until = '2026-06-03T16:00:00Z' ORDER BY id`,
    );
    expect(held.map((r) => r.id).sort()).toEqual(ids.slice(0, 2).sort());

    const ended = await client.submit(
      `/verwaltung/vorfaelle/${incidentId}/ende`,
      { reason: 'GMX nimmt wieder an' },
      '/verwaltung/vorfaelle',
    );
    expect(ended.status).toBe(303);
    expect((await client.get(ended.headers.get('location')!)).text).toContain('mit einer Entschuldigung');
    const { rows } = await app.db.query(
      `SELECT action FROM audit_entries WHERE actor_label = $1 AND action LIKE 'incident.%' ORDER BY id`,
      [account.email],
    );
    expect(rows.map((r) => r.action)).toEqual([
      'incident.declare',
      'incident.declare.refused',
      'incident.extend_holds',
      'incident.end',
    ]);
  });

  it('the provider page shows each circuit and refreshes itself; pause and resume need a reason', async () => {
    const { client } = await signedIn(app, 'supervisor');
    await book('gmail.com');
    const page = await client.get('/verwaltung/anbieter');
    expect(page.status).toBe(200);
    expect(page.text).toContain('<div id="live-providers" data-refresh-ms="30000">');
    expect(page.text).toContain('<script type="module" src="/verwaltung/assets/console.js"></script>');
    expect(page.text).toContain('united-internet');
    expect(page.text).toContain('Unser Mailserver (Relay)');
    const noReason = await client.submit('/verwaltung/anbieter/google/anhalten', { reason: '' }, '/verwaltung/anbieter');
    expect(noReason.headers.get('location')).toContain('fehler=VALIDATION_FAILED');
    const paused = await client.submit(
      '/verwaltung/anbieter/google/anhalten',
      { reason: 'Google drosselt' },
      '/verwaltung/anbieter',
    );
    expect(paused.status).toBe(303);
    expect((await app.db.query(`SELECT state, paused_by FROM provider_circuits WHERE family = 'google'`)).rows[0].state).toBe(
      'open',
    );
    const after = await client.get('/verwaltung/anbieter');
    expect(after.text).toContain('Google drosselt');
    expect(after.text).toContain('/verwaltung/anbieter/google/fortsetzen');
    expect(
      (await client.submit('/verwaltung/anbieter/google/fortsetzen', { reason: 'wieder gut' }, '/verwaltung/anbieter')).status,
    ).toBe(303);
    expect((await app.db.query(`SELECT state FROM provider_circuits WHERE family = 'google'`)).rows[0].state).toBe('closed');
  });

  it('statistics with SVG charts for an office and a period, and the same figures as CSV', async () => {
    const { client } = await signedIn(app, 'supervisor');
    const page = await client.get(`/verwaltung/statistik?locationId=${slot.locationId}&from=2026-05-01&to=2026-06-30`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('<svg role="img"');
    const made = (await app.db.query(`SELECT count(*)::int AS n FROM bookings WHERE location_id = $1`, [slot.locationId])).rows[0]
      .n;
    expect(page.text).toContain(`<text x="0" y="22">gebucht</text>`);
    const csv = await client.get(`/verwaltung/statistik.csv?locationId=${slot.locationId}&from=2026-05-01&to=2026-06-30`);
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toContain('text/csv');
    expect(csv.headers.get('content-disposition')).toContain('holdfast-statistik-2026-05-01-2026-06-30.csv');
    expect(csv.text.split('\n')).toContain(`bookings.made,,${made}`);
  });
});
