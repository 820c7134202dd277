import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { WorkerLoop } from '../common/worker-loop';
import { EntityManager } from 'typeorm';
import { Clock } from '../common/clock';
import { DomainError } from '../common/domain-error';
import { newSecretToken, sha256 } from '../common/ids';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { TransactionRunner, uniqueViolation } from '../database/transaction-runner';
import { Actor, AuditService } from '../audit/audit.service';
import { DUMMY_HASH_PROMISE, generatePassword, hashPassword, verifyPassword } from './passwords';
import type { StaffSessionKind } from './staff-session.entity';
import type { StaffRole } from './roles';
import { burstCutoff, endedBurst, loginGate } from './login-throttle';
import { LoginFailures, StaffAccountView, StaffPrincipal, StaffRepository, StaffSessionView } from './staff.repository';

export type { StaffAccountView, StaffPrincipal, StaffSessionView };

const foreignKeyViolation = (err: unknown) =>
  (err as { driverError?: { code?: string }; code?: string })?.driverError?.code === '23503' ||
  (err as { code?: string })?.code === '23503';

const HOUSEKEEPING_MS = 60 * 60 * 1000;

/** A staff member the city's OpenID provider vouched for, as the configured claims say. */
export interface VouchedIdentity {
  /** The provider (`iss`) and the person there (`sub`, never reassigned): what the account is bound to. */
  issuer: string;
  subject: string;
  email: string;
  displayName: string;
  role: StaffRole;
  /** The offices claim of a clerk; null: none sent (an admin's bindings stay). */
  locationIds: string[] | null;
}

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
    kind: StaffSessionKind = 'bearer',
  ): Promise<{ token: string; expiresAt: Date; staff: StaffPrincipal }> {
    if (!this.config.staffPasswordLogin)
      throw new DomainError('PASSWORD_LOGIN_OFF', 'Password sign-in is switched off here; use single sign-on.');
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
    // A new token at every sign-in: a session id planted before it (fixation) is never promoted.
    const token = newSecretToken();
    const expiresAt = this.clock.now().plus({ hours: this.config.staffSessionHours }).toJSDate();
    await this.tx.run(async (manager) => {
      await this.repo.lockLogin(manager, account);
      const cleared = await this.repo.clearLoginFailures(manager, account, from);
      // The count included this attempt; the failures before it form the burst.
      if (cleared && cleared.failures > 1)
        await this.auditBurst(manager, account, from, { ...cleared, failures: cleared.failures - 1 });
      const sessionId = await this.repo.insertSession(manager, {
        tokenHash: sha256(token),
        staffUserId: user.id,
        kind,
        now,
        expiresAt,
      });
      await this.audit.record(manager, { id: user.id, label: user.email }, { action: 'staff.login', after: { sessionId, kind } });
    });
    const { passwordHash, disabledAt, ssoIssuer, ssoSubject, ...staff } = user;
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

  /** The principal of a running session of this kind (a bearer token is never taken as a cookie, nor back). */
  async authenticate(
    token: string,
    kind: StaffSessionKind = 'bearer',
  ): Promise<(StaffPrincipal & { sessionId: string }) | undefined> {
    const now = this.clock.now();
    return this.repo.principalOfSession(
      this.tx.manager,
      sha256(token),
      kind,
      now.toJSDate(),
      now.minus({ minutes: this.config.staffSessionIdleMinutes }).toJSDate(),
    );
  }

  /**
   * A session for an account whose identity someone else vouched for (single sign-on): the
   * account by e-mail, created on first sign-in, its role and offices as the provider's claims say.
   */
  async signInVouched(
    claims: VouchedIdentity,
    provider: string,
  ): Promise<{ token: string; expiresAt: Date; staff: StaffPrincipal }> {
    const now = this.clock.now().toJSDate();
    const token = newSecretToken();
    const expiresAt = this.clock.now().plus({ hours: this.config.staffSessionHours }).toJSDate();
    const email = claims.email.toLowerCase();
    try {
      return await this.tx.run(async (manager) => {
        // Both names of the account, always in this order: its identity at the provider, then its address.
        await this.repo.lockLogin(manager, `sso:${claims.issuer} ${claims.subject}`);
        await this.repo.lockLogin(manager, email);
        const actor = { id: null, label: `sso:${provider}` };
        let user = await this.repo.findBySsoIdentity(manager, claims.issuer, claims.subject);
        const byAddress = await this.repo.findByEmail(manager, email);
        if (user && byAddress && byAddress.id !== user.id)
          throw new DomainError('SSO_ACCOUNT_MISMATCH', 'Another account has the address this sign-in names.');
        if (!user && byAddress?.ssoSubject)
          // The address's account belongs to another identity at the provider (or at another one).
          throw new DomainError('SSO_ACCOUNT_MISMATCH', 'The account of this address is bound to another sign-in.');
        if (user?.disabledAt || byAddress?.disabledAt) throw new DomainError('LOGIN_FAILED', 'This account is deactivated.');
        if (user && user.email.toLowerCase() !== email) {
          // The provider changed the person's address: the account follows it.
          await this.repo.setEmail(manager, user.id, claims.email);
          await this.audit.record(manager, actor, {
            action: 'staff.email',
            before: { email: user.email },
            after: { id: user.id, email: claims.email },
          });
          user = { ...user, email: claims.email };
        } else if (!user && byAddress) {
          // An account an admin made, at its first single sign-on: bound to this identity from now on.
          if (!(await this.repo.bindSsoIdentity(manager, byAddress.id, claims.issuer, claims.subject)))
            throw new DomainError('SSO_ACCOUNT_MISMATCH', 'The account of this address is bound to another sign-in.');
          await this.audit.record(manager, actor, {
            action: 'staff.sso_bind',
            after: { id: byAddress.id, issuer: claims.issuer, subject: claims.subject },
          });
          user = byAddress;
        }
        if (!user) {
          // No password: this account signs in through the provider only (a random hash nobody knows).
          const row = await this.repo.insert(manager, {
            email: claims.email,
            displayName: claims.displayName,
            role: claims.role,
            passwordHash: await hashPassword(newSecretToken()),
            now,
            sso: { issuer: claims.issuer, subject: claims.subject },
          });
          await this.audit.record(manager, actor, {
            action: 'staff.create',
            after: { id: row.id, email: row.email, role: row.role },
          });
          user = { ...row, passwordHash: '', disabledAt: null, ssoIssuer: claims.issuer, ssoSubject: claims.subject };
        } else if (user.role !== claims.role) {
          await this.repo.setRole(manager, user.id, claims.role);
          await this.audit.record(manager, actor, {
            action: 'staff.role',
            before: { role: user.role },
            after: { id: user.id, role: claims.role },
          });
        }
        // The claim decides the offices when the provider sends it; without it an admin's bindings stay.
        let locationIds: string[] = [];
        if (claims.role !== 'clerk') await this.repo.bindToOffices(manager, user.id, []);
        else if (claims.locationIds) await this.repo.bindToOffices(manager, user.id, (locationIds = claims.locationIds));
        else locationIds = await this.repo.officesOf(manager, user.id);
        const sessionId = await this.repo.insertSession(manager, {
          tokenHash: sha256(token),
          staffUserId: user.id,
          kind: 'cookie',
          now,
          expiresAt,
        });
        await this.audit.record(
          manager,
          { id: user.id, label: user.email },
          { action: 'staff.login', after: { sessionId, kind: 'cookie', via: provider } },
        );
        return {
          token,
          expiresAt,
          staff: {
            id: user.id,
            email: user.email,
            displayName: user.displayName,
            role: claims.role,
            locationIds: locationIds.length ? locationIds : null,
          },
        };
      });
    } catch (err) {
      // An account made or renamed to this address meanwhile (an admin, at the same moment).
      if (uniqueViolation(err))
        throw new DomainError('SSO_ACCOUNT_MISMATCH', 'Another account has the address this sign-in names.');
      if (foreignKeyViolation(err))
        throw new DomainError('VALIDATION_FAILED', 'The offices claim names an office that does not exist.', [
          { field: 'locationIds', problems: ['unknown office'] },
        ]);
      throw err;
    }
  }

  /** Sign-out: this token's session ends. */
  async signOut(token: string): Promise<void> {
    await this.tx.run(async (manager) => {
      const ended = await this.repo.revokeByTokenHash(manager, sha256(token));
      if (ended)
        await this.audit.record(
          manager,
          { id: ended.staffUserId, label: 'self' },
          { action: 'staff.logout', after: { sessionId: ended.id } },
        );
    });
  }

  sessions(staffUserId?: string): Promise<StaffSessionView[]> {
    const now = this.clock.now();
    return this.repo.listSessions(
      this.tx.manager,
      now.toJSDate(),
      now.minus({ minutes: this.config.staffSessionIdleMinutes }).toJSDate(),
      staffUserId,
    );
  }

  /** An admin ends one session (cookie or bearer); audited. */
  async revokeSession(id: string, actor: Actor): Promise<void> {
    await this.tx.run(async (manager) => {
      const ended = await this.repo.revokeSession(manager, id);
      if (!ended) throw new DomainError('SESSION_NOT_FOUND', 'No running session with this id.');
      await this.audit.record(manager, actor, { action: 'staff.session.revoke', after: { sessionId: id, ...ended } });
    });
  }

  accounts(): Promise<StaffAccountView[]> {
    return this.repo.listUsers(this.tx.manager);
  }

  async account(id: string): Promise<StaffAccountView> {
    const user = await this.repo.findUser(this.tx.manager, id);
    if (!user) throw new DomainError('STAFF_NOT_FOUND', 'No staff account with this id.');
    return user;
  }

  /** Role and offices of an account (offices for clerks only); audited with before and after. */
  async update(id: string, change: { role: StaffRole; locationIds: string[] }, actor: Actor): Promise<StaffAccountView> {
    if (change.locationIds.length && change.role !== 'clerk')
      throw new DomainError('VALIDATION_FAILED', 'Only clerks are bound to offices.', [
        { field: 'locationIds', problems: ['clerks only'] },
      ]);
    if (actor.id === id && change.role !== 'admin')
      throw new DomainError('STAFF_SELF_CHANGE', 'An admin cannot take the admin role from their own account.');
    try {
      return await this.tx.run(async (manager) => {
        const before = await this.repo.findUser(manager, id, true);
        if (!before) throw new DomainError('STAFF_NOT_FOUND', 'No staff account with this id.');
        await this.repo.setRole(manager, id, change.role);
        await this.repo.bindToOffices(manager, id, change.locationIds);
        // A changed role takes effect at the next request: sessions read the account each time.
        await this.audit.record(manager, actor, {
          action: 'staff.update',
          before: { role: before.role, locationIds: before.locationIds },
          after: { id, role: change.role, locationIds: change.locationIds.length ? change.locationIds : null },
        });
        return (await this.repo.findUser(manager, id))!;
      });
    } catch (err) {
      if (foreignKeyViolation(err))
        throw new DomainError('VALIDATION_FAILED', 'An office with this id does not exist.', [
          { field: 'locationIds', problems: ['unknown office'] },
        ]);
      throw err;
    }
  }

  /** Deactivated: no sign-in from now on, and every running session (cookie or bearer) ends. */
  async deactivate(id: string, actor: Actor): Promise<{ sessionsEnded: number }> {
    if (actor.id === id) throw new DomainError('STAFF_SELF_CHANGE', 'An admin cannot deactivate their own account.');
    return this.tx.run(async (manager) => {
      const user = await this.repo.findUser(manager, id, true);
      if (!user) throw new DomainError('STAFF_NOT_FOUND', 'No staff account with this id.');
      if (!(await this.repo.disable(manager, id, this.clock.now().toJSDate())))
        throw new DomainError('INVALID_TRANSITION', 'This account is deactivated already.');
      const sessionsEnded = await this.repo.revokeSessionsOf(manager, id);
      await this.audit.record(manager, actor, { action: 'staff.deactivate', after: { id, email: user.email, sessionsEnded } });
      return { sessionsEnded };
    });
  }

  /**
   * The account's binding to a person at the city's OpenID provider removed (admin, or the staff
   * CLI): its next single sign-on binds it again, by its verified address. For a provider whose
   * issuer URL changed, or a person given a new identity there.
   */
  async unbindSso(target: { id: string } | { email: string }, actor: Actor): Promise<{ id: string; unbound: true }> {
    return this.tx.run(async (manager) => {
      const id = 'id' in target ? target.id : (await this.repo.findByEmail(manager, target.email))?.id;
      const user = id ? await this.repo.findUser(manager, id, true) : undefined;
      if (!user) throw new DomainError('STAFF_NOT_FOUND', 'No staff account with this id.');
      const was = await this.repo.unbindSsoIdentity(manager, user.id);
      if (!was) throw new DomainError('INVALID_TRANSITION', 'This account is not bound to a single sign-on identity.');
      await this.audit.record(manager, actor, { action: 'staff.sso_unbind', before: was, after: { id: user.id } });
      return { id: user.id, unbound: true };
    });
  }

  /** A new generated password (returned once, never stored in clear); the account's sessions end. */
  async resetPassword(id: string, actor: Actor): Promise<{ password: string; sessionsEnded: number }> {
    const password = generatePassword();
    const hash = await hashPassword(password);
    return this.tx.run(async (manager) => {
      const user = await this.repo.findUser(manager, id, true);
      if (!user) throw new DomainError('STAFF_NOT_FOUND', 'No staff account with this id.');
      if (user.disabledAt) throw new DomainError('INVALID_TRANSITION', 'This account is deactivated.');
      await this.repo.setPasswordHash(manager, id, hash);
      const sessionsEnded = await this.repo.revokeSessionsOf(manager, id);
      await this.audit.record(manager, actor, { action: 'staff.password.reset', after: { id, sessionsEnded } });
      return { password, sessionsEnded };
    });
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
