import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Wrong SMS codes counted per reference and source (the client's address): a stranger who knows
 * a reference locks only themselves out, not the citizen. Keyed by the reference as typed
 * (normalised), known or not, so the answers do not tell which references exist.
 */
export class CodeTries1764380000000 implements MigrationInterface {
  name = 'CodeTries1764380000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE confirmation_code_failures (
      reference varchar(16) NOT NULL,
      source varchar(64) NOT NULL,
      failures integer NOT NULL CONSTRAINT ck_code_failures_count CHECK (failures > 0),
      last_failure_at timestamptz NOT NULL,
      CONSTRAINT pk_confirmation_code_failures PRIMARY KEY (reference, source)
    )`);
    await q.query(`CREATE INDEX ix_code_failures_last ON confirmation_code_failures (last_failure_at)`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE confirmation_code_failures`);
  }
}
