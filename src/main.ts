import { Logger } from '@nestjs/common';
import { createApp } from './app.factory';
import { ConfigError, loadConfig } from './config/app-config';

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const running = await createApp(config);
  const log = new Logger('holdfast');
  log.log(`API:        ${running.url}/api/v1`);
  log.log(`API docs:   ${running.url}/api/docs`);
  log.log(`Console:    ${running.url}/verwaltung`);
  if (running.catcher)
    log.log(`Mailbox:    ${running.url}/dev/mailbox (development mail catcher; set SMTP_URL to send for real)`);
  log.log(`Database:   ${config.databaseUrl ? 'DATABASE_URL' : `embedded PostgreSQL, data in ${config.dataDir}/postgres`}`);
}

main().catch((err) => {
  if (err instanceof ConfigError) {
    console.error(err.message);
  } else {
    console.error('holdfast failed to start:', err);
  }
  process.exit(1);
});
