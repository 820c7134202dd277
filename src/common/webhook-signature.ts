import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { createHash, createHmac } from 'node:crypto';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { Clock } from './clock';
import { DomainError } from './domain-error';
import { safeEqual } from './ids';

/** How far a webhook's timestamp may be from our clock: a captured request is worthless after this. */
export const WEBHOOK_TOLERANCE_SECONDS = 300;

/**
 * Checks `X-Holdfast-Timestamp: <unix seconds>` and `X-Holdfast-Signature: sha256=<hex
 * HMAC-SHA256 of "<timestamp>.<raw body>">` before the body is parsed or validated, so an unsigned,
 * altered or stale request records nothing. The signature also names the request: the service
 * applies one request once (`replayKeyOf`). One guard per secret.
 */
export function signedWebhookGuard(secretOf: (config: AppConfig) => string | undefined) {
  @Injectable()
  class SignedWebhookGuard implements CanActivate {
    constructor(
      @Inject(APP_CONFIG) readonly config: AppConfig,
      readonly clock: Clock,
    ) {}

    canActivate(context: ExecutionContext): boolean {
      const req = context.switchToHttp().getRequest<{ rawBody?: Buffer; headers: Record<string, string | undefined> }>();
      const verdict = verifyWebhookSignature(secretOf(this.config), req.rawBody, {
        signature: req.headers['x-holdfast-signature'],
        timestamp: req.headers['x-holdfast-timestamp'],
        nowSeconds: Math.floor(this.clock.now().toSeconds()),
      });
      if (verdict === 'stale')
        throw new DomainError(
          'WEBHOOK_SIGNATURE_INVALID',
          `X-Holdfast-Timestamp is more than ${WEBHOOK_TOLERANCE_SECONDS} seconds from our clock; nothing was recorded.`,
        );
      if (verdict !== 'ok')
        throw new DomainError(
          'WEBHOOK_SIGNATURE_INVALID',
          'Missing or wrong X-Holdfast-Signature or X-Holdfast-Timestamp; nothing was recorded.',
        );
      return true;
    }
  }
  return SignedWebhookGuard;
}

/** The signature a sender puts in X-Holdfast-Signature for this timestamp and body. */
export function webhookSignature(secret: string, timestamp: string | number, rawBody: Buffer | string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest('hex')}`;
}

/** Checked before the body is parsed or validated: an unsigned or stale request records nothing. */
export function verifyWebhookSignature(
  secret: string | undefined,
  rawBody: Buffer | undefined,
  headers: { signature?: string; timestamp?: string; nowSeconds: number },
): 'ok' | 'invalid' | 'stale' {
  const { signature, timestamp, nowSeconds } = headers;
  if (!secret || !rawBody || !signature || !timestamp || !/^\d{1,12}$/.test(timestamp.trim())) return 'invalid';
  if (!safeEqual(webhookSignature(secret, timestamp.trim(), rawBody), signature.trim().toLowerCase())) return 'invalid';
  return Math.abs(nowSeconds - Number(timestamp.trim())) > WEBHOOK_TOLERANCE_SECONDS ? 'stale' : 'ok';
}

/** What names one signed request: the same request sent again has the same key. */
export function replayKeyOf(signatureHeader: string | undefined): Buffer {
  return createHash('sha256')
    .update((signatureHeader ?? '').trim().toLowerCase())
    .digest();
}
