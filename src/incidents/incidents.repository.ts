import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { sql, sqlOne } from '../database/sql';

export interface IncidentRow {
  id: string;
  family: string;
  reason: string;
  declaredAt: Date;
  declaredBy: string;
  endedAt: Date | null;
  endedBy: string | null;
  endReason: string | null;
}

const COLUMNS = `id, family, reason, declared_at AS "declaredAt", declared_by AS "declaredBy", ended_at AS "endedAt", ended_by AS "endedBy",
                 end_reason AS "endReason"`;

/** Provider incidents declared by supervisors (at most one open per family: a partial unique index). */
@Injectable()
export class IncidentsRepository {
  list(manager: EntityManager, limit: number): Promise<IncidentRow[]> {
    return sql<IncidentRow>(manager, `SELECT ${COLUMNS} FROM incidents ORDER BY declared_at DESC LIMIT $1`, [limit]);
  }

  async insert(
    manager: EntityManager,
    incident: { family: string; reason: string; now: Date; by: string },
  ): Promise<IncidentRow> {
    return (await sqlOne<IncidentRow>(
      manager,
      `INSERT INTO incidents (family, reason, declared_at, declared_by) VALUES ($1, $2, $3, $4) RETURNING ${COLUMNS}`,
      [incident.family, incident.reason, incident.now, incident.by],
    ))!;
  }

  /** The open incident with this id, locked. */
  lockOpen(manager: EntityManager, id: string): Promise<{ family: string } | undefined> {
    return sqlOne<{ family: string }>(manager, `SELECT family FROM incidents WHERE id = $1 AND ended_at IS NULL FOR UPDATE`, [
      id,
    ]);
  }

  async end(manager: EntityManager, id: string, ending: { now: Date; by: string; reason: string }): Promise<IncidentRow> {
    return (await sqlOne<IncidentRow>(
      manager,
      `UPDATE incidents SET ended_at = $2, ended_by = $3, end_reason = $4 WHERE id = $1 RETURNING ${COLUMNS}`,
      [id, ending.now, ending.by, ending.reason],
    ))!;
  }
}
