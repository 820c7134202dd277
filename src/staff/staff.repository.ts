import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { sql, sqlOne } from '../database/sql';
import type { StaffRole } from './roles';

export interface StaffPrincipal {
  id: string;
  email: string;
  displayName: string;
  role: StaffRole;
}

/** Staff accounts and their sessions. */
@Injectable()
export class StaffRepository {
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
      `SELECT u.id, u.email, u.display_name AS "displayName", u.role
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
