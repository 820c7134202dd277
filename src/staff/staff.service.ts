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
import { StaffPrincipal, StaffRepository } from './staff.repository';

export type { StaffPrincipal };

const MAX_LOGIN_FAILURES = 5;
const HOUSEKEEPING_MS = 60 * 60 * 1000;
const LOGIN_WINDOW_MINUTES = 15;

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
    input: { email: string; displayName?: string; role: StaffRole; password: string },
    actor: Actor,
  ): Promise<StaffPrincipal> {
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
        await this.audit.record(manager, actor, {
          action: 'staff.create',
          after: { id: row.id, email: row.email, role: row.role },
        });
        return row;
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

  /** Password login; the same answer (and about the same time) for unknown e-mail and wrong password. */
  async login(email: string, password: string): Promise<{ token: string; expiresAt: Date; staff: StaffPrincipal }> {
    const label = email.trim().toLowerCase().slice(0, 254);
    // Check, verify and record under one lock per account: parallel guesses cannot all pass the count.
    const outcome = await this.tx.run(async (manager) => {
      await this.repo.lockLogin(manager, label);
      const since = this.clock.now().minus({ minutes: LOGIN_WINDOW_MINUTES }).toJSDate();
      const failures = await this.audit.countSince(manager, 'staff.login.failed', { actorLabel: label }, since);
      if (failures >= MAX_LOGIN_FAILURES) return { throttled: true as const };
      return { throttled: false as const, user: await this.verify(manager, email, password, label) };
    });
    if (outcome.throttled)
      throw new DomainError(
        'LOGIN_THROTTLED',
        `Too many failed logins for this account; try again in ${LOGIN_WINDOW_MINUTES} minutes.`,
      );
    if (!outcome.user) throw new DomainError('LOGIN_FAILED', 'E-mail or password is wrong.');
    const user = outcome.user;
    const token = newSecretToken();
    const now = this.clock.now();
    const expiresAt = now.plus({ hours: this.config.staffSessionHours }).toJSDate();
    await this.tx.run(async (manager) => {
      await this.repo.insertSession(manager, { tokenHash: sha256(token), staffUserId: user.id, now: now.toJSDate(), expiresAt });
      await this.audit.record(manager, { id: user.id, label: user.email }, { action: 'staff.login' });
    });
    const { passwordHash, disabledAt, ...staff } = user;
    return { token, expiresAt, staff };
  }

  /** The account if the password is right; a failure is recorded (and counts for throttling). */
  private async verify(manager: EntityManager, email: string, password: string, label: string) {
    const user = await this.repo.findByEmail(manager, email);
    const ok = await verifyPassword(user?.passwordHash ?? (await DUMMY_HASH_PROMISE), password);
    if (!user || !ok || user.disabledAt) {
      await this.audit.record(manager, { id: null, label }, { action: 'staff.login.failed' });
      return undefined;
    }
    return user;
  }

  async authenticate(token: string): Promise<StaffPrincipal | undefined> {
    return this.repo.principalOfSession(this.tx.manager, sha256(token), this.clock.now().toJSDate());
  }

  /** Ended sessions are deleted (hourly, with the background workers). */
  deleteEndedSessions(): Promise<number> {
    return this.repo.deleteEndedSessions(this.tx.manager, this.clock.now().toJSDate());
  }

  onApplicationBootstrap(): void {
    if (!this.config.workersEnabled) return;
    this.housekeeping = new WorkerLoop('StaffSessions', () => this.deleteEndedSessions().then(() => undefined), {
      intervalMs: HOUSEKEEPING_MS,
      failure: 'staff session cleanup failed',
    });
    this.housekeeping.start(0);
  }

  async onModuleDestroy(): Promise<void> {
    await this.housekeeping?.stop();
  }
}
