import { MigrationInterface, QueryRunner } from 'typeorm';

/** The language the citizen booked in: their mails (reminder, confirmed, cancelled) follow it. */
export class BookingLanguage1764410000000 implements MigrationInterface {
  name = 'BookingLanguage1764410000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE bookings ADD COLUMN lang varchar(2) NOT NULL DEFAULT 'de' CONSTRAINT ck_bookings_lang CHECK (lang IN ('de', 'en'))`,
    );
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE bookings DROP COLUMN lang`);
  }
}
