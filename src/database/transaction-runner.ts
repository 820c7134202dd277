import { Inject, Injectable, Optional } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import type { Pool } from 'pg';
import { DataSource, EntityManager } from 'typeorm';
import { inPipelinedTransaction, PipelinedTransaction } from './pipelined-transaction';

/** The one way services open a transaction; repositories take the manager they must use. */
@Injectable()
export class TransactionRunner {
  constructor(
    private readonly dataSource: DataSource,
    @Optional() @Inject(APP_CONFIG) private readonly config?: AppConfig,
  ) {}

  run<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    // PostgreSQL's default, READ COMMITTED; naming it would cost a SET TRANSACTION round trip per transaction.
    return this.dataSource.transaction(work);
  }

  /**
   * A transaction on a connection of the pool whose statements go in batches (see
   * PipelinedTransaction): for the booking, the hot path, where round trips are most of the cost.
   */
  pipelined<T>(work: (tx: PipelinedTransaction) => Promise<T>): Promise<T> {
    const pool = (this.dataSource.driver as unknown as { master: Pool }).master;
    return inPipelinedTransaction(() => pool.connect(), work, this.config?.preparedStatements ?? true);
  }

  /** One round trip to the database (readiness); rejects when it takes longer than `timeoutMs`. */
  async ping(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('database ping timed out')), timeoutMs);
    });
    const ping = this.dataSource.query('SELECT 1');
    ping.catch(() => undefined); // answered or failed after the timeout: nobody waits for it any more
    try {
      await Promise.race([ping, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  get manager(): EntityManager {
    return this.dataSource.manager;
  }
}

/** PostgreSQL's unique_violation, with the violated constraint's name. */
export function uniqueViolation(err: unknown): string | undefined {
  return violatedConstraint(err, '23505');
}

/**
 * The constraint an error of this SQLSTATE names ('' when it names none), or undefined for any
 * other error; node-postgres' error, or TypeORM's wrapping it as `driverError`. 23505 unique,
 * 23514 check (also raised by our triggers with the constraint they guard), 23P01 exclusion.
 */
export function violatedConstraint(err: unknown, sqlstate: string): string | undefined {
  const error = err as { code?: string; constraint?: string; driverError?: { code?: string; constraint?: string } };
  const code = error?.driverError?.code ?? error?.code;
  return code === sqlstate ? (error?.driverError?.constraint ?? error?.constraint ?? '') : undefined;
}
