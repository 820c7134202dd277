import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DataSource } from 'typeorm';
import { resolveDatabase } from '../app.factory';
import { loadConfig } from '../config/app-config';
import { APP_ENTITIES } from '../app.entities';
import { dataSourceOptions } from '../database/data-source-options';
import { migrateLocked } from '../database/migrate';

/**
 * `npm run migration:run | migration:revert | migration:generate -- <Name>` against
 * DATABASE_URL or the embedded PostgreSQL. `generate` writes the difference between the
 * entities and the database as a new file in migrations/ (read and tidy it by hand, then add
 * it to migrations/index.ts).
 */
async function main(): Promise<void> {
  const [command, name] = process.argv.slice(2);
  // The database is all a migration job needs: not the mail transport or the secret of a running app.
  const config = loadConfig(process.env, { forRuntime: false });
  const database = await resolveDatabase(config);
  const dataSource = new DataSource(dataSourceOptions(database.url, { entities: APP_ENTITIES }));
  await dataSource.initialize();
  try {
    switch (command) {
      case 'run': {
        // The advisory lock needs a session: DATABASE_MIGRATION_URL goes past a transaction pooler.
        const applied = await migrateLocked(config.databaseMigrationUrl ?? database.url);
        console.log(applied.length ? `applied: ${applied.map((m) => m.name).join(', ')}` : 'database is up to date');
        break;
      }
      case 'revert':
        await dataSource.undoLastMigration({ transaction: 'each' });
        console.log('reverted the last migration');
        break;
      case 'generate': {
        if (!name || !/^[A-Z][A-Za-z0-9]+$/.test(name)) throw new Error('usage: npm run migration:generate -- PascalCaseName');
        const sqlInMemory = await dataSource.driver.createSchemaBuilder().log();
        if (sqlInMemory.upQueries.length === 0) {
          console.log('no changes: the entities match the database');
          break;
        }
        const timestamp = Date.now();
        const quote = (s: string) => '`' + s.replace(/`/g, '\\`') + '`';
        const up = sqlInMemory.upQueries.map((x) => `    await queryRunner.query(${quote(x.query)});`).join('\n');
        const down = sqlInMemory.downQueries
          .reverse()
          .map((x) => `    await queryRunner.query(${quote(x.query)});`)
          .join('\n');
        const file = join(resolve(__dirname, '../../../migrations'), `${timestamp}-${name}.ts`);
        writeFileSync(
          file,
          [
            `import { MigrationInterface, QueryRunner } from 'typeorm';`,
            ``,
            `export class ${name}${timestamp} implements MigrationInterface {`,
            `  name = '${name}${timestamp}';`,
            ``,
            `  public async up(queryRunner: QueryRunner): Promise<void> {`,
            up,
            `  }`,
            ``,
            `  public async down(queryRunner: QueryRunner): Promise<void> {`,
            down,
            `  }`,
            `}`,
            ``,
          ].join('\n'),
        );
        console.log(`wrote ${file}; add it to migrations/index.ts`);
        break;
      }
      default:
        throw new Error('usage: migrate run | revert | generate <Name>');
    }
  } finally {
    await dataSource.destroy();
    await database.stop();
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
