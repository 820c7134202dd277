import { Browser, Page } from 'playwright-core';
import { DispatcherService } from '../src/notifications/dispatcher.service';
import { addSlot, citizen, createSlot } from './factories/scheduling.factory';
import { launchBrowser, seriousViolations } from './support/browser';
import { FakeSmsGateway } from './support/fake-sms-gateway';
import { restoreClockAfterEach, startTestApp, TestApp } from './support/test-app';

/**
 * The citizen's journey in a real browser (Debian's Chromium, headless): the offices, a service,
 * a free time, the form, the page after booking, the mail in the development mailbox, the confirm
 * page, the status page and cancelling. Every page is checked with axe-core (no serious or
 * critical WCAG 2.1 AA violation) and at 375 px width (no sideways scrolling).
 */
describe('citizen pages in a real browser', () => {
  let app: TestApp;
  let browser: Browser;
  let page: Page;
  let office: { locationId: string; serviceId: string; slotId: string };
  const sms = new FakeSmsGateway();
  restoreClockAfterEach(() => app?.clock);

  beforeAll(async () => {
    app = await startTestApp({
      clockStart: '2026-06-01T08:00:00Z',
      env: {
        SMS_GATEWAY_URL: await sms.start(),
        SMS_GATEWAY_TOKEN: 'gateway-token',
        TRUST_PROXY: 'true',
        STATUS_REFRESH_SECONDS: '1',
      },
    });
    office = await createSlot(app.db, { capacity: 3, startsAt: '2026-06-02T08:00:00Z' });
    await addSlot(app.db, office, '2026-06-02T09:00:00Z');
    await app.db.query(
      `INSERT INTO opening_hours (location_id, weekday, opens, closes, counters) VALUES ($1, 1, '08:00', '15:00', 2), ($1, 2, '08:00', '15:00', 2)`,
      [office.locationId],
    );
    browser = await launchBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await sms.stop();
  });
  beforeEach(async () => {
    page = await browser.newPage({ locale: 'de-DE' });
  });
  afterEach(async () => {
    await page.close();
  });

  const checked: string[] = [];
  /** axe on the page as it stands; the page's address is remembered for the summary. */
  const expectAccessible = async () => {
    checked.push(new URL(page.url()).pathname);
    expect(await seriousViolations(page)).toEqual([]);
  };

  it('the whole journey: office → service → time → form → mail → confirm → status → cancel', async () => {
    await page.goto(`${app.url}/`);
    await expectAccessible();
    await page.locator('.kern-card', { hasText: 'Bürgeramt Test' }).getByRole('link', { name: 'Anliegen' }).first().click();
    await expectAccessible();
    await page
      .getByRole('link', { name: /^Ausweis/ })
      .first()
      .click();
    await expect(page.getByRole('heading', { level: 1 })).toBeTruthy();
    await expectAccessible();
    await page.getByRole('link', { name: /10:00 Uhr/ }).click(); // 08:00Z is 10:00 in Berlin
    await expectAccessible();
    const who = citizen();
    await page.getByLabel('Name').fill(who.name);
    await page.getByLabel('E-Mail-Adresse').fill(who.email);
    // The bot check: the widget solved the server's challenge in the browser (focus on the form started it).
    await page.locator('input[name="altcha"]').waitFor({ state: 'attached' });
    await page.waitForFunction(() => (document.querySelector('input[name="altcha"]') as HTMLInputElement | null)?.value);
    await page.getByRole('button', { name: 'Verbindlich anfragen' }).click();
    await page.waitForURL(/\/buchung\/[0-9a-f-]+\?token=/);
    expect((await app.db.query(`SELECT count(*)::int AS n FROM altcha_solutions`)).rows[0].n).toBeGreaterThan(0);
    const reference = (await page.locator('dd strong').first().textContent())!;
    expect(reference).toMatch(/^HF-[A-Z0-9]{4}-[A-Z0-9]{4}$/);
    expect(await page.textContent('main')).toContain(`E-Mail an ${who.email}`);
    await expectAccessible();
    const statusUrl = page.url();

    await app.app.get(DispatcherService).dispatchOnce();
    const mail = app.catcher!.list().find((m) => m.to.includes(who.email))!;
    const confirmLink = mail.links.find((l) => l.includes('/confirm?token='))!;
    // The mail links the status page and the cancel page, with the booking's real status token.
    const statusLink = mail.links.find((l) => /\/buchung\/[0-9a-f-]+\?token=/.test(l))!;
    expect(statusLink.replace('http://holdfast.test', app.url)).toBe(statusUrl.replace('&neu=1', ''));
    expect(mail.links).toContain(statusLink.replace('?token=', '/absagen?token='));
    expect(mail.text).not.toContain('[[secret:');
    await page.goto(confirmLink.replace('http://holdfast.test', app.url));
    await expectAccessible();
    await page.getByRole('button', { name: 'Termin bestätigen' }).click();
    await page.getByRole('heading', { name: 'Ihr Termin ist bestätigt' }).waitFor();
    expect(await page.textContent('main')).toContain(reference);

    // "Ihr Termin ist bestätigt" with the calendar entry; the status page offers the same entry.
    await app.app.get(DispatcherService).dispatchOnce();
    const confirmedMail = app
      .catcher!.list()
      .find((m) => m.to.includes(who.email) && m.subject.startsWith('Ihr Termin ist bestätigt'))!;
    const [ics] = confirmedMail.attachments;
    expect(ics.filename).toBe('termin.ics');
    expect(ics.content).toContain('METHOD:REQUEST');
    const uid = /UID:(.+)/.exec(ics.content)![1].trim();
    expect(uid).toMatch(/^[0-9a-f-]{36}@/);
    await page.goto(statusUrl.replace('&neu=1', ''));
    expect(await page.textContent('main')).toContain('Bestätigt');
    const download = await page.request.get(
      await page.getByRole('link', { name: 'In den Kalender (ICS)' }).evaluate((a) => (a as HTMLAnchorElement).href),
    );
    expect(download.headers()['content-type']).toContain('text/calendar');
    expect(await download.text()).toContain(`UID:${uid}`);
    await expectAccessible();
    await page.getByRole('link', { name: 'Termin absagen' }).click();
    await expectAccessible();
    await page.getByRole('button', { name: 'Ja, Termin absagen' }).click();
    await page.waitForURL(/abgesagt=1/);
    expect(await page.textContent('main')).toContain('Ihr Termin ist abgesagt');
    const { rows } = await app.db.query(`SELECT status FROM bookings WHERE reference = $1`, [reference]);
    expect(rows[0].status).toBe('cancelled');
    // The cancellation of the calendar entry: same UID, a higher SEQUENCE.
    await app.app.get(DispatcherService).dispatchOnce();
    const cancelMail = app
      .catcher!.list()
      .find((m) => m.to.includes(who.email) && m.subject.startsWith('Ihr Termin ist abgesagt'))!;
    expect(cancelMail.attachments[0].content).toContain('METHOD:CANCEL');
    expect(cancelMail.attachments[0].content).toContain(`UID:${uid}`);
    expect(cancelMail.attachments[0].content).toContain('SEQUENCE:1');
  });

  it('the status page: resend (not twice in five minutes), another address, a phone, and the SMS code', async () => {
    const slotId = await addSlot(app.db, office, '2026-06-03T08:00:00Z', 5);
    await page.goto(`${app.url}/termine/buchen?slotId=${slotId}`);
    const who = citizen({ name: 'Status Seite' });
    await page.getByLabel('Name').fill(who.name);
    await page.getByLabel('E-Mail-Adresse').fill(who.email);
    await page.getByRole('button', { name: 'Verbindlich anfragen' }).click();
    await page.waitForURL(/neu=1/);
    const id = /\/buchung\/([0-9a-f-]+)/.exec(page.url())![1];
    await page.getByRole('link', { name: 'Zur Statusseite Ihres Termins' }).click();

    await page.getByRole('button', { name: 'E-Mail neu senden' }).click();
    expect(await page.getByRole('alert').textContent()).toContain('alle 5 Minuten');
    app.clock.advance({ minutes: 6 });
    await page.getByRole('button', { name: 'E-Mail neu senden' }).click();
    await page.waitForURL(/erneut=1/);
    expect(await page.getByRole('status').textContent()).toContain('neue E-Mail');

    const newEmail = citizen().email.replace('example.org', 'posteo.de');
    await page.getByLabel('Neue E-Mail-Adresse').fill(newEmail);
    await page.getByRole('button', { name: 'Adresse ändern' }).click();
    await page.waitForURL(/adresse=1/);
    await page.getByLabel('Telefon (Mobilnummer)').fill('0151 2345678');
    await page.getByRole('button', { name: 'Mobilnummer hinzufügen' }).click();
    await page.waitForURL(/telefon=1/);
    await expectAccessible();
    const { rows } = await app.db.query(`SELECT email, phone FROM bookings WHERE id = $1`, [id]);
    expect(rows[0]).toEqual({ email: newEmail, phone: '+491512345678' });

    // A new SMS code (the citizen asked for it); the page then takes the code.
    const token = new URL(page.url()).searchParams.get('token')!;
    const res = await page.request.post(`${app.url}/api/v1/bookings/${id}/new-code`, { headers: { 'x-booking-token': token } });
    expect(res.status()).toBe(200);
    await app.app.get(DispatcherService).dispatchOnce();
    const code = /Code (\d{6})/.exec(sms.received.find((m) => m.to === '+491512345678')!.text)![1];
    await page.reload();
    await page.getByLabel('Code aus der SMS (6 Ziffern)').fill(code === '000000' ? '111111' : '000000');
    await page.getByRole('button', { name: 'Mit Code bestätigen' }).click();
    expect(await page.getByRole('alert').textContent()).toContain('Dieser Code stimmt nicht');
    await page.getByLabel('Code aus der SMS (6 Ziffern)').fill(code);
    await page.getByRole('button', { name: 'Mit Code bestätigen' }).click();
    await page.waitForURL(/bestaetigt=1/);
    expect(await page.textContent('main')).toContain('Bestätigt');
  });

  it('the status page refreshes itself while pending and keeps what the citizen typed', async () => {
    const slotId = await addSlot(app.db, office, '2026-06-03T09:00:00Z', 5);
    const who = citizen({ name: 'Live Status' });
    const created = await fetch(`${app.url}/api/v1/bookings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ slotId, name: who.name, email: who.email }),
    }).then((r) => r.json());
    await page.goto(`${app.url}/buchung/${created.id}?token=${encodeURIComponent(created.statusToken)}`);
    expect(await page.locator('#live-status').textContent()).toContain('Noch nicht bestätigt');
    await page.getByLabel('Neue E-Mail-Adresse').fill('halb-getippt@example');
    await app.app.get(DispatcherService).dispatchOnce();
    const mail = app.catcher!.list().find((m) => m.to.includes(who.email))!;
    const confirm = await browser.newPage();
    await confirm.goto(mail.links.find((l) => l.includes('/confirm?token='))!.replace('http://holdfast.test', app.url));
    await confirm.getByRole('button', { name: 'Termin bestätigen' }).click();
    await confirm.getByRole('heading', { name: 'Ihr Termin ist bestätigt' }).waitFor();
    await confirm.close();
    await page.waitForFunction(() => document.getElementById('live-status')?.textContent?.includes('Bestätigt'), null, {
      timeout: 10_000,
    });
    expect(await page.getByLabel('Neue E-Mail-Adresse').inputValue()).toBe('halb-getippt@example');
    expect(await page.locator('#live-status').getAttribute('data-pending')).toBe('0');
  });

  it('the status page moves the appointment to another free time of the same service', async () => {
    const first = await addSlot(app.db, office, '2026-06-04T09:00:00Z', 2);
    const later = await addSlot(app.db, office, '2026-06-04T11:00:00Z', 2);
    const who = citizen({ name: 'Verlegt Werden' });
    const created = await fetch(`${app.url}/api/v1/bookings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ slotId: first, name: who.name, email: who.email }),
    }).then((r) => r.json());
    await page.goto(`${app.url}/buchung/${created.id}?token=${encodeURIComponent(created.statusToken)}`);
    await page.getByLabel('Neue Zeit').selectOption({ label: 'Donnerstag, 4. Juni 2026, 13:00 Uhr' });
    await expectAccessible();
    await page.getByRole('button', { name: 'Auf diese Zeit verlegen' }).click();
    await page.waitForURL(/verlegt=1/);
    expect(await page.textContent('main')).toContain('Ihr Termin ist verlegt');
    expect(await page.textContent('#live-status')).toContain('13:00 Uhr');
    const { rows } = await app.db.query(`SELECT slot_id FROM bookings WHERE id = $1`, [created.id]);
    expect(rows[0].slot_id).toBe(later);
  });

  it('a bad field: the form comes back with the input kept, a summary linked to the field, nothing booked', async () => {
    await page.goto(`${app.url}/termine/buchen?slotId=${office.slotId}`);
    await page.getByLabel('Name').fill('Max Mustermann');
    await page.getByLabel('E-Mail-Adresse').fill('max@');
    await page.getByRole('button', { name: 'Verbindlich anfragen' }).click();
    const summary = page.getByRole('alert').filter({ hasText: 'Bitte prüfen Sie Ihre Angaben' });
    await summary.waitFor();
    expect(await page.getByLabel('Name').inputValue()).toBe('Max Mustermann');
    expect(await page.getByLabel('E-Mail-Adresse').inputValue()).toBe('max@');
    expect(await page.getByLabel('E-Mail-Adresse').getAttribute('aria-invalid')).toBe('true');
    await summary.getByRole('link').click();
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('email');
    await expectAccessible();
    const { rows } = await app.db.query(`SELECT count(*)::int AS n FROM bookings WHERE name = 'Max Mustermann'`);
    expect(rows[0].n).toBe(0);
  });

  it('books with the keyboard alone, and a double submit makes one booking', async () => {
    await page.goto(`${app.url}/termine/buchen?slotId=${office.slotId}`);
    const who = citizen({ name: 'Tastatur Nutzerin' });
    await page.keyboard.press('Tab'); // the skip link first
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Zum Inhalt springen');
    await page.getByLabel('Name').focus();
    await page.keyboard.type(who.name);
    await page.keyboard.press('Tab');
    await page.keyboard.type(who.email);
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab'); // past the phone, to the privacy link
    await page.keyboard.press('Tab'); // the bot check's checkbox (it solves by itself; Space would start it)
    expect(await page.evaluate(() => !!document.activeElement?.closest('altcha-widget'))).toBe(true);
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent?.trim())).toBe('Verbindlich anfragen');
    // The same form sent twice (a double click, a reload of the POST) gives one booking; the bot
    // check's solution is used once, the repeat is answered as the first time.
    await page.waitForFunction(() => (document.querySelector('input[name="altcha"]') as HTMLInputElement | null)?.value);
    const form = await page.evaluate(() =>
      Object.fromEntries(new FormData(document.querySelector<HTMLFormElement>('main form')!) as any),
    );
    const post = () => page.request.post(`${app.url}/termine/buchen`, { form: form as Record<string, string>, maxRedirects: 0 });
    const [first, second] = [await post(), await post()];
    expect([first.status(), second.status()]).toEqual([303, 303]);
    expect(first.headers().location).toBe(second.headers().location);
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/buchung\//);
    const { rows } = await app.db.query(`SELECT count(*)::int AS n FROM bookings WHERE name = $1`, [who.name]);
    expect(rows[0].n).toBe(1);
  });

  it('at 375 px width nothing scrolls sideways, on every page', async () => {
    await page.setViewportSize({ width: 375, height: 800 });
    for (const path of [
      '/',
      `/termine?locationId=${office.locationId}`,
      `/termine?locationId=${office.locationId}&serviceId=${office.serviceId}`,
      `/termine/buchen?slotId=${office.slotId}`,
      '/datenschutz',
    ]) {
      await page.goto(`${app.url}${path}`);
      // Wider content than the viewport (less its vertical scroll bar) would scroll sideways.
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      expect([path, Math.max(0, overflow)]).toEqual([path, 0]);
    }
  });

  it('English by the switch and by Accept-Language', async () => {
    await page.goto(`${app.url}/`);
    await page.getByRole('link', { name: 'English' }).click();
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    expect(await page.textContent('h1')).toBe('City offices');
    const english = await browser.newPage({ locale: 'en-GB', extraHTTPHeaders: { 'accept-language': 'en-GB,en;q=0.9' } });
    try {
      await english.goto(`${app.url}/termine/buchen?slotId=${office.slotId}`);
      expect(await english.textContent('h1')).toBe('Book an appointment');
    } finally {
      await english.close();
    }
  });

  it('a booking made in English gets its mails in English', async () => {
    const slotId = await addSlot(app.db, office, '2026-06-03T10:00:00Z', 5);
    await page.goto(`${app.url}/termine/buchen?slotId=${slotId}&lang=en`);
    const who = citizen({ name: 'Jane Doe' });
    await page.getByLabel('Name').fill(who.name);
    await page.getByLabel('E-mail address').fill(who.email);
    await page.getByRole('button', { name: 'Request appointment' }).click();
    await page.waitForURL(/\/buchung\/.*lang=en/);
    expect(await page.textContent('h1')).toBe('Almost done: please confirm your appointment');
    await app.app.get(DispatcherService).dispatchOnce();
    const mail = app.catcher!.list().find((m) => m.to.includes(who.email))!;
    expect(mail.subject).toMatch(/^Please confirm your appointment on 03\.06\.2026 \(HF-/);
    expect(mail.text).toContain('Dear Jane Doe,');
    expect(mail.text).toContain('Wednesday, 3 June 2026 at 12:00');
    await page.goto(mail.links.find((l) => l.includes('/confirm?token='))!.replace('http://holdfast.test', app.url));
    await page
      .getByRole('button')
      .filter({ hasText: /bestätigen|Confirm/ })
      .click();
    await app.app.get(DispatcherService).dispatchOnce();
    const confirmed = app
      .catcher!.list()
      .find((m) => m.to.includes(who.email) && m.subject.startsWith('Your appointment is confirmed'));
    expect(confirmed?.text).toContain('The appointment for your calendar is attached');
  });

  it('an office with nothing free in the shown days points to the next free day and other offices', async () => {
    const empty = await createSlot(app.db, { capacity: 1, startsAt: '2026-07-01T08:00:00Z' });
    // The same service at the first office too: it is offered as another office.
    await app.db.query(`UPDATE slots SET service_id = $1 WHERE id = $2`, [empty.serviceId, office.slotId]);
    await page.goto(`${app.url}/termine?locationId=${empty.locationId}&serviceId=${empty.serviceId}`);
    const text = await page.textContent('main');
    expect(text).toContain('In diesem Zeitraum ist kein Termin frei.');
    expect(text).toContain('Der nächste freie Termin ist am Mittwoch, 1. Juli 2026.');
    expect(text).toContain('Bürgeramt Test');
    await expectAccessible();
  });

  describe("a warning before booking when the address's provider refuses our mail", () => {
    const warning = () => page.locator('#provider-warning');
    const fillAndSend = async (email: string) => {
      await page.goto(`${app.url}/termine/buchen?slotId=${office.slotId}`);
      await page.getByLabel('Name').fill('Warn Test');
      await page.getByLabel('E-Mail-Adresse').fill(email);
      await page.getByRole('button', { name: 'Verbindlich anfragen' }).click();
    };

    it('with JavaScript the warning comes on leaving the e-mail field, before sending; the booking then goes through at once', async () => {
      const { ProviderCircuitsService } = await import('../src/mail-delivery/provider-circuits.service');
      const { TransactionRunner } = await import('../src/database/transaction-runner');
      await app.app.get(TransactionRunner).run((m) =>
        app.app.get(ProviderCircuitsService).applyEvent(m, 'united-internet', {
          type: 'reply',
          category: 'provider_block',
          at: app.clock.now().toMillis(),
        }),
      );
      await page.goto(`${app.url}/termine/buchen?slotId=${office.slotId}`);
      await page.getByLabel('Name').fill('Blur Test');
      const email = citizen().email.replace('example.org', 'web.de');
      await page.getByLabel('E-Mail-Adresse').fill(email);
      await page.getByLabel('E-Mail-Adresse').press('Tab');
      await warning().waitFor();
      expect(await warning().textContent()).toContain('WEB.DE nimmt seit');
      expect(await page.locator('input[name="providerWarningSeen"]').inputValue()).toBe('1');
      await expectAccessible();
      // Another address whose provider takes our mail: the warning goes.
      await page.getByLabel('E-Mail-Adresse').fill(citizen().email.replace('example.org', 'posteo.de'));
      await page.getByLabel('E-Mail-Adresse').press('Tab');
      await page.waitForFunction(() => !document.getElementById('provider-warning'));
      await page.getByLabel('E-Mail-Adresse').fill(email);
      await page.getByLabel('E-Mail-Adresse').press('Tab');
      await warning().waitFor();
      await page.waitForFunction(() => (document.querySelector('input[name="altcha"]') as HTMLInputElement | null)?.value);
      await page.getByRole('button', { name: 'Verbindlich anfragen' }).click();
      await page.waitForURL(/\/buchung\//);
      expect((await app.db.query(`SELECT count(*)::int AS n FROM bookings WHERE email = $1`, [email])).rows[0].n).toBe(1);
      await app.app
        .get((await import('../src/mail-delivery/providers.service')).ProvidersService)
        .resume('united-internet', 'test', { id: null, label: 'test' });
    });

    it('GMX blocks us (open circuit): warned, input kept, nothing booked yet; going on books once', async () => {
      const { ProviderCircuitsService } = await import('../src/mail-delivery/provider-circuits.service');
      const circuits = app.app.get(ProviderCircuitsService);
      const { TransactionRunner } = await import('../src/database/transaction-runner');
      await app.app.get(TransactionRunner).run((m) =>
        circuits.applyEvent(m, 'united-internet', {
          type: 'reply',
          category: 'provider_block',
          at: app.clock.now().toMillis(),
        }),
      );
      // Without JavaScript: the warning is a second step after sending, then the bot check's short wait.
      await page.close();
      page = await browser.newPage({ locale: 'de-DE', javaScriptEnabled: false });
      const email = citizen().email.replace('example.org', 'gmx.de');
      await fillAndSend(email);
      await warning().waitFor();
      expect(await warning().textContent()).toContain('GMX nimmt seit 10:00 Uhr keine E-Mails der Stadt an');
      expect(await page.getByLabel('E-Mail-Adresse').inputValue()).toBe(email);
      // (axe needs JavaScript: the warning's markup is checked in the test above, with it.)
      const count = async () =>
        (await app.db.query(`SELECT count(*)::int AS n FROM bookings WHERE email = $1`, [email])).rows[0].n as number;
      expect(await count()).toBe(0);
      await page.getByRole('button', { name: 'Mit diesen Angaben buchen' }).click();
      await page.getByText('Noch ein Schritt ohne JavaScript').waitFor();
      expect(await page.getByLabel('E-Mail-Adresse').inputValue()).toBe(email);
      expect(await count()).toBe(0);
      await page.waitForTimeout(5_100);
      await page.getByRole('button', { name: 'Jetzt buchen' }).click();
      await page.waitForURL(/\/buchung\//);
      expect(await count()).toBe(1);
      await app.app
        .get((await import('../src/mail-delivery/providers.service')).ProvidersService)
        .resume('united-internet', 'test', {
          id: null,
          label: 'test',
        });
    });

    it('a declared incident (Outlook) warns too; an address whose provider takes our mail is not warned', async () => {
      const { IncidentsService } = await import('../src/incidents/incidents.service');
      await app.app.get(IncidentsService).declare('microsoft', 'Outlook weist ab', { id: null, label: 'test' });
      // With JavaScript: asked when the field is left (the answer awaited, so the check is not a race).
      // A slot of its own: the office's first slot is full by now (the tests above booked it).
      const slotId = await addSlot(app.db, office, '2026-06-04T08:00:00Z', 5);
      const leaveField = async (email: string) => {
        await page.goto(`${app.url}/termine/buchen?slotId=${slotId}`);
        await page.getByLabel('Name').fill('Warn Test');
        await page.getByLabel('E-Mail-Adresse').fill(email);
        const answered = page.waitForResponse((r) => r.url().includes('/termine/buchen/warnung'));
        await page.getByLabel('E-Mail-Adresse').press('Tab');
        await answered;
      };
      await leaveField(citizen().email.replace('example.org', 'outlook.de'));
      await warning().waitFor();
      expect(await warning().textContent()).toContain('Outlook');
      await leaveField(citizen().email.replace('example.org', 'gmail.com'));
      expect(await page.locator('#provider-warning').count()).toBe(0);
      await page.getByRole('button', { name: 'Verbindlich anfragen' }).click();
      await page.waitForURL(/\/buchung\//);
      expect(await page.locator('#provider-warning').count()).toBe(0);
    });
  });
});
