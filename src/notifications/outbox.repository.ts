import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { sql, sqlOne } from '../database/sql';
import { AttemptOutcome, OutboxState } from './outbox.entities';

export interface ClaimedMessage {
  id: string;
  messageId: string;
  recipient: string;
  channel: 'email' | 'sms';
  payload: { to: string; subject: string; text: string; html?: string };
  attempts: number;
  family: string;
  isProbe: boolean;
  bookingId: string | null;
}

const STATE_OF_OUTCOME: Record<AttemptResult['outcome'], OutboxState> = {
  accepted: 'accepted',
  deferred: 'deferred',
  held: 'held_provider_blocked',
  bounced: 'bounced',
  failed: 'failed',
};

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
  /** For `accepted`: our relay, the recipient's MX (direct delivery), or the SMS gateway. */
  acceptedBy?: 'relay' | 'mx' | 'sms_gateway';
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
  family: string | null;
  acceptedBy: 'relay' | 'mx' | null;
  createdAt: Date;
  acceptedAt: Date | null;
  failedAt: Date | null;
  history: Array<{
    attempt: number;
    startedAt: Date;
    finishedAt: Date;
    outcome: AttemptOutcome;
    replyCode: number | null;
    reply: string | null;
    errorCode: string | null;
    category: string | null;
  }>;
  /** Reports after the relay's 250: DSNs and webhook events. */
  reports: Array<{
    at: Date;
    source: string;
    kind: string;
    status: string | null;
    category: string | null;
    reply: string | null;
    remoteMta: string | null;
    stateAfter: string | null;
  }>;
}

/**
 * The end of both claim statements: the rows of `source` (id, prev_state, prev_owner,
 * prev_lease_until) become `sending` under this worker's lease, and a lease that had run out is
 * recorded as an attempt of its own (a crashed or stalled worker) before the message goes again.
 */
function takeLease(p: { source: string; now: string; owner: string; leaseSeconds: string; probe: boolean }): string {
  return `claimed AS (
         UPDATE outbox_messages o
            SET state = 'sending', lease_owner = ${p.owner}, lease_until = ${p.now}::timestamptz + make_interval(secs => ${p.leaseSeconds}),
                attempts = o.attempts + 1, is_probe = ${p.probe}
           FROM ${p.source} WHERE o.id = ${p.source}.id
         RETURNING o.id, o.message_id, o.recipient, o.channel, o.payload, o.attempts, o.family, o.is_probe, o.booking_id,
                   ${p.source}.prev_state, ${p.source}.prev_owner, ${p.source}.prev_lease_until
       ), lost AS (
         INSERT INTO mail_attempts (message_id, attempt, started_at, finished_at, outcome, reply, worker, family)
         SELECT id, attempts - 1, prev_lease_until, ${p.now}, 'lease_expired', 'no result reported before the lease ran out (worker crashed or stalled)', prev_owner, family
           FROM claimed WHERE prev_state = 'sending'
       )
       SELECT id, message_id AS "messageId", recipient, channel, payload, attempts, family, is_probe AS "isProbe", booking_id AS "bookingId" FROM claimed`;
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
   * recorded as an attempt of its own before the message is tried again. Families whose
   * circuit is not closed are left alone (their probe is claimed separately), and no family
   * gets more than `ratePerMinute` attempts a minute, so a burst of bookings cannot itself
   * trip a provider's spam limits.
   */
  claim(
    m: EntityManager,
    q: { now: Date; limit: number; owner: string; leaseSeconds: number; ratePerMinute: number },
  ): Promise<ClaimedMessage[]> {
    return sql<ClaimedMessage>(
      m,
      `WITH due_families AS (
         SELECT DISTINCT o.family FROM outbox_messages o
          WHERE o.family IS NOT NULL AND ((o.state IN ('queued', 'deferred') AND o.next_attempt_at <= $1) OR (o.state = 'sending' AND o.lease_until <= $1))
       ), quota AS (
         -- What each family may still get this minute; a family whose circuit is not closed gets nothing here.
         SELECT f.family,
                $5 - (SELECT count(*) FROM mail_attempts a WHERE a.family = f.family AND a.finished_at > $1::timestamptz - interval '1 minute')
                   - (SELECT count(*) FROM outbox_messages s WHERE s.family = f.family AND s.state = 'sending' AND s.lease_until > $1) AS n
           FROM due_families f
          WHERE NOT EXISTS (SELECT 1 FROM provider_circuits c WHERE c.family = f.family AND c.state <> 'closed')
       ), allowed AS (
         -- Per family, its oldest due mail up to its quota: a throttled family cannot crowd out the
         -- others. Up to 4 batches of candidates, so a second instance claiming at the same moment
         -- skips the rows the first one locked and still finds work.
         SELECT x.id FROM quota q CROSS JOIN LATERAL (
           SELECT o.id FROM outbox_messages o
            WHERE o.family = q.family AND ((o.state IN ('queued', 'deferred') AND o.next_attempt_at <= $1) OR (o.state = 'sending' AND o.lease_until <= $1))
            ORDER BY o.next_attempt_at LIMIT GREATEST(LEAST(q.n, $2 * 4), 0)
         ) x
       ), picked AS (
         SELECT o.id, o.state AS prev_state, o.lease_owner AS prev_owner, o.lease_until AS prev_lease_until
           FROM outbox_messages o
          WHERE o.id IN (SELECT id FROM allowed)
            AND ((o.state IN ('queued', 'deferred') AND o.next_attempt_at <= $1) OR (o.state = 'sending' AND o.lease_until <= $1))
          ORDER BY o.next_attempt_at
          LIMIT $2
          FOR UPDATE SKIP LOCKED
       ), ${takeLease({ source: 'picked', now: '$1', owner: '$3', leaseSeconds: '$4', probe: false })}`,
      [q.now, q.limit, q.owner, q.leaseSeconds, q.ratePerMinute],
    );
  }

  /** Claims one given message (a circuit's probe), already locked by the caller's transaction. */
  async claimProbe(
    m: EntityManager,
    id: string,
    q: { now: Date; owner: string; leaseSeconds: number },
  ): Promise<ClaimedMessage | undefined> {
    return sqlOne<ClaimedMessage>(
      m,
      `WITH prev AS (
         SELECT id, state AS prev_state, lease_owner AS prev_owner, lease_until AS prev_lease_until FROM outbox_messages
          WHERE id = $1 AND (state IN ('held_provider_blocked', 'queued', 'deferred') OR (state = 'sending' AND lease_until <= $2))
       ), ${takeLease({ source: 'prev', now: '$2', owner: '$3', leaseSeconds: '$4', probe: true })}`,
      [id, q.now, q.owner, q.leaseSeconds],
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
            SET state = $11::varchar, lease_owner = NULL, lease_until = NULL, is_probe = false,
                last_reply_code = $4, last_reply = $5, last_reply_category = $10,
                accepted_at = CASE WHEN $11::varchar = 'accepted' THEN $7::timestamptz ELSE accepted_at END,
                accepted_by = CASE WHEN $11::varchar = 'accepted' THEN $12::varchar ELSE accepted_by END,
                failed_at = CASE WHEN $11::varchar IN ('failed', 'bounced') THEN $7::timestamptz ELSE failed_at END,
                next_attempt_at = COALESCE($8, next_attempt_at)
          WHERE id = $1 AND lease_owner = $2 AND state = 'sending'
         RETURNING id, attempts, family
       )
       INSERT INTO mail_attempts (message_id, attempt, started_at, finished_at, outcome, reply_code, reply, error_code, category, worker, family)
       SELECT id, attempts, $6::timestamptz, $7::timestamptz, $3::varchar, $4::int, $5::text, $9::varchar, $10::varchar, $2::varchar, family FROM done RETURNING id`,
      [
        id,
        owner,
        r.outcome,
        r.replyCode,
        r.reply,
        r.startedAt,
        r.finishedAt,
        r.nextAttemptAt ?? null,
        r.errorCode,
        r.category,
        STATE_OF_OUTCOME[r.outcome],
        r.acceptedBy ?? null,
      ],
    );
    return rows.length === 1;
  }

  /**
   * Many acceptances in one statement (the common case, so the hot path commits once per batch
   * instead of once per mail); compare-and-swap on the lease like `complete`. Returns how many.
   */
  async completeAccepted(
    m: EntityManager,
    owner: string,
    done: Array<{
      id: string;
      startedAt: Date;
      finishedAt: Date;
      replyCode: number | null;
      reply: string;
      acceptedBy: 'relay' | 'mx' | 'sms_gateway';
    }>,
  ): Promise<Array<{ id: string; bookingId: string | null }>> {
    if (done.length === 0) return [];
    const rows = await sql(
      m,
      `WITH r AS (
         SELECT * FROM unnest($2::uuid[], $3::timestamptz[], $4::timestamptz[], $5::int[], $6::text[], $7::varchar[]) AS t(id, started_at, finished_at, reply_code, reply, accepted_by)
       ), done AS (
         UPDATE outbox_messages o
            SET state = 'accepted', lease_owner = NULL, lease_until = NULL, is_probe = false,
                last_reply_code = r.reply_code, last_reply = r.reply, last_reply_category = NULL,
                accepted_at = r.finished_at, accepted_by = r.accepted_by
           FROM r WHERE o.id = r.id AND o.lease_owner = $1 AND o.state = 'sending'
         RETURNING o.id, o.attempts, o.family, o.booking_id
       ), recorded AS (
         INSERT INTO mail_attempts (message_id, attempt, started_at, finished_at, outcome, reply_code, reply, worker, family)
         SELECT done.id, done.attempts, r.started_at, r.finished_at, 'accepted', r.reply_code, r.reply, $1, done.family FROM done JOIN r ON r.id = done.id
       )
       SELECT id, booking_id AS "bookingId" FROM done`,
      [
        owner,
        done.map((d) => d.id),
        done.map((d) => d.startedAt),
        done.map((d) => d.finishedAt),
        done.map((d) => d.replyCode),
        done.map((d) => d.reply),
        done.map((d) => d.acceptedBy),
      ],
    );
    return rows as Array<{ id: string; bookingId: string | null }>;
  }

  async lockBooking(m: EntityManager, bookingId: string): Promise<void> {
    await sql(m, `SELECT 1 FROM bookings WHERE id = $1 FOR UPDATE`, [bookingId]);
  }

  /**
   * Confirmations that must not go out any more: their booking is no longer pending (cancelled,
   * expired, confirmed by hand), or the citizen changed the address since. Also catches mail that
   * was being sent while the booking changed and came back deferred or held.
   */
  async withdrawStale(m: EntityManager): Promise<number> {
    const rows = await sql(
      m,
      `UPDATE outbox_messages o SET state = 'cancelled'
         FROM bookings b
        WHERE b.id = o.booking_id AND o.state IN ('queued', 'deferred', 'held_provider_blocked')
          AND o.kind IN ('booking_confirmation', 'sms_confirmation')
          AND (b.status <> 'pending' OR (o.channel = 'email' AND lower(o.recipient) <> lower(b.email)))
       RETURNING o.id`,
    );
    return rows.length;
  }

  /** A new message in the outbox (sent by the dispatcher, never inside a request). */
  async enqueue(
    m: EntityManager,
    x: {
      id: string;
      bookingId: string;
      kind: string;
      channel: 'email' | 'sms';
      recipient: string;
      payload: unknown;
      family: string | null;
      now: Date;
    },
  ): Promise<void> {
    await sql(
      m,
      `INSERT INTO outbox_messages (id, booking_id, kind, channel, recipient, message_id, payload, state, next_attempt_at, created_at, family)
       VALUES ($1, $2, $3, $4, $5, $6, $7, 'queued', $8, $8, $9)`,
      [x.id, x.bookingId, x.kind, x.channel, x.recipient, this.messageIdFor(x.id), JSON.stringify(x.payload), x.now, x.family],
    );
  }

  /** A claimed message that was not tried because its provider blocked us meanwhile: held, attempt given back. */
  async holdUnsent(m: EntityManager, id: string, owner: string): Promise<void> {
    await sql(
      m,
      `UPDATE outbox_messages SET state = 'held_provider_blocked', lease_owner = NULL, lease_until = NULL, attempts = attempts - 1, is_probe = false
        WHERE id = $1 AND lease_owner = $2 AND state = 'sending'`,
      [id, owner],
    );
  }

  /** Messages whose provider family is not known yet (the domain table had no answer). */
  unresolvedFamilies(m: EntityManager, limit: number): Promise<Array<{ id: string; recipient: string }>> {
    return sql(
      m,
      `SELECT id, recipient FROM outbox_messages WHERE family IS NULL AND state IN ('queued', 'deferred') ORDER BY created_at LIMIT $1`,
      [limit],
    );
  }

  async setFamilies(m: EntityManager, families: Array<{ id: string; family: string }>): Promise<void> {
    if (families.length === 0) return;
    await sql(
      m,
      `UPDATE outbox_messages o SET family = f.family FROM unnest($1::uuid[], $2::varchar[]) AS f(id, family) WHERE o.id = f.id AND o.family IS NULL`,
      [families.map((f) => f.id), families.map((f) => f.family)],
    );
  }

  async messagesOfBooking(m: EntityManager, bookingId: string): Promise<MessageView[]> {
    const messages = await sql<Omit<MessageView, 'history'>>(
      m,
      `SELECT id, kind, channel, recipient, state, attempts, next_attempt_at AS "nextAttemptAt", last_reply_code AS "lastReplyCode",
              last_reply AS "lastReply", last_reply_category AS "lastReplyCategory", family, accepted_by AS "acceptedBy", created_at AS "createdAt", accepted_at AS "acceptedAt", failed_at AS "failedAt"
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
    const reports = await sql<MessageView['reports'][number] & { messageId: string }>(
      m,
      `SELECT message_id AS "messageId", at, source, kind, status, category, reply, remote_mta AS "remoteMta", state_after AS "stateAfter"
         FROM delivery_events WHERE message_id = ANY($1::uuid[]) ORDER BY id`,
      [messages.map((x) => x.id)],
    );
    return messages.map((x) => ({
      ...x,
      history: attempts.filter((a) => a.messageId === x.id).map(({ messageId, ...a }) => a),
      reports: reports.filter((r) => r.messageId === x.id).map(({ messageId, ...r }) => r),
    }));
  }
}
