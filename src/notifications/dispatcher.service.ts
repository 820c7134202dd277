import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { Clock } from '../common/clock';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { TransactionRunner } from '../database/transaction-runner';
import { classifySendError } from './send-outcome';
import { MailTransport } from './mail-transport';
import { AttemptResult, ClaimedMessage, OutboxRepository } from './outbox.repository';
import { retryDelaySeconds } from './retry-policy';

/**
 * Sends what the outbox holds. Claims rows with SKIP LOCKED and a lease, so several instances
 * share the work and a crashed worker's rows come back; records every attempt.
 */
@Injectable()
export class DispatcherService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Dispatcher');
  readonly workerId = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;
  private stopped = false;

  constructor(
    private readonly tx: TransactionRunner,
    private readonly outbox: OutboxRepository,
    private readonly transport: MailTransport,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.workersEnabled) this.schedule(0);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.dispatchOnce()
        .then((n) => this.schedule(n >= this.config.dispatchBatchSize ? 0 : this.config.dispatchIntervalMs))
        .catch((err: Error) => {
          this.logger.error(`dispatch failed: ${err.message}`);
          this.schedule(this.config.dispatchIntervalMs * 4);
        });
    }, delayMs);
  }

  /** One round: claim a batch, send it, record each result. Returns how many were claimed. */
  async dispatchOnce(owner = this.workerId): Promise<number> {
    const claimed = await this.claim(owner);
    await Promise.all(claimed.map((message) => this.deliver(message, owner)));
    return claimed.length;
  }

  claim(owner = this.workerId, limit = this.config.dispatchBatchSize): Promise<ClaimedMessage[]> {
    return this.outbox.claim(this.tx.manager, { now: this.clock.now().toJSDate(), limit, owner, leaseSeconds: this.config.outboxLeaseSeconds });
  }

  async deliver(message: ClaimedMessage, owner = this.workerId): Promise<AttemptResult> {
    const startedAt = this.clock.now().toJSDate();
    let result: AttemptResult;
    try {
      const accepted = await this.transport.send({ ...message.payload, to: message.recipient, messageId: message.messageId });
      result = { outcome: 'accepted', startedAt, finishedAt: this.clock.now().toJSDate(), replyCode: accepted.replyCode, reply: accepted.reply, errorCode: null, category: null };
    } catch (err) {
      const verdict = classifySendError(err);
      const giveUp = !verdict.temporary || message.attempts >= this.config.outboxMaxAttempts;
      const finishedAt = this.clock.now();
      result = {
        outcome: giveUp ? 'failed' : 'deferred',
        startedAt,
        finishedAt: finishedAt.toJSDate(),
        replyCode: verdict.replyCode,
        reply: verdict.reply,
        errorCode: verdict.errorCode,
        category: verdict.category,
        nextAttemptAt: giveUp ? undefined : finishedAt.plus({ seconds: retryDelaySeconds(message.attempts, { baseSeconds: this.config.retryBaseSeconds, maxSeconds: this.config.retryMaxSeconds }) }).toJSDate(),
      };
    }
    const recorded = await this.outbox.complete(this.tx.manager, message.id, owner, result);
    if (!recorded) this.logger.warn(`message ${message.id}: lease lost before the result was recorded; another worker owns it`);
    return result;
  }
}
