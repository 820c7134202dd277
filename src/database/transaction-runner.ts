import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';

/** The one way services open a transaction; repositories take the manager they must use. */
@Injectable()
export class TransactionRunner {
  constructor(private readonly dataSource: DataSource) {}

  run<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    // PostgreSQL's default, READ COMMITTED; naming it would cost a SET TRANSACTION round trip per transaction.
    return this.dataSource.transaction(work);
  }

  /** One round trip to the database (readiness). */
  async ping(): Promise<void> {
    await this.dataSource.query('SELECT 1');
  }

  get manager(): EntityManager {
    return this.dataSource.manager;
  }
}

/** PostgreSQL's unique_violation, with the violated constraint's name. */
export function uniqueViolation(err: unknown): string | undefined {
  const error = err as { code?: string; constraint?: string; driverError?: { code?: string; constraint?: string } };
  const code = error?.driverError?.code ?? error?.code;
  return code === '23505' ? (error?.driverError?.constraint ?? error?.constraint ?? '') : undefined;
}
