import { endedBurst, FailureCounter, loginGate, waitSeconds, PER_ACCOUNT, PER_SOURCE } from './login-throttle';

const at = (s: number) => new Date(Date.UTC(2026, 5, 1, 8, 0, s));
const counter = (failures: number, lastSecond: number): FailureCounter => ({
  failures,
  firstFailureAt: at(0),
  lastFailureAt: at(lastSecond),
});

describe('login throttle', () => {
  it('a source has five free tries, then waits 30 s, 60 s, 120 s … at most 15 minutes', () => {
    expect(waitSeconds(counter(4, 10), at(10), PER_SOURCE)).toBe(0);
    expect(waitSeconds(counter(5, 10), at(10), PER_SOURCE)).toBe(30);
    expect(waitSeconds(counter(5, 10), at(39), PER_SOURCE)).toBe(1);
    expect(waitSeconds(counter(5, 10), at(40), PER_SOURCE)).toBe(0);
    expect(waitSeconds(counter(6, 10), at(10), PER_SOURCE)).toBe(60);
    expect(waitSeconds(counter(7, 10), at(10), PER_SOURCE)).toBe(120);
    expect(waitSeconds(counter(40, 10), at(10), PER_SOURCE)).toBe(900);
  });

  it('the account across sources: twenty free, then 1 s, 2 s … at most 60 s', () => {
    expect(waitSeconds(counter(19, 10), at(10), PER_ACCOUNT)).toBe(0);
    expect(waitSeconds(counter(20, 10), at(10), PER_ACCOUNT)).toBe(1);
    expect(waitSeconds(counter(23, 10), at(10), PER_ACCOUNT)).toBe(8);
    expect(waitSeconds(counter(500, 10), at(10), PER_ACCOUNT)).toBe(60);
  });

  it('a burst quiet for 15 minutes is over: nothing counts, and it is reported once', () => {
    const burst = counter(40, 0);
    expect(waitSeconds(burst, at(15 * 60 - 1), PER_SOURCE)).toBeGreaterThan(0);
    expect(waitSeconds(burst, at(15 * 60 + 1), PER_SOURCE)).toBe(0);
    expect(endedBurst(burst, at(15 * 60 - 1))).toBeUndefined();
    expect(endedBurst(burst, at(15 * 60 + 1))).toBe(burst);
    expect(endedBurst(undefined, at(0))).toBeUndefined();
  });

  it('the source decides first; a fresh source of an attacked account only waits the account pace', () => {
    expect(loginGate(counter(5, 10), counter(30, 10), at(11))).toEqual({
      allowed: false,
      scope: 'source',
      retryAfterSeconds: 29,
    });
    expect(loginGate(undefined, counter(30, 10), at(11))).toEqual({ allowed: false, scope: 'account', retryAfterSeconds: 59 });
    expect(loginGate(undefined, counter(30, 10), at(70))).toEqual({ allowed: true });
    expect(loginGate(counter(2, 10), counter(3, 10), at(11))).toEqual({ allowed: true });
  });
});
