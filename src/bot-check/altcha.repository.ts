import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { sql } from '../database/sql';

/** Owner of `altcha_solutions`: which solved challenges were used already. */
@Injectable()
export class AltchaRepository {
  /** Records the solution's challenge as used; false when it was used before. */
  async useOnce(manager: EntityManager, signature: string, expiresAt: Date): Promise<boolean> {
    const rows = await sql(
      manager,
      `INSERT INTO altcha_solutions (signature, expires_at) VALUES ($1, $2) ON CONFLICT (signature) DO NOTHING RETURNING signature`,
      [signature, expiresAt],
    );
    return rows.length === 1;
  }

  /** Solutions of expired challenges (they can no longer be replayed): deleted, on the database's clock. */
  async deleteExpired(manager: EntityManager): Promise<number> {
    const rows = await sql(manager, `DELETE FROM altcha_solutions WHERE expires_at < now() RETURNING signature`);
    return rows.length;
  }
}
