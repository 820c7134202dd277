import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The trigger function slots_counters (migration CounterUnits), with or without the lower bound on
 * the units' start that a unit of at most an hour allows: up installs it with, down restores the
 * original without.
 */
function slotCountersFunction(bounded: boolean): string {
  const bound = bounded ? " AND starts_at > NEW.starts_at - interval '1 hour'" : '';
  return `      CREATE OR REPLACE FUNCTION holdfast_slot_counters() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        delta int := NEW.booked - OLD.booked;
        first_start timestamptz;
        last_end timestamptz;
        covered interval;
      BEGIN
        IF delta = 0 THEN RETURN NULL; END IF;
        -- The units under the slot, locked in time order (two bookings never wait for each other crosswise).
        SELECT min(starts_at), max(ends_at), sum(ends_at - starts_at) INTO first_start, last_end, covered
          FROM (SELECT starts_at, ends_at FROM counter_units
                 WHERE location_id = NEW.location_id AND starts_at < NEW.ends_at AND ends_at > NEW.starts_at${bound}
                 ORDER BY starts_at FOR UPDATE) u;
        IF first_start IS NULL THEN
          -- An office without units keeps the per-slot limit; one with units has no counter at this time.
          IF delta > 0 AND EXISTS (SELECT 1 FROM counter_units WHERE location_id = NEW.location_id) THEN
            RAISE EXCEPTION 'no counter is open for this slot' USING ERRCODE = '23514', CONSTRAINT = 'ck_counter_units_reserved';
          END IF;
          RETURN NULL;
        END IF;
        IF delta > 0 AND (first_start > NEW.starts_at OR last_end < NEW.ends_at OR covered <> last_end - first_start) THEN
          RAISE EXCEPTION 'no counter is open for the whole slot' USING ERRCODE = '23514', CONSTRAINT = 'ck_counter_units_reserved';
        END IF;
        UPDATE counter_units SET reserved = reserved + delta
         WHERE location_id = NEW.location_id AND starts_at < NEW.ends_at AND ends_at > NEW.starts_at${bound};
        RETURN NULL;
      END $$`;
}

/**
 * Offices, services and hours as a city sets them up.
 *
 * - Offices get a contact line, a public notice and their own no-show limit (NULL: the global
 *   NO_SHOW_LIMIT); their time zone must be one PostgreSQL knows.
 * - Services get a description, what to bring, and `active` (a service with bookings is
 *   deactivated, never deleted).
 * - The offering (office × service): the duration there, whether it is bookable there, and how
 *   many of it one booking may hold. An office without an offering row offers the service with
 *   its default duration.
 * - Weekly hours carry a valid-from date: next month's hours may differ. Periods of one version
 *   never overlap (EXCLUDE, gist over a time range); periods that did are cut into touching pieces
 *   with the most counters over each (what the units had).
 * - A booking may combine up to 3 services: the first one's slot, the others' minutes after it
 *   (`extra_minutes`). Trigger `bookings_extra_units` reserves one counter in the units after the
 *   slot for those minutes while the booking is active, and frees them when it is not; the units'
 *   CHECK refuses a combination with no free counter (SLOT_FULL).
 */

export class OfficeAdmin1764660000000 implements MigrationInterface {
  name = 'OfficeAdmin1764660000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE EXTENSION IF NOT EXISTS btree_gist`);
    // A unit is at most an hour (unit_minutes ≤ 60): a unit that ends after t starts after t − 1 hour,
    // which bounds every "units under this time" lookup on the primary key from both sides (without
    // it, a booking or listing late in the year read all of the office's earlier units).
    await q.query(
      `ALTER TABLE counter_units ADD CONSTRAINT ck_counter_units_length CHECK (ends_at - starts_at <= interval '1 hour')`,
    );
    await q.query(slotCountersFunction(true));
    await q.query(`
      CREATE FUNCTION holdfast_known_time_zone(tz text) RETURNS boolean LANGUAGE sql STABLE AS $$
        SELECT EXISTS (SELECT 1 FROM pg_timezone_names WHERE name = tz)
      $$`);
    await q.query(`ALTER TABLE locations
      ADD COLUMN contact varchar(300),
      ADD COLUMN public_notice varchar(1000),
      ADD COLUMN no_show_limit integer CONSTRAINT ck_locations_no_show_limit CHECK (no_show_limit BETWEEN 0 AND 100),
      ADD CONSTRAINT ck_locations_time_zone CHECK (holdfast_known_time_zone(time_zone))`);
    await q.query(`ALTER TABLE services
      ADD COLUMN description varchar(2000),
      ADD COLUMN what_to_bring varchar(2000),
      ADD COLUMN active boolean NOT NULL DEFAULT true`);
    await q.query(`CREATE TABLE offerings (
      location_id uuid NOT NULL REFERENCES locations(id),
      service_id uuid NOT NULL REFERENCES services(id),
      duration_minutes integer NOT NULL CONSTRAINT ck_offerings_duration CHECK (duration_minutes BETWEEN 5 AND 480),
      bookable boolean NOT NULL DEFAULT true,
      max_per_booking integer NOT NULL DEFAULT 1 CONSTRAINT ck_offerings_max_per_booking CHECK (max_per_booking BETWEEN 1 AND 3),
      CONSTRAINT pk_offerings PRIMARY KEY (location_id, service_id)
    )`);
    await q.query(`CREATE TYPE holdfast_time_range AS RANGE (subtype = time)`);
    // Periods that overlap (the old rule: the larger number of counters where they do) become
    // pieces that touch, each with the most counters of the periods over it: the same units.
    await q.query(`
      WITH overlapping AS (
        SELECT DISTINCT a.location_id, a.weekday FROM opening_hours a JOIN opening_hours b
            ON b.location_id = a.location_id AND b.weekday = a.weekday AND b.id <> a.id AND a.opens < b.closes AND b.opens < a.closes
      ), bounds AS (
        SELECT o.location_id, o.weekday, t FROM opening_hours o JOIN overlapping g USING (location_id, weekday)
               CROSS JOIN LATERAL (VALUES (o.opens), (o.closes)) v(t)
      ), pieces AS (
        SELECT location_id, weekday, t AS opens, lead(t) OVER (PARTITION BY location_id, weekday ORDER BY t) AS closes
          FROM (SELECT DISTINCT location_id, weekday, t FROM bounds) d
      ), covered AS (
        SELECT p.location_id, p.weekday, p.opens, p.closes, max(o.counters) AS counters
          FROM pieces p JOIN opening_hours o ON o.location_id = p.location_id AND o.weekday = p.weekday
                                             AND o.opens <= p.opens AND o.closes >= p.closes
         WHERE p.closes IS NOT NULL GROUP BY 1, 2, 3, 4
      ), gone AS (
        DELETE FROM opening_hours o USING overlapping g WHERE o.location_id = g.location_id AND o.weekday = g.weekday
      )
      INSERT INTO opening_hours (location_id, weekday, opens, closes, counters)
      SELECT location_id, weekday, opens, closes, counters FROM covered`);
    await q.query(`ALTER TABLE opening_hours
      ADD COLUMN valid_from date NOT NULL DEFAULT DATE '2000-01-01',
      ADD CONSTRAINT ex_opening_hours_overlap EXCLUDE USING gist
        (location_id WITH =, weekday WITH =, valid_from WITH =, holdfast_time_range(opens, closes) WITH &&)`);
    await q.query(`ALTER TABLE bookings
      ADD COLUMN extra_service_ids uuid[] NOT NULL DEFAULT '{}'
        CONSTRAINT ck_bookings_extra_services CHECK (cardinality(extra_service_ids) <= 2),
      ADD COLUMN extra_minutes integer NOT NULL DEFAULT 0
        CONSTRAINT ck_bookings_extra_minutes CHECK (extra_minutes BETWEEN 0 AND 960 AND (extra_minutes = 0) = (cardinality(extra_service_ids) = 0))`);
    await q.query(`
      CREATE FUNCTION holdfast_extra_units(p_slot uuid, p_minutes int, p_delta int) RETURNS void LANGUAGE plpgsql AS $$
      DECLARE
        loc uuid; span_from timestamptz; span_to timestamptz;
        first_start timestamptz; last_end timestamptz; covered interval;
      BEGIN
        SELECT location_id, ends_at, ends_at + make_interval(mins => p_minutes) INTO loc, span_from, span_to FROM slots WHERE id = p_slot;
        -- The units after the slot's own (those starting at or after its end), locked in time order.
        SELECT min(starts_at), max(ends_at), sum(ends_at - starts_at) INTO first_start, last_end, covered
          FROM (SELECT starts_at, ends_at FROM counter_units
                 WHERE location_id = loc AND starts_at >= span_from AND starts_at < span_to ORDER BY starts_at FOR UPDATE) u;
        IF p_delta > 0 THEN
          IF first_start IS NULL THEN
            -- The extra minutes end inside the slot's last unit, or no counter is open after it.
            IF NOT EXISTS (SELECT 1 FROM counter_units WHERE location_id = loc AND starts_at < span_from AND ends_at >= span_to) THEN
              RAISE EXCEPTION 'no counter is open for the whole appointment' USING ERRCODE = '23514', CONSTRAINT = 'ck_counter_units_reserved';
            END IF;
          ELSIF last_end < span_to OR covered <> last_end - first_start
                OR (first_start > span_from AND NOT EXISTS (SELECT 1 FROM counter_units WHERE location_id = loc AND ends_at = first_start)) THEN
            RAISE EXCEPTION 'no counter is open for the whole appointment' USING ERRCODE = '23514', CONSTRAINT = 'ck_counter_units_reserved';
          END IF;
        END IF;
        UPDATE counter_units SET reserved = reserved + p_delta
         WHERE location_id = loc AND starts_at >= span_from AND starts_at < span_to;
      END $$`);
    await q.query(`
      CREATE FUNCTION holdfast_booking_extra_units() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        was_active boolean := TG_OP = 'UPDATE' AND OLD.status IN ('pending', 'confirmed') AND OLD.extra_minutes > 0;
        is_active boolean := NEW.status IN ('pending', 'confirmed') AND NEW.extra_minutes > 0;
      BEGIN
        IF was_active AND is_active AND OLD.slot_id = NEW.slot_id AND OLD.extra_minutes = NEW.extra_minutes THEN RETURN NULL; END IF;
        IF was_active THEN PERFORM holdfast_extra_units(OLD.slot_id, OLD.extra_minutes, -1); END IF;
        IF is_active THEN PERFORM holdfast_extra_units(NEW.slot_id, NEW.extra_minutes, 1); END IF;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER bookings_extra_units AFTER INSERT ON bookings
        FOR EACH ROW WHEN (NEW.extra_minutes > 0) EXECUTE FUNCTION holdfast_booking_extra_units()`);
    await q.query(`
      CREATE TRIGGER bookings_extra_units_change AFTER UPDATE OF status, slot_id, extra_minutes ON bookings
        FOR EACH ROW WHEN (OLD.extra_minutes > 0 OR NEW.extra_minutes > 0) EXECUTE FUNCTION holdfast_booking_extra_units()`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(slotCountersFunction(false));
    await q.query(`ALTER TABLE counter_units DROP CONSTRAINT ck_counter_units_length`);
    await q.query(`DROP TRIGGER bookings_extra_units_change ON bookings`);
    await q.query(`DROP TRIGGER bookings_extra_units ON bookings`);
    await q.query(`DROP FUNCTION holdfast_booking_extra_units()`);
    await q.query(`DROP FUNCTION holdfast_extra_units(uuid, int, int)`);
    await q.query(`ALTER TABLE bookings DROP COLUMN extra_minutes, DROP COLUMN extra_service_ids`);
    await q.query(`ALTER TABLE opening_hours DROP CONSTRAINT ex_opening_hours_overlap, DROP COLUMN valid_from`);
    await q.query(`DROP TYPE holdfast_time_range`);
    await q.query(`DROP TABLE offerings`);
    await q.query(`ALTER TABLE services DROP COLUMN active, DROP COLUMN what_to_bring, DROP COLUMN description`);
    await q.query(`ALTER TABLE locations DROP CONSTRAINT ck_locations_time_zone, DROP COLUMN no_show_limit,
      DROP COLUMN public_notice, DROP COLUMN contact`);
    await q.query(`DROP FUNCTION holdfast_known_time_zone(text)`);
  }
}
