import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { sqlOne } from '../database/sql';
import { TransactionRunner } from '../database/transaction-runner';
import { hmacToken, safeEqual } from './ids';

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
  ) {}

  async onModuleInit(): Promise<void> {
    if (this.config.appSecret) {
      this.secret = this.config.appSecret;
      return;
    }
    await this.tx.manager.query(`INSERT INTO installation (id, secret) VALUES (1, $1) ON CONFLICT (id) DO NOTHING`, [
      randomBytes(32).toString('base64url'),
    ]);
    const row = await sqlOne<{ secret: string }>(this.tx.manager, `SELECT secret FROM installation WHERE id = 1`);
    this.secret = row!.secret;
  }

  /** The key that signs VERP bounce addresses, derived so it never equals another key. */
  verpKey(): string {
    return hmacToken(this.secret, 'verp', 'v1');
  }

  statusToken(bookingId: string, version: number): string {
    return hmacToken(this.secret, `booking-status:v${version}`, bookingId);
  }

  verifyStatusToken(bookingId: string, version: number, token: string): boolean {
    return safeEqual(this.statusToken(bookingId, version), token);
  }
}
