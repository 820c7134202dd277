import { Inject, Injectable } from '@nestjs/common';
import { DateTime } from 'luxon';
import { EntityManager } from 'typeorm';
import { Actor, AuditService } from '../audit/audit.service';
import { HoldService } from '../bookings/hold.service';
import { Clock } from '../common/clock';
import { DomainError } from '../common/domain-error';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { sql, sqlOne } from '../database/sql';
import { TransactionRunner, uniqueViolation } from '../database/transaction-runner';
import { ProviderCircuitsService } from '../mail-delivery/provider-circuits.service';

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

/** The pending bookings of a family whose confirmation mail is not confirmed yet. */
const PENDING_OF_FAMILY = `
  SELECT DISTINCT b.id FROM bookings b JOIN outbox_messages o ON o.booking_id = b.id
   WHERE b.status = 'pending' AND o.family = $1 AND o.channel = 'email' AND o.kind = 'booking_confirmation'`;

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
    private readonly circuits: ProviderCircuitsService,
    private readonly holds: HoldService,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  list(): Promise<IncidentView[]> {
    return sql<any>(this.tx.manager, `SELECT * FROM incidents ORDER BY declared_at DESC LIMIT 200`).then((rows) =>
      rows.map(view),
    );
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
      return await this.tx.run(async (m) => {
        const incident = await sqlOne<any>(
          m,
          `INSERT INTO incidents (family, reason, declared_at, declared_by) VALUES ($1, $2, $3, $4) RETURNING *`,
          [family, reason, now.toJSDate(), actor.label],
        );
        await this.circuits.apply(
          m,
          family,
          { type: 'pause', by: actor.label, at: now.toMillis() },
          { pauseReason: `incident: ${reason}` },
        );
        // Bookings first, in id order (the sweeper's lock order), then their mail.
        await sql(m, `SELECT b.id FROM bookings b WHERE b.id IN (${PENDING_OF_FAMILY}) ORDER BY b.id FOR UPDATE OF b`, [family]);
        // Accepted by the relay but not confirmed: probably stuck in the relay's queue, so undelivered for the hold.
        const moved = await sql<{ bookingId: string }>(
          m,
          `UPDATE outbox_messages o SET state = 'delayed'
             FROM bookings b
            WHERE b.id = o.booking_id AND b.status = 'pending' AND o.family = $1 AND o.state = 'accepted' AND o.channel = 'email' AND (o.accepted_by IS DISTINCT FROM 'mx')
           RETURNING o.booking_id AS "bookingId"`,
          [family],
        );
        await sql(
          m,
          `INSERT INTO delivery_events (message_id, at, source, kind, state_after, reply)
           SELECT o.id, $2, 'staff', 'incident', 'delayed', $3 FROM outbox_messages o WHERE o.booking_id = ANY($1::uuid[]) AND o.family = $4 AND o.state = 'delayed'`,
          [moved.map((x) => x.bookingId), now.toJSDate(), `incident declared by ${actor.label}: ${reason}`, family],
        );
        await this.holds.recompute(
          m,
          moved.map((x) => x.bookingId),
          now,
        );
        await this.audit.record(m, actor, {
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
    return this.tx.run(async (m) => {
      const incident = await this.open(m, id);
      const untilAt = DateTime.fromISO(until, { setZone: true });
      if (!untilAt.isValid || untilAt <= now) throw new DomainError('EXTENSION_INVALID', '`until` must be in the future.');
      const ids = (await sql<{ id: string }>(m, PENDING_OF_FAMILY, [incident.family])).map((r) => r.id);
      // Never past the slot's start minus the cutoff: each booking gets the earlier of the two.
      const capped = await sql<{ n: number }>(
        m,
        `SELECT count(*)::int AS n FROM bookings b JOIN slots s ON s.id = b.slot_id
          WHERE b.id = ANY($1::uuid[]) AND s.starts_at - make_interval(mins => $3) < $2`,
        [ids, untilAt.toJSDate(), this.config.confirmCutoffMinutes],
      );
      const result = {
        incidentId: id,
        family: incident.family,
        bookings: ids.length,
        cappedAtSlotStart: capped[0].n,
        until: untilAt.toUTC().toISO(),
        dryRun,
      };
      if (dryRun) return result;
      await sql(
        m,
        `UPDATE bookings b SET goodwill_until = GREATEST(COALESCE(b.goodwill_until, '-infinity'), LEAST($2::timestamptz, s.starts_at - make_interval(mins => $3)))
           FROM slots s WHERE s.id = b.slot_id AND b.id = ANY($1::uuid[]) AND b.status = 'pending'`,
        [ids, untilAt.toJSDate(), this.config.confirmCutoffMinutes],
      );
      await this.holds.recompute(m, ids, now);
      await this.audit.record(m, actor, { action: 'incident.extend_holds', reason, after: result });
      return result;
    });
  }

  private async endIn(id: string, reason: string, actor: Actor): Promise<IncidentView & { mailsResent: number }> {
    const now = this.clock.now();
    return this.tx.run(async (m) => {
      const incident = await this.open(m, id);
      const apology = [
        'Entschuldigen Sie bitte die Verzögerung: Ihr E-Mail-Anbieter hat unsere Nachrichten eine Zeit lang nicht angenommen.',
        `Ihr Termin ist weiterhin für Sie reserviert. Sie haben ab Erhalt dieser Nachricht ${this.config.confirmWindowMinutes} Minuten Zeit, ihn zu bestätigen.`,
      ].join(' ');
      // Held mail, and mail we counted as stuck at the relay, goes out again with the apology first.
      const resent = await sql<{ bookingId: string }>(
        m,
        `UPDATE outbox_messages o
            SET state = 'queued', next_attempt_at = $2, accepted_at = NULL, accepted_by = NULL,
                payload = jsonb_set(o.payload, '{text}', to_jsonb($3::text || E'\\n\\n' || (o.payload->>'text')))
           FROM bookings b
          WHERE b.id = o.booking_id AND b.status = 'pending' AND o.family = $1 AND o.channel = 'email' AND o.kind = 'booking_confirmation'
            AND o.state IN ('held_provider_blocked', 'delayed', 'queued', 'deferred')
         RETURNING o.booking_id AS "bookingId"`,
        [incident.family, now.toJSDate(), apology],
      );
      await this.circuits.apply(m, incident.family, { type: 'resume', by: actor.label, at: now.toMillis() });
      const ended = await sqlOne<any>(
        m,
        `UPDATE incidents SET ended_at = $2, ended_by = $3, end_reason = $4 WHERE id = $1 RETURNING *`,
        [id, now.toJSDate(), actor.label, reason],
      );
      await this.holds.recompute(
        m,
        resent.map((r) => r.bookingId),
        now,
      );
      await this.audit.record(m, actor, {
        action: 'incident.end',
        reason,
        before: { incidentId: id, family: incident.family },
        after: { mailsResent: resent.length },
      });
      return { ...view(ended), mailsResent: resent.length };
    });
  }

  private async open(m: EntityManager, id: string): Promise<{ family: string }> {
    const row = await sqlOne<{ family: string }>(
      m,
      `SELECT family FROM incidents WHERE id = $1 AND ended_at IS NULL FOR UPDATE`,
      [id],
    );
    if (!row) throw new DomainError('INCIDENT_NOT_FOUND', 'No open incident with this id.');
    return row;
  }
}

function view(r: any): IncidentView {
  const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);
  return {
    id: r.id,
    family: r.family,
    reason: r.reason,
    declaredAt: iso(r.declared_at)!,
    declaredBy: r.declared_by,
    endedAt: iso(r.ended_at),
    endedBy: r.ended_by,
    endReason: r.end_reason,
  };
}
