import { DomainError } from '../common/domain-error';
import { checkHours } from './hours-rules';

const p = (weekday: number, opens: string, closes: string, counters = 2) => ({ weekday, opens, closes, counters });
const codeOf = (f: () => void) => {
  try {
    f();
    return 'ok';
  } catch (e) {
    return `${(e as DomainError).code}:${JSON.stringify((e as DomainError).details)}`;
  }
};

describe('checkHours', () => {
  const today = '2026-06-01';
  it('takes touching periods and several weekdays', () => {
    expect(
      codeOf(() => checkHours([p(1, '08:00', '12:00', 3), p(1, '12:00', '18:00', 2), p(2, '08:00', '12:00')], today, today, 10)),
    ).toBe('ok');
  });
  it('refuses overlapping periods of one weekday', () => {
    expect(codeOf(() => checkHours([p(1, '08:00', '12:00'), p(1, '11:50', '14:00')], today, today, 10))).toMatch(
      /^HOURS_OVERLAP/,
    );
  });
  it('refuses counters below 1, a period that closes before it opens, a bad weekday, a time off the grid', () => {
    expect(codeOf(() => checkHours([p(1, '08:00', '12:00', 0)], today, today, 10))).toContain('periods.0.counters');
    expect(codeOf(() => checkHours([p(1, '08:00', '12:00', -1)], today, today, 10))).toContain('periods.0.counters');
    expect(codeOf(() => checkHours([p(1, '12:00', '08:00')], today, today, 10))).toContain('periods.0.closes');
    expect(codeOf(() => checkHours([p(8, '08:00', '12:00')], today, today, 10))).toContain('periods.0.weekday');
    expect(codeOf(() => checkHours([p(1, '08:05', '12:00')], today, today, 10))).toContain('periods.0.opens');
    expect(codeOf(() => checkHours([p(1, '8:00', '12:00')], today, today, 10))).toContain('periods.0.opens');
  });
  it('refuses a valid-from in the past or not a date', () => {
    expect(codeOf(() => checkHours([p(1, '08:00', '12:00')], '2026-05-31', today, 10))).toContain('in the past');
    expect(codeOf(() => checkHours([p(1, '08:00', '12:00')], '2026-02-30', today, 10))).toContain('not a date');
  });
});
