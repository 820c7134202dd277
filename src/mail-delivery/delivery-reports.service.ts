import { DateTime } from 'luxon';
import { Inject, Injectable } from '@nestjs/common';
import { Clock } from '../common/clock';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { TransactionRunner } from '../database/transaction-runner';
import { DELIVERY_LISTENER, DeliveryListener } from '../outbox/delivery-listener';
import { OutboxRepository } from '../outbox/outbox.repository';
import { ReportTooEarly } from '../outbox/report-too-early.error';
import { retryDelaySeconds } from '../outbox/retry-policy';
import { ProviderCircuitsService } from './provider-circuits.service';
import { moveForReport, ReportAction } from './report-decision';
import { classifySmtpReply, ReplyCategory, SmtpReply } from './smtp-reply-classifier';

export type ReportSource = 'dsn' | 'webhook';

/** What a relay or mail service reports about a message after it said 250. */
export interface DeliveryReport {
  source: ReportSource;
  /** Our outbox id (from VERP or ENVID), or the Message-ID header. */
  messageRef: { outboxId?: string; messageIdHeader?: string };
  action: ReportAction;
  status?: string;
  reply?: SmtpReply;
  remoteMta?: string;
  recipient?: string;
  raw?: string;
  /** A signed webhook request's name: the same request is applied once (a replay changes nothing). */
  replayKey?: Buffer;
}

export interface ReportOutcome {
  matched: boolean;
  stateAfter?: string;
  category?: ReplyCategory;
  /** The same signed request was applied before; nothing changed. */
  duplicate?: boolean;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Applies delivery reports (DSN, webhook) to the message they are about: the decision is
 * `moveForReport` (report-decision.ts); a provider block in a report also counts for the family's
 * circuit, and a mail taken back while the circuit is open is held. The hold follows the mail
 * (the delivery listener), in the same transaction.
 */
/** Reports one message may get by mail (delay warnings, a failure or a success: a handful in practice). */
export const MAX_REPORTS_PER_MESSAGE = 20;

export type ReportAdmission = 'ok' | 'expired' | 'enough' | 'unknown';

@Injectable()
export class DeliveryReportsService {
  constructor(
    private readonly tx: TransactionRunner,
    private readonly outbox: OutboxRepository,
    private readonly circuits: ProviderCircuitsService,
    @Inject(DELIVERY_LISTENER) private readonly listener: DeliveryListener,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async applyReport(report: DeliveryReport): Promise<ReportOutcome> {
    const now = this.clock.now();
    const classification =
      report.reply && (report.action === 'delayed' || report.action === 'failed') ? classifySmtpReply(report.reply) : undefined;
    const category = classification?.category ?? null;
    return this.tx.run(async (manager) => {
      if (report.replayKey && !(await this.outbox.takeReceipt(manager, report.replayKey, now.toJSDate())))
        return { matched: false, duplicate: true };
      const ref =
        report.messageRef.outboxId && UUID.test(report.messageRef.outboxId)
          ? { outboxId: report.messageRef.outboxId }
          : { messageIdHeader: report.messageRef.messageIdHeader };
      // Lock order booking -> message, as the dispatcher and the transit rule take them: no deadlock.
      const bookingId = await this.outbox.bookingOfReported(manager, ref);
      if (bookingId) await this.listener.lockBookings(manager, [bookingId]);
      const message = await this.outbox.lockForReport(manager, ref);
      const event = {
        at: now.toJSDate(),
        source: report.source,
        kind: report.action,
        category,
        status: report.status,
        reply: report.reply?.text,
        remoteMta: report.remoteMta,
        recipient: report.recipient,
        raw: report.raw,
      };
      if (!message) {
        await this.outbox.recordReport(manager, {
          ...event,
          messageId: null,
          stateAfter: null,
          unmatchedReason: 'unknown_message',
        });
        return { matched: false };
      }
      if (message.state === 'sending') throw new ReportTooEarly(message.id);
      const move = moveForReport(message, {
        action: report.action,
        status: report.status,
        category: classification?.category,
        temporary: classification?.temporary,
      });
      let state: string | null = move.state;
      // A probe our relay took is decided by its report: delivered closes the circuit, a block
      // opens it again for longer (the relay's 250 said nothing about the provider).
      const probe = message.family ? await this.circuits.isPendingProbe(manager, message.family, message.id) : false;
      if (probe && (move.delivered || classification)) {
        await this.circuits.applyEvent(manager, message.family!, {
          type: 'probe_result',
          messageId: message.id,
          ok: move.delivered,
          category: move.delivered ? undefined : classification?.category,
          at: now.toMillis(),
        });
      }
      if (
        classification &&
        (classification.category === 'provider_block' || classification.category === 'rate_limit') &&
        message.family
      ) {
        const circuit = await this.circuits.applyEvent(manager, message.family, {
          type: 'reply',
          category: classification.category,
          at: now.toMillis(),
        });
        if (state === 'deferred' && circuit.state.state !== 'closed') state = 'held_provider_blocked';
      }
      if (state) {
        const retryAt = () =>
          now.plus({
            seconds: retryDelaySeconds(message.attempts, {
              baseSeconds: this.config.retryBaseSeconds,
              maxSeconds: this.config.retryMaxSeconds,
            }),
          });
        await this.outbox.applyReport(manager, message.id, {
          state: state as typeof message.state,
          now: now.toJSDate(),
          delivered: move.delivered,
          nextAttemptAt: state === 'deferred' ? retryAt().toJSDate() : null,
          reply: report.reply?.text ?? null,
          category,
        });
        // The hold follows the mail: a delay report extends it, a delivery starts the window.
        if (message.bookingId) await this.listener.onDeliveryChanged(manager, [message.bookingId], now);
      }
      await this.outbox.recordReport(manager, { ...event, messageId: message.id, stateAfter: state ?? message.state });
      return { matched: true, stateAfter: state ?? message.state, category: classification?.category };
    });
  }

  /**
   * Whether a report addressed to this message's bounce address is taken: not after the address's
   * last valid day (for old addresses without one: VERP_VALID_DAYS after the message was queued),
   * and not beyond MAX_REPORTS_PER_MESSAGE reports for one message.
   */
  async admitReport(messageId: string, validThrough?: Date): Promise<ReportAdmission> {
    const now = this.clock.now();
    const message = await this.outbox.reportAdmission(this.tx.manager, messageId);
    if (!message) return 'unknown';
    const lastDay = validThrough
      ? DateTime.fromJSDate(validThrough, { zone: 'utc' })
      : DateTime.fromJSDate(message.createdAt, { zone: 'utc' }).plus({ days: this.config.verpValidDays });
    if (now >= lastDay.startOf('day').plus({ days: 1 })) return 'expired';
    return message.reports >= MAX_REPORTS_PER_MESSAGE ? 'enough' : 'ok';
  }

  async recordUnmatched(
    source: ReportSource,
    reason: string,
    raw: string | undefined,
    messageId: string | null = null,
  ): Promise<void> {
    await this.outbox.recordReport(this.tx.manager, {
      messageId,
      at: this.clock.now().toJSDate(),
      source,
      kind: 'unparsed',
      stateAfter: null,
      unmatchedReason: reason,
      raw,
    });
  }
}
