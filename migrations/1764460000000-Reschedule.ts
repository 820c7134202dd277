import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A rescheduled appointment keeps its calendar entry (same UID) with a higher SEQUENCE, so the
 * citizen's calendar moves it instead of adding a second one: `bookings.ics_sequence`, raised with
 * each move; a cancellation goes out one above it.
 */
export class Reschedule1764460000000 implements MigrationInterface {
  name = 'Reschedule1764460000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE bookings ADD COLUMN ics_sequence integer NOT NULL DEFAULT 0 CONSTRAINT ck_bookings_ics_sequence CHECK (ics_sequence >= 0)`,
    );
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE bookings DROP COLUMN ics_sequence`);
  }
}
