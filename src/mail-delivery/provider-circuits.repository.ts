import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { sql, sqlOne } from '../database/sql';
import { CircuitState, initialCircuit } from './provider-circuit';

@Injectable()
export class ProviderCircuitsRepository {
  /** The family's circuit, created closed on first use, locked for the rest of the transaction. */
  async lock(m: EntityManager, family: string, now: Date): Promise<CircuitState> {
    await sql(
      m,
      `INSERT INTO provider_circuits (family, state, since, circuit, updated_at) VALUES ($1, 'closed', $2, $3, $2) ON CONFLICT (family) DO NOTHING`,
      [family, now, JSON.stringify(initialCircuit(family))],
    );
    const row = await sqlOne<{ circuit: CircuitState }>(m, `SELECT circuit FROM provider_circuits WHERE family = $1 FOR UPDATE`, [
      family,
    ]);
    return row!.circuit;
  }

  async save(
    m: EntityManager,
    c: CircuitState,
    now: Date,
    phaseChanged: boolean,
    extra: { pauseReason?: string | null } = {},
  ): Promise<void> {
    await sql(
      m,
      `UPDATE provider_circuits
          SET state = $2, circuit = $3, open_until = $4, paused_by = $5::varchar, updated_at = $6,
              since = CASE WHEN $7::boolean THEN $6 ELSE since END,
              pause_reason = CASE WHEN $5::varchar IS NULL THEN NULL ELSE COALESCE($8::text, pause_reason) END
        WHERE family = $1`,
      [
        c.family,
        c.state,
        JSON.stringify(c),
        c.openUntil ? new Date(c.openUntil) : null,
        c.pausedBy ?? null,
        now,
        phaseChanged,
        extra.pauseReason ?? null,
      ],
    );
  }

  /** Families whose circuit is not closed (few; read without lock). */
  notClosed(m: EntityManager): Promise<CircuitState[]> {
    return sql<{ circuit: CircuitState }>(m, `SELECT circuit FROM provider_circuits WHERE state <> 'closed'`).then((rows) =>
      rows.map((r) => r.circuit),
    );
  }

  /** The family's waiting mail is held while its provider blocks us. */
  async holdFamily(m: EntityManager, family: string): Promise<number> {
    const rows = await sql(
      m,
      `UPDATE outbox_messages SET state = 'held_provider_blocked' WHERE family = $1 AND state IN ('queued', 'deferred') RETURNING id`,
      [family],
    );
    return rows.length;
  }

  /** Mail of families that are not closed but still shows as queued (arrived after the opening). */
  async holdStragglers(m: EntityManager): Promise<number> {
    const rows = await sql(
      m,
      `UPDATE outbox_messages SET state = 'held_provider_blocked'
        WHERE state IN ('queued', 'deferred') AND family IN (SELECT family FROM provider_circuits WHERE state <> 'closed') RETURNING id`,
    );
    return rows.length;
  }

  /** The provider takes our mail again: everything held goes out now (at the family's send rate). */
  async releaseFamily(m: EntityManager, family: string, now: Date): Promise<number> {
    const rows = await sql(
      m,
      `UPDATE outbox_messages SET state = 'queued', next_attempt_at = $2 WHERE family = $1 AND state = 'held_provider_blocked' RETURNING id`,
      [family, now],
    );
    return rows.length;
  }

  /** One waiting message of the family to probe with, locked; the oldest first. */
  pickProbeCandidate(m: EntityManager, family: string, now: Date): Promise<{ id: string } | undefined> {
    return sqlOne(
      m,
      // A probe whose worker died (lease run out) is a candidate too, or the family could wait forever.
      `SELECT id FROM outbox_messages
        WHERE family = $1 AND (state IN ('held_provider_blocked', 'queued', 'deferred') OR (state = 'sending' AND lease_until <= $2))
        ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED`,
      [family, now],
    );
  }
}
