/**
 * Exponential backoff with jitter: base·2^(n-1), capped, then scaled into [50%, 100%] so that
 * many mails deferred together do not come back together. Pure; `random` is injectable.
 */
export function retryDelaySeconds(
  attempt: number,
  opts: { baseSeconds: number; maxSeconds: number },
  random: () => number = Math.random,
): number {
  const exponential = Math.min(opts.maxSeconds, opts.baseSeconds * 2 ** Math.max(0, attempt - 1));
  return Math.max(1, Math.round(exponential * (0.5 + random() * 0.5)));
}
