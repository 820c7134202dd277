import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { sql, sqlOne } from '../database/sql';
import { circuitOptionsFor, CircuitState, initialCircuit } from './provider-circuit';

@Injectable()
export class ProviderCircuitsRepository {
  /** /metrics: every family's circuit phase. */
  phases(manager: EntityManager): Promise<Array<{ family: string; state: CircuitState['state'] }>> {
    return sql(manager, `SELECT family, state FROM provider_circuits`);
  }

  /** The family's circuit, created closed on first use, locked for the rest of the transaction. */
  async lock(manager: EntityManager, family: string, now: Date): Promise<CircuitState> {
    await sql(
      manager,
      `INSERT INTO provider_circuits (family, state, since, circuit, updated_at) VALUES ($1, 'closed', $2, $3, $2) ON CONFLICT (family) DO NOTHING`,
      [family, now, JSON.stringify(initialCircuit(family, circuitOptionsFor(family)))],
    );
    const row = await sqlOne<{ circuit: CircuitState }>(
      manager,
      `SELECT circuit FROM provider_circuits WHERE family = $1 FOR UPDATE`,
      [family],
    );
    return row!.circuit;
  }

  async save(
    manager: EntityManager,
    circuit: CircuitState,
    now: Date,
    phaseChanged: boolean,
    extra: { pauseReason?: string | null } = {},
  ): Promise<void> {
    await sql(
      manager,
      `UPDATE provider_circuits
          SET state = $2, circuit = $3, open_until = $4, paused_by = $5::varchar, updated_at = $6,
              since = CASE WHEN $7::boolean THEN $6 ELSE since END,
              pause_reason = CASE WHEN $5::varchar IS NULL THEN NULL ELSE COALESCE($8::text, pause_reason) END
        WHERE family = $1`,
      [
        circuit.family,
        circuit.state,
        JSON.stringify(circuit),
        circuit.openUntil ? new Date(circuit.openUntil) : null,
        circuit.pausedBy ?? null,
        now,
        phaseChanged,
        extra.pauseReason ?? null,
      ],
    );
  }

  /** Families whose circuit is not closed (few; read without lock). */
  notClosed(manager: EntityManager): Promise<CircuitState[]> {
    return sql<{ circuit: CircuitState }>(manager, `SELECT circuit FROM provider_circuits WHERE state <> 'closed'`).then((rows) =>
      rows.map((r) => r.circuit),
    );
  }

  /** Since when the family's circuit is not closed; undefined while it is closed. */
  async blockedSince(manager: EntityManager, family: string): Promise<Date | undefined> {
    const row = await sqlOne<{ since: Date }>(
      manager,
      `SELECT since FROM provider_circuits WHERE family = $1 AND state <> 'closed'`,
      [family],
    );
    return row?.since;
  }

  /** Every circuit with its columns, for the providers view. */
  all(manager: EntityManager): Promise<CircuitRow[]> {
    return sql<CircuitRow>(
      manager,
      `SELECT family, state, since, open_until AS "openUntil", paused_by AS "pausedBy", pause_reason AS "pauseReason", circuit
         FROM provider_circuits`,
    );
  }
}

export interface CircuitRow {
  family: string;
  state: 'closed' | 'open' | 'half_open';
  since: Date;
  openUntil: Date | null;
  pausedBy: string | null;
  pauseReason: string | null;
  circuit: CircuitState;
}
