import { Injectable, Logger } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Clock } from '../common/clock';
import { TransactionRunner } from '../database/transaction-runner';
import { CircuitEvent, circuitOptionsFor as optionsFor, CircuitState, mayAttempt, transitionCircuit } from './provider-circuit';
import { OutboxRepository } from '../outbox/outbox.repository';
import { ProviderCircuitsRepository } from './provider-circuits.repository';

/**
 * The circuit of each provider family, kept in PostgreSQL so every instance sees the same one.
 * Events are applied under the circuit row's lock; an opening holds the family's waiting mail,
 * a closing releases it.
 */
@Injectable()
export class ProviderCircuitsService {
  private readonly logger = new Logger('ProviderCircuits');

  constructor(
    private readonly repo: ProviderCircuitsRepository,
    private readonly outbox: OutboxRepository,
    private readonly tx: TransactionRunner,
    private readonly clock: Clock,
  ) {}

  /** Applies one event inside the caller's transaction; returns the circuit after it. */
  async applyEvent(
    manager: EntityManager,
    family: string,
    event: CircuitEvent,
    extra: { pauseReason?: string | null } = {},
  ): Promise<{ state: CircuitState; effect?: string }> {
    const now = new Date(event.at);
    const before = await this.repo.lock(manager, family, now);
    const transition = transitionCircuit(before, event, optionsFor(family));
    if (!transition.changed) return { state: before };
    await this.repo.save(
      manager,
      transition.state,
      now,
      before.state !== transition.state.state || transition.effect !== undefined,
      extra,
    );
    switch (transition.effect) {
      case 'opened':
      case 'reopened': {
        const held = await this.outbox.holdFamily(manager, family);
        this.logger.warn(
          `circuit ${family} ${transition.effect} until ${transition.state.openUntil ? new Date(transition.state.openUntil).toISOString() : 'resumed by hand'}; ${held} mails held`,
        );
        break;
      }
      case 'closed': {
        const released = await this.outbox.releaseFamily(manager, family, now);
        this.logger.log(`circuit ${family} closed; ${released} held mails released`);
        break;
      }
      case 'half_opened':
      case undefined:
        break;
    }
    return { state: transition.state, effect: transition.effect };
  }

  /** Whether this message is the probe a half-open family waits on (an unlocked look, to spare the lock on most reports). */
  async isPendingProbe(manager: EntityManager, family: string, messageId: string): Promise<boolean> {
    return (await this.repo.notClosed(manager)).some(
      (c) => c.family === family && c.state === 'half_open' && c.probeMessageId === messageId,
    );
  }

  /** Time passes: open circuits whose period ran out become half-open; stragglers are held. */
  async tick(): Promise<void> {
    const now = this.clock.now().toMillis();
    const notClosed = await this.repo.notClosed(this.tx.manager);
    for (const circuit of notClosed) {
      if (circuit.state === 'open' && circuit.openUntil !== undefined && circuit.openUntil <= now && !circuit.pausedBy) {
        await this.tx.run((m) => this.applyEvent(m, circuit.family, { type: 'tick', at: now }));
      }
    }
    await this.outbox.holdStragglers(this.tx.manager);
  }

  /**
   * For every half-open family: one message becomes its probe, claimed like any other send.
   * Exactly one per open period, across instances: the circuit row's lock decides.
   */
  async claimProbes(claim: (manager: EntityManager, messageId: string) => Promise<void>): Promise<void> {
    const now = this.clock.now().toMillis();
    for (const circuit of await this.repo.notClosed(this.tx.manager)) {
      if (circuit.state !== 'half_open' || !mayAttempt(circuit, now, undefined, optionsFor(circuit.family))) continue;
      await this.tx.run(async (manager) => {
        const current = await this.repo.lock(manager, circuit.family, new Date(now));
        if (!mayAttempt(current, now, undefined, optionsFor(circuit.family))) return;
        const candidate = await this.outbox.probeCandidate(manager, circuit.family, new Date(now));
        if (!candidate) return;
        const started = await this.applyEvent(manager, circuit.family, {
          type: 'probe_started',
          messageId: candidate.id,
          at: now,
        });
        if (started.state.probeMessageId !== candidate.id) return;
        await claim(manager, candidate.id);
      });
    }
  }
}
