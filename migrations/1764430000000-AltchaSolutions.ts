import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Each solved ALTCHA challenge is accepted once: its signature is kept until the challenge
 * expires (then deleted by the hourly housekeeping), so a solution cannot be replayed for a
 * second booking, on any instance.
 */
export class AltchaSolutions1764430000000 implements MigrationInterface {
  name = 'AltchaSolutions1764430000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE altcha_solutions (
      signature varchar(128) NOT NULL CONSTRAINT pk_altcha_solutions PRIMARY KEY,
      expires_at timestamptz NOT NULL
    )`);
    await q.query(`CREATE INDEX ix_altcha_solutions_expires ON altcha_solutions (expires_at)`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE altcha_solutions`);
  }
}
