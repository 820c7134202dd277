import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { sql, sqlOne } from '../database/sql';
import { GeneratedSlot, GeneratedUnit, WeeklyOpening } from './slot-generation';

export interface LocationRow {
  id: string;
  name: string;
  address: string;
  timeZone: string;
  unitMinutes?: number;
  holidayRegion?: string | null;
}

export interface ClosureRow {
  id: string;
  locationId: string;
  startsAt: Date;
  endsAt: Date;
  reason: string;
}

/**
 * A slot `s` is bookable only while every counter unit under it has a free counter (offices
 * without units: the slot's own capacity alone). The same rule the trigger slots_counters enforces.
 */
const COUNTERS_FREE = (s: string) =>
  `NOT EXISTS (SELECT 1 FROM counter_units u WHERE u.location_id = ${s}.location_id AND u.starts_at < ${s}.ends_at
                 AND u.ends_at > ${s}.starts_at AND u.reserved >= u.counters)`;
export interface ServiceRow {
  id: string;
  name: string;
  durationMinutes: number;
}
export interface SlotRow {
  id: string;
  locationId: string;
  serviceId: string;
  startsAt: Date;
  endsAt: Date;
  capacity: number;
  booked: number;
  timeZone: string;
}

export interface SlotDetailsRow {
  id: string;
  startsAt: Date;
  endsAt: Date;
  capacity: number;
  booked: number;
  locationId: string;
  locationName: string;
  locationAddress: string;
  timeZone: string;
  serviceId: string;
  serviceName: string;
}

@Injectable()
export class SchedulingRepository {
  async countLocations(manager: EntityManager): Promise<number> {
    return (await sql<{ n: number }>(manager, `SELECT count(*)::int AS n FROM locations`))[0].n;
  }

  listLocations(manager: EntityManager): Promise<LocationRow[]> {
    return sql(manager, `SELECT id, name, address, time_zone AS "timeZone" FROM locations ORDER BY name`);
  }

  async findLocation(manager: EntityManager, id: string): Promise<LocationRow | undefined> {
    const rows = await sql<any>(
      manager,
      `SELECT id, name, address, time_zone AS "timeZone", unit_minutes AS "unitMinutes", holiday_region AS "holidayRegion"
         FROM locations WHERE id = $1`,
      [id],
    );
    return rows[0];
  }

  listServices(manager: EntityManager): Promise<ServiceRow[]> {
    return sql(manager, `SELECT id, name, duration_minutes AS "durationMinutes" FROM services ORDER BY name`);
  }

  async findService(manager: EntityManager, id: string): Promise<ServiceRow | undefined> {
    const rows = await sql<any>(manager, `SELECT id, name, duration_minutes AS "durationMinutes" FROM services WHERE id = $1`, [
      id,
    ]);
    return rows[0];
  }

  /** Slots with free capacity that start inside [from, to). */
  availableSlots(
    manager: EntityManager,
    query: { locationId: string; serviceId: string; from: Date; to: Date; limit: number },
  ): Promise<SlotRow[]> {
    return sql(
      manager,
      `SELECT s.id, s.location_id AS "locationId", s.service_id AS "serviceId", s.starts_at AS "startsAt", s.ends_at AS "endsAt",
              s.capacity, s.booked, l.time_zone AS "timeZone"
         FROM slots s JOIN locations l ON l.id = s.location_id
        WHERE s.location_id = $1 AND s.service_id = $2 AND s.starts_at >= $3 AND s.starts_at < $4 AND s.booked < s.capacity
          AND ${COUNTERS_FREE('s')}
        ORDER BY s.starts_at LIMIT $5`,
      [query.locationId, query.serviceId, query.from, query.to, query.limit],
    );
  }

  /** Every office's weekly opening hours, for the offices page. */
  allOpeningHours(manager: EntityManager): Promise<Array<WeeklyOpening & { locationId: string }>> {
    return sql(
      manager,
      `SELECT location_id AS "locationId", weekday, to_char(opens, 'HH24:MI') AS opens, to_char(closes, 'HH24:MI') AS closes, counters
         FROM opening_hours ORDER BY location_id, weekday, opens`,
    );
  }

  /** One slot with its office and service, for the booking form. */
  slotDetails(manager: EntityManager, slotId: string): Promise<SlotDetailsRow | undefined> {
    return sqlOne(
      manager,
      `SELECT s.id, s.starts_at AS "startsAt", s.ends_at AS "endsAt", s.capacity, s.booked,
              l.id AS "locationId", l.name AS "locationName", l.address AS "locationAddress", l.time_zone AS "timeZone",
              sv.id AS "serviceId", sv.name AS "serviceName"
         FROM slots s JOIN locations l ON l.id = s.location_id JOIN services sv ON sv.id = s.service_id
        WHERE s.id = $1`,
      [slotId],
    );
  }

  /** The offices that have a free slot of this service between `from` and `to`, other than `except`. */
  officesWithFreeSlots(manager: EntityManager, serviceId: string, except: string, from: Date, to: Date): Promise<LocationRow[]> {
    return sql(
      manager,
      `SELECT l.id, l.name, l.address, l.time_zone AS "timeZone" FROM locations l
        WHERE l.id <> $2 AND EXISTS (SELECT 1 FROM slots s WHERE s.location_id = l.id AND s.service_id = $1
                                       AND s.starts_at >= $3 AND s.starts_at < $4 AND s.booked < s.capacity
                                       AND ${COUNTERS_FREE('s')})
        ORDER BY l.name`,
      [serviceId, except, from, to],
    );
  }

  async insertLocation(
    manager: EntityManager,
    location: { name: string; address: string; timeZone: string; holidayRegion?: string },
  ): Promise<string> {
    const rows = await sql<any>(
      manager,
      `INSERT INTO locations (name, address, time_zone, holiday_region) VALUES ($1, $2, $3, $4)
       ON CONFLICT ON CONSTRAINT uq_locations_name DO UPDATE SET name = EXCLUDED.name RETURNING id`,
      [location.name, location.address, location.timeZone, location.holidayRegion ?? null],
    );
    return rows[0].id;
  }

  async insertService(manager: EntityManager, service: { name: string; durationMinutes: number }): Promise<string> {
    const rows = await sql<any>(
      manager,
      `INSERT INTO services (name, duration_minutes) VALUES ($1, $2)
       ON CONFLICT ON CONSTRAINT uq_services_name DO UPDATE SET name = EXCLUDED.name RETURNING id`,
      [service.name, service.durationMinutes],
    );
    return rows[0].id;
  }

  async replaceOpeningHours(manager: EntityManager, locationId: string, openings: WeeklyOpening[]): Promise<void> {
    await sql(manager, `DELETE FROM opening_hours WHERE location_id = $1`, [locationId]);
    for (const opening of openings) {
      await sql(
        manager,
        `INSERT INTO opening_hours (location_id, weekday, opens, closes, counters) VALUES ($1, $2, $3, $4, $5)`,
        [locationId, opening.weekday, opening.opens, opening.closes, opening.counters],
      );
    }
  }

  openingHours(manager: EntityManager, locationId: string): Promise<WeeklyOpening[]> {
    return sql(
      manager,
      `SELECT weekday, to_char(opens, 'HH24:MI') AS opens, to_char(closes, 'HH24:MI') AS closes, counters
         FROM opening_hours WHERE location_id = $1 ORDER BY weekday, opens`,
      [locationId],
    );
  }

  /** Inserts generated counter units in one statement; existing ones (and what they hold) stay as they are. */
  async insertUnits(manager: EntityManager, locationId: string, units: GeneratedUnit[]): Promise<number> {
    if (units.length === 0) return 0;
    const rows = await sql<any>(
      manager,
      // Inside a closure a unit has no counter.
      `INSERT INTO counter_units (location_id, starts_at, ends_at, counters)
       SELECT $1, s, e, CASE WHEN EXISTS (SELECT 1 FROM closures c WHERE c.location_id = $1 AND c.starts_at < t.e AND c.ends_at > t.s)
                             THEN 0 ELSE t.c END
         FROM unnest($2::timestamptz[], $3::timestamptz[], $4::int[]) AS t(s, e, c)
       ON CONFLICT ON CONSTRAINT pk_counter_units DO NOTHING RETURNING starts_at`,
      [locationId, units.map((u) => u.startsAt.toISO()), units.map((u) => u.endsAt.toISO()), units.map((u) => u.counters)],
    );
    return rows.length;
  }

  /** A closure of the office; its units lose their counters (closeUnits), which the caller does after freeing them. */
  async insertClosure(
    manager: EntityManager,
    closure: { locationId: string; startsAt: Date; endsAt: Date; reason: string; createdBy: string },
  ): Promise<string> {
    const rows = await sql<{ id: string }>(
      manager,
      `INSERT INTO closures (location_id, starts_at, ends_at, reason, created_by) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
      [closure.locationId, closure.startsAt, closure.endsAt, closure.reason, closure.createdBy],
    );
    return rows[0].id;
  }

  /** The units of [from, to) lose their counters; fails (CHECK) while a booking still holds one. */
  async closeUnits(manager: EntityManager, locationId: string, from: Date, to: Date): Promise<number> {
    const rows = await sql(
      manager,
      `UPDATE counter_units SET counters = 0 WHERE location_id = $1 AND starts_at < $3 AND ends_at > $2 RETURNING starts_at`,
      [locationId, from, to],
    );
    return rows.length;
  }

  /** Counter units of [from, to) (one office, or all): reserved ÷ open counter units. */
  async utilisation(manager: EntityManager, locationId: string | null, from: Date, to: Date) {
    const row = await sqlOne<{ reserved: number; capacity: number }>(
      manager,
      `SELECT coalesce(sum(reserved), 0)::int AS reserved, coalesce(sum(counters), 0)::int AS capacity
         FROM counter_units WHERE ($1::uuid IS NULL OR location_id = $1) AND starts_at >= $2 AND starts_at < $3`,
      [locationId, from, to],
    );
    return row!;
  }

  /** The office's closures that end after `from`, for citizens and staff. */
  closures(manager: EntityManager, locationId: string, from: Date): Promise<ClosureRow[]> {
    return sql(
      manager,
      `SELECT id, location_id AS "locationId", starts_at AS "startsAt", ends_at AS "endsAt", reason
         FROM closures WHERE location_id = $1 AND ends_at > $2 ORDER BY starts_at`,
      [locationId, from],
    );
  }

  /** Inserts generated slots in one statement; existing ones (same location, service, start) stay as they are. */
  async insertSlots(manager: EntityManager, locationId: string, serviceId: string, slots: GeneratedSlot[]): Promise<number> {
    if (slots.length === 0) return 0;
    const rows = await sql<any>(
      manager,
      `INSERT INTO slots (location_id, service_id, starts_at, ends_at, capacity)
       SELECT $1, $2, s, e, c FROM unnest($3::timestamptz[], $4::timestamptz[], $5::int[]) AS t(s, e, c)
       ON CONFLICT ON CONSTRAINT uq_slots_location_service_start DO NOTHING RETURNING id`,
      [
        locationId,
        serviceId,
        slots.map((s) => s.startsAt.toISO()),
        slots.map((s) => s.endsAt.toISO()),
        slots.map((s) => s.capacity),
      ],
    );
    return rows.length;
  }
}
