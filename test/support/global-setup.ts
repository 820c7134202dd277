import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { startEmbeddedPostgres } from '../../src/database/embedded-postgres';
import { freePort } from './ports';
import { adminQuery, ADMIN_URL_ENV, databaseUrlFor, TEMPLATE_ENV } from './test-database';

/**
 * Once per `npm test`: the PostgreSQL server (DATABASE_URL, or an embedded one in a fresh
 * temporary directory) and a template database with every migration applied.
 */
export default async function globalSetup(): Promise<void> {
  let adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) {
    const dir = mkdtempSync(join(tmpdir(), 'holdfast-test-pg-'));
    chmodSync(dir, 0o755); // as root, PostgreSQL runs as its own user and must reach the data dir
    const pg = await startEmbeddedPostgres({
      dataDir: join(dir, 'data'),
      port: await freePort(),
      database: 'postgres',
      persistent: false,
    });
    adminUrl = pg.url;
    (globalThis as { __holdfastPg?: { stop(): Promise<void> } }).__holdfastPg = pg;
  }
  const template = `holdfast_tpl_${process.pid}`;
  await adminQuery(adminUrl, `DROP DATABASE IF EXISTS "${template}"`);
  await adminQuery(adminUrl, `CREATE DATABASE "${template}"`);
  const dataSource = new DataSource({ ...dataSourceOptions(databaseUrlFor(adminUrl, template)), logging: ['error'] });
  await dataSource.initialize();
  await dataSource.runMigrations();
  await dataSource.destroy();
  process.env[ADMIN_URL_ENV] = adminUrl;
  process.env[TEMPLATE_ENV] = template;
}
