import { Logger } from '@nestjs/common';

/** A loop's heartbeat, as readiness and /metrics see it. */
export interface WorkerBeat {
  name: string;
  /** When its last round began and ended (ms since the epoch; undefined: none yet). */
  lastStartedAt?: number;
  lastFinishedAt?: number;
  lastFailedAt?: number;
  running: boolean;
  /** The loop has not shown life for longer than it should (see `isStale`). */
  stale: boolean;
}

/**
 * The loops running in this process (one application per process in production): readiness
 * reads their heartbeats and a SIGTERM stops them all at once (main.ts).
 */
const runningLoops = new Set<WorkerLoop>();

export function workerBeats(now = Date.now()): WorkerBeat[] {
  return [...runningLoops].map((loop) => loop.beat(now));
}

/** Stops every running loop together; resolves when their running rounds have ended. */
export async function stopAllWorkerLoops(): Promise<void> {
  await Promise.all([...runningLoops].map((loop) => loop.stop()));
}

/** A round may run this long (a big mail batch on a slow relay) before its loop counts as stuck. */
const ROUND_STUCK_MS = 5 * 60_000;

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
  private startedAt?: number;
  private lastStartedAt?: number;
  private lastFinishedAt?: number;
  private lastFailedAt?: number;
  private inRound = false;

  constructor(
    readonly name: string,
    private readonly round: () => Promise<number | void>,
    private readonly opts: { intervalMs: number; backoffMs?: number; failure?: string },
  ) {
    this.logger = new Logger(name);
  }

  /** Starts with a round after `firstDelayMs` (default: one interval). */
  start(firstDelayMs = this.opts.intervalMs): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.startedAt = Date.now();
    runningLoops.add(this);
    this.schedule(firstDelayMs);
  }

  /** Heartbeat: stale when no round began or ended for three intervals (or backoffs) and a minute, or one runs for 5 minutes. */
  beat(now = Date.now()): WorkerBeat {
    const running = this.inRound;
    const lastSign = Math.max(this.lastStartedAt ?? 0, this.lastFinishedAt ?? 0, this.startedAt ?? 0);
    const quietMs = 3 * Math.max(this.opts.intervalMs, this.opts.backoffMs ?? 0) + 60_000;
    const stale = running ? now - (this.lastStartedAt ?? now) > ROUND_STUCK_MS : now - lastSign > quietMs;
    return {
      name: this.name,
      lastStartedAt: this.lastStartedAt,
      lastFinishedAt: this.lastFinishedAt,
      lastFailedAt: this.lastFailedAt,
      running,
      stale,
    };
  }

  /**
   * No new round starts; resolves when the running one (if any) has finished. Services call it
   * from onModuleDestroy, the first of Nest's shutdown hooks, so the round ends while the SMTP
   * pools and the database (closed in onApplicationShutdown) are still open.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    runningLoops.delete(this);
    await this.running;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.inRound = true;
      this.lastStartedAt = Date.now();
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
          this.lastFailedAt = Date.now();
          if (err.message !== this.lastFailure) this.logger.error(`${this.opts.failure ?? 'round failed'}: ${err.message}`);
          this.lastFailure = err.message;
          return this.opts.backoffMs ?? this.opts.intervalMs;
        })
        .then((next) => {
          this.inRound = false;
          this.lastFinishedAt = Date.now();
          this.schedule(next ?? this.opts.intervalMs);
        });
    }, delayMs);
  }
}
