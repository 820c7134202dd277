import Holidays from 'date-holidays';
import { DateTime } from 'luxon';

export interface WeeklyOpening {
  /** ISO weekday, 1 = Monday. */
  weekday: number;
  /** Local wall-clock time `HH:mm` (or `HH:mm:ss`, as PostgreSQL returns `time`). */
  opens: string;
  closes: string;
  counters: number;
  /** The first local date (`yyyy-MM-dd`) of the version these hours belong to; absent: always. */
  validFrom?: string;
}

/**
 * The hours that apply on a local date: of all versions, the one with the latest valid-from not
 * after the date, the whole week of it (a version that lists no Saturday closes Saturdays).
 */
export function openingsOn(openings: readonly WeeklyOpening[], isoDate: string): WeeklyOpening[] {
  let version: string | undefined;
  for (const o of openings) {
    const v = o.validFrom ?? '';
    if (v <= isoDate && (version === undefined || v > version)) version = v;
  }
  return version === undefined ? [] : openings.filter((o) => (o.validFrom ?? '') === version);
}

export interface GeneratedSlot {
  startsAt: DateTime;
  endsAt: DateTime;
  capacity: number;
}

function atLocal(day: DateTime, hhmm: string): DateTime {
  const [hour, minute] = hhmm.split(':').map(Number);
  return day.set({ hour, minute, second: 0, millisecond: 0 });
}

/** The day's opening periods merged where one ends as the next begins (08–12 and 12–18: 08–18). */
function openIntervals(openings: WeeklyOpening[], day: DateTime): Array<{ opens: DateTime; closes: DateTime; counters: number }> {
  const periods = openingsOn(openings, day.toISODate()!)
    .filter((o) => o.weekday === day.weekday)
    .map((o) => ({ opens: atLocal(day, o.opens), closes: atLocal(day, o.closes), counters: o.counters }))
    .sort((a, b) => a.opens.toMillis() - b.opens.toMillis());
  const merged: typeof periods = [];
  for (const p of periods) {
    const last = merged.at(-1);
    if (last && p.opens <= last.closes) {
      if (p.closes > last.closes) last.closes = p.closes;
      last.counters = Math.max(last.counters, p.counters);
    } else merged.push({ ...p });
  }
  return merged;
}

/**
 * Slots for one service from weekly opening hours, in the location's zone, for `days` days
 * starting with the local day of `from`: one every `stepMinutes` (the office's unit; default the
 * duration) while the office is open, periods that touch taken as one. Wall-clock times stay put
 * across DST switches (08:00 is 08:00 Berlin time in March and October); instants come out in UTC.
 * A slot that would end after closing is not generated. Its capacity is an upper bound (the most
 * counters open that day); the counters under it decide (generateUnits).
 */
export function generateSlots(opts: {
  openings: WeeklyOpening[];
  durationMinutes: number;
  stepMinutes?: number;
  timeZone: string;
  from: DateTime;
  days: number;
  /** Local dates (`yyyy-MM-dd`) the office is closed all day (public holidays). */
  closedDays?: ReadonlySet<string>;
}): GeneratedSlot[] {
  const firstDay = opts.from.setZone(opts.timeZone).startOf('day');
  if (!firstDay.isValid) throw new Error(`unknown time zone ${opts.timeZone}`);
  const step = opts.stepMinutes ?? opts.durationMinutes;
  const slots: GeneratedSlot[] = [];
  for (let i = 0; i < opts.days; i++) {
    const day = firstDay.plus({ days: i });
    if (opts.closedDays?.has(day.toISODate()!)) continue;
    for (const open of openIntervals(opts.openings, day)) {
      for (let start = open.opens; ; start = start.plus({ minutes: step })) {
        const end = start.plus({ minutes: opts.durationMinutes });
        if (end > open.closes) break;
        slots.push({ startsAt: start.toUTC(), endsAt: end.toUTC(), capacity: open.counters });
      }
    }
  }
  return slots;
}

export interface GeneratedUnit {
  startsAt: DateTime;
  endsAt: DateTime;
  counters: number;
}

/**
 * The office's time units from its weekly opening hours: every `unitMinutes` of each opening
 * period, with that period's counters (Mon 08–12 three counters, 12–18 two). Where two periods
 * overlap, the unit has the larger number. Local wall-clock times, as generateSlots.
 */
export function generateUnits(opts: {
  openings: WeeklyOpening[];
  unitMinutes: number;
  timeZone: string;
  from: DateTime;
  days: number;
  closedDays?: ReadonlySet<string>;
}): GeneratedUnit[] {
  const firstDay = opts.from.setZone(opts.timeZone).startOf('day');
  if (!firstDay.isValid) throw new Error(`unknown time zone ${opts.timeZone}`);
  const units = new Map<number, GeneratedUnit>();
  for (let i = 0; i < opts.days; i++) {
    const day = firstDay.plus({ days: i });
    if (opts.closedDays?.has(day.toISODate()!)) continue;
    for (const o of openingsOn(opts.openings, day.toISODate()!).filter((x) => x.weekday === day.weekday)) {
      const closes = atLocal(day, o.closes);
      for (let start = atLocal(day, o.opens); start < closes; start = start.plus({ minutes: opts.unitMinutes })) {
        const end = DateTime.min(start.plus({ minutes: opts.unitMinutes }), closes);
        const known = units.get(start.toMillis());
        if (!known || known.counters < o.counters)
          units.set(start.toMillis(), { startsAt: start.toUTC(), endsAt: end.toUTC(), counters: o.counters });
      }
    }
  }
  return [...units.values()].sort((a, b) => a.startsAt.toMillis() - b.startsAt.toMillis());
}

/**
 * The public holidays (local dates) of a German region such as `DE-BE` (Berlin) or `DE-BY`
 * between `from` and `to` years, from the maintained date-holidays package; none without a region.
 */
export function publicHolidays(region: string | null | undefined, fromYear: number, toYear: number): Set<string> {
  const days = new Set<string>();
  if (!region) return days;
  const [country, state] = region.split('-');
  const calendar = new Holidays(country, state);
  for (let year = fromYear; year <= toYear; year++)
    for (const holiday of calendar.getHolidays(year) || []) if (holiday.type === 'public') days.add(holiday.date.slice(0, 10));
  return days;
}
