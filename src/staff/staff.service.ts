import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Clock } from '../common/clock';
import { DomainError } from '../common/domain-error';
import { newSecretToken, sha256 } from '../common/ids';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { sql, sqlOne } from '../database/sql';
import { TransactionRunner, uniqueViolation } from '../database/transaction-runner';
import { Actor, AuditService } from '../audit/audit.service';
import { DUMMY_HASH_PROMISE, hashPassword, verifyPassword } from './passwords';
import type { StaffRole } from './staff.entities';

export interface StaffPrincipal {
  id: string;
  email: string;
  displayName: string;
  role: StaffRole;
}

const MAX_LOGIN_FAILURES = 5;
const LOGIN_WINDOW_MINUTES = 15;

@Injectable()
export class StaffService {
  constructor(
    private readonly tx: TransactionRunner,
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
      return await this.tx.run(async (m) => {
        const row = await sqlOne<StaffPrincipal>(
          m,
          `INSERT INTO staff_users (email, display_name, role, password_hash, created_at) VALUES ($1, $2, $3, $4, $5)
           RETURNING id, email, display_name AS "displayName", role`,
          [input.email, input.displayName ?? input.email, input.role, hash, this.clock.now().toJSDate()],
        );
        await this.audit.record(m, actor, { action: 'staff.create', after: { id: row!.id, email: row!.email, role: row!.role } });
        return row!;
      });
    } catch (err) {
      if (uniqueViolation(err) === 'uq_staff_users_email')
        throw new DomainError('STAFF_EMAIL_TAKEN', 'A staff account with this e-mail exists already.');
      throw err;
    }
  }

  async count(): Promise<number> {
    return (await sqlOne<{ n: number }>(this.tx.manager, `SELECT count(*)::int AS n FROM staff_users`))!.n;
  }

  /** Password login; the same answer (and about the same time) for unknown e-mail and wrong password. */
  async login(email: string, password: string): Promise<{ token: string; expiresAt: Date; staff: StaffPrincipal }> {
    const label = email.trim().toLowerCase().slice(0, 254);
    // Check, verify and record under one lock per account: parallel guesses cannot all pass the count.
    const outcome = await this.tx.run(async (m) => {
      await sql(m, `SELECT pg_advisory_xact_lock(hashtext('staff-login:' || $1))`, [label]);
      const since = this.clock.now().minus({ minutes: LOGIN_WINDOW_MINUTES }).toJSDate();
      const failures = await sqlOne<{ n: number }>(
        m,
        `SELECT count(*)::int AS n FROM audit_entries WHERE action = 'staff.login.failed' AND actor_label = $1 AND at > $2`,
        [label, since],
      );
      if (failures!.n >= MAX_LOGIN_FAILURES) return { throttled: true as const };
      return { throttled: false as const, user: await this.verify(m, email, password, label) };
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
    await this.tx.run(async (m) => {
      await sql(m, `INSERT INTO staff_sessions (token_hash, staff_user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)`, [
        sha256(token),
        user.id,
        now.toJSDate(),
        expiresAt,
      ]);
      await this.audit.record(m, { id: user.id, label: user.email }, { action: 'staff.login' });
    });
    const { passwordHash, disabledAt, ...staff } = user;
    return { token, expiresAt, staff };
  }

  /** The account if the password is right; a failure is recorded (and counts for throttling). */
  private async verify(m: EntityManager, email: string, password: string, label: string) {
    const user = await sqlOne<StaffPrincipal & { passwordHash: string; disabledAt: Date | null }>(
      m,
      `SELECT id, email, display_name AS "displayName", role, password_hash AS "passwordHash", disabled_at AS "disabledAt" FROM staff_users WHERE lower(email) = lower($1)`,
      [email],
    );
    const ok = await verifyPassword(user?.passwordHash ?? (await DUMMY_HASH_PROMISE), password);
    if (!user || !ok || user.disabledAt) {
      await this.audit.record(m, { id: null, label }, { action: 'staff.login.failed' });
      return undefined;
    }
    return user;
  }

  async authenticate(token: string): Promise<StaffPrincipal | undefined> {
    return sqlOne<StaffPrincipal>(
      this.tx.manager,
      `SELECT u.id, u.email, u.display_name AS "displayName", u.role
         FROM staff_sessions s JOIN staff_users u ON u.id = s.staff_user_id
        WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.disabled_at IS NULL`,
      [sha256(token), this.clock.now().toJSDate()],
    );
  }
}
