/**
 * Citizen pages against the JSON route they are built on: requests/s of the free-times page and
 * the booking form page, beside GET /api/v1/slots for the same office and service, in one run, on
 * one app and database. Goal: each page ≥ 0.5 × the JSON route. Not part of `npm test`; bounded.
 *   npm run bench:pages        (BENCH_SECONDS per route, default 8; CONNECTIONS 16)
 * The load runs in a forked child (this file with --load), so it does not share the app's event loop.
 */
import { fork } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'pg';
import { createApp } from '../src/app.factory';
import { loadConfig } from '../src/config/app-config';
import { startEmbeddedPostgres } from '../src/database/embedded-postgres';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const CONNECTIONS = 16;

interface Job {
  url: string;
  seconds: number;
}
interface Result {
  requests: number;
  perSecond: number;
  non200: number;
  p50: number;
  p99: number;
}

/** In the child: CONNECTIONS clients, each sending the next GET when the last one answered. */
function loadChild() {
  process.on('message', async (job: Job) => {
    const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
    const latencies: number[] = [];
    let non200 = 0;
    const until = Date.now() + job.seconds * 1000;
    const one = () =>
      new Promise<void>((resolve) => {
        const began = performance.now();
        request(job.url, { agent }, (res) => {
          if (res.statusCode !== 200) non200 += 1;
          res.resume().on('end', () => {
            latencies.push(performance.now() - began);
            resolve();
          });
        })
          .on('error', () => {
            non200 += 1;
            resolve();
          })
          .end();
      });
    const started = Date.now();
    await Promise.all(
      Array.from({ length: CONNECTIONS }, async () => {
        while (Date.now() < until) await one();
      }),
    );
    const seconds = (Date.now() - started) / 1000;
    latencies.sort((a, b) => a - b);
    const at = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? NaN;
    agent.destroy();
    process.send!({ requests: latencies.length, perSecond: latencies.length / seconds, non200, p50: at(0.5), p99: at(0.99) });
  });
}

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer().once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

async function main(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'holdfast-bench-pages-'));
  chmodSync(dir, 0o755); // as root, PostgreSQL runs as its own user
  const pg = await startEmbeddedPostgres({
    dataDir: join(dir, 'data'),
    port: await freePort(),
    database: 'holdfast_bench',
    persistent: false,
  });
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    DATABASE_URL: pg.url,
    HOLDFAST_DEV: 'true',
    WORKERS_ENABLED: 'false',
    SEED_DEMO: 'false',
    RATE_LIMIT_PER_MINUTE: '0',
    PUBLIC_BASE_URL: 'http://localhost',
  });
  const app = await createApp(config, { logger: false });
  const db = new Pool({ connectionString: pg.url, max: 2 });
  const child = fork(__filename, ['--load'], { stdio: 'inherit' });
  try {
    // One office, one service, 14 days of slots every 20 minutes from 08:00 to 15:00 (the listing's real shape).
    const {
      rows: [ids],
    } = await db.query(
      `WITH l AS (INSERT INTO locations (name, address, time_zone) VALUES ('Bench Amt', 'Benchweg 1, 10115 Berlin', 'Europe/Berlin') RETURNING id),
            s AS (INSERT INTO services (name, duration_minutes) VALUES ('Bench Service', 20) RETURNING id)
       SELECT l.id AS "locationId", s.id AS "serviceId" FROM l, s`,
    );
    await db.query(
      `INSERT INTO slots (location_id, service_id, starts_at, ends_at, capacity)
       SELECT $1, $2, t, t + interval '20 minutes', 3
         FROM generate_series(date_trunc('day', now()) + interval '1 day 6 hours', date_trunc('day', now()) + interval '15 days', interval '20 minutes') t
        WHERE extract(hour FROM t AT TIME ZONE 'Europe/Berlin') BETWEEN 8 AND 14`,
      [ids.locationId, ids.serviceId],
    );
    const {
      rows: [slot],
    } = await db.query(`SELECT id FROM slots ORDER BY starts_at LIMIT 1`);
    const routes: Array<[string, string]> = [
      ['GET /api/v1/slots (JSON)', `/api/v1/slots?locationId=${ids.locationId}&serviceId=${ids.serviceId}`],
      ['free-times page', `/termine?locationId=${ids.locationId}&serviceId=${ids.serviceId}`],
      ['booking form page', `/termine/buchen?slotId=${slot.id}`],
    ];
    const run = (path: string) =>
      new Promise<Result>((resolve) => {
        child.once('message', (m) => resolve(m as Result));
        child.send({ url: `${app.url}${path}`, seconds: SECONDS } satisfies Job);
      });
    console.log(`bench:pages: ${SECONDS} s per route, ${CONNECTIONS} connections, one app, embedded PostgreSQL`);
    // Warm-up, then each route in turn.
    for (const [, path] of routes)
      await new Promise<Result>((resolve) => {
        child.once('message', (m) => resolve(m as Result));
        child.send({ url: `${app.url}${path}`, seconds: 1 } satisfies Job);
      });
    const results: Result[] = [];
    for (const [, path] of routes) results.push(await run(path));
    const json = results[0].perSecond;
    console.log('route                       req/s    p50 ms   p99 ms   non-200   ratio to JSON   goal');
    let met = true;
    routes.forEach(([name], i) => {
      const r = results[i];
      const ratio = r.perSecond / json;
      const goal = i === 0 ? '' : ratio >= 0.5 ? '>= 0.5 MET' : '>= 0.5 NOT MET';
      if (i > 0 && ratio < 0.5) met = false;
      if (r.non200 > 0) met = false;
      console.log(
        `${name.padEnd(26)}${r.perSecond.toFixed(0).padStart(7)}${r.p50.toFixed(1).padStart(10)}${r.p99.toFixed(1).padStart(9)}${String(r.non200).padStart(10)}${(i === 0 ? '1.00' : ratio.toFixed(2)).padStart(16)}   ${goal}`,
      );
    });
    console.log(met ? 'bench:pages: every goal MET' : 'bench:pages: a goal NOT MET (or errors)');
    return met ? 0 : 1;
  } finally {
    child.disconnect();
    await db.end();
    await app.close();
    await pg.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv.includes('--load')) loadChild();
else
  main().then(
    (code) => process.exit(code),
    (err) => {
      console.error(err);
      process.exit(2);
    },
  );
