import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { BookingsRepository } from '../bookings/bookings.repository';
import { Clock } from '../common/clock';
import { ClockGuard } from '../common/clock-guard.service';
import { WorkerLoop } from '../common/worker-loop';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { TransactionRunner } from '../database/transaction-runner';
import { OutboxRepository } from '../outbox/outbox.repository';

/** Bookings anonymised per transaction: their rows and their mail's stay locked for well under a second. */
const RETENTION_BATCH = 500;
/** The job looks for due data this often (retention is counted in days; an hour late is nothing). */
const RETENTION_INTERVAL_MS = 60 * 60 * 1000;
/** Its first round, a minute after start (not in the start-up rush). */
const RETENTION_FIRST_DELAY_MS = 60 * 1000;

export interface RetentionCounts {
  /** The day before which appointments, expiries and cancellations are due. */
  cutoff: string;
  bookings: number;
  messages: number;
  attempts: number;
  reports: number;
  unmatchedReports: number;
  auditEntries: number;
}

/**
 * Retention: RETENTION_DAYS after a booking's appointment (or its expiry or cancellation) its
 * personal data is anonymised in place, with its mail's recipients, payloads, replies and reports
 * and the personal values of its audit entries; rows stay, so counts and statistics stay. The one
 * path besides an admin's early erasure that changes personal fields. Set-based, in batches, each
 * batch locking its bookings with SKIP LOCKED: instances running it at once share the work and
 * never do a booking twice. Each run that changed something audits its counts.
 */
@Injectable()
export class RetentionService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Retention');
  private loop?: WorkerLoop;

  constructor(
    private readonly tx: TransactionRunner,
    private readonly bookings: BookingsRepository,
    private readonly outbox: OutboxRepository,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly clockGuard: ClockGuard,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.workersEnabled) return;
    this.loop = new WorkerLoop('Retention', () => this.run().then(() => undefined), {
      intervalMs: RETENTION_INTERVAL_MS,
      backoffMs: RETENTION_FIRST_DELAY_MS * 5,
      failure: 'retention run failed',
    });
    this.loop.start(RETENTION_FIRST_DELAY_MS);
  }

  async onModuleDestroy(): Promise<void> {
    await this.loop?.stop();
  }

  private cutoff(): Date {
    return this.clock.now().minus({ days: this.config.retentionDays }).toJSDate();
  }

  /** What a run would anonymise now, changing nothing. */
  async dryRun(): Promise<RetentionCounts> {
    const cutoff = this.cutoff();
    return this.tx.run(async (manager) => {
      const ids = await this.bookings.countDueForAnonymising(manager, cutoff);
      const mail = await this.outbox.countOfBookings(manager, ids);
      return {
        cutoff: cutoff.toISOString(),
        bookings: ids.length,
        ...mail,
        unmatchedReports: await this.outbox.anonymiseUnmatchedReports(manager, cutoff, 0, true),
        auditEntries: await this.audit.countOfBookings(manager, ids),
      };
    });
  }

  /** Anonymises everything due, batch after batch; returns (and audits) what this run changed. */
  async run(): Promise<RetentionCounts> {
    const cutoff = this.cutoff();
    const total: RetentionCounts = {
      cutoff: cutoff.toISOString(),
      bookings: 0,
      messages: 0,
      attempts: 0,
      reports: 0,
      unmatchedReports: 0,
      auditEntries: 0,
    };
    // On a clock that disagrees with the database's, nothing is anonymised (it could be days early).
    if (!(await this.clockGuard.inSync())) return total;
    for (;;) {
      const batch = await this.tx.run(async (manager) => {
        const due = await this.bookings.lockDueForAnonymising(manager, cutoff, RETENTION_BATCH);
        const counts = await this.anonymise(manager, due);
        return { due: due.length, ...counts };
      });
      total.bookings += batch.bookings;
      total.messages += batch.messages;
      total.attempts += batch.attempts;
      total.reports += batch.reports;
      total.auditEntries += batch.auditEntries;
      if (batch.due < RETENTION_BATCH) break;
    }
    for (;;) {
      const n = await this.tx.run((manager) => this.outbox.anonymiseUnmatchedReports(manager, cutoff, RETENTION_BATCH));
      total.unmatchedReports += n;
      if (n < RETENTION_BATCH) break;
    }
    if (total.bookings > 0 || total.unmatchedReports > 0) {
      await this.audit.record(
        this.tx.manager,
        { id: null, label: 'system:retention' },
        { action: 'privacy.retention', reason: `RETENTION_DAYS=${this.config.retentionDays}`, after: total },
      );
      this.logger.log(
        `anonymised ${total.bookings} bookings, ${total.messages} messages, ${total.reports} reports, ${total.unmatchedReports} unmatched reports`,
      );
    }
    return total;
  }

  /**
   * These (locked) bookings anonymised with their mail and audit values, in the caller's
   * transaction: the one place that does it, for the job and for an early erasure.
   */
  async anonymise(manager: EntityManager, bookingIds: string[]): Promise<Omit<RetentionCounts, 'cutoff' | 'unmatchedReports'>> {
    const done = await this.bookings.anonymise(manager, bookingIds, this.clock.now().toJSDate());
    // Nothing of theirs is sent any more (an anonymised recipient is no one's).
    await this.outbox.withdrawUnsent(manager, done);
    const mail = await this.outbox.anonymiseOfBookings(manager, done);
    const auditEntries = await this.audit.anonymiseOfBookings(manager, done);
    return { bookings: done.length, ...mail, auditEntries };
  }
}
