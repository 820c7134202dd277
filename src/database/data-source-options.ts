import { DataSourceOptions } from 'typeorm';
import { MIGRATIONS } from '../../migrations';
import { ENTITIES } from './entities';

export function dataSourceOptions(
  url: string,
  extra: Partial<{ poolSize: number; applicationName: string }> = {},
): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'typeorm_migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    // Failed queries surface as errors to the caller; the HTTP filter logs the unexpected ones.
    logging: ['migration', 'warn'],
    extra: { max: extra.poolSize ?? 20, application_name: extra.applicationName ?? 'holdfast' },
  };
}
