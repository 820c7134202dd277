import { randomBytes } from 'node:crypto';
import { Pool } from 'pg';

/** A location, a service and one slot with the given capacity, straight in SQL. Unique names per call. */
export async function createSlot(
  db: Pool,
  opts: { capacity?: number; startsAt: string; durationMinutes?: number; timeZone?: string },
) {
  const tag = randomBytes(4).toString('hex');
  const duration = opts.durationMinutes ?? 20;
  const {
    rows: [location],
  } = await db.query(
    `INSERT INTO locations (name, address, time_zone) VALUES ($1, 'Teststraße 1, 10115 Berlin', $2) RETURNING id`,
    [`Bürgeramt Test ${tag}`, opts.timeZone ?? 'Europe/Berlin'],
  );
  const {
    rows: [service],
  } = await db.query(`INSERT INTO services (name, duration_minutes) VALUES ($1, $2) RETURNING id`, [`Ausweis ${tag}`, duration]);
  const {
    rows: [slot],
  } = await db.query(
    `INSERT INTO slots (location_id, service_id, starts_at, ends_at, capacity) VALUES ($1, $2, $3, $3::timestamptz + make_interval(mins => $4), $5) RETURNING id`,
    [location.id, service.id, opts.startsAt, duration, opts.capacity ?? 3],
  );
  return { locationId: location.id as string, serviceId: service.id as string, slotId: slot.id as string };
}

export async function addSlot(
  db: Pool,
  at: { locationId: string; serviceId: string },
  startsAt: string,
  capacity = 3,
  durationMinutes = 20,
): Promise<string> {
  const {
    rows: [slot],
  } = await db.query(
    `INSERT INTO slots (location_id, service_id, starts_at, ends_at, capacity) VALUES ($1, $2, $3, $3::timestamptz + make_interval(mins => $4), $5) RETURNING id`,
    [at.locationId, at.serviceId, startsAt, durationMinutes, capacity],
  );
  return slot.id;
}

let counter = 0;
export function citizen(overrides: Partial<{ name: string; email: string; phone: string }> = {}) {
  counter += 1;
  const tag = `${Date.now().toString(36)}${counter}`;
  return { name: `Erika Muster ${counter}`, email: `erika.${tag}@example.org`, ...overrides };
}

/** The generated slot of a service at an office that starts at `startsAt` (ISO). */
export async function slotOf(db: Pool, locationId: string, serviceId: string, startsAt: string): Promise<string> {
  const { rows } = await db.query(`SELECT id FROM slots WHERE location_id = $1 AND service_id = $2 AND starts_at = $3`, [
    locationId,
    serviceId,
    startsAt,
  ]);
  if (!rows[0]) throw new Error(`no slot at ${startsAt}`);
  return rows[0].id;
}
