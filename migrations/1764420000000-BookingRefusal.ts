import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A booking over a per-address limit fails its statement instead of returning "not written", so
 * that the statements sent behind it in the same batch (the idempotency key's response, COMMIT)
 * are refused with it and the transaction rolls back: the booking is sent pipelined (see
 * BookingsRepository.writeBooking). SQLSTATE HF409; the message is the limit's name.
 */
export class BookingRefusal1764420000000 implements MigrationInterface {
  name = 'BookingRefusal1764420000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION holdfast_booking_refused(reason text) RETURNS boolean LANGUAGE plpgsql VOLATILE AS $$
      BEGIN
        RAISE EXCEPTION USING ERRCODE = 'HF409', MESSAGE = reason, HINT = 'A per-address booking limit; nothing is written.';
      END $$`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION holdfast_booking_refused(text)`);
  }
}
