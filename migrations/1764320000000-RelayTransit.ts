import { MigrationInterface, QueryRunner } from 'typeorm';

const STATES_BEFORE = `'queued', 'sending', 'deferred', 'held_provider_blocked', 'accepted', 'delayed', 'bounced', 'failed', 'cancelled'`;

/**
 * A relay's 250 is "in transit", not "delivered": the new state `in_transit` holds mail our relay
 * took until a report (or, where none can come, RELAY_TRANSIT_MINUTES) says it reached the
 * recipient's side. `reports_requested`: the relay announced DSN on that connection and was asked
 * for success reports. `delivered_at` is now the moment a mail counts as delivered for every
 * channel, and `delivery_evidence` says what proved it. Mail accepted before this migration keeps
 * counting as delivered at its acceptance, as it did.
 */
export class RelayTransit1764320000000 implements MigrationInterface {
  name = 'RelayTransit1764320000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE outbox_messages DROP CONSTRAINT ck_outbox_state`);
    await q.query(`ALTER TABLE outbox_messages ADD CONSTRAINT ck_outbox_state CHECK (state IN (${STATES_BEFORE}, 'in_transit'))`);
    await q.query(`ALTER TABLE outbox_messages ADD COLUMN reports_requested boolean`);
    await q.query(`ALTER TABLE outbox_messages ADD COLUMN delivery_evidence varchar(16)`);
    await q.query(
      `ALTER TABLE outbox_messages ADD CONSTRAINT ck_outbox_delivery_evidence
         CHECK (delivery_evidence IN ('smtp', 'report', 'transit_rule', 'before_reports'))`,
    );
    // What proved each delivery: a report (the code before this set accepted_by = 'mx' for a
    // relay's "delivered" report too), the MX's own 250, or only the relay's 250.
    await q.query(
      `UPDATE outbox_messages o SET delivered_at = COALESCE(o.delivered_at, o.accepted_at),
              delivery_evidence = CASE
                WHEN EXISTS (SELECT 1 FROM delivery_events e WHERE e.message_id = o.id AND e.kind = 'delivered') THEN 'report'
                WHEN o.accepted_by = 'mx' THEN 'smtp'
                ELSE 'before_reports' END
        WHERE o.channel = 'email' AND o.state = 'accepted'`,
    );
    await q.query(`UPDATE outbox_messages SET delivery_evidence = 'report' WHERE channel = 'sms' AND delivered_at IS NOT NULL`);
    // An e-mail counts as delivered exactly when it is `accepted`, and then it says since when and why;
    // mail in transit has the relay's acceptance time the transit rule counts from.
    await q.query(
      `ALTER TABLE outbox_messages ADD CONSTRAINT ck_outbox_email_delivered
         CHECK (channel <> 'email' OR (state = 'accepted') = (delivered_at IS NOT NULL AND delivery_evidence IS NOT NULL))`,
    );
    await q.query(
      `ALTER TABLE outbox_messages ADD CONSTRAINT ck_outbox_in_transit
         CHECK (state <> 'in_transit' OR (accepted_at IS NOT NULL AND accepted_by = 'relay' AND reports_requested IS NOT NULL))`,
    );
    // The transit rule and the providers view look at mail in transit by family and age.
    await q.query(`CREATE INDEX ix_outbox_in_transit ON outbox_messages (family, accepted_at) WHERE state = 'in_transit'`);
    // Relay acceptances of the last days: the rolling count of acceptances that never got a report.
    await q.query(`CREATE INDEX ix_outbox_relay_accepted ON outbox_messages (accepted_at) WHERE accepted_by = 'relay'`);
    // "Did any report come this week?"
    await q.query(`CREATE INDEX ix_delivery_events_at ON delivery_events (at) WHERE message_id IS NOT NULL`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX ix_delivery_events_at`);
    await q.query(`DROP INDEX ix_outbox_relay_accepted`);
    await q.query(`DROP INDEX ix_outbox_in_transit`);
    await q.query(`ALTER TABLE outbox_messages DROP CONSTRAINT ck_outbox_in_transit`);
    await q.query(`ALTER TABLE outbox_messages DROP CONSTRAINT ck_outbox_email_delivered`);
    // Mail in transit counted as delivered before this migration.
    await q.query(`UPDATE outbox_messages SET state = 'accepted' WHERE state = 'in_transit'`);
    await q.query(`ALTER TABLE outbox_messages DROP CONSTRAINT ck_outbox_delivery_evidence`);
    await q.query(`ALTER TABLE outbox_messages DROP COLUMN delivery_evidence`);
    await q.query(`ALTER TABLE outbox_messages DROP COLUMN reports_requested`);
    await q.query(`ALTER TABLE outbox_messages DROP CONSTRAINT ck_outbox_state`);
    await q.query(`ALTER TABLE outbox_messages ADD CONSTRAINT ck_outbox_state CHECK (state IN (${STATES_BEFORE}))`);
  }
}
