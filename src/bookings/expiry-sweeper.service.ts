import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Clock } from '../common/clock';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { TransactionRunner } from '../database/transaction-runner';
import { BookingsRepository } from './bookings.repository';

const SWEEP_BATCH = 1000;

/** Expires pending bookings whose hold ran out and releases their capacity; never deletes. */
@Injectable()
export class ExpirySweeperService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('ExpirySweeper');
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;
  private stopped = false;

  constructor(
    private readonly tx: TransactionRunner,
    private readonly bookings: BookingsRepository,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.workersEnabled) this.schedule();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.sweep()
        .catch((err: Error) => this.logger.error(`sweep failed: ${err.message}`))
        .finally(() => this.schedule());
    }, this.config.sweepIntervalMs);
  }

  /** Runs the set-based expiry until nothing is due; returns how many bookings expired. */
  async sweep(): Promise<number> {
    let total = 0;
    for (;;) {
      const expired = await this.bookings.expireDue(this.tx.manager, this.clock.now().toJSDate(), SWEEP_BATCH);
      total += expired.length;
      if (expired.length < SWEEP_BATCH) break;
    }
    if (total > 0) this.logger.log(`expired ${total} bookings whose hold ran out`);
    return total;
  }
}
