import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { InstallationRepository } from '../database/installation.repository';
import { TransactionRunner } from '../database/transaction-runner';
import { Clock } from './clock';
import { DomainError } from './domain-error';

/** Whether the clock guard runs: on for the running app, off where tests drive a clock of their own. */
export const CLOCK_GUARD_ENABLED = Symbol('CLOCK_GUARD_ENABLED');

/** How long one measurement is trusted by this instance. */
const RECHECK_MS = 60_000;

/**
 * Every instance decides holds, expiries and leases with its own clock (the pure decisions take
 * `now` as input), so instances must agree on the time: this guard compares the app's clock with
 * the database server's and refuses when they differ by more than CLOCK_SKEW_MAX_MS. At start the
 * app then does not start; later, the sweeper and the dispatcher skip their rounds and readiness
 * says 503 until the clocks agree again. One clock for all (the database's) without the tests'
 * ability to move time; a refusal instead of a silent early expiry.
 */
@Injectable()
export class ClockGuard {
  private readonly logger = new Logger('ClockGuard');
  private last?: { at: number; skewMs: number };

  constructor(
    private readonly tx: TransactionRunner,
    private readonly installation: InstallationRepository,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(CLOCK_GUARD_ENABLED) private readonly enabled: boolean,
  ) {}

  /** App clock minus database clock, in ms, measured against the middle of the round trip. */
  async measureSkewMs(): Promise<number> {
    const before = this.clock.now().toMillis();
    const db = (await this.installation.databaseNow(this.tx.manager)).getTime();
    const after = this.clock.now().toMillis();
    const skewMs = Math.round((before + after) / 2 - db);
    this.last = { at: Date.now(), skewMs };
    return skewMs;
  }

  /** Whether the clocks agree (always true when the guard is off); measured at most once a minute. */
  async inSync(): Promise<boolean> {
    if (!this.enabled) return true;
    const fresh = !this.last || Date.now() - this.last.at >= RECHECK_MS;
    const skewMs = fresh ? await this.measureSkewMs() : this.last!.skewMs;
    const ok = Math.abs(skewMs) <= this.config.clockSkewMaxMs;
    // Once per measurement, not on every round that reads the cached verdict (every 250 ms).
    if (!ok && fresh) this.logger.error(this.message(skewMs));
    return ok;
  }

  /** At start: refuse to run on a clock that disagrees with the database's. */
  async assertInSync(): Promise<void> {
    if (!this.enabled) return;
    const skewMs = await this.measureSkewMs();
    if (Math.abs(skewMs) > this.config.clockSkewMaxMs) throw new DomainError('CLOCK_SKEW', this.message(skewMs));
  }

  private message(skewMs: number): string {
    return (
      `this server's clock is ${Math.abs(skewMs)} ms ${skewMs > 0 ? 'ahead of' : 'behind'} the database's ` +
      `(CLOCK_SKEW_MAX_MS=${this.config.clockSkewMaxMs}): holds, expiries and leases would be decided on the wrong time. Fix NTP on this host.`
    );
  }
}
