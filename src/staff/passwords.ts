import * as argon2 from 'argon2';
import { randomBytes } from 'node:crypto';

export const hashPassword = (password: string) => argon2.hash(password, { type: argon2.argon2id });

export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  try {
    return await argon2.verify(hash, password);
  } catch {
    return false;
  }
}

/** A generated password that is easy to type: 4 groups of 5 base32 characters. */
export function generatePassword(): string {
  const alphabet = 'abcdefghjkmnpqrstuvwxyz23456789';
  const bytes = randomBytes(20);
  const chars = [...bytes].map((b) => alphabet[b % alphabet.length]);
  return [0, 5, 10, 15].map((i) => chars.slice(i, i + 5).join('')).join('-');
}

// A fixed hash to verify against when the e-mail is unknown, so both cases take the same time.
export const DUMMY_HASH_PROMISE = hashPassword(randomBytes(16).toString('hex'));
