import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A booking refused for a named reason fails its statement like the per-address limits
 * (SQLSTATE HF409, see BookingRefusal): here for an address with too many no-shows
 * (`NO_SHOW_LIMIT`).
 */
export class NoShowLimit1764480000000 implements MigrationInterface {
  name = 'NoShowLimit1764480000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION holdfast_booking_refused_because(reason text) RETURNS boolean LANGUAGE plpgsql VOLATILE AS $$
      BEGIN
        RAISE EXCEPTION USING ERRCODE = 'HF409', MESSAGE = reason, HINT = 'A per-address booking limit; nothing is written.';
      END $$`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION holdfast_booking_refused_because(text)`);
  }
}
