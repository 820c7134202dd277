import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { sql, sqlOne } from '../database/sql';
import type { StaffRole } from './roles';
import type { StaffSessionKind } from './staff-session.entity';

const ACCOUNT_COLUMNS = `id, email, display_name AS "displayName", role, password_hash AS "passwordHash", disabled_at AS "disabledAt",
  sso_issuer AS "ssoIssuer", sso_subject AS "ssoSubject"`;

/** An account as sign-in reads it. */
export type StaffAccountRow = StaffPrincipal & {
  passwordHash: string;
  disabledAt: Date | null;
  ssoIssuer: string | null;
  ssoSubject: string | null;
};

export interface StaffPrincipal {
  id: string;
  email: string;
  displayName: string;
  role: StaffRole;
  /** A clerk bound to offices acts only there (staff_user_locations); null: every office. */
  locationIds?: string[] | null;
}

export interface StaffSessionView {
  id: string;
  kind: StaffSessionKind;
  createdAt: Date;
  lastSeenAt: Date;
  expiresAt: Date;
  staffUserId: string;
  email: string;
  displayName: string;
  role: StaffRole;
}

export interface StaffAccountView {
  id: string;
  email: string;
  displayName: string;
  role: StaffRole;
  createdAt: Date;
  disabledAt: Date | null;
  locationIds: string[] | null;
}

export interface LoginFailures {
  failures: number;
  firstFailureAt: Date;
  lastFailureAt: Date;
}

/** Staff accounts, their sessions and their failed-login counters. */
@Injectable()
export class StaffRepository {
  /** Binds a clerk to these offices (replacing any binding). */
  async bindToOffices(manager: EntityManager, staffUserId: string, locationIds: string[]): Promise<void> {
    await sql(manager, `DELETE FROM staff_user_locations WHERE staff_user_id = $1`, [staffUserId]);
    await sql(manager, `INSERT INTO staff_user_locations (staff_user_id, location_id) SELECT $1, unnest($2::uuid[])`, [
      staffUserId,
      locationIds,
    ]);
  }

  /** The offices a clerk is bound to (none: every office). */
  async officesOf(manager: EntityManager, staffUserId: string): Promise<string[]> {
    const rows = await sql<{ id: string }>(
      manager,
      `SELECT location_id::text AS id FROM staff_user_locations WHERE staff_user_id = $1 ORDER BY location_id`,
      [staffUserId],
    );
    return rows.map((r) => r.id);
  }

  async insert(
    manager: EntityManager,
    user: {
      email: string;
      displayName: string;
      role: StaffRole;
      passwordHash: string;
      now: Date;
      /** Made at a single sign-on: bound to the person's identity at the provider. */
      sso?: { issuer: string; subject: string };
    },
  ): Promise<StaffPrincipal> {
    const row = await sqlOne<StaffPrincipal>(
      manager,
      `INSERT INTO staff_users (email, display_name, role, password_hash, created_at, sso_issuer, sso_subject)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       RETURNING id, email, display_name AS "displayName", role`,
      [user.email, user.displayName, user.role, user.passwordHash, user.now, user.sso?.issuer ?? null, user.sso?.subject ?? null],
    );
    return row!;
  }

  async count(manager: EntityManager): Promise<number> {
    return (await sqlOne<{ n: number }>(manager, `SELECT count(*)::int AS n FROM staff_users`))!.n;
  }

  findByEmail(manager: EntityManager, email: string) {
    return sqlOne<StaffAccountRow>(manager, `SELECT ${ACCOUNT_COLUMNS} FROM staff_users WHERE lower(email) = lower($1)`, [email]);
  }

  /** The account bound to this identity at the city's OpenID provider. */
  findBySsoIdentity(manager: EntityManager, issuer: string, subject: string) {
    return sqlOne<StaffAccountRow>(
      manager,
      `SELECT ${ACCOUNT_COLUMNS} FROM staff_users WHERE sso_issuer = $1 AND sso_subject = $2`,
      [issuer, subject],
    );
  }

  /** Binds an account to an identity at the city's OpenID provider (an unbound account only); false when it was bound. */
  async bindSsoIdentity(manager: EntityManager, id: string, issuer: string, subject: string): Promise<boolean> {
    const rows = await sql(
      manager,
      `UPDATE staff_users SET sso_issuer = $2, sso_subject = $3 WHERE id = $1 AND sso_subject IS NULL RETURNING id`,
      [id, issuer, subject],
    );
    return rows.length === 1;
  }

  /** The account's binding to an identity at the provider removed; the one it had, if any (the caller holds the row's lock). */
  async unbindSsoIdentity(manager: EntityManager, id: string): Promise<{ issuer: string; subject: string } | undefined> {
    return sqlOne(
      manager,
      `UPDATE staff_users u SET sso_issuer = NULL, sso_subject = NULL FROM staff_users old
        WHERE u.id = $1 AND old.id = u.id AND old.sso_subject IS NOT NULL RETURNING old.sso_issuer AS issuer, old.sso_subject AS subject`,
      [id],
    );
  }

  async setEmail(manager: EntityManager, id: string, email: string): Promise<void> {
    await sql(manager, `UPDATE staff_users SET email = $2 WHERE id = $1`, [id, email]);
  }

  /** Serialises logins of one account for the rest of the transaction. */
  async lockLogin(manager: EntityManager, label: string): Promise<void> {
    await sql(manager, `SELECT pg_advisory_xact_lock(hashtext('staff-login:' || $1))`, [label]);
  }

  /** The failure counters of an account from one source and from all (`*`). */
  async loginFailures(
    manager: EntityManager,
    account: string,
    source: string,
  ): Promise<{ source?: LoginFailures; account?: LoginFailures }> {
    const rows = await sql<LoginFailures & { source: string }>(
      manager,
      `SELECT source, failures, first_failure_at AS "firstFailureAt", last_failure_at AS "lastFailureAt"
         FROM staff_login_failures WHERE account = $1 AND source IN ($2, '*')`,
      [account, source],
    );
    return { source: rows.find((r) => r.source === source), account: rows.find((r) => r.source === '*') };
  }

  /**
   * Counts one attempt as failed, from this source and for the account (before the password is
   * checked: a crash or a parallel guess cannot slip past the count); a burst quiet since
   * `burstCutoff` starts again at one.
   */
  async countLoginFailure(manager: EntityManager, account: string, source: string, now: Date, burstCutoff: Date): Promise<void> {
    await sql(
      manager,
      `INSERT INTO staff_login_failures AS f (account, source, failures, first_failure_at, last_failure_at)
       SELECT $1, src, 1, $3, $3 FROM unnest(ARRAY[$2, '*']::varchar[]) AS src
       ON CONFLICT (account, source) DO UPDATE SET
         failures = CASE WHEN f.last_failure_at < $4 THEN 1 ELSE f.failures + 1 END,
         first_failure_at = CASE WHEN f.last_failure_at < $4 THEN $3 ELSE f.first_failure_at END,
         last_failure_at = $3`,
      [account, source, now, burstCutoff],
    );
  }

  /** The right password from this source: its counter ends (returned, for the audit log). */
  clearLoginFailures(manager: EntityManager, account: string, source: string): Promise<LoginFailures | undefined> {
    return sqlOne<LoginFailures>(
      manager,
      `DELETE FROM staff_login_failures WHERE account = $1 AND source = $2
       RETURNING failures, first_failure_at AS "firstFailureAt", last_failure_at AS "lastFailureAt"`,
      [account, source],
    );
  }

  /** Counters whose burst has been quiet since `burstCutoff`: removed, returned for the audit log. */
  endLoginBursts(manager: EntityManager, burstCutoff: Date): Promise<Array<LoginFailures & { account: string; source: string }>> {
    return sql(
      manager,
      `DELETE FROM staff_login_failures WHERE last_failure_at < $1
       RETURNING account, source, failures, first_failure_at AS "firstFailureAt", last_failure_at AS "lastFailureAt"`,
      [burstCutoff],
    );
  }

  async insertSession(
    manager: EntityManager,
    session: { tokenHash: Buffer; staffUserId: string; kind: StaffSessionKind; now: Date; expiresAt: Date },
  ): Promise<string> {
    const row = await sqlOne<{ id: string }>(
      manager,
      `INSERT INTO staff_sessions (token_hash, id, staff_user_id, kind, created_at, last_seen_at, expires_at)
       VALUES ($1, gen_random_uuid(), $2, $3, $4, $4, $5) RETURNING id`,
      [session.tokenHash, session.staffUserId, session.kind, session.now, session.expiresAt],
    );
    return row!.id;
  }

  /**
   * The account of a running session of this kind, unless it is disabled; a cookie session also
   * ends when unused since `idleCutoff`. Its last use is written at most once a minute.
   */
  async principalOfSession(
    manager: EntityManager,
    tokenHash: Buffer,
    kind: StaffSessionKind,
    now: Date,
    idleCutoff: Date,
  ): Promise<(StaffPrincipal & { sessionId: string }) | undefined> {
    const row = await sqlOne<StaffPrincipal & { sessionId: string; lastSeenAt: Date }>(
      manager,
      `SELECT u.id, u.email, u.display_name AS "displayName", u.role, s.id AS "sessionId", s.last_seen_at AS "lastSeenAt",
              (SELECT array_agg(l.location_id::text ORDER BY l.location_id) FROM staff_user_locations l WHERE l.staff_user_id = u.id) AS "locationIds"
         FROM staff_sessions s JOIN staff_users u ON u.id = s.staff_user_id
        WHERE s.token_hash = $1 AND s.kind = $2 AND s.expires_at > $3 AND u.disabled_at IS NULL
          AND (s.kind <> 'cookie' OR s.last_seen_at > $4)`,
      [tokenHash, kind, now, idleCutoff],
    );
    if (!row) return undefined;
    if (now.getTime() - row.lastSeenAt.getTime() > 60_000)
      await sql(manager, `UPDATE staff_sessions SET last_seen_at = $2 WHERE token_hash = $1 AND last_seen_at < $2`, [
        tokenHash,
        now,
      ]);
    const { lastSeenAt, ...principal } = row;
    return principal;
  }

  /** Running sessions (not ended by time), newest first, with their accounts; never a token or its hash. */
  listSessions(manager: EntityManager, now: Date, idleCutoff: Date, staffUserId?: string): Promise<StaffSessionView[]> {
    return sql<StaffSessionView>(
      manager,
      `SELECT s.id, s.kind, s.created_at AS "createdAt", s.last_seen_at AS "lastSeenAt", s.expires_at AS "expiresAt",
              u.id AS "staffUserId", u.email, u.display_name AS "displayName", u.role
         FROM staff_sessions s JOIN staff_users u ON u.id = s.staff_user_id
        WHERE s.expires_at > $1 AND (s.kind <> 'cookie' OR s.last_seen_at > $2) AND u.disabled_at IS NULL
          AND ($3::uuid IS NULL OR u.id = $3)
        ORDER BY s.last_seen_at DESC, s.id LIMIT 500`,
      [now, idleCutoff, staffUserId ?? null],
    );
  }

  /** Ends one session by its id; returns whose it was. */
  revokeSession(manager: EntityManager, id: string): Promise<{ staffUserId: string; kind: StaffSessionKind } | undefined> {
    return sqlOne(manager, `DELETE FROM staff_sessions WHERE id = $1 RETURNING staff_user_id AS "staffUserId", kind`, [id]);
  }

  /** Ends the session of this token (sign-out). */
  async revokeByTokenHash(manager: EntityManager, tokenHash: Buffer): Promise<{ id: string; staffUserId: string } | undefined> {
    return sqlOne(manager, `DELETE FROM staff_sessions WHERE token_hash = $1 RETURNING id, staff_user_id AS "staffUserId"`, [
      tokenHash,
    ]);
  }

  /** Ends every session of an account. */
  async revokeSessionsOf(manager: EntityManager, staffUserId: string): Promise<number> {
    return (await sql(manager, `DELETE FROM staff_sessions WHERE staff_user_id = $1 RETURNING id`, [staffUserId])).length;
  }

  listUsers(manager: EntityManager): Promise<StaffAccountView[]> {
    return sql<StaffAccountView>(
      manager,
      `SELECT u.id, u.email, u.display_name AS "displayName", u.role, u.created_at AS "createdAt", u.disabled_at AS "disabledAt",
              (SELECT array_agg(l.location_id::text ORDER BY l.location_id) FROM staff_user_locations l WHERE l.staff_user_id = u.id) AS "locationIds"
         FROM staff_users u ORDER BY u.disabled_at IS NOT NULL, lower(u.email)`,
    );
  }

  findUser(manager: EntityManager, id: string, forUpdate = false): Promise<StaffAccountView | undefined> {
    return sqlOne<StaffAccountView>(
      manager,
      `SELECT u.id, u.email, u.display_name AS "displayName", u.role, u.created_at AS "createdAt", u.disabled_at AS "disabledAt",
              (SELECT array_agg(l.location_id::text ORDER BY l.location_id) FROM staff_user_locations l WHERE l.staff_user_id = u.id) AS "locationIds"
         FROM staff_users u WHERE u.id = $1${forUpdate ? ' FOR UPDATE OF u' : ''}`,
      [id],
    );
  }

  async setRole(manager: EntityManager, id: string, role: StaffRole): Promise<void> {
    await sql(manager, `UPDATE staff_users SET role = $2 WHERE id = $1`, [id, role]);
  }

  /** Disabled from now on (kept for the audit log's references); false when it was already. */
  async disable(manager: EntityManager, id: string, now: Date): Promise<boolean> {
    return (
      (
        await sql(manager, `UPDATE staff_users SET disabled_at = $2 WHERE id = $1 AND disabled_at IS NULL RETURNING id`, [
          id,
          now,
        ])
      ).length > 0
    );
  }

  async setPasswordHash(manager: EntityManager, id: string, passwordHash: string): Promise<void> {
    await sql(manager, `UPDATE staff_users SET password_hash = $2 WHERE id = $1`, [id, passwordHash]);
  }

  /** Sessions that ended are deleted (they hold nothing but a hash and two times). */
  async deleteEndedSessions(manager: EntityManager, now: Date): Promise<number> {
    return (await sql(manager, `DELETE FROM staff_sessions WHERE expires_at < $1 RETURNING token_hash`, [now])).length;
  }
}
