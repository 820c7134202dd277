// CI: the start a city's IT makes. The built tree alone (package.json, lock file, dist/, scripts/) in a
// temporary directory, `npm ci --omit=dev` (no Nest CLI, no TypeScript), the migration as a job of
// its own (`npm run migration:run`), then `npm run start:prod` in production mode against a
// temporary PostgreSQL and an SMTP catcher on loopback. Checks: readiness, no /dev routes and no
// Swagger UI, /metrics only with its token, a JSON log; SIGTERM ends it with exit code 0.
// Usage (from the repository, after `npm run build`): node .ci/production-start.mjs
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { SMTPServer } from 'smtp-server';

const repo = join(import.meta.dirname, '..');
const started = Date.now();
const step = (what) => console.log(`production-start [${((Date.now() - started) / 1000).toFixed(1)} s] ${what}`);
const fail = (what) => {
  throw new Error(`production-start: ${what}`);
};

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function run(cmd, args, opts) {
  const result = spawnSync(cmd, args, { stdio: 'inherit', ...opts });
  if (result.status !== 0) fail(`${cmd} ${args.join(' ')} exited ${result.status}`);
}

async function startPostgres(dir) {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [join(repo, 'test/support/private-postgres-server.mjs'), join(dir, 'data'), String(port)],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const lines = createInterface({ input: child.stdout });
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('PostgreSQL did not start within 60 s')), 60_000);
    lines.on('line', (line) => line === 'ready' && (clearTimeout(timer), resolve()));
    child.once('exit', (code) => reject(new Error(`PostgreSQL exited (${code})`)));
  });
  return {
    url: `postgres://holdfast:holdfast@127.0.0.1:${port}/holdfast`,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', resolve);
        child.stdin.write('exit\n');
      }),
  };
}

async function startSmtpCatcher() {
  const port = await freePort();
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onData(stream, _session, callback) {
      stream.resume();
      stream.on('end', () => callback());
    },
  });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { url: `smtp://127.0.0.1:${port}`, stop: () => new Promise((resolve) => server.close(resolve)) };
}

async function waitReady(base, ms) {
  const until = Date.now() + ms;
  for (;;) {
    try {
      const res = await fetch(`${base}/health/ready`);
      if (res.ok) return res.json();
    } catch {
      // not listening yet
    }
    if (Date.now() > until) fail(`/health/ready not 200 within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function main() {
  if (!existsSync(join(repo, 'dist/src/main.js'))) fail('dist/src/main.js missing: run `npm run build` first');
  const dir = mkdtempSync(join(tmpdir(), 'holdfast-production-start-'));
  chmodSync(dir, 0o755); // as root, PostgreSQL runs as its own user and must reach its data dir
  const app = join(dir, 'app');
  let pg, smtp, child;
  try {
    for (const entry of ['package.json', 'package-lock.json', 'dist', 'scripts'])
      cpSync(join(repo, entry), join(app, entry), { recursive: true });
    step('npm ci --omit=dev');
    run('npm', ['ci', '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], { cwd: app });
    if (existsSync(join(app, 'node_modules/.bin/nest')))
      fail('the Nest CLI is installed: --omit=dev did not omit dev dependencies');
    pg = await startPostgres(dir);
    smtp = await startSmtpCatcher();
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const metricsToken = 'ci-metrics-token-0123456789';
    const env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: 'production',
      DATABASE_URL: pg.url,
      SMTP_URL: smtp.url,
      APP_SECRET: 'ci-production-start-secret-0123456789abcdef',
      PUBLIC_BASE_URL: `http://localhost:${port}`,
      MAIL_FROM: 'Bürgeramt <termine@stadt.example>',
      PORT: String(port),
      HOST: '127.0.0.1',
      METRICS_TOKEN: metricsToken,
      MIGRATE_ON_START: 'false',
    };
    step('npm run migration:run (without development dependencies)');
    run('npm', ['run', '--silent', 'migration:run'], { cwd: app, env });
    step('npm run start:prod');
    // A process group of its own: whatever happens, the finally below ends npm and the app together.
    child = spawn('npm', ['run', '--silent', 'start:prod'], {
      cwd: app,
      env,
      stdio: ['ignore', 'pipe', 'inherit'],
      detached: true,
    });
    const log = [];
    createInterface({ input: child.stdout }).on('line', (line) => log.push(line));
    const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    const early = exited.then(({ code }) => fail(`the app exited (${code}) before it was ready:\n${log.join('\n')}`));
    const ready = await Promise.race([waitReady(base, 60_000), early]);
    if (ready.database !== 'up' || ready.mail !== 'up') fail(`readiness: ${JSON.stringify(ready)}`);
    step(`ready: ${JSON.stringify(ready)}`);
    for (const path of ['/dev/mailbox', '/dev/mailbox.json', '/api/docs', '/api/docs/openapi.json']) {
      const res = await fetch(`${base}${path}`);
      if (res.status !== 404) fail(`${path} answered ${res.status}, not 404, in production`);
    }
    const open = await fetch(`${base}/metrics`);
    if (open.status !== 401) fail(`/metrics without its token answered ${open.status}, not 401`);
    const metrics = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } });
    const exposition = await metrics.text();
    if (metrics.status !== 200 || !/^holdfast_worker_last_round_timestamp_seconds\{worker="Dispatcher"\} \d/m.test(exposition))
      fail(
        `/metrics with its token answered ${metrics.status} or without the dispatcher's last round:\n${exposition.slice(0, 2000)}`,
      );
    if (!log.some((line) => line.startsWith('{') && JSON.parse(line).msg)) fail(`no JSON log line:\n${log.join('\n')}`);
    step('SIGTERM');
    child.kill('SIGTERM');
    const { code, signal } = await exited;
    if (code !== 0) fail(`exit after SIGTERM: code ${code}, signal ${signal}\n${log.slice(-20).join('\n')}`);
    if (!log.some((line) => line.includes('"msg":"shut down"')))
      fail(`the app did not log its shutdown:\n${log.slice(-20).join('\n')}`);
    step('exit code 0 after SIGTERM: ok');
  } finally {
    if (child && child.exitCode === null && child.signalCode === null) process.kill(-child.pid, 'SIGKILL');
    await smtp?.stop();
    await pg?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err.message);
  process.exit(1);
});
