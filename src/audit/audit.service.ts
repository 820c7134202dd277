import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Clock } from '../common/clock';
import { sql } from '../database/sql';

export interface Actor {
  id: string | null;
  label: string;
}

export interface AuditRecord {
  action: string;
  bookingId?: string | null;
  reason?: string | null;
  before?: unknown;
  after?: unknown;
}

/** The append-only audit log (the database refuses UPDATE and DELETE on it). */
@Injectable()
export class AuditService {
  constructor(private readonly clock: Clock) {}

  async record(m: EntityManager, actor: Actor, r: AuditRecord): Promise<void> {
    await sql(
      m,
      `INSERT INTO audit_entries (at, actor_id, actor_label, action, booking_id, reason, before, after) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [
        this.clock.now().toJSDate(),
        actor.id,
        actor.label,
        r.action,
        r.bookingId ?? null,
        r.reason ?? null,
        r.before === undefined ? null : JSON.stringify(r.before),
        r.after === undefined ? null : JSON.stringify(r.after),
      ],
    );
  }

  list(m: EntityManager, q: { bookingId?: string; limit: number; before?: string }) {
    return sql(
      m,
      `SELECT id, at, actor_id AS "actorId", actor_label AS "actorLabel", action, booking_id AS "bookingId", reason, before, after
         FROM audit_entries
        WHERE ($1::uuid IS NULL OR booking_id = $1) AND ($3::bigint IS NULL OR id < $3)
        ORDER BY id DESC LIMIT $2`,
      [q.bookingId ?? null, q.limit, q.before ?? null],
    );
  }
}
