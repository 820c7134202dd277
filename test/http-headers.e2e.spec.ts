import { launchBrowser } from './support/browser';
import { startTestApp, TestApp, http } from './support/test-app';

/** Helmet's headers on every answer; the pages keep their CSP; HSTS only behind https. */
describe('HTTP headers', () => {
  let app: TestApp;
  let https: TestApp;

  beforeAll(async () => {
    app = await startTestApp();
    https = await startTestApp({ env: { PUBLIC_BASE_URL: 'https://termine.stadt.example' } });
  });

  afterAll(async () => {
    await app?.close();
    await https?.close();
  });

  it.each([
    ['/api/v1/locations', 200],
    ['/api/v1/bookings/not-a-uuid', 400],
    ['/no/such/route', 404],
    ['/health/ready', 200],
    ['/', 200],
    ['/assets/kern/kern.min.css', 200],
  ])('%s (%i) has helmet headers and a request id', async (path, status) => {
    const res = await http(app, 'GET', path);
    expect(res.status).toBe(status);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(res.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
    expect(res.headers.get('strict-transport-security')).toBeNull();
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("keeps the pages' CSP and gives the API a CSP of its own", async () => {
    const page = await http(app, 'GET', '/');
    expect(page.headers.get('content-security-policy')).toBe(
      "default-src 'none'; script-src 'self'; worker-src 'self'; connect-src 'self'; style-src 'self'; font-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    );
    const api = await http(app, 'GET', '/api/v1/locations');
    expect(api.headers.get('content-security-policy')).toBe(
      "default-src 'none';frame-ancestors 'none';base-uri 'none';form-action 'none'",
    );
    const docs = await http(app, 'GET', '/api/docs');
    expect(docs.status).toBe(200);
    expect(docs.headers.get('content-security-policy')).toMatch(/style-src 'self' 'unsafe-inline'/);
  });

  it('sends HSTS when the public address is https', async () => {
    const res = await http(https, 'GET', '/api/v1/locations');
    expect(res.headers.get('strict-transport-security')).toBe('max-age=31536000');
  });

  it('lets Swagger UI run under its CSP in a browser', async () => {
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      const refused: string[] = [];
      page.on('console', (m) => m.type() === 'error' && /Content Security Policy/i.test(m.text()) && refused.push(m.text()));
      await page.goto(`${app.url}/api/docs`);
      // The UI fetched the document and lists its operations.
      await page.waitForSelector('.opblock-summary-path', { timeout: 15_000 });
      expect(await page.locator('.opblock-summary-path').count()).toBeGreaterThan(40);
      expect(refused).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 60_000);
});
