import type { Socket } from 'node:net';
import type { PoolClient, QueryResult } from 'pg';

/** One statement of a pipeline. A name makes it a prepared statement of the connection (parsed and planned once). */
export interface Statement {
  name?: string;
  text: string;
  values?: unknown[];
}

/** SQLSTATE of every statement after a failed one in the same transaction ("current transaction is aborted"). */
const IN_FAILED_TRANSACTION = '25P02';

/**
 * A transaction whose statements are written in batches: each `send` puts its statements on the
 * wire in one write, without waiting for the answer to one before sending the next (node-postgres'
 * pipeline mode), and waits for all answers. The first batch starts with BEGIN, `commit` ends its
 * batch with COMMIT: a booking's transaction costs two round trips instead of four. Statements
 * that depend on an earlier answer go in a later batch. When a statement fails, the server
 * refuses the rest of its transaction, COMMIT included (it then rolls back), and the statement's
 * own error is thrown.
 */
export class PipelinedTransaction {
  private begun = false;
  private ended = false;

  constructor(
    private readonly client: PoolClient,
    /** false: named statements are sent unnamed (a transaction pooler without prepared-statement support). */
    private readonly named = true,
  ) {}

  get finished(): boolean {
    return this.ended;
  }

  /** Sends the statements in one write and returns each one's rows, in order. */
  async send<T extends unknown[][]>(statements: Statement[]): Promise<T> {
    if (this.ended) throw new Error('transaction already ended');
    const batch = this.begun ? statements : [{ text: 'BEGIN' }, ...statements];
    this.begun = true;
    const rows = await this.write(batch);
    return (batch.length > statements.length ? rows.slice(1) : rows) as T;
  }

  /** Sends the statements followed by COMMIT in one write; the transaction is over afterwards, whatever the outcome. */
  async commit<T extends unknown[][]>(statements: Statement[] = []): Promise<T> {
    if (this.ended) throw new Error('transaction already ended');
    const batch = [...(this.begun ? [] : [{ text: 'BEGIN' }]), ...statements, { text: 'COMMIT' }];
    const skip = this.begun ? 0 : 1;
    this.begun = true;
    this.ended = true;
    const rows = await this.write(batch);
    return rows.slice(skip, rows.length - 1) as T;
  }

  /** Ends the transaction without writing anything (nothing to do when it never began). */
  async rollback(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    if (this.begun) await this.client.query('ROLLBACK');
  }

  private async write(batch: Statement[]): Promise<unknown[][]> {
    // node-postgres writes each query as soon as it is queued; corked, the batch leaves in one write.
    const stream = (this.client as unknown as { connection?: { stream?: Socket } }).connection?.stream;
    stream?.cork?.();
    let pending: Array<Promise<QueryResult>>;
    try {
      pending = batch.map((s) => this.client.query({ name: this.named ? s.name : undefined, text: s.text, values: s.values }));
    } finally {
      stream?.uncork?.();
    }
    const settled = await Promise.allSettled(pending);
    const failures = settled.flatMap((s) => (s.status === 'rejected' ? [s.reason as { code?: string }] : []));
    if (failures.length > 0) throw failures.find((e) => e?.code !== IN_FAILED_TRANSACTION) ?? failures[0];
    return settled.map((s) => (s as PromiseFulfilledResult<QueryResult>).value.rows);
  }
}

/** Runs `work` in a pipelined transaction on a connection of its own; rolls back when work throws before committing. */
export async function inPipelinedTransaction<T>(
  connect: () => Promise<PoolClient>,
  work: (tx: PipelinedTransaction) => Promise<T>,
  named = true,
): Promise<T> {
  const client = await connect();
  const tx = new PipelinedTransaction(client, named);
  let broken: Error | undefined;
  // A connection lost while checked out is reported as an event (the pool listens only to idle ones):
  // its queries fail with it, and it is not given back.
  const lost = (err: Error) => (broken = err);
  client.on('error', lost);
  try {
    const result = await work(tx);
    if (!tx.finished) await tx.commit();
    return result;
  } catch (err) {
    if (!tx.finished) await tx.rollback().catch((e: Error) => (broken = e));
    // A connection that lost its socket is not given back to the pool.
    if (!broken && (err as { message?: string })?.message?.match(/read timeout|terminated|not queryable/)) broken = err as Error;
    throw err;
  } finally {
    client.off('error', lost);
    client.release(broken);
  }
}
