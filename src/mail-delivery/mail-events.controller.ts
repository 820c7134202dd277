import { MailEventOutcomeDto } from './providers.responses';
import { Body, Controller, HttpCode, Inject, Post, Req, UseGuards } from '@nestjs/common';

import { ApiHeader, ApiOkResponse, ApiOperation, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { DomainError } from '../common/domain-error';

import { APP_CONFIG, AppConfig } from '../config/app-config';

import { replayKeyOf, signedWebhookGuard } from '../common/webhook-signature';

import { DeliveryReportsService } from './delivery-reports.service';

import { smtpReplyFromDiagnostic } from './dsn-parser';

import { MailEventDto } from './mail-events.dto';

export const WebhookSignatureGuard = signedWebhookGuard((c) => c.mailWebhookSecret);

@ApiTags('mail')
@Controller('api/v1/mail/events')
@UseGuards(WebhookSignatureGuard)
export class MailEventsController {
  constructor(
    private readonly reports: DeliveryReportsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Post()
  @HttpCode(200)
  @ApiOperation({ summary: 'A delivery event for one of our messages (signed webhook)' })
  @ApiHeader({ name: 'X-Holdfast-Timestamp', required: true, description: 'unix seconds; at most 5 minutes from our clock' })
  @ApiHeader({
    name: 'X-Holdfast-Signature',
    required: true,
    description: 'sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>">',
  })
  @ApiOkResponse({ type: MailEventOutcomeDto })
  @ApiUnauthorizedResponse({ description: 'WEBHOOK_SIGNATURE_INVALID: nothing was recorded' })
  async receive(@Body() dto: MailEventDto, @Req() req: { rawBody?: Buffer; headers: Record<string, string | undefined> }) {
    if (!dto.id && !dto.messageId)
      throw new DomainError('VALIDATION_FAILED', 'Give `id` or `messageId`.', [
        { field: 'id', problems: ['id or messageId is required'] },
      ]);
    const action =
      dto.event === 'bounced' || dto.event === 'failed' ? 'failed' : dto.event === 'deferred' ? 'delayed' : dto.event;
    const status =
      dto.status ??
      (dto.event === 'bounced'
        ? '5.0.0'
        : dto.event === 'deferred' || dto.event === 'delayed'
          ? '4.0.0'
          : dto.event === 'delivered'
            ? '2.0.0'
            : undefined);
    const outcome = await this.reports.applyReport({
      source: 'webhook',
      messageRef: { outboxId: dto.id, messageIdHeader: dto.messageId },
      action,
      status,
      reply: dto.diagnostic ? smtpReplyFromDiagnostic(dto.diagnostic, status ?? '', { remoteHost: dto.remoteMta }) : undefined,
      remoteMta: dto.remoteMta,
      recipient: dto.recipient,
      raw: req.rawBody?.toString('utf8'),
      replayKey: replayKeyOf(req.headers['x-holdfast-signature']),
    });
    if (outcome.duplicate) return { matched: false, state: null, duplicate: true };
    return { matched: outcome.matched, state: outcome.stateAfter ?? null };
  }
}
