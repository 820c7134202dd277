import { Logger } from '@nestjs/common';

/**
 * A background loop on a timer: one round at a time, the next after the round ends (never
 * overlapping), and a stop that waits for the running round. A round may return the delay until
 * the next one (a busy loop goes again at once), else the interval follows; a failing one backs off.
 */
export class WorkerLoop {
  private readonly logger: Logger;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = true;
  private failedRounds = 0;
  private lastFailure?: string;

  constructor(
    name: string,
    private readonly round: () => Promise<number | void>,
    private readonly opts: { intervalMs: number; backoffMs?: number; failure?: string },
  ) {
    this.logger = new Logger(name);
  }

  /** Starts with a round after `firstDelayMs` (default: one interval). */
  start(firstDelayMs = this.opts.intervalMs): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(firstDelayMs);
  }

  /**
   * No new round starts; resolves when the running one (if any) has finished. Services call it
   * from onModuleDestroy, the first of Nest's shutdown hooks, so the round ends while the SMTP
   * pools and the database (closed in onApplicationShutdown) are still open.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.round()
        .then((next) => {
          if (this.failedRounds > 0) this.logger.log(`recovered after ${this.failedRounds} failed round(s)`);
          this.failedRounds = 0;
          this.lastFailure = undefined;
          return next;
        })
        .catch((err: Error) => {
          // The same failure round after round (the database is away) is logged once, not every interval.
          this.failedRounds += 1;
          if (err.message !== this.lastFailure) this.logger.error(`${this.opts.failure ?? 'round failed'}: ${err.message}`);
          this.lastFailure = err.message;
          return this.opts.backoffMs ?? this.opts.intervalMs;
        })
        .then((next) => this.schedule(next ?? this.opts.intervalMs));
    }, delayMs);
  }
}
