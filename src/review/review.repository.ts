import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { sql, sqlOne } from '../database/sql';

export interface ReviewFilter {
  reason?: 'mail_undelivered' | 'held_for_mail';
  locationId?: string;
  day?: string;
  family?: string;
  includeClosed?: boolean;
  limit: number;
  offset: number;
}

export interface ReviewItem {
  id: string;
  reference: string;
  status: string;
  expiryReason: string | null;
  reviewStatus: string | null;
  name: string;
  email: string;
  phone: string | null;
  createdAt: Date;
  expiredAt: Date | null;
  holdUntil: Date;
  slotStartsAt: Date;
  locationId: string;
  locationName: string;
  timeZone: string;
  serviceName: string;
  family: string | null;
  mailState: string | null;
  lastReplyCategory: string | null;
}

const UNDELIVERED = `('queued', 'sending', 'deferred', 'held_provider_blocked', 'delayed', 'bounced', 'failed')`;

@Injectable()
export class ReviewRepository {
  /**
   * The queue: bookings that expired because the mail never arrived (open reviews unless asked),
   * and pending bookings still waiting for their mail. Newest first.
   */
  async list(m: EntityManager, f: ReviewFilter): Promise<{ items: ReviewItem[]; total: number }> {
    const rows = await sql<ReviewItem & { total: number }>(
      m,
      `WITH last_mail AS (
         SELECT DISTINCT ON (booking_id) booking_id, family, state, last_reply_category
           FROM outbox_messages WHERE channel = 'email' AND kind = 'booking_confirmation' ORDER BY booking_id, created_at DESC
       )
       SELECT b.id, b.reference, b.status, b.expiry_reason AS "expiryReason", b.review_status AS "reviewStatus", b.name, b.email, b.phone,
              b.created_at AS "createdAt", b.expired_at AS "expiredAt", b.hold_until AS "holdUntil", s.starts_at AS "slotStartsAt",
              l.id AS "locationId", l.name AS "locationName", l.time_zone AS "timeZone", sv.name AS "serviceName",
              lm.family, lm.state AS "mailState", lm.last_reply_category AS "lastReplyCategory", count(*) OVER ()::int AS total
         FROM bookings b
         JOIN slots s ON s.id = b.slot_id
         JOIN locations l ON l.id = b.location_id
         JOIN services sv ON sv.id = s.service_id
         LEFT JOIN last_mail lm ON lm.booking_id = b.id
        WHERE (
                ($1::text IS DISTINCT FROM 'held_for_mail' AND b.status = 'expired' AND b.expiry_reason = 'mail_undelivered' AND (b.review_status = 'open' OR $5::boolean))
             OR ($1::text IS DISTINCT FROM 'mail_undelivered' AND b.status = 'pending' AND lm.state IN ${UNDELIVERED})
              )
          AND ($2::uuid IS NULL OR b.location_id = $2)
          AND ($3::date IS NULL OR (s.starts_at AT TIME ZONE l.time_zone)::date = $3::date)
          AND ($4::text IS NULL OR lm.family = $4)
        ORDER BY COALESCE(b.expired_at, b.created_at) DESC, b.id
        LIMIT $6 OFFSET $7`,
      [f.reason ?? null, f.locationId ?? null, f.day ?? null, f.family ?? null, f.includeClosed ?? false, f.limit, f.offset],
    );
    return { items: rows.map(({ total, ...r }) => r), total: rows[0]?.total ?? 0 };
  }

  audit(m: EntityManager, bookingId: string) {
    return sql(
      m,
      `SELECT id, at, actor_label AS "actorLabel", action, reason, before, after FROM audit_entries WHERE booking_id = $1 ORDER BY id`,
      [bookingId],
    );
  }

  async setGoodwill(m: EntityManager, id: string, until: Date): Promise<void> {
    await sql(m, `UPDATE bookings SET goodwill_until = $2 WHERE id = $1 AND status = 'pending'`, [id, until]);
  }

  /** Reserves a place in the slot the clerk chose (the normal conditional update). */
  reserve(m: EntityManager, slotId: string, now: Date) {
    return sqlOne<{ slotId: string; locationId: string; startsAt: Date }>(
      m,
      `UPDATE slots SET booked = booked + 1 WHERE id = $1 AND booked < capacity AND starts_at > $2
       RETURNING id AS "slotId", location_id AS "locationId", starts_at AS "startsAt"`,
      [slotId, now],
    );
  }

  /** Expired -> pending, in the given slot, with a fresh hold; the review is done. */
  async reinstate(
    m: EntityManager,
    id: string,
    q: { slotId: string; locationId: string; holdUntil: Date; goodwillUntil: Date; now: Date },
  ): Promise<boolean> {
    const rows = await sql(
      m,
      `UPDATE bookings SET status = 'pending', slot_id = $2, location_id = $3, hold_until = $4, goodwill_until = $5,
              expired_at = NULL, expiry_reason = NULL, hold_reason = 'reinstated',
              review_status = CASE WHEN review_status IS NULL THEN NULL ELSE 'closed' END, review_closed_at = CASE WHEN review_status IS NULL THEN NULL ELSE $6::timestamptz END
        WHERE id = $1 AND status = 'expired' RETURNING id`,
      [id, q.slotId, q.locationId, q.holdUntil, q.goodwillUntil, q.now],
    );
    return rows.length === 1;
  }

  async confirmByStaff(m: EntityManager, id: string, now: Date): Promise<boolean> {
    const rows = await sql(
      m,
      `UPDATE bookings SET status = 'confirmed', confirmed_at = $2 WHERE id = $1 AND status = 'pending' RETURNING id`,
      [id, now],
    );
    return rows.length === 1;
  }

  async closeReview(m: EntityManager, id: string, now: Date): Promise<boolean> {
    const rows = await sql(
      m,
      `UPDATE bookings SET review_status = 'closed', review_closed_at = $2 WHERE id = $1 AND status = 'expired' AND review_status = 'open' RETURNING id`,
      [id, now],
    );
    return rows.length === 1;
  }
}
