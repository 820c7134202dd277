import { Logger } from '@nestjs/common';
import { createApp, RunningApp } from './app.factory';
import { AppConfig, ConfigError, loadConfig } from './config/app-config';

const SHUTDOWN_SIGNALS: NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  // Listening before the start: a SIGTERM during start-up shuts down once the app is up, in order.
  // A second signal (Ctrl-C reaches npm and the app, and npm passes it on once more) changes
  // nothing: the shutdown that runs ends within SHUTDOWN_TIMEOUT_MS.
  let running: RunningApp | undefined;
  let signalled: NodeJS.Signals | undefined;
  for (const signal of SHUTDOWN_SIGNALS)
    process.on(signal, () => {
      if (signalled) return;
      signalled = signal;
      if (running) void shutdown(running, config, signal);
    });
  running = await createApp(config);
  const log = new Logger('holdfast');
  log.log(`${config.production ? 'production' : 'development'} mode`);
  log.log(`API:        ${running.url}/api/v1`);
  if (config.swaggerUi) log.log(`API docs:   ${running.url}/api/docs`);
  log.log(`Console:    ${running.url}/verwaltung`);
  if (running.catcher)
    log.log(`Mailbox:    ${running.url}/dev/mailbox (development mail catcher; set SMTP_URL to send for real)`);
  log.log(`Database:   ${config.databaseUrl ? 'DATABASE_URL' : `embedded PostgreSQL, data in ${config.dataDir}/postgres`}`);
  if (signalled) await shutdown(running, config, signalled);
}

/**
 * SIGTERM: readiness 503 at once, the workers claim nothing more and finish their round, then the
 * SMTP pools and the database close (RunningApp.close); exit 0. Past SHUTDOWN_TIMEOUT_MS (shorter
 * than the outbox lease) the process exits 1 anyway: what it had claimed returns to the queue when
 * the lease runs out, and no other instance takes it while this one might still be sending it.
 */
async function shutdown(running: RunningApp, config: AppConfig, signal: NodeJS.Signals): Promise<void> {
  const log = new Logger('holdfast');
  log.log(`${signal}: shutting down (at most ${config.shutdownTimeoutMs} ms)`);
  const timer = setTimeout(() => {
    log.error(`shutdown did not end within SHUTDOWN_TIMEOUT_MS=${config.shutdownTimeoutMs}; exiting`);
    process.exit(1);
  }, config.shutdownTimeoutMs);
  timer.unref();
  try {
    await running.close();
    log.log('shut down');
    process.exit(0);
  } catch (err) {
    log.error(`shutdown failed: ${(err as Error).stack ?? String(err)}`);
    process.exit(1);
  }
}

main().catch((err) => {
  if (err instanceof ConfigError) {
    console.error(err.message);
  } else {
    console.error('holdfast failed to start:', err);
  }
  process.exit(1);
});
