import { DataSource } from 'typeorm';
import { APP_ENTITIES } from '../src/app.entities';
import { dataSourceOptions } from '../src/database/data-source-options';
import { createTestDatabase } from './support/test-database';

describe('migrations and entities', () => {
  it('the migrated schema matches the entities: migration:generate would write nothing', async () => {
    const db = await createTestDatabase();
    const ds = new DataSource(dataSourceOptions(db.url, { entities: APP_ENTITIES }));
    await ds.initialize();
    try {
      const pending = await ds.driver.createSchemaBuilder().log();
      expect(pending.upQueries.map((q) => q.query)).toEqual([]);
    } finally {
      await ds.destroy();
      await db.drop();
    }
  });

  it('instances starting together on an empty database migrate one after the other', async () => {
    const { migrateLocked } = await import('../src/database/migrate');
    const { adminQuery } = await import('./support/test-database');
    const name = `holdfast_empty_${process.pid}_${Date.now()}`;
    await adminQuery(process.env.HOLDFAST_TEST_ADMIN_URL!, `CREATE DATABASE "${name}"`);
    const url = new URL(process.env.HOLDFAST_TEST_ADMIN_URL!);
    url.pathname = `/${name}`;
    try {
      const results = await Promise.all([
        migrateLocked(url.toString()),
        migrateLocked(url.toString()),
        migrateLocked(url.toString()),
      ]);
      const applied = results.map((r) => r.length).sort();
      expect(applied.slice(0, 2)).toEqual([0, 0]);
      expect(applied[2]).toBeGreaterThanOrEqual(3);
    } finally {
      await adminQuery(process.env.HOLDFAST_TEST_ADMIN_URL!, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    }
  });

  it('reverts every migration and applies it again', async () => {
    const db = await createTestDatabase();
    const ds = new DataSource(dataSourceOptions(db.url, { entities: APP_ENTITIES }));
    await ds.initialize();
    try {
      const count = ds.migrations.length;
      for (let i = 0; i < count; i++) await ds.undoLastMigration();
      const { rows } = await ds
        .query(
          `SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public' AND table_name = 'bookings'`,
        )
        .then((r: any[]) => ({ rows: r }));
      expect(rows[0].n).toBe(0);
      const applied = await ds.runMigrations();
      expect(applied).toHaveLength(count);
      expect(await ds.showMigrations()).toBe(false);
    } finally {
      await ds.destroy();
      await db.drop();
    }
  });
});
