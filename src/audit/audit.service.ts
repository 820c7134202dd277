import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Clock } from '../common/clock';
import { SecretsService } from '../common/secrets.service';
import { AuditQuery, AuditRepository } from './audit.repository';

export interface Actor {
  id: string | null;
  label: string;
  /** For a clerk bound to offices: the only offices they may act at (undefined or null: every office). */
  locationIds?: string[] | null;
}

/** Whether this actor may see or change bookings of this office. */
export function actsAt(actor: Actor, locationId: string): boolean {
  return !actor.locationIds || actor.locationIds.includes(locationId);
}

export interface AuditRecord {
  action: string;
  bookingId?: string | null;
  reason?: string | null;
  before?: unknown;
  after?: unknown;
}

/** The keys of before/after whose values the log keeps as hashes only. */
const HASHED_KEYS = new Set(['email', 'phone']);

/** Who did what, when and why: every staff action and refusal, in the caller's transaction. */
@Injectable()
export class AuditService {
  constructor(
    private readonly repo: AuditRepository,
    private readonly clock: Clock,
    private readonly secrets: SecretsService,
  ) {}

  /** The keyed hash the log keeps for an e-mail address or phone number (see SecretsService.personalHash). */
  hashOf(value: string): string {
    return this.secrets.personalHash(value);
  }

  /** An entry's before/after with e-mail addresses and phone numbers replaced by their hashes. */
  private hashed(value: unknown): unknown {
    if (!value || typeof value !== 'object' || Array.isArray(value)) return value;
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) =>
        HASHED_KEYS.has(k) && typeof v === 'string' && !v.startsWith('hmac:') ? [k, this.secrets.personalHash(v)] : [k, v],
      ),
    );
  }

  record(manager: EntityManager, actor: Actor, record: AuditRecord): Promise<void> {
    return this.repo.insert(manager, {
      at: this.clock.now().toJSDate(),
      actorId: actor.id,
      actorLabel: actor.label,
      action: record.action,
      bookingId: record.bookingId ?? null,
      reason: record.reason ?? null,
      before: this.hashed(record.before),
      after: this.hashed(record.after),
    });
  }

  list(manager: EntityManager, query: AuditQuery) {
    return this.repo.list(manager, query);
  }

  ofBooking(manager: EntityManager, bookingId: string) {
    return this.repo.ofBooking(manager, bookingId);
  }

  countSince(
    manager: EntityManager,
    action: string,
    of: { actorLabel: string } | { bookingId: string },
    since: Date,
  ): Promise<number> {
    return this.repo.countSince(manager, action, of, since);
  }

  /** The personal values of these bookings' entries replaced (retention, erasure); how many entries changed. */
  anonymiseOfBookings(manager: EntityManager, bookingIds: string[]): Promise<number> {
    return this.repo.anonymiseOfBookings(manager, bookingIds);
  }

  countOfBookings(manager: EntityManager, bookingIds: string[]): Promise<number> {
    return this.repo.countOfBookings(manager, bookingIds);
  }

  /** An address's entries: its bookings' and those naming its hash. */
  ofAddress(manager: EntityManager, bookingIds: string[], email: string) {
    return this.repo.ofAddress(manager, bookingIds, this.hashOf(email));
  }
}
