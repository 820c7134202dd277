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
 * A count, not NOT EXISTS: PostgreSQL turns NOT EXISTS into an anti-join that reads every full
 * unit of the office's year once and compares it with every slot; the count stays a probe of
 * the units' key per slot (a unit is at most an hour, CHECK ck_counter_units_length: the lower
 * bound keeps the probe on the key).
 */
const COUNTERS_FREE = (s: string) =>
  `(SELECT count(*) FROM counter_units u WHERE u.location_id = ${s}.location_id AND u.starts_at < ${s}.ends_at
      AND u.starts_at > ${s}.starts_at - interval '1 hour' AND u.ends_at > ${s}.starts_at AND u.reserved >= u.counters) = 0`;
/**
 * A slot `s` with `extra` more minutes after it (combined services): every unit from its start to
 * the end of the extra minutes has a free counter, and the units run on without a gap. The rule
 * the trigger bookings_extra_units enforces (migration OfficeAdmin). One probe of the units' key
 * per slot, as above.
 */
const COMBINATION_FREE = (s: string, extra: string) => {
  const spanEnd = `${s}.ends_at + make_interval(mins => ${extra}::int)`;
  return `(SELECT count(*) FILTER (WHERE u.reserved >= u.counters) = 0 AND max(u.ends_at) >= ${spanEnd}
                  AND sum(u.ends_at - u.starts_at) = max(u.ends_at) - min(u.starts_at)
             FROM counter_units u WHERE u.location_id = ${s}.location_id AND u.starts_at < ${spanEnd}
              AND u.starts_at > ${s}.starts_at - interval '1 hour' AND u.ends_at > ${s}.starts_at)`;
};

export interface ServiceRow {
  id: string;
  name: string;
  durationMinutes: number;
  description?: string | null;
  whatToBring?: string | null;
  active?: boolean;
}

/** A service as an office offers it (its offering, or the service's defaults when it has none). */
export interface OfferedServiceRow {
  id: string;
  name: string;
  description: string | null;
  whatToBring: string | null;
  active: boolean;
  durationMinutes: number;
  bookable: boolean;
  maxPerBooking: number;
  /** Whether the office has an offering row of its own. */
  configured: boolean;
}

export interface LocationAdminRow extends LocationRow {
  unitMinutes: number;
  contact: string | null;
  publicNotice: string | null;
  noShowLimit: number | null;
}

export interface UnitRow {
  startsAt: Date;
  endsAt: Date;
  counters: number;
  reserved: number;
}

const LOCATION_ADMIN_COLUMNS = `id, name, address, time_zone AS "timeZone", unit_minutes AS "unitMinutes", holiday_region AS "holidayRegion",
  contact, public_notice AS "publicNotice", no_show_limit AS "noShowLimit"`;
const OFFERED_SELECT = `SELECT sv.id, sv.name, sv.description, sv.what_to_bring AS "whatToBring", sv.active,
         coalesce(o.duration_minutes, sv.duration_minutes) AS "durationMinutes", sv.active AND coalesce(o.bookable, true) AS bookable,
         coalesce(o.max_per_booking, 1) AS "maxPerBooking", o.location_id IS NOT NULL AS configured
    FROM services sv LEFT JOIN offerings o ON o.service_id = sv.id AND o.location_id = $1`;
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

/** `UPDATE table SET column = value, …` for the fields of `patch` that are not undefined (null clears). */
async function updateById(
  manager: EntityManager,
  table: 'locations' | 'services',
  id: string,
  columns: Record<string, string>,
  patch: object,
): Promise<void> {
  const sets: string[] = [];
  const values: unknown[] = [id];
  for (const [key, column] of Object.entries(columns)) {
    const value = (patch as Record<string, unknown>)[key];
    if (value === undefined) continue;
    values.push(value);
    sets.push(`${column} = $${values.length}`);
  }
  if (sets.length > 0) await sql(manager, `UPDATE ${table} SET ${sets.join(', ')} WHERE id = $1`, values);
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

  /** An office with everything an admin sets. */
  findLocationForAdmin(manager: EntityManager, id: string): Promise<LocationAdminRow | undefined> {
    return sqlOne(manager, `SELECT ${LOCATION_ADMIN_COLUMNS} FROM locations WHERE id = $1`, [id]);
  }

  async createLocation(
    manager: EntityManager,
    l: Omit<LocationAdminRow, 'id' | 'holidayRegion'> & { holidayRegion: string | null },
  ): Promise<string> {
    const row = await sqlOne<{ id: string }>(
      manager,
      `INSERT INTO locations (name, address, time_zone, unit_minutes, holiday_region, contact, public_notice, no_show_limit)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
      [l.name, l.address, l.timeZone, l.unitMinutes, l.holidayRegion, l.contact, l.publicNotice, l.noShowLimit],
    );
    return row!.id;
  }

  /** Sets the given fields (undefined: unchanged; null clears the optional ones). */
  async updateLocation(
    manager: EntityManager,
    id: string,
    patch: Partial<Pick<LocationAdminRow, 'name' | 'address' | 'contact' | 'publicNotice' | 'noShowLimit' | 'holidayRegion'>>,
  ): Promise<void> {
    const columns: Record<string, string> = {
      name: 'name',
      address: 'address',
      contact: 'contact',
      publicNotice: 'public_notice',
      noShowLimit: 'no_show_limit',
      holidayRegion: 'holiday_region',
    };
    await updateById(manager, 'locations', id, columns, patch);
  }

  /** Every service as this office offers it (inactive ones and ones it does not offer included, marked). */
  offeredServices(manager: EntityManager, locationId: string): Promise<OfferedServiceRow[]> {
    return sql(manager, `${OFFERED_SELECT} ORDER BY sv.name`, [locationId]);
  }

  /** The services citizens can book at this office, with the office's durations. */
  bookableServices(manager: EntityManager, locationId: string): Promise<OfferedServiceRow[]> {
    return sql(manager, `${OFFERED_SELECT} WHERE sv.active AND coalesce(o.bookable, true) ORDER BY sv.name`, [locationId]);
  }

  /** Some services as this office offers them, for a combined booking. */
  offeredServicesById(manager: EntityManager, locationId: string, ids: string[]): Promise<OfferedServiceRow[]> {
    return sql(manager, `${OFFERED_SELECT} WHERE sv.id = ANY($2::uuid[])`, [locationId, ids]);
  }

  async createServiceFull(
    manager: EntityManager,
    service: { name: string; durationMinutes: number; description: string | null; whatToBring: string | null },
  ): Promise<string> {
    const row = await sqlOne<{ id: string }>(
      manager,
      `INSERT INTO services (name, duration_minutes, description, what_to_bring) VALUES ($1, $2, $3, $4) RETURNING id`,
      [service.name, service.durationMinutes, service.description, service.whatToBring],
    );
    return row!.id;
  }

  /** Every service with its texts and whether it is active (the admin's list). */
  listServicesFull(manager: EntityManager): Promise<ServiceRow[]> {
    return sql(
      manager,
      `SELECT id, name, duration_minutes AS "durationMinutes", description, what_to_bring AS "whatToBring", active
         FROM services ORDER BY active DESC, name`,
    );
  }

  findServiceFull(manager: EntityManager, id: string): Promise<ServiceRow | undefined> {
    return sqlOne(
      manager,
      `SELECT id, name, duration_minutes AS "durationMinutes", description, what_to_bring AS "whatToBring", active
         FROM services WHERE id = $1`,
      [id],
    );
  }

  async updateService(
    manager: EntityManager,
    id: string,
    patch: Partial<Pick<ServiceRow, 'name' | 'durationMinutes' | 'description' | 'whatToBring' | 'active'>>,
  ): Promise<void> {
    const columns: Record<string, string> = {
      name: 'name',
      durationMinutes: 'duration_minutes',
      description: 'description',
      whatToBring: 'what_to_bring',
      active: 'active',
    };
    await updateById(manager, 'services', id, columns, patch);
  }

  async upsertOffering(
    manager: EntityManager,
    o: { locationId: string; serviceId: string; durationMinutes: number; bookable: boolean; maxPerBooking: number },
  ): Promise<void> {
    await sql(
      manager,
      `INSERT INTO offerings (location_id, service_id, duration_minutes, bookable, max_per_booking) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT ON CONSTRAINT pk_offerings DO UPDATE
         SET duration_minutes = EXCLUDED.duration_minutes, bookable = EXCLUDED.bookable, max_per_booking = EXCLUDED.max_per_booking`,
      [o.locationId, o.serviceId, o.durationMinutes, o.bookable, o.maxPerBooking],
    );
  }

  /** Replaces the weekly hours of one version (valid from `validFrom`); the other versions stay. */
  async replaceHoursVersion(
    manager: EntityManager,
    locationId: string,
    validFrom: string,
    periods: WeeklyOpening[],
  ): Promise<void> {
    await sql(manager, `DELETE FROM opening_hours WHERE location_id = $1 AND valid_from = $2::date`, [locationId, validFrom]);
    if (periods.length === 0) return;
    await sql(
      manager,
      `INSERT INTO opening_hours (location_id, weekday, opens, closes, counters, valid_from)
       SELECT $1, w, o::time, c::time, n, $2::date FROM unnest($3::int[], $4::text[], $5::text[], $6::int[]) AS t(w, o, c, n)`,
      [
        locationId,
        validFrom,
        periods.map((p) => p.weekday),
        periods.map((p) => p.opens),
        periods.map((p) => p.closes),
        periods.map((p) => p.counters),
      ],
    );
  }

  /** The office's units starting at or after `from`, locked (a booking waits for the change, or the change for it). */
  unitsFrom(manager: EntityManager, locationId: string, from: Date): Promise<UnitRow[]> {
    return sql(
      manager,
      `SELECT starts_at AS "startsAt", ends_at AS "endsAt", counters, reserved FROM counter_units
        WHERE location_id = $1 AND starts_at >= $2 ORDER BY starts_at FOR UPDATE`,
      [locationId, from],
    );
  }

  /**
   * Future units follow new hours: every unit from `from` gets the counters the hours give it (none
   * inside a closure, none where the hours have no unit any more), new ones are made; what they
   * hold stays. Fails with the units' CHECK where a unit would hold more than its counters.
   */
  async applyUnits(manager: EntityManager, locationId: string, from: Date, units: GeneratedUnit[]): Promise<number> {
    const starts = units.map((u) => u.startsAt.toISO());
    const rows = await sql(
      manager,
      `WITH wanted AS (
         SELECT s, e, CASE WHEN EXISTS (SELECT 1 FROM closures c WHERE c.location_id = $1 AND c.starts_at < t.e AND c.ends_at > t.s)
                           THEN 0 ELSE t.c END AS c
           FROM unnest($3::timestamptz[], $4::timestamptz[], $5::int[]) AS t(s, e, c)
       ), upserted AS (
         INSERT INTO counter_units (location_id, starts_at, ends_at, counters) SELECT $1, s, e, c FROM wanted
         ON CONFLICT ON CONSTRAINT pk_counter_units DO UPDATE
           SET counters = EXCLUDED.counters, ends_at = EXCLUDED.ends_at
          WHERE counter_units.counters IS DISTINCT FROM EXCLUDED.counters OR counter_units.ends_at IS DISTINCT FROM EXCLUDED.ends_at
         RETURNING starts_at
       ), dropped AS (
         UPDATE counter_units SET counters = 0
          WHERE location_id = $1 AND starts_at >= $2 AND counters <> 0 AND starts_at <> ALL($3::timestamptz[])
         RETURNING starts_at
       )
       SELECT starts_at FROM upserted UNION ALL SELECT starts_at FROM dropped`,
      [locationId, from, starts, units.map((u) => u.endsAt.toISO()), units.map((u) => u.counters)],
    );
    return rows.length;
  }

  /**
   * A service's future slots at an office follow its hours and duration there: wanted slots are
   * made or re-spanned (a slot with bookings keeps its span), every other slot from `from` gets no
   * free place (capacity = booked). No slot row is deleted: bookings point at them.
   */
  async applySlots(
    manager: EntityManager,
    locationId: string,
    serviceId: string,
    from: Date,
    slots: GeneratedSlot[],
  ): Promise<void> {
    await sql(
      manager,
      `WITH upserted AS (
         INSERT INTO slots (location_id, service_id, starts_at, ends_at, capacity)
         SELECT $1, $2, s, e, c FROM unnest($4::timestamptz[], $5::timestamptz[], $6::int[]) AS t(s, e, c)
         ON CONFLICT ON CONSTRAINT uq_slots_location_service_start DO UPDATE
           -- A slot with bookings keeps their span; when that is no longer the service's, it takes no one new.
           SET capacity = CASE WHEN slots.booked = 0 OR slots.ends_at = EXCLUDED.ends_at
                               THEN greatest(slots.booked, EXCLUDED.capacity) ELSE slots.booked END,
               ends_at = CASE WHEN slots.booked = 0 THEN EXCLUDED.ends_at ELSE slots.ends_at END
         RETURNING id
       )
       UPDATE slots SET capacity = booked
        WHERE location_id = $1 AND service_id = $2 AND starts_at >= $3 AND capacity <> booked
          AND starts_at <> ALL($4::timestamptz[])`,
      [
        locationId,
        serviceId,
        from,
        slots.map((x) => x.startsAt.toISO()),
        slots.map((x) => x.endsAt.toISO()),
        slots.map((x) => x.capacity),
      ],
    );
  }

  /** Slots with free capacity that start inside [from, to). */
  availableSlots(
    manager: EntityManager,
    query: { locationId: string; serviceId: string; from: Date; to: Date; limit: number; extraMinutes?: number },
  ): Promise<SlotRow[]> {
    const extra = query.extraMinutes ?? 0;
    return sql(
      manager,
      `SELECT s.id, s.location_id AS "locationId", s.service_id AS "serviceId", s.starts_at AS "startsAt", s.ends_at AS "endsAt",
              s.capacity, s.booked, l.time_zone AS "timeZone"
         FROM slots s JOIN locations l ON l.id = s.location_id
        WHERE s.location_id = $1 AND s.service_id = $2 AND s.starts_at >= $3 AND s.starts_at < $4 AND s.booked < s.capacity
          AND ${extra > 0 ? COMBINATION_FREE('s', '$6') : COUNTERS_FREE('s')}
        ORDER BY s.starts_at LIMIT $5`,
      [query.locationId, query.serviceId, query.from, query.to, query.limit, ...(extra > 0 ? [extra] : [])],
    );
  }

  /** Every office's weekly opening hours, for the offices page. */
  allOpeningHours(manager: EntityManager): Promise<Array<WeeklyOpening & { locationId: string }>> {
    return sql(
      manager,
      `SELECT location_id AS "locationId", weekday, to_char(opens, 'HH24:MI') AS opens, to_char(closes, 'HH24:MI') AS closes, counters,
              to_char(valid_from, 'YYYY-MM-DD') AS "validFrom"
         FROM opening_hours ORDER BY location_id, valid_from, weekday, opens`,
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
      `SELECT weekday, to_char(opens, 'HH24:MI') AS opens, to_char(closes, 'HH24:MI') AS closes, counters,
              to_char(valid_from, 'YYYY-MM-DD') AS "validFrom"
         FROM opening_hours WHERE location_id = $1 ORDER BY valid_from, weekday, opens`,
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
