import { Lifecycle } from '../src/common/lifecycle';
import { freePort } from './support/ports';
import { http, startTestApp, TestApp } from './support/test-app';

/** Readiness: the relay is reported, not required; a draining instance is not ready at once. */
describe('/health/ready', () => {
  let app: TestApp;

  beforeAll(async () => {
    // A relay nobody listens on.
    app = await startTestApp({ env: { SMTP_URL: `smtp://127.0.0.1:${await freePort()}` } });
  });

  afterAll(async () => {
    await app?.close();
  });

  it('stays ready while the relay does not answer, and says so', async () => {
    const began = Date.now();
    const res = await http(app, 'GET', '/health/ready');
    expect(Date.now() - began).toBeLessThan(1500);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'degraded', database: 'up', mail: 'down', workers: 'off' });
  });

  it('answers 503 NOT_READY as soon as the instance drains', async () => {
    app.app.get(Lifecycle).beginDrain();
    const res = await http(app, 'GET', '/health/ready');
    expect(res.status).toBe(503);
    expect(res.body.error).toMatchObject({ code: 'NOT_READY', message: 'This instance is shutting down.' });
    expect(res.body.error.requestId).toBe(res.headers.get('x-request-id'));
    // Liveness is not readiness: the process still answers.
    expect((await http(app, 'GET', '/health')).status).toBe(200);
  });
});
