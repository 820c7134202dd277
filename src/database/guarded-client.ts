import { Socket } from 'node:net';
import { Client, ClientConfig } from 'pg';

/** The message node-postgres gives a query that had no answer within `query_timeout`. */
const READ_TIMEOUT = 'Query read timeout';

/**
 * A pg client that gives up its connection when a query has no answer in time. node-postgres
 * only fails the waiting query and keeps the connection, so the next statement (ROLLBACK, the
 * next request's BEGIN) would queue behind the unanswered one until the server comes back.
 * Closing the socket instead fails the transaction at once and the pool opens a fresh
 * connection; whatever the server still finds on the closed socket after a pause is rolled back
 * or, for a booking's COMMIT, refused by the commit window (migration CommitWindow).
 */
export class GuardedClient extends Client {
  private readonly socketHolder: { socket?: Socket };

  constructor(config?: string | (ClientConfig & { clientConnectTimeoutMillis?: number })) {
    const holder: { socket?: Socket } = {};
    const { clientConnectTimeoutMillis, ...options } =
      typeof config === 'string' ? { connectionString: config, clientConnectTimeoutMillis: undefined } : { ...config };
    super({
      ...options,
      // The pool passes its own options, whose connectionTimeoutMillis is the wait for a free connection.
      ...(clientConnectTimeoutMillis !== undefined ? { connectionTimeoutMillis: clientConnectTimeoutMillis } : {}),
      stream: () => (holder.socket = new Socket()),
    });
    this.socketHolder = holder;
  }

  // node-postgres overloads query(); the override keeps every form and watches the promise one.
  query(...args: unknown[]): never {
    const result = (Client.prototype.query as (...a: unknown[]) => unknown).apply(this, args);
    if (result && typeof (result as Promise<unknown>).then === 'function') {
      (result as Promise<unknown>).then(undefined, (err: Error) => {
        if (err?.message === READ_TIMEOUT) this.socketHolder.socket?.destroy(err);
      });
    }
    return result as never;
  }
}
