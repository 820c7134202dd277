import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The booking core. Constraints live here, not in code: capacity CHECKs, status/column
 * consistency, one active booking per address and slot, an append-only audit log.
 */
export class BookingCore1764280000000 implements MigrationInterface {
  name = 'BookingCore1764280000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE EXTENSION IF NOT EXISTS pgcrypto`);

    await q.query(`CREATE TABLE installation (
      id smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
      secret text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    )`);

    await q.query(`CREATE TABLE locations (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      name varchar(200) NOT NULL,
      address varchar(300) NOT NULL,
      time_zone varchar(64) NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT uq_locations_name UNIQUE (name)
    )`);

    await q.query(`CREATE TABLE services (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      name varchar(200) NOT NULL,
      duration_minutes integer NOT NULL CHECK (duration_minutes BETWEEN 5 AND 480),
      created_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT uq_services_name UNIQUE (name)
    )`);

    await q.query(`CREATE TABLE opening_hours (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      location_id uuid NOT NULL REFERENCES locations(id),
      weekday smallint NOT NULL CHECK (weekday BETWEEN 1 AND 7),
      opens time NOT NULL,
      closes time NOT NULL,
      counters integer NOT NULL CHECK (counters BETWEEN 1 AND 1000),
      CONSTRAINT ck_opening_hours_order CHECK (opens < closes)
    )`);
    await q.query(`CREATE INDEX ix_opening_hours_location ON opening_hours (location_id)`);

    await q.query(`CREATE TABLE slots (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      location_id uuid NOT NULL REFERENCES locations(id),
      service_id uuid NOT NULL REFERENCES services(id),
      starts_at timestamptz NOT NULL,
      ends_at timestamptz NOT NULL,
      capacity integer NOT NULL CHECK (capacity >= 0),
      booked integer NOT NULL DEFAULT 0,
      CONSTRAINT ck_slots_booked CHECK (booked >= 0 AND booked <= capacity),
      CONSTRAINT ck_slots_order CHECK (starts_at < ends_at),
      CONSTRAINT uq_slots_location_service_start UNIQUE (location_id, service_id, starts_at)
    )`);
    await q.query(`CREATE INDEX ix_slots_search ON slots (location_id, service_id, starts_at)`);

    await q.query(`CREATE TABLE bookings (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      reference varchar(12) NOT NULL,
      slot_id uuid NOT NULL REFERENCES slots(id),
      location_id uuid NOT NULL REFERENCES locations(id),
      name varchar(200) NOT NULL,
      email varchar(254) NOT NULL,
      phone varchar(32),
      status varchar(16) NOT NULL,
      hold_until timestamptz NOT NULL,
      created_at timestamptz NOT NULL,
      confirmed_at timestamptz,
      cancelled_at timestamptz,
      expired_at timestamptz,
      expiry_reason varchar(32),
      status_token_version integer NOT NULL DEFAULT 1,
      CONSTRAINT uq_bookings_reference UNIQUE (reference),
      CONSTRAINT ck_bookings_status CHECK (status IN ('pending', 'confirmed', 'cancelled', 'expired')),
      CONSTRAINT ck_bookings_expiry_reason CHECK (expiry_reason IN ('not_confirmed', 'mail_undelivered')),
      CONSTRAINT ck_bookings_status_columns CHECK (
        (status = 'confirmed') = (confirmed_at IS NOT NULL AND cancelled_at IS NULL AND expired_at IS NULL)
        AND (status = 'cancelled') = (cancelled_at IS NOT NULL)
        AND (status = 'expired') = (expired_at IS NOT NULL AND expiry_reason IS NOT NULL)
        AND (expiry_reason IS NULL OR status = 'expired')
      )
    )`);
    // One active booking per address and slot; the per-day limit is checked under an advisory lock.
    await q.query(
      `CREATE UNIQUE INDEX uq_bookings_active_email_slot ON bookings (slot_id, lower(email)) WHERE status IN ('pending', 'confirmed')`,
    );
    await q.query(
      `CREATE INDEX ix_bookings_email_active ON bookings (lower(email), location_id) WHERE status IN ('pending', 'confirmed')`,
    );
    await q.query(`CREATE INDEX ix_bookings_pending_hold ON bookings (hold_until) WHERE status = 'pending'`);
    await q.query(`CREATE INDEX ix_bookings_slot ON bookings (slot_id)`);

    await q.query(`CREATE TABLE idempotency_keys (
      key varchar(200) PRIMARY KEY,
      request_hash varchar(64) NOT NULL,
      booking_id uuid REFERENCES bookings(id),
      response jsonb,
      created_at timestamptz NOT NULL
    )`);

    await q.query(`CREATE TABLE confirmation_tokens (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      booking_id uuid NOT NULL REFERENCES bookings(id),
      token_hash bytea NOT NULL,
      created_at timestamptz NOT NULL,
      revoked_at timestamptz,
      CONSTRAINT uq_confirmation_tokens_hash UNIQUE (token_hash)
    )`);
    await q.query(`CREATE INDEX ix_confirmation_tokens_booking ON confirmation_tokens (booking_id)`);

    await q.query(`CREATE TABLE outbox_messages (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      booking_id uuid REFERENCES bookings(id),
      kind varchar(40) NOT NULL,
      channel varchar(16) NOT NULL CHECK (channel IN ('email', 'sms')),
      recipient varchar(254) NOT NULL,
      message_id varchar(200) NOT NULL,
      payload jsonb NOT NULL,
      state varchar(24) NOT NULL DEFAULT 'queued',
      attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
      next_attempt_at timestamptz NOT NULL,
      lease_owner varchar(100),
      lease_until timestamptz,
      last_reply_code integer,
      last_reply text,
      last_reply_category varchar(32),
      created_at timestamptz NOT NULL,
      accepted_at timestamptz,
      failed_at timestamptz,
      CONSTRAINT uq_outbox_message_id UNIQUE (message_id),
      CONSTRAINT ck_outbox_state CHECK (state IN ('queued', 'sending', 'deferred', 'accepted', 'failed', 'cancelled')),
      CONSTRAINT ck_outbox_lease CHECK ((state = 'sending') = (lease_owner IS NOT NULL AND lease_until IS NOT NULL))
    )`);
    // The dispatcher's claim query: due work, and sending rows whose lease ran out.
    await q.query(`CREATE INDEX ix_outbox_due ON outbox_messages (next_attempt_at) WHERE state IN ('queued', 'deferred')`);
    await q.query(`CREATE INDEX ix_outbox_leased ON outbox_messages (lease_until) WHERE state = 'sending'`);
    await q.query(`CREATE INDEX ix_outbox_booking ON outbox_messages (booking_id)`);

    await q.query(`CREATE TABLE mail_attempts (
      id bigserial PRIMARY KEY,
      message_id uuid NOT NULL REFERENCES outbox_messages(id),
      attempt integer NOT NULL,
      started_at timestamptz NOT NULL,
      finished_at timestamptz NOT NULL,
      outcome varchar(16) NOT NULL CHECK (outcome IN ('accepted', 'deferred', 'failed', 'lease_expired')),
      reply_code integer,
      reply text,
      error_code varchar(40),
      category varchar(32),
      worker varchar(100) NOT NULL
    )`);
    await q.query(`CREATE INDEX ix_mail_attempts_message ON mail_attempts (message_id, attempt)`);

    await q.query(`CREATE TABLE staff_users (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      email varchar(254) NOT NULL,
      display_name varchar(200) NOT NULL,
      role varchar(16) NOT NULL CHECK (role IN ('clerk', 'supervisor', 'admin')),
      password_hash text NOT NULL,
      created_at timestamptz NOT NULL,
      disabled_at timestamptz
    )`);
    await q.query(`CREATE UNIQUE INDEX uq_staff_users_email ON staff_users (lower(email))`);

    await q.query(`CREATE TABLE staff_sessions (
      token_hash bytea PRIMARY KEY,
      staff_user_id uuid NOT NULL REFERENCES staff_users(id),
      created_at timestamptz NOT NULL,
      expires_at timestamptz NOT NULL
    )`);

    await q.query(`CREATE TABLE audit_entries (
      id bigserial PRIMARY KEY,
      at timestamptz NOT NULL,
      actor_id uuid REFERENCES staff_users(id),
      actor_label varchar(254) NOT NULL,
      action varchar(64) NOT NULL,
      booking_id uuid REFERENCES bookings(id),
      reason text,
      before jsonb,
      after jsonb
    )`);
    await q.query(`CREATE INDEX ix_audit_booking ON audit_entries (booking_id, at)`);
    // Append-only: the database refuses to change history, whoever asks.
    await q.query(`CREATE FUNCTION audit_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'audit_entries is append-only'; END $$`);
    await q.query(`CREATE TRIGGER tr_audit_entries_append_only BEFORE UPDATE OR DELETE ON audit_entries
      FOR EACH ROW EXECUTE FUNCTION audit_entries_append_only()`);
    await q.query(`CREATE TRIGGER tr_audit_entries_no_truncate BEFORE TRUNCATE ON audit_entries
      FOR EACH STATEMENT EXECUTE FUNCTION audit_entries_append_only()`);
    // Bookings are never deleted: expiry and cancellation are states.
    await q.query(`CREATE FUNCTION bookings_never_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'bookings are never deleted'; END $$`);
    await q.query(`CREATE TRIGGER tr_bookings_never_deleted BEFORE DELETE ON bookings
      FOR EACH ROW EXECUTE FUNCTION bookings_never_deleted()`);
  }

  public async down(q: QueryRunner): Promise<void> {
    for (const table of [
      'audit_entries',
      'staff_sessions',
      'staff_users',
      'mail_attempts',
      'outbox_messages',
      'confirmation_tokens',
      'idempotency_keys',
      'bookings',
      'slots',
      'opening_hours',
      'services',
      'locations',
      'installation',
    ]) {
      await q.query(`DROP TABLE IF EXISTS ${table}`);
    }
    await q.query(`DROP FUNCTION IF EXISTS audit_entries_append_only()`);
    await q.query(`DROP FUNCTION IF EXISTS bookings_never_deleted()`);
  }
}
