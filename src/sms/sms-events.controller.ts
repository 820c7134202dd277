import { Body, Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import { ApiHeader, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { IsIn, Matches } from 'class-validator';
import { signedWebhookGuard } from '../common/webhook-signature';
import { SmsEventsService } from './sms-events.service';

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
  constructor(private readonly events: SmsEventsService) {}

  @Post()
  @HttpCode(200)
  @ApiOperation({ summary: 'An SMS was delivered to the handset (the confirmation window starts) or failed' })
  @ApiHeader({ name: 'X-Holdfast-Signature', required: true, description: 'sha256=<hex HMAC-SHA256 of the raw body>' })
  receive(@Body() dto: SmsEventDto) {
    return this.events.apply(dto.reference, dto.status);
  }
}
