import { DataSourceOptions, EntitySchema } from 'typeorm';
import { MIGRATIONS } from '../../migrations';

type EntityList = Array<Function | EntitySchema>;

/**
 * The data source for a database URL. Entities are given by the composition root (the app, the
 * migration CLI): statements are SQL, so only schema comparison needs them.
 */
export function dataSourceOptions(
  url: string,
  extra: Partial<{ poolSize: number; applicationName: string; entities: EntityList }> = {},
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
    extra: { max: extra.poolSize ?? 20, application_name: extra.applicationName ?? 'holdfast' },
  };
}
