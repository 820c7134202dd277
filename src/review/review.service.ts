import { bookingView } from '../bookings/booking-view';
import { Inject, Injectable } from '@nestjs/common';

import { DateTime } from 'luxon';

import { randomUUID } from 'node:crypto';

import { EntityManager } from 'typeorm';

import { Actor, actsAt, AuditService } from '../audit/audit.service';

import { BookingRow, BookingsRepository, ReviewFilter } from '../bookings/bookings.repository';
import { BookingsService } from '../bookings/bookings.service';

import { ConfirmationIssuer } from '../bookings/confirmation-issuer.service';

import { initialHoldUntil } from '../bookings/booking-state';

import { HoldService } from '../bookings/hold.service';

import { Clock } from '../common/clock';

import { DomainError } from '../common/domain-error';

import { isoInZone } from '../common/time';

import { APP_CONFIG, AppConfig } from '../config/app-config';

import { TransactionRunner, uniqueViolation } from '../database/transaction-runner';

import { familyOfDomain } from '../mail-delivery/provider-families';

import { OutboxRepository } from '../outbox/outbox.repository';

import { SmsFallbackService } from '../bookings/sms-fallback.service';

type Snapshot = {
  status: string;
  holdUntil: string | null;
  slotId: string;
  goodwillUntil?: string | null;
  reviewStatus?: string | null;
};

/**
 * The clerks' review queue: what lapsed because the mail never arrived, and what is still
 * waiting for it; goodwill extensions, reinstatement, confirmation by phone, closing. Every action
 * needs a reason and is audited with before/after; a refused action is audited too.
 */
@Injectable()
export class ReviewService {
  constructor(
    private readonly tx: TransactionRunner,
    private readonly bookings: BookingsRepository,
    private readonly outbox: OutboxRepository,
    private readonly holds: HoldService,
    private readonly issuer: ConfirmationIssuer,
    private readonly smsFallback: SmsFallbackService,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly bookingsService: BookingsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async list(filter: ReviewFilter) {
    const { items, total } = await this.bookings.reviewQueue(this.tx.manager, filter);
    return {
      total,
      limit: filter.limit,
      offset: filter.offset,
      items: items.map((i) => ({
        id: i.id,
        reference: i.reference,
        status: i.status,
        expiryReason: i.expiryReason,
        reviewStatus: i.reviewStatus,
        name: i.name,
        email: i.email,
        phone: i.phone,
        createdAt: isoInZone(i.createdAt, i.timeZone),
        expiredAt: i.expiredAt ? isoInZone(i.expiredAt, i.timeZone) : null,
        holdUntil: i.status === 'pending' ? isoInZone(i.holdUntil, i.timeZone) : null,
        slotStartsAt: isoInZone(i.slotStartsAt, i.timeZone),
        location: { id: i.locationId, name: i.locationName },
        serviceName: i.serviceName,
        mail: { family: i.family, state: i.mailState, lastReplyCategory: i.lastReplyCategory },
      })),
    };
  }

  /** A booking with its mails, its hold in words (in `lang`) and its audit trail. */
  async detail(id: string, actor?: Actor, lang: 'de' | 'en' = 'de') {
    const booking = await this.bookings.findById(this.tx.manager, id);
    if (!booking) throw new DomainError('BOOKING_NOT_FOUND', 'No booking with this id.');
    if (actor) assertOffice(actor, booking.locationId);
    const messages = await this.outbox.messagesOfBooking(this.tx.manager, id);
    const audit = await this.audit.ofBooking(this.tx.manager, id);
    const hold = await this.bookingsService.explainHold(booking, messages, lang);
    return {
      ...bookingView(booking, messages, hold),
      reviewStatus: booking.reviewStatus,
      // A combined appointment's other services and the minutes they add to the slot.
      combined: { serviceIds: booking.extraServiceIds ?? [], extraMinutes: booking.extraMinutes ?? 0 },
      audit,
    };
  }

  extend(id: string, until: string, reason: string, actor: Actor) {
    return this.act(id, 'review.extend', reason, actor, async (manager, booking) => {
      if (booking.status !== 'pending')
        throw new DomainError('INVALID_TRANSITION', `Only a pending booking can be extended; this one is ${booking.status}.`, {
          status: booking.status,
        });
      const untilAt = DateTime.fromISO(until, { setZone: true });
      if (!untilAt.isValid) throw new DomainError('EXTENSION_INVALID', '`until` is not a valid ISO-8601 date-time.');
      const latest = DateTime.fromJSDate(booking.slotStartsAt).minus({ minutes: this.config.confirmCutoffMinutes });
      if (untilAt <= this.clock.now()) throw new DomainError('EXTENSION_INVALID', '`until` must be in the future.');
      if (untilAt > latest) {
        throw new DomainError(
          'EXTENSION_INVALID',
          `A hold can run at most until ${this.config.confirmCutoffMinutes} minutes before the appointment (${isoInZone(latest, booking.timeZone)}).`,
          { latest: isoInZone(latest, booking.timeZone) },
        );
      }
      await this.bookings.setGoodwill(manager, booking.id, untilAt.toJSDate());
      await this.holds.recompute(manager, [booking.id], this.clock.now());
    });
  }

  /** A clerk moves a booking for a citizen on the phone (BookingsService.reschedule's rules), with a reason. */
  async reschedule(id: string, slotId: string, reason: string, actor: Actor) {
    await this.bookingsService.reschedule(id, slotId, { actor, reason });
    return this.detail(id, actor);
  }

  reinstate(id: string, slotId: string | undefined, reason: string, actor: Actor) {
    return this.act(id, 'review.reinstate', reason, actor, async (manager, booking) => {
      if (booking.status !== 'expired')
        throw new DomainError('INVALID_TRANSITION', `Only an expired booking can be reinstated; this one is ${booking.status}.`, {
          status: booking.status,
        });
      const now = this.clock.now();
      const target = slotId ?? booking.slotId;
      if (target !== booking.slotId) {
        const facts = await this.bookings.slotFacts(manager, target);
        if (!facts) throw new DomainError('SLOT_NOT_FOUND', 'No slot with this id.');
        if (!actsAt(actor, facts.locationId))
          throw new DomainError('FORBIDDEN', 'This slot belongs to an office you are not assigned to.');
        if (facts.serviceId !== booking.serviceId)
          throw new DomainError('RESCHEDULE_NOT_ALLOWED', 'The new time must be for the same service.', {
            reason: 'other_service',
          });
        if (booking.extraMinutes > 0 && facts.locationId !== booking.locationId)
          throw new DomainError(
            'RESCHEDULE_NOT_ALLOWED',
            'An appointment for several services can be reinstated within its office only.',
            { reason: 'combined_other_office' },
          );
      }
      const slot = await this.bookings.reservePlace(manager, target, now.toJSDate());
      if (!slot) throw await this.bookings.whyNotReservable(manager, target, now.toJSDate());
      // The same hold as a new booking: the first window from now, the upper limit from now.
      const holdUntil = initialHoldUntil(now, DateTime.fromJSDate(slot.startsAt), this.config.confirmWindowMinutes);
      try {
        await this.bookings.reinstate(manager, booking.id, {
          slotId: slot.slotId,
          locationId: slot.locationId,
          holdUntil: holdUntil.toJSDate(),
          now: now.toJSDate(),
        });
      } catch (err) {
        // The citizen booked this slot again meanwhile: one active booking per address and slot.
        if (uniqueViolation(err) === 'uq_bookings_active_email_slot')
          throw new DomainError('BOOKING_LIMIT_SLOT', 'This address has another active booking in that slot.');
        throw err;
      }
      const fresh = (await this.bookings.findById(manager, booking.id))!;
      // A new confirmation on every channel the citizen gave.
      await this.issuer.issue(manager, fresh, {
        preface: 'Ihr Termin wurde vom Bürgeramt wiederhergestellt. Bitte bestätigen Sie ihn über den Link unten.',
      });
      if (fresh.phone && this.smsFallback.enabled)
        await this.smsFallback.send(manager, {
          id: fresh.id,
          reference: fresh.reference,
          phone: fresh.phone,
          startsAt: fresh.slotStartsAt,
          timeZone: fresh.timeZone,
        });
    });
  }

  confirm(id: string, reason: string, actor: Actor) {
    return this.act(id, 'review.confirm', reason, actor, async (manager, booking) => {
      if (booking.status !== 'pending')
        throw new DomainError(
          'INVALID_TRANSITION',
          `Only a pending booking can be confirmed by hand; this one is ${booking.status}. Reinstate an expired booking first.`,
          { status: booking.status },
        );
      await this.bookings.confirmByStaff(manager, booking.id, this.clock.now().toJSDate());
    });
  }

  close(id: string, reason: string, actor: Actor) {
    return this.act(id, 'review.close', reason, actor, async (manager, booking) => {
      if (!(await this.bookings.closeReview(manager, booking.id, this.clock.now().toJSDate()))) {
        throw new DomainError('INVALID_TRANSITION', 'Only an expired booking with an open review can be closed.', {
          status: booking.status,
        });
      }
      const when = DateTime.fromJSDate(booking.slotStartsAt)
        .setZone(booking.timeZone)
        .setLocale('de')
        .toFormat("d. LLLL yyyy 'um' HH:mm 'Uhr'");
      const text = [
        `Guten Tag ${booking.name},`,
        '',
        `leider konnten wir Ihnen die Bestätigung für Ihren Termin am ${when} (${booking.reference}) nicht rechtzeitig zustellen, und der Termin ist verfallen.`,
        '',
        `Sie können hier einen neuen Termin buchen:`,
        `${this.config.publicBaseUrl}/`,
        '',
        'Ihr Bürgeramt',
      ].join('\n');
      await this.outbox.enqueue(manager, {
        id: randomUUID(),
        bookingId: booking.id,
        kind: 'booking_closed_notice',
        channel: 'email',
        recipient: booking.email,
        payload: { to: booking.email, subject: `Ihr Termin ${booking.reference} ist verfallen`, text },
        family: familyOfDomain(booking.email, this.config.providerFamilyOverrides) ?? null,
        now: this.clock.now().toJSDate(),
      });
    });
  }

  /** A clerk cancels for the citizen (on the phone, at the desk): the counter goes back; a confirmed booking gets the notice. */
  cancel(id: string, reason: string, actor: Actor) {
    return this.act(id, 'review.cancel', reason, actor, (manager, booking) =>
      this.bookingsService.cancelLocked(manager, booking),
    );
  }

  /** Load under lock, act, audit before/after; a refusal is audited in a transaction of its own. */
  private async act(
    id: string,
    action: string,
    reason: string,
    actor: Actor,
    work: (manager: EntityManager, booking: BookingRow) => Promise<void>,
  ) {
    try {
      await this.tx.run(async (manager) => {
        const booking = await this.bookings.findById(manager, id, true);
        if (!booking) throw new DomainError('BOOKING_NOT_FOUND', 'No booking with this id.');
        assertOffice(actor, booking.locationId);
        const before = this.snapshot(booking);
        await work(manager, booking);
        const after = this.snapshot((await this.bookings.findById(manager, id))!);
        await this.audit.record(manager, actor, { action, bookingId: id, reason, before, after });
      });
    } catch (err) {
      if (err instanceof DomainError && err.code !== 'BOOKING_NOT_FOUND') {
        await this.audit.record(this.tx.manager, actor, {
          action: `${action}.refused`,
          bookingId: id,
          reason,
          after: { code: err.code, message: err.message },
        });
      }
      throw err;
    }
    return this.detail(id);
  }

  private snapshot(booking: BookingRow): Snapshot {
    return {
      status: booking.status,
      holdUntil: booking.status === 'pending' ? booking.holdUntil.toISOString() : null,
      slotId: booking.slotId,
      goodwillUntil: booking.goodwillUntil ? booking.goodwillUntil.toISOString() : null,
      reviewStatus: booking.reviewStatus,
    };
  }
}

/** A clerk bound to offices acts only there (FORBIDDEN, audited by the caller as a refusal). */
function assertOffice(actor: Actor, locationId: string): void {
  if (!actsAt(actor, locationId))
    throw new DomainError('FORBIDDEN', 'This booking belongs to an office you are not assigned to.', { locationId });
}
