import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { Clock } from '../common/clock';
import { ClockGuard } from '../common/clock-guard.service';
import { Metrics } from '../common/metrics';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { WorkerLoop } from '../common/worker-loop';
import { TransactionRunner } from '../database/transaction-runner';
import { OutboxRepository } from '../outbox/outbox.repository';
import { BookingsRepository } from './bookings.repository';
import { HoldService } from './hold.service';

// Decided in SQL, a batch costs about what its rows cost to write; a bigger one saves round trips and
// plans, and holds its row locks (a citizen confirming one of them waits) well under a second.
const SWEEP_BATCH = 5000;
// Batches run in this many lanes at once (SKIP LOCKED keeps them apart; each lane is one connection):
// a large backlog, after an outage or an incident's end, is decided on more than one database core.
const SWEEP_LANES = 2;

/** Expires pending bookings whose hold ran out and releases their capacity; never deletes. */
@Injectable()
export class ExpirySweeperService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('ExpirySweeper');
  private loop?: WorkerLoop;

  constructor(
    private readonly tx: TransactionRunner,
    private readonly bookings: BookingsRepository,
    private readonly outbox: OutboxRepository,
    private readonly holds: HoldService,
    private readonly clock: Clock,
    private readonly clockGuard: ClockGuard,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly metrics: Metrics,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.workersEnabled) return;
    this.loop = new WorkerLoop('ExpirySweeper', () => this.sweep().then(() => undefined), {
      intervalMs: this.config.sweepIntervalMs,
      failure: 'sweep failed',
    });
    this.loop.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.loop?.stop();
  }

  /**
   * Bookings whose stored hold ran out are decided again (the mail may still be stuck, and the
   * hold follows the mail): extended, or expired with the reason. Until nothing is due; returns
   * how many expired.
   */
  async sweep(): Promise<number> {
    // On a clock that disagrees with the database's, nothing is expired (it could be hours early).
    if (!(await this.clockGuard.inSync())) return 0;
    let total = 0;
    let extended = 0;
    const lane = async () => {
      for (;;) {
        const now = this.clock.now();
        const batch = await this.tx.run(async (manager) => {
          const due = await this.bookings.lockDue(manager, now.toJSDate(), SWEEP_BATCH);
          // Decided in SQL, set-based (the same policy as hold-policy.ts; a test holds them equal).
          const { extended, expiring } = await this.holds.decideDue(manager, due, now);
          const expired = await this.bookings.expire(manager, now.toJSDate(), expiring);
          await this.outbox.withdrawUnsent(
            manager,
            expired.map((e) => e.id),
          );
          return { due: due.length, expired: expired.length, extended };
        });
        total += batch.expired;
        extended += batch.extended;
        if (batch.due < SWEEP_BATCH) return;
      }
    };
    await Promise.all(Array.from({ length: SWEEP_LANES }, lane));
    this.metrics.holdsExtended.inc(extended);
    await this.bookings.deleteOldIdempotencyKeys(this.tx.manager, this.clock.now().toJSDate());
    if (total > 0 || extended > 0)
      this.logger.log(`holds run out: ${total} bookings expired, ${extended} extended while their confirmation cannot arrive`);
    return total;
  }
}
