import { mkdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DispatcherService } from '../../src/notifications/dispatcher.service';
import { addSlot, citizen, createSlot } from '../factories/scheduling.factory';
import { launchBrowser } from '../support/browser';
import { staffAccount } from '../support/console';
import { GMX_IP_BLOCK } from '../support/provider-replies';
import { ScriptedSmtpServer } from '../support/scripted-smtp';
import { confirmTokenOfQueued, http, startTestApp } from '../support/test-app';
import { ExpirySweeperService } from '../../src/bookings/expiry-sweeper.service';
import { SchedulingService } from '../../src/scheduling/scheduling.service';

/**
 * `npm run screenshots`: a PNG of each citizen page at 1280 and 375 px, and of the staff console's
 * main pages at 1280 px (console-*.png), into docs/screenshots/
 * (README shows some). Run by Jest to reuse the test database and app; not part of `npm test`.
 */
const OUT = resolve(__dirname, '../../docs/screenshots');

it('writes a PNG of every citizen page at 1280 and 375 px', async () => {
  mkdirSync(OUT, { recursive: true });
  const app = await startTestApp({ clockStart: '2026-06-01T08:00:00Z' });
  const browser = await launchBrowser();
  try {
    const db = app.db;
    const {
      rows: [location],
    } = await db.query(
      `INSERT INTO locations (name, address, time_zone) VALUES ('Bürgeramt Mitte', 'Rathausplatz 1, 10178 Berlin', 'Europe/Berlin') RETURNING id`,
    );
    const {
      rows: [service],
    } = await db.query(`INSERT INTO services (name, duration_minutes) VALUES ('Personalausweis beantragen', 20) RETURNING id`);
    await db.query(
      `INSERT INTO opening_hours (location_id, weekday, opens, closes, counters) SELECT $1, d, '08:00', '15:00', 3 FROM generate_series(1, 5) d`,
      [location.id],
    );
    const at = { locationId: location.id as string, serviceId: service.id as string };
    const slots: string[] = [];
    for (const day of ['02', '03', '04'])
      for (const time of ['06:00', '06:20', '07:00', '08:40', '11:20', '12:00'])
        slots.push(await addSlot(db, at, `2026-06-${day}T${time}:00Z`));
    await createSlot(db, { startsAt: '2026-06-05T08:00:00Z' });
    const shots: Array<[string, string]> = [
      ['offices', '/'],
      ['services', `/termine?locationId=${at.locationId}`],
      ['times', `/termine?locationId=${at.locationId}&serviceId=${at.serviceId}`],
      ['form', `/termine/buchen?slotId=${slots[0]}`],
    ];
    const page = await browser.newPage({ locale: 'de-DE' });
    // A booked appointment: the page after booking, its status page, the confirm page.
    await page.goto(`${app.url}/termine/buchen?slotId=${slots[1]}`);
    const who = citizen({ name: 'Erika Mustermann', email: 'erika.mustermann@example.org' });
    await page.getByLabel('Name').fill(who.name);
    await page.getByLabel('E-Mail-Adresse').fill(who.email);
    await page.getByRole('button', { name: 'Verbindlich anfragen' }).click();
    await page.waitForURL(/neu=1/);
    shots.push(['booked', new URL(page.url()).pathname + new URL(page.url()).search]);
    await app.app.get(DispatcherService).dispatchOnce();
    const mail = app.catcher!.list().find((m) => m.to.includes(who.email))!;
    shots.push(['confirm', mail.links.find((l) => l.includes('/confirm?'))!.replace('http://holdfast.test', '')]);
    shots.push(['status', new URL(page.url()).pathname + new URL(page.url()).search.replace('&neu=1', '')]);
    // The form with an error.
    await page.goto(`${app.url}/termine/buchen?slotId=${slots[2]}`);
    await page.getByLabel('Name').fill('E');
    await page.getByLabel('E-Mail-Adresse').fill('erika@');
    await page.getByRole('button', { name: 'Verbindlich anfragen' }).click();
    await page.getByRole('alert').first().waitFor();
    for (const width of [1280, 375]) {
      await page.setViewportSize({ width, height: 900 });
      await page.screenshot({ path: join(OUT, `form-error-${width}.png`), fullPage: true });
    }
    for (const [name, path] of shots)
      for (const width of [1280, 375]) {
        await page.setViewportSize({ width, height: 900 });
        await page.goto(`${app.url}${path}`);
        await page.screenshot({ path: join(OUT, `${name}-${width}.png`), fullPage: true });
      }
    for (const [name] of [...shots, ['form-error', '']])
      for (const width of [1280, 375]) expect(statSync(join(OUT, `${name}-${width}.png`)).size).toBeGreaterThan(1000);
  } finally {
    await browser.close();
    await app.close();
  }
}, 120_000);

it('writes a PNG of the staff console pages at 1280 px', async () => {
  mkdirSync(OUT, { recursive: true });
  const relay = new ScriptedSmtpServer();
  relay.rcptReplies.set('gmx.de', GMX_IP_BLOCK);
  const app = await startTestApp({ env: { SMTP_URL: await relay.start() }, clockStart: '2026-06-01T04:00:00Z' });
  const browser = await launchBrowser();
  try {
    const db = app.db;
    const service = (
      await db.query(`INSERT INTO services (name, duration_minutes) VALUES ('Personalausweis beantragen', 20) RETURNING id`)
    ).rows[0].id;
    const office = (
      await db.query(
        `INSERT INTO locations (name, address, time_zone) VALUES ('Bürgeramt Mitte', 'Rathausplatz 1, 10178 Berlin', 'Europe/Berlin') RETURNING id`,
      )
    ).rows[0].id;
    await db.query(
      `INSERT INTO opening_hours (location_id, weekday, opens, closes, counters) SELECT $1, d, '08:00', '12:00', 3 FROM generate_series(1, 5) d`,
      [office],
    );
    await app.app.get(SchedulingService).generateForLocation(office, 14);
    const book = async (startsAt: string, name: string, email: string) => {
      const slotId = (
        await db.query(`SELECT id FROM slots WHERE location_id = $1 AND service_id = $2 AND starts_at = $3`, [
          office,
          service,
          startsAt,
        ])
      ).rows[0].id;
      return (await http(app, 'POST', '/api/v1/bookings', { body: { slotId, name, email } })).body as { id: string };
    };
    const lapsed = await book('2026-06-05T08:00:00Z', 'Erika Mustermann', 'erika.mustermann@gmx.de');
    await book('2026-06-05T08:20:00Z', 'Max Muster', 'max.muster@web.de');
    await app.app.get(DispatcherService).dispatchOnce();
    app.clock.set('2026-06-04T04:01:00Z');
    await app.app.get(ExpirySweeperService).sweep();
    app.clock.set('2026-06-08T04:00:00Z'); // Monday 06:00
    for (const [time, name] of [
      ['06:00', 'Jana Beispiel'],
      ['06:20', 'Ali Yılmaz'],
      ['07:00', 'Olga Kowalski'],
    ] as const) {
      const b = await book(`2026-06-08T${time}:00Z`, name, `${name.split(' ')[0].toLowerCase()}@example.org`);
      await http(app, 'POST', '/api/v1/confirmations', { body: { token: await confirmTokenOfQueued(app, b.id) } });
    }
    await book('2026-06-09T08:00:00Z', 'Petra Probe', 'petra.probe@gmx.de');
    await app.app.get(DispatcherService).dispatchOnce();
    app.clock.set('2026-06-08T06:30:00Z'); // 08:30: the first ones are at the counter
    const admin = await staffAccount(app, 'admin', { email: 'admin@stadt.example' });
    const page = await browser.newPage({ locale: 'de-DE', viewport: { width: 1280, height: 900 } });
    const shots: Array<[string, string]> = [['console-signin', '/verwaltung/anmelden']];
    await page.goto(`${app.url}/verwaltung/anmelden`);
    await page.screenshot({ path: join(OUT, 'console-signin-1280.png'), fullPage: true });
    await page.getByLabel('E-Mail-Adresse').fill(admin.email);
    await page.getByLabel('Passwort').fill(admin.password);
    await page.getByRole('button', { name: 'Anmelden' }).click();
    await page.waitForURL(`${app.url}/verwaltung`);
    shots.push(
      ['console-start', '/verwaltung'],
      ['console-day', `/verwaltung/tag?locationId=${office}&date=2026-06-08`],
      ['console-review', '/verwaltung/pruefung'],
      ['console-booking', `/verwaltung/buchungen/${lapsed.id}`],
      ['console-providers', '/verwaltung/anbieter'],
      ['console-incidents', '/verwaltung/vorfaelle'],
      ['console-stats', `/verwaltung/statistik?from=2026-05-01&to=2026-06-30`],
      ['console-office', `/verwaltung/aemter/${office}`],
      ['console-accounts', '/verwaltung/konten'],
      ['console-audit', '/verwaltung/protokoll'],
    );
    for (const [name, path] of shots.slice(1)) {
      await page.goto(`${app.url}${path}`);
      await page.screenshot({ path: join(OUT, `${name}-1280.png`), fullPage: true });
    }
    // The incident's dry run, as the supervisor sees it before declaring.
    await page.goto(`${app.url}/verwaltung/vorfaelle`);
    await page.getByLabel('Anbieterfamilie').selectOption('united-internet');
    await page.getByLabel('Begründung').first().fill('GMX nimmt seit 7 Uhr keine Mails der Stadt an');
    await page.getByRole('button', { name: 'Erst prüfen (Probelauf)' }).first().click();
    await page.screenshot({ path: join(OUT, 'console-incident-dry-run-1280.png'), fullPage: true });
    for (const name of [...shots.map(([n]) => n), 'console-incident-dry-run'])
      expect(statSync(join(OUT, `${name}-1280.png`)).size).toBeGreaterThan(1000);
  } finally {
    await browser.close();
    await app.close();
    await relay.stop();
  }
}, 120_000);
