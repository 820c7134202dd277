import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Failed logins counted per account and source (the client's address; `*` for the account across
 * all sources) instead of one audit row each: the throttle reads two rows, and the audit log gets
 * one row per burst with its count (src/staff/login-throttle.ts).
 */
export class LoginThrottle1764370000000 implements MigrationInterface {
  name = 'LoginThrottle1764370000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE staff_login_failures (
      account varchar(254) NOT NULL,
      source varchar(64) NOT NULL,
      failures integer NOT NULL CONSTRAINT ck_staff_login_failures_count CHECK (failures > 0),
      first_failure_at timestamptz NOT NULL,
      last_failure_at timestamptz NOT NULL,
      CONSTRAINT pk_staff_login_failures PRIMARY KEY (account, source),
      CONSTRAINT ck_staff_login_failures_order CHECK (first_failure_at <= last_failure_at)
    )`);
    await q.query(`CREATE INDEX ix_staff_login_failures_last ON staff_login_failures (last_failure_at)`);
    await q.query(`DROP INDEX ix_audit_login_failures`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX ix_audit_login_failures ON audit_entries (actor_label, at) WHERE action = 'staff.login.failed'`);
    await q.query(`DROP TABLE staff_login_failures`);
  }
}
