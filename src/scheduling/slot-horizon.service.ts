import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { TransactionRunner } from '../database/transaction-runner';
import { SchedulingRepository } from './scheduling.repository';
import { SchedulingService } from './scheduling.service';

const EVERY_MS = 6 * 60 * 60 * 1000;

/** Keeps SLOT_HORIZON_DAYS of slots generated ahead for every office, as days pass. Idempotent. */
@Injectable()
export class SlotHorizonService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('SlotHorizon');
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly scheduling: SchedulingService,
    private readonly repo: SchedulingRepository,
    private readonly tx: TransactionRunner,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.workersEnabled) return;
    const run = () => this.extend().catch((err: Error) => this.logger.error(`slot generation failed: ${err.message}`));
    this.timer = setInterval(run, EVERY_MS);
    this.timer.unref();
    void run();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  async extend(): Promise<number> {
    let created = 0;
    for (const location of await this.repo.listLocations(this.tx.manager)) {
      created += await this.scheduling.generateForLocation(location.id, this.config.slotHorizonDays);
    }
    if (created > 0) this.logger.log(`generated ${created} slots up to ${this.config.slotHorizonDays} days ahead`);
    return created;
  }
}
