import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { WorkerLoop } from '../common/worker-loop';
import { EntityManager } from 'typeorm';
import { Clock } from '../common/clock';
import { DomainError } from '../common/domain-error';
import { newSecretToken, sha256 } from '../common/ids';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { TransactionRunner, uniqueViolation } from '../database/transaction-runner';
import { Actor, AuditService } from '../audit/audit.service';
import { DUMMY_HASH_PROMISE, hashPassword, verifyPassword } from './passwords';
import type { StaffRole } from './roles';
import { burstCutoff, endedBurst, loginGate } from './login-throttle';
import { LoginFailures, StaffPrincipal, StaffRepository } from './staff.repository';

export type { StaffPrincipal };

const HOUSEKEEPING_MS = 60 * 60 * 1000;

@Injectable()
export class StaffService implements OnApplicationBootstrap, OnModuleDestroy {
  private housekeeping?: WorkerLoop;

  constructor(
    private readonly tx: TransactionRunner,
    private readonly repo: StaffRepository,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async create(
    input: { email: string; displayName?: string; role: StaffRole; password: string; locationIds?: string[] },
    actor: Actor,
  ): Promise<StaffPrincipal> {
    if (input.locationIds?.length && input.role !== 'clerk')
      throw new DomainError('VALIDATION_FAILED', 'Only clerks are bound to offices.', [
        { field: 'locationIds', problems: ['clerks only'] },
      ]);
    const hash = await hashPassword(input.password);
    try {
      return await this.tx.run(async (manager) => {
        const row = await this.repo.insert(manager, {
          email: input.email,
          displayName: input.displayName ?? input.email,
          role: input.role,
          passwordHash: hash,
          now: this.clock.now().toJSDate(),
        });
        if (input.locationIds?.length) await this.repo.bindToOffices(manager, row.id, input.locationIds);
        await this.audit.record(manager, actor, {
          action: 'staff.create',
          after: { id: row.id, email: row.email, role: row.role, locationIds: input.locationIds ?? null },
        });
        return { ...row, locationIds: input.locationIds?.length ? input.locationIds : null };
      });
    } catch (err) {
      if (uniqueViolation(err) === 'uq_staff_users_email')
        throw new DomainError('STAFF_EMAIL_TAKEN', 'A staff account with this e-mail exists already.');
      throw err;
    }
  }

  async count(): Promise<number> {
    return this.repo.count(this.tx.manager);
  }

  /**
   * Password login; the same answer (and about the same time) for unknown e-mail and wrong
   * password. The attempt is counted first, in a short transaction under the account's lock, and
   * argon2 runs after it, outside any transaction: slow hashing holds no connection and no lock.
   * The right password ends its source's count; one audit row per burst of failures.
   */
  async login(
    email: string,
    password: string,
    source: string,
  ): Promise<{ token: string; expiresAt: Date; staff: StaffPrincipal }> {
    const account = email.trim().toLowerCase().slice(0, 254);
    const from = source.slice(0, 64);
    const now = this.clock.now().toJSDate();
    const gate = await this.tx.run(async (manager) => {
      await this.repo.lockLogin(manager, account);
      const counters = await this.repo.loginFailures(manager, account, from);
      const decision = loginGate(counters.source, counters.account, now);
      if (!decision.allowed) return decision;
      const ended = endedBurst(counters.source, now);
      if (ended) await this.auditBurst(manager, account, from, ended);
      await this.repo.countLoginFailure(manager, account, from, now, burstCutoff(now));
      return decision;
    });
    if (!gate.allowed)
      throw new DomainError(
        'LOGIN_THROTTLED',
        gate.scope === 'source'
          ? `Too many failed logins from here; try again in ${gate.retryAfterSeconds} seconds.`
          : `This account is being guessed at; try again in ${gate.retryAfterSeconds} seconds.`,
        { retryAfterSeconds: gate.retryAfterSeconds },
        { 'Retry-After': String(gate.retryAfterSeconds) },
      );
    const user = await this.repo.findByEmail(this.tx.manager, email);
    const ok = await verifyPassword(user?.passwordHash ?? (await DUMMY_HASH_PROMISE), password);
    if (!user || !ok || user.disabledAt) throw new DomainError('LOGIN_FAILED', 'E-mail or password is wrong.');
    const token = newSecretToken();
    const expiresAt = this.clock.now().plus({ hours: this.config.staffSessionHours }).toJSDate();
    await this.tx.run(async (manager) => {
      await this.repo.lockLogin(manager, account);
      const cleared = await this.repo.clearLoginFailures(manager, account, from);
      // The count included this attempt; the failures before it form the burst.
      if (cleared && cleared.failures > 1)
        await this.auditBurst(manager, account, from, { ...cleared, failures: cleared.failures - 1 });
      await this.repo.insertSession(manager, { tokenHash: sha256(token), staffUserId: user.id, now, expiresAt });
      await this.audit.record(manager, { id: user.id, label: user.email }, { action: 'staff.login' });
    });
    const { passwordHash, disabledAt, ...staff } = user;
    return { token, expiresAt, staff };
  }

  private auditBurst(manager: EntityManager, account: string, source: string, burst: LoginFailures): Promise<void> {
    return this.audit.record(
      manager,
      { id: null, label: account },
      {
        action: 'staff.login.failed',
        after: { failures: burst.failures, source, from: burst.firstFailureAt, to: burst.lastFailureAt },
      },
    );
  }

  /** Bursts of failed logins quiet for 15 minutes: one audit row each, counters removed. */
  async endLoginBursts(): Promise<number> {
    const now = this.clock.now().toJSDate();
    return this.tx.run(async (manager) => {
      const ended = await this.repo.endLoginBursts(manager, burstCutoff(now));
      for (const burst of ended.filter((b) => b.source !== '*'))
        await this.auditBurst(manager, burst.account, burst.source, burst);
      return ended.length;
    });
  }

  async authenticate(token: string): Promise<StaffPrincipal | undefined> {
    return this.repo.principalOfSession(this.tx.manager, sha256(token), this.clock.now().toJSDate());
  }

  /** Ended sessions are deleted (hourly, with the background workers). */
  deleteEndedSessions(): Promise<number> {
    return this.repo.deleteEndedSessions(this.tx.manager, this.clock.now().toJSDate());
  }

  private async housekeep(): Promise<void> {
    await this.deleteEndedSessions();
    await this.endLoginBursts();
  }

  onApplicationBootstrap(): void {
    if (!this.config.workersEnabled) return;
    this.housekeeping = new WorkerLoop('StaffSessions', () => this.housekeep(), {
      intervalMs: HOUSEKEEPING_MS,
      failure: 'staff session cleanup failed',
    });
    this.housekeeping.start(0);
  }

  async onModuleDestroy(): Promise<void> {
    await this.housekeeping?.stop();
  }
}
