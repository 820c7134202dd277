import { Injectable } from '@nestjs/common';
import { Counter, Gauge } from 'prom-client';
import { BookingsRepository } from '../bookings/bookings.repository';
import { Clock } from '../common/clock';
import { Metrics } from '../common/metrics';
import { workerBeats } from '../common/worker-loop';
import { TransactionRunner } from '../database/transaction-runner';
import { ProviderCircuitsRepository } from '../mail-delivery/provider-circuits.repository';
import { OutboxRepository } from '../outbox/outbox.repository';

const PHASES = ['closed', 'open', 'half_open'] as const;

/**
 * The figures of /metrics. The installation's (outbox depth and age, circuits, booking totals) are
 * read from the database at each scrape (the same on every instance: aggregate them with max);
 * the instance's own (attempts, holds extended, HTTP latency, its workers' last rounds) are
 * counted where they happen (common/metrics.ts; aggregate with sum).
 */
@Injectable()
export class MetricsService {
  private readonly depth: Gauge<'family' | 'state'>;
  private readonly oldestUnsent: Gauge<'family'>;
  private readonly circuit: Gauge<'family' | 'state'>;
  private readonly created: Counter;
  private readonly confirmed: Counter;
  private readonly expired: Counter<'reason'>;
  private readonly lastRound: Gauge<'worker'>;
  private readonly workerStale: Gauge<'worker'>;

  constructor(
    private readonly metrics: Metrics,
    private readonly tx: TransactionRunner,
    private readonly outbox: OutboxRepository,
    private readonly circuits: ProviderCircuitsRepository,
    private readonly bookings: BookingsRepository,
    private readonly clock: Clock,
  ) {
    const registers = [metrics.registry];
    this.depth = new Gauge({
      name: 'holdfast_outbox_messages',
      help: 'Messages on their way (queued, sending, deferred, held, in transit, delayed), by provider family and state',
      labelNames: ['family', 'state'],
      registers,
    });
    this.oldestUnsent = new Gauge({
      name: 'holdfast_outbox_oldest_unsent_seconds',
      help: 'Age of the oldest message not yet handed to a server (queued, sending, deferred, held), by provider family',
      labelNames: ['family'],
      registers,
    });
    this.circuit = new Gauge({
      name: 'holdfast_provider_circuit_state',
      help: "Each provider family's circuit: 1 for its current phase (closed, open, half_open), 0 for the others",
      labelNames: ['family', 'state'],
      registers,
    });
    this.created = new Counter({ name: 'holdfast_bookings_created_total', help: 'Bookings ever made (installation)', registers });
    this.confirmed = new Counter({
      name: 'holdfast_bookings_confirmed_total',
      help: 'Bookings ever confirmed (installation)',
      registers,
    });
    this.expired = new Counter({
      name: 'holdfast_bookings_expired_total',
      help: 'Bookings ever expired, by reason (not_confirmed, mail_undelivered; installation)',
      labelNames: ['reason'],
      registers,
    });
    this.lastRound = new Gauge({
      name: 'holdfast_worker_last_round_timestamp_seconds',
      help: "When this instance's worker loop last finished a round (Unix time), by worker (Dispatcher, ExpirySweeper, …)",
      labelNames: ['worker'],
      registers,
    });
    this.workerStale = new Gauge({
      name: 'holdfast_worker_stale',
      help: "1 while this instance's worker shows no heartbeat (readiness answers 503 then)",
      labelNames: ['worker'],
      registers,
    });
  }

  get contentType(): string {
    return this.metrics.registry.contentType;
  }

  /** The exposition text: the database's figures read now, then every metric of the registry. */
  async render(): Promise<string> {
    const manager = this.tx.manager;
    const [depth, oldest, phases, totals] = await Promise.all([
      this.outbox.depthByFamily(manager),
      this.outbox.oldestUnsentByFamily(manager, this.clock.now().toJSDate()),
      this.circuits.phases(manager),
      this.bookings.lifetimeCounts(manager),
    ]);
    this.depth.reset();
    for (const d of depth) this.depth.set({ family: d.family, state: d.state }, d.n);
    this.oldestUnsent.reset();
    for (const o of oldest) this.oldestUnsent.set({ family: o.family }, o.seconds);
    this.circuit.reset();
    for (const p of phases)
      for (const phase of PHASES) this.circuit.set({ family: p.family, state: phase }, p.state === phase ? 1 : 0);
    // Totals kept by the database: the counter is set to them (they never decrease: no row is deleted).
    setCounter(this.created, {}, totals.created);
    setCounter(this.confirmed, {}, totals.confirmed);
    this.expired.reset();
    for (const e of totals.expired) this.expired.inc({ reason: e.reason ?? 'unknown' }, e.n);
    this.lastRound.reset();
    this.workerStale.reset();
    for (const beat of workerBeats()) {
      if (beat.lastFinishedAt) this.lastRound.set({ worker: beat.name }, beat.lastFinishedAt / 1000);
      this.workerStale.set({ worker: beat.name }, beat.stale ? 1 : 0);
    }
    return this.metrics.registry.metrics();
  }
}

function setCounter(counter: Counter, labels: Record<string, string>, value: number): void {
  counter.reset();
  if (value > 0) counter.inc(labels, value);
}
