import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { sql } from '../database/sql';
import { AttemptOutcome, OutboxState } from './outbox.entities';

export interface ClaimedMessage {
  id: string;
  messageId: string;
  recipient: string;
  channel: 'email' | 'sms';
  payload: { to: string; subject: string; text: string; html?: string };
  attempts: number;
}

export interface AttemptResult {
  outcome: Exclude<AttemptOutcome, 'lease_expired'>;
  startedAt: Date;
  finishedAt: Date;
  replyCode: number | null;
  reply: string | null;
  errorCode: string | null;
  /** The reply classifier's category; null for an acceptance. */
  category: string | null;
  /** For `deferred`: when to try again. */
  nextAttemptAt?: Date;
}

export interface MessageView {
  id: string;
  kind: string;
  channel: string;
  recipient: string;
  state: OutboxState;
  attempts: number;
  nextAttemptAt: Date;
  lastReplyCode: number | null;
  lastReply: string | null;
  lastReplyCategory: string | null;
  createdAt: Date;
  acceptedAt: Date | null;
  failedAt: Date | null;
  history: Array<{ attempt: number; startedAt: Date; finishedAt: Date; outcome: AttemptOutcome; replyCode: number | null; reply: string | null; errorCode: string | null; category: string | null }>;
}

@Injectable()
export class OutboxRepository {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /** A stable Message-ID per outbox row: every retry of one mail carries the same id. */
  messageIdFor(outboxId: string): string {
    const host = new URL(this.config.publicBaseUrl).hostname || 'holdfast.localhost';
    return `<${outboxId}@${host}>`;
  }

  /**
   * Claims due messages, and messages whose sender's lease ran out (a crashed or stalled
   * worker), with SKIP LOCKED so instances never claim the same row. A run-out lease is
   * recorded as an attempt of its own before the message is tried again.
   */
  claim(m: EntityManager, q: { now: Date; limit: number; owner: string; leaseSeconds: number }): Promise<ClaimedMessage[]> {
    return sql<ClaimedMessage>(
      m,
      `WITH picked AS (
         SELECT id, state AS prev_state, lease_owner AS prev_owner, lease_until AS prev_lease_until
           FROM outbox_messages
          WHERE (state IN ('queued', 'deferred') AND next_attempt_at <= $1) OR (state = 'sending' AND lease_until <= $1)
          ORDER BY next_attempt_at
          LIMIT $2
          FOR UPDATE SKIP LOCKED
       ), claimed AS (
         UPDATE outbox_messages o
            SET state = 'sending', lease_owner = $3, lease_until = $1::timestamptz + make_interval(secs => $4), attempts = o.attempts + 1
           FROM picked WHERE o.id = picked.id
         RETURNING o.id, o.message_id, o.recipient, o.channel, o.payload, o.attempts, picked.prev_state, picked.prev_owner, picked.prev_lease_until
       ), lost AS (
         INSERT INTO mail_attempts (message_id, attempt, started_at, finished_at, outcome, reply, worker)
         SELECT id, attempts - 1, prev_lease_until, $1, 'lease_expired', 'no result reported before the lease ran out (worker crashed or stalled)', prev_owner
           FROM claimed WHERE prev_state = 'sending'
       )
       SELECT id, message_id AS "messageId", recipient, channel, payload, attempts FROM claimed`,
      [q.now, q.limit, q.owner, q.leaseSeconds],
    );
  }

  /**
   * Records an attempt and moves the message on, only while this worker still holds the lease
   * (compare-and-swap); returns false when the lease was lost and someone else owns the row.
   */
  async complete(m: EntityManager, id: string, owner: string, r: AttemptResult): Promise<boolean> {
    const rows = await sql(
      m,
      `WITH done AS (
         UPDATE outbox_messages
            SET state = $3::varchar, lease_owner = NULL, lease_until = NULL,
                last_reply_code = $4, last_reply = $5, last_reply_category = $10,
                accepted_at = CASE WHEN $3::varchar = 'accepted' THEN $7::timestamptz ELSE accepted_at END,
                failed_at = CASE WHEN $3::varchar = 'failed' THEN $7::timestamptz ELSE failed_at END,
                next_attempt_at = COALESCE($8, next_attempt_at)
          WHERE id = $1 AND lease_owner = $2 AND state = 'sending'
         RETURNING id, attempts
       )
       INSERT INTO mail_attempts (message_id, attempt, started_at, finished_at, outcome, reply_code, reply, error_code, category, worker)
       SELECT id, attempts, $6::timestamptz, $7::timestamptz, $3::varchar, $4::int, $5::text, $9::varchar, $10::varchar, $2::varchar FROM done RETURNING id`,
      [id, owner, r.outcome, r.replyCode, r.reply, r.startedAt, r.finishedAt, r.nextAttemptAt ?? null, r.errorCode, r.category],
    );
    return rows.length === 1;
  }

  async messagesOfBooking(m: EntityManager, bookingId: string): Promise<MessageView[]> {
    const messages = await sql<Omit<MessageView, 'history'>>(
      m,
      `SELECT id, kind, channel, recipient, state, attempts, next_attempt_at AS "nextAttemptAt", last_reply_code AS "lastReplyCode",
              last_reply AS "lastReply", last_reply_category AS "lastReplyCategory", created_at AS "createdAt", accepted_at AS "acceptedAt", failed_at AS "failedAt"
         FROM outbox_messages WHERE booking_id = $1 ORDER BY created_at`,
      [bookingId],
    );
    if (messages.length === 0) return [];
    const attempts = await sql<MessageView['history'][number] & { messageId: string }>(
      m,
      `SELECT message_id AS "messageId", attempt, started_at AS "startedAt", finished_at AS "finishedAt", outcome,
              reply_code AS "replyCode", reply, error_code AS "errorCode", category
         FROM mail_attempts WHERE message_id = ANY($1::uuid[]) ORDER BY id`,
      [messages.map((x) => x.id)],
    );
    return messages.map((x) => ({ ...x, history: attempts.filter((a) => a.messageId === x.id).map(({ messageId, ...a }) => a) }));
  }
}
