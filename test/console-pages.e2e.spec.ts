import { Browser, Page } from 'playwright-core';
import { ExpirySweeperService } from '../src/bookings/expiry-sweeper.service';
import { DispatcherService } from '../src/notifications/dispatcher.service';
import { SchedulingService } from '../src/scheduling/scheduling.service';
import { citizen, slotOf } from './factories/scheduling.factory';
import { launchBrowser, seriousViolations } from './support/browser';
import { staffAccount } from './support/console';
import { GMX_IP_BLOCK } from './support/provider-replies';
import { ScriptedSmtpServer } from './support/scripted-smtp';
import { confirmTokenOfQueued, http, restoreClockAfterEach, startTestApp, TestApp } from './support/test-app';

/**
 * The staff console in a real browser (Debian's Chromium, headless): sign-in and sign-out, a
 * clerk reinstating a lapsed booking from the review queue, the day list with check-in and
 * no-show, a supervisor declaring and ending an incident after the dry run, an admin closing an
 * office after the dry run (the booking cancelled with a notice), a form posted without its token,
 * an idle session ending, a role refused, and axe-core on every console page.
 */
describe('the staff console in a real browser', () => {
  const relay = new ScriptedSmtpServer();
  let app: TestApp;
  let browser: Browser;
  let page: Page;
  let locationId: string;
  let serviceId: string;
  let lapsed: { id: string; reference: string };
  restoreClockAfterEach(() => app?.clock);

  const book = async (startsAt: string, domain = 'example.org') => {
    const who = citizen();
    const slotId = await slotOf(app.db, locationId, serviceId, startsAt);
    const res = await http(app, 'POST', '/api/v1/bookings', {
      body: { slotId, name: who.name, email: who.email.replace('example.org', domain) },
    });
    expect(res.status).toBe(201);
    return { id: res.body.id as string, reference: res.body.reference as string, name: who.name };
  };
  const confirm = async (id: string) =>
    expect(
      (await http(app, 'POST', '/api/v1/confirmations', { body: { token: await confirmTokenOfQueued(app, id) } })).status,
    ).toBe(200);

  /** Signs in through the form as a new account of this role. */
  const signIn = async (role: 'clerk' | 'supervisor' | 'admin') => {
    const account = await staffAccount(app, role);
    await page.goto(`${app.url}/verwaltung/anmelden`);
    await page.getByLabel('E-Mail-Adresse').fill(account.email);
    await page.getByLabel('Passwort').fill(account.password);
    await page.getByRole('button', { name: 'Anmelden' }).click();
    await page.waitForURL(`${app.url}/verwaltung`);
    return account;
  };

  const checked = new Set<string>();
  const expectAccessible = async () => {
    checked.add(new URL(page.url()).pathname.replace(/[0-9a-f-]{36}/g, ':id'));
    expect(await seriousViolations(page)).toEqual([]);
  };

  beforeAll(async () => {
    const smtpUrl = await relay.start();
    relay.rcptReplies.set('gmx.de', GMX_IP_BLOCK);
    app = await startTestApp({ env: { SMTP_URL: smtpUrl }, clockStart: '2026-06-01T04:00:00Z' });
    serviceId = (await app.db.query(`INSERT INTO services (name, duration_minutes) VALUES ('Personalausweis', 20) RETURNING id`))
      .rows[0].id;
    locationId = (
      await app.db.query(
        `INSERT INTO locations (name, address, time_zone) VALUES ('Bürgeramt Browser', 'Markt 1', 'Europe/Berlin') RETURNING id`,
      )
    ).rows[0].id;
    await app.db.query(
      `INSERT INTO opening_hours (location_id, weekday, opens, closes, counters) SELECT $1, d, '08:00', '12:00', 2 FROM generate_series(1, 7) d`,
      [locationId],
    );
    await app.app.get(SchedulingService).generateForLocation(locationId, 10);
    // A booking whose mail GMX refuses: held, and lapsed after the hold's 72 hours.
    lapsed = await book('2026-06-05T08:00:00Z', 'gmx.de');
    await app.app.get(DispatcherService).dispatchOnce();
    app.clock.set('2026-06-04T04:01:00Z');
    await app.app.get(ExpirySweeperService).sweep();
    browser = await launchBrowser();
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await relay.stop();
  });
  beforeEach(async () => {
    page = await browser.newPage({ locale: 'de-DE' });
  });
  afterEach(async () => {
    await page.close();
  });

  it('signs in and out', async () => {
    await page.goto(`${app.url}/verwaltung/tag`);
    await page.waitForURL(/\/verwaltung\/anmelden/);
    await expectAccessible();
    await page.getByRole('button', { name: 'Anmelden' }).click();
    expect(await page.locator('#error-summary').textContent()).toContain('Bitte füllen Sie dieses Feld aus.');
    const account = await staffAccount(app, 'clerk');
    await page.getByLabel('E-Mail-Adresse').fill(account.email);
    await page.getByLabel('Passwort').fill('not-the-password');
    await page.getByRole('button', { name: 'Anmelden' }).click();
    expect(await page.locator('#error-summary').textContent()).toContain('E-Mail-Adresse oder Passwort ist falsch.');
    expect(await page.getByLabel('E-Mail-Adresse').inputValue()).toBe(account.email);
    await page.getByLabel('Passwort').fill(account.password);
    await page.getByRole('button', { name: 'Anmelden' }).click();
    await page.waitForURL(`${app.url}/verwaltung/tag`);
    await expectAccessible();
    const cookie = (await page.context().cookies()).find((c) => c.name === 'holdfast_staff')!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/verwaltung' });
    await page.getByRole('button', { name: 'Abmelden' }).click();
    await page.waitForURL(/abgemeldet=1/);
    expect(await page.getByRole('status').first().textContent()).toContain('Sie sind abgemeldet.');
    await page.goto(`${app.url}/verwaltung`);
    await page.waitForURL(/\/verwaltung\/anmelden/);
  });

  it('a clerk reinstates the lapsed booking from the review queue', async () => {
    await signIn('clerk');
    await page.getByRole('link', { name: 'Prüfliste' }).first().click();
    await expectAccessible();
    expect(await page.getByText('Verfallen (E-Mail nicht zugestellt): 1').count()).toBe(1);
    await page.getByRole('link', { name: lapsed.reference }).click();
    await expectAccessible();
    await page.getByText('Wiederherstellen', { exact: true }).first().click(); // opens the action
    const action = page.locator('details.console-action', { hasText: 'Wiederherstellen' });
    await action.getByRole('button', { name: 'Wiederherstellen' }).click();
    expect(await page.locator('details[open] .kern-alert--danger').textContent()).toContain('Pflichtfeld');
    await page.locator('details[open]').getByLabel('Begründung').fill('Bürger hat angerufen, GMX blockiert');
    await page.locator('details[open]').getByRole('button', { name: 'Wiederherstellen' }).click();
    await page.waitForURL(/erledigt=wiederherstellen/);
    expect(await page.getByText('wartet auf Bestätigung').count()).toBeGreaterThan(0);
    await expectAccessible();
    expect((await app.db.query(`SELECT status FROM bookings WHERE id = $1`, [lapsed.id])).rows[0].status).toBe('pending');
  });

  it("a clerk's day list: check-in, and a no-show after the grace time", async () => {
    app.clock.set('2026-06-08T05:00:00Z'); // Monday 07:00
    const came = await book('2026-06-08T06:00:00Z');
    const away = await book('2026-06-08T06:20:00Z');
    await confirm(came.id);
    await confirm(away.id);
    app.clock.set('2026-06-08T06:05:00Z');
    await signIn('clerk');
    await page.getByRole('link', { name: 'Tagesliste' }).first().click();
    await page.getByLabel('Tag').fill('2026-06-08');
    await page.getByRole('button', { name: 'Anzeigen' }).first().click();
    await expectAccessible();
    await page.getByRole('button', { name: `Eingecheckt: ${came.reference}` }).click();
    await page.waitForURL(/erledigt=1/);
    expect(await page.getByRole('row', { name: new RegExp(came.reference) }).textContent()).toContain('erschienen');
    app.clock.set('2026-06-08T06:30:00Z'); // before 08:40 + 15 min
    await page.getByRole('button', { name: `Nicht erschienen: ${away.reference}` }).click();
    expect(await page.getByRole('alert').first().textContent()).toContain('nach dem Termin und einer Wartezeit');
    app.clock.set('2026-06-08T06:56:00Z');
    await page.reload(); // the session: used 26 minutes ago, still running
    await page.getByRole('button', { name: `Nicht erschienen: ${away.reference}` }).click();
    await page.waitForURL(/erledigt=1/);
    expect(await page.getByRole('row', { name: new RegExp(away.reference) }).textContent()).toContain('nicht erschienen');
    expect((await app.db.query(`SELECT attendance FROM bookings WHERE id = $1`, [away.id])).rows[0].attendance).toBe('no_show');
  });

  it('a supervisor declares an incident after the dry run and ends it', async () => {
    await book('2026-06-09T08:00:00Z', 'gmx.de');
    await signIn('supervisor');
    await page.getByRole('link', { name: 'Störungen' }).first().click();
    await expectAccessible();
    await page.getByLabel('Anbieterfamilie').selectOption('united-internet');
    await page.getByLabel('Begründung').first().fill('GMX nimmt seit heute früh nichts an');
    await page.getByRole('button', { name: 'Erst prüfen (Probelauf)' }).first().click();
    expect(await page.getByRole('status').first().textContent()).toMatch(
      /Probelauf: \d+ wartende Buchungen mit E-Mail an united-internet/,
    );
    expect((await app.db.query(`SELECT count(*)::int AS n FROM incidents`)).rows[0].n).toBe(0);
    await expectAccessible();
    await page.getByRole('button', { name: 'Jetzt ausrufen' }).click();
    await page.waitForURL(/erledigt=ausgerufen/);
    expect(await page.getByText('united-internet – GMX nimmt seit heute früh nichts an').count()).toBe(1);
    await expectAccessible();
    const card = page.locator('.kern-card', { hasText: 'united-internet – GMX' });
    await card.locator('form[action$="/ende"]').getByLabel('Begründung').fill('GMX nimmt wieder an');
    await card.getByRole('button', { name: 'Störung beenden (mit Entschuldigung)' }).click();
    await page.waitForURL(/erledigt=beendet/);
    expect(await page.getByText(/Beendet\. \d+ zurückgehaltene E-Mails/).count()).toBe(1);
    expect((await app.db.query(`SELECT count(*)::int AS n FROM incidents WHERE ended_at IS NOT NULL`)).rows[0].n).toBe(1);
  });

  it('an admin closes the office after the dry run; the booking is cancelled with a notice', async () => {
    const booked = await book('2026-06-10T06:00:00Z');
    await confirm(booked.id);
    await signIn('admin');
    await page.getByRole('link', { name: 'Ämter' }).first().click();
    await expectAccessible();
    await page.getByRole('link', { name: 'Bürgeramt Browser' }).click();
    await expectAccessible();
    const form = page.locator('form[action$="/schliessungen"]');
    await form.getByLabel('Beginn').fill('2026-06-10T08:00');
    await form.getByLabel('Ende').fill('2026-06-10T12:00');
    await form.getByLabel('Grund (für Bürgerinnen und Bürger sichtbar)').fill('Wasserschaden');
    await form.getByRole('button', { name: 'Probelauf' }).click();
    expect(await page.getByText('Probelauf: 1 Buchungen betroffen.').count()).toBeGreaterThan(0);
    expect(await page.getByRole('link', { name: booked.reference }).count()).toBe(1);
    await expectAccessible();
    await page.getByRole('button', { name: 'Schließen und Betroffene absagen (mit Nachricht)' }).click();
    await page.waitForURL(/erledigt=geschlossen/);
    expect(await page.getByText('Geschlossen. 1 Buchungen abgesagt').count()).toBe(1);
    expect((await app.db.query(`SELECT status FROM bookings WHERE id = $1`, [booked.id])).rows[0].status).toBe('cancelled');
    const notices = await app.db.query(
      `SELECT kind FROM outbox_messages WHERE booking_id = $1 AND kind <> 'booking_confirmation'`,
      [booked.id],
    );
    expect(notices.rows.length).toBeGreaterThan(0);
  });

  it('refuses a form posted without its token, a role it does not have, and a session left idle', async () => {
    const clerk = await signIn('clerk');
    await page.goto(`${app.url}/verwaltung/buchungen/${lapsed.id}`);
    await page.evaluate(() => document.querySelectorAll('input[name="_csrf"]').forEach((i) => i.remove()));
    await page.locator('details.console-action').first().locator('summary').click();
    await page.locator('details[open]').getByLabel('Begründung').fill('ohne Token');
    await page.locator('details[open]').getByRole('button').last().click();
    await page.waitForLoadState();
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Formular abgelaufen');
    await expectAccessible();
    const refusals = await app.db.query(`SELECT after FROM audit_entries WHERE action = 'access.refused' AND actor_label = $1`, [
      clerk.email,
    ]);
    expect(refusals.rows[0].after.csrf).toBe('invalid');

    const response = await page.goto(`${app.url}/verwaltung/konten`);
    expect(response!.status()).toBe(403);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Kein Zugriff');
    await expectAccessible();

    app.clock.advance({ minutes: 31 });
    await page.goto(`${app.url}/verwaltung/suche`);
    await page.waitForURL(/abgelaufen=1/);
    expect(await page.getByRole('status').first().textContent()).toContain('Ihre Sitzung ist abgelaufen.');
  });

  it('axe-core finds no serious or critical violation on any console page, in German and English', async () => {
    await signIn('admin');
    const pages = [
      '/verwaltung',
      `/verwaltung/tag?locationId=${locationId}`,
      `/verwaltung/suche?q=${lapsed.reference}`,
      '/verwaltung/pruefung',
      `/verwaltung/buchungen/${lapsed.id}`,
      '/verwaltung/anbieter',
      '/verwaltung/vorfaelle',
      '/verwaltung/statistik',
      '/verwaltung/protokoll',
      '/verwaltung/aemter',
      `/verwaltung/aemter/${locationId}`,
      '/verwaltung/konten',
      '/verwaltung/sitzungen',
      '/verwaltung/datenschutz',
    ];
    for (const path of pages) {
      const res = await page.goto(`${app.url}${path}`);
      expect(res!.status()).toBe(200);
      await expectAccessible();
    }
    await page.goto(`${app.url}/verwaltung/pruefung?lang=en`);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Review queue');
    await page.goto(`${app.url}/verwaltung/konten`); // the choice stays
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Accounts');
    await expectAccessible();
    expect([...checked].filter((p) => p.startsWith('/verwaltung')).length).toBeGreaterThanOrEqual(15);
  });
});
