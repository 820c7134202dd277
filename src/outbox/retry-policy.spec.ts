import { retryDelaySeconds } from './retry-policy';

const opts = { baseSeconds: 30, maxSeconds: 3600 };

describe('retry delay', () => {
  it.each([
    [1, 30],
    [2, 60],
    [3, 120],
    [5, 480],
    [7, 1920],
    [8, 3600],
    [20, 3600],
  ])('attempt %i waits at most %i s', (attempt, max) => {
    expect(retryDelaySeconds(attempt, opts, () => 1)).toBe(max);
    expect(retryDelaySeconds(attempt, opts, () => 0)).toBe(Math.round(max / 2));
  });

  it('spreads retries between half and the full delay', () => {
    const delays = Array.from({ length: 200 }, () => retryDelaySeconds(4, opts));
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(120);
    expect(Math.max(...delays)).toBeLessThanOrEqual(240);
    expect(new Set(delays).size).toBeGreaterThan(10);
  });
});
