import { Injectable } from '@nestjs/common';
import { Actor, AuditService } from '../audit/audit.service';
import { Clock } from '../common/clock';
import { DomainError } from '../common/domain-error';
import { sql } from '../database/sql';
import { TransactionRunner } from '../database/transaction-runner';
import { ProviderCircuitsService } from './provider-circuits.service';

export interface ProviderView {
  family: string;
  circuit: {
    state: 'closed' | 'open' | 'half_open';
    since: string | null;
    openUntil: string | null;
    pausedBy: string | null;
    pauseReason: string | null;
    failedProbes: number;
  };
  waiting: {
    queued: number;
    deferred: number;
    held: number;
    delayed: number;
    oldestWaitingSince: string | null;
    oldestWaitingAgeSeconds: number | null;
  };
  lastHour: Record<string, number>;
  lastDay: Record<string, number>;
  lastReply: { at: string; category: string | null; code: number | null; text: string | null } | null;
}

const FAMILY = /^[a-z0-9][a-z0-9.-]{0,63}$/;

/** What supervisors and clerks see of each provider family, and the manual pause. */
@Injectable()
export class ProvidersService {
  constructor(
    private readonly tx: TransactionRunner,
    private readonly circuits: ProviderCircuitsService,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  async list(): Promise<ProviderView[]> {
    const now = this.clock.now().toJSDate();
    const rows = await sql<any>(
      this.tx.manager,
      `WITH families AS (
         SELECT family FROM provider_circuits
         UNION SELECT DISTINCT family FROM outbox_messages WHERE family IS NOT NULL AND state IN ('queued', 'deferred', 'held_provider_blocked', 'delayed', 'sending')
         UNION SELECT DISTINCT family FROM mail_attempts WHERE family IS NOT NULL AND finished_at > $1::timestamptz - interval '1 day'
       ), waiting AS (
         SELECT family, count(*) FILTER (WHERE state = 'queued')::int AS queued, count(*) FILTER (WHERE state = 'deferred')::int AS deferred,
                count(*) FILTER (WHERE state = 'held_provider_blocked')::int AS held, count(*) FILTER (WHERE state = 'delayed')::int AS delayed,
                min(created_at) AS oldest
           FROM outbox_messages WHERE state IN ('queued', 'deferred', 'held_provider_blocked', 'delayed') AND family IS NOT NULL GROUP BY family
       ), hour AS (
         SELECT family, jsonb_object_agg(k, n) AS counts FROM (
           SELECT family, COALESCE(category, outcome) AS k, count(*)::int AS n FROM mail_attempts
            WHERE finished_at > $1::timestamptz - interval '1 hour' AND family IS NOT NULL GROUP BY family, COALESCE(category, outcome)) x GROUP BY family
       ), day AS (
         SELECT family, jsonb_object_agg(k, n) AS counts FROM (
           SELECT family, COALESCE(category, outcome) AS k, count(*)::int AS n FROM mail_attempts
            WHERE finished_at > $1::timestamptz - interval '1 day' AND family IS NOT NULL GROUP BY family, COALESCE(category, outcome)) x GROUP BY family
       ), last AS (
         SELECT DISTINCT ON (family) family, finished_at, category, reply_code, reply FROM mail_attempts
          WHERE family IS NOT NULL AND outcome <> 'lease_expired' ORDER BY family, finished_at DESC
       )
       SELECT f.family, c.state, c.since, c.open_until AS "openUntil", c.paused_by AS "pausedBy", c.pause_reason AS "pauseReason", c.circuit,
              w.queued, w.deferred, w.held, w.delayed, w.oldest, h.counts AS hour, d.counts AS day,
              l.finished_at AS "lastAt", l.category AS "lastCategory", l.reply_code AS "lastCode", l.reply AS "lastText"
         FROM families f
         LEFT JOIN provider_circuits c ON c.family = f.family
         LEFT JOIN waiting w ON w.family = f.family
         LEFT JOIN hour h ON h.family = f.family
         LEFT JOIN day d ON d.family = f.family
         LEFT JOIN last l ON l.family = f.family
        ORDER BY (c.state IS NOT NULL AND c.state <> 'closed') DESC, COALESCE(w.held, 0) + COALESCE(w.queued, 0) DESC, f.family`,
      [now],
    );
    const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);
    return rows.map((r) => ({
      family: r.family,
      circuit: {
        state: r.state ?? 'closed',
        since: iso(r.since),
        openUntil: iso(r.openUntil),
        pausedBy: r.pausedBy ?? null,
        pauseReason: r.pauseReason ?? null,
        failedProbes: r.circuit?.failedProbes ?? 0,
      },
      waiting: {
        queued: r.queued ?? 0,
        deferred: r.deferred ?? 0,
        held: r.held ?? 0,
        delayed: r.delayed ?? 0,
        oldestWaitingSince: iso(r.oldest),
        oldestWaitingAgeSeconds: r.oldest ? Math.round((now.getTime() - new Date(r.oldest).getTime()) / 1000) : null,
      },
      lastHour: r.hour ?? {},
      lastDay: r.day ?? {},
      lastReply: r.lastAt ? { at: iso(r.lastAt)!, category: r.lastCategory, code: r.lastCode, text: r.lastText } : null,
    }));
  }

  async pause(family: string, reason: string, actor: Actor): Promise<ProviderView['circuit']> {
    return this.change(family, actor, 'provider.pause', reason, {
      type: 'pause',
      by: actor.label,
      at: this.clock.now().toMillis(),
    });
  }

  async resume(family: string, reason: string, actor: Actor): Promise<ProviderView['circuit']> {
    return this.change(family, actor, 'provider.resume', reason, {
      type: 'resume',
      by: actor.label,
      at: this.clock.now().toMillis(),
    });
  }

  private async change(
    family: string,
    actor: Actor,
    action: string,
    reason: string,
    event: { type: 'pause' | 'resume'; by: string; at: number },
  ) {
    if (!FAMILY.test(family))
      throw new DomainError('VALIDATION_FAILED', 'Unknown provider family name.', [
        { field: 'family', problems: ['lower-case letters, digits, dots and dashes'] },
      ]);
    return this.tx.run(async (m) => {
      const before = await this.circuits.apply(m, family, { type: 'tick', at: event.at });
      const after = await this.circuits.apply(m, family, event, { pauseReason: event.type === 'pause' ? reason : null });
      await this.audit.record(m, actor, {
        action,
        reason,
        before: { family, state: before.state.state, pausedBy: before.state.pausedBy ?? null },
        after: { family, state: after.state.state, pausedBy: after.state.pausedBy ?? null },
      });
      const s = after.state;
      return {
        state: s.state,
        since: s.openedAt ? new Date(s.openedAt).toISOString() : null,
        openUntil: s.openUntil ? new Date(s.openUntil).toISOString() : null,
        pausedBy: s.pausedBy ?? null,
        pauseReason: event.type === 'pause' ? reason : null,
        failedProbes: s.failedProbes,
      };
    });
  }
}
