import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { WorkerLoop } from '../common/worker-loop';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { EntityManager } from 'typeorm';
import { DateTime } from 'luxon';
import { Clock } from '../common/clock';
import { DomainError } from '../common/domain-error';
import { normalizeReference, sha256 } from '../common/ids';
import { timingSafeEqual } from 'node:crypto';
import { codeHash } from '../bookings/sms-fallback.service';
import { TransactionRunner } from '../database/transaction-runner';
import { transition } from '../bookings/booking-state';
import { BookingRow, BookingsRepository } from '../bookings/bookings.repository';
import { HoldService } from '../bookings/hold.service';
import { BookingNotices } from '../bookings/booking-notices.service';

const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;
/** Wrong codes in all before the code is locked (a new one can be requested). */
const MAX_CODE_TRIES = 20;
/** Wrong codes from one source before it is locked out of the reference, and for how long. */
const MAX_TRIES_PER_SOURCE = 5;
const SOURCE_LOCK_MINUTES = 60;
const HOUSEKEEPING_MS = 60 * 60 * 1000;

/** One answer for every token that cannot confirm: unknown, revoked, expired or cancelled. */
const invalid = () =>
  new DomainError('TOKEN_INVALID', 'This confirmation link is not valid (any more). If your booking expired, please book again.');

@Injectable()
export class ConfirmationsService implements OnApplicationBootstrap, OnModuleDestroy {
  private housekeeping?: WorkerLoop;

  constructor(
    private readonly tx: TransactionRunner,
    private readonly bookings: BookingsRepository,
    private readonly holds: HoldService,
    private readonly notices: BookingNotices,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Read-only: what the confirm page shows. Never changes anything (mail scanners open links). */
  async preview(token: string): Promise<BookingRow> {
    if (!TOKEN_SHAPE.test(token)) throw invalid();
    const booking = await this.bookings.findByTokenHash(this.tx.manager, sha256(token));
    if (!booking) throw invalid();
    const usable = transition(this.facts(booking), { type: 'confirm' }, this.clock.now());
    if (!usable.ok) throw invalid();
    return booking;
  }

  /** Confirms; confirming a confirmed booking answers confirmed again. */
  async confirm(token: string): Promise<BookingRow> {
    if (!TOKEN_SHAPE.test(token)) throw invalid();
    return this.tx.run(async (manager) => {
      const booking = await this.bookings.findByTokenHash(manager, sha256(token), true);
      if (!booking) throw invalid();
      return this.confirmLocked(manager, booking);
    });
  }

  /** Confirms a booking locked by the caller's transaction, deciding a stale hold again first. */
  private async confirmLocked(manager: EntityManager, booking: BookingRow): Promise<BookingRow> {
    const now = this.clock.now();
    // The stored hold may be stale while the mail was stuck: decide it again before refusing.
    if (booking.status === 'pending' && booking.holdUntil <= now.toJSDate()) {
      const [fresh] = await this.holds.recompute(manager, [booking.id], now);
      if (fresh) booking.holdUntil = fresh.holdUntil.toJSDate();
    }
    const decision = transition(this.facts(booking), { type: 'confirm' }, now);
    if (!decision.ok) throw invalid();
    if (decision.changed && !(await this.bookings.markConfirmed(manager, booking.id, now.toJSDate()))) throw invalid();
    const confirmed = (await this.bookings.findById(manager, booking.id))!;
    // The first confirmation only (a repeated one answers "confirmed" again and sends nothing).
    if (decision.changed) await this.notices.confirmed(manager, confirmed);
    return confirmed;
  }

  /**
   * The SMS way: reference and 6-digit code. Five wrong codes from one source lock that source
   * out of this reference for an hour (the citizen, elsewhere, can still confirm), twenty in all
   * lock the code (a new one can be requested, the SMS's link still works). Every failure,
   * whether the reference exists or not, gets the same answer and is counted the same way.
   */
  async confirmWithCode(reference: string, code: string, source: string): Promise<BookingRow> {
    const ref = normalizeReference(reference);
    if (!/^HF-[A-Z0-9]{4}-[A-Z0-9]{4}$/.test(ref) || !/^\d{6}$/.test(code.trim())) throw invalid();
    const from = source.slice(0, 64);
    const checked = await this.tx.run(async (manager) => {
      const now = this.clock.now();
      const since = now.minus({ minutes: SOURCE_LOCK_MINUTES }).toJSDate();
      if ((await this.bookings.codeFailuresFrom(manager, ref, from, since)) >= MAX_TRIES_PER_SOURCE)
        return { ok: false as const, lockedOut: true };
      const row = await this.bookings.codeOfReference(manager, ref);
      if (row && !row.lockedAt && timingSafeEqual(row.codeHash, codeHash(row.id, code.trim())))
        return { ok: true as const, id: row.id };
      if (row && !row.lockedAt) await this.bookings.recordWrongCode(manager, row.id, MAX_CODE_TRIES, now.toJSDate());
      await this.bookings.countCodeFailure(manager, ref, from, now.toJSDate(), since);
      return { ok: false as const, lockedOut: false };
    });
    if (checked.ok) return this.tx.run(async (m) => this.confirmLocked(m, (await this.bookings.findById(m, checked.id, true))!));
    if (checked.lockedOut)
      throw new DomainError(
        'CODE_TRIES_EXCEEDED',
        'Too many wrong codes from this device. Use the link in the SMS, or request a new code on the status page.',
        { retryAfterSeconds: SOURCE_LOCK_MINUTES * 60 },
        { 'Retry-After': String(SOURCE_LOCK_MINUTES * 60) },
      );
    throw invalid();
  }

  /** Counts of wrong codes older than the source lock: removed (hourly, with the background workers). */
  deleteOldCodeFailures(): Promise<number> {
    const before = this.clock.now().minus({ minutes: SOURCE_LOCK_MINUTES }).toJSDate();
    return this.tx.run((manager) => this.bookings.deleteCodeFailuresBefore(manager, before));
  }

  onApplicationBootstrap(): void {
    if (!this.config.workersEnabled) return;
    this.housekeeping = new WorkerLoop('CodeTries', () => this.deleteOldCodeFailures().then(() => undefined), {
      intervalMs: HOUSEKEEPING_MS,
      failure: 'code tries cleanup failed',
    });
    this.housekeeping.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.housekeeping?.stop();
  }

  private facts(booking: BookingRow) {
    return {
      status: booking.status,
      holdUntil: DateTime.fromJSDate(booking.holdUntil),
      slotStartsAt: DateTime.fromJSDate(booking.slotStartsAt),
    };
  }
}
