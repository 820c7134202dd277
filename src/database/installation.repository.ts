import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { sql, sqlOne } from './sql';

/** The installation's one row: the generated secret when APP_SECRET is not given. */
@Injectable()
export class InstallationRepository {
  /** The stored secret; `candidate` is stored first if there is none (the first instance wins). */
  async secret(manager: EntityManager, candidate: string): Promise<string> {
    await sql(manager, `INSERT INTO installation (id, secret) VALUES (1, $1) ON CONFLICT (id) DO NOTHING`, [candidate]);
    return (await sqlOne<{ secret: string }>(manager, `SELECT secret FROM installation WHERE id = 1`))!.secret;
  }

  /** The database server's clock (not the transaction's start: `clock_timestamp()`). */
  async databaseNow(manager: EntityManager): Promise<Date> {
    return (await sqlOne<{ now: Date }>(manager, `SELECT clock_timestamp() AS now`))!.now;
  }
}
