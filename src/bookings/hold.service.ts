import { Inject, Injectable } from '@nestjs/common';
import { DateTime } from 'luxon';
import { EntityManager } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { sql } from '../database/sql';
import type { OutboxState } from '../notifications/outbox.entities';
import { computeHold, expiryReasonFor, HoldDecision, HoldInput } from './hold-policy';
import { ExpiryReason, initialHoldUntil } from './booking-state';

interface HoldFacts {
  id: string;
  createdAt: Date;
  slotStartsAt: Date;
  holdUntil: Date;
  goodwillUntil: Date | null;
  messages: Array<{
    channel: 'email' | 'sms';
    state: OutboxState;
    acceptedAt: Date | null;
    acceptedBy: 'relay' | 'mx' | 'sms_gateway' | null;
    deliveredAt: Date | null;
  }> | null;
}

export interface HoldOutcome {
  id: string;
  decision: HoldDecision;
  holdUntil: DateTime;
  expiryReason: ExpiryReason;
}

const dt = (d: Date | string) => DateTime.fromJSDate(new Date(d), { zone: 'utc' });

/**
 * Applies the hold policy (hold-policy.ts, pure) to pending bookings and writes the result, in
 * the caller's transaction: a delivery state change and the booking's new hold end commit together.
 */
@Injectable()
export class HoldService {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /** Decisions for pending bookings (no writes). */
  async decide(m: EntityManager, bookingIds: string[], now: DateTime, lock = false): Promise<HoldOutcome[]> {
    if (bookingIds.length === 0) return [];
    const rows = await sql<HoldFacts>(
      m,
      `SELECT b.id, b.created_at AS "createdAt", s.starts_at AS "slotStartsAt", b.hold_until AS "holdUntil", b.goodwill_until AS "goodwillUntil",
              (SELECT json_agg(json_build_object('channel', o.channel, 'state', o.state, 'acceptedAt', o.accepted_at, 'acceptedBy', o.accepted_by, 'deliveredAt', o.delivered_at))
                 FROM outbox_messages o WHERE o.booking_id = b.id AND o.kind IN ('booking_confirmation', 'sms_confirmation')
                  -- Mail to an address the citizen has since replaced does not count.
                  AND (o.channel <> 'email' OR lower(o.recipient) = lower(b.email))) AS messages
         FROM bookings b JOIN slots s ON s.id = b.slot_id
        WHERE b.id = ANY($1::uuid[]) AND b.status = 'pending'${lock ? ' FOR UPDATE OF b' : ''}`,
      [bookingIds],
    );
    return rows.map((r) => this.outcome(r, now));
  }

  /** Recomputes and stores the hold of these bookings (those still pending). */
  async recompute(m: EntityManager, bookingIds: string[], now: DateTime): Promise<HoldOutcome[]> {
    const outcomes = await this.decide(m, [...new Set(bookingIds)], now);
    await this.store(m, outcomes);
    return outcomes;
  }

  async store(m: EntityManager, outcomes: HoldOutcome[]): Promise<void> {
    if (outcomes.length === 0) return;
    await sql(
      m,
      `UPDATE bookings b SET hold_until = v.hold_until, hold_reason = v.reason
         FROM unnest($1::uuid[], $2::timestamptz[], $3::varchar[]) AS v(id, hold_until, reason)
        WHERE b.id = v.id AND b.status = 'pending' AND (b.hold_until IS DISTINCT FROM v.hold_until OR b.hold_reason IS DISTINCT FROM v.reason)`,
      [outcomes.map((o) => o.id), outcomes.map((o) => o.holdUntil.toJSDate()), outcomes.map((o) => o.decision.reason)],
    );
  }

  private outcome(r: HoldFacts, now: DateTime): HoldOutcome {
    const input: HoldInput = {
      now,
      createdAt: dt(r.createdAt),
      slotStartsAt: dt(r.slotStartsAt),
      currentHoldUntil: dt(r.holdUntil),
      goodwillUntil: r.goodwillUntil ? dt(r.goodwillUntil) : null,
      messages: (r.messages ?? []).map((x) => ({
        channel: x.channel,
        state: x.state,
        acceptedAt: x.acceptedAt ? dt(x.acceptedAt) : null,
        acceptedBy: x.acceptedBy === 'sms_gateway' ? null : x.acceptedBy,
        deliveredAt: x.deliveredAt ? dt(x.deliveredAt) : null,
      })),
      settings: {
        confirmWindowMinutes: this.config.confirmWindowMinutes,
        holdMaxHours: this.config.holdMaxHours,
        confirmCutoffMinutes: this.config.confirmCutoffMinutes,
      },
    };
    const decision = computeHold(input);
    // A booking made at short notice keeps the window it was promised (cut at the slot start),
    // even where the cutoff leaves no room for extensions.
    const promised = initialHoldUntil(input.createdAt, input.slotStartsAt, this.config.confirmWindowMinutes);
    const holdUntil = decision.holdUntil < promised ? promised : decision.holdUntil;
    return { id: r.id, decision, holdUntil, expiryReason: expiryReasonFor(input) };
  }
}
