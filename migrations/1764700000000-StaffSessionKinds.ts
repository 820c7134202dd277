import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Staff sessions of two kinds: a bearer token for integrations and the console's cookie. Each
 * gets an id an admin can name to revoke it (the token's hash is never shown), and the time it was
 * last used, for the console's idle timeout. Existing sessions are bearer sessions.
 */
export class StaffSessionKinds1764700000000 implements MigrationInterface {
  name = 'StaffSessionKinds1764700000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE staff_sessions
      ADD COLUMN id uuid NOT NULL DEFAULT gen_random_uuid(),
      ADD COLUMN kind varchar(8) NOT NULL DEFAULT 'bearer',
      ADD COLUMN last_seen_at timestamptz`);
    await q.query(`UPDATE staff_sessions SET last_seen_at = created_at`);
    await q.query(`ALTER TABLE staff_sessions
      ALTER COLUMN id DROP DEFAULT,
      ALTER COLUMN kind DROP DEFAULT,
      ALTER COLUMN last_seen_at SET NOT NULL,
      ADD CONSTRAINT uq_staff_sessions_id UNIQUE (id),
      ADD CONSTRAINT ck_staff_sessions_kind CHECK (kind IN ('bearer', 'cookie')),
      ADD CONSTRAINT ck_staff_sessions_seen CHECK (last_seen_at >= created_at)`);
    await q.query(`CREATE INDEX ix_staff_sessions_user ON staff_sessions (staff_user_id)`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX ix_staff_sessions_user`);
    await q.query(`ALTER TABLE staff_sessions DROP COLUMN last_seen_at, DROP COLUMN kind, DROP COLUMN id`);
  }
}
