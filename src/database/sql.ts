import { EntityManager } from 'typeorm';

/**
 * Runs SQL and returns its rows. TypeORM's `query()` returns `[rows, rowCount]` for UPDATE and
 * DELETE but plain rows otherwise; this flattens both so repositories need not care.
 */
export async function sql<T = Record<string, any>>(manager: EntityManager, text: string, params: unknown[] = []): Promise<T[]> {
  const result = await manager.query(text, params);
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') {
    return result[0] as T[];
  }
  return result as T[];
}

export async function sqlOne<T = Record<string, any>>(
  manager: EntityManager,
  text: string,
  params: unknown[] = [],
): Promise<T | undefined> {
  return (await sql<T>(manager, text, params))[0];
}
