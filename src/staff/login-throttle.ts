/**
 * When a login may be tried: the pure rule. Failures are counted per account and source (the
 * client's address) and per account across all sources. A source that guessed wrong five times
 * waits 30 s before its next try, then 60 s, 120 s … up to 15 minutes; the account itself is
 * never locked for others: from twenty failures on (a guesser spreading over many addresses)
 * every source waits 1 s, 2 s, 4 s … at most 60 s between tries of that account. A burst ends
 * after 15 quiet minutes.
 */
export interface FailureCounter {
  failures: number;
  firstFailureAt: Date | null;
  lastFailureAt: Date | null;
}

export interface BackoffRule {
  /** Failures allowed before the first wait. */
  free: number;
  baseSeconds: number;
  maxSeconds: number;
}

export const LOGIN_BURST_MINUTES = 15;
export const PER_SOURCE: BackoffRule = { free: 5, baseSeconds: 30, maxSeconds: 15 * 60 };
export const PER_ACCOUNT: BackoffRule = { free: 20, baseSeconds: 1, maxSeconds: 60 };

export type LoginGate = { allowed: true } | { allowed: false; scope: 'source' | 'account'; retryAfterSeconds: number };

const NO_FAILURES: FailureCounter = { failures: 0, firstFailureAt: null, lastFailureAt: null };

/** The start of the quiet period: failures before it belong to a burst that is over. */
export function burstCutoff(now: Date): Date {
  return new Date(now.getTime() - LOGIN_BURST_MINUTES * 60_000);
}

/** The counter as it stands now: a burst that has been quiet for the whole period counts nothing. */
export function current(counter: FailureCounter | undefined, now: Date): FailureCounter {
  if (!counter || !counter.lastFailureAt || counter.lastFailureAt < burstCutoff(now)) return NO_FAILURES;
  return counter;
}

/** Seconds still to wait under one rule (0: may try now). */
export function waitSeconds(counter: FailureCounter | undefined, now: Date, rule: BackoffRule): number {
  const c = current(counter, now);
  if (c.failures < rule.free || !c.lastFailureAt) return 0;
  const wait = Math.min(rule.maxSeconds, rule.baseSeconds * 2 ** (c.failures - rule.free));
  const left = (c.lastFailureAt.getTime() + wait * 1000 - now.getTime()) / 1000;
  return left > 0 ? Math.ceil(left) : 0;
}

export function loginGate(source: FailureCounter | undefined, account: FailureCounter | undefined, now: Date): LoginGate {
  const bySource = waitSeconds(source, now, PER_SOURCE);
  if (bySource > 0) return { allowed: false, scope: 'source', retryAfterSeconds: bySource };
  const byAccount = waitSeconds(account, now, PER_ACCOUNT);
  if (byAccount > 0) return { allowed: false, scope: 'account', retryAfterSeconds: byAccount };
  return { allowed: true };
}

/** A burst of one source that is over and not yet written to the audit log. */
export function endedBurst<C extends FailureCounter>(counter: C | undefined, now: Date): C | undefined {
  return counter && counter.failures > 0 && current(counter, now) === NO_FAILURES ? counter : undefined;
}
