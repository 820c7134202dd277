import { Inject, Injectable } from '@nestjs/common';
import { DateTime } from 'luxon';
import { EntityManager } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { ConfirmationFact, OutboxRepository } from '../outbox/outbox.repository';
import { ExpiryReason } from './booking-state';
import { BookingsRepository, HoldFacts } from './bookings.repository';
import { HoldInput, holdOutcome, HoldOutcome as PolicyOutcome, HoldSettings } from './hold-policy';

/** A booking's hold outcome (hold-policy.ts `holdOutcome`). */
export interface HoldOutcome extends PolicyOutcome {
  id: string;
}

const dt = (d: Date | string) => DateTime.fromJSDate(new Date(d), { zone: 'utc' });

/**
 * Applies the hold policy (hold-policy.ts, pure) to pending bookings and writes the result, in
 * the caller's transaction: a delivery state change and the booking's new hold end commit together.
 */
@Injectable()
export class HoldService {
  constructor(
    private readonly bookings: BookingsRepository,
    private readonly outbox: OutboxRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Decisions for pending bookings (no writes). */
  async decideHolds(manager: EntityManager, bookingIds: string[], now: DateTime): Promise<HoldOutcome[]> {
    if (bookingIds.length === 0) return [];
    const facts = await this.bookings.holdFacts(manager, bookingIds);
    const messages = await this.outbox.confirmationFacts(manager, facts);
    const byBooking = new Map<string, ConfirmationFact[]>();
    for (const fact of messages) byBooking.set(fact.bookingId, [...(byBooking.get(fact.bookingId) ?? []), fact]);
    return facts.map((f) => this.outcome(f, byBooking.get(f.id) ?? [], now));
  }

  /** Recomputes and stores the hold of these bookings (those still pending). */
  async recompute(manager: EntityManager, bookingIds: string[], now: DateTime): Promise<HoldOutcome[]> {
    const outcomes = await this.decideHolds(manager, [...new Set(bookingIds)], now);
    await this.store(manager, outcomes);
    return outcomes;
  }

  /**
   * The sweeper's decision for these (locked) pending bookings, set-based in SQL: the same policy
   * (a test holds the SQL equal to hold-policy.ts), one statement for any number of bookings. Holds
   * that still run are stored at once; the bookings whose hold has ended come back with the reason.
   */
  async decideDue(
    manager: EntityManager,
    bookingIds: string[],
    now: DateTime,
  ): Promise<{ extended: number; expiring: Array<{ id: string; reason: ExpiryReason }> }> {
    if (bookingIds.length === 0) return { extended: 0, expiring: [] };
    const decided = await this.bookings.storeRunningHolds(manager, bookingIds, now.toJSDate(), this.settings());
    return {
      extended: decided.filter((d) => !d.expires).length,
      expiring: decided.filter((d) => d.expires).map((d) => ({ id: d.id, reason: d.expiryReason })),
    };
  }

  settings(): HoldSettings {
    return {
      confirmWindowMinutes: this.config.confirmWindowMinutes,
      holdMaxHours: this.config.holdMaxHours,
      confirmCutoffMinutes: this.config.confirmCutoffMinutes,
    };
  }

  async store(manager: EntityManager, outcomes: HoldOutcome[]): Promise<void> {
    await this.bookings.storeHolds(
      manager,
      outcomes.map((o) => ({ id: o.id, holdUntil: o.holdUntil.toJSDate(), reason: o.decision.reason })),
    );
  }

  private outcome(facts: HoldFacts, messages: ConfirmationFact[], now: DateTime): HoldOutcome {
    const input: HoldInput = {
      now,
      holdStartedAt: dt(facts.holdStartedAt),
      slotStartsAt: dt(facts.slotStartsAt),
      currentHoldUntil: dt(facts.holdUntil),
      goodwillUntil: facts.goodwillUntil ? dt(facts.goodwillUntil) : null,
      messages: messages.map((x) => ({
        channel: x.channel,
        state: x.state,
        acceptedAt: x.acceptedAt ? dt(x.acceptedAt) : null,
        acceptedBy: x.acceptedBy === 'sms_gateway' ? null : x.acceptedBy,
        deliveredAt: x.deliveredAt ? dt(x.deliveredAt) : null,
        evidence: x.deliveryEvidence,
        failedAt: x.failedAt ? dt(x.failedAt) : null,
      })),
      settings: this.settings(),
    };
    return { id: facts.id, ...holdOutcome(input) };
  }
}
