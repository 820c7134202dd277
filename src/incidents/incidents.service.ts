import { Inject, Injectable } from '@nestjs/common';
import { DateTime } from 'luxon';
import { EntityManager } from 'typeorm';
import { Actor, AuditService } from '../audit/audit.service';
import { BookingsRepository } from '../bookings/bookings.repository';
import { HoldService } from '../bookings/hold.service';
import { Clock } from '../common/clock';
import { DomainError } from '../common/domain-error';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { TransactionRunner, uniqueViolation } from '../database/transaction-runner';
import { ProviderCircuitsService } from '../mail-delivery/provider-circuits.service';
import { OutboxRepository } from '../outbox/outbox.repository';
import { IncidentRow, IncidentsRepository } from './incidents.repository';

export interface IncidentView {
  id: string;
  family: string;
  reason: string;
  declaredAt: string;
  declaredBy: string;
  endedAt: string | null;
  endedBy: string | null;
  endReason: string | null;
}

const FAMILY = /^[a-z0-9][a-z0-9.-]{0,63}$/;

/**
 * A supervisor's answer to a provider incident (the 2021 case: mail stuck in the relay's queue
 * for days). Declaring pauses the family and treats its relay-accepted, unconfirmed mail as
 * undelivered again, so the holds extend; a bulk goodwill extension (dry run first); ending
 * resumes the family and sends the held mail with an apology.
 */
@Injectable()
export class IncidentsService {
  constructor(
    private readonly tx: TransactionRunner,
    private readonly incidents: IncidentsRepository,
    private readonly bookings: BookingsRepository,
    private readonly outbox: OutboxRepository,
    private readonly circuits: ProviderCircuitsService,
    private readonly holds: HoldService,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async list(): Promise<IncidentView[]> {
    return (await this.incidents.list(this.tx.manager, 200)).map(view);
  }

  /** The dry run of a declaration: how many pending bookings have mail to this family (nothing changes). */
  async preview(family: string): Promise<{ family: string; bookings: number }> {
    if (!FAMILY.test(family))
      throw new DomainError('VALIDATION_FAILED', 'Unknown provider family name.', [
        { field: 'family', problems: ['lower-case letters, digits, dots and dashes'] },
      ]);
    return { family, bookings: (await this.outbox.pendingBookingsOfFamily(this.tx.manager, family)).length };
  }

  declare(family: string, reason: string, actor: Actor) {
    return this.audited('incident.declare', reason, actor, () => this.declareIn(family, reason, actor));
  }

  extendHolds(id: string, until: string, reason: string, dryRun: boolean, actor: Actor) {
    return this.audited('incident.extend_holds', reason, actor, () => this.extendHoldsIn(id, until, reason, dryRun, actor));
  }

  end(id: string, reason: string, actor: Actor) {
    return this.audited('incident.end', reason, actor, () => this.endIn(id, reason, actor));
  }

  /** A refused supervisor action is recorded too. */
  private async audited<T>(action: string, reason: string, actor: Actor, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      if (err instanceof DomainError)
        await this.audit.record(this.tx.manager, actor, {
          action: `${action}.refused`,
          reason,
          after: { code: err.code, message: err.message },
        });
      throw err;
    }
  }

  private async declareIn(
    family: string,
    reason: string,
    actor: Actor,
  ): Promise<IncidentView & { mailsTreatedAsUndelivered: number }> {
    if (!FAMILY.test(family))
      throw new DomainError('VALIDATION_FAILED', 'Unknown provider family name.', [
        { field: 'family', problems: ['lower-case letters, digits, dots and dashes'] },
      ]);
    const now = this.clock.now();
    try {
      return await this.tx.run(async (manager) => {
        const incident = await this.incidents.insert(manager, { family, reason, now: now.toJSDate(), by: actor.label });
        await this.circuits.applyEvent(
          manager,
          family,
          { type: 'pause', by: actor.label, at: now.toMillis() },
          { pauseReason: `incident: ${reason}` },
        );
        // Bookings first, in id order (the sweeper's lock order), then their mail.
        await this.bookings.lock(manager, await this.outbox.pendingBookingsOfFamily(manager, family));
        // Accepted by the relay but not confirmed: probably stuck in the relay's queue, so undelivered for the hold.
        const moved = await this.outbox.markRelayAcceptedDelayed(
          manager,
          family,
          `incident declared by ${actor.label}: ${reason}`,
          now.toJSDate(),
        );
        await this.holds.recompute(manager, moved, now);
        await this.audit.record(manager, actor, {
          action: 'incident.declare',
          reason,
          after: { incidentId: incident.id, family, mailsTreatedAsUndelivered: moved.length },
        });
        return { ...view(incident), mailsTreatedAsUndelivered: moved.length };
      });
    } catch (err) {
      if (uniqueViolation(err) === 'uq_incidents_open_family')
        throw new DomainError('INCIDENT_OPEN', `An incident for ${family} is open already.`);
      throw err;
    }
  }

  /** Goodwill for every pending booking of the family: with dryRun, only how many and how. */
  private async extendHoldsIn(id: string, until: string, reason: string, dryRun: boolean, actor: Actor) {
    const now = this.clock.now();
    return this.tx.run(async (manager) => {
      const incident = await this.open(manager, id);
      const untilAt = DateTime.fromISO(until, { setZone: true });
      if (!untilAt.isValid || untilAt <= now) throw new DomainError('EXTENSION_INVALID', '`until` must be in the future.');
      const ids = await this.outbox.pendingBookingsOfFamily(manager, incident.family);
      // Never past the slot's start minus the cutoff: each booking gets the earlier of the two.
      const cappedAtSlotStart = await this.bookings.countCappedBySlotStart(
        manager,
        ids,
        untilAt.toJSDate(),
        this.config.confirmCutoffMinutes,
      );
      const result = {
        incidentId: id,
        family: incident.family,
        bookings: ids.length,
        cappedAtSlotStart,
        until: untilAt.toUTC().toISO(),
        dryRun,
      };
      if (dryRun) return result;
      await this.bookings.grantGoodwill(manager, ids, untilAt.toJSDate(), this.config.confirmCutoffMinutes);
      await this.holds.recompute(manager, ids, now);
      await this.audit.record(manager, actor, { action: 'incident.extend_holds', reason, after: result });
      return result;
    });
  }

  private async endIn(id: string, reason: string, actor: Actor): Promise<IncidentView & { mailsResent: number }> {
    const now = this.clock.now();
    return this.tx.run(async (manager) => {
      const incident = await this.open(manager, id);
      const apology = [
        'Entschuldigen Sie bitte die Verzögerung: Ihr E-Mail-Anbieter hat unsere Nachrichten eine Zeit lang nicht angenommen.',
        `Ihr Termin ist weiterhin für Sie reserviert. Sie haben ab Erhalt dieser Nachricht ${this.config.confirmWindowMinutes} Minuten Zeit, ihn zu bestätigen.`,
      ].join(' ');
      // Held mail, and mail we counted as stuck at the relay, goes out again with the apology first.
      const resent = await this.outbox.requeueWithPreface(manager, incident.family, apology, now.toJSDate());
      await this.circuits.applyEvent(manager, incident.family, { type: 'resume', by: actor.label, at: now.toMillis() });
      const ended = await this.incidents.end(manager, id, { now: now.toJSDate(), by: actor.label, reason });
      await this.holds.recompute(manager, resent, now);
      await this.audit.record(manager, actor, {
        action: 'incident.end',
        reason,
        before: { incidentId: id, family: incident.family },
        after: { mailsResent: resent.length },
      });
      return { ...view(ended), mailsResent: resent.length };
    });
  }

  private async open(manager: EntityManager, id: string): Promise<{ family: string }> {
    const row = await this.incidents.lockOpen(manager, id);
    if (!row) throw new DomainError('INCIDENT_NOT_FOUND', 'No open incident with this id.');
    return row;
  }
}

function view(row: IncidentRow): IncidentView {
  const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);
  return {
    id: row.id,
    family: row.family,
    reason: row.reason,
    declaredAt: iso(row.declaredAt)!,
    declaredBy: row.declaredBy,
    endedAt: iso(row.endedAt),
    endedBy: row.endedBy,
    endReason: row.endReason,
  };
}
