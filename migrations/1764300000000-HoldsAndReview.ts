import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Holds that follow the mail, the clerks' review queue, incidents per provider family, and SMS
 * as a second channel with a short confirmation code.
 */
export class HoldsAndReview1764300000000 implements MigrationInterface {
  name = 'HoldsAndReview1764300000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE bookings ADD COLUMN goodwill_until timestamptz`);
    await q.query(`ALTER TABLE bookings ADD COLUMN hold_reason varchar(32)`);
    await q.query(`ALTER TABLE bookings ADD COLUMN review_status varchar(8) CHECK (review_status IN ('open', 'closed'))`);
    await q.query(`ALTER TABLE bookings ADD COLUMN review_closed_at timestamptz`);
    await q.query(`CREATE INDEX ix_bookings_review ON bookings (review_status, expired_at DESC) WHERE review_status IS NOT NULL`);

    await q.query(`ALTER TABLE outbox_messages ADD COLUMN delivered_at timestamptz`);
    await q.query(`ALTER TABLE outbox_messages DROP CONSTRAINT outbox_messages_accepted_by_check`);
    await q.query(`ALTER TABLE outbox_messages ALTER COLUMN accepted_by TYPE varchar(16)`);
    await q.query(
      `ALTER TABLE outbox_messages ADD CONSTRAINT outbox_messages_accepted_by_check CHECK (accepted_by IN ('relay', 'mx', 'sms_gateway'))`,
    );

    await q.query(`CREATE TABLE confirmation_codes (
      booking_id uuid PRIMARY KEY REFERENCES bookings(id),
      code_hash bytea NOT NULL,
      failed_attempts integer NOT NULL DEFAULT 0 CHECK (failed_attempts >= 0),
      locked_at timestamptz,
      created_at timestamptz NOT NULL
    )`);

    await q.query(`CREATE TABLE incidents (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      family varchar(64) NOT NULL,
      reason text NOT NULL,
      declared_at timestamptz NOT NULL,
      declared_by varchar(254) NOT NULL,
      ended_at timestamptz,
      ended_by varchar(254),
      end_reason text
    )`);
    // Login throttling counts recent failures per account.
    await q.query(`CREATE INDEX ix_audit_login_failures ON audit_entries (actor_label, at) WHERE action = 'staff.login.failed'`);
    // One open incident per family.
    await q.query(`CREATE UNIQUE INDEX uq_incidents_open_family ON incidents (family) WHERE ended_at IS NULL`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE incidents`);
    await q.query(`DROP INDEX ix_audit_login_failures`);
    await q.query(`DROP TABLE confirmation_codes`);
    await q.query(`UPDATE outbox_messages SET accepted_by = NULL WHERE accepted_by = 'sms_gateway'`);
    await q.query(`ALTER TABLE outbox_messages DROP CONSTRAINT outbox_messages_accepted_by_check`);
    await q.query(`ALTER TABLE outbox_messages ALTER COLUMN accepted_by TYPE varchar(8)`);
    await q.query(
      `ALTER TABLE outbox_messages ADD CONSTRAINT outbox_messages_accepted_by_check CHECK (accepted_by IN ('relay', 'mx'))`,
    );
    await q.query(`ALTER TABLE outbox_messages DROP COLUMN delivered_at`);
    await q.query(`DROP INDEX ix_bookings_review`);
    for (const c of ['review_closed_at', 'review_status', 'hold_reason', 'goodwill_until'])
      await q.query(`ALTER TABLE bookings DROP COLUMN ${c}`);
  }
}
