/**
 * Whether an error means "the database is away or too slow" (the request may be retried) rather
 * than a fault in the request or in our code. node-postgres errors carry a SQLSTATE `code` for
 * what the server said, a Node `code` for sockets, or only a message for its own timeouts;
 * TypeORM wraps query errors and keeps the original as `driverError`.
 */
export function databaseUnavailable(err: unknown): boolean {
  const error = err as { code?: unknown; message?: unknown; driverError?: unknown } | undefined;
  if (!error || typeof error !== 'object') return false;
  if (error.driverError && databaseUnavailable(error.driverError)) return true;
  const code = typeof error.code === 'string' ? error.code : '';
  if (UNAVAILABLE_SQLSTATES.has(code) || code.startsWith('08') || SOCKET_CODES.has(code)) return true;
  // The connection broke inside a transaction: TypeORM released its query runner, the next statement finds it gone.
  if (LOST_CONNECTION_ERRORS.has((error as { name?: string }).name ?? '')) return true;
  const message = typeof error.message === 'string' ? error.message : '';
  return UNAVAILABLE_MESSAGES.some((re) => re.test(message));
}

/** The SQLSTATE our commit window raises (migration CommitWindow). */
export const COMMIT_WINDOW_SQLSTATE = 'HF503';

const UNAVAILABLE_SQLSTATES = new Set([
  '57014', // query_canceled: statement_timeout
  '25P03', // idle_in_transaction_session_timeout
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, shutting down, recovering)
  '53300', // too_many_connections
  '55P03', // lock_not_available (lock_timeout)
  COMMIT_WINDOW_SQLSTATE,
]);

const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

const LOST_CONNECTION_ERRORS = new Set(['QueryRunnerAlreadyReleasedError', 'QueryRunnerProviderAlreadyReleasedError']);

const UNAVAILABLE_MESSAGES = [
  /Query read timeout/,
  /timeout exceeded when trying to connect/,
  /^timeout expired$/, // node-postgres: no connection within connectionTimeoutMillis
  /Connection terminated/,
  /Client has encountered a connection error and is not queryable/,
  /Client was closed and is not queryable/,
  /connect ECONNREFUSED/,
];
