import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Data protection: the personal data of a booking is anonymised in place RETENTION_DAYS after its
 * appointment (or its expiry or cancellation), or early at the citizen's request; the rows stay.
 * `bookings.anonymised_at` marks it, and the database holds an anonymised booking to its
 * placeholders: no phone, and an address of its own under the reserved `.invalid` domain, so its
 * `email_key` (kept by the trigger) is unique to the row and never counts against a real
 * address (per-address limits, the no-show limit, one booking per address and slot).
 *
 * The audit log stays append-only with one exception: the anonymisation may replace `before` and
 * `after`, and nothing else, in a transaction that says so (`holdfast.anonymising` set locally).
 */
export class Retention1764650000000 implements MigrationInterface {
  name = 'Retention1764650000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE bookings ADD COLUMN anonymised_at timestamptz`);
    await q.query(
      `ALTER TABLE bookings ADD CONSTRAINT ck_bookings_anonymised
         CHECK (anonymised_at IS NULL OR (phone IS NULL AND email = 'anonymised.' || id || '@holdfast.invalid'))`,
    );
    // The retention job's candidates: bookings not yet anonymised.
    await q.query(`CREATE INDEX ix_bookings_not_anonymised ON bookings (created_at) WHERE anonymised_at IS NULL`);
    // Unmatched delivery reports (no message) still holding their raw text, by age.
    await q.query(
      `CREATE INDEX ix_delivery_events_unmatched_raw ON delivery_events (at) WHERE message_id IS NULL AND (raw IS NOT NULL OR recipient IS NOT NULL)`,
    );
    // Free text from mail servers and gateways (SMTP replies, reports) with addresses and numbers blanked.
    await q.query(`
      CREATE FUNCTION holdfast_mask_personal(value text) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
        SELECT regexp_replace(
                 regexp_replace(value, '[^\\s<>"'',;:()\\[\\]]+@[^\\s<>"'',;:()\\[\\]]+', '[anonymisiert]', 'g'),
                 '\\+[0-9]{7,15}', '[anonymisiert]', 'g')
      $$`);
    // An audit entry's before/after: the personal values (name, e-mail, phone) replaced, the rest kept.
    await q.query(`
      CREATE FUNCTION holdfast_mask_personal_json(value jsonb) RETURNS jsonb LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
        SELECT CASE WHEN jsonb_typeof(value) = 'object' THEN value || coalesce(
                 (SELECT jsonb_object_agg(k, '"anonymisiert"'::jsonb) FROM jsonb_each(value) e(k, v)
                   WHERE k IN ('name', 'email', 'phone') AND v <> 'null'::jsonb), '{}'::jsonb)
               ELSE value END
      $$`);
    await q.query(`CREATE OR REPLACE FUNCTION audit_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'UPDATE' AND current_setting('holdfast.anonymising', true) = 'on'
           AND NEW.id = OLD.id AND NEW.at = OLD.at AND NEW.actor_id IS NOT DISTINCT FROM OLD.actor_id
           AND NEW.actor_label = OLD.actor_label AND NEW.action = OLD.action
           AND NEW.booking_id IS NOT DISTINCT FROM OLD.booking_id AND NEW.reason IS NOT DISTINCT FROM OLD.reason THEN
          RETURN NEW;
        END IF;
        RAISE EXCEPTION 'audit_entries is append-only';
      END $$`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`CREATE OR REPLACE FUNCTION audit_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'audit_entries is append-only'; END $$`);
    await q.query(`DROP FUNCTION holdfast_mask_personal_json(jsonb)`);
    await q.query(`DROP FUNCTION holdfast_mask_personal(text)`);
    await q.query(`DROP INDEX ix_delivery_events_unmatched_raw`);
    await q.query(`DROP INDEX ix_bookings_not_anonymised`);
    await q.query(`ALTER TABLE bookings DROP CONSTRAINT ck_bookings_anonymised`);
    await q.query(`ALTER TABLE bookings DROP COLUMN anonymised_at`);
  }
}
