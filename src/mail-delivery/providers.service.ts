import { Injectable } from '@nestjs/common';
import { Actor, AuditService } from '../audit/audit.service';
import { Clock } from '../common/clock';
import { DomainError } from '../common/domain-error';
import { TransactionRunner } from '../database/transaction-runner';
import { OutboxRepository } from '../outbox/outbox.repository';
import { ProviderCircuitsRepository } from './provider-circuits.repository';
import { ProviderCircuitsService } from './provider-circuits.service';
import { FamilyRelayQueue, RelayStatus, RelayStatusService } from './relay-status.service';

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
  /** Mail our relay took for this family with no report yet, and whether it sits there far longer than usual. */
  inRelay: FamilyRelayQueue;
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
    private readonly circuitRows: ProviderCircuitsRepository,
    private readonly outbox: OutboxRepository,
    private readonly audit: AuditService,
    private readonly relay: RelayStatusService,
    private readonly clock: Clock,
  ) {}

  /** Our relay: does it report, what the transit rule does, the rolling counts and the warnings. */
  async relayStatus(): Promise<RelayStatus> {
    return (await this.relay.status()).relay;
  }

  async list(): Promise<ProviderView[]> {
    const now = this.clock.now().toJSDate();
    const [circuits, stats, relay] = await Promise.all([
      this.circuitRows.all(this.tx.manager),
      this.outbox.familyStats(this.tx.manager, now),
      this.relay.status(),
    ]);
    const byFamily = new Map(stats.map((x) => [x.family, x]));
    const circuitOf = new Map(circuits.map((c) => [c.family, c]));
    const families = [...new Set([...circuits.map((c) => c.family), ...stats.map((x) => x.family), ...relay.families.keys()])];
    const nothingInRelay: FamilyRelayQueue = {
      inTransit: 0,
      oldestInTransitSince: null,
      oldestInTransitMinutes: null,
      medianTransitMinutes: null,
      reportedLastDay: 0,
      slow: false,
      thresholdMinutes: 0,
      usualMinutes: null,
    };
    const iso = (d: Date | null | undefined) => (d ? new Date(d).toISOString() : null);
    const views = families.map((family): ProviderView => {
      const circuit = circuitOf.get(family);
      const familyStats = byFamily.get(family);
      return {
        family,
        circuit: {
          state: circuit?.state ?? 'closed',
          since: iso(circuit?.since),
          openUntil: iso(circuit?.openUntil),
          pausedBy: circuit?.pausedBy ?? null,
          pauseReason: circuit?.pauseReason ?? null,
          failedProbes: circuit?.circuit?.failedProbes ?? 0,
        },
        waiting: {
          queued: familyStats?.queued ?? 0,
          deferred: familyStats?.deferred ?? 0,
          held: familyStats?.held ?? 0,
          delayed: familyStats?.delayed ?? 0,
          oldestWaitingSince: iso(familyStats?.oldest),
          oldestWaitingAgeSeconds: familyStats?.oldest
            ? Math.round((now.getTime() - new Date(familyStats.oldest).getTime()) / 1000)
            : null,
        },
        inRelay: relay.families.get(family) ?? nothingInRelay,
        lastHour: familyStats?.hour ?? {},
        lastDay: familyStats?.day ?? {},
        lastReply: familyStats?.lastAt
          ? {
              at: iso(familyStats.lastAt)!,
              category: familyStats.lastCategory,
              code: familyStats.lastCode,
              text: familyStats.lastText,
            }
          : null,
      };
    });
    // Blocked (or slow in the relay) families first, then the most mail waiting, then by name.
    const blocked = (v: ProviderView) => (v.circuit.state !== 'closed' || v.inRelay.slow ? 1 : 0);
    return views.sort(
      (a, b) =>
        blocked(b) - blocked(a) ||
        b.waiting.held + b.waiting.queued - (a.waiting.held + a.waiting.queued) ||
        (a.family < b.family ? -1 : a.family > b.family ? 1 : 0),
    );
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
    return this.tx.run(async (manager) => {
      const before = await this.circuits.applyEvent(manager, family, { type: 'tick', at: event.at });
      const after = await this.circuits.applyEvent(manager, family, event, {
        pauseReason: event.type === 'pause' ? reason : null,
      });
      await this.audit.record(manager, actor, {
        action,
        reason,
        before: { family, state: before.state.state, pausedBy: before.state.pausedBy ?? null },
        after: { family, state: after.state.state, pausedBy: after.state.pausedBy ?? null },
      });
      const circuit = after.state;
      return {
        state: circuit.state,
        since: circuit.openedAt ? new Date(circuit.openedAt).toISOString() : null,
        openUntil: circuit.openUntil ? new Date(circuit.openUntil).toISOString() : null,
        pausedBy: circuit.pausedBy ?? null,
        pauseReason: event.type === 'pause' ? reason : null,
        failedProbes: circuit.failedProbes,
      };
    });
  }
}
