import { SmsEventOutcomeDto } from './sms-events.responses';
import { Body, Controller, HttpCode, Post, Req, UseGuards } from '@nestjs/common';

import { ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { replayKeyOf, signedWebhookGuard } from '../common/webhook-signature';

import { SmsEventsService } from './sms-events.service';

import { SmsEventDto } from './sms-events.dto';

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
  @ApiHeader({ name: 'X-Holdfast-Timestamp', required: true, description: 'unix seconds; at most 5 minutes from our clock' })
  @ApiHeader({
    name: 'X-Holdfast-Signature',
    required: true,
    description: 'sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>">',
  })
  @ApiOkResponse({ type: SmsEventOutcomeDto })
  receive(@Body() dto: SmsEventDto, @Req() req: { headers: Record<string, string | undefined> }) {
    return this.events.applyReport(dto.reference, dto.status, replayKeyOf(req.headers['x-holdfast-signature']));
  }
}
