import { DateTime } from 'luxon';

/** Time comes from here, never from `new Date()` in domain code, so tests can move it. */
export abstract class Clock {
  abstract now(): DateTime;
}

export class SystemClock extends Clock {
  now(): DateTime {
    return DateTime.utc();
  }
}

/** A clock tests can set and advance. */
export class ManualClock extends Clock {
  private current: DateTime;
  constructor(start: DateTime | string = DateTime.utc()) {
    super();
    this.current = typeof start === 'string' ? DateTime.fromISO(start, { zone: 'utc' }) : start.toUTC();
  }
  now(): DateTime {
    return this.current;
  }
  set(to: DateTime | string): void {
    this.current = typeof to === 'string' ? DateTime.fromISO(to, { zone: 'utc' }) : to.toUTC();
  }
  advance(duration: { minutes?: number; seconds?: number; hours?: number; days?: number; milliseconds?: number }): void {
    this.current = this.current.plus(duration);
  }
}
