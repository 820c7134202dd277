import { Injectable, PipeTransform } from '@nestjs/common';
import { DomainError } from './domain-error';

/** Deeper than any request holdfast takes (its deepest is two levels); a 5,000-deep array overflows class-transformer's stack. */
export const MAX_INPUT_DEPTH = 32;

/**
 * What no field of ours may hold because PostgreSQL cannot store it: NUL (text refuses it) and
 * lone UTF-16 surrogates (no UTF-8 for them; jsonb refuses their escapes). Other control
 * characters are each field's own validation.
 */
const UNSAFE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export type UnsafeInput = { problem: 'characters' | 'depth'; path: string };

/** The first thing in a parsed request value (body, query, parameter) that must be refused, pure and iterative. */
export function findUnsafeInput(value: unknown, maxDepth = MAX_INPUT_DEPTH): UnsafeInput | undefined {
  const stack: Array<{ value: unknown; path: string; depth: number }> = [{ value, path: '', depth: 0 }];
  while (stack.length > 0) {
    const { value: current, path, depth } = stack.pop()!;
    if (typeof current === 'string') {
      if (UNSAFE.test(current)) return { problem: 'characters', path: path || '(value)' };
      continue;
    }
    if (current === null || typeof current !== 'object') continue;
    if (depth >= maxDepth) return { problem: 'depth', path: path || '(value)' };
    for (const [key, child] of Object.entries(current)) {
      if (UNSAFE.test(key))
        return { problem: 'characters', path: path ? `${path}.${key.replace(UNSAFE, '?')}` : key.replace(UNSAFE, '?') };
      stack.push({ value: child, path: path ? `${path}.${key}` : key, depth: depth + 1 });
    }
  }
  return undefined;
}

/**
 * Runs before validation on every body, query and parameter: refuses what would otherwise reach
 * the database or class-transformer and come back as a 500.
 */
@Injectable()
export class SafeInputPipe implements PipeTransform {
  transform(value: unknown): unknown {
    const unsafe = findUnsafeInput(value);
    if (!unsafe) return value;
    if (unsafe.problem === 'depth')
      throw new DomainError('INPUT_TOO_DEEP', `The request nests deeper than ${MAX_INPUT_DEPTH} levels.`, [
        { field: unsafe.path, problems: [`nested deeper than ${MAX_INPUT_DEPTH} levels`] },
      ]);
    // The same code as any other field that fails validation (clients already branch on it).
    throw new DomainError('VALIDATION_FAILED', `Invalid input: ${unsafe.path}.`, [
      { field: unsafe.path, problems: ['contains a NUL character or a broken Unicode character (a lone surrogate)'] },
    ]);
  }
}
