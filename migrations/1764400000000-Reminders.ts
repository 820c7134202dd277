import { MigrationInterface, QueryRunner } from 'typeorm';

/** One reminder per booking and channel, whatever the number of instances: the database refuses a second. */
export class Reminders1764400000000 implements MigrationInterface {
  name = 'Reminders1764400000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE UNIQUE INDEX uq_outbox_reminder ON outbox_messages (booking_id, kind) WHERE kind IN ('booking_reminder', 'sms_reminder')`,
    );
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX uq_outbox_reminder`);
  }
}
