import { Inject, Injectable, Logger } from '@nestjs/common';
import { DateTime } from 'luxon';
import { EntityManager } from 'typeorm';
import { Clock } from '../common/clock';
import { DomainError } from '../common/domain-error';
import { HoldService } from '../bookings/hold.service';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { sql, sqlOne } from '../database/sql';
import { TransactionRunner } from '../database/transaction-runner';
import { retryDelaySeconds } from '../notifications/retry-policy';
import { ProviderCircuitsService } from './provider-circuits.service';
import { classifySmtpReply, ReplyCategory, SmtpReply } from './smtp-reply-classifier';

export type ReportSource = 'dsn' | 'webhook';

export class ReportTooEarly extends DomainError {
  constructor(messageId: string) {
    super('REPORT_TOO_EARLY', `Message ${messageId} is being sent right now; send the report again later.`);
  }
}

/** PostgreSQL text holds no NUL; binary junk is kept readable enough for a human. */
const printable = (s: string) => s.replace(/\u0000/g, '\uFFFD');

/** What a relay or mail service reports about a message after it said 250. */
export interface DeliveryReport {
  source: ReportSource;
  /** Our outbox id (from VERP or ENVID), or the Message-ID header. */
  messageRef: { outboxId?: string; messageIdHeader?: string };
  action: 'delivered' | 'relayed' | 'delayed' | 'failed' | 'expanded';
  status?: string;
  reply?: SmtpReply;
  remoteMta?: string;
  recipient?: string;
  raw?: string;
}

export interface ReportOutcome {
  matched: boolean;
  stateAfter?: string;
  category?: ReplyCategory;
}

type Decision = {
  state: 'accepted' | 'delayed' | 'bounced' | 'failed' | 'deferred' | 'held_provider_blocked' | null;
  acceptedByMx?: boolean;
};

/**
 * Applies delivery reports (DSN, webhook) to the message they are about. `delayed` moves an
 * accepted mail back to undelivered; `failed` with a 4.x.x status, or a provider block, means
 * the relay gave up on a temporary condition: we take the mail back and retry it ourselves
 * (held while the family's circuit is open). Only a mailbox verdict bounces it.
 */
@Injectable()
export class DeliveryReportsService {
  private readonly logger = new Logger('DeliveryReports');

  constructor(
    private readonly tx: TransactionRunner,
    private readonly circuits: ProviderCircuitsService,
    private readonly holds: HoldService,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async apply(report: DeliveryReport): Promise<ReportOutcome> {
    const now = this.clock.now();
    const classification =
      report.reply && report.action !== 'delivered' && report.action !== 'relayed' ? classifySmtpReply(report.reply) : undefined;
    return this.tx.run(async (m) => {
      const message = await this.findMessage(m, report.messageRef);
      if (!message) {
        await this.record(m, null, report, now.toJSDate(), {
          stateAfter: null,
          category: classification?.category ?? null,
          unmatched: 'unknown_message',
        });
        return { matched: false };
      }
      // The message is being sent (again) right now: its acceptance is not recorded yet. The
      // report is refused for now (DSN: 451, webhook: 503) and applied when the sender retries.
      if (message.state === 'sending') throw new ReportTooEarly(message.id);
      const decision = this.decide(report, message.state, classification?.category, classification?.temporary, report.status);
      let state = decision.state;
      if (
        classification &&
        (classification.category === 'provider_block' || classification.category === 'rate_limit') &&
        message.family
      ) {
        const circuit = await this.circuits.apply(m, message.family, {
          type: 'reply',
          category: classification.category,
          at: now.toMillis(),
        });
        if (state === 'deferred' && circuit.state.state !== 'closed') state = 'held_provider_blocked';
      }
      if (state) await this.move(m, message, state, decision, now, classification?.category ?? null, report);
      // The hold follows the mail: a delay report extends it, a delivery starts the window.
      if (state && message.bookingId) await this.holds.recompute(m, [message.bookingId], now);
      await this.record(m, message.id, report, now.toJSDate(), {
        stateAfter: state ?? message.state,
        category: classification?.category ?? null,
        unmatched: null,
      });
      return { matched: true, stateAfter: state ?? message.state, category: classification?.category };
    });
  }

  /** The state a report moves a message to; null: record only. Pure apart from its inputs. */
  private decide(
    report: DeliveryReport,
    current: string,
    category: ReplyCategory | undefined,
    temporary: boolean | undefined,
    status?: string,
  ): Decision {
    // Reports about a mail we are sending again right now, or gave up on, change nothing but the record.
    if (!['accepted', 'delayed'].includes(current)) return { state: null };
    switch (report.action) {
      case 'delivered':
        return { state: 'accepted', acceptedByMx: true };
      case 'relayed':
      case 'expanded':
        return { state: current === 'delayed' ? 'accepted' : null };
      case 'delayed':
        return { state: 'delayed' };
      case 'failed': {
        const statusClass = status?.charAt(0);
        if (category === 'mailbox_unknown' && statusClass !== '4') return { state: 'bounced' };
        if (
          statusClass === '4' ||
          temporary ||
          category === 'provider_block' ||
          category === 'rate_limit' ||
          category === 'greylist'
        )
          return { state: 'deferred' };
        return { state: 'failed' };
      }
    }
  }

  private async move(
    m: EntityManager,
    message: { id: string; attempts: number },
    state: NonNullable<Decision['state']>,
    decision: Decision,
    now: DateTime,
    category: string | null,
    report: DeliveryReport,
  ): Promise<void> {
    const next =
      state === 'deferred'
        ? now
            .plus({
              seconds: retryDelaySeconds(message.attempts, {
                baseSeconds: this.config.retryBaseSeconds,
                maxSeconds: this.config.retryMaxSeconds,
              }),
            })
            .toJSDate()
        : null;
    await sql(
      m,
      `UPDATE outbox_messages
          SET state = $2::varchar,
              -- Delivered after a delay: the mail became readable now, not when the relay first took it.
              accepted_at = CASE WHEN $2::varchar = 'accepted' AND (state = 'delayed' OR accepted_at IS NULL) THEN $3
                                 WHEN $2::varchar IN ('accepted', 'delayed') THEN accepted_at ELSE NULL END,
              delivered_at = CASE WHEN $4::boolean THEN $3 ELSE delivered_at END,
              accepted_by = CASE WHEN $4::boolean THEN 'mx' WHEN $2::varchar IN ('accepted', 'delayed') THEN accepted_by ELSE NULL END,
              failed_at = CASE WHEN $2::varchar IN ('bounced', 'failed') THEN $3 ELSE failed_at END,
              next_attempt_at = COALESCE($5, next_attempt_at),
              last_reply = COALESCE($6, last_reply), last_reply_category = COALESCE($7, last_reply_category)
        WHERE id = $1 AND state IN ('accepted', 'delayed')`,
      [message.id, state, now.toJSDate(), decision.acceptedByMx ?? false, next, report.reply?.text ?? null, category],
    );
  }

  private findMessage(m: EntityManager, ref: DeliveryReport['messageRef']) {
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
    if (ref.outboxId && uuid.test(ref.outboxId)) {
      return sqlOne<{ id: string; state: string; family: string | null; attempts: number; bookingId: string | null }>(
        m,
        `SELECT id, state, family, attempts, booking_id AS "bookingId" FROM outbox_messages WHERE id = $1 FOR UPDATE`,
        [ref.outboxId],
      );
    }
    if (ref.messageIdHeader) {
      return sqlOne<{ id: string; state: string; family: string | null; attempts: number; bookingId: string | null }>(
        m,
        `SELECT id, state, family, attempts, booking_id AS "bookingId" FROM outbox_messages WHERE message_id = $1 FOR UPDATE`,
        [ref.messageIdHeader.trim()],
      );
    }
    return Promise.resolve(undefined);
  }

  async recordUnmatched(
    source: ReportSource,
    reason: string,
    raw: string | undefined,
    messageId: string | null = null,
  ): Promise<void> {
    await this.record(
      this.tx.manager,
      messageId,
      { source, messageRef: {}, action: 'failed', raw },
      this.clock.now().toJSDate(),
      { stateAfter: null, category: null, unmatched: reason, kind: 'unparsed' },
    );
  }

  private async record(
    m: EntityManager,
    messageId: string | null,
    r: DeliveryReport,
    at: Date,
    x: { stateAfter: string | null; category: string | null; unmatched: string | null; kind?: string },
  ) {
    await sql(
      m,
      `INSERT INTO delivery_events (message_id, at, source, kind, state_after, category, status, reply, remote_mta, recipient, unmatched_reason, raw)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
      [
        messageId,
        at,
        r.source,
        x.kind ?? r.action,
        x.stateAfter,
        x.category,
        r.status?.slice(0, 16) ?? null,
        r.reply?.text?.slice(0, 2000) ?? null,
        r.remoteMta?.slice(0, 255) ?? null,
        r.recipient?.slice(0, 254) ?? null,
        x.unmatched,
        r.raw ? printable(r.raw).slice(0, 64 * 1024) : null,
      ],
    );
  }
}
