/**
 * Dispatcher throughput: how many confirmation mails per second the outbox dispatcher hands to a
 * local SMTP sink (smtp-server on loopback), and again while one provider family blocks us
 * (the sink refuses gmx.de with GMX's real 554): do the other families keep their speed?
 *   npm run bench:mail        (BENCH_MAILS=N to change the batch; DATABASE_URL: uses that server)
 * Not part of `npm test`; bounded; 127.0.0.1 only.
 */
import { randomUUID } from 'node:crypto';
import { chmodSync, mkdtempSync } from 'node:fs';
import { AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Pool } from 'pg';
import { SMTPServer } from 'smtp-server';
import { createApp } from '../src/app.factory';
import { loadConfig } from '../src/config/app-config';
import { startEmbeddedPostgres } from '../src/database/embedded-postgres';
import { DispatcherService } from '../src/notifications/dispatcher.service';

const MAILS = Number(process.env.BENCH_MAILS ?? 6000);
const FAMILIES = [
  { family: 'google', domain: 'gmail.com' },
  { family: 'telekom', domain: 't-online.de' },
  { family: 'microsoft', domain: 'outlook.de' },
  { family: 'yahoo', domain: 'yahoo.de' },
  { family: 'united-internet', domain: 'gmx.de' },
];
const GMX_BLOCK =
  'gmx.net (mxgmx104) Nemesis ESMTP Service not available\n554-IP address is block listed.\n554 For explanation visit https://postmaster.gmx.net/en/case?c=r0201&i=ip';
const TIME_LIMIT_MS = 120_000;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** The sink: accepts everything, reads nothing it need not; refuses blocked domains at RCPT. */
function startSink(
  blocked: Set<string>,
): Promise<{ url: string; accepted: () => number; refused: () => number; close: () => Promise<void> }> {
  let accepted = 0;
  let refused = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    maxClients: 200,
    onRcptTo: (address, _s, cb) => {
      if (blocked.has(address.address.split('@')[1])) {
        refused++;
        return cb(Object.assign(new Error(GMX_BLOCK), { responseCode: 554 }));
      }
      cb();
    },
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
        refused: () => refused,
        close: () => new Promise((r) => server.close(() => r())),
      }),
    ),
  );
}

async function enqueue(db: Pool, count: number, tag: string): Promise<void> {
  const ids = Array.from({ length: count }, () => randomUUID());
  const payload = JSON.stringify({
    subject: 'Bitte bestätigen Sie Ihren Termin (HF-BENC-HMRK)',
    text: 'Guten Tag,\n\nbitte bestätigen Sie: http://localhost/confirm?token=x\n'.repeat(8),
  });
  await db.query(
    `INSERT INTO outbox_messages (id, kind, channel, recipient, message_id, payload, state, next_attempt_at, created_at, family)
     SELECT id, 'booking_confirmation', 'email', 'b' || $2 || n || '@' || (ARRAY[${FAMILIES.map((f) => `'${f.domain}'`).join(',')}])[1 + n % ${FAMILIES.length}],
            '<' || id || '@bench.localhost>', $3::jsonb, 'queued', now() - interval '1 second', now(), (ARRAY[${FAMILIES.map((f) => `'${f.family}'`).join(',')}])[1 + n % ${FAMILIES.length}]
       FROM unnest($1::uuid[]) WITH ORDINALITY AS t(id, n)`,
    [ids, tag, payload],
  );
}

async function waitingByFamily(db: Pool): Promise<Record<string, number>> {
  const { rows } = await db.query(
    `SELECT family, count(*)::int AS n FROM outbox_messages WHERE state IN ('queued', 'deferred', 'sending') GROUP BY family`,
  );
  return Object.fromEntries(rows.map((r) => [r.family, r.n]));
}

/** Runs the dispatcher (two workers, as two instances would) until `done`; returns seconds. */
async function drain(dispatchers: DispatcherService[], done: () => Promise<boolean>): Promise<number> {
  const t0 = performance.now();
  let finished = false;
  const worker = async (dispatcher: DispatcherService, name: string) => {
    while (!finished && performance.now() - t0 < TIME_LIMIT_MS) {
      const sent = await dispatcher.dispatchOnce(name);
      if (sent === 0) await new Promise((r) => setTimeout(r, 5));
    }
  };
  const watcher = (async () => {
    while (!(await done()) && performance.now() - t0 < TIME_LIMIT_MS) await new Promise((r) => setTimeout(r, 20));
    finished = true;
  })();
  await Promise.all([watcher, ...dispatchers.map((d, i) => worker(d, `bench-worker-${i}`))]);
  return (performance.now() - t0) / 1000;
}

async function main(): Promise<void> {
  let databaseUrl = process.env.DATABASE_URL;
  let stopPg = async () => undefined as void;
  let dropDb = async () => undefined as void;
  if (!databaseUrl) {
    const dir = mkdtempSync(join(tmpdir(), 'holdfast-bench-mail-'));
    chmodSync(dir, 0o755);
    const pg = await startEmbeddedPostgres({
      dataDir: join(dir, 'data'),
      port: await freePort(),
      database: 'holdfast_bench_mail',
      persistent: false,
    });
    databaseUrl = pg.url;
    stopPg = pg.stop;
  } else {
    const name = `holdfast_bench_mail_${process.pid}`;
    const admin = new Client({ connectionString: databaseUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE "${name}"`);
    await admin.end();
    const base = databaseUrl;
    const url = new URL(databaseUrl);
    url.pathname = `/${name}`;
    databaseUrl = url.toString();
    dropDb = async () => {
      const client = new Client({ connectionString: base });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await client.end();
    };
  }
  const blocked = new Set<string>();
  const sink = await startSink(blocked);
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    SMTP_URL: sink.url,
    WORKERS_ENABLED: 'false',
    SEED_DEMO: 'false',
    MX_LOOKUP: 'false',
    DISPATCH_BATCH_SIZE: '200',
    SMTP_POOL_SIZE: '10',
    PROVIDER_RATE_PER_MINUTE: '100000',
    LOG_FORMAT: 'log',
  });
  const running = await createApp(config, { databaseUrl, logger: false, listen: false });
  const db = new Pool({ connectionString: databaseUrl, max: 2 });
  const dispatcher = running.app.get(DispatcherService);
  const others = FAMILIES.filter((f) => f.family !== 'united-internet').map((f) => f.family);
  try {
    console.log(
      `holdfast bench:mail — ${MAILS} mails per run, ${FAMILIES.length} provider families, SMTP sink on loopback, 2 dispatch loops, pool 10`,
    );
    // Warm-up: connections, JIT, plans.
    await enqueue(db, 500, 'w');
    await drain([dispatcher, dispatcher], async () => Object.keys(await waitingByFamily(db)).length === 0);

    await enqueue(db, MAILS, 'a');
    const acceptedBefore = sink.accepted();
    const secondsA = await drain([dispatcher, dispatcher], async () => Object.keys(await waitingByFamily(db)).length === 0);
    const sentA = sink.accepted() - acceptedBefore;
    const rateA = sentA / secondsA;
    const othersShare = others.length / FAMILIES.length;

    blocked.add('gmx.de');
    await enqueue(db, MAILS, 'b');
    const acceptedBeforeB = sink.accepted();
    const secondsB = await drain([dispatcher, dispatcher], async () => {
      const waiting = await waitingByFamily(db);
      return others.every((f) => !waiting[f]);
    });
    const sentB = sink.accepted() - acceptedBeforeB;
    const rateOthersA = rateA * othersShare;
    const rateOthersB = sentB / secondsB;
    const {
      rows: [held],
    } = await db.query(`SELECT count(*)::int AS n FROM outbox_messages WHERE state = 'held_provider_blocked'`);
    const {
      rows: [over],
    } = await db.query(
      `SELECT count(*)::int AS n FROM (SELECT message_id FROM mail_attempts WHERE outcome = 'accepted' GROUP BY message_id HAVING count(*) > 1) x`,
    );

    const row = (k: string, v: string) => console.log(`${k.padEnd(52)} ${v}`);
    console.log('');
    row('run A, nothing blocked: mails accepted', `${sentA} in ${secondsA.toFixed(2)} s`);
    row('run A: throughput', `${rateA.toFixed(0)} mails/s (goal >= 500)`);
    row('run A: throughput of the 4 other families', `${rateOthersA.toFixed(0)} mails/s`);
    row('run B, united-internet blocked: others accepted', `${sentB} in ${secondsB.toFixed(2)} s`);
    row('run B: throughput of the 4 other families', `${rateOthersB.toFixed(0)} mails/s`);
    row('run B: refusals the blocked provider saw', `${sink.refused()} (circuit opens at the first)`);
    row('run B: held for the blocked family', `${held.n}`);
    row('ratio others blocked / unblocked', `${(rateOthersB / rateOthersA).toFixed(2)} (goal >= 0.90)`);
    row('mails accepted more than once', `${over.n}`);
  } finally {
    await db.end();
    await running.close();
    await sink.close();
    await dropDb();
    await stopPg();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
