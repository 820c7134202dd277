import { DateTime, FixedOffsetZone, IANAZone } from 'luxon';

const HOUR_MS = 3_600_000;
/** A zone's offset changes a few times a year: per zone, the offset of each UTC hour it stays constant in. */
const offsetsByZone = new Map<string, { zone: IANAZone; hours: Map<number, number> } | null>();
const MAX_HOURS_PER_ZONE = 100_000; // about eleven years of hours; then the cache starts again

/** The zone as luxon reads it, when it is an IANA zone (the fast path); null for anything else. */
function ianaZone(name: string) {
  let entry = offsetsByZone.get(name);
  if (entry === undefined) {
    const zone = DateTime.fromMillis(0).setZone(name).zone;
    entry = zone instanceof IANAZone && zone.isValid ? { zone, hours: new Map() } : null;
    offsetsByZone.set(name, entry);
  }
  return entry;
}

/** The zone's offset in minutes at `ms`, from the cache when the hour around it has one offset throughout. */
function offsetMinutes(entry: { zone: IANAZone; hours: Map<number, number> }, ms: number): number {
  const hour = Math.floor(ms / HOUR_MS);
  const cached = entry.hours.get(hour);
  if (cached !== undefined) return cached;
  const start = entry.zone.offset(hour * HOUR_MS);
  // A transition inside this hour: nothing to cache, the instant's own offset.
  if (entry.zone.offset(hour * HOUR_MS + HOUR_MS - 1) !== start) return entry.zone.offset(ms);
  if (entry.hours.size >= MAX_HOURS_PER_ZONE) entry.hours.clear();
  entry.hours.set(hour, start);
  return start;
}

const two = (n: number) => (n < 10 ? `0${n}` : String(n));

/**
 * An instant as ISO-8601 with the offset of the given zone, e.g. `2026-03-29T08:00:00+02:00`
 * (milliseconds only when there are any), exactly as luxon's `setZone(zone).toISO()` writes it.
 * Luxon asks Intl for the offset of every instant, which made formatting a list of slots cost more
 * than reading it; the offset is looked up once per hour and zone instead (time.spec.ts holds the
 * two equal around every transition).
 */
export function isoInZone(instant: Date | DateTime, zone: string): string {
  const ms = instant instanceof Date ? instant.getTime() : instant.toMillis();
  const entry = ianaZone(zone);
  if (entry && Number.isFinite(ms)) {
    const offset = offsetMinutes(entry, ms);
    const local = new Date(ms + offset * 60_000);
    const year = local.getUTCFullYear();
    // Whole minutes (not a 19th-century local mean time) and four-digit years; anything else as luxon writes it.
    if (Number.isInteger(offset) && year >= 1000 && year <= 9999) {
      const text = local.toISOString(); // YYYY-MM-DDTHH:mm:ss.sssZ, in local time
      const abs = Math.abs(offset);
      return `${text.endsWith('.000Z') ? text.slice(0, 19) : text.slice(0, 23)}${offset < 0 ? '-' : '+'}${two(Math.floor(abs / 60))}:${two(abs % 60)}`;
    }
  }
  const dt = instant instanceof Date ? DateTime.fromJSDate(instant) : instant;
  return dt.setZone(zone).toISO({ suppressMilliseconds: true }) as string;
}

/**
 * The instant in the zone, as a luxon DateTime for formatting: it carries the zone's offset at
 * that instant (a fixed offset, from the hourly cache), so formatting asks Intl for names only,
 * not for the offset. Dates and times read as with `setZone(zone)`; zone names do not (not used).
 */
export function inZone(instant: Date, zone: string): DateTime {
  const ms = instant.getTime();
  const entry = ianaZone(zone);
  if (entry && Number.isFinite(ms)) return DateTime.fromMillis(ms, { zone: FixedOffsetZone.instance(offsetMinutes(entry, ms)) });
  return DateTime.fromJSDate(instant).setZone(zone);
}

const DAY_MS = 86_400_000;

/** The zone's local day that contains the instant, as instants: [start, end), 23 or 25 hours on DST days. */
export function dayInZone(instant: Date, zone: string): { start: Date; end: Date } {
  const ms = instant.getTime();
  const entry = ianaZone(zone);
  if (entry && Number.isFinite(ms)) {
    const midnight = Math.floor((ms + offsetMinutes(entry, ms) * 60_000) / DAY_MS) * DAY_MS; // local midnight, as if UTC
    const start = instantOfLocal(entry, midnight),
      end = instantOfLocal(entry, midnight + DAY_MS);
    if (start !== undefined && end !== undefined) return { start: new Date(start), end: new Date(end) };
  }
  const day = DateTime.fromJSDate(instant).setZone(zone).startOf('day');
  return { start: day.toJSDate(), end: day.plus({ days: 1 }).toJSDate() };
}

/** The instant whose local time in the zone is `local` (ms as if UTC); undefined when that local time does not exist. */
function instantOfLocal(entry: { zone: IANAZone; hours: Map<number, number> }, local: number): number | undefined {
  let at = local - offsetMinutes(entry, local) * 60_000;
  const offset = offsetMinutes(entry, at);
  if (at + offset * 60_000 !== local) at = local - offset * 60_000;
  return at + offsetMinutes(entry, at) * 60_000 === local ? at : undefined;
}
