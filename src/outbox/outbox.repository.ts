import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { sql, sqlOne } from '../database/sql';
import {
  CONFIRMATION_KINDS,
  DELIVERED,
  DUE,
  HANDED_OVER,
  OUR_RELAY_CIRCUIT,
  OutboxState,
  sqlList,
  STUCK,
  UNSENT,
  WAITING,
} from './outbox-states';
import type { AttemptOutcome, DeliveryEvidence } from './outbox-states';

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

const STATE_OF_OUTCOME: Record<Exclude<AttemptResult['outcome'], 'accepted'>, OutboxState> = {
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
  /** For `accepted`: who took it and what that means (`acceptanceOf` in the dispatcher's send outcome). */
  acceptance?: AcceptanceRecord;
  /** The attempt is recorded but not counted against OUTBOX_MAX_ATTEMPTS (our relay was down). */
  attemptGivenBack?: boolean;
}

/** One acceptance to record: the send's times, the server's reply and what it makes of the message. */
export interface AcceptedSend {
  id: string;
  startedAt: Date;
  finishedAt: Date;
  replyCode: number | null;
  reply: string;
  acceptance: AcceptanceRecord;
}

/**
 * What an acceptance makes of a message: `accepted` (delivered when `evidence` is set; an SMS
 * waits for its handset report) or `in_transit` (our relay took it; a report or the transit rule
 * decides later).
 */
export interface AcceptanceRecord {
  acceptedBy: 'relay' | 'mx' | 'sms_gateway';
  state: 'accepted' | 'in_transit';
  evidence: DeliveryEvidence | null;
  reportsRequested: boolean;
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
/** The columns every new message is written with (enqueue, and the booking's own statement). */
/** A message to queue: for one booking, one channel, its payload as the channel sends it. */
export interface NewMessage {
  id: string;
  bookingId: string;
  kind: string;
  channel: 'email' | 'sms';
  recipient: string;
  payload: unknown;
  family: string | null;
  now: Date;
}

const MESSAGE_COLUMNS =
  '(id, booking_id, kind, channel, recipient, message_id, payload, state, next_attempt_at, created_at, family)';

/** A row a claim may take: due for a try, or `sending` under a lease that ran out. */
const CLAIMABLE = (o: string, now: string) =>
  `((${o}.state IN ${sqlList(DUE)} AND ${o}.next_attempt_at <= ${now}) OR (${o}.state = 'sending' AND ${o}.lease_until <= ${now}))`;

/** Acceptances as rows `r` from parameters $2..$10 (`acceptanceParams`), for the statements that record them. */
const ACCEPTANCES_FROM_PARAMS = `SELECT * FROM unnest($2::uuid[], $3::timestamptz[], $4::timestamptz[], $5::int[], $6::text[], $7::varchar[],
                              $8::varchar[], $9::varchar[], $10::boolean[])
                    AS t(id, started_at, finished_at, reply_code, reply, accepted_by, state, evidence, reports_requested)`;

/** What an acceptance `r` writes into its message `o`. */
const ACCEPTANCE_SET = `state = r.state, last_reply_code = r.reply_code, last_reply = r.reply, last_reply_category = NULL,
                accepted_at = r.finished_at, accepted_by = r.accepted_by, reports_requested = r.reports_requested,
                delivered_at = CASE WHEN r.evidence IS NOT NULL THEN r.finished_at END, delivery_evidence = r.evidence`;

function acceptanceParams(done: AcceptedSend[]): unknown[] {
  return [
    done.map((d) => d.id),
    done.map((d) => d.startedAt),
    done.map((d) => d.finishedAt),
    done.map((d) => d.replyCode),
    done.map((d) => d.reply),
    done.map((d) => d.acceptance.acceptedBy),
    done.map((d) => d.acceptance.state),
    done.map((d) => d.acceptance.evidence),
    done.map((d) => d.acceptance.reportsRequested),
  ];
}

function takeLease(parts: { source: string; now: string; owner: string; leaseSeconds: string; probe: boolean }): string {
  return `claimed AS (
         UPDATE outbox_messages o
            SET state = 'sending', lease_owner = ${parts.owner},
                lease_until = ${parts.now}::timestamptz + make_interval(secs => ${parts.leaseSeconds}),
                attempts = o.attempts + 1, is_probe = ${parts.probe}
           FROM ${parts.source} WHERE o.id = ${parts.source}.id
         RETURNING o.id, o.message_id, o.recipient, o.channel, o.payload, o.attempts, o.family, o.is_probe, o.booking_id,
                   ${parts.source}.prev_state, ${parts.source}.prev_owner, ${parts.source}.prev_lease_until
       ), lost AS (
         INSERT INTO mail_attempts (message_id, attempt, started_at, finished_at, outcome, reply, worker, family)
         SELECT id, attempts - 1, prev_lease_until, ${parts.now}, 'lease_expired',
                'no result reported before the lease ran out (worker crashed or stalled)', prev_owner, family
           FROM claimed WHERE prev_state = 'sending'
       )
       SELECT id, message_id AS "messageId", recipient, channel, payload, attempts, family, is_probe AS "isProbe",
              booking_id AS "bookingId"
         FROM claimed`;
}

@Injectable()
export class OutboxRepository {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /** /metrics: messages still on their way (waiting, being sent, in the relay's queue), by family and state. */
  depthByFamily(manager: EntityManager): Promise<Array<{ family: string; state: OutboxState; n: number }>> {
    return sql(
      manager,
      `SELECT coalesce(family, 'unresolved') AS family, state, count(*)::int AS n
         FROM outbox_messages WHERE state IN ${sqlList([...WAITING, 'sending', 'in_transit'])} GROUP BY 1, 2`,
    );
  }

  /** /metrics: per family, how long the oldest message not yet handed to a server has waited (seconds, as of `now`). */
  oldestUnsentByFamily(manager: EntityManager, now: Date): Promise<Array<{ family: string; seconds: number }>> {
    return sql(
      manager,
      `SELECT coalesce(family, 'unresolved') AS family,
              greatest(0, extract(epoch FROM $1::timestamptz - min(created_at)))::float8 AS seconds
         FROM outbox_messages WHERE state IN ${sqlList([...UNSENT, 'sending'])} GROUP BY 1`,
      [now],
    );
  }

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
   *
   * Every step reads a few index entries whatever the backlog (100,000 due mails claim as fast as
   * 1,000): the families by a walk over `ix_outbox_family_due` (one probe per family, not a scan of
   * the due mail), each family's oldest due mail from the same index (id included: no table read),
   * and only the batch's candidates from the table.
   */
  claim(
    manager: EntityManager,
    claim: { now: Date; limit: number; owner: string; leaseSeconds: number; ratePerMinute: number },
  ): Promise<ClaimedMessage[]> {
    return sql<ClaimedMessage>(
      manager,
      `WITH RECURSIVE families AS (
         -- Every family with mail waiting for a try (due or not), one index probe each ('' first: the least name).
         SELECT ''::varchar AS family
         UNION ALL
         SELECT (SELECT o.family FROM outbox_messages o WHERE o.family > f.family AND o.state IN ${sqlList(DUE)}
                  ORDER BY o.family, o.next_attempt_at LIMIT 1)
           FROM families f WHERE f.family IS NOT NULL
       ), due_families AS (
         SELECT family FROM families WHERE family IS NOT NULL
         UNION
         SELECT o.family FROM outbox_messages o WHERE o.family IS NOT NULL AND o.state = 'sending' AND o.lease_until <= $1
       ), quota AS (
         -- What each family may still get this minute; a family whose circuit is not closed gets nothing here.
         SELECT f.family,
                $5 - (SELECT count(*) FROM mail_attempts a WHERE a.family = f.family AND a.finished_at > $1::timestamptz - interval '1 minute')
                   - (SELECT count(*) FROM outbox_messages s WHERE s.family = f.family AND s.state = 'sending' AND s.lease_until > $1) AS n
           FROM due_families f
          WHERE NOT EXISTS (SELECT 1 FROM provider_circuits c WHERE c.family = f.family AND c.state <> 'closed')
            -- Our relay is down: nothing is claimed (its probe is claimed separately).
            AND NOT EXISTS (SELECT 1 FROM provider_circuits r WHERE r.family = '${OUR_RELAY_CIRCUIT}' AND r.state <> 'closed')
       ), allowed AS (
         -- Per family, its oldest claimable mail up to its quota: a throttled family cannot crowd out
         -- the others. Due mail and run-out leases each from their own index, in due order.
         SELECT x.id, x.next_attempt_at FROM quota q CROSS JOIN LATERAL (
           (SELECT o.id, o.next_attempt_at FROM outbox_messages o
             WHERE o.family = q.family AND o.state IN ${sqlList(DUE)} AND o.next_attempt_at <= $1
             ORDER BY o.next_attempt_at LIMIT GREATEST(LEAST(q.n, $2 * 4), 0))
           UNION ALL
           (SELECT o.id, o.next_attempt_at FROM outbox_messages o
             WHERE o.family = q.family AND o.state = 'sending' AND o.lease_until <= $1
             ORDER BY o.next_attempt_at LIMIT GREATEST(LEAST(q.n, $2 * 4), 0))
           ORDER BY next_attempt_at LIMIT GREATEST(LEAST(q.n, $2 * 4), 0)
         ) x
       ), candidates AS (
         -- The oldest 4 batches over all families, so a second instance claiming at the same moment
         -- skips the rows the first one locked and still finds work.
         SELECT id, next_attempt_at FROM allowed ORDER BY next_attempt_at LIMIT $2 * 4
       ), picked AS (
         SELECT o.id, o.state AS prev_state, o.lease_owner AS prev_owner, o.lease_until AS prev_lease_until
           FROM candidates c JOIN outbox_messages o ON o.id = c.id
          WHERE ${CLAIMABLE('o', '$1')}
          ORDER BY c.next_attempt_at
          LIMIT $2
          FOR UPDATE OF o SKIP LOCKED
       ), ${takeLease({ source: 'picked', now: '$1', owner: '$3', leaseSeconds: '$4', probe: false })}`,
      [claim.now, claim.limit, claim.owner, claim.leaseSeconds, claim.ratePerMinute],
    );
  }

  /** Claims one given message (a circuit's probe), already locked by the caller's transaction. */
  async claimProbe(
    manager: EntityManager,
    id: string,
    lease: { now: Date; owner: string; leaseSeconds: number },
  ): Promise<ClaimedMessage | undefined> {
    return sqlOne<ClaimedMessage>(
      manager,
      `WITH prev AS (
         SELECT id, state AS prev_state, lease_owner AS prev_owner, lease_until AS prev_lease_until FROM outbox_messages
          WHERE id = $1 AND (state IN ${sqlList(UNSENT)} OR (state = 'sending' AND lease_until <= $2))
       ), ${takeLease({ source: 'prev', now: '$2', owner: '$3', leaseSeconds: '$4', probe: true })}`,
      [id, lease.now, lease.owner, lease.leaseSeconds],
    );
  }

  /**
   * Records an attempt and moves the message on, only while this worker still holds the lease
   * (compare-and-swap); returns false when the lease was lost and someone else owns the row.
   */
  async complete(manager: EntityManager, id: string, owner: string, result: AttemptResult): Promise<boolean> {
    const rows = await sql(
      manager,
      `WITH done AS (
         UPDATE outbox_messages
            SET state = $11::varchar, lease_owner = NULL, lease_until = NULL, is_probe = false,
                last_reply_code = $4, last_reply = $5, last_reply_category = $10,
                accepted_at = CASE WHEN $12::varchar IS NOT NULL THEN $7::timestamptz ELSE accepted_at END,
                accepted_by = COALESCE($12::varchar, accepted_by),
                delivered_at = CASE WHEN $13::varchar IS NOT NULL THEN $7::timestamptz ELSE delivered_at END,
                delivery_evidence = COALESCE($13::varchar, delivery_evidence),
                reports_requested = COALESCE($14::boolean, reports_requested),
                failed_at = CASE WHEN $11::varchar IN ('failed', 'bounced') THEN $7::timestamptz ELSE failed_at END,
                next_attempt_at = COALESCE($8, next_attempt_at),
                attempts = attempts - CASE WHEN $15::boolean THEN 1 ELSE 0 END
          WHERE id = $1 AND lease_owner = $2 AND state = 'sending'
         RETURNING id, attempts + CASE WHEN $15::boolean THEN 1 ELSE 0 END AS attempts, family
       )
       INSERT INTO mail_attempts (message_id, attempt, started_at, finished_at, outcome, reply_code, reply, error_code, category, worker, family)
       SELECT id, attempts, $6::timestamptz, $7::timestamptz, $3::varchar, $4::int, $5::text, $9::varchar, $10::varchar, $2::varchar, family
         FROM done RETURNING id`,
      [
        id,
        owner,
        result.outcome,
        result.replyCode,
        result.reply,
        result.startedAt,
        result.finishedAt,
        result.nextAttemptAt ?? null,
        result.errorCode,
        result.category,
        result.outcome === 'accepted' ? result.acceptance!.state : STATE_OF_OUTCOME[result.outcome],
        result.acceptance?.acceptedBy ?? null,
        result.acceptance?.evidence ?? null,
        result.acceptance?.reportsRequested ?? null,
        result.attemptGivenBack ?? false,
      ],
    );
    return rows.length === 1;
  }

  /**
   * Many acceptances in one statement (the common case, so the hot path commits once per batch
   * instead of once per mail); compare-and-swap on the lease like `complete`. Returns how many.
   */
  async completeAccepted(
    manager: EntityManager,
    owner: string,
    done: AcceptedSend[],
  ): Promise<Array<{ id: string; bookingId: string | null }>> {
    if (done.length === 0) return [];
    const rows = await sql(
      manager,
      `WITH r AS (
         ${ACCEPTANCES_FROM_PARAMS}
       ), done AS (
         UPDATE outbox_messages o
            SET ${ACCEPTANCE_SET}, lease_owner = NULL, lease_until = NULL, is_probe = false
           FROM r WHERE o.id = r.id AND o.lease_owner = $1 AND o.state = 'sending'
         RETURNING o.id, o.attempts, o.family, o.booking_id
       ), recorded AS (
         INSERT INTO mail_attempts (message_id, attempt, started_at, finished_at, outcome, reply_code, reply, worker, family)
         SELECT done.id, done.attempts, r.started_at, r.finished_at, 'accepted', r.reply_code, r.reply, $1, done.family
           FROM done JOIN r ON r.id = done.id
       )
       SELECT id, booking_id AS "bookingId" FROM done`,
      [owner, ...acceptanceParams(done)],
    );
    return rows as Array<{ id: string; bookingId: string | null }>;
  }

  /**
   * Renews this worker's lease on these messages (still `sending` under its name) and returns the
   * ids it still holds: a message missing from the answer was taken over by another worker after
   * the lease ran out, and must not be sent again here.
   */
  async renewLeases(
    manager: EntityManager,
    owner: string,
    ids: string[],
    lease: { now: Date; seconds: number },
  ): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows = await sql<{ id: string }>(
      manager,
      `UPDATE outbox_messages SET lease_until = $3::timestamptz + make_interval(secs => $4)
        WHERE id = ANY($2::uuid[]) AND lease_owner = $1 AND state = 'sending'
       RETURNING id`,
      [owner, ids, lease.now, lease.seconds],
    );
    return new Set(rows.map((r) => r.id));
  }

  /**
   * Acceptances that came after this worker lost the lease: every one is recorded as an attempt
   * (the server took the mail), and where nobody is sending the message now (it went back to the
   * queue meanwhile) the acceptance stands. Returns the bookings whose mail moved.
   */
  async recordLateAcceptances(
    manager: EntityManager,
    owner: string,
    late: AcceptedSend[],
  ): Promise<Array<{ id: string; bookingId: string | null }>> {
    if (late.length === 0) return [];
    const rows = await sql(
      manager,
      `WITH r AS (
         ${ACCEPTANCES_FROM_PARAMS}
       ), moved AS (
         UPDATE outbox_messages o
            SET ${ACCEPTANCE_SET}
           FROM r WHERE o.id = r.id AND o.state IN ${sqlList(UNSENT)}
         RETURNING o.id, o.booking_id
       ), recorded AS (
         INSERT INTO mail_attempts (message_id, attempt, started_at, finished_at, outcome, reply_code, reply, worker, family)
         SELECT o.id, o.attempts, r.started_at, r.finished_at, 'accepted', r.reply_code,
                '(after the lease ran out) ' || r.reply, $1, o.family
           FROM r JOIN outbox_messages o ON o.id = r.id
       )
       SELECT id, booking_id AS "bookingId" FROM moved`,
      [owner, ...acceptanceParams(late)],
    );
    return rows as Array<{ id: string; bookingId: string | null }>;
  }

  /**
   * Confirmations that must not go out any more: their booking is no longer pending (cancelled,
   * expired, confirmed by hand), or the citizen changed the address since. Also catches mail that
   * was being sent while the booking changed and came back deferred or held.
   */
  async withdrawStale(manager: EntityManager): Promise<number> {
    const rows = await sql(
      manager,
      `UPDATE outbox_messages o SET state = 'cancelled'
         FROM bookings b
        WHERE b.id = o.booking_id AND o.state IN ${sqlList(UNSENT)} AND o.kind IN ${sqlList(CONFIRMATION_KINDS)}
          AND (b.status <> 'pending' OR (o.channel = 'email' AND lower(o.recipient) <> lower(b.email)))
       RETURNING o.id`,
    );
    return rows.length;
  }

  /** Every unsent message of these bookings is withdrawn (booking cancelled, expired, new address or new link). */
  async withdrawUnsent(manager: EntityManager, bookingIds: string[]): Promise<void> {
    if (bookingIds.length === 0) return;
    await sql(
      manager,
      `UPDATE outbox_messages SET state = 'cancelled' WHERE booking_id = ANY($1::uuid[]) AND state IN ${sqlList(UNSENT)}`,
      [bookingIds],
    );
  }

  /** A new message in the outbox (sent by the dispatcher, never inside a request). */
  async enqueue(manager: EntityManager, message: NewMessage): Promise<void> {
    await this.insertMessage(manager, message, '');
  }

  /**
   * A reminder for a booking, unless it has one of this kind already (uq_outbox_reminder): with
   * several instances queueing at once, exactly one is written. Whether it was.
   */
  async enqueueReminder(
    manager: EntityManager,
    message: NewMessage & { kind: 'booking_reminder' | 'sms_reminder' },
  ): Promise<boolean> {
    return this.insertMessage(
      manager,
      message,
      `ON CONFLICT (booking_id, kind) WHERE kind IN ('booking_reminder', 'sms_reminder') DO NOTHING`,
    );
  }

  private async insertMessage(manager: EntityManager, message: NewMessage, onConflict: string): Promise<boolean> {
    const rows = await sql(
      manager,
      `INSERT INTO outbox_messages ${MESSAGE_COLUMNS}
       VALUES ($1, $2, $3, $4, $5, $6, $7, 'queued', $8, $8, $9) ${onConflict} RETURNING id`,
      [
        message.id,
        message.bookingId,
        message.kind,
        message.channel,
        message.recipient,
        this.messageIdFor(message.id),
        JSON.stringify(message.payload),
        message.now,
        message.family,
      ],
    );
    return rows.length === 1;
  }

  /** Confirmation mails of this booking queued since `since` (the resend limit). */
  async confirmationsQueuedSince(manager: EntityManager, bookingId: string, since: Date): Promise<number> {
    const row = await sqlOne<{ n: number }>(
      manager,
      `SELECT count(*)::int AS n FROM outbox_messages WHERE booking_id = $1 AND kind = 'booking_confirmation' AND created_at > $2`,
      [bookingId, since],
    );
    return row!.n;
  }

  /** A claimed message that was not tried because its provider blocked us meanwhile: held, attempt given back. */
  async holdUnsent(manager: EntityManager, id: string, owner: string): Promise<void> {
    await sql(
      manager,
      `UPDATE outbox_messages SET state = 'held_provider_blocked', lease_owner = NULL, lease_until = NULL, attempts = attempts - 1, is_probe = false
        WHERE id = $1 AND lease_owner = $2 AND state = 'sending'`,
      [id, owner],
    );
  }

  /** Messages whose provider family is not known yet (the domain table had no answer). */
  unresolvedFamilies(manager: EntityManager, limit: number): Promise<Array<{ id: string; recipient: string }>> {
    return sql(
      manager,
      `SELECT id, recipient FROM outbox_messages WHERE family IS NULL AND state IN ${sqlList(DUE)} ORDER BY created_at LIMIT $1`,
      [limit],
    );
  }

  async setFamilies(manager: EntityManager, families: Array<{ id: string; family: string }>): Promise<void> {
    if (families.length === 0) return;
    await sql(
      manager,
      `UPDATE outbox_messages o SET family = f.family FROM unnest($1::uuid[], $2::varchar[]) AS f(id, family) WHERE o.id = f.id AND o.family IS NULL`,
      [families.map((f) => f.id), families.map((f) => f.family)],
    );
  }

  // --- Provider families: held while the provider blocks us --------------------------------------

  /** The family's waiting mail is held while its provider blocks us. */
  async holdFamily(manager: EntityManager, family: string): Promise<number> {
    const rows = await sql(
      manager,
      `UPDATE outbox_messages SET state = 'held_provider_blocked' WHERE family = $1 AND state IN ${sqlList(DUE)} RETURNING id`,
      [family],
    );
    return rows.length;
  }

  /**
   * Mail of blocked families that still shows as due: it arrived after the circuit opened. Reads
   * the circuits in the same statement, so a circuit closed meanwhile never holds mail again.
   */
  async holdStragglers(manager: EntityManager): Promise<number> {
    const rows = await sql(
      manager,
      `UPDATE outbox_messages SET state = 'held_provider_blocked'
        WHERE state IN ${sqlList(DUE)} AND family IN (SELECT family FROM provider_circuits WHERE state <> 'closed') RETURNING id`,
    );
    return rows.length;
  }

  /** The provider takes our mail again: everything held goes out now (at the family's send rate). */
  async releaseFamily(manager: EntityManager, family: string, now: Date): Promise<number> {
    const rows = await sql(
      manager,
      `UPDATE outbox_messages SET state = 'queued', next_attempt_at = $2 WHERE family = $1 AND state = 'held_provider_blocked' RETURNING id`,
      [family, now],
    );
    return rows.length;
  }

  /** One waiting message of the family to probe with, locked; the oldest first. */
  probeCandidate(manager: EntityManager, family: string, now: Date): Promise<{ id: string } | undefined> {
    if (family === OUR_RELAY_CIRCUIT) {
      // Our relay's probe: the oldest mail waiting only for the relay (its own family not blocked).
      return sqlOne(
        manager,
        `SELECT o.id FROM outbox_messages o
          WHERE o.channel = 'email' AND (o.state IN ${sqlList(DUE)} OR (o.state = 'sending' AND o.lease_until <= $1))
            AND NOT EXISTS (SELECT 1 FROM provider_circuits c WHERE c.family = o.family AND c.state <> 'closed')
          ORDER BY o.next_attempt_at LIMIT 1 FOR UPDATE OF o SKIP LOCKED`,
        [now],
      );
    }
    return sqlOne(
      manager,
      // A probe whose worker died (lease run out) is a candidate too, or the family could wait forever.
      `SELECT id FROM outbox_messages
        WHERE family = $1 AND (state IN ${sqlList(UNSENT)} OR (state = 'sending' AND lease_until <= $2))
        ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED`,
      [family, now],
    );
  }

  /**
   * A claimed message that was not tried because our relay went down meanwhile: back to the queue,
   * its attempt given back (our relay being down is not the recipient's fault).
   */
  async returnUnsent(manager: EntityManager, id: string, owner: string): Promise<void> {
    await sql(
      manager,
      `UPDATE outbox_messages SET state = 'deferred', lease_owner = NULL, lease_until = NULL, attempts = attempts - 1, is_probe = false
        WHERE id = $1 AND lease_owner = $2 AND state = 'sending'`,
      [id, owner],
    );
  }

  /** Per family: what waits, the reply categories of the last hour and day, the last reply. */
  familyStats(manager: EntityManager, now: Date): Promise<FamilyStats[]> {
    return sql<FamilyStats>(
      manager,
      `WITH families AS (
         SELECT DISTINCT family FROM outbox_messages WHERE family IS NOT NULL AND (state IN ${sqlList(WAITING)} OR state = 'sending')
         UNION SELECT DISTINCT family FROM mail_attempts WHERE family IS NOT NULL AND finished_at > $1::timestamptz - interval '1 day'
       ), waiting AS (
         SELECT family, count(*) FILTER (WHERE state = 'queued')::int AS queued, count(*) FILTER (WHERE state = 'deferred')::int AS deferred,
                count(*) FILTER (WHERE state = 'held_provider_blocked')::int AS held, count(*) FILTER (WHERE state = 'delayed')::int AS delayed,
                min(created_at) AS oldest
           FROM outbox_messages WHERE state IN ${sqlList(WAITING)} AND family IS NOT NULL GROUP BY family
       ), counts AS (
         SELECT family, COALESCE(category, outcome) AS k,
                count(*) FILTER (WHERE finished_at > $1::timestamptz - interval '1 hour')::int AS hour, count(*)::int AS day
           FROM mail_attempts WHERE finished_at > $1::timestamptz - interval '1 day' AND family IS NOT NULL
          GROUP BY family, COALESCE(category, outcome)
       ), per_family AS (
         SELECT family, jsonb_object_agg(k, hour) FILTER (WHERE hour > 0) AS hour, jsonb_object_agg(k, day) AS day FROM counts GROUP BY family
       ), last AS (
         SELECT DISTINCT ON (family) family, finished_at, category, reply_code, reply FROM mail_attempts
          WHERE family IS NOT NULL AND outcome <> 'lease_expired' ORDER BY family, finished_at DESC
       )
       SELECT f.family, w.queued, w.deferred, w.held, w.delayed, w.oldest, p.hour, p.day,
              l.finished_at AS "lastAt", l.category AS "lastCategory", l.reply_code AS "lastCode", l.reply AS "lastText"
         FROM families f
         LEFT JOIN waiting w ON w.family = f.family
         LEFT JOIN per_family p ON p.family = f.family
         LEFT JOIN last l ON l.family = f.family`,
      [now],
    );
  }

  // --- Our relay: mail in transit, its reports, the transit rule -----------------------------------

  /**
   * Relay mail the transit rule counts as delivered now: in transit for RELAY_TRANSIT_MINUTES, and
   * no report can come (no DSN on its connection; or, `forAll`, the relay never reports).
   */
  async transitRuleDue(
    manager: EntityManager,
    rule: { now: Date; transitMinutes: number; forAll: boolean; limit: number },
  ): Promise<Array<{ id: string; bookingId: string | null }>> {
    return sql(
      manager,
      `SELECT id, booking_id AS "bookingId" FROM outbox_messages
        WHERE state = 'in_transit' AND accepted_at <= $1::timestamptz - make_interval(mins => $2)
          AND (reports_requested = false OR $3::boolean)
        ORDER BY accepted_at LIMIT $4`,
      [rule.now, rule.transitMinutes, rule.forAll, rule.limit],
    );
  }

  /**
   * Counts these messages (still in transit only) as delivered RELAY_TRANSIT_MINUTES after the
   * relay's 250, or now if the rule comes later than that (a relay found silent only after an
   * hour): a window never starts before the rule said the mail is there.
   */
  async deliverByTransitRule(
    manager: EntityManager,
    rule: { ids: string[]; transitMinutes: number; now: Date },
  ): Promise<string[]> {
    const rows = await sql<{ bookingId: string | null }>(
      manager,
      `UPDATE outbox_messages
          SET state = 'accepted', delivery_evidence = 'transit_rule',
              delivered_at = GREATEST(accepted_at + make_interval(mins => $2), $3::timestamptz)
        WHERE id = ANY($1::uuid[]) AND state = 'in_transit'
       RETURNING booking_id AS "bookingId"`,
      [rule.ids, rule.transitMinutes, rule.now],
    );
    return rows.map((r) => r.bookingId).filter((id): id is string => id !== null);
  }

  /** The rolling counts the relay verdict is drawn from (relay-reports.ts). */
  async relayReportCounts(manager: EntityManager, now: Date, dueAfterMinutes: number): Promise<RelayReportCountsRow> {
    const row = await sqlOne<RelayReportCountsRow>(
      manager,
      `WITH taken AS (
         SELECT o.id, o.reports_requested, o.accepted_at FROM outbox_messages o
          WHERE o.accepted_by = 'relay' AND o.accepted_at > $1::timestamptz - interval '24 hours'
       )
       SELECT count(*)::int AS accepted,
              count(*) FILTER (WHERE reports_requested = false)::int AS "withoutDsn",
              count(*) FILTER (WHERE reports_requested AND accepted_at <= $1::timestamptz - make_interval(mins => $2))::int AS "dueForReport",
              count(*) FILTER (WHERE reports_requested AND accepted_at <= $1::timestamptz - make_interval(mins => $2)
                                 AND NOT EXISTS (SELECT 1 FROM delivery_events e WHERE e.message_id = taken.id AND e.source IN ('dsn', 'webhook'))
                              )::int AS unreported,
              (SELECT count(*) FROM (SELECT 1 FROM outbox_messages o
                                      WHERE o.accepted_by = 'relay' AND o.reports_requested
                                        AND o.accepted_at > $1::timestamptz - interval '7 days'
                                        AND o.accepted_at <= $1::timestamptz - make_interval(mins => $2) LIMIT 1000) w
              )::int AS "dueForReportWeek",
              (SELECT count(*) FROM (SELECT 1 FROM delivery_events e
                                      WHERE e.message_id IS NOT NULL AND e.source IN ('dsn', 'webhook')
                                        AND e.at > $1::timestamptz - interval '7 days' LIMIT 1000) r)::int AS "reportsLastWeek"
         FROM taken`,
      [now, dueAfterMinutes],
    );
    return row!;
  }

  /**
   * Per family: mail in transit now (how many, since when) and the median minutes from the relay's
   * 250 to the success report over the last 24 hours; `family` null is every family together.
   */
  relayQueueByFamily(manager: EntityManager, now: Date): Promise<RelayQueueRow[]> {
    return sql<RelayQueueRow>(
      manager,
      `WITH transit AS (
         SELECT family, count(*)::int AS n, min(accepted_at) AS oldest FROM outbox_messages
          WHERE state = 'in_transit' AND family IS NOT NULL GROUP BY family
       ), reported AS (
         SELECT family, extract(epoch FROM delivered_at - accepted_at) / 60 AS minutes FROM outbox_messages
          WHERE accepted_by = 'relay' AND accepted_at > $1::timestamptz - interval '48 hours'
            AND delivery_evidence = 'report' AND delivered_at > $1::timestamptz - interval '24 hours' AND family IS NOT NULL
       ), medians AS (
         SELECT family, percentile_cont(0.5) WITHIN GROUP (ORDER BY minutes) AS median, count(*)::int AS n
           FROM reported GROUP BY GROUPING SETS ((family), ())
       )
       SELECT COALESCE(t.family, m.family) AS family, COALESCE(t.n, 0) AS "inTransit", t.oldest,
              m.median::float8 AS "medianMinutes", COALESCE(m.n, 0) AS "reported"
         FROM transit t FULL JOIN (SELECT * FROM medians WHERE family IS NOT NULL) m ON m.family = t.family
       UNION ALL
       SELECT NULL, (SELECT COALESCE(sum(n), 0)::int FROM transit), (SELECT min(oldest) FROM transit),
              (SELECT median::float8 FROM medians WHERE family IS NULL), COALESCE((SELECT n FROM medians WHERE family IS NULL), 0)`,
      [now],
    );
  }

  // --- What the hold policy and the review queue read ---------------------------------------------

  /**
   * The delivery facts of these bookings' confirmations (mail and SMS), for the hold policy. Mail
   * to an address the citizen has since replaced does not count: each booking comes with its
   * current address.
   */
  confirmationFacts(manager: EntityManager, bookings: Array<{ id: string; email: string }>): Promise<ConfirmationFact[]> {
    if (bookings.length === 0) return Promise.resolve([]);
    return sql<ConfirmationFact>(
      manager,
      `SELECT o.booking_id AS "bookingId", o.channel, o.state, o.accepted_at AS "acceptedAt", o.accepted_by AS "acceptedBy",
              o.delivered_at AS "deliveredAt", o.delivery_evidence AS "deliveryEvidence", o.failed_at AS "failedAt"
         FROM unnest($1::uuid[], $2::text[]) AS b(id, email)
         JOIN outbox_messages o ON o.booking_id = b.id
        WHERE o.kind IN ${sqlList(CONFIRMATION_KINDS)} AND (o.channel <> 'email' OR lower(o.recipient) = lower(b.email))`,
      [bookings.map((b) => b.id), bookings.map((b) => b.email)],
    );
  }

  /**
   * Pending bookings with a phone whose confirmation mail cannot arrive now (and none reached
   * them), that have no SMS yet: the SMS fallback's work, locked (SKIP LOCKED: instances share it).
   * Mail in our relay's queue longer than `inTransitStuckAfterMinutes` although a report was asked
   * for counts as stuck too (a stock Postfix says nothing while a provider defers it); null: never
   * (the relay does not report, so silence says nothing). Mail that cannot be reported on waits for
   * the transit rule.
   */
  bookingsAwaitingSms(
    manager: EntityManager,
    due: { now: Date; limit: number; inTransitStuckAfterMinutes: number | null },
  ): Promise<Array<{ id: string }>> {
    return sql(
      manager,
      `SELECT b.id FROM bookings b
        WHERE b.status = 'pending' AND b.phone IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM outbox_messages o WHERE o.booking_id = b.id AND o.channel = 'sms' AND o.state <> 'cancelled')
          AND EXISTS (${confirmationMailOf('b')}
                      AND (o.state IN ${sqlList(STUCK)}
                           OR (o.state = 'in_transit' AND o.reports_requested AND $3::int IS NOT NULL
                               AND o.accepted_at < $2::timestamptz - make_interval(mins => $3::int))))
          AND NOT EXISTS (${confirmationMailOf('b')} AND o.state IN ${sqlList(DELIVERED)})
        LIMIT $1 FOR UPDATE OF b SKIP LOCKED`,
      [due.limit, due.now, due.inTransitStuckAfterMinutes],
    );
  }

  // --- Delivery reports (DSN, webhook, SMS gateway) and staff's incident marks --------------------

  /**
   * The booking of the message a report is about, read without a lock: the caller locks the
   * booking first and the message after it (`lockForReport`), the order every writer keeps.
   */
  async bookingOfReported(
    manager: EntityManager,
    ref: { outboxId?: string; messageIdHeader?: string; channel?: 'sms' },
  ): Promise<string | null> {
    const row = ref.outboxId
      ? await sqlOne<{ bookingId: string | null }>(
          manager,
          `SELECT booking_id AS "bookingId" FROM outbox_messages WHERE id = $1 AND ($2::varchar IS NULL OR channel = $2)`,
          [ref.outboxId, ref.channel ?? null],
        )
      : ref.messageIdHeader
        ? await sqlOne<{ bookingId: string | null }>(
            manager,
            `SELECT booking_id AS "bookingId" FROM outbox_messages WHERE message_id = $1`,
            [ref.messageIdHeader.trim()],
          )
        : undefined;
    return row?.bookingId ?? null;
  }

  /** The message a report is about, locked for the rest of the transaction (after its booking). */
  lockForReport(
    manager: EntityManager,
    ref: { outboxId?: string; messageIdHeader?: string; channel?: 'sms' },
  ): Promise<ReportedMessage | undefined> {
    const columns = `id, state, delivery_evidence AS evidence, family, attempts, booking_id AS "bookingId"`;
    if (ref.outboxId) {
      return sqlOne<ReportedMessage>(
        manager,
        `SELECT ${columns} FROM outbox_messages WHERE id = $1 AND ($2::varchar IS NULL OR channel = $2) FOR UPDATE`,
        [ref.outboxId, ref.channel ?? null],
      );
    }
    if (ref.messageIdHeader) {
      return sqlOne<ReportedMessage>(manager, `SELECT ${columns} FROM outbox_messages WHERE message_id = $1 FOR UPDATE`, [
        ref.messageIdHeader.trim(),
      ]);
    }
    return Promise.resolve(undefined);
  }

  /**
   * A report moves a handed-over mail: delivered (window starts), delayed, taken back for our own
   * retry (`deferred`, or held while the family is blocked), bounced or failed.
   */
  async applyReport(
    manager: EntityManager,
    id: string,
    report: {
      state: OutboxState;
      now: Date;
      delivered: boolean;
      nextAttemptAt: Date | null;
      reply: string | null;
      category: string | null;
    },
  ): Promise<void> {
    await sql(
      manager,
      `UPDATE outbox_messages
          SET state = $2::varchar,
              -- Delivered by report: readable from now on (after a delay too), whenever the relay took it.
              delivered_at = CASE WHEN $4::boolean THEN $3 WHEN $2::varchar = 'accepted' THEN delivered_at END,
              delivery_evidence = CASE WHEN $4::boolean THEN 'report' WHEN $2::varchar = 'accepted' THEN delivery_evidence END,
              accepted_at = CASE WHEN $2::varchar IN ${sqlList(HANDED_OVER)} THEN accepted_at END,
              accepted_by = CASE WHEN $2::varchar IN ${sqlList(HANDED_OVER)} THEN accepted_by END,
              failed_at = CASE WHEN $2::varchar IN ('bounced', 'failed') THEN $3 ELSE failed_at END,
              next_attempt_at = COALESCE($5, next_attempt_at),
              last_reply = COALESCE($6, last_reply), last_reply_category = COALESCE($7, last_reply_category)
        WHERE id = $1 AND state IN ${sqlList(HANDED_OVER)}`,
      [id, report.state, report.now, report.delivered, report.nextAttemptAt, report.reply, report.category],
    );
  }

  /** The SMS gateway's report on an accepted SMS: delivered to the handset (the window starts) or failed. */
  async applySmsReport(
    manager: EntityManager,
    id: string,
    status: 'delivered' | 'failed',
    now: Date,
  ): Promise<{ bookingId: string | null; state: string } | undefined> {
    return sqlOne(
      manager,
      `UPDATE outbox_messages
          SET delivered_at = CASE WHEN $2 = 'delivered' THEN $3::timestamptz ELSE delivered_at END,
              delivery_evidence = CASE WHEN $2 = 'delivered' THEN 'report' ELSE delivery_evidence END,
              state = CASE WHEN $2 = 'failed' THEN 'failed' ELSE state END,
              failed_at = CASE WHEN $2 = 'failed' THEN $3::timestamptz ELSE failed_at END
        WHERE id = $1 AND channel = 'sms' AND state = 'accepted'
       RETURNING booking_id AS "bookingId", state`,
      [id, status, now],
    );
  }

  /**
   * Takes the receipt of a signed request in the caller's transaction: false when the same request
   * was applied before (a replay). Receipts older than a day are dropped on the way: the timestamp
   * check refuses anything that old.
   */
  async takeReceipt(manager: EntityManager, key: Buffer, now: Date): Promise<boolean> {
    const rows = await sql(
      manager,
      `WITH pruned AS (DELETE FROM report_receipts WHERE at < $2::timestamptz - interval '1 day')
       INSERT INTO report_receipts (key, at) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING RETURNING key`,
      [key, now],
    );
    return rows.length === 1;
  }

  /** Every report is kept, matched or not, with its raw text (capped). */
  /** What the bounce listener needs to admit a report about a message: its age and the reports it already has. */
  reportAdmission(manager: EntityManager, messageId: string): Promise<{ createdAt: Date; reports: number } | undefined> {
    return sqlOne(
      manager,
      `SELECT o.created_at AS "createdAt",
              (SELECT count(*)::int FROM delivery_events e WHERE e.message_id = o.id AND e.source = 'dsn') AS reports
         FROM outbox_messages o WHERE o.id = $1`,
      [messageId],
    );
  }

  async recordReport(manager: EntityManager, event: DeliveryEventRecord): Promise<void> {
    await sql(
      manager,
      `INSERT INTO delivery_events (message_id, at, source, kind, state_after, category, status, reply, remote_mta, recipient, unmatched_reason, raw)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
      [
        event.messageId,
        event.at,
        event.source,
        event.kind,
        event.stateAfter,
        event.category ?? null,
        event.status?.slice(0, 16) ?? null,
        event.reply?.slice(0, 2000) ?? null,
        event.remoteMta?.slice(0, 255) ?? null,
        event.recipient?.slice(0, 254) ?? null,
        event.unmatchedReason ?? null,
        event.raw ? printable(event.raw).slice(0, 64 * 1024) : null,
      ],
    );
  }

  /** Pending bookings of the family whose confirmation mail is not confirmed yet (an incident's scope). */
  async pendingBookingsOfFamily(manager: EntityManager, family: string): Promise<string[]> {
    const rows = await sql<{ id: string }>(
      manager,
      `SELECT DISTINCT b.id FROM bookings b JOIN outbox_messages o ON o.booking_id = b.id
        WHERE b.status = 'pending' AND o.family = $1 AND o.channel = 'email' AND o.kind = 'booking_confirmation' ORDER BY b.id`,
      [family],
    );
    return rows.map((r) => r.id);
  }

  /**
   * Incident declared: mail of the family that only our relay accepted and no report called
   * delivered, for a pending booking, is probably stuck in the relay's queue; it counts as delayed
   * (undelivered) from now, recorded as a staff report. Returns the bookings.
   */
  async markRelayAcceptedDelayed(manager: EntityManager, family: string, note: string, now: Date): Promise<string[]> {
    const rows = await sql<{ bookingId: string }>(
      manager,
      `WITH moved AS (
         UPDATE outbox_messages o SET state = 'delayed', delivered_at = NULL, delivery_evidence = NULL
           FROM bookings b
          WHERE b.id = o.booking_id AND b.status = 'pending' AND o.family = $1 AND o.channel = 'email'
            AND (o.state = 'in_transit' OR (o.state = 'accepted' AND o.delivery_evidence IN ('transit_rule', 'before_reports')))
         RETURNING o.id, o.booking_id
       ), recorded AS (
         INSERT INTO delivery_events (message_id, at, source, kind, state_after, reply) SELECT id, $2, 'staff', 'incident', 'delayed', $3 FROM moved
       )
       SELECT booking_id AS "bookingId" FROM moved`,
      [family, now, note],
    );
    return rows.map((r) => r.bookingId);
  }

  /**
   * Incident ended: the family's confirmations for pending bookings that are held, delayed or
   * waiting go out again now, with `preface` before the text. Returns the bookings.
   */
  async requeueWithPreface(manager: EntityManager, family: string, preface: string, now: Date): Promise<string[]> {
    const rows = await sql<{ bookingId: string }>(
      manager,
      `UPDATE outbox_messages o
          SET state = 'queued', next_attempt_at = $2, accepted_at = NULL, accepted_by = NULL, reports_requested = NULL,
              delivered_at = NULL, delivery_evidence = NULL,
              payload = jsonb_set(o.payload, '{text}', to_jsonb($3::text || E'\\n\\n' || (o.payload->>'text')))
         FROM bookings b
        WHERE b.id = o.booking_id AND b.status = 'pending' AND o.family = $1 AND o.channel = 'email' AND o.kind = 'booking_confirmation'
          AND o.state IN ${sqlList(WAITING)}
       RETURNING o.booking_id AS "bookingId"`,
      [family, now, preface],
    );
    return rows.map((r) => r.bookingId);
  }

  /** Confirmation mail of [from, to) by provider family (one office, or all); aggregates only. */
  mailFigures(manager: EntityManager, locationId: string | null, from: Date, to: Date) {
    return sql<{
      family: string;
      mails: number;
      accepted: number;
      deferred: number;
      held: number;
      bounced: number;
      medianMinutesToDelivery: number | null;
    }>(manager, MAIL_FIGURES_SQL, [locationId, from, to]);
  }

  /**
   * The personal data of these bookings' mail, replaced in place: recipients (an e-mail's becomes
   * its booking's placeholder address), payloads, and the addresses and numbers in SMTP replies and
   * delivery reports (raw reports dropped). Rows, states, families and times stay.
   */
  async anonymiseOfBookings(
    manager: EntityManager,
    bookingIds: string[],
  ): Promise<{ messages: number; attempts: number; reports: number }> {
    if (bookingIds.length === 0) return { messages: 0, attempts: 0, reports: 0 };
    const messages = await sql<{ id: string }>(
      manager,
      `UPDATE outbox_messages SET
              recipient = CASE channel WHEN 'email' THEN 'anonymised.' || booking_id || '@holdfast.invalid' ELSE 'anonymisiert' END,
              payload = '{"anonymised": true}'::jsonb, last_reply = holdfast_mask_personal(last_reply)
        WHERE booking_id = ANY($1::uuid[]) RETURNING id`,
      [bookingIds],
    );
    const ids = messages.map((m) => m.id);
    const attempts = await sql<{ id: string }>(
      manager,
      `UPDATE mail_attempts SET reply = holdfast_mask_personal(reply) WHERE message_id = ANY($1::uuid[]) AND reply IS NOT NULL RETURNING id`,
      [ids],
    );
    const reports = await sql<{ id: string }>(
      manager,
      `UPDATE delivery_events SET recipient = NULL, raw = NULL, reply = holdfast_mask_personal(reply)
        WHERE message_id = ANY($1::uuid[]) RETURNING id`,
      [ids],
    );
    return { messages: ids.length, attempts: attempts.length, reports: reports.length };
  }

  /** What anonymiseOfBookings would change (the dry run). */
  async countOfBookings(
    manager: EntityManager,
    bookingIds: string[],
  ): Promise<{ messages: number; attempts: number; reports: number }> {
    const row = await sqlOne<{ messages: number; attempts: number; reports: number }>(
      manager,
      `SELECT (SELECT count(*)::int FROM outbox_messages WHERE booking_id = ANY($1::uuid[])) AS messages,
              (SELECT count(*)::int FROM mail_attempts a JOIN outbox_messages o ON o.id = a.message_id
                WHERE o.booking_id = ANY($1::uuid[]) AND a.reply IS NOT NULL) AS attempts,
              (SELECT count(*)::int FROM delivery_events e JOIN outbox_messages o ON o.id = e.message_id
                WHERE o.booking_id = ANY($1::uuid[])) AS reports`,
      [bookingIds],
    );
    return row!;
  }

  /**
   * Delivery reports that matched no message (their raw text and recipient may name anyone),
   * received before `cutoff`: recipient and raw text dropped, addresses in the reply blanked. A
   * batch, skipping rows another run holds; `dryRun` only counts.
   */
  async anonymiseUnmatchedReports(manager: EntityManager, cutoff: Date, limit: number, dryRun = false): Promise<number> {
    const due = `SELECT id FROM delivery_events WHERE message_id IS NULL AND (raw IS NOT NULL OR recipient IS NOT NULL) AND at < $1`;
    if (dryRun) return (await sqlOne<{ n: number }>(manager, `SELECT count(*)::int AS n FROM (${due}) d`, [cutoff]))!.n;
    const rows = await sql<{ id: string }>(
      manager,
      `UPDATE delivery_events SET recipient = NULL, raw = NULL, reply = holdfast_mask_personal(reply)
        WHERE id IN (${due} ORDER BY at LIMIT $2 FOR UPDATE SKIP LOCKED) RETURNING id`,
      [cutoff, limit],
    );
    return rows.length;
  }

  /**
   * The mail of an address (its data export): its bookings' messages and any message sent to it
   * (an address changed since), each with its attempts and reports.
   */
  async ofAddress(manager: EntityManager, bookingIds: string[], email: string) {
    const messages = await sql<{ id: string }>(
      manager,
      `SELECT id, booking_id AS "bookingId", kind, channel, recipient, payload, state, attempts, last_reply AS "lastReply",
              created_at AS "createdAt", accepted_at AS "acceptedAt", delivered_at AS "deliveredAt", failed_at AS "failedAt"
         FROM outbox_messages WHERE booking_id = ANY($1::uuid[]) OR lower(recipient) = lower($2) ORDER BY created_at, id`,
      [bookingIds, email],
    );
    const ids = messages.map((m) => m.id);
    const attempts = await sql(
      manager,
      `SELECT message_id AS "messageId", attempt, started_at AS "startedAt", finished_at AS "finishedAt", outcome,
              reply_code AS "replyCode", reply FROM mail_attempts WHERE message_id = ANY($1::uuid[]) ORDER BY id`,
      [ids],
    );
    const reports = await sql(
      manager,
      `SELECT message_id AS "messageId", at, source, kind, status, recipient, reply, raw
         FROM delivery_events WHERE message_id = ANY($1::uuid[]) OR lower(recipient) = lower($2) ORDER BY id`,
      [ids, email],
    );
    return { messages, attempts, reports };
  }

  async messagesOfBooking(manager: EntityManager, bookingId: string): Promise<MessageView[]> {
    const messages = await sql<Omit<MessageView, 'history'>>(
      manager,
      `SELECT id, kind, channel, recipient, state, attempts, next_attempt_at AS "nextAttemptAt", last_reply_code AS "lastReplyCode",
              last_reply AS "lastReply", last_reply_category AS "lastReplyCategory", family, accepted_by AS "acceptedBy",
              created_at AS "createdAt", accepted_at AS "acceptedAt", failed_at AS "failedAt"
         -- Queued at the same instant (a clock that did not move on), the e-mail comes first: an SMS is its
         -- fallback, made after it; then the id, so the order never depends on the plan.
         FROM outbox_messages WHERE booking_id = $1 ORDER BY created_at, channel = 'sms', id`,
      [bookingId],
    );
    if (messages.length === 0) return [];
    const attempts = await sql<MessageView['history'][number] & { messageId: string }>(
      manager,
      `SELECT message_id AS "messageId", attempt, started_at AS "startedAt", finished_at AS "finishedAt", outcome,
              reply_code AS "replyCode", reply, error_code AS "errorCode", category
         FROM mail_attempts WHERE message_id = ANY($1::uuid[]) ORDER BY id`,
      [messages.map((x) => x.id)],
    );
    const reports = await sql<MessageView['reports'][number] & { messageId: string }>(
      manager,
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

/**
 * The confirmation mail of booking `b` to its current address, as the start of an EXISTS
 * sub-select (`o` is the message): add a condition on `o.state`.
 */
function confirmationMailOf(bookingAlias: string): string {
  return `SELECT 1 FROM outbox_messages o WHERE o.booking_id = ${bookingAlias}.id AND o.channel = 'email' AND o.kind = 'booking_confirmation'
            AND lower(o.recipient) = lower(${bookingAlias}.email)`;
}

/**
 * For another repository's single-statement write: the CTE body that queues the confirmation mail
 * of the booking that `source` (a CTE with `id`) returns. The outbox owns the text; the caller
 * gives the placeholders of its own statement.
 */
export function queueConfirmationSql(placeholders: {
  source: string;
  id: string;
  recipient: string;
  messageId: string;
  payload: string;
  now: string;
  family: string;
}): string {
  return `INSERT INTO outbox_messages ${MESSAGE_COLUMNS}
         SELECT ${placeholders.id}, id, 'booking_confirmation', 'email', ${placeholders.recipient}, ${placeholders.messageId},
                ${placeholders.payload}, 'queued', ${placeholders.now}, ${placeholders.now}, ${placeholders.family}
           FROM ${placeholders.source}`;
}

/**
 * For a read model over bookings: a CTE of each booking's latest confirmation mail
 * (`booking_id, family, state, last_reply_category`).
 */
export function latestConfirmationMailSql(): string {
  return `SELECT DISTINCT ON (booking_id) booking_id, family, state, last_reply_category
            FROM outbox_messages WHERE channel = 'email' AND kind = 'booking_confirmation' ORDER BY booking_id, created_at DESC`;
}

/** Confirmation mail of [from, to) by provider family: what became of it, and how long delivery took. */
export const MAIL_FIGURES_SQL = `
  SELECT coalesce(o.family, 'other') AS family, count(*)::int AS mails,
         count(*) FILTER (WHERE o.accepted_at IS NOT NULL)::int AS accepted,
         count(*) FILTER (WHERE EXISTS (SELECT 1 FROM mail_attempts a WHERE a.message_id = o.id AND a.outcome = 'deferred'))::int AS deferred,
         count(*) FILTER (WHERE o.state = 'held_provider_blocked'
                           OR EXISTS (SELECT 1 FROM delivery_events e WHERE e.message_id = o.id AND e.state_after = 'held_provider_blocked'))::int AS held,
         count(*) FILTER (WHERE o.state = 'bounced')::int AS bounced,
         round((percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM o.delivered_at - o.created_at) / 60)
                FILTER (WHERE o.delivered_at IS NOT NULL))::numeric, 1)::float AS "medianMinutesToDelivery"
    FROM outbox_messages o JOIN bookings b ON b.id = o.booking_id
   WHERE o.kind = 'booking_confirmation' AND o.created_at >= $2 AND o.created_at < $3 AND ($1::uuid IS NULL OR b.location_id = $1)
   GROUP BY 1 ORDER BY 1`;

/** PostgreSQL text holds no NUL; binary junk is kept readable enough for a human. */
const printable = (s: string) => s.replace(/\u0000/g, '\uFFFD');

export interface FamilyStats {
  family: string;
  queued: number | null;
  deferred: number | null;
  held: number | null;
  delayed: number | null;
  oldest: Date | null;
  hour: Record<string, number> | null;
  day: Record<string, number> | null;
  lastAt: Date | null;
  lastCategory: string | null;
  lastCode: number | null;
  lastText: string | null;
}

export interface RelayReportCountsRow {
  /** Relay acceptances of the last 24 hours. */
  accepted: number;
  /** Of them: on a connection that announced no DSN, so no report was asked for. */
  withoutDsn: number;
  /** Relay acceptances with reports asked for, older than the report is due (last 24 hours). */
  dueForReport: number;
  /** Of them: no report of any kind has come. */
  unreported: number;
  /** Relay acceptances with reports asked for, old enough, in the last 7 days (counted up to 1000). */
  dueForReportWeek: number;
  /** Reports (DSN, webhook) about our mail, in the last 7 days (counted up to 1000). */
  reportsLastWeek: number;
}

export interface RelayQueueRow {
  /** null: all families together. */
  family: string | null;
  inTransit: number;
  oldest: Date | null;
  medianMinutes: number | null;
  reported: number;
}

export interface ConfirmationFact {
  bookingId: string;
  channel: 'email' | 'sms';
  state: OutboxState;
  acceptedAt: Date | null;
  acceptedBy: 'relay' | 'mx' | 'sms_gateway' | null;
  deliveredAt: Date | null;
  deliveryEvidence: DeliveryEvidence | null;
  failedAt: Date | null;
}

export interface ReportedMessage {
  id: string;
  state: OutboxState;
  evidence: DeliveryEvidence | null;
  family: string | null;
  attempts: number;
  bookingId: string | null;
}

export interface DeliveryEventRecord {
  messageId: string | null;
  at: Date;
  source: 'smtp' | 'dsn' | 'webhook' | 'staff';
  kind: string;
  stateAfter: string | null;
  category?: string | null;
  status?: string | null;
  reply?: string | null;
  remoteMta?: string | null;
  recipient?: string | null;
  unmatchedReason?: string | null;
  raw?: string | null;
}
