import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { Clock } from '../common/clock';
import { statusSlot } from '../common/message-secrets';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { familyOfDomain } from '../mail-delivery/provider-families';
import { appointmentIcs } from '../notifications/calendar';
import { renderCancelledMail, renderClosedMail, renderConfirmedMail, renderMovedMail } from '../notifications/confirmation-mail';
import { appointmentMail } from './appointment-mail';
import { OutboxRepository } from '../outbox/outbox.repository';
import { BookingRow } from './bookings.repository';

/**
 * The mails after a booking changed: "bestätigt" with the calendar entry, "abgesagt" with its
 * cancellation. Queued in the caller's transaction, through the outbox like every mail (the same
 * delivery tracking); they do not hold anything.
 */
@Injectable()
export class BookingNotices {
  constructor(
    private readonly outbox: OutboxRepository,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** The calendar entry of a booking: one UID per booking; `sequence` rises with each change. */
  calendar(booking: BookingRow, method: 'REQUEST' | 'CANCEL'): string {
    return appointmentIcs({
      uid: `${booking.id}@${this.config.bounceDomain}`,
      sequence: booking.icsSequence + (method === 'REQUEST' ? 0 : 1),
      method,
      start: booking.slotStartsAt,
      end: booking.slotEndsAt,
      title: `${booking.locationName}: ${booking.serviceName}`,
      location: `${booking.locationName}, ${booking.locationAddress}`,
      description: `Buchungsnummer ${booking.reference}`,
    });
  }

  async confirmed(manager: EntityManager, booking: BookingRow): Promise<void> {
    const mail = renderConfirmedMail(appointmentMail(booking, this.config.publicBaseUrl));
    await this.queue(manager, booking, 'booking_confirmed', mail, this.calendar(booking, 'REQUEST'), 'REQUEST');
  }

  async cancelled(manager: EntityManager, booking: BookingRow): Promise<void> {
    const mail = renderCancelledMail(appointmentMail(booking, this.config.publicBaseUrl));
    await this.queue(manager, booking, 'booking_cancelled', mail, this.calendar(booking, 'CANCEL'), 'CANCEL');
  }

  /** The appointment moved: the new time; a confirmed one with its calendar entry moved (same UID, the raised SEQUENCE). */
  async moved(manager: EntityManager, booking: BookingRow): Promise<void> {
    const confirmed = booking.status === 'confirmed';
    const mail = renderMovedMail({ ...appointmentMail(booking, this.config.publicBaseUrl), confirmed });
    await this.queue(
      manager,
      booking,
      'booking_moved',
      mail,
      confirmed ? this.calendar(booking, 'REQUEST') : undefined,
      'REQUEST',
    );
  }

  /** The office closed at the booking's time: an apology, the reason, a link to book again, the entry's cancellation. */
  async closed(manager: EntityManager, booking: BookingRow, reason: string): Promise<void> {
    const mail = renderClosedMail({
      ...appointmentMail(booking, this.config.publicBaseUrl),
      reason,
      bookAgainUrl: `${this.config.publicBaseUrl}/termine?locationId=${booking.locationId}&serviceId=${booking.serviceId}${booking.lang === 'en' ? '&lang=en' : ''}`,
    });
    await this.queue(manager, booking, 'booking_closed', mail, this.calendar(booking, 'CANCEL'), 'CANCEL');
  }

  private async queue(
    manager: EntityManager,
    booking: BookingRow,
    kind: string,
    mail: { subject: string; text: string; html: string },
    ics: string | undefined,
    method: 'REQUEST' | 'CANCEL',
  ): Promise<void> {
    // A walk-in came to the desk and left no address: nothing to tell by mail.
    if (booking.walkIn) return;
    await this.outbox.enqueue(manager, {
      id: randomUUID(),
      bookingId: booking.id,
      kind,
      channel: 'email',
      recipient: booking.email,
      payload: {
        to: booking.email,
        ...mail,
        ...(ics
          ? {
              attachments: [
                { filename: 'termin.ics', content: ics, contentType: `text/calendar; charset=utf-8; method=${method}` },
              ],
            }
          : {}),
        secrets: { status: statusSlot(booking.id, booking.statusTokenVersion) },
      },
      family: familyOfDomain(booking.email, this.config.providerFamilyOverrides) ?? null,
      now: this.clock.now().toJSDate(),
    });
  }
}
