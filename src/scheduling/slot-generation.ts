import { DateTime } from 'luxon';

export interface WeeklyOpening {
  /** ISO weekday, 1 = Monday. */
  weekday: number;
  /** Local wall-clock time `HH:mm` (or `HH:mm:ss`, as PostgreSQL returns `time`). */
  opens: string;
  closes: string;
  counters: number;
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

/**
 * Slots for one service from weekly opening hours, in the location's zone, for `days` days
 * starting with the local day of `from`. Wall-clock times stay put across DST switches
 * (08:00 is 08:00 Berlin time in March and October); instants come out in UTC.
 * A slot that would end after closing is not generated.
 */
export function generateSlots(opts: {
  openings: WeeklyOpening[];
  durationMinutes: number;
  timeZone: string;
  from: DateTime;
  days: number;
}): GeneratedSlot[] {
  const firstDay = opts.from.setZone(opts.timeZone).startOf('day');
  if (!firstDay.isValid) throw new Error(`unknown time zone ${opts.timeZone}`);
  const slots: GeneratedSlot[] = [];
  for (let i = 0; i < opts.days; i++) {
    const day = firstDay.plus({ days: i });
    for (const opening of opts.openings.filter((o) => o.weekday === day.weekday)) {
      const closes = atLocal(day, opening.closes);
      for (let start = atLocal(day, opening.opens); ; start = start.plus({ minutes: opts.durationMinutes })) {
        const end = start.plus({ minutes: opts.durationMinutes });
        if (end > closes) break;
        slots.push({ startsAt: start.toUTC(), endsAt: end.toUTC(), capacity: opening.counters });
      }
    }
  }
  return slots;
}
