import { Injectable } from '@nestjs/common';
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

const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;
const MAX_CODE_TRIES = 5;

/** One answer for every token that cannot confirm: unknown, revoked, expired or cancelled. */
const invalid = () =>
  new DomainError('TOKEN_INVALID', 'This confirmation link is not valid (any more). If your booking expired, please book again.');

@Injectable()
export class ConfirmationsService {
  constructor(
    private readonly tx: TransactionRunner,
    private readonly bookings: BookingsRepository,
    private readonly holds: HoldService,
    private readonly clock: Clock,
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
    return (await this.bookings.findById(manager, booking.id))!;
  }

  /**
   * The SMS way: reference and 6-digit code. Five wrong codes lock it; every failure, whether
   * the reference exists or not, gets the same answer.
   */
  async confirmWithCode(reference: string, code: string): Promise<BookingRow> {
    const ref = normalizeReference(reference);
    if (!/^HF-[A-Z0-9]{4}-[A-Z0-9]{4}$/.test(ref) || !/^\d{6}$/.test(code.trim())) throw invalid();
    const checked = await this.tx.run(async (manager) => {
      const row = await this.bookings.codeOfReference(manager, ref);
      if (!row || row.lockedAt) return { ok: false as const };
      if (!timingSafeEqual(row.codeHash, codeHash(row.id, code.trim()))) {
        await this.bookings.recordWrongCode(manager, row.id, MAX_CODE_TRIES, this.clock.now().toJSDate());
        return { ok: false as const };
      }
      return { ok: true as const, id: row.id };
    });
    if (!checked.ok) throw invalid();
    return this.tx.run(async (m) => this.confirmLocked(m, (await this.bookings.findById(m, checked.id, true))!));
  }

  private facts(booking: BookingRow) {
    return {
      status: booking.status,
      holdUntil: DateTime.fromJSDate(booking.holdUntil),
      slotStartsAt: DateTime.fromJSDate(booking.slotStartsAt),
    };
  }
}
