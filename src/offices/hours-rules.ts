import { DateTime } from 'luxon';
import { DomainError } from '../common/domain-error';
import { WeeklyOpening } from '../scheduling/slot-generation';

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;
const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/**
 * A version of weekly hours as an admin may set it: valid from today or later; each period on a
 * weekday 1–7, `HH:mm` to a later `HH:mm`, opening on the office's unit grid, with 1 to 1000
 * counters; periods of one weekday do not overlap (touching is fine: 08–12 and 12–18). Pure.
 */
export function checkHours(periods: readonly WeeklyOpening[], validFrom: string, today: string, unitMinutes: number): void {
  const date = DateTime.fromISO(validFrom);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(validFrom) || !date.isValid)
    throw new DomainError('VALIDATION_FAILED', 'validFrom must be a date (yyyy-mm-dd).', [
      { field: 'validFrom', problems: ['not a date'] },
    ]);
  if (validFrom < today)
    throw new DomainError('VALIDATION_FAILED', 'Hours can be changed from today on, not in the past.', [
      { field: 'validFrom', problems: ['in the past'] },
    ]);
  periods.forEach((p, i) => {
    const field = `periods.${i}`;
    if (!Number.isInteger(p.weekday) || p.weekday < 1 || p.weekday > 7)
      throw new DomainError('VALIDATION_FAILED', 'weekday must be 1 (Monday) to 7 (Sunday).', [
        { field: `${field}.weekday`, problems: ['1..7'] },
      ]);
    if (!HHMM.test(p.opens) || !HHMM.test(p.closes))
      throw new DomainError('VALIDATION_FAILED', 'opens and closes are times HH:mm.', [
        { field: `${field}.${HHMM.test(p.opens) ? 'closes' : 'opens'}`, problems: ['not HH:mm'] },
      ]);
    if (minutes(p.opens) >= minutes(p.closes))
      throw new DomainError('VALIDATION_FAILED', 'A period closes after it opens.', [
        { field: `${field}.closes`, problems: ['not after opens'] },
      ]);
    if (minutes(p.opens) % unitMinutes !== 0)
      throw new DomainError('VALIDATION_FAILED', `A period opens on the office's ${unitMinutes}-minute grid.`, [
        { field: `${field}.opens`, problems: [`not a multiple of ${unitMinutes} minutes`] },
      ]);
    if (!Number.isInteger(p.counters) || p.counters < 1 || p.counters > 1000)
      throw new DomainError('VALIDATION_FAILED', 'counters must be a whole number from 1 to 1000.', [
        { field: `${field}.counters`, problems: ['1..1000'] },
      ]);
  });
  for (let i = 0; i < periods.length; i++)
    for (let j = i + 1; j < periods.length; j++) {
      const a = periods[i];
      const b = periods[j];
      if (a.weekday === b.weekday && minutes(a.opens) < minutes(b.closes) && minutes(b.opens) < minutes(a.closes))
        throw new DomainError('HOURS_OVERLAP', `Two periods of weekday ${a.weekday} overlap.`, [
          { field: `periods.${j}`, problems: [`overlaps periods.${i}`] },
        ]);
    }
}
