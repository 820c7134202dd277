import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { createHmac, randomBytes } from 'node:crypto';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { InstallationRepository } from '../database/installation.repository';
import { TransactionRunner } from '../database/transaction-runner';
import { hmacToken, safeEqual } from './ids';
import type { SecretSlot } from './message-secrets';

/**
 * The installation's secret for derived tokens (status tokens). APP_SECRET when given;
 * otherwise one generated on first start and kept in the database, so every instance of
 * one installation shares it without extra configuration.
 */
@Injectable()
export class SecretsService implements OnModuleInit {
  private secret = '';

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly tx: TransactionRunner,
    private readonly installation: InstallationRepository,
  ) {}

  async onModuleInit(): Promise<void> {
    if (this.config.appSecret) {
      this.secret = this.config.appSecret;
      return;
    }
    this.secret = await this.installation.secret(this.tx.manager, randomBytes(32).toString('base64url'));
  }

  /** The key that signs VERP bounce addresses, derived so it never equals another key. */
  /** The keys of the booking form's bot check (`purpose`: the challenge, its derived key, the no-JavaScript wait). */
  altchaKey(purpose: 'challenge' | 'derived-key' | 'wait'): string {
    return hmacToken(this.secret, 'altcha', purpose);
  }

  /**
   * What the audit log keeps instead of an e-mail address or phone number: a keyed hash (the same
   * address always gives the same one, so an address's entries can be found for its data export;
   * without the installation's secret it cannot be turned back or guessed by trying addresses).
   */
  personalHash(value: string): string {
    return `hmac:${hmacToken(this.secret, 'audit-personal:v1', value.trim().toLowerCase()).slice(0, 32)}`;
  }

  verpKey(): string {
    return hmacToken(this.secret, 'verp', 'v1');
  }

  /**
   * The secret a queued message's slot stands for: a link token (43 characters, as random ones)
   * or a 6-digit SMS code, derived from the slot's nonce. The same at issue (its hash is stored)
   * and at send time (it goes into the message); never stored itself.
   */
  messageSecret(slot: SecretSlot): string {
    if (slot.kind === 'token') return hmacToken(this.secret, 'message-token:v1', slot.nonce);
    if (slot.kind === 'status') {
      const [bookingId, version] = slot.nonce.split(':');
      return this.statusToken(bookingId, Number(version));
    }
    const digest = createHmac('sha256', this.secret).update(`message-code:v1:${slot.nonce}`).digest();
    return String(digest.readUIntBE(0, 6) % 1_000_000).padStart(6, '0');
  }

  statusToken(bookingId: string, version: number): string {
    return hmacToken(this.secret, `booking-status:v${version}`, bookingId);
  }

  verifyStatusToken(bookingId: string, version: number, token: string): boolean {
    return safeEqual(this.statusToken(bookingId, version), token);
  }
}
