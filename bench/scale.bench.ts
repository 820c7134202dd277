/**
 * Scale: what grows with a city's data, each figure with its goal.
 *   npm run bench:scale      (BENCH_SCALE=sweeper,claim,slots,replay runs some; BENCH_RUNS=3; BENCH_SECONDS=5 per booking run;
 *                             DATABASE_URL: databases of its own are created on that loopback server, then dropped)
 * - sweeper: 100,000 pending bookings whose holds are due (half delivered: expire; a third held by a blocked
 *   provider and the rest delayed: extend); one full sweep < 2 s.
 * - claim: the dispatcher with 100,000 due mails in 5 families; mails/s ≥ 0.8 × with a 1,000 backlog.
 * - slots: 50 offices × 3 services × a year of slots and counter units (6 counters shared by the
 *   services) and 1,000,000 bookings; the 14-day free-time listing (a third of them for a combined
 *   appointment) p99 < 20 ms; bookings/s ≥ 0.9 × on an empty bookings table.
 * - replay: the Mülheim replay (test/support/muelheim-replay.ts) at 10×; its checks, and its runtime.
 * Not part of `npm test`; bounded (about 4 minutes); 127.0.0.1 only. Data is generated with set-based SQL
 * (secondary indexes built after the load, as a restore does). Each measurement runs BENCH_RUNS times:
 * every run, the median and the range are printed.
 */
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { AddressInfo, createServer } from 'node:net';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Pool } from 'pg';
import { SMTPServer } from 'smtp-server';
import { createApp, RunningApp } from '../src/app.factory';
import { ExpirySweeperService } from '../src/bookings/expiry-sweeper.service';
import { loadConfig } from '../src/config/app-config';
import { startEmbeddedPostgres } from '../src/database/embedded-postgres';
import { migrateLocked } from '../src/database/migrate';
import { TransactionRunner } from '../src/database/transaction-runner';
import { DispatcherService } from '../src/notifications/dispatcher.service';
import { OutboxRepository } from '../src/outbox/outbox.repository';
import { replayMuelheim } from '../test/support/muelheim-replay';
import { ADMIN_URL_ENV, TEMPLATE_ENV } from '../test/support/test-database';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ONLY = new Set((process.env.BENCH_SCALE ?? 'sweeper,claim,slots,replay').split(','));
const DUE_HOLDS = 100_000;
const BIG_BACKLOG = 100_000;
const SMALL_BACKLOG = 1_000;
const OFFICES = 50;
const SERVICES = 3;
const LISTINGS = 600;
const CONNECTIONS = 16;
const REPLAY_SCALE = 10;
const TZ = 'Europe/Berlin';
const FAMILIES = [
  { family: 'google', domain: 'gmail.com' },
  { family: 'telekom', domain: 't-online.de' },
  { family: 'microsoft', domain: 'outlook.de' },
  { family: 'yahoo', domain: 'yahoo.de' },
  { family: 'united-internet', domain: 'gmx.de' },
];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (n: number, d = 0) => n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
const percentile = (ms: number[], p: number) => {
  const s = [...ms].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * p))] ?? NaN;
};

// ---- child: HTTP load, in its own process so it does not share the app's event loop ------------------
interface BookingJob {
  kind: 'book';
  url: string;
  slots: string[];
  start: number;
  tag: string;
  seconds: number;
}
interface ListingJob {
  kind: 'list';
  url: string;
  paths: string[];
}
type LoadJob = BookingJob | ListingJob;
interface BookingLoad {
  seconds: number;
  created: number;
  sent: number;
  status: Record<string, number>;
  errors: number;
}
interface ListingLoad {
  ms: number[];
  status: Record<string, number>;
  slots: number;
}

async function book(job: BookingJob): Promise<BookingLoad> {
  const autocannon = require('autocannon') as (opts: object) => Promise<{ errors: number; timeouts: number }>;
  const status: Record<string, number> = {};
  let sent = 0;
  const t0 = performance.now();
  const result = await autocannon({
    url: job.url,
    connections: CONNECTIONS,
    duration: job.seconds,
    requests: [
      {
        method: 'POST',
        path: '/api/v1/bookings',
        headers: { 'content-type': 'application/json' },
        setupRequest: (req: { body?: string }) => {
          const i = sent++; // every request: the next slot, an address of its own
          req.body = JSON.stringify({
            slotId: job.slots[(job.start + i) % job.slots.length],
            name: 'Bench Citizen',
            email: `s${job.tag}-${i}@bench.example.org`,
          });
          return req;
        },
        onResponse: (code: number) => (status[code] = (status[code] ?? 0) + 1),
      },
    ],
  });
  return {
    seconds: (performance.now() - t0) / 1000,
    created: status['201'] ?? 0,
    sent,
    status,
    errors: result.errors + result.timeouts,
  };
}

/** One request at a time (a citizen's page load), latency of each. */
async function list(job: ListingJob): Promise<ListingLoad> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const { hostname, port } = new URL(job.url);
  const ms: number[] = [];
  const status: Record<string, number> = {};
  let slots = 0;
  for (const path of job.paths) {
    const t0 = performance.now();
    const { code, body } = await new Promise<{ code: number; body: string }>((resolve, reject) =>
      request({ agent, hostname, port, path, method: 'GET' }, (res) => {
        let text = '';
        res
          .setEncoding('utf8')
          .on('data', (c: string) => (text += c))
          .on('end', () => resolve({ code: res.statusCode ?? 0, body: text }));
      })
        .on('error', reject)
        .end(),
    );
    ms.push(performance.now() - t0);
    status[code] = (status[code] ?? 0) + 1;
    if (code === 200) slots += (JSON.parse(body) as unknown[]).length;
  }
  agent.destroy();
  return { ms, status, slots };
}

function loadGenerator() {
  const child = fork(__filename, ['--load'], { stdio: 'inherit' });
  let failed: (err: Error) => void = () => undefined;
  child.on('exit', (code) => failed(new Error(`load generator exited with ${code}`)));
  const run = <T>(job: LoadJob) =>
    new Promise<T>((resolve, reject) => {
      failed = reject;
      child.once('message', (m) => resolve(m as T)).send(job);
    });
  return {
    book: (job: Omit<BookingJob, 'kind'>) => run<BookingLoad>({ kind: 'book', ...job }),
    list: (job: Omit<ListingJob, 'kind'>) => run<ListingLoad>({ kind: 'list', ...job }),
    stop: () => child.disconnect(),
  };
}

// ---- the database server: one, with a migrated template; a database of its own per scenario -----------
const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer().once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });

async function adminQuery(url: string, text: string): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

interface Server {
  adminUrl: string;
  where: string;
  template: string;
  /** A new database cloned from the migrated template (or from another database of the bench, by its tag). */
  database(tag: string, from?: string): Promise<{ url: string; drop(): Promise<void> }>;
  stop(): Promise<void>;
}

async function startServer(): Promise<Server> {
  let adminUrl = process.env.DATABASE_URL;
  let stop = async () => undefined as void;
  let where: string;
  if (adminUrl) {
    const host = new URL(adminUrl).hostname;
    if (!['127.0.0.1', 'localhost', '[::1]'].includes(host))
      throw new Error(`DATABASE_URL must point to this machine, not ${host}`);
    where = 'the DATABASE_URL server';
  } else {
    const dir = mkdtempSync(join(tmpdir(), 'holdfast-bench-scale-'));
    chmodSync(dir, 0o755); // as root, PostgreSQL runs as its own user
    const pg = await startEmbeddedPostgres({
      dataDir: join(dir, 'data'),
      port: await freePort(),
      database: 'postgres',
      persistent: false,
    });
    adminUrl = pg.url;
    where = `embedded PostgreSQL in ${dir}`;
    stop = async () => {
      await pg.stop();
      rmSync(dir, { recursive: true, force: true });
    };
  }
  const prefix = `holdfast_scale_${randomBytes(3).toString('hex')}`;
  const urlOf = (name: string) => {
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    return url.toString();
  };
  const template = `${prefix}_tpl`;
  await adminQuery(adminUrl, `CREATE DATABASE "${template}"`);
  await migrateLocked(urlOf(template));
  const created = [template];
  return {
    adminUrl,
    where,
    template,
    database: async (tag, from) => {
      const name = `${prefix}_${tag}`;
      await adminQuery(adminUrl, `CREATE DATABASE "${name}" TEMPLATE "${from ? `${prefix}_${from}` : template}"`);
      created.push(name);
      return { url: urlOf(name), drop: () => adminQuery(adminUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`) };
    },
    stop: async () => {
      for (const name of created.reverse())
        await adminQuery(adminUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).catch(() => undefined);
      await stop();
    },
  };
}

/**
 * Loads rows the way a restore does: the tables' secondary indexes and unique constraints are dropped
 * and built again afterwards (primary keys stay: rows come in key order), and, as a superuser, foreign keys are not
 * checked row by row (the generated rows are consistent by construction). Then VACUUM ANALYZE and a
 * checkpoint, so no autovacuum or checkpoint of the load falls into a measurement.
 */
async function bulkLoad(url: string, tables: string[], load: (db: Client) => Promise<void>): Promise<number> {
  const t0 = performance.now();
  const db = new Client({ connectionString: url });
  await db.connect();
  try {
    // A bulk load is no request: the bookings' commit window (migration CommitWindow) is off for it.
    await db.query(`SET holdfast.commit_window_ms = 0`);
    await db.query(`SET maintenance_work_mem = '256MB'`);
    await db.query(`SET work_mem = '256MB'`);
    const { rows: indexes } = await db.query<{ name: string; def: string }>(
      `SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS def FROM pg_index i
        WHERE i.indrelid = ANY($1::regclass[])
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conrelid = i.indrelid AND c.conindid = i.indexrelid)`,
      [tables],
    );
    // Unique constraints no foreign key refers to are built again too; primary keys stay (rows come in key order).
    const { rows: uniques } = await db.query<{ tab: string; name: string; def: string }>(
      `SELECT c.conrelid::regclass::text AS tab, c.conname AS name, pg_get_constraintdef(c.oid) AS def FROM pg_constraint c
        WHERE c.conrelid = ANY($1::regclass[]) AND c.contype = 'u'
          AND NOT EXISTS (SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.conindid = c.conindid)`,
      [tables],
    );
    const {
      rows: [role],
    } = await db.query<{ superuser: boolean }>(`SELECT rolsuper AS superuser FROM pg_roles WHERE rolname = current_user`);
    for (const index of indexes) await db.query(`DROP INDEX ${index.name}`);
    for (const u of uniques) await db.query(`ALTER TABLE ${u.tab} DROP CONSTRAINT ${u.name}`);
    if (role.superuser) await db.query(`SET session_replication_role = replica`);
    try {
      await load(db);
    } finally {
      if (role.superuser) await db.query(`SET session_replication_role = DEFAULT`);
      for (const u of uniques) await db.query(`ALTER TABLE ${u.tab} ADD CONSTRAINT ${u.name} ${u.def}`);
      for (const index of indexes) await db.query(index.def);
    }
    await db.query(`VACUUM ANALYZE ${tables.join(', ')}`);
    await db.query('CHECKPOINT');
  } finally {
    await db.end();
  }
  return (performance.now() - t0) / 1000;
}

// ---- the results table -------------------------------------------------------------------------------
interface Figure {
  name: string;
  runs: string;
  value: string;
  goal: string;
  met: boolean | undefined;
}
const figures: Figure[] = [];
function figure(
  name: string,
  runs: number[],
  digits: number,
  unit: string,
  goal?: { text: string; met: (median: number) => boolean },
) {
  const m = median(runs);
  const spread = runs.length > 1 ? ` (${fmt(Math.min(...runs), digits)}–${fmt(Math.max(...runs), digits)})` : '';
  figures.push({
    name,
    runs: runs.map((r) => fmt(r, digits)).join(' / '),
    value: `${fmt(m, digits)}${unit}${spread}`,
    goal: goal?.text ?? '',
    met: goal ? goal.met(m) : undefined,
  });
  return m;
}
const fact = (name: string, value: string, met?: boolean, goal = '') => figures.push({ name, runs: '', value, goal, met });

function printFigures(): void {
  const w = [Math.max(...figures.map((f) => f.name.length)), Math.max(...figures.map((f) => f.value.length)), 10];
  console.log(`\n${'figure'.padEnd(w[0])}  ${'median (range)'.padEnd(w[1])}  ${'goal'.padEnd(w[2])}  verdict   runs`);
  for (const f of figures)
    console.log(
      `${f.name.padEnd(w[0])}  ${f.value.padEnd(w[1])}  ${f.goal.padEnd(w[2])}  ${(f.met === undefined ? '' : f.met ? 'MET' : 'NOT MET').padEnd(8)}  ${f.runs}`,
    );
}

const hostTicks = () =>
  os.cpus().reduce((a, c) => ({ idle: a.idle + c.times.idle, all: a.all + Object.values(c.times).reduce((x, y) => x + y, 0) }), {
    idle: 0,
    all: 0,
  });
async function hostBusy(ms = 1000): Promise<number> {
  const h0 = hostTicks();
  await sleep(ms);
  const h1 = hostTicks();
  return 100 * (1 - (h1.idle - h0.idle) / (h1.all - h0.all));
}

/** The share of CPU time the hypervisor gave to other guests (Linux `steal`), since the last call; undefined elsewhere. */
function stealMeter(): () => number | undefined {
  const read = () => {
    try {
      const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
      return { steal: cpu[7] ?? 0, all: cpu.slice(0, 8).reduce((a, b) => a + b, 0) };
    } catch {
      return undefined;
    }
  };
  let last = read();
  return () => {
    const now = read();
    const share = now && last && now.all > last.all ? (100 * (now.steal - last.steal)) / (now.all - last.all) : undefined;
    last = now;
    return share;
  };
}

const appConfig = (over: Record<string, string> = {}) =>
  loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    WORKERS_ENABLED: 'false',
    SEED_DEMO: 'false',
    LOG_FORMAT: 'log',
    RATE_LIMIT_PER_MINUTE: '0',
    MX_LOOKUP: 'false',
    ...over,
  });

// ---- sweeper -------------------------------------------------------------------------------------------
/**
 * DUE_HOLDS pending bookings whose stored hold ran out a minute ago, booked two hours ago for slots in
 * three days: 1 in 2 with its mail delivered 100 minutes ago (window over: expires, not confirmed), 1 in 3
 * held for a blocked provider and 1 in 6 delayed (not delivered: extended by the window).
 */
async function seedDueHolds(url: string): Promise<number> {
  return bulkLoad(url, ['slots', 'bookings', 'outbox_messages'], async (db) => {
    const one = async (text: string, params: unknown[] = []) => (await db.query(text, params)).rows[0];
    const { id: location } = await one(
      `INSERT INTO locations (name, address, time_zone) VALUES ('Bürgeramt Sweep', 'Löhberg 1, 45468 Mülheim an der Ruhr', $1) RETURNING id`,
      [TZ],
    );
    const { id: service } = await one(
      `INSERT INTO services (name, duration_minutes) VALUES ('Personalausweis', 20) RETURNING id`,
    );
    const perSlot = 100;
    await db.query(
      `INSERT INTO slots (location_id, service_id, starts_at, ends_at, capacity, booked)
       SELECT $1, $2, date_trunc('hour', now()) + interval '3 days' + g * interval '20 minutes',
              date_trunc('hour', now()) + interval '3 days' + (g + 1) * interval '20 minutes', $3, $3
         FROM generate_series(0, $4::int - 1) g`,
      [location, service, perSlot, DUE_HOLDS / perSlot],
    );
    await db.query(
      `WITH s AS (SELECT id, (row_number() OVER (ORDER BY starts_at) - 1)::int AS k FROM slots),
            b AS (SELECT g, gen_random_uuid() AS id,
                         CASE WHEN g % 6 < 3 THEN 'gmail.com' WHEN g % 6 < 5 THEN 'gmx.de' ELSE 't-online.de' END AS domain
                    FROM generate_series(1, $2::int) g)
       INSERT INTO bookings (id, reference, slot_id, location_id, name, email, email_key, status, hold_until, created_at, hold_started_at, hold_reason)
       SELECT b.id, 'HS' || lpad(b.g::text, 10, '0'), s.id, $1, 'Bench Citizen', 'due' || b.g || '@' || b.domain,
              holdfast_address_key('due' || b.g || '@' || b.domain), 'pending',
              now() - interval '1 minute', now() - interval '2 hours', now() - interval '2 hours',
              CASE WHEN b.domain = 'gmail.com' THEN 'window_from_delivery' ELSE 'waiting_for_delivery' END
         FROM b JOIN s ON s.k = b.g % $3
        ORDER BY b.id`,
      [location, DUE_HOLDS, DUE_HOLDS / perSlot],
    );
    await db.query(
      `INSERT INTO outbox_messages (id, booking_id, kind, channel, recipient, message_id, payload, state, attempts, next_attempt_at,
                                    created_at, family, accepted_at, accepted_by, delivered_at, delivery_evidence, reports_requested,
                                    last_reply_code, last_reply)
       SELECT b.mail_id, b.id, 'booking_confirmation', 'email', b.email, '<' || b.mail_id || '@sweep.bench>', '{"subject": "Termin"}', x.state, 1,
              b.created_at, b.created_at, x.family, x.accepted_at, x.accepted_by, x.delivered_at, x.evidence, x.reports,
              x.code, x.reply
         FROM (SELECT gen_random_uuid() AS mail_id, * FROM bookings) b
         CROSS JOIN LATERAL (
           SELECT * FROM (VALUES
             ('gmail.com', 'accepted', 'google', now() - interval '100 minutes', 'mx', now() - interval '100 minutes', 'smtp', false, 250, '250 OK'),
             ('gmx.de', 'held_provider_blocked', 'united-internet', NULL, NULL, NULL, NULL, NULL, 554, '554 IP address is block listed'),
             ('t-online.de', 'delayed', 'telekom', now() - interval '110 minutes', 'relay', NULL, NULL, true, 250, '250 queued')
           ) v(domain, state, family, accepted_at, accepted_by, delivered_at, evidence, reports, code, reply)
           WHERE v.domain = split_part(b.email, '@', 2)) x
        ORDER BY b.mail_id`,
    );
  });
}

async function sweeperScenario(server: Server): Promise<void> {
  const seconds: number[] = [];
  let checked: Array<[string, boolean]> = [];
  // Seeded once; every run sweeps a copy of its own.
  const seed = await server.database('sweep');
  const seeded = await seedDueHolds(seed.url);
  console.log(`sweeper: ${fmt(DUE_HOLDS)} due holds generated in ${fmt(seeded, 1)} s`);
  for (let run = 0; run < RUNS; run++) {
    const db = await server.database(`sweep${run}`, 'sweep');
    const running = await createApp(appConfig(), { databaseUrl: db.url, logger: false, listen: false });
    const pool = new Pool({ connectionString: db.url, max: 1 });
    try {
      const sweeper = running.app.get(ExpirySweeperService);
      const t0 = performance.now();
      const expired = await sweeper.sweep();
      seconds.push((performance.now() - t0) / 1000);
      const {
        rows: [f],
      } = await pool.query(`SELECT
          (SELECT count(*) FROM bookings)::int AS total,
          (SELECT count(*) FROM bookings WHERE status = 'expired' AND expiry_reason = 'not_confirmed' AND email LIKE '%@gmail.com')::int AS expired_delivered,
          (SELECT count(*) FROM bookings WHERE status = 'expired')::int AS expired,
          (SELECT count(*) FROM bookings WHERE status = 'pending' AND hold_until > now() AND hold_reason = 'waiting_for_delivery'
              AND email NOT LIKE '%@gmail.com')::int AS extended,
          (SELECT count(*) FROM bookings WHERE status = 'pending' AND hold_until <= now())::int AS still_due,
          (SELECT coalesce(sum(booked), 0) FROM slots)::int AS booked,
          (SELECT count(*) FROM bookings WHERE status = 'pending')::int AS pending,
          (SELECT count(*) FROM outbox_messages WHERE state = 'cancelled')::int AS withdrawn`);
      const delivered = DUE_HOLDS / 2;
      checked = [
        [
          `expired ${f.expired} = returned ${expired} = delivered ${delivered}, all as not_confirmed (${f.expired_delivered})`,
          f.expired === delivered && expired === delivered && f.expired_delivered === delivered,
        ],
        [
          `extended (held or delayed, waiting_for_delivery) ${f.extended} = ${DUE_HOLDS - delivered}`,
          f.extended === DUE_HOLDS - delivered,
        ],
        [`still due after the sweep: ${f.still_due}`, f.still_due === 0],
        [`bookings kept: ${f.total} of ${DUE_HOLDS}`, f.total === DUE_HOLDS],
        [`sum(slots.booked) ${f.booked} = pending ${f.pending}`, f.booked === f.pending],
        [`mail withdrawn: ${f.withdrawn} (delivered mail is not withdrawn)`, f.withdrawn === 0],
      ];
      console.log(`sweeper run ${run + 1}: sweep ${fmt(seconds.at(-1)!, 2)} s`);
    } finally {
      await pool.end();
      await running.close();
      await db.drop();
    }
  }
  await seed.drop();
  figure(`sweep of ${fmt(DUE_HOLDS)} due holds (half expire, half extend)`, seconds, 2, ' s', {
    text: '< 2 s',
    met: (m) => m < 2,
  });
  for (const [text, ok] of checked) fact(`  ${text}`, ok ? 'PASS' : 'FAIL', ok);
}

// ---- claim ---------------------------------------------------------------------------------------------
function startSink(): Promise<{ url: string; accepted: () => number; close: () => Promise<void> }> {
  let accepted = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    maxClients: 200,
    onData: (stream, _s, cb) => {
      stream.on('data', () => undefined);
      stream.on('end', () => {
        accepted++;
        cb();
      });
    },
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `smtp://127.0.0.1:${(server.server.address() as AddressInfo).port}`,
        accepted: () => accepted,
        close: () => new Promise((r) => server.close(() => r())),
      }),
    ),
  );
}

const PAYLOAD = JSON.stringify({
  subject: 'Bitte bestätigen Sie Ihren Termin (HF-BENC-HMRK)',
  text: 'Guten Tag,\n\nbitte bestätigen Sie: http://localhost/confirm?token=x\n'.repeat(8),
});
/** `count` due mails, round robin over the families; the oldest became due `count` × 10 ms ago. */
const enqueueSql = `INSERT INTO outbox_messages (id, kind, channel, recipient, message_id, payload, state, next_attempt_at, created_at, family)
  SELECT t.id, 'booking_confirmation', 'email', 'c' || $2 || t.n || '@' || (ARRAY[${FAMILIES.map((f) => `'${f.domain}'`).join(',')}])[1 + t.n % ${FAMILIES.length}],
         '<' || t.id || '@bench.localhost>', $3::jsonb, 'queued', now() - interval '1 second' - ($1::int - t.n) * interval '10 ms', now(),
         (ARRAY[${FAMILIES.map((f) => `'${f.family}'`).join(',')}])[1 + t.n % ${FAMILIES.length}]
    FROM (SELECT gen_random_uuid() AS id, n FROM generate_series(1, $1::int) n) t ORDER BY t.id`;

/** Two dispatch loops (two instances) until the sink took `target` more mails; mails/s. */
async function drain(dispatcher: DispatcherService, sink: { accepted: () => number }, target: number): Promise<number> {
  const before = sink.accepted();
  const t0 = performance.now();
  let finished = false;
  const worker = async (name: string) => {
    while (!finished && performance.now() - t0 < 60_000) if ((await dispatcher.dispatchOnce(name)) === 0) await sleep(5);
  };
  const watcher = (async () => {
    while (sink.accepted() - before < target && performance.now() - t0 < 60_000) await sleep(5);
    finished = true;
  })();
  await Promise.all([watcher, worker('bench-a'), worker('bench-b')]);
  return (sink.accepted() - before) / ((performance.now() - t0) / 1000);
}

/** The claim statement alone (in a transaction rolled back): milliseconds, median of 10. */
async function claimMs(running: RunningApp): Promise<number> {
  const tx = running.app.get(TransactionRunner);
  const outbox = running.app.get(OutboxRepository);
  const ms: number[] = [];
  for (let i = 0; i < 10; i++)
    await tx
      .run(async (manager) => {
        const t0 = performance.now();
        await outbox.claim(manager, {
          now: new Date(),
          limit: 200,
          owner: 'bench-probe',
          leaseSeconds: 60,
          ratePerMinute: 100_000,
        });
        ms.push(performance.now() - t0);
        throw new Error('rollback');
      })
      .catch(() => undefined);
  return median(ms);
}

async function claimScenario(server: Server): Promise<void> {
  const sink = await startSink();
  const config = appConfig({
    SMTP_URL: sink.url,
    DISPATCH_BATCH_SIZE: '200',
    SMTP_POOL_SIZE: '10',
    PROVIDER_RATE_PER_MINUTE: '100000',
  });
  const small = await server.database('claim_small');
  const big = await server.database('claim_big');
  const seeded = await bulkLoad(big.url, ['outbox_messages'], async (db) => {
    await db.query(enqueueSql, [BIG_BACKLOG, 'big', PAYLOAD]);
  });
  console.log(`claim: ${fmt(BIG_BACKLOG)} due mails generated in ${fmt(seeded, 1)} s`);
  const apps = {
    small: await createApp(config, { databaseUrl: small.url, logger: false, listen: false }),
    big: await createApp(config, { databaseUrl: big.url, logger: false, listen: false }),
  };
  const smallDb = new Pool({ connectionString: small.url, max: 1 });
  const rates = { small: [] as number[], big: [] as number[] };
  const claims = { small: [] as number[], big: [] as number[] };
  try {
    const smallDispatcher = apps.small.app.get(DispatcherService);
    const bigDispatcher = apps.big.app.get(DispatcherService);
    // Warm-up: connections, JIT, plans.
    await smallDb.query(enqueueSql, [300, 'warm', PAYLOAD]);
    await drain(smallDispatcher, sink, 300);
    await drain(bigDispatcher, sink, 300);
    for (let run = 0; run < RUNS; run++) {
      await smallDb.query(enqueueSql, [SMALL_BACKLOG, `s${run}`, PAYLOAD]);
      claims.small.push(await claimMs(apps.small));
      rates.small.push(await drain(smallDispatcher, sink, SMALL_BACKLOG));
      claims.big.push(await claimMs(apps.big));
      rates.big.push(await drain(bigDispatcher, sink, SMALL_BACKLOG));
      console.log(
        `claim run ${run + 1}: ${fmt(rates.small.at(-1)!)} mails/s with ${fmt(SMALL_BACKLOG)} due, ${fmt(rates.big.at(-1)!)} with ~${fmt(BIG_BACKLOG)}`,
      );
    }
  } finally {
    await smallDb.end();
    await apps.small.close();
    await apps.big.close();
    await sink.close();
    await small.drop();
    await big.drop();
  }
  const m1 = figure(`dispatch, ${fmt(SMALL_BACKLOG)} due mails (mails/s)`, rates.small, 0, '');
  const m2 = figure(`dispatch, ${fmt(BIG_BACKLOG)} due mails in ${FAMILIES.length} families (mails/s)`, rates.big, 0, '');
  figure(
    '  ratio 100k ÷ 1k backlog (per run)',
    rates.big.map((r, i) => r / rates.small[i]),
    2,
    '',
  );
  fact('  ratio of the medians', fmt(m2 / m1, 2), m2 / m1 >= 0.8, '>= 0.8');
  figure('  claim statement (200 mails), 1k backlog', claims.small, 1, ' ms');
  figure('  claim statement (200 mails), 100k backlog', claims.big, 1, ' ms');
}

// ---- slots: free-time listing and booking at a year of data -----------------------------------------------
/**
 * OFFICES × SERVICES, slots of 20 minutes Monday to Friday 08:00–16:00 (Berlin) for the next 365 days,
 * two counters each. `booked` is set from the slot id's first two bytes to the bookings generated for it
 * later (0–2 active, and 1 in 10 slots also has a cancelled or expired one): about 1,000,000 bookings.
 * About 1 in 8 slots of the last 65 days is kept free of them: the HTTP booking runs book there. Rows are
 * stored day by day, office by office, as the slot horizon adds them.
 */
const RESERVED = `(s.starts_at >= current_date + 300 AND get_byte(uuid_send(s.id), 2) < 32)`;
const PLANNED_ACTIVE = `(CASE WHEN ${RESERVED} THEN 0 WHEN get_byte(uuid_send(s.id), 0) < 77 THEN 2 WHEN get_byte(uuid_send(s.id), 0) < 179 THEN 1 ELSE 0 END)`;
const PLANNED_INACTIVE = `(CASE WHEN ${RESERVED} THEN 0 WHEN get_byte(uuid_send(s.id), 1) < 26 THEN 1 ELSE 0 END)`;

async function seedYear(url: string): Promise<number> {
  return bulkLoad(url, ['slots', 'counter_units'], async (db) => {
    await db.query(
      `INSERT INTO locations (name, address, time_zone)
       SELECT 'Bürgeramt ' || lpad(g::text, 2, '0'), 'Rathausplatz ' || g || ', 45468 Mülheim an der Ruhr', $1 FROM generate_series(1, $2::int) g`,
      [TZ, OFFICES],
    );
    await db.query(
      `INSERT INTO services (name, duration_minutes) SELECT 'Dienstleistung ' || g, 20 FROM generate_series(1, $1::int) g`,
      [SERVICES],
    );
    await db.query(
      `WITH t AS (
         SELECT gen_random_uuid() AS id, l.id AS location_id, l.name AS office, sv.id AS service_id, sv.name AS service, d AS day,
                x.t AS starts_at
           FROM locations l CROSS JOIN services sv
          CROSS JOIN generate_series(current_date + 1, current_date + 365, interval '1 day') d
          CROSS JOIN generate_series(0, 23) k
          CROSS JOIN LATERAL (SELECT ((d::date + time '08:00') AT TIME ZONE $1) + k * interval '20 minutes' AS t) x
          WHERE extract(isodow FROM d) < 6
       )
       INSERT INTO slots (id, location_id, service_id, starts_at, ends_at, capacity, booked)
       SELECT s.id, s.location_id, s.service_id, s.starts_at, s.starts_at + interval '20 minutes', 2, ${PLANNED_ACTIVE}
         FROM t s ORDER BY s.day, s.office, s.service, s.starts_at`,
      [TZ],
    );
    // The offices' counters over time: 10-minute units, 6 counters shared by the 3 services, each
    // holding what the slots over it hold (as the trigger slots_counters keeps it).
    await db.query(
      `INSERT INTO counter_units (location_id, starts_at, ends_at, counters, reserved)
       SELECT s.location_id, v.u, v.u + interval '10 minutes', ${SERVICES * 2}, sum(s.booked)
         FROM slots s CROSS JOIN LATERAL (VALUES (s.starts_at), (s.starts_at + interval '10 minutes')) v(u)
        GROUP BY s.location_id, v.u ORDER BY s.location_id, v.u`,
    );
  });
}

/** The bookings `booked` promised, each with its confirmation token and its (delivered) confirmation mail. */
async function seedBookings(url: string): Promise<number> {
  return bulkLoad(url, ['bookings', 'confirmation_tokens', 'outbox_messages'], async (db) => {
    await db.query(
      `WITH units AS (
         SELECT s.id AS slot_id, s.location_id, s.starts_at, u <= ${PLANNED_ACTIVE} AS active
           FROM slots s CROSS JOIN LATERAL generate_series(1, ${PLANNED_ACTIVE} + ${PLANNED_INACTIVE}) u
       ), b AS (
         SELECT gen_random_uuid() AS id, units.*, row_number() OVER () AS n FROM units
       )
       INSERT INTO bookings (id, reference, slot_id, location_id, name, email, email_key, status, hold_until, created_at, confirmed_at,
                             cancelled_at, expired_at, expiry_reason, hold_started_at, hold_reason)
       SELECT b.id, 'HY' || lpad(b.n::text, 10, '0'), b.slot_id, b.location_id, 'Bürgerin ' || b.n, x.email, holdfast_address_key(x.email), x.status,
              x.created + interval '1 hour', x.created, CASE WHEN x.status = 'confirmed' THEN x.created + interval '5 minutes' END,
              CASE WHEN x.status = 'cancelled' THEN x.created + interval '1 day' END,
              CASE WHEN x.status = 'expired' THEN x.created + interval '1 hour' END,
              CASE WHEN x.status = 'expired' THEN 'not_confirmed' END, x.created, 'window_from_delivery'
         FROM b CROSS JOIN LATERAL (
           SELECT CASE WHEN NOT b.active THEN (CASE WHEN b.n % 2 = 0 THEN 'cancelled' ELSE 'expired' END)
                       WHEN b.n % 20 = 0 THEN 'pending' ELSE 'confirmed' END AS status,
                  -- pending ones booked just now (their hold runs); the rest some days before
                  CASE WHEN b.active AND b.n % 20 = 0 THEN now() - interval '5 minutes'
                       ELSE least(now(), b.starts_at - interval '2 days') - (b.n % 20) * interval '1 day' END AS created,
                  'c' || b.n || '@' || (ARRAY[${FAMILIES.map((f) => `'${f.domain}'`).join(',')}])[1 + b.n % ${FAMILIES.length}] AS email
         ) x
        ORDER BY b.id`,
    );
    await db.query(
      `INSERT INTO confirmation_tokens (id, booking_id, token_hash, created_at)
       SELECT b.id, b.id, uuid_send(b.id) || uuid_send(b.id), b.created_at FROM bookings b WHERE b.reference LIKE 'HY%' ORDER BY b.id`,
    );
    await db.query(
      `INSERT INTO outbox_messages (id, booking_id, kind, channel, recipient, message_id, payload, state, attempts, next_attempt_at,
                                    created_at, family, accepted_at, accepted_by, delivered_at, delivery_evidence, last_reply_code, last_reply)
       SELECT b.id, b.id, 'booking_confirmation', 'email', b.email, '<' || b.id || '@year.bench>', '{"subject": "Termin"}', 'accepted', 1,
              b.created_at, b.created_at, (ARRAY[${FAMILIES.map((f) => `'${f.family}'`).join(',')}])[1 + substr(b.reference, 3)::int % ${FAMILIES.length}],
              b.created_at + interval '1 second', 'mx', b.created_at + interval '1 second', 'smtp', 250, '250 OK'
         FROM bookings b WHERE b.reference LIKE 'HY%' ORDER BY b.id`,
    );
  });
}

async function slotsScenario(server: Server, load: ReturnType<typeof loadGenerator>): Promise<void> {
  const db = await server.database('year');
  const seededSlots = await seedYear(db.url);
  const running = await createApp(appConfig(), { databaseUrl: db.url, logger: false });
  const pool = new Pool({ connectionString: db.url, max: 2 });
  try {
    const one = async (text: string) => (await pool.query(text)).rows[0];
    const { n: slotCount } = await one(`SELECT count(*)::int AS n FROM slots`);
    const reserved = (await pool.query(`SELECT s.id FROM slots s WHERE ${RESERVED} ORDER BY md5(s.id::text)`)).rows.map(
      (r) => r.id as string,
    );
    console.log(
      `slots: ${fmt(slotCount)} slots generated in ${fmt(seededSlots, 1)} s; ${fmt(reserved.length)} kept free for the booking runs`,
    );
    let next = 0;
    const bookingRun = async (tag: string) => {
      const r = await load.book({ url: running.url, slots: reserved, start: next, tag, seconds: SECONDS });
      next += r.sent;
      const other = Object.entries(r.status).filter(([c]) => c !== '201');
      if (other.length || r.errors)
        console.log(`  booking run ${tag}: non-201 ${JSON.stringify(Object.fromEntries(other))}, errors ${r.errors}`);
      return r.created / r.seconds;
    };
    await bookingRun('warm');
    const empty: number[] = [];
    for (let run = 0; run < RUNS; run++) empty.push(await bookingRun(`e${run}`));
    console.log(`slots: bookings/s on an empty bookings table: ${empty.map((x) => fmt(x)).join(' / ')}`);

    const seededBookings = await seedBookings(db.url);
    const { n: bookingCount } = await one(`SELECT count(*)::int AS n FROM bookings`);
    console.log(`slots: ${fmt(bookingCount)} bookings (with tokens and mails) generated in ${fmt(seededBookings, 1)} s`);

    const { rows: pairs } = await pool.query(`SELECT l.id AS l, s.id AS s FROM locations l CROSS JOIN services s`);
    const p99: number[] = [];
    let listed = 0;
    for (let run = 0; run < RUNS + 1; run++) {
      // Half from now (the default: the next 14 days), half from a day later in the year.
      // One in three asks for a combined appointment (another service added: room for both on one counter).
      const paths = Array.from({ length: LISTINGS }, (_, i) => {
        const pair = pairs[Math.floor(Math.random() * pairs.length)];
        const from =
          i % 2 ? `&from=${new Date(Date.now() + Math.floor(Math.random() * 340) * 86_400_000).toISOString().slice(0, 10)}` : '';
        const other = pairs.find((p) => p.l === pair.l && p.s !== pair.s)!.s;
        const combined = i % 3 === 0 ? `&additionalServiceIds=${other}` : '';
        return `/api/v1/slots?locationId=${pair.l}&serviceId=${pair.s}${from}${combined}`;
      });
      const r = await load.list({ url: running.url, paths });
      if (run === 0) continue; // warm-up
      if ((r.status['200'] ?? 0) !== LISTINGS) console.log(`  listing run ${run}: statuses ${JSON.stringify(r.status)}`);
      p99.push(percentile(r.ms, 0.99));
      listed = r.slots / LISTINGS;
      console.log(
        `listing run ${run}: p50 ${fmt(percentile(r.ms, 0.5), 1)} ms, p99 ${fmt(p99.at(-1)!, 1)} ms, ${fmt(listed)} free slots per answer`,
      );
      // By kind: from now or from a later day, one service or combined.
      const kinds = new Map<string, number[]>();
      paths.forEach((path, i) => {
        const kind = `${path.includes('&from=') ? 'later' : 'now'}${path.includes('additionalServiceIds') ? '+combined' : ''}`;
        if (!kinds.has(kind)) kinds.set(kind, []);
        kinds.get(kind)!.push(r.ms[i]);
      });
      console.log(
        `  p50 / p99 by kind: ${[...kinds].map(([kind, ms]) => `${kind} ${fmt(percentile(ms, 0.5), 1)} / ${fmt(percentile(ms, 0.99), 1)} ms`).join(', ')}`,
      );
    }
    const full: number[] = [];
    for (let run = 0; run < RUNS; run++) full.push(await bookingRun(`f${run}`));

    await sleep(500);
    const f = await one(`SELECT (SELECT count(*) FROM slots WHERE booked > capacity)::int AS over,
        (SELECT count(*) FROM counter_units WHERE reserved > counters)::int AS units_over,
        (SELECT count(*) FROM counter_units)::int AS units,
        (SELECT coalesce(sum(booked), 0) FROM slots)::bigint::int AS booked,
        (SELECT count(*) FROM bookings WHERE status IN ('pending', 'confirmed'))::int AS active`);

    figure(
      `free-time listing, 14 days, ${fmt(slotCount)} slots, ${fmt(f.units)} counter units, ${fmt(bookingCount)} bookings: p99`,
      p99,
      1,
      ' ms',
      {
        text: '< 20 ms',
        met: (m) => m < 20,
      },
    );
    const e = figure('booking on an empty bookings table (bookings/s)', empty, 0, '');
    const b = figure(`booking at ${fmt(bookingCount)} bookings (bookings/s)`, full, 0, '');
    fact('  ratio of the medians', fmt(b / e, 2), b / e >= 0.9, '>= 0.9');
    const ok = f.over === 0 && f.units_over === 0 && f.booked === f.active;
    fact(
      `  slots over capacity ${f.over}; units over their counters ${f.units_over}; sum(booked) ${fmt(f.booked)} = active bookings ${fmt(f.active)}`,
      ok ? 'PASS' : 'FAIL',
      ok,
    );
  } finally {
    await pool.end();
    await running.close();
    await db.drop();
  }
}

// ---- the Mülheim replay at 10× ------------------------------------------------------------------------------
async function replayScenario(server: Server): Promise<void> {
  // The replay's test app takes a database cloned from the migrated template, as under jest.
  process.env[ADMIN_URL_ENV] = server.adminUrl;
  process.env[TEMPLATE_ENV] = server.template;
  const { counts, checks, seconds, phases } = await replayMuelheim('relay', REPLAY_SCALE);
  console.log(`Mülheim replay ×${REPLAY_SCALE}: ${JSON.stringify(counts)}`);
  console.log(
    `  seconds spent: ${Object.entries(phases)
      .map(([phase, s]) => `${phase} ${fmt(s, 1)}`)
      .join(', ')}`,
  );
  const failed = checks.filter((c) => JSON.stringify(c.actual) !== JSON.stringify(c.expected));
  fact(
    `Mülheim replay ×${REPLAY_SCALE} (${fmt(counts.bookings)} bookings, ${fmt(counts.unitedInternet)} blocked): runtime`,
    `${fmt(seconds, 1)} s`,
  );
  fact(`  its ${checks.length} checks`, failed.length ? `${failed.length} failed` : 'PASS', failed.length === 0, 'all pass');
  for (const c of failed) console.log(`  FAIL ${c.what}: ${JSON.stringify(c.actual)}, expected ${JSON.stringify(c.expected)}`);
}

async function main(): Promise<number> {
  const started = performance.now();
  const busy = await hostBusy();
  const server = await startServer();
  const load = loadGenerator();
  try {
    console.log(
      `holdfast bench:scale: ${server.where}; ${RUNS} runs per measurement; ${os.cpus().length} cores, ${fmt(busy)}% busy before`,
    );
    if (busy > 20) console.log('WARNING: other processes keep the machine busy: numbers are noisy');
    const scenarios: Array<[string, () => Promise<void>]> = [
      ['sweeper', () => sweeperScenario(server)],
      ['claim', () => claimScenario(server)],
      ['slots', () => slotsScenario(server, load)],
      ['replay', () => replayScenario(server)],
    ];
    const steal = stealMeter();
    for (const [name, run] of scenarios) {
      if (!ONLY.has(name)) continue;
      const t0 = performance.now();
      steal();
      await run();
      const stolen = steal();
      console.log(
        `-- ${name}: ${fmt((performance.now() - t0) / 1000, 1)} s; load average ${fmt(os.loadavg()[0], 1)}${stolen === undefined ? '' : `, CPU stolen by the hypervisor ${fmt(stolen)}%`}`,
      );
    }
    printFigures();
    console.log(`\ntotal ${fmt((performance.now() - started) / 1000)} s`);
    return figures.some((f) => f.met === false) ? 1 : 0;
  } finally {
    load.stop();
    await server.stop();
  }
}

if (process.argv[2] === '--load') {
  process.on('message', (job: LoadJob) =>
    (job.kind === 'book' ? book(job) : list(job)).then(
      (r) => process.send!(r),
      (err) => {
        console.error(err);
        process.exit(1);
      },
    ),
  );
  process.on('disconnect', () => process.exit(0));
} else {
  main().then(
    (code) => process.exit(code),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
