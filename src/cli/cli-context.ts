import { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from '../app.module';
import { resolveDatabase } from '../app.factory';
import { SystemClock } from '../common/clock';
import { AppConfig, ConfigError, loadConfig } from '../config/app-config';

/**
 * The application without HTTP and without background workers, for command-line tasks. Uses
 * DATABASE_URL, or the embedded PostgreSQL (the running app's, when it is up).
 */
export async function withCliContext(work: (ctx: INestApplicationContext, config: AppConfig) => Promise<void>): Promise<void> {
  let config: AppConfig;
  try {
    config = loadConfig({ ...process.env, WORKERS_ENABLED: 'false' });
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
  const database = await resolveDatabase(config);
  const ctx = await NestFactory.createApplicationContext(
    AppModule.forRoot({ config: { ...config, workersEnabled: false }, databaseUrl: database.url, clock: new SystemClock() }),
    { logger: ['error', 'warn'] },
  );
  try {
    await work(ctx, config);
  } finally {
    await ctx.close();
    await database.stop();
  }
}

export function parseFlags(argv: string[]): { command?: string; flags: Record<string, string> } {
  const [command, ...rest] = argv;
  const flags: Record<string, string> = {};
  for (let i = 0; i < rest.length; i++) {
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(rest[i]);
    if (!match) throw new Error(`unexpected argument: ${rest[i]}`);
    flags[match[1]] = match[2] ?? (rest[i + 1] && !rest[i + 1].startsWith('--') ? rest[++i] : 'true');
  }
  return { command, flags };
}
