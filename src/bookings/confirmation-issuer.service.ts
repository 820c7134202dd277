import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { Clock } from '../common/clock';
import { sha256 } from '../common/ids';
import { placeholder, secretSlot, statusSlot } from '../common/message-secrets';
import { SecretsService } from '../common/secrets.service';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { familyOfDomain } from '../mail-delivery/provider-families';
import { renderConfirmationMail } from '../notifications/confirmation-mail';
import { OutboxRepository } from '../outbox/outbox.repository';
import { appointmentMail } from './appointment-mail';
import { BookingRow, BookingsRepository } from './bookings.repository';

/**
 * A fresh confirmation for a booking (reinstated, resent, new address): earlier links die, a new
 * token is stored (hash only) and the mail is queued in the same transaction.
 */
@Injectable()
export class ConfirmationIssuer {
  constructor(
    private readonly outbox: OutboxRepository,
    private readonly bookings: BookingsRepository,
    private readonly secrets: SecretsService,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async issue(manager: EntityManager, booking: BookingRow, opts: { preface?: string } = {}): Promise<{ messageId: string }> {
    const now = this.clock.now().toJSDate();
    await this.bookings.revokeConfirmations(manager, booking.id, now);
    // Derived at send time from this slot; the stored mail holds a placeholder (common/message-secrets.ts).
    const slot = secretSlot('token');
    await this.bookings.insertToken(manager, booking.id, sha256(this.secrets.messageSecret(slot)), now);
    const mail = renderConfirmationMail({
      ...appointmentMail(booking, this.config.publicBaseUrl),
      holdUntil: booking.holdUntil,
      confirmUrl: `${this.config.publicBaseUrl}/confirm?token=${placeholder('confirm')}`,
    });
    const text = opts.preface ? `${opts.preface}\n\n${mail.text}` : mail.text;
    const id = randomUUID();
    await this.outbox.enqueue(manager, {
      id,
      bookingId: booking.id,
      kind: 'booking_confirmation',
      channel: 'email',
      recipient: booking.email,
      payload: {
        to: booking.email,
        ...mail,
        text,
        secrets: { confirm: slot, status: statusSlot(booking.id, booking.statusTokenVersion) },
      },
      family: familyOfDomain(booking.email, this.config.providerFamilyOverrides) ?? null,
      now,
    });
    return { messageId: id };
  }
}
