import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { createHmac } from 'node:crypto';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { DomainError } from './domain-error';
import { safeEqual } from './ids';

/**
 * Checks `X-Holdfast-Signature: sha256=<hex HMAC-SHA256 of the raw body>` before the body is
 * parsed or validated, so an unsigned request records nothing. One guard per secret.
 */
export function signedWebhookGuard(secretOf: (config: AppConfig) => string | undefined) {
  @Injectable()
  class SignedWebhookGuard implements CanActivate {
    constructor(@Inject(APP_CONFIG) readonly config: AppConfig) {}

    canActivate(context: ExecutionContext): boolean {
      const req = context.switchToHttp().getRequest<{ rawBody?: Buffer; headers: Record<string, string | undefined> }>();
      if (!verifyWebhookSignature(secretOf(this.config), req.rawBody, req.headers['x-holdfast-signature'])) {
        throw new DomainError('WEBHOOK_SIGNATURE_INVALID', 'Missing or wrong X-Holdfast-Signature; nothing was recorded.');
      }
      return true;
    }
  }
  return SignedWebhookGuard;
}

/** Checked before the body is parsed or validated: an unsigned request records nothing. */
export function verifyWebhookSignature(
  secret: string | undefined,
  rawBody: Buffer | undefined,
  header: string | undefined,
): boolean {
  if (!secret || !rawBody || !header) return false;
  const expected = `sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`;
  return safeEqual(expected, header.trim().toLowerCase());
}
