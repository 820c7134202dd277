import { Inject, Injectable } from '@nestjs/common';
import { DateTime } from 'luxon';
import { EntityManager } from 'typeorm';
import { createHash, randomUUID } from 'node:crypto';
import { Clock } from '../common/clock';
import { normalisePhone } from '../common/phone';
import { DomainError } from '../common/domain-error';
import { newBookingReference, sha256 } from '../common/ids';
import { SecretsService } from '../common/secrets.service';
import { dayInZone, isoInZone } from '../common/time';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import type { PipelinedTransaction } from '../database/pipelined-transaction';
import { TransactionRunner, uniqueViolation } from '../database/transaction-runner';
import { renderConfirmationMail } from '../notifications/confirmation-mail';
import { MessageView, OutboxRepository } from '../outbox/outbox.repository';
import { ProviderCircuitsRepository } from '../mail-delivery/provider-circuits.repository';
import { familyOfDomain, providerLabel } from '../mail-delivery/provider-families';
import { Actor, actsAt, AuditService } from '../audit/audit.service';
import { initialHoldUntil, RESCHEDULE_CUTOFF_MINUTES, rescheduleRefusal, transition } from './booking-state';
import { placeholder, secretSlot, statusSlot } from '../common/message-secrets';
import { SmsFallbackService } from './sms-fallback.service';
import { BookingNotices } from './booking-notices.service';
import { BookingRow, BookingsRepository } from './bookings.repository';
import { ConfirmationIssuer } from './confirmation-issuer.service';
import { explainHold } from './hold-policy';
import { HoldService } from './hold.service';
import { SchedulingService } from '../scheduling/scheduling.service';

const RESEND_INTERVAL_MINUTES = 5;

export interface NewBooking {
  slotId: string;
  name: string;
  email: string;
  phone?: string;
  /** The citizen's language (the page's, or the API caller's); German when not given. */
  lang?: 'de' | 'en';
  /** Services combined with the slot's own in this appointment (up to 2; one counter, the durations added). */
  additionalServiceIds?: string[];
}

/** A combined appointment's other services, checked at the slot's office, and the minutes they add. */
interface Combination {
  extraServiceIds: string[];
  extraMinutes: number;
  names: string[];
}
const NO_COMBINATION: Combination = { extraServiceIds: [], extraMinutes: 0, names: [] };

export interface CreatedBooking {
  id: string;
  reference: string;
  status: 'pending';
  holdUntil: string;
  statusToken: string;
}

const RESCHEDULE_MESSAGES: Record<NonNullable<ReturnType<typeof rescheduleRefusal>>, string> = {
  not_active: 'Only a pending or confirmed booking can be moved.',
  too_late: `An appointment can be moved until ${RESCHEDULE_CUTOFF_MINUTES / 60} hours before it.`,
  other_service: 'The new time must be for the same service.',
  combined_other_office:
    'An appointment for several services can be moved within its office only (durations differ between offices); book anew for another office.',
  same_slot: 'This is the booking’s own slot.',
  slot_started: 'This slot has already started.',
};

@Injectable()
export class BookingsService {
  constructor(
    private readonly tx: TransactionRunner,
    private readonly bookings: BookingsRepository,
    private readonly outbox: OutboxRepository,
    private readonly circuits: ProviderCircuitsRepository,
    private readonly secrets: SecretsService,
    private readonly holds: HoldService,
    private readonly issuer: ConfirmationIssuer,
    private readonly sms: SmsFallbackService,
    private readonly notices: BookingNotices,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly scheduling: SchedulingService,
  ) {}

  /**
   * One transaction: capacity, booking, hashed confirmation token and the outbox row of the
   * confirmation mail, or nothing at all. With an Idempotency-Key a repeat of the same request
   * returns the first response; the same key with another body is refused.
   */
  async create(input: NewBooking, idempotencyKey?: string): Promise<{ replayed: boolean; body: CreatedBooking }> {
    if (input.phone) input = { ...input, phone: this.smsNumber(input.phone) };
    const requestHash = this.requestHash(input);
    // Only a combined appointment reads its services first (one query; the plain booking keeps its two round trips).
    const combination = input.additionalServiceIds?.length ? await this.combination(input) : NO_COMBINATION;
    for (let attempt = 0; ; attempt++) {
      try {
        const created = await this.tx.pipelined((tx) => this.createIn(tx, input, requestHash, idempotencyKey, combination));
        return created ?? (await this.replay(idempotencyKey!, requestHash));
      } catch (err) {
        // A reference collision (30^8 codes) is retried with a fresh code; anything else is final.
        if (uniqueViolation(err) === 'uq_bookings_reference' && attempt < 3) continue;
        if (uniqueViolation(err) === 'uq_bookings_active_email_slot') {
          throw new DomainError('BOOKING_LIMIT_SLOT', 'This e-mail address already has a booking for this slot.');
        }
        throw err;
      }
    }
  }

  /**
   * Two round trips: the key, the address lock and the place; then the booking with its token and
   * mail, the key's response and COMMIT. Undefined when the Idempotency-Key exists already (the
   * transaction is rolled back; the earlier response is read after it).
   */
  private async combination(input: NewBooking): Promise<Combination> {
    const slot = await this.scheduling.slotDetails(input.slotId);
    if (!slot) throw new DomainError('SLOT_NOT_FOUND', 'No slot with this id.');
    const { extraMinutes, services } = await this.scheduling.combination(
      this.tx.manager,
      slot.locationId,
      slot.serviceId,
      input.additionalServiceIds ?? [],
    );
    return { extraServiceIds: services.map((s) => s.id), extraMinutes, names: services.map((s) => s.name) };
  }

  private async createIn(
    tx: PipelinedTransaction,
    input: NewBooking,
    requestHash: string,
    key: string | undefined,
    combination: Combination,
  ) {
    const now = this.clock.now();
    const { claimed, slot } = await this.bookings.beginBooking(tx, {
      key,
      requestHash,
      email: input.email,
      slotId: input.slotId,
      now: now.toJSDate(),
    });
    if (!claimed) {
      await tx.rollback();
      return undefined;
    }
    if (!slot) throw await this.bookings.whyNotBookable(tx, input.slotId, now.toJSDate());

    const id = randomUUID();
    const reference = newBookingReference();
    const holdUntil = initialHoldUntil(now, DateTime.fromJSDate(slot.startsAt), this.config.confirmWindowMinutes);
    // The token is derived at send time from this slot; the stored mail holds a placeholder.
    const confirmSlot = secretSlot('token');
    const confirmToken = this.secrets.messageSecret(confirmSlot);
    const mailId = randomUUID();
    const mail = renderConfirmationMail({
      name: input.name,
      reference,
      locationName: slot.locationName,
      locationAddress: slot.locationAddress,
      serviceName: [slot.serviceName, ...combination.names].join(' + '),
      timeZone: slot.timeZone,
      slotStartsAt: slot.startsAt,
      holdUntil: holdUntil.toJSDate(),
      confirmUrl: `${this.config.publicBaseUrl}/confirm?token=${placeholder('confirm')}`,
      statusUrl: `${this.config.publicBaseUrl}/buchung/${id}?token=${placeholder('status')}`,
      cancelUrl: `${this.config.publicBaseUrl}/buchung/${id}/absagen?token=${placeholder('status')}`,
      lang: input.lang,
    });
    const day = dayInZone(slot.startsAt, slot.timeZone);
    const body = { id, reference, status: 'pending' as const, holdUntil: isoInZone(holdUntil, slot.timeZone) };
    // A limit throws (and the transaction, with the place taken above, rolls back).
    await this.bookings.writeBooking(
      tx,
      {
        id,
        reference,
        slotId: slot.slotId,
        locationId: slot.locationId,
        name: input.name,
        email: input.email,
        phone: input.phone ?? null,
        holdUntil: holdUntil.toJSDate(),
        lang: input.lang ?? 'de',
        now: now.toJSDate(),
        extraServiceIds: combination.extraServiceIds,
        extraMinutes: combination.extraMinutes,
      },
      {
        dayStart: day.start,
        dayEnd: day.end,
        maxPerDay: this.config.maxBookingsPerLocationDay,
        // The office's own limit, else the installation's (0: off).
        noShowLimit: slot.noShowLimit ?? this.config.noShowLimit,
      },
      { hash: sha256(confirmToken) },
      {
        id: mailId,
        messageId: this.outbox.messageIdFor(mailId),
        payload: { to: input.email, ...mail, secrets: { confirm: confirmSlot, status: statusSlot(id, 1) } },
        family: familyOfDomain(input.email, this.config.providerFamilyOverrides) ?? null,
      },
      key ? { key, response: { ...body, statusTokenVersion: 1 } } : undefined,
    );
    return { replayed: false, body: { ...body, statusToken: this.secrets.statusToken(id, 1) } };
  }

  /**
   * The first response to this request when it was made before with this Idempotency-Key (a
   * double submit, a reload of the POST), else undefined: checks that come before a new booking
   * (the bot check) need not be passed again for a repeat.
   */
  async repeatOf(input: NewBooking, key: string): Promise<{ replayed: boolean; body: CreatedBooking } | undefined> {
    if (input.phone) input = { ...input, phone: this.smsNumber(input.phone) };
    const requestHash = this.requestHash(input);
    const earlier = await this.bookings.findIdempotencyKey(this.tx.manager, key);
    return earlier?.response && earlier.requestHash === requestHash ? this.replay(key, requestHash) : undefined;
  }

  private requestHash(input: NewBooking): string {
    return createHash('sha256')
      .update(JSON.stringify([input.slotId, input.name, input.email, input.phone ?? null, ...(input.additionalServiceIds ?? [])]))
      .digest('hex');
  }

  /** The response of the first request with this Idempotency-Key; the same key with another body is refused. */
  private async replay(key: string, requestHash: string): Promise<{ replayed: boolean; body: CreatedBooking }> {
    const earlier = await this.bookings.findIdempotencyKey(this.tx.manager, key);
    if (!earlier || earlier.requestHash !== requestHash || !earlier.response) {
      throw new DomainError('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was used for a different request.');
    }
    const body = earlier.response as Omit<CreatedBooking, 'statusToken'> & { statusTokenVersion?: number };
    const { statusTokenVersion, ...rest } = body;
    return {
      replayed: true,
      body: { ...rest, statusToken: this.secrets.statusToken(body.id, statusTokenVersion ?? 1) } as CreatedBooking,
    };
  }

  /** Loads a booking for its holder; the status token is checked before any query. The hold in `lang`, else the booking's. */
  async getForHolder(id: string, statusToken: string | undefined, lang?: 'de' | 'en') {
    const booking = await this.bookings.findById(this.tx.manager, id);
    this.assertHolder(booking, id, statusToken);
    const messages = await this.outbox.messagesOfBooking(this.tx.manager, id);
    return { booking: booking!, messages, hold: await this.explainHold(booking!, messages, lang ?? booking!.lang) };
  }

  /**
   * Whether the address's provider family refuses our mail right now (its circuit is open or half
   * open, or paused for a declared incident): asked before a booking is made, so the citizen can
   * give a phone number or another address. Undefined for every other address.
   */
  async providerWarning(email: string): Promise<{ provider: string; since: Date } | undefined> {
    const family = familyOfDomain(email, this.config.providerFamilyOverrides);
    if (!family) return undefined;
    const since = await this.circuits.blockedSince(this.tx.manager, family);
    return since ? { provider: providerLabel(email), since } : undefined;
  }

  /** The hold in words (German or English): why the citizen is waiting and until when (read-only). */
  async explainHold(
    booking: BookingRow,
    messages: MessageView[],
    lang: 'de' | 'en' = 'de',
  ): Promise<{ reason: string; explanation: string } | undefined> {
    if (booking.status !== 'pending') return undefined;
    const [outcome] = await this.holds.decideHolds(this.tx.manager, [booking.id], this.clock.now());
    if (!outcome) return undefined;
    const email = [...messages].reverse().find((x) => x.channel === 'email');
    const blocked =
      email &&
      (email.state === 'held_provider_blocked' || (email.state === 'delayed' && email.lastReplyCategory === 'provider_block'));
    const since = blocked && email.family ? await this.circuits.blockedSince(this.tx.manager, email.family) : undefined;
    const explanation = explainHold(
      { ...outcome.decision, holdUntil: outcome.holdUntil },
      {
        zone: booking.timeZone,
        lang,
        familyLabel: blocked ? providerLabel(email.recipient) : undefined,
        undeliveredSince: since ? DateTime.fromJSDate(since) : undefined,
      },
    );
    return { reason: outcome.decision.reason, explanation };
  }

  async cancel(id: string, statusToken: string | undefined): Promise<BookingRow> {
    return this.tx.run(async (manager) => {
      const booking = await this.bookings.findById(manager, id, true);
      this.assertHolder(booking, id, statusToken);
      await this.cancelLocked(manager, booking!);
      return (await this.bookings.findById(manager, id))!;
    });
  }

  /**
   * Cancels a booking the caller has locked (the citizen's own cancel, or a clerk's on their
   * behalf): the counter goes back, unsent mail is withdrawn, a confirmed one gets the notice.
   */
  async cancelLocked(manager: EntityManager, booking: BookingRow): Promise<void> {
    const now = this.clock.now();
    const decision = transition(
      {
        status: booking.status,
        holdUntil: DateTime.fromJSDate(booking.holdUntil),
        slotStartsAt: DateTime.fromJSDate(booking.slotStartsAt),
      },
      { type: 'cancel' },
      now,
    );
    if (!decision.ok) {
      throw new DomainError(
        'INVALID_TRANSITION',
        decision.code === 'SLOT_STARTED'
          ? 'The appointment has already started.'
          : `A booking that is ${booking.status} cannot be cancelled.`,
        { status: booking.status, reason: decision.code },
      );
    }
    if (decision.changed && (await this.bookings.markCancelled(manager, booking.id, now.toJSDate()))) {
      await this.bookings.releaseCapacity(manager, booking.slotId);
      await this.outbox.withdrawUnsent(manager, [booking.id]);
      // A confirmed appointment is in the citizen's calendar: its cancellation goes out.
      if (booking.status === 'confirmed') await this.notices.cancelled(manager, booking);
    }
  }

  /**
   * Another time for the same service, at the same or another office: by the citizen (status
   * token) or a clerk on their behalf (with a reason). One transaction: the new place (and the
   * office's counters) is taken before the old one is given back; a confirmed booking stays
   * confirmed, a pending one keeps its hold (never past the new start); the citizen gets the new
   * time, with the calendar entry moved (same UID, higher SEQUENCE). Audited.
   */
  async reschedule(
    id: string,
    slotId: string,
    by: { statusToken: string | undefined } | { actor: Actor; reason: string },
  ): Promise<BookingRow> {
    return this.tx.run(async (manager) => {
      const booking = await this.bookings.findById(manager, id, true);
      if ('statusToken' in by) this.assertHolder(booking, id, by.statusToken);
      else if (!booking) throw new DomainError('BOOKING_NOT_FOUND', 'No booking with this id.');
      const target = await this.bookings.slotFacts(manager, slotId);
      if (!target) throw new DomainError('SLOT_NOT_FOUND', 'No slot with this id.');
      if ('actor' in by && (!actsAt(by.actor, booking!.locationId) || !actsAt(by.actor, target.locationId)))
        throw new DomainError('FORBIDDEN', 'This booking or slot belongs to an office you are not assigned to.');
      const now = this.clock.now();
      const refusal = rescheduleRefusal(
        { ...booking!, slotStartsAt: DateTime.fromJSDate(booking!.slotStartsAt) },
        { ...target, startsAt: DateTime.fromJSDate(target.startsAt) },
        now,
      );
      if (refusal)
        throw new DomainError('RESCHEDULE_NOT_ALLOWED', RESCHEDULE_MESSAGES[refusal], {
          reason: refusal,
          cutoffMinutes: RESCHEDULE_CUTOFF_MINUTES,
        });
      let moved: boolean;
      try {
        moved = await this.bookings.moveToSlot(manager, booking!, slotId, now.toJSDate());
      } catch (err) {
        if (uniqueViolation(err) === 'uq_bookings_active_email_slot')
          throw new DomainError('BOOKING_LIMIT_SLOT', 'This e-mail address already has a booking for this slot.');
        throw err;
      }
      if (!moved) throw new DomainError('SLOT_FULL', 'This slot is fully booked. Please choose another one.', { slotId });
      const after = (await this.bookings.findById(manager, id))!;
      await this.notices.moved(manager, after);
      await this.audit.record(manager, 'actor' in by ? by.actor : { id: null, label: 'citizen' }, {
        action: 'booking.rescheduled',
        bookingId: id,
        reason: 'reason' in by ? by.reason : null,
        before: { slotId: booking!.slotId, startsAt: booking!.slotStartsAt },
        after: { slotId, startsAt: after.slotStartsAt },
      });
      return after;
    });
  }

  /** The active bookings a closure of [from, to) would take the counters from (its dry run). */
  affectedByClosure(
    locationId: string,
    from: Date,
    to: Date,
    manager: EntityManager = this.tx.manager,
    forUpdate = false,
  ): Promise<BookingRow[]> {
    return this.bookings.activeBetween(manager, locationId, from, to, forUpdate);
  }

  countActiveOfService(manager: EntityManager, serviceId: string): Promise<number> {
    return this.bookings.countActiveOfService(manager, serviceId, this.clock.now().toJSDate());
  }

  /**
   * The bookings a change of hours leaves without a counter let go first, in the change's
   * transaction (cancelled, their places and counters given back), so the change applies exactly;
   * each is then moved to a free time (moveForCapacityChange) or told (cancelForCapacityChange).
   */
  async releaseForCapacityChange(manager: EntityManager, affected: BookingRow[]): Promise<void> {
    const now = this.clock.now().toJSDate();
    for (const booking of affected)
      if (await this.bookings.markCancelled(manager, booking.id, now))
        await this.bookings.releaseCapacity(manager, booking.slotId);
  }

  /**
   * A booking a change of hours let go (releaseForCapacityChange), back in its status at another
   * free time in the change's transaction: "Ihr Termin wurde
   * verlegt" with the calendar entry moved; the citizen keeps it, or cancels or chooses another
   * time from the status page. Its new start, or undefined when that time has no place after all
   * (nothing changed).
   */
  async moveForCapacityChange(
    manager: EntityManager,
    booking: BookingRow,
    slotId: string,
    reason: string,
    actor: Actor,
  ): Promise<Date | undefined> {
    if (!(await this.bookings.restoreAtSlot(manager, booking, slotId, this.clock.now().toJSDate()))) return undefined;
    const after = (await this.bookings.findById(manager, booking.id))!;
    await this.notices.moved(manager, after);
    await this.audit.record(manager, actor, {
      action: 'booking.moved_for_capacity_change',
      bookingId: booking.id,
      reason,
      before: { slotId: booking.slotId, startsAt: booking.slotStartsAt },
      after: { slotId, startsAt: after.slotStartsAt },
    });
    return after.slotStartsAt;
  }

  /**
   * Bookings a change of hours or counters leaves without a counter, in the change's transaction:
   * each cancelled with the notice a closure sends (the admin's reason, an apology, a link to book
   * again), audited.
   */
  async cancelForCapacityChange(
    manager: EntityManager,
    affected: BookingRow[],
    reason: string,
    actor: Actor,
    /** Let go already (releaseForCapacityChange): only the notice, the withdrawn mail and the audit. */
    released = false,
  ): Promise<void> {
    await this.cancelWithNotice(manager, affected, reason, actor, 'booking.cancelled_for_capacity_change', released);
  }

  /**
   * A closure's bookings, in the closure's transaction: each cancelled (its place and counters
   * given back, its unsent mail withdrawn), the citizen told why with an apology and a link to
   * book again, audited with the staff member and the reason.
   */
  async cancelForClosure(
    manager: EntityManager,
    closure: { locationId: string; from: Date; to: Date; reason: string },
    actor: Actor,
  ): Promise<BookingRow[]> {
    const affected = await this.bookings.activeBetween(manager, closure.locationId, closure.from, closure.to, true);
    await this.cancelWithNotice(manager, affected, closure.reason, actor, 'booking.cancelled_for_closure');
    return affected;
  }

  private async cancelWithNotice(
    manager: EntityManager,
    affected: BookingRow[],
    reason: string,
    actor: Actor,
    action: string,
    released = false,
  ) {
    const now = this.clock.now().toJSDate();
    for (const booking of affected) {
      if (!released) {
        if (!(await this.bookings.markCancelled(manager, booking.id, now))) continue;
        await this.bookings.releaseCapacity(manager, booking.slotId);
      }
      await this.outbox.withdrawUnsent(manager, [booking.id]);
      await this.notices.closed(manager, booking, reason);
      await this.audit.record(manager, actor, {
        action,
        bookingId: booking.id,
        reason,
        before: { status: booking.status },
        after: { status: 'cancelled' },
      });
    }
  }

  /**
   * Citizen self-service with the status token, for a pending booking: a new confirmation (old
   * links die), another address (unsent mail to the old one withdrawn, the hold recomputed), a
   * phone number (the SMS fallback picks it up). Audited with the citizen as actor.
   */
  async selfService(
    id: string,
    statusToken: string | undefined,
    action: 'resend' | 'change_email' | 'add_phone' | 'new_code',
    value?: string,
  ) {
    await this.tx.run(async (manager) => {
      const booking = await this.bookings.findById(manager, id, true);
      this.assertHolder(booking, id, statusToken);
      const pending = booking!;
      if (pending.status !== 'pending')
        throw new DomainError('INVALID_TRANSITION', `Only a pending booking can be changed; this one is ${pending.status}.`, {
          status: pending.status,
        });
      const now = this.clock.now();
      const before = { email: pending.email, phone: pending.phone };
      switch (action) {
        case 'resend': {
          const recent = await this.outbox.confirmationsQueuedSince(
            manager,
            id,
            now.minus({ minutes: RESEND_INTERVAL_MINUTES }).toJSDate(),
          );
          if (recent > 0)
            throw new DomainError(
              'RESEND_TOO_SOON',
              `A new confirmation can be requested once every ${RESEND_INTERVAL_MINUTES} minutes.`,
            );
          await this.outbox.withdrawUnsent(manager, [id]);
          await this.issuer.issue(manager, pending);
          break;
        }
        case 'change_email': {
          // A typo is fixed at once; after that, one new address every RESEND_INTERVAL_MINUTES, so
          // the endpoint cannot send confirmations to a list of addresses.
          await this.notChangedRecently(manager, id, 'change_email', now, 'The e-mail address');
          const day = DateTime.fromJSDate(pending.slotStartsAt).setZone(pending.timeZone).startOf('day');
          const sameDay = await this.bookings.activeOnDayOfAddress(manager, value!, {
            id,
            locationId: pending.locationId,
            dayStart: day.toJSDate(),
            dayEnd: day.plus({ days: 1 }).toJSDate(),
          });
          if (sameDay >= this.config.maxBookingsPerLocationDay) {
            throw new DomainError(
              'BOOKING_LIMIT_DAY',
              `An e-mail address may hold at most ${this.config.maxBookingsPerLocationDay} bookings per office and day.`,
              { limit: this.config.maxBookingsPerLocationDay },
            );
          }
          await this.outbox.withdrawUnsent(manager, [id]);
          try {
            await this.bookings.setEmail(manager, id, value!);
          } catch (err) {
            if (uniqueViolation(err) === 'uq_bookings_active_email_slot')
              throw new DomainError('BOOKING_LIMIT_SLOT', 'This e-mail address already has a booking for this slot.');
            throw err;
          }
          await this.issuer.issue(manager, (await this.bookings.findById(manager, id))!);
          break;
        }
        case 'new_code': {
          // A new SMS code (and link): the way back for a citizen whose code was locked by wrong tries.
          if (!pending.phone || !this.sms.enabled)
            throw new DomainError('SMS_NOT_POSSIBLE', 'No SMS can be sent for this booking: no phone number, or no SMS gateway.');
          await this.notChangedRecently(manager, id, 'new_code', now, 'A new code');
          await this.sms.send(manager, {
            id,
            reference: pending.reference,
            phone: pending.phone,
            startsAt: pending.slotStartsAt,
            timeZone: pending.timeZone,
          });
          break;
        }
        case 'add_phone': {
          const phone = this.smsNumber(value!);
          // Each new number brings an SMS: one every RESEND_INTERVAL_MINUTES, as for new addresses.
          await this.notChangedRecently(manager, id, 'add_phone', now, 'The phone number');
          await this.bookings.setPhone(manager, id, phone);
          break;
        }
      }
      await this.holds.recompute(manager, [id], now);
      const after = await this.bookings.findById(manager, id);
      await this.audit.record(
        manager,
        { id: null, label: 'citizen' },
        { action: `citizen.${action}`, bookingId: id, before, after: { email: after!.email, phone: after!.phone } },
      );
    });
    return this.getForHolder(id, statusToken);
  }

  /** CHANGE_TOO_SOON when the citizen did `action` on this booking within RESEND_INTERVAL_MINUTES. */
  private async notChangedRecently(
    manager: EntityManager,
    id: string,
    action: 'change_email' | 'add_phone' | 'new_code',
    now: DateTime,
    what: string,
  ): Promise<void> {
    const since = now.minus({ minutes: RESEND_INTERVAL_MINUTES }).toJSDate();
    if ((await this.audit.countSince(manager, `citizen.${action}`, { bookingId: id }, since)) > 0)
      throw new DomainError('CHANGE_TOO_SOON', `${what} can be requested once every ${RESEND_INTERVAL_MINUTES} minutes.`);
  }

  /** The number in E.164, or VALIDATION_FAILED naming the field: not a number, or a country SMS may not go to. */
  private smsNumber(input: string): string {
    const verdict = normalisePhone(input, this.config.smsCountryCodes);
    if (verdict.ok) return verdict.e164;
    const problem =
      verdict.problem === 'country_not_allowed'
        ? `numbers with the country code +${verdict.callingCode} cannot get an SMS from this office`
        : 'this is not a telephone number';
    throw new DomainError('VALIDATION_FAILED', 'Invalid input: phone.', [{ field: 'phone', problems: [problem] }]);
  }

  private assertHolder(booking: BookingRow | undefined, id: string, statusToken: string | undefined): void {
    // Same answer for an unknown id and a wrong token: the endpoint tells nothing without the token.
    if (!statusToken || !booking || !this.secrets.verifyStatusToken(id, booking.statusTokenVersion, statusToken)) {
      throw new DomainError('BOOKING_TOKEN_INVALID', 'Missing or invalid X-Booking-Token for this booking.');
    }
  }
}
