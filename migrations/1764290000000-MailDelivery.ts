import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Mail delivery that knows where every mail is: the recipient's provider family on each
 * message, the states after the relay's 250 (delayed, bounced), a circuit per provider family
 * shared by all instances, and every delivery event (SMTP reply, DSN, webhook) kept.
 */
export class MailDelivery1764290000000 implements MigrationInterface {
  name = 'MailDelivery1764290000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE outbox_messages ADD COLUMN family varchar(64)`);
    await q.query(`ALTER TABLE outbox_messages ADD COLUMN accepted_by varchar(8) CHECK (accepted_by IN ('relay', 'mx'))`);
    await q.query(`ALTER TABLE outbox_messages ADD COLUMN is_probe boolean NOT NULL DEFAULT false`);
    await q.query(`ALTER TABLE outbox_messages DROP CONSTRAINT ck_outbox_state`);
    await q.query(
      `ALTER TABLE outbox_messages ADD CONSTRAINT ck_outbox_state CHECK (state IN ('queued', 'sending', 'deferred', 'held_provider_blocked', 'accepted', 'delayed', 'bounced', 'failed', 'cancelled'))`,
    );
    await q.query(
      `CREATE INDEX ix_outbox_family_waiting ON outbox_messages (family, created_at) WHERE state IN ('queued', 'deferred', 'held_provider_blocked', 'delayed')`,
    );
    await q.query(
      `CREATE INDEX ix_outbox_family_due ON outbox_messages (family, next_attempt_at) WHERE state IN ('queued', 'deferred')`,
    );
    await q.query(
      `CREATE INDEX ix_outbox_unresolved ON outbox_messages (created_at) WHERE family IS NULL AND state IN ('queued', 'deferred')`,
    );

    await q.query(`ALTER TABLE mail_attempts ADD COLUMN family varchar(64)`);
    await q.query(`ALTER TABLE mail_attempts DROP CONSTRAINT mail_attempts_outcome_check`);
    await q.query(
      `ALTER TABLE mail_attempts ADD CONSTRAINT mail_attempts_outcome_check CHECK (outcome IN ('accepted', 'deferred', 'held', 'bounced', 'failed', 'lease_expired'))`,
    );
    await q.query(`CREATE INDEX ix_mail_attempts_family_time ON mail_attempts (family, finished_at)`);

    await q.query(`CREATE TABLE provider_circuits (
      family varchar(64) PRIMARY KEY,
      state varchar(12) NOT NULL DEFAULT 'closed' CHECK (state IN ('closed', 'open', 'half_open')),
      since timestamptz NOT NULL,
      open_until timestamptz,
      circuit jsonb NOT NULL,
      paused_by varchar(254),
      pause_reason text,
      updated_at timestamptz NOT NULL
    )`);

    await q.query(`CREATE TABLE delivery_events (
      id bigserial PRIMARY KEY,
      message_id uuid REFERENCES outbox_messages(id),
      at timestamptz NOT NULL,
      source varchar(8) NOT NULL CHECK (source IN ('smtp', 'dsn', 'webhook', 'staff')),
      kind varchar(24) NOT NULL,
      state_after varchar(24),
      category varchar(32),
      status varchar(16),
      reply text,
      remote_mta varchar(255),
      recipient varchar(254),
      unmatched_reason varchar(64),
      raw text
    )`);
    await q.query(`CREATE INDEX ix_delivery_events_message ON delivery_events (message_id, id)`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE delivery_events`);
    await q.query(`DROP TABLE provider_circuits`);
    await q.query(`DROP INDEX ix_mail_attempts_family_time`);
    await q.query(`ALTER TABLE mail_attempts DROP COLUMN family`);
    await q.query(`UPDATE mail_attempts SET outcome = 'deferred' WHERE outcome = 'held'`);
    await q.query(`UPDATE mail_attempts SET outcome = 'failed' WHERE outcome = 'bounced'`);
    await q.query(`ALTER TABLE mail_attempts DROP CONSTRAINT mail_attempts_outcome_check`);
    await q.query(
      `ALTER TABLE mail_attempts ADD CONSTRAINT mail_attempts_outcome_check CHECK (outcome IN ('accepted', 'deferred', 'failed', 'lease_expired'))`,
    );
    await q.query(`DROP INDEX ix_outbox_unresolved`);
    await q.query(`DROP INDEX ix_outbox_family_due`);
    await q.query(`DROP INDEX ix_outbox_family_waiting`);
    await q.query(`UPDATE outbox_messages SET state = 'deferred' WHERE state IN ('held_provider_blocked', 'delayed')`);
    await q.query(`UPDATE outbox_messages SET state = 'failed' WHERE state = 'bounced'`);
    await q.query(`ALTER TABLE outbox_messages DROP CONSTRAINT ck_outbox_state`);
    await q.query(
      `ALTER TABLE outbox_messages ADD CONSTRAINT ck_outbox_state CHECK (state IN ('queued', 'sending', 'deferred', 'accepted', 'failed', 'cancelled'))`,
    );
    await q.query(`ALTER TABLE outbox_messages DROP COLUMN is_probe`);
    await q.query(`ALTER TABLE outbox_messages DROP COLUMN accepted_by`);
    await q.query(`ALTER TABLE outbox_messages DROP COLUMN family`);
  }
}
