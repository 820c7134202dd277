import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { sql, sqlOne } from '../database/sql';

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

  list(manager: EntityManager, query: { bookingId?: string; limit: number; before?: string }) {
    return sql(
      manager,
      `SELECT id, at, actor_id AS "actorId", actor_label AS "actorLabel", action, booking_id AS "bookingId", reason, before, after
         FROM audit_entries
        WHERE ($1::uuid IS NULL OR booking_id = $1) AND ($3::bigint IS NULL OR id < $3)
        ORDER BY id DESC LIMIT $2`,
      [query.bookingId ?? null, query.limit, query.before ?? null],
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
}
