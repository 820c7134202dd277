import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { sql, sqlOne } from '../database/sql';
import type { StaffRole } from './roles';

export interface StaffPrincipal {
  id: string;
  email: string;
  displayName: string;
  role: StaffRole;
  /** A clerk bound to offices acts only there (staff_user_locations); null: every office. */
  locationIds?: string[] | null;
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

  async insert(
    manager: EntityManager,
    user: { email: string; displayName: string; role: StaffRole; passwordHash: string; now: Date },
  ): Promise<StaffPrincipal> {
    const row = await sqlOne<StaffPrincipal>(
      manager,
      `INSERT INTO staff_users (email, display_name, role, password_hash, created_at) VALUES ($1, $2, $3, $4, $5)
       RETURNING id, email, display_name AS "displayName", role`,
      [user.email, user.displayName, user.role, user.passwordHash, user.now],
    );
    return row!;
  }

  async count(manager: EntityManager): Promise<number> {
    return (await sqlOne<{ n: number }>(manager, `SELECT count(*)::int AS n FROM staff_users`))!.n;
  }

  findByEmail(manager: EntityManager, email: string) {
    return sqlOne<StaffPrincipal & { passwordHash: string; disabledAt: Date | null }>(
      manager,
      `SELECT id, email, display_name AS "displayName", role, password_hash AS "passwordHash", disabled_at AS "disabledAt"
         FROM staff_users WHERE lower(email) = lower($1)`,
      [email],
    );
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
    session: { tokenHash: Buffer; staffUserId: string; now: Date; expiresAt: Date },
  ): Promise<void> {
    await sql(manager, `INSERT INTO staff_sessions (token_hash, staff_user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)`, [
      session.tokenHash,
      session.staffUserId,
      session.now,
      session.expiresAt,
    ]);
  }

  /** The account of a running session, unless it is disabled. */
  principalOfSession(manager: EntityManager, tokenHash: Buffer, now: Date): Promise<StaffPrincipal | undefined> {
    return sqlOne<StaffPrincipal>(
      manager,
      `SELECT u.id, u.email, u.display_name AS "displayName", u.role,
              (SELECT array_agg(l.location_id::text ORDER BY l.location_id) FROM staff_user_locations l WHERE l.staff_user_id = u.id) AS "locationIds"
         FROM staff_sessions s JOIN staff_users u ON u.id = s.staff_user_id
        WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.disabled_at IS NULL`,
      [tokenHash, now],
    );
  }

  /** Sessions that ended are deleted (they hold nothing but a hash and two times). */
  async deleteEndedSessions(manager: EntityManager, now: Date): Promise<number> {
    return (await sql(manager, `DELETE FROM staff_sessions WHERE expires_at < $1 RETURNING token_hash`, [now])).length;
  }
}
