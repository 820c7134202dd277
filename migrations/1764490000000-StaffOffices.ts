import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A clerk may be bound to offices: with rows here the clerk sees and changes only those offices'
 * bookings; without, all (supervisors and admins are never bound).
 */
export class StaffOffices1764490000000 implements MigrationInterface {
  name = 'StaffOffices1764490000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE staff_user_locations (
      staff_user_id uuid NOT NULL REFERENCES staff_users(id),
      location_id uuid NOT NULL REFERENCES locations(id),
      CONSTRAINT pk_staff_user_locations PRIMARY KEY (staff_user_id, location_id)
    )`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE staff_user_locations`);
  }
}
