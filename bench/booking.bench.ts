/**
 * Booking throughput: HTTP against the real app (in-process, its own database) versus pgbench running
 * the same SQL transaction against the same database. Not part of `npm test`; bounded; 127.0.0.1 only.
 *   npm run bench:booking      (with DATABASE_URL: a database of its own is created there, then dropped)
 * The load generator runs in a forked child (this file with --load), so it does not share the app's event loop.
 */
import { execFile, execFileSync, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  accessSync,
  chmodSync,
  constants,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { Agent, request } from 'node:http';
import { createServer } from 'node:net';
import os, { tmpdir } from 'node:os';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { Client, Pool } from 'pg';
import { createApp } from '../src/app.factory';
import { loadConfig } from '../src/config/app-config';
import { startEmbeddedPostgres } from '../src/database/embedded-postgres';
import { renderConfirmationMail } from '../src/notifications/confirmation-mail';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10),
  CONNECTIONS = 32,
  SPREAD_SLOTS = 20_000,
  PGBENCH_SLOTS = 20_000,
  PGBENCH = '/usr/bin/pgbench';
const TZ = 'Europe/Berlin',
  OFFICE = 'Bench Office',
  ADDRESS = 'Benchstraße 1, 10115 Berlin',
  SERVICE = 'Bench Service';

interface Latency {
  p50: number;
  p97_5: number;
  p99: number;
}
interface LoadJob {
  url: string;
  slots: string[];
  start: number;
  tag: string;
  seconds: number;
  overallRate?: number;
  paced?: boolean;
}
interface LoadResult extends Latency {
  seconds: number;
  total: number;
  sent: number;
  status: Record<string, number>;
  slotFull: number;
  errors: number;
  loadCpu: number;
  appCpu: number;
  dbCpu: number;
  hostBusy: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const percentiles = (ms: number[]): Latency => {
  ms.sort((x, y) => x - y);
  const at = (p: number) => ms[Math.min(ms.length - 1, Math.floor(ms.length * p))] ?? NaN;
  return { p50: at(0.5), p97_5: at(0.975), p99: at(0.99) };
};

// ---- child: the load generator ----------------------------------------------------------------
const autocannon = require('autocannon') as (opts: object) => Promise<{ errors: number; timeouts: number; latency: Latency }>;
async function runLoad(job: LoadJob): Promise<Omit<LoadResult, 'appCpu' | 'dbCpu' | 'hostBusy'>> {
  const status: Record<string, number> = {};
  let sent = 0,
    slotFull = 0,
    errors = 0;
  const body = () => {
    const index = sent++; // every request: the next slot, an e-mail address of its own
    return JSON.stringify({
      slotId: job.slots[(job.start + index) % job.slots.length],
      name: 'Bench User',
      email: `b${job.tag}-${index}@bench.example.org`,
    });
  };
  const onResponse = (code: number, text: string) => {
    status[code] = (status[code] ?? 0) + 1;
    if (code === 409 && text.includes('SLOT_FULL')) slotFull++;
  };
  const cpu0 = process.cpuUsage(),
    t0 = performance.now();
  let latency: Latency;
  if (job.paced) {
    latency = await paced(job, body, onResponse, () => errors++);
  } else {
    const result = await autocannon({
      url: job.url,
      connections: CONNECTIONS,
      duration: job.seconds,
      overallRate: job.overallRate,
      // autocannon 9 corrects with an expected interval of Math.ceil(1 / rate) = 1 ms: synthetic samples, so off.
      ignoreCoordinatedOmission: job.overallRate !== undefined,
      requests: [
        {
          method: 'POST',
          path: '/api/v1/bookings',
          headers: { 'content-type': 'application/json' },
          setupRequest: (req: { body?: string }) => {
            req.body = body();
            return req;
          },
          onResponse,
        },
      ],
    });
    errors = result.errors + result.timeouts;
    latency = result.latency;
  }
  const seconds = (performance.now() - t0) / 1000,
    { user, system } = process.cpuUsage(cpu0);
  const total = Object.values(status).reduce((a, b) => a + b, 0);
  return { ...latency, seconds, total, sent, status, slotFull, errors, loadCpu: (user + system) / 1e4 / seconds };
}

/**
 * Open loop at a steady rate (autocannon's overallRate sends each second's quota as a burst at the
 * start of the second): request i is due at t0 + i/rate and its latency counts from then, so waiting
 * for one of the CONNECTIONS sockets is included (no coordinated omission).
 */
async function paced(
  job: LoadJob,
  body: () => string,
  onResponse: (code: number, text: string) => void,
  onError: () => void,
): Promise<Latency> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const { hostname, port } = new URL(job.url),
    interval = 1000 / job.overallRate!,
    t0 = performance.now(),
    ms: number[] = [],
    pending: Array<Promise<void>> = [];
  const fire = (due: number) =>
    new Promise<void>((done) => {
      const req = request(
        {
          agent,
          hostname,
          port,
          path: '/api/v1/bookings',
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          timeout: 10_000,
        },
        (res) => {
          let text = '';
          res
            .setEncoding('utf8')
            .on('data', (c: string) => (text += c))
            .on('end', () => {
              ms.push(performance.now() - due);
              onResponse(res.statusCode ?? 0, text);
              done();
            });
        },
      );
      req
        .on('timeout', () => req.destroy(new Error('timeout')))
        .on('error', () => {
          onError();
          done();
        })
        .end(body());
    });
  const count = Math.ceil((job.seconds * 1000) / interval),
    due = (i: number) => t0 + i * interval;
  for (let i = 0; i < count; await sleep(1)) {
    while (i < count && due(i) <= performance.now()) pending.push(fire(due(i++)));
  }
  await Promise.all(pending);
  agent.destroy();
  return percentiles(ms);
}

// ---- parent ---------------------------------------------------------------------------------------
const hostTicks = () =>
  os.cpus().reduce((a, c) => ({ idle: a.idle + c.times.idle, all: a.all + Object.values(c.times).reduce((x, y) => x + y, 0) }), {
    idle: 0,
    all: 0,
  });
/**
 * PostgreSQL's CPU time so far, in clock ticks: the postmaster with its reaped children and its
 * live ones (/proc; Linux only, else NaN). Backends that ended are in the postmaster's cutime.
 */
let postmaster = 0;
const TICK_MS = 10;
function dbTicks(): number {
  if (!postmaster) return NaN;
  const own = procFields(postmaster);
  if (!own) return NaN;
  // utime stime cutime cstime are fields 14-17 of stat, 11-14 here
  let ticks = Number(own[11]) + Number(own[12]) + Number(own[13]) + Number(own[14]);
  for (const pid of children(postmaster)) {
    const child = procFields(pid);
    if (child) ticks += Number(child[11]) + Number(child[12]);
  }
  return ticks;
}
const procFields = (pid: number | string) => {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' '); // after "pid (comm) ": state is field 0
  } catch {
    return undefined; // ended meanwhile
  }
};
/** The live child processes of `parent` (/proc). */
function children(parent: number): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((pid) => Number(procFields(pid)?.[1]) === parent)
    .map(Number);
}
/**
 * The postmaster of the bench's database, when it runs on this machine (not in a container): the
 * parent of this connection's backend, checked to be PostgreSQL working in the database's data
 * directory. Else 0: no database CPU figures, no split layout.
 */
async function findPostmaster(url: string): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query(`SELECT pg_backend_pid() AS pid, current_setting('data_directory') AS dir`);
    const backend = Number(rows[0].pid),
      parent = Number(procFields(backend)?.[1] ?? 0);
    const isPostgres = readFileSync(`/proc/${backend}/comm`, 'utf8').trim() === 'postgres';
    postmaster = isPostgres && parent > 1 && realpathSync(`/proc/${parent}/cwd`) === realpathSync(rows[0].dir) ? parent : 0;
  } catch {
    postmaster = 0; // not on this machine, no /proc, or no right to read data_directory
  } finally {
    await client.end();
  }
}

/**
 * Runs `work`; reports this (the app's) process CPU and PostgreSQL's, each in % of one core, and
 * the machine's busy share.
 */
async function measured<T>(work: () => Promise<T>): Promise<{ value: T; appCpu: number; dbCpu: number; hostBusy: number }> {
  const c0 = process.cpuUsage(),
    d0 = dbTicks(),
    h0 = hostTicks(),
    t0 = performance.now();
  const value = await work();
  const { user, system } = process.cpuUsage(c0),
    elapsed = performance.now() - t0,
    h1 = hostTicks();
  return {
    value,
    appCpu: (user + system) / 10 / elapsed,
    dbCpu: (100 * (dbTicks() - d0) * TICK_MS) / elapsed,
    hostBusy: 100 * (1 - (h1.idle - h0.idle) / (h1.all - h0.all)),
  };
}

/** One child for all runs, started first: it keeps working when a concurrent `nest build` empties dist/. */
function loadGenerator() {
  const child = fork(__filename, ['--load'], { stdio: 'inherit' });
  let failed: (err: Error) => void = () => undefined;
  child.on('exit', (code) => failed(new Error(`load generator exited with ${code}`)));
  const run = (job: LoadJob) =>
    new Promise<Omit<LoadResult, 'appCpu' | 'dbCpu' | 'hostBusy'>>((resolve, reject) => {
      failed = reject;
      child.once('message', (m) => resolve(m as LoadResult)).send(job);
    });
  return {
    load: async (job: LoadJob): Promise<LoadResult> => {
      const { value, appCpu, dbCpu, hostBusy } = await measured(() => run(job));
      return { ...value, appCpu, dbCpu, hostBusy };
    },
    pid: child.pid!,
    stop: () => child.disconnect(),
  };
}

/**
 * CPU placement. Shared (as started): every process may run on every core (PostgreSQL, the app
 * and the load generator compete). Split: PostgreSQL (the postmaster and every backend, present
 * and future) on the first half of the cores this process may use, the app, its load generator and
 * pgbench's client on the rest, as when the city's PostgreSQL runs on a server of its own. Linux's
 * sched_setaffinity via taskset; `restore` puts every process back on the cores it had.
 */
const TASKSET = '/usr/bin/taskset';
function splitLayout(clients: number[]): { restore(): void } | string {
  if (!postmaster) return 'PostgreSQL is not a process of this machine';
  try {
    accessSync(TASKSET, constants.X_OK);
  } catch {
    return `no ${TASKSET}`;
  }
  const allowed = (/^Cpus_allowed_list:\s*(.+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '')
    .split(',')
    .flatMap((part) => {
      const [from, to = from] = part.split('-').map(Number);
      return Number.isInteger(from) && to >= from ? Array.from({ length: to - from + 1 }, (_, i) => from + i) : [];
    });
  if (allowed.length < 2) return 'one core only';
  const half = Math.floor(allowed.length / 2),
    dbCores = allowed.slice(0, half).join(','),
    clientCores = allowed.slice(half).join(',');
  const saved = new Map<number, string>();
  const maskOf = (pid: number) => /mask: ([0-9a-f,]+)/.exec(execFileSync(TASKSET, ['-p', String(pid)], { encoding: 'utf8' }))![1];
  const pin = (cores: string, pid: number) => {
    const mask = maskOf(pid);
    execFileSync(TASKSET, ['-a', '-c', '-p', cores, String(pid)], { stdio: 'ignore' });
    saved.set(pid, mask);
  };
  const restore = () => {
    const original = saved.get(postmaster);
    for (const pid of new Set([...saved.keys(), ...children(postmaster)])) {
      const mask = saved.get(pid) ?? original; // backends started during the split run took the postmaster's cores
      try {
        if (mask) execFileSync(TASKSET, ['-a', '-p', mask, String(pid)], { stdio: 'ignore' });
      } catch {
        // ended meanwhile
      }
    }
    pgbenchCores = undefined;
  };
  try {
    pin(dbCores, postmaster);
    for (const pid of children(postmaster))
      try {
        pin(dbCores, pid);
      } catch {
        // a backend or worker that ended between the listing and its pin
      }
    for (const pid of clients) pin(clientCores, pid);
  } catch (err) {
    restore();
    return `taskset failed: ${(err as Error).message}`;
  }
  pgbenchCores = clientCores;
  return { restore };
}
/** pgbench's client runs on these cores (taskset -c), in the split layout. */
let pgbenchCores: string | undefined;

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer().once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
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

/** Own embedded PostgreSQL in a temp dir, or a database of its own on DATABASE_URL's (loopback) server. */
async function database(): Promise<{ url: string; where: string; stop(): Promise<void> }> {
  const admin = process.env.DATABASE_URL;
  if (admin) {
    const url = new URL(admin),
      name = `holdfast_bench_${randomBytes(4).toString('hex')}`;
    if (!['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname))
      throw new Error(`DATABASE_URL must point to this machine (127.0.0.1), not ${url.hostname}`);
    await adminQuery(admin, `CREATE DATABASE "${name}"`);
    url.pathname = `/${name}`;
    return {
      url: url.toString(),
      where: `DATABASE_URL server, database ${name}`,
      stop: () => adminQuery(admin, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
    };
  }
  const dir = mkdtempSync(join(tmpdir(), 'holdfast-bench-'));
  chmodSync(dir, 0o755); // as root, PostgreSQL runs as its own user
  const pg = await startEmbeddedPostgres({
    dataDir: join(dir, 'data'),
    port: await freePort(),
    database: 'holdfast_bench',
    persistent: false,
  });
  return {
    url: pg.url,
    where: `embedded PostgreSQL in ${dir}`,
    stop: async () => {
      await pg.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Waits (at most 10 s) until no connection of the app's pool matches `condition`. */
async function settled(db: Pool, condition: string): Promise<void> {
  for (let i = 0; i < 100; i++, await sleep(100)) {
    const { rows } = await db.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'holdfast' AND ${condition}`,
    );
    if (rows[0].n === 0) return;
  }
  throw new Error(`app connections still ${condition} after 10 s`);
}

async function seed(db: Pool) {
  const id = async (text: string, params: unknown[]) => (await db.query(text, params)).rows[0].id as string;
  const location = await id(`INSERT INTO locations (name, address, time_zone) VALUES ($1, $2, $3) RETURNING id`, [
    OFFICE,
    ADDRESS,
    TZ,
  ]);
  const pgbOffice = await id(`INSERT INTO locations (name, address, time_zone) VALUES ($1, $2, $3) RETURNING id`, [
    `${OFFICE} pgbench`,
    ADDRESS,
    TZ,
  ]);
  // 20-minute services on 10-minute counter units: every booking reserves its counter in 2 or 3 units
  // (the trigger slots_counters, as at a real office), in the app and in pgbench alike.
  const service = await id(`INSERT INTO services (name, duration_minutes) VALUES ($1, 20) RETURNING id`, [SERVICE]);
  const hotService = await id(`INSERT INTO services (name, duration_minutes) VALUES ($1, 20) RETURNING id`, ['Bench Rush']);
  for (const office of [location, pgbOffice])
    await db.query(
      `INSERT INTO counter_units (location_id, starts_at, ends_at, counters)
       SELECT $1, t, t + interval '10 minutes', 1000
         FROM generate_series(date_trunc('hour', now()) + interval '1 day',
                              date_trunc('hour', now()) + interval '1 day' + ($2::int + 12) * interval '5 minutes', interval '10 minutes') t`,
      [office, Math.max(SPREAD_SLOTS, PGBENCH_SLOTS)],
    );
  const slots = (ids: string, step: string, n: number, capacity: number, serviceId: string, locationId: string) =>
    db.query(
      `INSERT INTO slots (id, location_id, service_id, starts_at, ends_at, capacity)
     SELECT ${ids}, $1, $2, date_trunc('hour', now()) + interval '1 day' + g * interval '${step}',
            date_trunc('hour', now()) + interval '1 day' + g * interval '${step}' + interval '20 minutes', $4
       FROM generate_series(1, $3::int) g RETURNING id`,
      [locationId, serviceId, n, capacity],
    );
  const spread = (await slots('gen_random_uuid()', '5 minutes', SPREAD_SLOTS, 3, service, location)).rows.map(
    (r) => r.id as string,
  );
  // pgbench's slots: ids derived from the slot number (no lookup in its script), capacity it never exhausts.
  await slots(`md5('hf-pgbench-' || g)::uuid`, '5 minutes', PGBENCH_SLOTS, 1000, service, pgbOffice);
  // Not bookings: statistics of an empty bookings table make the first generic plans of the
  // booking's statements scan it, until autovacuum's first ANALYZE (a minute later) replaces them.
  await db.query('ANALYZE locations, services, slots, counter_units');
  const hotSlots = (capacity: number) =>
    slots('gen_random_uuid()', '1 hour', 5, capacity, hotService, location).then((r) => r.rows.map((x) => x.id as string));
  return { spread, hotSlots };
}

/** The CTEs that write the token and the outbox row of the booking CTE `booking`. */
const tokenAndMail = (email: string) => `), token AS (
  INSERT INTO confirmation_tokens (booking_id, token_hash, created_at) SELECT id, gen_random_bytes(32), now() FROM booking
), mail AS (
  INSERT INTO outbox_messages (id, booking_id, kind, channel, recipient, message_id, payload, state, next_attempt_at, created_at, family)
  SELECT m.id, booking.id, 'booking_confirmation', 'email', ${email}, '<' || m.id || '@localhost>', :payload::jsonb || jsonb_build_object('to', ${email}), 'queued', now(), now(), NULL
    FROM booking, (SELECT gen_random_uuid() AS id) m
)
`;

/**
 * The statements of BookingsService.create (no Idempotency-Key), prepared as the app prepares them.
 * The app sends two batches (BEGIN + lock and place; booking + COMMIT); pgbench cannot pipeline a
 * statement whose answer it reads (\\gset), so its first batch is two round trips: three in all.
 */
function pgbenchScript(): string {
  const email = `('pgb-' || :client_id || '-' || :e || '@bench.example.org')`;
  return `\\set n random(1, ${PGBENCH_SLOTS})
\\set e random(1, 1000000000000)
START TRANSACTION;
WITH address_lock AS (SELECT pg_advisory_xact_lock(hashtext('booking-address:' || holdfast_address_key(${email}))) AS locked)
UPDATE slots s SET booked = s.booked + 1
  FROM locations l, services sv, address_lock
 WHERE s.id = md5('hf-pgbench-' || :n)::uuid AND s.booked < s.capacity AND s.starts_at > now() AND l.id = s.location_id AND sv.id = s.service_id
 RETURNING s.id AS slot_id, s.location_id AS location_id, s.starts_at AS starts_at, s.ends_at AS ends_at,
           l.time_zone AS time_zone, l.name AS location_name, l.address AS location_address, sv.name AS service_name \\gset
\\startpipeline
WITH active AS (
  SELECT count(*) FILTER (WHERE b.slot_id = :slot_id)::int AS same_slot, count(*)::int AS same_day
    FROM bookings b JOIN slots s ON s.id = b.slot_id
   WHERE b.email_key = holdfast_address_key(${email}) AND b.location_id = :location_id AND b.status IN ('pending', 'confirmed')
     AND s.starts_at >= date_trunc('day', :starts_at::timestamptz AT TIME ZONE :time_zone) AT TIME ZONE :time_zone
     AND s.starts_at < (date_trunc('day', :starts_at::timestamptz AT TIME ZONE :time_zone) + interval '1 day') AT TIME ZONE :time_zone
), booking AS (
  INSERT INTO bookings (id, reference, slot_id, location_id, name, email, phone, status, hold_until, created_at, hold_started_at, lang)
  SELECT gen_random_uuid(), 'HF-' || substr(encode(gen_random_bytes(7), 'base64'), 1, 9), :slot_id, :location_id, 'Bench User', ${email}, NULL, 'pending', now() + interval '60 minutes', now(), now(), 'de'
    FROM active WHERE same_slot = 0 AND same_day < 3 RETURNING id
${tokenAndMail(email)}SELECT CASE WHEN EXISTS (SELECT 1 FROM booking) THEN true ELSE holdfast_booking_refused(CASE WHEN same_slot > 0 THEN 'booking_limit_slot' ELSE 'booking_limit_day' END) END AS written FROM active;
COMMIT;
\\endpipeline
`;
}

/**
 * The smallest correct booking, the database's limit: one statement in autocommit (one round trip)
 * that takes a place by the conditional capacity UPDATE and writes the booking, its token and its
 * outbox row. No per-address limits (the app's extra work, besides HTTP, validation and rendering).
 */
function oneStatementScript(): string {
  const email = `('pg1-' || :client_id || '-' || :e || '@bench.example.org')`;
  return `\\set n random(1, ${PGBENCH_SLOTS})
\\set e random(1, 1000000000000)
WITH slot AS (
  UPDATE slots SET booked = booked + 1
   WHERE id = md5('hf-pgbench-' || :n)::uuid AND booked < capacity AND starts_at > now()
  RETURNING id, location_id
), booking AS (
  INSERT INTO bookings (id, reference, slot_id, location_id, name, email, phone, status, hold_until, created_at, hold_started_at)
  SELECT gen_random_uuid(), 'HF-' || substr(encode(gen_random_bytes(7), 'base64'), 1, 9), slot.id, slot.location_id, 'Bench User', ${email}, NULL, 'pending', now() + interval '60 minutes', now(), now()
    FROM slot RETURNING id
${tokenAndMail(email)}SELECT id FROM booking;
`;
}

/** A real confirmation mail as the outbox payload (same size as the app's), given to pgbench as a parameter. */
function samplePayload(): string {
  const mail = renderConfirmationMail({
    name: 'Bench User',
    reference: 'HF-7K3Q-9MPD',
    locationName: OFFICE,
    locationAddress: ADDRESS,
    serviceName: SERVICE,
    timeZone: TZ,
    slotStartsAt: new Date(Date.now() + 86_400_000),
    holdUntil: new Date(Date.now() + 3_600_000),
    confirmUrl: `http://localhost:0/confirm?token=[[secret:confirm]]`,
    statusUrl: `http://localhost:0/buchung/${randomBytes(16).toString('hex')}?token=[[secret:status]]`,
    cancelUrl: `http://localhost:0/buchung/${randomBytes(16).toString('hex')}/absagen?token=[[secret:status]]`,
  });
  return JSON.stringify({ to: 'x@bench.example.org', ...mail });
}

/** pgbench with a per-transaction log (-l) in a temp dir, so its percentiles are computed like the HTTP ones. */
async function pgbench(
  url: string,
  script: string,
): Promise<(Latency & { tps: number; processed: number; failed: string }) | string> {
  try {
    accessSync(PGBENCH, constants.X_OK);
  } catch {
    return `not found at ${PGBENCH}: skipped, no ratio`;
  }
  const dir = mkdtempSync(join(tmpdir(), 'holdfast-pgbench-'));
  try {
    writeFileSync(join(dir, 'booking.sql'), script);
    const args = [
      '-n',
      '-M',
      'prepared',
      '-c',
      String(CONNECTIONS),
      '-j',
      '2',
      '-T',
      String(SECONDS),
      '-l',
      `--log-prefix=${join(dir, 'tx')}`,
      '-D',
      `payload=${samplePayload()}`,
      '-f',
      join(dir, 'booking.sql'),
      url,
    ];
    const out = await new Promise<string>((resolve) =>
      execFile(
        pgbenchCores ? TASKSET : PGBENCH,
        pgbenchCores ? ['-c', pgbenchCores, PGBENCH, ...args] : args,
        { timeout: (SECONDS + 30) * 1000 },
        (err, stdout, stderr) =>
          resolve(`${stdout}\n${err ? `${err.message}\n` : ''}${stderr.trim().split('\n').slice(0, 5).join('\n')}`),
      ),
    );
    const tps = /tps = ([\d.]+)/.exec(out),
      processed = /actually processed: (\d+)/.exec(out);
    if (!tps || !processed) return `failed:\n${out}`;
    // log lines: client_id transaction_no latency_us script_no epoch epoch_us
    const ms = readdirSync(dir)
      .filter((f) => f.startsWith('tx.'))
      .flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n'))
      .map((l) => Number(l.split(' ')[2]) / 1000)
      .filter((n) => Number.isFinite(n));
    return {
      tps: Number(tps[1]),
      processed: Number(processed[1]),
      failed: /number of failed transactions: (\d+)/.exec(out)?.[1] ?? '?',
      ...percentiles(ms),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Counts what every pg client of this process sends until stop(): statements, and round trips (a
 * statement sent while the client waits for nothing else; one sent behind another is pipelined).
 */
function countRoundTrips(): { stop(): { statements: number; roundTrips: number } } {
  type Internals = { _activeQuery?: unknown; _sentQueryQueue?: unknown[]; _queryQueue?: unknown[] };
  const proto = Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  let statements = 0,
    roundTrips = 0;
  proto.query = function (this: Internals, ...args: unknown[]) {
    statements++;
    if (!this._activeQuery && !this._sentQueryQueue?.length && !this._queryQueue?.length) roundTrips++;
    return original.apply(this, args);
  };
  return {
    stop: () => {
      proto.query = original;
      return { statements, roundTrips };
    },
  };
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
/** The app's share of CPU by component (package, src/ module, Node core, GC) and its hottest functions. */
async function cpuProfile<T>(work: () => Promise<T>) {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  const run = await work();
  const { profile } = (await session.post('Profiler.stop')) as {
    profile: { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };
  };
  session.disconnect();
  const file = process.env.BENCH_CPU_PROFILE;
  if (file) writeFileSync(file, JSON.stringify(profile));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const component = ({ functionName, url }: ProfileNode['callFrame']) => {
    if (!url)
      return functionName === '(garbage collector)'
        ? 'GC'
        : functionName === '(program)'
          ? 'V8 / native (program)'
          : functionName;
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
    if (pkg) return pkg[1];
    const own = /\/(?:dist\/)?src\/([^/]+)/.exec(url);
    if (own) return `holdfast src/${own[1]}`;
    if (url.startsWith('node:'))
      return `node:${url
        .slice(5)
        .split('/')
        .slice(0, url.includes('internal') ? 2 : 1)
        .join('/')}`;
    return url;
  };
  const parts = new Map<string, number>(),
    functions = new Map<string, number>();
  let busy = 0;
  profile.samples.forEach((id, i) => {
    const frame = byId.get(id)!.callFrame,
      dt = profile.timeDeltas[i] ?? 0;
    if (frame.functionName === '(idle)') return;
    busy += dt;
    const part = component(frame);
    parts.set(part, (parts.get(part) ?? 0) + dt);
    const where = frame.url
      ? ` ${frame.url.replace(/^.*node_modules\//, '').replace(/^.*\/dist\//, '')}:${frame.lineNumber + 1}`
      : '';
    const fn = `${frame.functionName || '(anonymous)'}${where}`;
    functions.set(fn, (functions.get(fn) ?? 0) + dt);
  });
  const top = (m: Map<string, number>, n: number) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, v]) => [k, (100 * v) / busy] as const);
  return { run, parts: top(parts, 14), hottest: top(functions, 12), file };
}

/**
 * Each statement of the app's SQL (as pgbench runs it) under EXPLAIN (ANALYZE, BUFFERS) for
 * `samples` bookings, each in a transaction that is rolled back: the database's own time per statement.
 */
async function explainStatements(db: Pool, samples = 100) {
  const [reserve, insert] = pgbenchScript()
    .split(/;\n|\s*\\gset\n/) // a statement ends at ';' or at pgbench's \gset
    .map((t) =>
      t
        .split('\n')
        .filter((line) => !line.startsWith('\\')) // pgbench's meta-commands
        .join('\n')
        .trim(),
    )
    .filter((t) => t.startsWith('WITH'));
  const bind = (text: string, values: Record<string, string>) =>
    text.replace(/(?<!:):([a-z_]+)/g, (m, name: string) => (name in values ? values[name] : m));
  const quote = (v: string) => `'${v.replace(/'/g, "''")}'`;
  const payload = quote(samplePayload());
  const times: Record<string, { planning: number[]; execution: number[]; hit: number[]; read: number[] }> = {};
  const explain = async (client: { query: Pool['query'] }, name: string, text: string) => {
    const { rows } = await client.query(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${text}`);
    const [plan] = rows[0]['QUERY PLAN'] as Array<{
      'Planning Time': number;
      'Execution Time': number;
      Plan: Record<string, number>;
    }>;
    const t = (times[name] ??= { planning: [], execution: [], hit: [], read: [] });
    t.planning.push(plan['Planning Time']);
    t.execution.push(plan['Execution Time']);
    t.hit.push(plan.Plan['Shared Hit Blocks'] ?? 0);
    t.read.push(plan.Plan['Shared Read Blocks'] ?? 0);
  };
  const client = await db.connect();
  try {
    for (let i = 0; i < samples; i++) {
      const n = 1 + ((i * 7919) % PGBENCH_SLOTS),
        values = { client_id: '0', e: String(900_000_000_000 + i), n: String(n), payload };
      await client.query('BEGIN');
      await explain(client, 'address lock + capacity UPDATE', bind(reserve, values));
      const { rows } = await client.query(
        `SELECT s.id, s.location_id, s.starts_at, l.time_zone FROM slots s JOIN locations l ON l.id = s.location_id
          WHERE s.id = md5('hf-pgbench-' || $1::int)::uuid`,
        [n],
      );
      await explain(
        client,
        'limits + booking + token + mail',
        bind(insert, {
          ...values,
          slot_id: quote(rows[0].id),
          location_id: quote(rows[0].location_id),
          starts_at: quote((rows[0].starts_at as Date).toISOString()),
          time_zone: quote(rows[0].time_zone),
        }),
      );
      await client.query('ROLLBACK');
    }
  } finally {
    client.release();
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
  return {
    samples,
    statements: Object.entries(times).map(([name, t]) => ({
      name,
      planning: median(t.planning),
      execution: median(t.execution),
      hit: median(t.hit),
      read: median(t.read),
    })),
  };
}

const fmt = (n: number, d = 0) => n.toFixed(d);
const created = (r: LoadResult) => r.status['201'] ?? 0;
const nonCreated = (r: LoadResult) =>
  Object.entries(r.status)
    .filter(([c]) => c !== '201')
    .map(([c, n]) => `${c}×${n}`)
    .concat(r.errors ? [`conn-errors×${r.errors}`] : [])
    .join(' ') || '-';
const row = (name: string, cells: string[], tail: string) =>
  console.log(`${name.padEnd(11)}${cells.map((c) => c.padStart(9)).join('')}  ${tail}`);

async function main(): Promise<number> {
  const started = Date.now(),
    generator = loadGenerator(),
    load = generator.load,
    db = await database();
  // One load generator on loopback is one IP address: the per-IP limits are off for the bench.
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    WORKERS_ENABLED: 'false',
    SEED_DEMO: 'false',
    LOG_FORMAT: 'log',
    RATE_LIMIT_PER_MINUTE: '0',
    ...(process.env.DB_POOL_SIZE ? { DB_POOL_SIZE: process.env.DB_POOL_SIZE } : {}),
  });
  const running = await createApp(config, { databaseUrl: db.url, logger: false }).catch(async (err) => {
    await db.stop();
    throw err;
  });
  const pool = new Pool({ connectionString: db.url, max: 2 });
  await findPostmaster(db.url);
  try {
    console.log(
      `holdfast booking bench: ${db.where}; app at ${running.url} with WORKERS_ENABLED=false (no mail is sent during the runs)`,
    );
    console.log(
      `${CONNECTIONS} connections, ${SECONDS} s per run; load generator in a child process; the app's DB pool has ${config.dbPoolSize} connections`,
    );
    const { spread, hotSlots } = await seed(pool);
    const idle = await measured(() => sleep(1000));
    if (idle.hostBusy > 20)
      console.log(`WARNING: the machine is ${fmt(idle.hostBusy)}% busy before the runs (other processes): numbers are noisy`);
    const job = (tag: string, over: Partial<LoadJob> = {}): LoadJob => ({
      url: running.url,
      slots: spread,
      start: 0,
      tag,
      seconds: SECONDS,
      ...over,
    });

    const warm = await load(job('W', { seconds: 2 }));
    const trips = countRoundTrips();
    const spreadRun = await load(job('A', { start: warm.sent }));
    const roundTrips = trips.stop();
    const peak = spreadRun.total / spreadRun.seconds,
      half = Math.max(1, Math.floor(peak / 2));
    console.log(`A spread: ${fmt(peak)} req/s; pgbench next ...`);
    const pgb = await measured(() => pgbench(db.url, pgbenchScript()));
    const pgb1 = await measured(() => pgbench(db.url, oneStatementScript()));
    // Rush: 5 hot slots sized to be full after ~40% of the run at A's rate; SLOT_FULL after that.
    const capacity = Math.max(50, Math.round(((created(spreadRun) / spreadRun.seconds) * SECONDS * 0.4) / 5));
    const hot = await hotSlots(capacity);
    const rushRun = await load(job('B', { slots: hot }));
    const halfRun = await load(job('H', { start: warm.sent + spreadRun.sent, overallRate: half }));
    const hp = await load(job('P', { start: warm.sent + spreadRun.sent + halfRun.sent, overallRate: half, paced: true }));
    let sent = warm.sent + spreadRun.sent + halfRun.sent + hp.sent;
    // Where an HTTP booking's time goes: the app's CPU by component (a profiled run of its own, as
    // the profiler costs throughput), and each statement's own time in the database.
    const profile = await cpuProfile(() => load(job('X', { start: sent, seconds: Math.min(5, SECONDS) })));
    sent += profile.run.sent;
    const plans = await explainStatements(pool);
    // The same spread run and pgbench of the app's SQL with PostgreSQL on cores of its own.
    const layout = splitLayout([process.pid, generator.pid]);
    const notSplit = typeof layout === 'string' ? layout : undefined;
    let split:
      { http: LoadResult; pgbench: Awaited<ReturnType<typeof measured<Awaited<ReturnType<typeof pgbench>>>>> } | undefined;
    if (typeof layout !== 'string') {
      try {
        const http = await load(job('S', { start: sent }));
        sent += http.sent;
        split = { http, pgbench: await measured(() => pgbench(db.url, pgbenchScript())) };
      } finally {
        layout.restore();
      }
    }
    const runs = [warm, spreadRun, rushRun, halfRun, hp, profile.run, ...(split ? [split.http] : [])];

    await settled(pool, `state <> 'idle'`); // requests in flight when the last run ended
    const one = async <T>(text: string, params: unknown[] = []) => (await pool.query(text, params)).rows[0] as T;
    const facts = await one<Record<string, number>>(`SELECT
        (SELECT count(*) FROM slots WHERE booked > capacity)::int AS over,
        -- Every counter unit holds exactly what the booked slots over it hold (the trigger slots_counters).
        (SELECT count(*) FROM counter_units u
          WHERE u.reserved <> (SELECT coalesce(sum(s.booked), 0) FROM slots s
                                WHERE s.location_id = u.location_id AND s.starts_at > u.starts_at - interval '20 minutes'
                                  AND s.starts_at < u.ends_at AND s.ends_at > u.starts_at))::int AS units_off,
        (SELECT count(*) FROM counter_units WHERE reserved > 0)::int AS units_held,
        (SELECT coalesce(sum(booked), 0) FROM slots)::int AS booked,
        (SELECT count(*) FROM bookings WHERE status IN ('pending', 'confirmed'))::int AS active,
        (SELECT count(*) FROM bookings b WHERE (SELECT count(*) FROM outbox_messages o WHERE o.booking_id = b.id) <> 1
            OR (SELECT count(*) FROM confirmation_tokens t WHERE t.booking_id = b.id) <> 1)::int AS orphans,
        (SELECT count(*) FROM bookings WHERE email LIKE 'b%@bench.example.org')::int AS http_rows,
        (SELECT count(*) FROM bookings WHERE email LIKE 'pgb-%')::int AS pgbench_rows,
        (SELECT count(*) FROM bookings WHERE email LIKE 'pg1-%')::int AS one_statement_rows`); // one snapshot
    const fill = await one<{ n: number; s: number; full: number }>(
      `SELECT count(*)::int AS n, extract(epoch FROM max(created_at) - min(created_at))::float AS s,
        (SELECT count(*)::int FROM slots WHERE id = ANY($1::uuid[]) AND booked = capacity) AS full FROM bookings WHERE slot_id = ANY($1::uuid[])`,
      [hot],
    );
    const http201 = runs.reduce((s, r) => s + created(r), 0),
      unanswered = runs.reduce((s, r) => s + r.sent - r.total, 0);

    console.log('');
    row(
      'scenario',
      ['req/s', 'book/s', 'p50 ms', 'p97.5 ms', 'p99 ms', 'app CPU', 'load CPU', 'DB CPU', 'DB ms/rq', 'host'],
      'errors / non-201',
    );
    const dbPerRequest = (dbCpu: number, perSecond: number) => fmt((10 * dbCpu) / perSecond, 2); // % of a core ÷ 1/s -> ms
    for (const [name, r] of [
      ['A spread', spreadRun],
      ['B rush', rushRun],
      ['half/ac', halfRun],
      ['half/paced', hp],
      ...(split ? ([['S split', split.http]] as const) : []),
    ] as const) {
      row(
        name,
        [
          fmt(r.total / r.seconds),
          fmt(created(r) / r.seconds),
          fmt(r.p50, 1),
          fmt(r.p97_5, 1),
          fmt(r.p99, 1),
          `${fmt(r.appCpu)}%`,
          `${fmt(r.loadCpu)}%`,
          `${fmt(r.dbCpu)}%`,
          dbPerRequest(r.dbCpu, r.total / r.seconds),
          `${fmt(r.hostBusy)}%`,
        ],
        nonCreated(r),
      );
    }
    const pgbenchRun = pgb.value,
      oneStatement = pgb1.value;
    for (const [name, run] of [
      ['pgbench', pgb],
      ['pgbench/1', pgb1],
      ...(split ? ([['S pgbench', split.pgbench]] as const) : []),
    ] as const)
      if (typeof run.value !== 'string')
        row(
          name,
          [
            fmt(run.value.tps),
            fmt(run.value.tps),
            fmt(run.value.p50, 1),
            fmt(run.value.p97_5, 1),
            fmt(run.value.p99, 1),
            '-',
            '-',
            `${fmt(run.dbCpu)}%`,
            dbPerRequest(run.dbCpu, run.value.tps),
            `${fmt(run.hostBusy)}%`,
          ],
          `failed ${run.value.failed}`,
        );
    console.log(
      `(app / load / DB CPU: % of one core used by the app process / the load generator / PostgreSQL; DB ms/rq: PostgreSQL's CPU per request answered; host: % of all ${os.cpus().length} cores busy)`,
    );
    console.log(
      `B rush: 5 slots × capacity ${capacity}; ${fill.full}/5 full; ${fill.n} booked within ${fmt(fill.s, 2)} s = ${fmt(fill.n / fill.s)} bookings/s while filling; ${rushRun.slotFull} × 409 SLOT_FULL`,
    );
    console.log(
      `half = ${half} req/s (A's peak ${fmt(peak)} / 2). half/ac: autocannon overallRate (sends each second's quota as a burst);`,
    );
    console.log(
      `  half/paced: steady arrivals, latency from the due time. p99 goal < 50 ms: paced ${fmt(hp.p99, 1)} ms ${hp.p99 < 50 ? 'MET' : 'NOT MET'}, autocannon ${fmt(halfRun.p99, 1)} ms ${halfRun.p99 < 50 ? 'MET' : 'NOT MET'}`,
    );
    console.log(
      `pgbench: the app's SQL of one HTTP booking (BEGIN, address lock + capacity | limits + booking + token + mail, COMMIT): 3 round trips, the app's 2;`,
    );
    console.log(
      `pgbench/1: the smallest correct booking, one statement in autocommit (capacity, booking, token, mail; no address limits).`,
    );
    console.log(`  both -M prepared -c ${CONNECTIONS} -j 2 -T ${SECONDS}, same database, after run A`);
    const httpRate = created(spreadRun) / spreadRun.seconds;
    for (const [what, run, goal] of [
      ['pgbench of the app SQL', pgbenchRun, 0.7],
      ['pgbench of one statement', oneStatement, 0.5],
    ] as const) {
      if (typeof run === 'string') console.log(`${what}: ${run}`);
      else {
        const ratio = httpRate / run.tps;
        console.log(
          `ratio HTTP bookings/s ÷ ${what} = ${fmt(httpRate)} / ${fmt(run.tps)} = ${fmt(ratio, 2)} -> goal >= ${goal}: ${ratio >= goal ? 'MET' : 'NOT MET'}`,
        );
      }
    }
    if (!split) console.log(`split layout: not run (${notSplit})`);
    else if (typeof split.pgbench.value === 'string') console.log(`split layout: pgbench ${split.pgbench.value}`);
    else {
      const ratio = created(split.http) / split.http.seconds / split.pgbench.value.tps;
      console.log(
        `split layout (S: PostgreSQL on half of the cores, the app, the load generator and pgbench's client on the other half, as with the database on a server of its own):`,
      );
      console.log(
        `  ratio HTTP bookings/s ÷ pgbench of the app SQL = ${fmt(created(split.http) / split.http.seconds)} / ${fmt(split.pgbench.value.tps)} = ${fmt(ratio, 2)} -> goal >= 0.7: ${ratio >= 0.7 ? 'MET' : 'NOT MET'}`,
      );
    }
    console.log(
      `per HTTP booking in run A (÷ 201s): ${fmt(roundTrips.statements / created(spreadRun), 2)} statements, ${fmt(roundTrips.roundTrips / created(spreadRun), 2)} round trips to the database`,
    );
    console.log(
      `\nthe app's CPU in a ${fmt(profile.run.seconds, 1)} s profiled run (${fmt(profile.run.total / profile.run.seconds)} req/s), by component:`,
    );
    for (const [part, share] of profile.parts) console.log(`  ${part.padEnd(40)}${fmt(share, 1).padStart(6)} %`);
    console.log('  hottest functions (self time):');
    for (const [fn, share] of profile.hottest) console.log(`    ${fn.padEnd(70)}${fmt(share, 1).padStart(6)} %`);
    if (profile.file) console.log(`  profile written to ${profile.file} (open in Chrome DevTools)`);
    console.log(
      `\neach statement in the database, EXPLAIN (ANALYZE, BUFFERS), median of ${plans.samples} bookings (rolled back):`,
    );
    for (const plan of plans.statements)
      console.log(
        `  ${plan.name.padEnd(34)} planning ${fmt(plan.planning, 3)} ms, execution ${fmt(plan.execution, 3)} ms, buffers hit ${fmt(plan.hit)} read ${fmt(plan.read)}`,
      );

    const checks: Array<[string, boolean]> = [
      [`slots with booked > capacity: ${facts.over} (must be 0)`, facts.over === 0],
      [`sum(slots.booked) ${facts.booked} = active bookings ${facts.active}`, facts.booked === facts.active],
      [
        `counter units whose reserved differs from the booked slots over them: ${facts.units_off} (of ${facts.units_held} units held; must be 0)`,
        facts.units_off === 0 && facts.units_held > 0,
      ],
      [`every booking has exactly one confirmation token and one outbox row (violations: ${facts.orphans})`, facts.orphans === 0],
      // Requests in flight when a run's time is up may commit without their response being counted.
      [
        `HTTP booking rows ${facts.http_rows} within 201 responses ${http201} .. + ${unanswered} unanswered at run ends`,
        facts.http_rows >= http201 && facts.http_rows <= http201 + unanswered,
      ],
    ];
    const splitPgbench = split && typeof split.pgbench.value !== 'string' ? split.pgbench.value.processed : 0;
    if (typeof pgbenchRun !== 'string')
      checks.push([
        `pgbench booking rows ${facts.pgbench_rows} = transactions processed ${pgbenchRun.processed + splitPgbench}`,
        facts.pgbench_rows === pgbenchRun.processed + splitPgbench,
      ]);
    if (typeof oneStatement !== 'string')
      checks.push([
        `pgbench/1 booking rows ${facts.one_statement_rows} = transactions processed ${oneStatement.processed}`,
        facts.one_statement_rows === oneStatement.processed,
      ]);
    console.log('\nintegrity:');
    for (const [text, ok] of checks) console.log(`  ${ok ? 'PASS' : 'FAIL'} ${text}`);
    const pass = checks.every(([, ok]) => ok);
    console.log(`integrity ${pass ? 'PASS' : 'FAIL'}; total ${fmt((Date.now() - started) / 1000)} s`);
    return pass ? 0 : 1;
  } finally {
    await running.close();
    await settled(pool, 'true').catch(() => undefined); // the app's connections gone before the server stops
    await pool.end();
    await db.stop();
    generator.stop();
  }
}

if (process.argv[2] === '--load') {
  process.on('message', (job) =>
    runLoad(job as LoadJob).then(
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
