import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Closures: an office closed for a whole or part day, with a reason shown to citizens. Its counter
 * units have no counters (bookings there were cancelled with a notice first, never overbooked
 * silently); units generated later inside a closure are made without counters. Public holidays:
 * `locations.holiday_region` (e.g. `DE-BE`), no units or slots on those days.
 */
export class Closures1764450000000 implements MigrationInterface {
  name = 'Closures1764450000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE closures (
      id uuid NOT NULL DEFAULT gen_random_uuid() CONSTRAINT pk_closures PRIMARY KEY,
      location_id uuid NOT NULL REFERENCES locations(id),
      starts_at timestamptz NOT NULL,
      ends_at timestamptz NOT NULL,
      reason varchar(300) NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      created_by varchar(254) NOT NULL,
      CONSTRAINT ck_closures_order CHECK (starts_at < ends_at)
    )`);
    await q.query(`CREATE INDEX ix_closures_location ON closures (location_id, starts_at)`);
    await q.query(`ALTER TABLE locations ADD COLUMN holiday_region varchar(16)`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE locations DROP COLUMN holiday_region`);
    await q.query(`DROP TABLE closures`);
  }
}
