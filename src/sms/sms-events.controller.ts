import { Body, Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import { ApiHeader, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { IsIn, Matches } from 'class-validator';
import { HoldService } from '../bookings/hold.service';
import { Clock } from '../common/clock';
import { sql } from '../database/sql';
import { TransactionRunner } from '../database/transaction-runner';
import { signedWebhookGuard } from '../mail-delivery/mail-events.controller';
import { ReportTooEarly } from '../mail-delivery/delivery-reports.service';

export class SmsEventDto {
  @ApiProperty({ description: 'The `reference` we sent with the SMS (our message id)', format: 'uuid' })
  @Matches(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i)
  reference: string;
  @ApiProperty({ enum: ['delivered', 'failed'] }) @IsIn(['delivered', 'failed']) status: 'delivered' | 'failed';
}

export const SmsWebhookGuard = signedWebhookGuard((c) => c.smsWebhookSecret);

/** Delivery reports of the SMS gateway (signed like the mail webhook, with SMS_WEBHOOK_SECRET). */
@ApiTags('sms')
@Controller('api/v1/sms/events')
@UseGuards(SmsWebhookGuard)
export class SmsEventsController {
  constructor(
    private readonly tx: TransactionRunner,
    private readonly holds: HoldService,
    private readonly clock: Clock,
  ) {}

  @Post()
  @HttpCode(200)
  @ApiOperation({ summary: 'An SMS was delivered to the handset (the confirmation window starts) or failed' })
  @ApiHeader({ name: 'X-Holdfast-Signature', required: true, description: 'sha256=<hex HMAC-SHA256 of the raw body>' })
  async receive(@Body() dto: SmsEventDto) {
    const now = this.clock.now();
    return this.tx.run(async (m) => {
      const current = await sql<{ state: string }>(
        m,
        `SELECT state FROM outbox_messages WHERE id = $1 AND channel = 'sms' FOR UPDATE`,
        [dto.reference],
      );
      if (current[0]?.state === 'sending') throw new ReportTooEarly(dto.reference);
      const rows = await sql<{ bookingId: string | null; state: string }>(
        m,
        `UPDATE outbox_messages
            SET delivered_at = CASE WHEN $2 = 'delivered' THEN $3::timestamptz ELSE delivered_at END,
                state = CASE WHEN $2 = 'failed' THEN 'failed' ELSE state END,
                failed_at = CASE WHEN $2 = 'failed' THEN $3::timestamptz ELSE failed_at END
          WHERE id = $1 AND channel = 'sms' AND state = 'accepted'
         RETURNING booking_id AS "bookingId", state`,
        [dto.reference, dto.status, now.toJSDate()],
      );
      const known =
        (await sql(m, `SELECT 1 FROM outbox_messages WHERE id = $1 AND channel = 'sms'`, [dto.reference])).length === 1;
      await sql(
        m,
        `INSERT INTO delivery_events (message_id, at, source, kind, state_after, unmatched_reason) VALUES ($1, $2, 'webhook', $3, $4, $5)`,
        [known ? dto.reference : null, now.toJSDate(), `sms_${dto.status}`, rows[0]?.state ?? null, known ? null : 'unknown_sms'],
      );
      if (rows[0]?.bookingId) await this.holds.recompute(m, [rows[0].bookingId], now);
      return { matched: rows.length === 1 };
    });
  }
}
