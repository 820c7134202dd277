import { DateTime } from 'luxon';
import { generateSlots, WeeklyOpening } from './slot-generation';

const everyDay: WeeklyOpening[] = [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({
  weekday,
  opens: '08:00',
  closes: '10:00',
  counters: 3,
}));
const berlin = 'Europe/Berlin';

function slotsOn(dayIso: string, openings = everyDay, durationMinutes = 30) {
  return generateSlots({
    openings,
    durationMinutes,
    timeZone: berlin,
    from: DateTime.fromISO(dayIso, { zone: berlin }),
    days: 1,
  });
}

describe('slot generation', () => {
  it.each([
    ['2026-03-28', 'winter time, day before the switch', '2026-03-28T07:00:00.000Z'],
    ['2026-03-29', 'day of the switch to summer time', '2026-03-29T06:00:00.000Z'],
    ['2026-10-24', 'summer time, day before the switch', '2026-10-24T06:00:00.000Z'],
    ['2026-10-25', 'day of the switch back to winter time', '2026-10-25T07:00:00.000Z'],
  ])('%s (%s): the 08:00 slot is 08:00 Berlin time', (day, _what, utc) => {
    const first = slotsOn(day)[0];
    expect(first.startsAt.toISO()).toBe(utc);
    expect(first.startsAt.setZone(berlin).toFormat('HH:mm')).toBe('08:00');
  });

  it('a night opening across the 02:00->03:00 jump keeps wall-clock starts and real durations', () => {
    const night = [{ weekday: 7, opens: '01:00', closes: '04:00', counters: 1 }];
    const slots = slotsOn('2026-03-29', night, 60);
    // 01:00, then 02:00 does not exist (luxon moves it to 03:00), so 01:00-03:00 local is one hour.
    expect(slots.map((s) => s.startsAt.setZone(berlin).toFormat('HH:mm'))).toEqual(['01:00', '03:00']);
    expect(slots.every((s) => s.endsAt.diff(s.startsAt, 'minutes').minutes === 60)).toBe(true);
  });

  it('fills the opening hours with back-to-back slots and stops before closing', () => {
    const slots = slotsOn('2026-05-04', [{ weekday: 1, opens: '08:00', closes: '09:40', counters: 2 }], 30);
    expect(slots.map((s) => s.startsAt.setZone(berlin).toFormat('HH:mm'))).toEqual(['08:00', '08:30', '09:00']);
    expect(slots.every((s) => s.capacity === 2)).toBe(true);
  });

  it('only open weekdays get slots', () => {
    const weekdays = [1, 2, 3, 4, 5].map((weekday) => ({ weekday, opens: '08:00', closes: '09:00', counters: 1 }));
    const slots = generateSlots({
      openings: weekdays,
      durationMinutes: 60,
      timeZone: berlin,
      from: DateTime.fromISO('2026-05-04', { zone: berlin }),
      days: 14,
    });
    expect(slots).toHaveLength(10);
    expect(slots.every((s) => s.startsAt.setZone(berlin).weekday <= 5)).toBe(true);
  });

  it('counts days from the local day of `from`', () => {
    // 23:30 UTC on May 3rd is already May 4th (Monday) in Berlin.
    const slots = generateSlots({
      openings: [{ weekday: 1, opens: '08:00', closes: '09:00', counters: 1 }],
      durationMinutes: 60,
      timeZone: berlin,
      from: DateTime.fromISO('2026-05-03T23:30:00Z'),
      days: 1,
    });
    expect(slots).toHaveLength(1);
  });

  it('rejects an unknown time zone', () => {
    expect(() =>
      generateSlots({ openings: everyDay, durationMinutes: 30, timeZone: 'Mars/Olympus', from: DateTime.utc(), days: 1 }),
    ).toThrow('unknown time zone');
  });
});
