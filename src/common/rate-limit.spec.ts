import { WindowLimiter } from './rate-limit';

describe('WindowLimiter: fixed one-minute windows per key', () => {
  it('lets `limit` through per window, then says when the window ends', () => {
    const limiter = new WindowLimiter(60_000);
    const t0 = 1_000_000;
    expect([1, 2, 3].map((i) => limiter.hit('a', 3, t0 + i).allowed)).toEqual([true, true, true]);
    expect(limiter.hit('a', 3, t0 + 15_000)).toEqual({ allowed: false, retryAfterSeconds: 46 });
    // Another key counts apart.
    expect(limiter.hit('b', 3, t0 + 15_000).allowed).toBe(true);
    // The next window starts over.
    expect(limiter.hit('a', 3, t0 + 60_001)).toEqual({ allowed: true, retryAfterSeconds: 60 });
  });

  it('forgets finished windows, so the map does not grow with every address ever seen', () => {
    const limiter = new WindowLimiter(60_000);
    for (let i = 0; i < 1000; i++) limiter.hit(`ip-${i}`, 3, 0);
    limiter.hit('late', 3, 120_000);
    expect((limiter as unknown as { windows: Map<string, unknown> }).windows.size).toBe(1);
  });
});
