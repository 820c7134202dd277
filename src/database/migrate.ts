import { dataSourceOptions } from './data-source-options';
import { DataSource, Migration } from 'typeorm';

// Any constant: every holdfast instance takes the same session-level lock before migrating.
const MIGRATION_LOCK = 72_014_2021;

/**
 * Applies pending migrations under a PostgreSQL advisory lock, so instances starting together
 * migrate one after the other (TypeORM itself takes no lock). Returns what was applied.
 */
export async function migrateLocked(url: string): Promise<Migration[]> {
  const dataSource = new DataSource({
    ...dataSourceOptions(url, { poolSize: 2, applicationName: 'holdfast-migrate' }),
    migrationsRun: false,
  });
  await dataSource.initialize();
  const lock = dataSource.createQueryRunner();
  try {
    await lock.connect();
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    try {
      return await dataSource.runMigrations({ transaction: 'each' });
    } finally {
      await lock.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
    }
  } finally {
    await lock.release();
    await dataSource.destroy();
  }
}
