import { createHash, createHmac, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';

// No 0/O, 1/I/L, U: a reference is read out on the phone.
const REFERENCE_ALPHABET = '23456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A booking reference such as `HF-7K3Q-9MPD` (30^8 ≈ 6.6e11 values; uniqueness is the database's job). */
export function newBookingReference(): string {
  const pick = () => REFERENCE_ALPHABET[randomInt(REFERENCE_ALPHABET.length)];
  const group = () => Array.from({ length: 4 }, pick).join('');
  return `HF-${group()}-${group()}`;
}

export function normalizeReference(input: string): string {
  return input.trim().toUpperCase().replace(/[\s_]/g, '-');
}

/** 32 random bytes, base64url: the secret part of a link or a session. */
export function newSecretToken(): string {
  return randomBytes(32).toString('base64url');
}

export function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

export function hmacToken(secret: string, purpose: string, subject: string): string {
  return createHmac('sha256', secret).update(`${purpose}:${subject}`).digest('base64url');
}

export function safeEqual(expected: string, given: string): boolean {
  const left = Buffer.from(expected);
  const right = Buffer.from(given);
  return left.length === right.length && timingSafeEqual(left, right);
}
