import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { hmacToken, safeEqual } from '../common/ids';
import { SecretsService } from '../common/secrets.service';
import { WorkerLoop } from '../common/worker-loop';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { TransactionRunner } from '../database/transaction-runner';
import { AltchaRepository } from './altcha.repository';
import type * as Altcha from 'altcha-lib/dist/cjs/v2/index';
import type * as Pbkdf2 from 'altcha-lib/dist/cjs/v2/algorithms/pbkdf2';

// altcha-lib publishes its CommonJS build through package exports only (which this TypeScript setup does not read).

const altcha = require('altcha-lib') as typeof Altcha;

const { deriveKey } = require('altcha-lib/algorithms/pbkdf2') as typeof Pbkdf2;

const ALGORITHM = 'PBKDF2/SHA-256';
const VALID_MINUTES = 10;
const HOUSEKEEPING_MS = 3_600_000;
/** Without JavaScript the form asks for this wait instead of the proof of work. */
export const NO_SCRIPT_WAIT_SECONDS = 5;

export type AltchaVerdict = 'verified' | 'missing' | 'invalid' | 'expired' | 'used' | 'too_early';

/**
 * ALTCHA's proof of work, on our own server (no third party): a challenge signed with the
 * installation's key, valid ten minutes; a solution is checked by its signature (deterministic
 * mode: no key derivation on the server) and accepted once, on any instance.
 */
@Injectable()
export class AltchaService implements OnApplicationBootstrap, OnModuleDestroy {
  private housekeeping?: WorkerLoop;

  constructor(
    private readonly secrets: SecretsService,
    private readonly tx: TransactionRunner,
    private readonly solutions: AltchaRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.workersEnabled) return;
    this.housekeeping = new WorkerLoop(
      'AltchaSolutions',
      () => this.solutions.deleteExpired(this.tx.manager).then(() => undefined),
      { intervalMs: HOUSEKEEPING_MS, failure: 'ALTCHA cleanup failed' },
    );
    this.housekeeping.start(0);
  }

  async onModuleDestroy(): Promise<void> {
    await this.housekeeping?.stop();
  }

  /** A fresh challenge for the widget (or an API client). */
  challenge(): Promise<unknown> {
    const { cost, maxTries } = this.config.altcha;
    return altcha.createChallenge({
      algorithm: ALGORITHM,
      cost,
      counter: altcha.randomInt(maxTries, Math.ceil(maxTries / 2)),
      deriveKey,
      // altcha-lib checks the expiry against the machine's clock, not an injected one.
      expiresAt: new Date(Date.now() + VALID_MINUTES * 60_000),
      hmacSignatureSecret: this.secrets.altchaKey('challenge'),
      hmacKeySignatureSecret: this.secrets.altchaKey('derived-key'),
    });
  }

  /**
   * For a browser without JavaScript: a signed ticket of the moment the form came back. Sent
   * again after NO_SCRIPT_WAIT_SECONDS (and within ten minutes) it stands in for the proof of
   * work, once: time instead of CPU, and the per-IP limits on top.
   */
  waitTicket(): string {
    const at = String(Date.now());
    return `${at}.${hmacToken(this.secrets.altchaKey('wait'), 'wait', at)}`;
  }

  async verifyWaitTicket(ticket: unknown): Promise<AltchaVerdict> {
    if (typeof ticket !== 'string' || ticket === '') return 'missing';
    const [at, signature] = ticket.split('.');
    if (!/^\d{13}$/.test(at ?? '') || !signature || !safeEqual(hmacToken(this.secrets.altchaKey('wait'), 'wait', at), signature))
      return 'invalid';
    const age = Date.now() - Number(at);
    if (age < NO_SCRIPT_WAIT_SECONDS * 1000) return 'too_early';
    if (age > VALID_MINUTES * 60_000) return 'expired';
    const expiresAt = new Date(Number(at) + VALID_MINUTES * 60_000);
    return (await this.solutions.useOnce(this.tx.manager, `wait:${signature}`.slice(0, 128), expiresAt)) ? 'verified' : 'used';
  }

  /** Checks the widget's payload (base64 JSON of challenge and solution) and uses it up. */
  async verify(payload: unknown): Promise<AltchaVerdict> {
    if (typeof payload !== 'string' || payload === '') return 'missing';
    let parsed: { challenge?: Altcha.Challenge; solution?: Altcha.Solution };
    try {
      if (payload.length > 4096) return 'invalid';
      parsed = JSON.parse(Buffer.from(payload, 'base64').toString('utf8'));
    } catch {
      return 'invalid';
    }
    if (!parsed || typeof parsed !== 'object' || !parsed.challenge || !parsed.solution) return 'invalid';
    const result = await altcha
      .verifySolution({
        challenge: parsed.challenge,
        solution: parsed.solution,
        deriveKey,
        hmacSignatureSecret: this.secrets.altchaKey('challenge'),
        hmacKeySignatureSecret: this.secrets.altchaKey('derived-key'),
      })
      .catch(() => undefined);
    if (!result) return 'invalid';
    if (result.expired) return 'expired';
    if (!result.verified) return 'invalid';
    const signature = String(parsed.challenge.signature ?? '');
    const expiresAt = new Date(Date.now() + VALID_MINUTES * 60_000);
    return (await this.solutions.useOnce(this.tx.manager, signature.slice(0, 128), expiresAt)) ? 'verified' : 'used';
  }
}
