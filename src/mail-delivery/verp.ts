import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * VERP envelope senders: `bounces+<id>.<sig>@<bounceDomain>`, so a bounce names the outbox row
 * it belongs to by the address it is sent to, whatever (if anything) the bounce body says.
 *
 * - `<id>` is the outbox row's UUID in compact form (32 lower-case hex digits, no hyphens).
 *   With hyphens the local part would be 65 characters, one over the 64 RFC 5321 (4.5.3.1.1)
 *   allows, and strict relays refuse such senders. Parsing accepts the hyphenated form too.
 * - `<sig>` is the first 20 hex digits (80 bits) of HMAC-SHA256(secret, canonical UUID), so no
 *   one can make us attribute a forged bounce to a message of their choice. Hex, not base64url:
 *   some relays lower-case local parts, and base64url would not survive that.
 *
 * Everything is compared case-insensitively for the same reason.
 */

const PREFIX = 'bounces';
const SIGNATURE_HEX_LENGTH = 20;

export type VerpSecret = string | Buffer;

export type VerpParseResult = { messageId: string } | { error: 'not_verp' | 'bad_signature' | 'wrong_domain' };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const LOCAL_PART = new RegExp(
  `^${PREFIX}\\+([0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\\.([0-9a-f]{${SIGNATURE_HEX_LENGTH}})$`,
);

/** Lower-case, no surrounding blanks, no root dot: how DNS compares domains. */
function normalizeDomain(domain: string): string {
  return domain.trim().toLowerCase().replace(/\.+$/, '');
}

function checkSecret(secret: VerpSecret): void {
  // An empty key makes every signature computable by anyone.
  if (!(typeof secret === 'string' || Buffer.isBuffer(secret)) || secret.length === 0)
    throw new TypeError('VERP secret must be a non-empty string or Buffer');
}

function signature(canonicalId: string, secret: VerpSecret): string {
  return createHmac('sha256', secret).update(canonicalId, 'utf8').digest('hex').slice(0, SIGNATURE_HEX_LENGTH);
}

/** `0123abcd…` (32 hex digits) or the hyphenated form, to the canonical hyphenated lower-case UUID. */
function canonicalUuid(id: string): string {
  const hex = id.toLowerCase().replace(/-/g, '');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * The envelope sender for outbox message `messageId`. Throws on arguments that could only come
 * from a programming or configuration error (not a UUID, empty secret, no usable domain).
 */
export function verpAddress(messageId: string, secret: VerpSecret, bounceDomain: string): string {
  const id = typeof messageId === 'string' ? messageId.trim().toLowerCase() : '';
  if (!UUID.test(id)) throw new TypeError(`VERP message id must be a UUID, got ${JSON.stringify(messageId)}`);
  checkSecret(secret);
  const domain = typeof bounceDomain === 'string' ? normalizeDomain(bounceDomain) : '';
  if (!/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*$/.test(domain)) {
    throw new TypeError(`VERP bounce domain is not a domain name: ${JSON.stringify(bounceDomain)}`);
  }
  return `${PREFIX}+${id.replace(/-/g, '')}.${signature(id, secret)}@${domain}`;
}

/**
 * The outbox message id a bounce address stands for, or why it does not stand for one.
 *
 * `secret` may be a list (current key first, then retired ones): bounces arrive days after
 * sending (relays retry for up to 5 days), so a key rotation must not orphan them.
 * The address may come with angle brackets and blanks, as in a Delivered-To or RCPT TO.
 * Never throws on the address; a bad secret or domain argument is a configuration error and does.
 */
export function parseVerpAddress(
  address: string,
  secret: VerpSecret | ReadonlyArray<VerpSecret>,
  bounceDomain: string,
): VerpParseResult {
  const secrets: ReadonlyArray<VerpSecret> = Array.isArray(secret) ? secret : [secret as VerpSecret];
  if (secrets.length === 0) throw new TypeError('VERP secret list is empty');
  secrets.forEach(checkSecret);
  const expectedDomain = normalizeDomain(String(bounceDomain ?? ''));
  if (!expectedDomain) throw new TypeError('VERP bounce domain is empty');

  if (typeof address !== 'string' || address.length > 320) return { error: 'not_verp' };
  const bare = address.trim().replace(/^<\s*(.*?)\s*>$/, '$1');
  const at = bare.lastIndexOf('@');
  if (at <= 0) return { error: 'not_verp' };

  const match = LOCAL_PART.exec(bare.slice(0, at).toLowerCase());
  if (!match) return { error: 'not_verp' };
  // Ours in shape but addressed to another domain (another installation or stage): not for us to act on.
  if (normalizeDomain(bare.slice(at + 1)) !== expectedDomain) return { error: 'wrong_domain' };

  const messageId = canonicalUuid(match[1]);
  const given = Buffer.from(match[2], 'utf8');
  // Every key is tried, whatever matched, so the time taken says nothing about which key (if any) did.
  let valid = false;
  for (const key of secrets) {
    const expected = Buffer.from(signature(messageId, key), 'utf8');
    // Both are exactly SIGNATURE_HEX_LENGTH hex digits (the pattern guarantees it), as timingSafeEqual needs.
    if (timingSafeEqual(given, expected)) valid = true;
  }
  return valid ? { messageId } : { error: 'bad_signature' };
}
