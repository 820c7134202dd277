import { DateTime, IANAZone } from 'luxon';
import { dayInZone, inZone, isoInZone } from './time';

/** What isoInZone must write: luxon's own formatting of the instant in the zone. */
const luxon = (ms: number, zone: string) => DateTime.fromMillis(ms).setZone(zone).toISO({ suppressMilliseconds: true });

const ZONES = [
  'Europe/Berlin',
  'Europe/London', // offset 0 in winter: +00:00, not Z
  'UTC', // luxon's fixed zone: Z
  'America/New_York',
  'America/St_Johns', // -03:30 / -02:30
  'Asia/Kolkata', // +05:30, no DST
  'Australia/Lord_Howe', // a 30-minute DST shift
  'Pacific/Chatham', // +12:45 / +13:45
  'Africa/Casablanca', // DST suspended during Ramadan: several transitions a year
];

/** Every transition of the zone between 2020 and 2031 (its offset changing from one day to the next; none is a day apart). */
function transitions(zone: string): number[] {
  const iana = IANAZone.create(zone);
  const found: number[] = [];
  const day = 86_400_000;
  for (let t = Date.UTC(2020, 0, 1); t < Date.UTC(2031, 0, 1); t += day)
    if (iana.offset(t) !== iana.offset(t + day)) {
      // The exact millisecond: binary search inside the day.
      let lo = t;
      let hi = t + day;
      while (hi - lo > 1) {
        const mid = Math.floor((lo + hi) / 2);
        if (iana.offset(mid) === iana.offset(t)) lo = mid;
        else hi = mid;
      }
      found.push(hi);
    }
  return found;
}

describe('isoInZone writes what luxon writes', () => {
  it.each(ZONES)('around every transition in %s, 2020–2030', (zone) => {
    const cases: number[] = [];
    const found = transitions(zone);
    for (const at of found)
      for (let d = -90 * 60_000; d <= 90 * 60_000; d += 60_000) cases.push(at + d, at + d - 1, at + d + 1, at + d + 499);
    const wrong = cases.filter((ms) => isoInZone(new Date(ms), zone) !== luxon(ms, zone));
    expect(wrong.slice(0, 5).map((ms) => [new Date(ms).toISOString(), isoInZone(new Date(ms), zone), luxon(ms, zone)])).toEqual(
      [],
    );
    if (zone !== 'UTC' && zone !== 'Asia/Kolkata') expect(found.length).toBeGreaterThan(10);
  });

  it.each(ZONES)('at random instants 1900–2100 in %s, given as Date and as DateTime', (zone) => {
    let seed = 4_5468;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const from = Date.UTC(1900, 0, 1);
    const span = Date.UTC(2100, 0, 1) - from;
    for (let i = 0; i < 2000; i++) {
      const ms = from + Math.floor(random() * span);
      const whole = ms - (ms % 60_000); // slots start on whole minutes
      for (const t of [ms, whole]) {
        expect(isoInZone(new Date(t), zone)).toBe(luxon(t, zone));
        expect(isoInZone(DateTime.fromMillis(t, { zone: 'America/Lima' }), zone)).toBe(luxon(t, zone));
      }
    }
  });

  it('a zone luxon cannot read gives what luxon gives', () => {
    expect(isoInZone(new Date(0), 'Mars/Olympus')).toBe(luxon(0, 'Mars/Olympus'));
    expect(isoInZone(new Date('2026-06-01T08:00:00Z'), 'UTC+2')).toBe(luxon(Date.parse('2026-06-01T08:00:00Z'), 'UTC+2'));
  });
});

describe('inZone and dayInZone read as luxon in the zone', () => {
  const FORMAT = "cccc, d. LLLL yyyy 'um' HH:mm:ss.SSS";
  it.each(ZONES)('around every transition in %s: the same local text and the same local day', (zone) => {
    const wrong: unknown[] = [];
    for (const at of transitions(zone))
      for (let d = -26 * 3_600_000; d <= 26 * 3_600_000; d += 17 * 60_000 + 1) {
        const ms = at + d;
        const expected = DateTime.fromMillis(ms).setZone(zone);
        const text = inZone(new Date(ms), zone).setLocale('de').toFormat(FORMAT);
        const day = dayInZone(new Date(ms), zone);
        const start = expected.startOf('day');
        if (
          text !== expected.setLocale('de').toFormat(FORMAT) ||
          day.start.getTime() !== start.toMillis() ||
          day.end.getTime() !== start.plus({ days: 1 }).toMillis()
        )
          wrong.push([new Date(ms).toISOString(), text, day.start.toISOString(), start.toISO()]);
      }
    expect(wrong.slice(0, 5)).toEqual([]);
  });

  it('a zone luxon cannot read gives what luxon gives', () => {
    const at = new Date('2026-06-01T08:00:00Z');
    expect(inZone(at, 'UTC+2').toFormat(FORMAT)).toBe(DateTime.fromJSDate(at).setZone('UTC+2').toFormat(FORMAT));
    expect(dayInZone(at, 'UTC+2').start.getTime()).toBe(DateTime.fromJSDate(at).setZone('UTC+2').startOf('day').toMillis());
  });
});
