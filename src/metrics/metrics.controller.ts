import { Controller, Get, Headers, Inject, Res } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiForbiddenResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { timingSafeEqual } from 'node:crypto';
import { DomainError } from '../common/domain-error';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { MetricsService } from './metrics.service';

@ApiTags('monitoring')
@Controller('metrics')
export class MetricsController {
  constructor(
    private readonly metrics: MetricsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get()
  @ApiBearerAuth()
  @ApiProduces('text/plain')
  @ApiOperation({
    summary:
      'Prometheus metrics (text exposition format). With METRICS_TOKEN: `Authorization: Bearer <METRICS_TOKEN>`; production without METRICS_TOKEN: 403',
  })
  @ApiOkResponse({
    description: 'Prometheus text exposition format 0.0.4',
    content: {
      'text/plain': {
        schema: { type: 'string', example: 'holdfast_outbox_messages{family="united-internet",state="queued"} 3' },
      },
    },
  })
  @ApiUnauthorizedResponse({ description: 'UNAUTHENTICATED: METRICS_TOKEN is set and the bearer token is not it' })
  @ApiForbiddenResponse({ description: 'FORBIDDEN: production without METRICS_TOKEN' })
  async scrape(@Headers('authorization') authorization: string | undefined, @Res({ passthrough: true }) reply: FastifyReply) {
    this.authorize(authorization);
    const text = await this.metrics.render();
    reply.header('content-type', this.metrics.contentType).header('cache-control', 'no-store');
    return text;
  }

  private authorize(authorization: string | undefined): void {
    const token = this.config.metricsToken;
    if (!token) {
      if (this.config.production)
        throw new DomainError('FORBIDDEN', 'METRICS_TOKEN is not set: production serves /metrics only with a token.');
      return;
    }
    const given = /^Bearer (.+)$/.exec(authorization ?? '')?.[1] ?? '';
    const a = Buffer.from(given);
    const b = Buffer.from(token);
    if (a.length !== b.length || !timingSafeEqual(a, b))
      throw new DomainError('UNAUTHENTICATED', 'GET /metrics wants `Authorization: Bearer <METRICS_TOKEN>`.');
  }
}
