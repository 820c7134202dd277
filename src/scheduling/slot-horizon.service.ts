import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { WorkerLoop } from '../common/worker-loop';
import { TransactionRunner } from '../database/transaction-runner';
import { SchedulingRepository } from './scheduling.repository';
import { SchedulingService } from './scheduling.service';

const EVERY_MS = 6 * 60 * 60 * 1000;

/** Keeps SLOT_HORIZON_DAYS of slots generated ahead for every office, as days pass. Idempotent. */
@Injectable()
export class SlotHorizonService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('SlotHorizon');
  private loop?: WorkerLoop;

  constructor(
    private readonly scheduling: SchedulingService,
    private readonly repo: SchedulingRepository,
    private readonly tx: TransactionRunner,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.workersEnabled) return;
    this.loop = new WorkerLoop('SlotHorizon', () => this.extend().then(() => undefined), {
      intervalMs: EVERY_MS,
      failure: 'slot generation failed',
    });
    this.loop.start(0);
  }

  /** Waits for a running round, so no slot generation is cut off by the shutdown. */
  async onModuleDestroy(): Promise<void> {
    await this.loop?.stop();
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
