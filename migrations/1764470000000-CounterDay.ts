import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The day at the counter: who came (`attendance`: arrived, served, or no_show after the slot's
 * end and a grace time) and walk-ins (a clerk books a free counter for someone at the desk: no
 * confirmation mail, no reminders; its address is a reserved `.invalid` one unless given).
 */
export class CounterDay1764470000000 implements MigrationInterface {
  name = 'CounterDay1764470000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE bookings
      ADD COLUMN attendance varchar(8) CONSTRAINT ck_bookings_attendance CHECK (attendance IN ('arrived', 'served', 'no_show')),
      ADD COLUMN attendance_at timestamptz,
      ADD COLUMN walk_in boolean NOT NULL DEFAULT false`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE bookings DROP COLUMN attendance, DROP COLUMN attendance_at, DROP COLUMN walk_in`);
  }
}
