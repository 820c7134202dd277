import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Clock } from '../common/clock';
import { AuditRepository } from './audit.repository';

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

/** Who did what, when and why: every staff action and refusal, in the caller's transaction. */
@Injectable()
export class AuditService {
  constructor(
    private readonly repo: AuditRepository,
    private readonly clock: Clock,
  ) {}

  record(manager: EntityManager, actor: Actor, record: AuditRecord): Promise<void> {
    return this.repo.insert(manager, {
      at: this.clock.now().toJSDate(),
      actorId: actor.id,
      actorLabel: actor.label,
      action: record.action,
      bookingId: record.bookingId ?? null,
      reason: record.reason ?? null,
      before: record.before,
      after: record.after,
    });
  }

  list(manager: EntityManager, query: { bookingId?: string; limit: number; before?: string }) {
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
}
