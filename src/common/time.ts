import { DateTime } from 'luxon';

/** An instant as ISO-8601 with the offset of the given zone, e.g. `2026-03-29T08:00:00+02:00`. */
export function isoInZone(instant: Date | DateTime, zone: string): string {
  const dt = instant instanceof Date ? DateTime.fromJSDate(instant) : instant;
  return dt.setZone(zone).toISO({ suppressMilliseconds: true }) as string;
}
