import { Inject, Injectable, Logger } from '@nestjs/common';
import { DateTime } from 'luxon';
import { randomInt, randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { Clock } from '../common/clock';
import { newSecretToken, sha256 } from '../common/ids';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { sql } from '../database/sql';
import { OutboxRepository } from '../notifications/outbox.repository';

export const SMS_FAMILY = 'sms-gateway';

export function codeHash(bookingId: string, code: string): Buffer {
  return sha256(`confirmation-code:${bookingId}:${code}`);
}

/**
 * When the confirmation mail is held, delayed, bounced or failed and the citizen gave a phone
 * number, an SMS with a short code and a link goes out (once per booking, until they ask again).
 */
@Injectable()
export class SmsFallbackService {
  private readonly logger = new Logger('SmsFallback');

  constructor(
    private readonly outbox: OutboxRepository,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  get enabled(): boolean {
    return !!this.config.smsGatewayUrl;
  }

  /** Finds bookings that need the SMS now and queues it; one set-based look, then one SMS each. */
  async enqueueDue(m: EntityManager, limit = 100): Promise<number> {
    if (!this.config.smsGatewayUrl) return 0;
    const due = await sql<any>(
      m,
      `SELECT b.id, b.reference, b.phone, s.starts_at AS "startsAt", l.time_zone AS "timeZone"
         FROM bookings b JOIN slots s ON s.id = b.slot_id JOIN locations l ON l.id = b.location_id
        WHERE b.status = 'pending' AND b.phone IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM outbox_messages o WHERE o.booking_id = b.id AND o.channel = 'sms' AND o.state <> 'cancelled')
          AND EXISTS (SELECT 1 FROM outbox_messages o WHERE o.booking_id = b.id AND o.channel = 'email' AND o.kind = 'booking_confirmation'
                        AND lower(o.recipient) = lower(b.email) AND o.state IN ('held_provider_blocked', 'delayed', 'bounced', 'failed'))
          AND NOT EXISTS (SELECT 1 FROM outbox_messages o WHERE o.booking_id = b.id AND o.channel = 'email' AND o.kind = 'booking_confirmation'
                        AND lower(o.recipient) = lower(b.email) AND o.state = 'accepted')
        LIMIT $1 FOR UPDATE OF b SKIP LOCKED`,
      [limit],
    );
    for (const b of due) await this.send(m, b);
    if (due.length) this.logger.log(`${due.length} confirmations sent by SMS because the mail could not be delivered`);
    return due.length;
  }

  async send(
    m: EntityManager,
    b: { id: string; reference: string; phone: string; startsAt: Date; timeZone: string },
  ): Promise<void> {
    const now = this.clock.now().toJSDate();
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    await sql(
      m,
      `INSERT INTO confirmation_codes (booking_id, code_hash, failed_attempts, locked_at, created_at) VALUES ($1, $2, 0, NULL, $3)
       ON CONFLICT (booking_id) DO UPDATE SET code_hash = EXCLUDED.code_hash, failed_attempts = 0, locked_at = NULL, created_at = EXCLUDED.created_at`,
      [b.id, codeHash(b.id, code), now],
    );
    // A link of its own (the mail's token is only stored as a hash): both stay valid.
    const token = newSecretToken();
    await sql(m, `INSERT INTO confirmation_tokens (booking_id, token_hash, created_at) VALUES ($1, $2, $3)`, [
      b.id,
      sha256(token),
      now,
    ]);
    const when = DateTime.fromJSDate(new Date(b.startsAt)).setZone(b.timeZone).toFormat('dd.MM. HH:mm');
    const text = `Buergeramt: Termin ${when} Uhr (${b.reference}). Bitte bestaetigen: ${this.config.publicBaseUrl}/confirm?token=${token} oder Code ${code} auf der Statusseite.`;
    await this.outbox.enqueue(m, {
      id: randomUUID(),
      bookingId: b.id,
      kind: 'sms_confirmation',
      channel: 'sms',
      recipient: b.phone,
      payload: { to: b.phone, subject: 'SMS', text },
      family: SMS_FAMILY,
      now,
    });
  }
}
