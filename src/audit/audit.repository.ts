import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { sql, sqlOne } from '../database/sql';

export interface AuditQuery {
  bookingId?: string;
  limit: number;
  /** Entries older than this id (paging). */
  before?: string;
  /** An action or a prefix of actions (`review` finds `review.extend`, `review.close` …). */
  action?: string;
  actorLabel?: string;
  from?: Date;
  to?: Date;
}

/** The append-only audit log (the database refuses UPDATE and DELETE on it). */
@Injectable()
export class AuditRepository {
  async insert(
    manager: EntityManager,
    entry: {
      at: Date;
      actorId: string | null;
      actorLabel: string;
      action: string;
      bookingId: string | null;
      reason: string | null;
      before: unknown;
      after: unknown;
    },
  ): Promise<void> {
    await sql(
      manager,
      `INSERT INTO audit_entries (at, actor_id, actor_label, action, booking_id, reason, before, after) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [
        entry.at,
        entry.actorId,
        entry.actorLabel,
        entry.action,
        entry.bookingId,
        entry.reason,
        entry.before === undefined ? null : JSON.stringify(entry.before),
        entry.after === undefined ? null : JSON.stringify(entry.after),
      ],
    );
  }

  list(manager: EntityManager, query: AuditQuery) {
    return sql(
      manager,
      `SELECT id, at, actor_id AS "actorId", actor_label AS "actorLabel", action, booking_id AS "bookingId", reason, before, after
         FROM audit_entries
        WHERE ($1::uuid IS NULL OR booking_id = $1) AND ($3::bigint IS NULL OR id < $3)
          AND ($4::text IS NULL OR action = $4 OR action LIKE $4 || '.%')
          AND ($5::text IS NULL OR lower(actor_label) = lower($5))
          AND ($6::timestamptz IS NULL OR at >= $6) AND ($7::timestamptz IS NULL OR at < $7)
        ORDER BY id DESC LIMIT $2`,
      [
        query.bookingId ?? null,
        query.limit,
        query.before ?? null,
        query.action ?? null,
        query.actorLabel ?? null,
        query.from ?? null,
        query.to ?? null,
      ],
    );
  }

  /** A booking's trail, oldest first (the review detail). */
  ofBooking(manager: EntityManager, bookingId: string) {
    return sql(
      manager,
      `SELECT id, at, actor_label AS "actorLabel", action, reason, before, after FROM audit_entries WHERE booking_id = $1 ORDER BY id`,
      [bookingId],
    );
  }

  /**
   * How often `action` was recorded since `since`, for one actor label (login throttling) or one
   * booking (the citizen's change throttle).
   */
  async countSince(
    manager: EntityManager,
    action: string,
    of: { actorLabel: string } | { bookingId: string },
    since: Date,
  ): Promise<number> {
    const [column, value] = 'actorLabel' in of ? ['actor_label', of.actorLabel] : ['booking_id', of.bookingId];
    const row = await sqlOne<{ n: number }>(
      manager,
      `SELECT count(*)::int AS n FROM audit_entries WHERE action = $1 AND ${column} = $2 AND at > $3`,
      [action, value, since],
    );
    return row!.n;
  }

  /**
   * The personal values (name, e-mail, phone) in these bookings' entries replaced, the one change
   * the database lets through (migration Retention): in this transaction only.
   */
  async anonymiseOfBookings(manager: EntityManager, bookingIds: string[]): Promise<number> {
    if (bookingIds.length === 0) return 0;
    await sql(manager, `SELECT set_config('holdfast.anonymising', 'on', true)`);
    const rows = await sql<{ id: string }>(
      manager,
      `UPDATE audit_entries SET before = holdfast_mask_personal_json(before), after = holdfast_mask_personal_json(after)
        WHERE booking_id = ANY($1::uuid[])
          AND (holdfast_mask_personal_json(before) IS DISTINCT FROM before OR holdfast_mask_personal_json(after) IS DISTINCT FROM after)
        RETURNING id`,
      [bookingIds],
    );
    await sql(manager, `SELECT set_config('holdfast.anonymising', 'off', true)`);
    return rows.length;
  }

  /** What anonymiseOfBookings would change (the dry run). */
  async countOfBookings(manager: EntityManager, bookingIds: string[]): Promise<number> {
    const row = await sqlOne<{ n: number }>(
      manager,
      `SELECT count(*)::int AS n FROM audit_entries WHERE booking_id = ANY($1::uuid[])
          AND (holdfast_mask_personal_json(before) IS DISTINCT FROM before OR holdfast_mask_personal_json(after) IS DISTINCT FROM after)`,
      [bookingIds],
    );
    return row!.n;
  }

  /** An address's entries (its data export): those of its bookings, and any that names its hash. */
  ofAddress(manager: EntityManager, bookingIds: string[], hash: string) {
    return sql(
      manager,
      `SELECT id, at, actor_label AS "actorLabel", action, booking_id AS "bookingId", reason, before, after FROM audit_entries
        WHERE booking_id = ANY($1::uuid[]) OR before->>'email' = $2 OR after->>'email' = $2 ORDER BY id`,
      [bookingIds, hash],
    );
  }
}
