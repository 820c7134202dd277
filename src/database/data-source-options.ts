import { DataSourceOptions, EntitySchema } from 'typeorm';
import { MIGRATIONS } from '../../migrations';
import { GuardedClient } from './guarded-client';

type EntityList = Array<Function | EntitySchema>;

/** How long the app waits for the database before it answers 503 (see README, "while the database is away"). */
export interface DatabaseTimeouts {
  /** A new connection within this, else the request fails. */
  connectMs: number;
  /** A free connection from the pool within this (a burst waits its turn rather than failing). */
  poolWaitMs: number;
  /** Every statement answered within this, else its connection is closed; also the commit window. */
  queryMs: number;
  /** The server ends a session left idle inside a transaction for this long. */
  idleInTransactionMs: number;
  /** false behind PgBouncer: it refuses these start-up parameters; the role's settings give them instead. */
  startupParameters?: boolean;
}

/**
 * Pool settings that bound every wait on the database. The server cancels a statement shortly
 * before the client gives up on it (so a slow statement ends cleanly with an error), and refuses
 * to commit a booking whose transaction is older than the client's wait: a COMMIT that sat in a
 * paused server's buffer while the client answered 503 fails when the server resumes.
 */
function timeoutOptions(t: DatabaseTimeouts): Record<string, unknown> {
  return {
    Client: GuardedClient,
    // node-postgres' pool uses this for the wait for a free connection; GuardedClient connects within connectMs.
    connectionTimeoutMillis: t.poolWaitMs,
    clientConnectTimeoutMillis: t.connectMs,
    query_timeout: t.queryMs,
    ...(t.startupParameters === false
      ? {}
      : {
          statement_timeout: Math.max(t.queryMs - 500, Math.ceil(t.queryMs / 2)),
          idle_in_transaction_session_timeout: t.idleInTransactionMs,
          options: `-c holdfast.commit_window_ms=${t.queryMs}`,
        }),
  };
}

/**
 * The data source for a database URL. Entities are given by the composition root (the app, the
 * migration CLI): statements are SQL, so only schema comparison needs them.
 */
export function dataSourceOptions(
  url: string,
  extra: Partial<{ poolSize: number; applicationName: string; entities: EntityList; timeouts: DatabaseTimeouts }> = {},
): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: extra.entities ?? [],
    migrations: MIGRATIONS,
    migrationsTableName: 'typeorm_migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    // Failed queries surface as errors to the caller; the HTTP filter logs the unexpected ones.
    logging: ['migration', 'warn'],
    extra: {
      max: extra.poolSize ?? 20,
      application_name: extra.applicationName ?? 'holdfast',
      // Queries queued together are written without waiting for each answer (TransactionRunner.pipelined);
      // one query at a time, as TypeORM sends them, behaves as without it.
      pipeline: true,
      // Migrations and CLI commands run without them: an index build may take longer than a request.
      ...(extra.timeouts ? timeoutOptions(extra.timeouts) : {}),
    },
  };
}
