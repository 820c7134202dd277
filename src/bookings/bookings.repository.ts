import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { DomainError } from '../common/domain-error';
import type { PipelinedTransaction, Statement } from '../database/pipelined-transaction';
import { sql, sqlOne } from '../database/sql';
import { violatedConstraint } from '../database/transaction-runner';
import { latestConfirmationMailSql, queueConfirmationSql } from '../outbox/outbox.repository';
import { CONFIRMATION_KINDS, DELIVERED, sqlList, UNDELIVERED } from '../outbox/outbox-states';
import { BookingStatus, ExpiryReason } from './booking-state';
import type { HoldReason, HoldSettings } from './hold-policy';

/** What anonymised personal values read (a booking's name; audit values). */
export const ANONYMISED = 'anonymisiert';

/** When a booking's retention period starts: its expiry, its cancellation, else the appointment's end. */
const RETENTION_FROM_SQL = `CASE b.status WHEN 'expired' THEN b.expired_at WHEN 'cancelled' THEN b.cancelled_at ELSE s.ends_at END`;

export interface ReservedSlot {
  slotId: string;
  locationId: string;
  startsAt: Date;
  endsAt: Date;
  timeZone: string;
  locationName: string;
  locationAddress: string;
  serviceName: string;
  /** The office's own no-show limit (NULL: NO_SHOW_LIMIT). */
  noShowLimit: number | null;
}

export interface DayListRow {
  id: string;
  reference: string;
  name: string;
  status: BookingStatus;
  attendance: 'arrived' | 'served' | 'no_show' | null;
  attendanceAt: Date | null;
  walkIn: boolean;
  startsAt: Date;
  endsAt: Date;
  serviceName: string;
}

export interface BookingRow {
  id: string;
  reference: string;
  slotId: string;
  locationId: string;
  name: string;
  email: string;
  phone: string | null;
  status: BookingStatus;
  holdUntil: Date;
  createdAt: Date;
  confirmedAt: Date | null;
  cancelledAt: Date | null;
  expiredAt: Date | null;
  expiryReason: ExpiryReason | null;
  statusTokenVersion: number;
  lang: 'de' | 'en';
  icsSequence: number;
  attendance: 'arrived' | 'served' | 'no_show' | null;
  walkIn: boolean;
  goodwillUntil: Date | null;
  reviewStatus: 'open' | 'closed' | null;
  slotStartsAt: Date;
  /** The end of the appointment: the slot's end plus any combined services' minutes. */
  slotEndsAt: Date;
  extraServiceIds: string[];
  extraMinutes: number;
  serviceId: string;
  serviceName: string;
  locationName: string;
  locationAddress: string;
  timeZone: string;
}

const BOOKING_SELECT = `
  SELECT b.id, b.reference, b.slot_id AS "slotId", b.location_id AS "locationId", b.name, b.email, b.phone, b.status,
         b.hold_until AS "holdUntil", b.created_at AS "createdAt", b.confirmed_at AS "confirmedAt",
         b.cancelled_at AS "cancelledAt", b.expired_at AS "expiredAt", b.expiry_reason AS "expiryReason",
         b.status_token_version AS "statusTokenVersion", b.lang, b.ics_sequence AS "icsSequence", b.attendance, b.walk_in AS "walkIn", b.goodwill_until AS "goodwillUntil", b.review_status AS "reviewStatus",
         s.starts_at AS "slotStartsAt", s.ends_at + make_interval(mins => b.extra_minutes) AS "slotEndsAt", s.service_id AS "serviceId",
         b.extra_service_ids AS "extraServiceIds", b.extra_minutes AS "extraMinutes",
         sv.name AS "serviceName", l.name AS "locationName", l.address AS "locationAddress", l.time_zone AS "timeZone"
    FROM bookings b
    JOIN slots s ON s.id = b.slot_id
    JOIN services sv ON sv.id = s.service_id
    JOIN locations l ON l.id = b.location_id`;

/**
 * The hold policy as one set-based decision: hold-policy.ts `holdOutcome` (computeHold's rules 1–5,
 * the promised window, the expiry reason) for every pending booking in `$1`, at `$2`, with the window
 * `$3` minutes, HOLD_MAX_HOURS `$4` and the cutoff `$5` minutes. The CTE `decided` gives id,
 * hold_until, reason and expiry_reason. Instants are cut to milliseconds, as the policy sees them (a
 * JS Date). test/hold-policy-sql.e2e.spec.ts holds it equal to the pure policy on a table of cases:
 * a rule changed in one place and not the other fails there.
 */
const HOLD_DECISIONS = `
  facts AS MATERIALIZED (
    SELECT b.id, date_trunc('milliseconds', b.hold_started_at) AS started,
           date_trunc('milliseconds', (SELECT s.starts_at FROM slots s WHERE s.id = b.slot_id)) AS slot_starts,
           date_trunc('milliseconds', b.hold_until) AS current_hold, date_trunc('milliseconds', b.goodwill_until) AS goodwill,
           m.delivered_at, m.bounced_at
      -- Each booking's slot and messages by index probes, whatever the size of the tables (read once: materialized).
      FROM bookings b CROSS JOIN LATERAL (
        SELECT -- Rule 1: delivered (e-mail in a delivered state, at its delivery, else its acceptance; SMS with a handset report).
               max(date_trunc('milliseconds', CASE WHEN o.channel = 'email' AND o.state IN ${sqlList(DELIVERED)} THEN coalesce(o.delivered_at, o.accepted_at)
                                                   WHEN o.channel = 'sms' THEN o.delivered_at END)) AS delivered_at,
               -- The address is bad: every message not withdrawn is a bounced e-mail or a failed SMS with its time, one an e-mail.
               CASE WHEN bool_and(((o.channel = 'email' AND o.state = 'bounced') OR (o.channel = 'sms' AND o.state = 'failed')) AND o.failed_at IS NOT NULL)
                           FILTER (WHERE o.state <> 'cancelled')
                     AND bool_or(o.channel = 'email') FILTER (WHERE o.state <> 'cancelled')
                    THEN max(date_trunc('milliseconds', o.failed_at)) FILTER (WHERE o.state <> 'cancelled') END AS bounced_at
          FROM outbox_messages o
         -- Mail to an address the citizen has since replaced does not count.
         WHERE o.booking_id = b.id AND o.kind IN ${sqlList(CONFIRMATION_KINDS)} AND (o.channel <> 'email' OR lower(o.recipient) = lower(b.email))
      ) m
     WHERE b.id = ANY($1::uuid[]) AND b.status = 'pending'
  ), base AS (
    -- Rule 2; rule 4's parts; initialHoldUntil (the window from the start of the hold, cut at the slot start).
    SELECT f.*,
           CASE WHEN f.delivered_at IS NOT NULL THEN f.delivered_at WHEN f.bounced_at IS NOT NULL THEN f.bounced_at
                ELSE $2::timestamptz END + make_interval(mins => $3) AS base_at,
           CASE WHEN f.delivered_at IS NOT NULL THEN 'window_from_delivery' WHEN f.bounced_at IS NOT NULL THEN 'window_from_bounce'
                ELSE 'waiting_for_delivery' END AS base_reason,
           f.started + make_interval(hours => $4) AS max_hold, f.slot_starts - make_interval(mins => $5) AS cutoff,
           CASE WHEN f.started + make_interval(mins => $3) < f.slot_starts THEN f.started + make_interval(mins => $3) ELSE f.slot_starts END AS promised
      FROM facts f
  ), target AS (
    -- Rule 3's goodwill, if later (strictly: a tie keeps the rule).
    SELECT b.*, CASE WHEN b.goodwill > b.base_at THEN b.goodwill ELSE b.base_at END AS t1_at,
           CASE WHEN b.goodwill > b.base_at THEN 'goodwill' ELSE b.base_reason END AS t1_reason,
           -- Rule 4: goodwill may lift the limit past HOLD_MAX_HOURS, never past the cutoff (a tie names the slot).
           CASE WHEN b.goodwill > b.max_hold THEN b.goodwill ELSE b.max_hold END AS soft_at,
           CASE WHEN b.goodwill > b.max_hold THEN 'goodwill' ELSE 'capped_by_max_hold' END AS soft_reason
      FROM base b
  ), limited AS (
    -- Rule 3: the current hold, if later (strictly); rule 4's limit.
    SELECT t.*, CASE WHEN t.current_hold > t.t1_at THEN t.current_hold ELSE t.t1_at END AS t2_at,
           CASE WHEN t.current_hold > t.t1_at THEN 'kept_previous_hold' ELSE t.t1_reason END AS t2_reason,
           CASE WHEN t.cutoff <= t.soft_at THEN t.cutoff ELSE t.soft_at END AS limit_at,
           CASE WHEN t.cutoff <= t.soft_at THEN 'capped_by_slot_start' ELSE t.soft_reason END AS limit_reason
      FROM target t
  ), decided AS (
    -- Rule 5 (reaching the limit names it), then the promised window; the expiry reason.
    SELECT l.id, x.reason, CASE WHEN x.at < l.promised THEN l.promised ELSE x.at END AS hold_until,
           CASE WHEN l.delivered_at IS NOT NULL THEN 'not_confirmed' ELSE 'mail_undelivered' END AS expiry_reason
      FROM limited l CROSS JOIN LATERAL (
        SELECT CASE WHEN l.t2_at >= l.limit_at THEN l.limit_at ELSE l.t2_at END AS at,
               CASE WHEN l.t2_at >= l.limit_at THEN l.limit_reason ELSE l.t2_reason END AS reason
      ) x
  )`;

/**
 * The address's lock and one place in the slot (see beginBooking). Keyed: only when this
 * transaction's claim of the Idempotency-Key ($4) made the key (a repeat finds it completed, and
 * takes no place: the first booking may have taken the last counter).
 */
const reserveSql = (
  keyed: boolean,
) => `WITH address_lock AS (SELECT pg_advisory_xact_lock(hashtext('booking-address:' || holdfast_address_key($1))) AS locked)
       UPDATE slots s SET booked = s.booked + 1
         FROM locations l, services sv, address_lock
        WHERE s.id = $2 AND s.booked < s.capacity AND s.starts_at > $3 AND l.id = s.location_id AND sv.id = s.service_id
          ${keyed ? 'AND EXISTS (SELECT 1 FROM idempotency_keys k WHERE k.key = $4 AND k.booking_id IS NULL)' : ''}
        RETURNING s.id AS "slotId", s.location_id AS "locationId", s.starts_at AS "startsAt", s.ends_at AS "endsAt",
                  l.time_zone AS "timeZone", l.name AS "locationName", l.address AS "locationAddress", sv.name AS "serviceName",
                  l.no_show_limit AS "noShowLimit"`;
const RESERVE_SQL = reserveSql(false),
  RESERVE_KEYED_SQL = reserveSql(true);

const SLOT_STATE_SQL = `SELECT starts_at AS "startsAt" FROM slots WHERE id = $1`;

/** Why no place could be taken in this slot: unknown, started, or full. */
function slotRefusal(state: { startsAt: Date } | undefined, slotId: string, now: Date): DomainError {
  if (!state) return new DomainError('SLOT_NOT_FOUND', 'No slot with this id.');
  if (state.startsAt <= now) return new DomainError('SLOT_IN_PAST', 'This slot has already started and can no longer be booked.');
  return new DomainError('SLOT_FULL', 'This slot is fully booked. Please choose another one.', { slotId });
}

/**
 * A place whose slot has room but whose office has no free counter under it (the trigger
 * slots_counters, migration CounterUnits) fails its statement with the units' CHECK: SLOT_FULL.
 */
function refuseWhenNoCounter(slotId: string) {
  return (err: unknown): never => {
    if (violatedConstraint(err, '23514') === 'ck_counter_units_reserved')
      throw new DomainError('SLOT_FULL', 'This slot is fully booked. Please choose another one.', { slotId });
    throw err;
  };
}

const CLAIM_KEY_SQL = `INSERT INTO idempotency_keys (key, request_hash, created_at) VALUES ($1, $2, $3) ON CONFLICT (key) DO NOTHING RETURNING key`;

/** The SQLSTATE of holdfast_booking_refused (migration BookingRefusal): a per-address limit. */
const BOOKING_REFUSED_SQLSTATE = 'HF409';

/** The booking within the address's limits, its token and its mail (see writeBooking). */
const WRITE_BOOKING_SQL = `WITH active AS (
         SELECT count(*) FILTER (WHERE b.slot_id = $3)::int AS same_slot, count(*)::int AS same_day,
                -- No-shows of the address in the last 90 days, at any office, when NO_SHOW_LIMIT ($19) is on.
                CASE WHEN $19::int > 0 THEN (SELECT count(*)::int FROM bookings n
                                              WHERE n.email_key = holdfast_address_key($6) AND n.status = 'confirmed'
                                                AND n.attendance = 'no_show' AND n.attendance_at > $9::timestamptz - interval '90 days')
                     ELSE 0 END AS no_shows
           FROM bookings b JOIN slots s ON s.id = b.slot_id
          WHERE b.email_key = holdfast_address_key($6) AND b.location_id = $4 AND b.status IN ('pending', 'confirmed')
            AND s.starts_at >= $15 AND s.starts_at < $16
       ), booking AS (
         INSERT INTO bookings (id, reference, slot_id, location_id, name, email, phone, status, hold_until, created_at, hold_started_at, lang,
                               extra_service_ids, extra_minutes)
         SELECT $1, $2, $3, $4, $5, $6, $7, 'pending', $8, $9, $9, $18, $20::uuid[], $21 FROM active
          WHERE same_slot = 0 AND same_day < $17 AND ($19::int = 0 OR no_shows < $19::int)
         RETURNING id
       ), token AS (
         INSERT INTO confirmation_tokens (booking_id, token_hash, created_at) SELECT id, $10, $9 FROM booking
       ), mail AS (
         ${queueConfirmationSql({ source: 'booking', id: '$11', recipient: '$6', messageId: '$12', payload: '$13', now: '$9', family: '$14' })}
       )
       -- CASE, not OR: only CASE promises that the refusal is not evaluated when the booking was written.
       SELECT CASE WHEN EXISTS (SELECT 1 FROM booking) THEN true
                   ELSE holdfast_booking_refused(CASE WHEN same_slot > 0 THEN 'booking_limit_slot'
                                                      WHEN $19::int > 0 AND no_shows >= $19::int THEN 'booking_limit_no_show'
                                                      ELSE 'booking_limit_day' END) END AS written FROM active`;

const holdParams = (ids: string[], now: Date, settings: HoldSettings) => [
  ids,
  now,
  settings.confirmWindowMinutes,
  settings.holdMaxHours,
  settings.confirmCutoffMinutes,
];

@Injectable()
export class BookingsRepository {
  findIdempotencyKey(manager: EntityManager, key: string) {
    return sqlOne<{ requestHash: string; response: Record<string, unknown> | null; bookingId: string | null }>(
      manager,
      `SELECT request_hash AS "requestHash", response, booking_id AS "bookingId" FROM idempotency_keys WHERE key = $1`,
      [key],
    );
  }

  /**
   * A booking's first batch (BEGIN comes with it): the idempotency key claimed when one is given
   * (false when it exists already, committed by an earlier request), then the address's lock
   * (bookings by one address are serialised for the rest of the transaction, for the per-day
   * limit) and one unit of the slot's capacity if there is one and the slot has not started. The
   * advisory lock is part of the join, so it is always taken before the slot's row lock.
   */
  async beginBooking(
    tx: PipelinedTransaction,
    input: { key?: string; requestHash: string; email: string; slotId: string; now: Date },
  ): Promise<{ claimed: boolean; slot?: ReservedSlot }> {
    const reserve: Statement = input.key
      ? { name: 'hf_booking_reserve_keyed', text: RESERVE_KEYED_SQL, values: [input.email, input.slotId, input.now, input.key] }
      : { name: 'hf_booking_reserve', text: RESERVE_SQL, values: [input.email, input.slotId, input.now] };
    const claim: Statement[] = input.key
      ? [{ name: 'hf_booking_claim_key', text: CLAIM_KEY_SQL, values: [input.key, input.requestHash, input.now] }]
      : [];
    const rows = await tx.send<unknown[][]>([...claim, reserve]).catch(refuseWhenNoCounter(input.slotId));
    // A repeat of a key that exists already: its claim found it, and the place taken with it goes with the rollback.
    return { claimed: !input.key || rows[0].length === 1, slot: (rows.at(-1) as ReservedSlot[])[0] };
  }

  /** Why no place could be taken in this slot: unknown, started, or full. */
  async whyNotReservable(manager: EntityManager, slotId: string, now: Date): Promise<DomainError> {
    return slotRefusal(await sqlOne<{ startsAt: Date }>(manager, SLOT_STATE_SQL, [slotId]), slotId, now);
  }

  /** The same, inside a booking's pipelined transaction (on its connection: a second one could wait for a full pool). */
  async whyNotBookable(tx: PipelinedTransaction, slotId: string, now: Date): Promise<DomainError> {
    const [rows] = await tx.send<[Array<{ startsAt: Date }>]>([
      { name: 'hf_slot_state', text: SLOT_STATE_SQL, values: [slotId] },
    ]);
    return slotRefusal(rows[0], slotId, now);
  }

  async releaseCapacity(manager: EntityManager, slotId: string): Promise<void> {
    await sql(manager, `UPDATE slots SET booked = booked - 1 WHERE id = $1`, [slotId]);
  }

  /**
   * A booking's last batch, with COMMIT: the booking, its confirmation token (hash) and its
   * confirmation mail in one statement, written only if the address is within its limits (no
   * other active booking in this slot, fewer than `maxPerDay` at this office on the slot's day),
   * then the idempotency key's response. The statement starts after the address lock was taken,
   * so its snapshot sees every earlier booking by the address. A limit makes the statement fail
   * (holdfast_booking_refused, migration BookingRefusal): the transaction rolls back, the place
   * taken in the first batch with it.
   */
  async writeBooking(
    tx: PipelinedTransaction,
    booking: Pick<
      BookingRow,
      'id' | 'reference' | 'slotId' | 'locationId' | 'name' | 'email' | 'phone' | 'holdUntil' | 'lang'
    > & {
      now: Date;
      /** Services combined with the slot's (their ids) and the minutes they add after it. */
      extraServiceIds: string[];
      extraMinutes: number;
    },
    limits: { dayStart: Date; dayEnd: Date; maxPerDay: number; noShowLimit: number },
    token: { hash: Buffer },
    mail: { id: string; messageId: string; payload: unknown; family: string | null },
    idempotency?: { key: string; response: unknown },
  ): Promise<void> {
    const write: Statement = {
      name: 'hf_booking_write',
      text: WRITE_BOOKING_SQL,
      values: [
        booking.id,
        booking.reference,
        booking.slotId,
        booking.locationId,
        booking.name,
        booking.email,
        booking.phone,
        booking.holdUntil,
        booking.now,
        token.hash,
        mail.id,
        mail.messageId,
        JSON.stringify(mail.payload),
        mail.family,
        limits.dayStart,
        limits.dayEnd,
        limits.maxPerDay,
        booking.lang,
        limits.noShowLimit,
        booking.extraServiceIds,
        booking.extraMinutes,
      ],
    };
    const complete: Statement[] = idempotency
      ? [
          {
            name: 'hf_booking_complete_key',
            text: `UPDATE idempotency_keys SET booking_id = $2, response = $3 WHERE key = $1`,
            values: [idempotency.key, booking.id, JSON.stringify(idempotency.response)],
          },
        ]
      : [];
    try {
      await tx.commit([write, ...complete]);
    } catch (err) {
      const refused = err as { code?: string; message?: string };
      // A combined booking's later units without a free counter (trigger bookings_extra_units).
      if (refused?.code !== BOOKING_REFUSED_SQLSTATE) refuseWhenNoCounter(booking.slotId)(err);
      if (refused.message === 'booking_limit_slot')
        throw new DomainError('BOOKING_LIMIT_SLOT', 'This e-mail address already has a booking for this slot.');
      if (refused.message === 'booking_limit_no_show')
        throw new DomainError(
          'BOOKING_LIMIT_NO_SHOW',
          `This e-mail address missed ${limits.noShowLimit} or more appointments in the last 90 days; please book at the office.`,
          { limit: limits.noShowLimit },
        );
      throw new DomainError(
        'BOOKING_LIMIT_DAY',
        `An e-mail address may hold at most ${limits.maxPerDay} bookings per office and day.`,
        {
          limit: limits.maxPerDay,
        },
      );
    }
  }

  /**
   * Bookings whose personal data is due for anonymisation: not yet anonymised, and their
   * appointment (expired: the expiry, cancelled: the cancellation) ended before `cutoff`. Locked,
   * skipping rows another instance's run holds, oldest first.
   */
  async lockDueForAnonymising(manager: EntityManager, cutoff: Date, limit: number): Promise<string[]> {
    const rows = await sql<{ id: string }>(
      manager,
      `SELECT b.id FROM bookings b JOIN slots s ON s.id = b.slot_id
        WHERE b.anonymised_at IS NULL AND ${RETENTION_FROM_SQL} < $1
        ORDER BY b.created_at LIMIT $2 FOR UPDATE OF b SKIP LOCKED`,
      [cutoff, limit],
    );
    return rows.map((r) => r.id);
  }

  /** How many bookings are due for anonymisation at `cutoff` (the dry run). */
  async countDueForAnonymising(manager: EntityManager, cutoff: Date): Promise<string[]> {
    const rows = await sql<{ id: string }>(
      manager,
      `SELECT b.id FROM bookings b JOIN slots s ON s.id = b.slot_id WHERE b.anonymised_at IS NULL AND ${RETENTION_FROM_SQL} < $1`,
      [cutoff],
    );
    return rows.map((r) => r.id);
  }

  /** The bookings of an address (as its mailbox sees it: `email_key`), not yet anonymised, locked. */
  async lockOfAddress(
    manager: EntityManager,
    email: string,
  ): Promise<Array<{ id: string; reference: string; status: BookingStatus; slotEndsAt: Date }>> {
    return sql(
      manager,
      `SELECT b.id, b.reference, b.status, s.ends_at AS "slotEndsAt" FROM bookings b JOIN slots s ON s.id = b.slot_id
        WHERE b.email_key = holdfast_address_key($1) AND b.anonymised_at IS NULL ORDER BY b.created_at FOR UPDATE OF b`,
      [email],
    );
  }

  /** Everything a booking row holds, for the bookings of an address (its data export). */
  ofAddress(manager: EntityManager, email: string): Promise<Array<Record<string, unknown>>> {
    return sql(
      manager,
      `SELECT b.id, b.reference, b.name, b.email, b.phone, b.status, b.lang, b.created_at AS "createdAt",
              b.confirmed_at AS "confirmedAt", b.cancelled_at AS "cancelledAt", b.expired_at AS "expiredAt",
              b.expiry_reason AS "expiryReason", b.attendance, b.walk_in AS "walkIn",
              s.starts_at AS "startsAt", s.ends_at AS "endsAt", l.name AS "location", sv.name AS "service"
         FROM bookings b JOIN slots s ON s.id = b.slot_id JOIN locations l ON l.id = b.location_id JOIN services sv ON sv.id = s.service_id
        WHERE b.email_key = holdfast_address_key($1) ORDER BY b.created_at, b.id`,
      [email],
    );
  }

  /**
   * Name, address and phone of these bookings replaced in place (the row, its status and times
   * stay): the address becomes one of the row's own under `.invalid` (ck_bookings_anonymised), so
   * its key counts against no real address. Returns the ids anonymised now.
   */
  async anonymise(manager: EntityManager, ids: string[], now: Date): Promise<string[]> {
    if (ids.length === 0) return [];
    const rows = await sql<{ id: string }>(
      manager,
      `UPDATE bookings SET name = '${ANONYMISED}', email = 'anonymised.' || id || '@holdfast.invalid', phone = NULL, anonymised_at = $2
        WHERE id = ANY($1::uuid[]) AND anonymised_at IS NULL RETURNING id`,
      [ids, now],
    );
    return rows.map((r) => r.id);
  }

  /** Idempotency keys older than a week (a retry comes within minutes, not a week). */
  async deleteOldIdempotencyKeys(manager: EntityManager, now: Date): Promise<void> {
    await sql(manager, `DELETE FROM idempotency_keys WHERE created_at < $1::timestamptz - interval '7 days'`, [now]);
  }

  /**
   * The new address's active bookings at this office on this booking's day, under the address
   * lock (the same lock and limit as a new booking).
   */
  async activeOnDayOfAddress(
    manager: EntityManager,
    email: string,
    booking: { id: string; locationId: string; dayStart: Date; dayEnd: Date },
  ): Promise<number> {
    await sql(manager, `SELECT pg_advisory_xact_lock(hashtext('booking-address:' || holdfast_address_key($1)))`, [email]);
    const row = await sqlOne<{ n: number }>(
      manager,
      `SELECT count(*)::int AS n FROM bookings x JOIN slots s ON s.id = x.slot_id
        WHERE x.email_key = holdfast_address_key($1) AND x.location_id = $2 AND x.status IN ('pending', 'confirmed') AND x.id <> $3
          AND s.starts_at >= $4 AND s.starts_at < $5`,
      [email, booking.locationId, booking.id, booking.dayStart, booking.dayEnd],
    );
    return row!.n;
  }

  async setEmail(manager: EntityManager, id: string, email: string): Promise<void> {
    await sql(manager, `UPDATE bookings SET email = $2 WHERE id = $1 AND status = 'pending'`, [id, email]);
  }

  async setPhone(manager: EntityManager, id: string, phone: string): Promise<void> {
    await sql(manager, `UPDATE bookings SET phone = $2 WHERE id = $1 AND status = 'pending'`, [id, phone]);
  }

  /**
   * Confirmed bookings whose appointment starts within `hours` and that have no reminder yet;
   * only those booked before that point (a booking made the evening before needs none).
   */
  dueForReminder(manager: EntityManager, now: Date, hours: number, limit: number): Promise<BookingRow[]> {
    return sql<BookingRow>(
      manager,
      `${BOOKING_SELECT}
        WHERE b.status = 'confirmed' AND NOT b.walk_in AND s.starts_at > $1 AND s.starts_at <= $1 + make_interval(hours => $2)
          AND b.created_at < s.starts_at - make_interval(hours => $2)
          AND NOT EXISTS (SELECT 1 FROM outbox_messages r WHERE r.booking_id = b.id AND r.kind = 'booking_reminder')
        ORDER BY s.starts_at LIMIT $3`,
      [now, hours, limit],
    );
  }

  findByIds(manager: EntityManager, ids: string[]): Promise<BookingRow[]> {
    return sql<BookingRow>(manager, `${BOOKING_SELECT} WHERE b.id = ANY($1::uuid[])`, [ids]);
  }

  /**
   * An office's figures for [from, to) (all offices without `locationId`): bookings made,
   * confirmed, expired by reason, rescued (confirmed although their mail was deferred, delayed or
   * held on the way), cancelled, no-shows. Aggregates only.
   */
  async figures(manager: EntityManager, locationId: string | null, from: Date, to: Date) {
    const row = await sqlOne<Record<string, number>>(
      manager,
      `SELECT count(*) FILTER (WHERE b.created_at >= $2 AND b.created_at < $3 AND NOT b.walk_in)::int AS made,
              count(*) FILTER (WHERE b.walk_in AND b.created_at >= $2 AND b.created_at < $3)::int AS "walkIns",
              count(*) FILTER (WHERE b.confirmed_at >= $2 AND b.confirmed_at < $3 AND NOT b.walk_in)::int AS confirmed,
              count(*) FILTER (WHERE b.expired_at >= $2 AND b.expired_at < $3 AND b.expiry_reason = 'not_confirmed')::int AS "expiredNotConfirmed",
              count(*) FILTER (WHERE b.expired_at >= $2 AND b.expired_at < $3 AND b.expiry_reason = 'mail_undelivered')::int AS "expiredMailUndelivered",
              count(*) FILTER (WHERE b.confirmed_at >= $2 AND b.confirmed_at < $3 AND NOT b.walk_in AND (
                 b.hold_reason IN ('waiting_for_delivery', 'goodwill', 'reinstated')
                 OR EXISTS (SELECT 1 FROM outbox_messages o JOIN mail_attempts a ON a.message_id = o.id
                             WHERE o.booking_id = b.id AND o.kind IN ${sqlList(CONFIRMATION_KINDS)} AND a.outcome = 'deferred')
                 OR EXISTS (SELECT 1 FROM outbox_messages o JOIN delivery_events e ON e.message_id = o.id
                             WHERE o.booking_id = b.id AND o.kind IN ${sqlList(CONFIRMATION_KINDS)} AND e.state_after IN ('delayed', 'held_provider_blocked')))
              )::int AS rescued,
              count(*) FILTER (WHERE b.cancelled_at >= $2 AND b.cancelled_at < $3)::int AS cancelled,
              count(*) FILTER (WHERE b.attendance = 'no_show' AND b.attendance_at >= $2 AND b.attendance_at < $3)::int AS "noShows"
         FROM bookings b
        WHERE ($1::uuid IS NULL OR b.location_id = $1) AND b.created_at < $3`,
      [locationId, from, to],
    );
    return row!;
  }

  /** An office's day at the counter: every booking whose slot starts in [from, to), by time. */
  dayList(manager: EntityManager, locationId: string, from: Date, to: Date) {
    return sql<DayListRow>(
      manager,
      `SELECT b.id, b.reference, b.name, b.status, b.attendance, b.attendance_at AS "attendanceAt", b.walk_in AS "walkIn",
              s.starts_at AS "startsAt", s.ends_at AS "endsAt", sv.name AS "serviceName"
         FROM bookings b JOIN slots s ON s.id = b.slot_id JOIN services sv ON sv.id = s.service_id
        WHERE b.location_id = $1 AND s.starts_at >= $2 AND s.starts_at < $3
        ORDER BY s.starts_at, b.reference`,
      [locationId, from, to],
    );
  }

  /** Records who came (or did not), for a confirmed booking; false when it changed meanwhile. */
  async setAttendance(manager: EntityManager, id: string, state: 'arrived' | 'served' | 'no_show', now: Date): Promise<boolean> {
    const rows = await sql(
      manager,
      `UPDATE bookings SET attendance = $2, attendance_at = $3 WHERE id = $1 AND status = 'confirmed' RETURNING id`,
      [id, state, now],
    );
    return rows.length === 1;
  }

  /**
   * A walk-in: someone at the desk gets a free counter now; the booking is confirmed at once (no
   * mail, no reminder), in the caller's transaction after its place was taken (reservePlace).
   */
  async insertWalkIn(
    manager: EntityManager,
    walkIn: { id: string; reference: string; slotId: string; locationId: string; name: string; email: string; now: Date },
  ): Promise<void> {
    await sql(
      manager,
      `INSERT INTO bookings (id, reference, slot_id, location_id, name, email, status, hold_until, created_at, hold_started_at,
                             confirmed_at, walk_in, attendance, attendance_at)
       VALUES ($1, $2, $3, $4, $5, $6, 'confirmed', $7, $7, $7, $7, true, 'arrived', $7)`,
      [walkIn.id, walkIn.reference, walkIn.slotId, walkIn.locationId, walkIn.name, walkIn.email, walkIn.now],
    );
  }

  /** A slot's service and start, for the rules of a move. */
  slotFacts(manager: EntityManager, slotId: string) {
    return sqlOne<{ slotId: string; serviceId: string; locationId: string; startsAt: Date }>(
      manager,
      `SELECT id AS "slotId", service_id AS "serviceId", location_id AS "locationId", starts_at AS "startsAt" FROM slots WHERE id = $1`,
      [slotId],
    );
  }

  /**
   * Moves an active booking to another slot: the new place is taken (the conditional update,
   * the office's counters by the trigger) before the old one is given back, in the caller's
   * transaction; the calendar SEQUENCE rises; a pending hold never runs past the new slot's
   * start. False when the new slot has no place (nothing changed).
   */
  async moveToSlot(manager: EntityManager, booking: BookingRow, slotId: string, now: Date): Promise<boolean> {
    const taken = await this.reservePlace(manager, slotId, now);
    if (!taken) return false;
    await this.releaseCapacity(manager, booking.slotId);
    await sql(
      manager,
      `UPDATE bookings b SET slot_id = $2, location_id = $3, ics_sequence = ics_sequence + 1,
              hold_until = CASE WHEN b.status = 'pending' THEN LEAST(b.hold_until, $4) ELSE b.hold_until END
        WHERE b.id = $1`,
      [booking.id, taken.slotId, taken.locationId, taken.startsAt],
      // A combined appointment's later units move with it (trigger bookings_extra_units): none free there, SLOT_FULL.
    ).catch(refuseWhenNoCounter(slotId));
    return true;
  }

  /**
   * A booking a change of hours let go (cancelled in the change's transaction) back in its former
   * status at another slot: the place taken first (conditional update, counters by the triggers),
   * the calendar SEQUENCE raised, a pending hold never past the new start. False when the slot has
   * no place (nothing changed).
   */
  async restoreAtSlot(manager: EntityManager, booking: BookingRow, slotId: string, now: Date): Promise<boolean> {
    const taken = await this.reservePlace(manager, slotId, now);
    if (!taken) return false;
    await sql(
      manager,
      `UPDATE bookings b SET status = $4::varchar, cancelled_at = NULL, slot_id = $2, location_id = $3, ics_sequence = ics_sequence + 1,
              hold_until = CASE WHEN $4::varchar = 'pending' THEN LEAST(b.hold_until, $5) ELSE b.hold_until END
        WHERE b.id = $1 AND b.status = 'cancelled'`,
      [booking.id, taken.slotId, taken.locationId, booking.status, taken.startsAt],
    ).catch(refuseWhenNoCounter(slotId));
    return true;
  }

  /** Active bookings at an office whose slot overlaps [from, to), by time; locked when asked (in id order). */
  async activeBetween(
    manager: EntityManager,
    locationId: string,
    from: Date,
    to: Date,
    forUpdate = false,
  ): Promise<BookingRow[]> {
    const rows = await sql<BookingRow>(
      manager,
      `${BOOKING_SELECT} WHERE b.location_id = $1 AND s.starts_at < $3 AND s.ends_at + make_interval(mins => b.extra_minutes) > $2
          AND b.status IN ('pending', 'confirmed')
        ORDER BY b.id${forUpdate ? ' FOR UPDATE OF b' : ''}`,
      [locationId, from, to],
    );
    return rows.sort((a, b) => a.slotStartsAt.getTime() - b.slotStartsAt.getTime() || a.reference.localeCompare(b.reference));
  }

  /**
   * Staff search: a reference (exact, as read out), an e-mail address (exact, any case) or part of
   * a name; the latest appointments first; only these offices when given.
   */
  search(
    manager: EntityManager,
    term: string,
    reference: string,
    locationIds: string[] | null,
    limit: number,
  ): Promise<BookingRow[]> {
    return sql<BookingRow>(
      manager,
      `${BOOKING_SELECT}
        WHERE (b.reference = $2 OR lower(b.email) = lower($1) OR b.name ILIKE '%' || replace(replace(replace($1, '\\', '\\\\'), '%', '\\%'), '_', '\\_') || '%')
          AND ($3::uuid[] IS NULL OR b.location_id = ANY($3::uuid[]))
        ORDER BY s.starts_at DESC, b.id LIMIT $4`,
      [term, reference, locationIds, limit],
    );
  }

  /** Active bookings ahead that hold this service (as the slot's or a combined one). */
  async countActiveOfService(manager: EntityManager, serviceId: string, now: Date): Promise<number> {
    const row = await sqlOne<{ n: number }>(
      manager,
      `SELECT count(*)::int AS n FROM bookings b JOIN slots s ON s.id = b.slot_id
        WHERE b.status IN ('pending', 'confirmed') AND s.ends_at > $2 AND (s.service_id = $1 OR $1 = ANY(b.extra_service_ids))`,
      [serviceId, now],
    );
    return row!.n;
  }

  findById(manager: EntityManager, id: string, forUpdate = false): Promise<BookingRow | undefined> {
    return sqlOne<BookingRow>(manager, `${BOOKING_SELECT} WHERE b.id = $1${forUpdate ? ' FOR UPDATE OF b' : ''}`, [id]);
  }

  findByTokenHash(manager: EntityManager, hash: Buffer, forUpdate = false): Promise<BookingRow | undefined> {
    return sqlOne<BookingRow>(
      manager,
      `${BOOKING_SELECT} JOIN confirmation_tokens t ON t.booking_id = b.id
        WHERE t.token_hash = $1 AND t.revoked_at IS NULL${forUpdate ? ' FOR UPDATE OF b' : ''}`,
      [hash],
    );
  }

  /** Compare-and-swap: only a pending booking whose hold is still running becomes confirmed. */
  async markConfirmed(manager: EntityManager, id: string, now: Date): Promise<boolean> {
    const rows = await sql(
      manager,
      `UPDATE bookings SET status = 'confirmed', confirmed_at = $2 WHERE id = $1 AND status = 'pending' AND hold_until > $2 RETURNING id`,
      [id, now],
    );
    return rows.length === 1;
  }

  /** Compare-and-swap from an active status; returns the slot whose capacity to release. */
  async markCancelled(manager: EntityManager, id: string, now: Date): Promise<boolean> {
    const rows = await sql(
      manager,
      `UPDATE bookings SET status = 'cancelled', cancelled_at = $2 WHERE id = $1 AND status IN ('pending', 'confirmed') RETURNING id`,
      [id, now],
    );
    return rows.length === 1;
  }

  /** Pending bookings whose stored hold has run out, locked (SKIP LOCKED: instances share the work). */
  async lockDue(manager: EntityManager, now: Date, limit: number): Promise<string[]> {
    const rows = await sql<{ id: string }>(
      manager,
      `SELECT id FROM bookings WHERE status = 'pending' AND hold_until <= $1 ORDER BY hold_until LIMIT $2 FOR UPDATE SKIP LOCKED`,
      [now, limit],
    );
    return rows.map((r) => r.id);
  }

  /**
   * Expires the given pending bookings with their reasons in one statement, capacity released in
   * the same statement; a mail that never arrived puts the booking in the clerks' review queue.
   * Nothing is deleted. The caller withdraws their unsent mail.
   */
  async expire(
    manager: EntityManager,
    now: Date,
    expiries: Array<{ id: string; reason: ExpiryReason }>,
  ): Promise<Array<{ id: string; expiryReason: ExpiryReason }>> {
    if (expiries.length === 0) return [];
    // Slot rows locked in id order first: two sweepers releasing into the same slots cannot deadlock.
    await sql(
      manager,
      `SELECT s.id FROM slots s WHERE s.id IN (SELECT slot_id FROM bookings WHERE id = ANY($1::uuid[])) ORDER BY s.id FOR UPDATE OF s`,
      [expiries.map((e) => e.id)],
    );
    return sql(
      manager,
      `WITH v AS (
         SELECT * FROM unnest($2::uuid[], $3::varchar[]) AS t(id, reason)
       ), expired AS (
         UPDATE bookings b
            SET status = 'expired', expired_at = $1, expiry_reason = v.reason,
                review_status = CASE WHEN v.reason = 'mail_undelivered' THEN 'open' ELSE b.review_status END
           FROM v WHERE b.id = v.id AND b.status = 'pending'
         RETURNING b.id, b.slot_id, b.expiry_reason
       ), released AS (
         UPDATE slots s SET booked = s.booked - e.n
           FROM (SELECT slot_id, count(*)::int AS n FROM expired GROUP BY slot_id) e
          WHERE s.id = e.slot_id
         RETURNING s.id
       )
       SELECT id, expiry_reason AS "expiryReason" FROM expired`,
      [now, expiries.map((e) => e.id), expiries.map((e) => e.reason)],
    );
  }

  /** Row locks on these bookings, in id order (the order every multi-booking lock takes). */
  async lock(manager: EntityManager, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await sql(manager, `SELECT id FROM bookings WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE`, [ids]);
  }

  // --- Holds -------------------------------------------------------------------------------------

  /** What the hold policy needs of these pending bookings (their messages come from the outbox). */
  holdFacts(manager: EntityManager, ids: string[]): Promise<HoldFacts[]> {
    return sql<HoldFacts>(
      manager,
      `SELECT b.id, b.email, b.hold_started_at AS "holdStartedAt", s.starts_at AS "slotStartsAt", b.hold_until AS "holdUntil",
              b.goodwill_until AS "goodwillUntil"
         FROM bookings b JOIN slots s ON s.id = b.slot_id
        WHERE b.id = ANY($1::uuid[]) AND b.status = 'pending'`,
      [ids],
    );
  }

  /** The hold policy's outcome for these pending bookings, decided in SQL (no writes). */
  holdDecisions(manager: EntityManager, ids: string[], now: Date, settings: HoldSettings): Promise<DecidedHold[]> {
    return sql<DecidedHold>(
      manager,
      `WITH ${HOLD_DECISIONS}
       SELECT id, hold_until AS "holdUntil", hold_until <= $2::timestamptz AS expires, reason, expiry_reason AS "expiryReason"
         FROM decided`,
      holdParams(ids, now, settings),
    );
  }

  /**
   * Decides these pending bookings' holds in SQL and stores those that still run after `now` (only
   * what changed), in one statement; returns every decision, `expires` where the hold has ended.
   */
  storeRunningHolds(
    manager: EntityManager,
    ids: string[],
    now: Date,
    settings: HoldSettings,
  ): Promise<Array<{ id: string; expires: boolean; expiryReason: ExpiryReason }>> {
    return sql(
      manager,
      `WITH ${HOLD_DECISIONS}, stored AS (
         UPDATE bookings b SET hold_until = d.hold_until, hold_reason = d.reason
           FROM decided d
          -- b.id = ANY($1): the planner probes the primary key instead of scanning every pending booking.
          WHERE b.id = d.id AND b.id = ANY($1::uuid[]) AND d.hold_until > $2::timestamptz AND b.status = 'pending'
            AND (b.hold_until IS DISTINCT FROM d.hold_until OR b.hold_reason IS DISTINCT FROM d.reason)
       )
       SELECT id, hold_until <= $2::timestamptz AS expires, expiry_reason AS "expiryReason" FROM decided`,
      holdParams(ids, now, settings),
    );
  }

  /** Stores decided holds (of bookings still pending), writing only what changed. */
  async storeHolds(manager: EntityManager, holds: Array<{ id: string; holdUntil: Date; reason: string }>): Promise<void> {
    if (holds.length === 0) return;
    await sql(
      manager,
      `UPDATE bookings b SET hold_until = v.hold_until, hold_reason = v.reason
         FROM unnest($1::uuid[], $2::timestamptz[], $3::varchar[]) AS v(id, hold_until, reason)
        WHERE b.id = v.id AND b.status = 'pending' AND (b.hold_until IS DISTINCT FROM v.hold_until OR b.hold_reason IS DISTINCT FROM v.reason)`,
      [holds.map((h) => h.id), holds.map((h) => h.holdUntil), holds.map((h) => h.reason)],
    );
  }

  /** Staff goodwill for one pending booking. */
  async setGoodwill(manager: EntityManager, id: string, until: Date): Promise<void> {
    await sql(manager, `UPDATE bookings SET goodwill_until = $2 WHERE id = $1 AND status = 'pending'`, [id, until]);
  }

  /** Bulk goodwill (an incident): each pending booking gets `until`, never past its slot start minus the cutoff. */
  async grantGoodwill(manager: EntityManager, ids: string[], until: Date, cutoffMinutes: number): Promise<void> {
    await sql(
      manager,
      `UPDATE bookings b
          SET goodwill_until = GREATEST(COALESCE(b.goodwill_until, '-infinity'), LEAST($2::timestamptz, s.starts_at - make_interval(mins => $3)))
         FROM slots s WHERE s.id = b.slot_id AND b.id = ANY($1::uuid[]) AND b.status = 'pending'`,
      [ids, until, cutoffMinutes],
    );
  }

  /** How many of these bookings' slots start too soon for a hold until `until` (the cutoff caps them). */
  async countCappedBySlotStart(manager: EntityManager, ids: string[], until: Date, cutoffMinutes: number): Promise<number> {
    const row = await sqlOne<{ n: number }>(
      manager,
      `SELECT count(*)::int AS n FROM bookings b JOIN slots s ON s.id = b.slot_id
        WHERE b.id = ANY($1::uuid[]) AND s.starts_at - make_interval(mins => $3) < $2`,
      [ids, until, cutoffMinutes],
    );
    return row!.n;
  }

  // --- Review --------------------------------------------------------------------------------------

  /**
   * The review queue: bookings that expired because the mail never arrived (open reviews unless
   * asked), and pending bookings still waiting for their mail. Newest first.
   */
  async reviewQueue(manager: EntityManager, filter: ReviewFilter): Promise<{ items: ReviewItem[]; total: number }> {
    const rows = await sql<ReviewItem & { total: number }>(
      manager,
      `WITH last_mail AS (${latestConfirmationMailSql()})
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
                ($1::text IS DISTINCT FROM 'held_for_mail' AND b.status = 'expired' AND b.expiry_reason = 'mail_undelivered'
                 AND (b.review_status = 'open' OR $5::boolean))
             OR ($1::text IS DISTINCT FROM 'mail_undelivered' AND b.status = 'pending' AND lm.state IN ${sqlList(UNDELIVERED)})
              )
          AND ($2::uuid IS NULL OR b.location_id = $2)
          AND ($8::uuid[] IS NULL OR b.location_id = ANY($8::uuid[]))
          AND ($3::date IS NULL OR (s.starts_at AT TIME ZONE l.time_zone)::date = $3::date)
          AND ($4::text IS NULL OR lm.family = $4)
        ORDER BY COALESCE(b.expired_at, b.created_at) ${filter.oldestFirst ? 'ASC' : 'DESC'}, b.created_at ${filter.oldestFirst ? 'ASC' : 'DESC'}, b.id
        LIMIT $6 OFFSET $7`,
      [
        filter.reason ?? null,
        filter.locationId ?? null,
        filter.day ?? null,
        filter.family ?? null,
        filter.includeClosed ?? false,
        filter.limit,
        filter.offset,
        filter.locationIds ?? null,
      ],
    );
    return { items: rows.map(({ total, ...r }) => r), total: rows[0]?.total ?? 0 };
  }

  /** Reserves a place in the slot a clerk chose (the normal conditional update). */
  reservePlace(manager: EntityManager, slotId: string, now: Date) {
    return sqlOne<{ slotId: string; locationId: string; startsAt: Date }>(
      manager,
      `UPDATE slots SET booked = booked + 1 WHERE id = $1 AND booked < capacity AND starts_at > $2
       RETURNING id AS "slotId", location_id AS "locationId", starts_at AS "startsAt"`,
      [slotId, now],
    ).catch(refuseWhenNoCounter(slotId));
  }

  /** Expired -> pending, in the given slot, with a fresh hold that starts now; the review is done. */
  async reinstate(
    manager: EntityManager,
    id: string,
    reinstatement: { slotId: string; locationId: string; holdUntil: Date; now: Date },
  ): Promise<boolean> {
    const rows = await sql(
      manager,
      `UPDATE bookings SET status = 'pending', slot_id = $2, location_id = $3, hold_until = $4, hold_started_at = $5,
              expired_at = NULL, expiry_reason = NULL, hold_reason = 'reinstated',
              review_status = CASE WHEN review_status IS NULL THEN NULL ELSE 'closed' END,
              review_closed_at = CASE WHEN review_status IS NULL THEN NULL ELSE $5::timestamptz END
        WHERE id = $1 AND status = 'expired' RETURNING id`,
      [id, reinstatement.slotId, reinstatement.locationId, reinstatement.holdUntil, reinstatement.now],
      // A combined appointment takes its later units again (trigger bookings_extra_units): none free, SLOT_FULL.
    ).catch(refuseWhenNoCounter(reinstatement.slotId));
    return rows.length === 1;
  }

  async confirmByStaff(manager: EntityManager, id: string, now: Date): Promise<boolean> {
    const rows = await sql(
      manager,
      `UPDATE bookings SET status = 'confirmed', confirmed_at = $2 WHERE id = $1 AND status = 'pending' RETURNING id`,
      [id, now],
    );
    return rows.length === 1;
  }

  async closeReview(manager: EntityManager, id: string, now: Date): Promise<boolean> {
    const rows = await sql(
      manager,
      `UPDATE bookings SET review_status = 'closed', review_closed_at = $2
        WHERE id = $1 AND status = 'expired' AND review_status = 'open' RETURNING id`,
      [id, now],
    );
    return rows.length === 1;
  }

  // --- Confirmation links and SMS codes ------------------------------------------------------------

  /** Every link of the booking dies, and an SMS code sent earlier with them. */
  async revokeConfirmations(manager: EntityManager, bookingId: string, now: Date): Promise<void> {
    await sql(manager, `UPDATE confirmation_tokens SET revoked_at = $2 WHERE booking_id = $1 AND revoked_at IS NULL`, [
      bookingId,
      now,
    ]);
    await sql(manager, `UPDATE confirmation_codes SET locked_at = $2 WHERE booking_id = $1 AND locked_at IS NULL`, [
      bookingId,
      now,
    ]);
  }

  async insertToken(manager: EntityManager, bookingId: string, hash: Buffer, now: Date): Promise<void> {
    await sql(manager, `INSERT INTO confirmation_tokens (booking_id, token_hash, created_at) VALUES ($1, $2, $3)`, [
      bookingId,
      hash,
      now,
    ]);
  }

  /** The booking's SMS code, new or replacing the last one (tries reset, also those of every source). */
  async setCode(manager: EntityManager, bookingId: string, hash: Buffer, now: Date): Promise<void> {
    await sql(
      manager,
      `WITH code AS (
         INSERT INTO confirmation_codes (booking_id, code_hash, failed_attempts, locked_at, created_at) VALUES ($1, $2, 0, NULL, $3)
         ON CONFLICT (booking_id)
         DO UPDATE SET code_hash = EXCLUDED.code_hash, failed_attempts = 0, locked_at = NULL, created_at = EXCLUDED.created_at
       )
       DELETE FROM confirmation_code_failures WHERE reference = (SELECT reference FROM bookings WHERE id = $1)`,
      [bookingId, hash, now],
    );
  }

  /** Wrong codes for this reference from this source since `since`. */
  async codeFailuresFrom(manager: EntityManager, reference: string, source: string, since: Date): Promise<number> {
    const row = await sqlOne<{ failures: number }>(
      manager,
      `SELECT failures FROM confirmation_code_failures WHERE reference = $1 AND source = $2 AND last_failure_at >= $3`,
      [reference, source, since],
    );
    return row?.failures ?? 0;
  }

  /** One more wrong code from this source; a count older than `since` starts again. */
  async countCodeFailure(manager: EntityManager, reference: string, source: string, now: Date, since: Date): Promise<void> {
    await sql(
      manager,
      `INSERT INTO confirmation_code_failures AS f (reference, source, failures, last_failure_at) VALUES ($1, $2, 1, $3)
       ON CONFLICT (reference, source) DO UPDATE
         SET failures = CASE WHEN f.last_failure_at < $4 THEN 1 ELSE f.failures + 1 END, last_failure_at = $3`,
      [reference, source, now, since],
    );
  }

  /** Counts older than `before` are of no use any more. */
  async deleteCodeFailuresBefore(manager: EntityManager, before: Date): Promise<number> {
    return (await sql(manager, `DELETE FROM confirmation_code_failures WHERE last_failure_at < $1 RETURNING 1`, [before])).length;
  }

  /** The SMS code of the booking with this reference, locked. */
  codeOfReference(manager: EntityManager, reference: string) {
    return sqlOne<{ id: string; codeHash: Buffer; failedAttempts: number; lockedAt: Date | null }>(
      manager,
      `SELECT b.id, c.code_hash AS "codeHash", c.failed_attempts AS "failedAttempts", c.locked_at AS "lockedAt"
         FROM bookings b JOIN confirmation_codes c ON c.booking_id = b.id WHERE b.reference = $1 FOR UPDATE OF c`,
      [reference],
    );
  }

  /** A wrong code: counted, and the code locked at `maxTries`. */
  async recordWrongCode(manager: EntityManager, bookingId: string, maxTries: number, now: Date): Promise<void> {
    await sql(
      manager,
      `UPDATE confirmation_codes SET failed_attempts = failed_attempts + 1,
              locked_at = CASE WHEN failed_attempts + 1 >= $2 THEN $3::timestamptz ELSE NULL END
        WHERE booking_id = $1`,
      [bookingId, maxTries, now],
    );
  }

  /** /metrics: bookings ever made and confirmed, and expired by reason (rows are never deleted, so these only grow). */
  async lifetimeCounts(
    manager: EntityManager,
  ): Promise<{ created: number; confirmed: number; expired: Array<{ reason: ExpiryReason; n: number }> }> {
    const [totals, expired] = await Promise.all([
      sqlOne<{ created: number; confirmed: number }>(
        manager,
        `SELECT count(*)::int AS created, count(confirmed_at)::int AS confirmed FROM bookings`,
      ),
      sql<{ reason: ExpiryReason; n: number }>(
        manager,
        `SELECT expiry_reason AS reason, count(*)::int AS n FROM bookings WHERE expired_at IS NOT NULL GROUP BY 1`,
      ),
    ]);
    return { created: totals?.created ?? 0, confirmed: totals?.confirmed ?? 0, expired };
  }
}

export interface DecidedHold {
  id: string;
  holdUntil: Date;
  /** The hold has ended at the decision's `now`: the sweeper expires the booking. */
  expires: boolean;
  reason: HoldReason;
  expiryReason: ExpiryReason;
}

export interface HoldFacts {
  id: string;
  email: string;
  holdStartedAt: Date;
  slotStartsAt: Date;
  holdUntil: Date;
  goodwillUntil: Date | null;
}

export interface ReviewFilter {
  /** The console works the queue oldest first; the API lists newest first. */
  oldestFirst?: boolean;
  reason?: 'mail_undelivered' | 'held_for_mail';
  locationId?: string;
  day?: string;
  family?: string;
  includeClosed?: boolean;
  /** A bound clerk's offices (null: all). */
  locationIds?: string[] | null;
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
