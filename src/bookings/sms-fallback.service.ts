import { Inject, Injectable, Logger } from '@nestjs/common';
import { DateTime } from 'luxon';
import { randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { Clock } from '../common/clock';
import { sha256 } from '../common/ids';
import { placeholder, secretSlot } from '../common/message-secrets';
import { SecretsService } from '../common/secrets.service';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { OutboxRepository } from '../outbox/outbox.repository';
import { BookingsRepository } from './bookings.repository';

export const SMS_FAMILY = 'sms-gateway';

export function codeHash(bookingId: string, code: string): Buffer {
  return sha256(`confirmation-code:${bookingId}:${code}`);
}

/**
 * When the confirmation mail is held, delayed, bounced or failed, or sits in our relay's queue
 * longer than the delivery side says is normal without the report it was asked for, and the citizen gave a phone number, an SMS
 * with a short code and a link goes out (once per booking, until they ask again).
 */
@Injectable()
export class SmsFallbackService {
  private readonly logger = new Logger('SmsFallback');

  constructor(
    private readonly outbox: OutboxRepository,
    private readonly bookings: BookingsRepository,
    private readonly secrets: SecretsService,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  get enabled(): boolean {
    return !!this.config.smsGatewayUrl;
  }

  /** Finds bookings that need the SMS now and queues it; one set-based look, then one SMS each. */
  /** `inTransitStuckAfterMinutes`: the delivery side's word on when silence from our relay means trouble (null: never). */
  async enqueueDue(manager: EntityManager, inTransitStuckAfterMinutes: number | null, limit = 100): Promise<number> {
    if (!this.enabled) return 0;
    const due = await this.outbox.bookingsAwaitingSms(manager, {
      now: this.clock.now().toJSDate(),
      limit,
      inTransitStuckAfterMinutes,
    });
    if (due.length === 0) return 0;
    for (const booking of await this.bookings.findByIds(
      manager,
      due.map((d) => d.id),
    )) {
      await this.send(manager, {
        id: booking.id,
        reference: booking.reference,
        phone: booking.phone!,
        startsAt: booking.slotStartsAt,
        timeZone: booking.timeZone,
      });
    }
    if (due.length) this.logger.log(`${due.length} confirmations sent by SMS because the mail could not be delivered`);
    return due.length;
  }

  async send(
    manager: EntityManager,
    booking: { id: string; reference: string; phone: string; startsAt: Date; timeZone: string },
  ): Promise<void> {
    const now = this.clock.now().toJSDate();
    // Code and link are derived at send time from these slots; the stored SMS holds placeholders.
    const codeSlot = secretSlot('code');
    await this.bookings.setCode(manager, booking.id, codeHash(booking.id, this.secrets.messageSecret(codeSlot)), now);
    // A link of its own (the mail's token is only stored as a hash): both stay valid.
    const linkSlot = secretSlot('token');
    await this.bookings.insertToken(manager, booking.id, sha256(this.secrets.messageSecret(linkSlot)), now);
    const when = DateTime.fromJSDate(new Date(booking.startsAt)).setZone(booking.timeZone).toFormat('dd.MM. HH:mm');
    const text = `Buergeramt: Termin ${when} Uhr (${booking.reference}). Bitte bestaetigen: ${this.config.publicBaseUrl}/confirm?token=${placeholder('confirm')} oder Code ${placeholder('code')} auf der Statusseite.`;
    await this.outbox.enqueue(manager, {
      id: randomUUID(),
      bookingId: booking.id,
      kind: 'sms_confirmation',
      channel: 'sms',
      recipient: booking.phone,
      payload: { to: booking.phone, subject: 'SMS', text, secrets: { confirm: linkSlot, code: codeSlot } },
      family: SMS_FAMILY,
      now,
    });
  }
}
