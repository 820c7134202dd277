import { Inject, Injectable } from '@nestjs/common';
import { Clock } from '../common/clock';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { TransactionRunner } from '../database/transaction-runner';
import { OutboxRepository, RelayQueueRow } from '../outbox/outbox.repository';
import {
  REPORT_EXPECTED_WITHIN_MINUTES,
  RelayEhlo,
  RelayQueueSignal,
  relayQueueSignal,
  RelayReportCounts,
  RelayVerdict,
  relayVerdict,
} from './relay-reports';

/** How long one instance reuses its verdict on the relay (the counts move slowly). */
const VERDICT_TTL_MS = 60_000;

export interface RelayStatus extends RelayVerdict {
  mode: 'relay' | 'direct' | 'development';
  transitMinutes: number;
  /** What this instance read from the relay's EHLO at start-up. */
  ehlo: { at: string; dsn: boolean; error: string | null } | null;
  counts: RelayReportCounts;
  inTransit: { count: number; oldestSince: string | null; medianTransitMinutes: number | null };
}

export interface FamilyRelayQueue extends RelayQueueSignal {
  inTransit: number;
  oldestInTransitSince: string | null;
  oldestInTransitMinutes: number | null;
  medianTransitMinutes: number | null;
  reportedLastDay: number;
}

/**
 * What we know about our relay: its EHLO (read by the transport at start-up), the rolling counts
 * of acceptances and reports, and the verdict drawn from them (relay-reports.ts). The dispatcher
 * asks it whether the transit rule covers all relay mail; the providers view shows it.
 */
@Injectable()
export class RelayStatusService {
  private ehlo: RelayEhlo | null = null;
  private cached?: { at: number; verdict: RelayVerdict; counts: RelayReportCounts };

  constructor(
    private readonly tx: TransactionRunner,
    private readonly outbox: OutboxRepository,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  recordEhlo(ehlo: RelayEhlo): void {
    this.ehlo = ehlo;
    this.cached = undefined;
  }

  /** The verdict, at most VERDICT_TTL_MS old on this instance. */
  async verdict(): Promise<{ verdict: RelayVerdict; counts: RelayReportCounts }> {
    const now = this.clock.now().toMillis();
    if (this.cached && Math.abs(now - this.cached.at) < VERDICT_TTL_MS) return this.cached;
    const counts = await this.outbox.relayReportCounts(this.tx.manager, new Date(now), REPORT_EXPECTED_WITHIN_MINUTES);
    const verdict = relayVerdict(counts, this.ehlo, this.config.relayTransitMinutes);
    this.cached = { at: now, verdict, counts };
    return this.cached;
  }

  /** Whether the transit rule also covers mail with reports asked for (the relay never reports). */
  async transitRuleForAll(): Promise<boolean> {
    if (this.config.mailMode !== 'relay') return false;
    return (await this.verdict()).verdict.transitRuleForAll;
  }

  async status(): Promise<{ relay: RelayStatus; families: Map<string, FamilyRelayQueue> }> {
    const now = this.clock.now();
    const [{ verdict, counts }, queues] = await Promise.all([
      this.verdict(),
      this.outbox.relayQueueByFamily(this.tx.manager, now.toJSDate()),
    ]);
    const all = queues.find((q) => q.family === null);
    const overallMedian = all?.medianMinutes ?? null;
    const minutesSince = (d: Date | null) => (d ? Math.round((now.toMillis() - new Date(d).getTime()) / 6000) / 10 : null);
    const families = new Map<string, FamilyRelayQueue>();
    for (const q of queues.filter((x): x is RelayQueueRow & { family: string } => x.family !== null)) {
      const oldestMinutes = minutesSince(q.oldest);
      families.set(q.family, {
        inTransit: q.inTransit,
        oldestInTransitSince: q.oldest ? new Date(q.oldest).toISOString() : null,
        oldestInTransitMinutes: oldestMinutes,
        medianTransitMinutes: q.medianMinutes === null ? null : Math.round(q.medianMinutes * 10) / 10,
        reportedLastDay: q.reported,
        ...relayQueueSignal({ inTransit: q.inTransit, oldestMinutes, medianMinutes: q.medianMinutes }, overallMedian),
      });
    }
    return {
      relay: {
        mode: this.config.mailMode,
        transitMinutes: this.config.relayTransitMinutes,
        ...verdict,
        ehlo: this.ehlo ? { at: new Date(this.ehlo.at).toISOString(), dsn: this.ehlo.dsn, error: this.ehlo.error ?? null } : null,
        counts,
        inTransit: {
          count: all?.inTransit ?? 0,
          oldestSince: all?.oldest ? new Date(all.oldest).toISOString() : null,
          medianTransitMinutes: overallMedian === null ? null : Math.round(overallMedian * 10) / 10,
        },
      },
      families,
    };
  }
}
