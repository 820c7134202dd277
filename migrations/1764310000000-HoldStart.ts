import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * When the booking's current hold started: the booking, or a clerk's reinstatement. The hold's
 * upper limit (HOLD_MAX_HOURS) and its first window count from here, so a reinstated booking gets
 * the same hold as a new one without a goodwill stand-in.
 */
export class HoldStart1764310000000 implements MigrationInterface {
  name = 'HoldStart1764310000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE bookings ADD COLUMN hold_started_at timestamptz`);
    await q.query(`UPDATE bookings SET hold_started_at = created_at`);
    await q.query(`ALTER TABLE bookings ALTER COLUMN hold_started_at SET NOT NULL`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE bookings DROP COLUMN hold_started_at`);
  }
}
