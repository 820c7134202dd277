import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Capacity is counters over time: an office's day is cut into units (`locations.unit_minutes`),
 * each with the number of counters open then (`counter_units.counters`, from the opening hours'
 * periods) and how many of them are taken (`reserved`). A booking takes one counter in every unit
 * its slot overlaps (its service's duration, rounded up to whole units), whatever the service:
 * all services share the counters. The database keeps it: `slots.booked` changes move
 * `reserved` of the units under the slot in the same statement (trigger `slots_counters`), and no
 * unit holds more than its counters (CHECK), so a booking that would need a counter that is not
 * free fails as a whole. Offices without units (none generated, as for slots made by hand) keep
 * the per-slot limit only.
 *
 * Existing data: units are made for every future slot's day of offices with opening hours, and
 * take what the active bookings of those days hold. Where the old per-service slots had booked
 * more than the counters (three services × three counters at 08:00), the unit keeps them
 * (`counters` raised to what is reserved, `overbooked_by_migration` set), so no booking is lost
 * and staff can see and resolve those times; nothing new is booked there until it is back under.
 */
export class CounterUnits1764440000000 implements MigrationInterface {
  name = 'CounterUnits1764440000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE locations ADD COLUMN unit_minutes integer NOT NULL DEFAULT 10
         CONSTRAINT ck_locations_unit_minutes CHECK (unit_minutes BETWEEN 5 AND 60 AND 60 % unit_minutes = 0)`,
    );
    await q.query(`CREATE TABLE counter_units (
      location_id uuid NOT NULL REFERENCES locations(id),
      starts_at timestamptz NOT NULL,
      ends_at timestamptz NOT NULL,
      counters integer NOT NULL,
      reserved integer NOT NULL DEFAULT 0,
      overbooked_by_migration integer,
      CONSTRAINT pk_counter_units PRIMARY KEY (location_id, starts_at),
      CONSTRAINT ck_counter_units_order CHECK (starts_at < ends_at),
      CONSTRAINT ck_counter_units_counters CHECK (counters BETWEEN 0 AND 1000),
      CONSTRAINT ck_counter_units_reserved CHECK (reserved >= 0 AND reserved <= counters)
    )`);
    await q.query(`
      CREATE FUNCTION holdfast_slot_counters() RETURNS trigger LANGUAGE plpgsql AS $$
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
                 WHERE location_id = NEW.location_id AND starts_at < NEW.ends_at AND ends_at > NEW.starts_at
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
         WHERE location_id = NEW.location_id AND starts_at < NEW.ends_at AND ends_at > NEW.starts_at;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER slots_counters AFTER UPDATE OF booked ON slots
        FOR EACH ROW EXECUTE FUNCTION holdfast_slot_counters()`);

    // Units for the days that have future slots, at offices with opening hours; the active bookings' share.
    await q.query(`
      INSERT INTO counter_units (location_id, starts_at, ends_at, counters)
      SELECT DISTINCT ON (l.id, u.at) l.id, u.at, u.at + interval '10 minutes', o.counters
        FROM locations l
        JOIN (SELECT DISTINCT s.location_id, (s.starts_at AT TIME ZONE l2.time_zone)::date AS day
                FROM slots s JOIN locations l2 ON l2.id = s.location_id WHERE s.ends_at > now()) d ON d.location_id = l.id
        JOIN opening_hours o ON o.location_id = l.id AND o.weekday = extract(isodow FROM d.day)
        CROSS JOIN LATERAL (
          SELECT ((d.day + o.opens) + g * interval '10 minutes') AT TIME ZONE l.time_zone AS at
            FROM generate_series(0, (extract(epoch FROM (o.closes - o.opens)) / 600)::int - 1) g
        ) u
       ORDER BY l.id, u.at, o.counters DESC`);
    await q.query(`
      UPDATE counter_units u SET reserved = x.n,
             overbooked_by_migration = CASE WHEN x.n > u.counters THEN x.n - u.counters END,
             counters = greatest(u.counters, x.n)
        FROM (SELECT u2.location_id, u2.starts_at, sum(s.booked)::int AS n
                FROM counter_units u2
                JOIN slots s ON s.location_id = u2.location_id AND s.starts_at < u2.ends_at AND s.ends_at > u2.starts_at
               WHERE s.booked > 0
               GROUP BY u2.location_id, u2.starts_at) x
       WHERE x.location_id = u.location_id AND x.starts_at = u.starts_at`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER slots_counters ON slots`);
    await q.query(`DROP FUNCTION holdfast_slot_counters()`);
    await q.query(`DROP TABLE counter_units`);
    await q.query(`ALTER TABLE locations DROP COLUMN unit_minutes`);
  }
}
