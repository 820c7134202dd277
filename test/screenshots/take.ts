import { mkdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DispatcherService } from '../../src/notifications/dispatcher.service';
import { addSlot, citizen, createSlot } from '../factories/scheduling.factory';
import { launchBrowser } from '../support/browser';
import { startTestApp } from '../support/test-app';

/**
 * `npm run screenshots`: a PNG of each citizen page at 1280 and 375 px into docs/screenshots/
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
