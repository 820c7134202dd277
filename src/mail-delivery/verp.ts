import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * VERP envelope senders: `bounces+<id>.<expiry>.<sig>@<bounceDomain>`, so a bounce names the
 * outbox row it belongs to by the address it is sent to, whatever (if anything) the bounce body
 * says, and the address stops working on its expiry day.
 *
 * - `<id>` is the outbox row's UUID in compact form (32 lower-case hex digits, no hyphens).
 *   With hyphens the local part would be 65 characters, one over the 64 RFC 5321 (4.5.3.1.1)
 *   allows, and strict relays refuse such senders. Parsing accepts the hyphenated form too.
 * - `<expiry>` is the last day the address is valid, in days since 1970-01-01 (UTC), base 36.
 * - `<sig>` is the first 16 hex digits (64 bits) of HMAC-SHA256(secret, "<canonical UUID>.<expiry>"),
 *   so no one can make us attribute a forged bounce to a message of their choice, nor extend an
 *   address's life. Hex, not base64url: some relays lower-case local parts, and base64url would
 *   not survive that. 7 + 1 + 32 + 1 + 3 + 1 + 16 = 61 characters.
 * - Addresses of mail sent before expiries existed (`bounces+<id>.<20 hex>@`, HMAC of the UUID
 *   alone) are still read, without an expiry; the listener then asks the message's age.
 *
 * Everything is compared case-insensitively for the same reason.
 */

const PREFIX = 'bounces';
const SIGNATURE_HEX_LENGTH = 16;
const LEGACY_SIGNATURE_HEX_LENGTH = 20;
const DAY_MS = 86_400_000;

export type VerpSecret = string | Buffer;

/** `validThrough`: the last day (UTC midnight) the address is valid; absent for the addresses of old mail. */
export type VerpParseResult =
  { messageId: string; validThrough?: Date } | { error: 'not_verp' | 'bad_signature' | 'wrong_domain' };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ID = '[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const LOCAL_PART = new RegExp(`^${PREFIX}\\+(${ID})\\.([0-9a-z]{1,4})\\.([0-9a-f]{${SIGNATURE_HEX_LENGTH}})$`);
const LEGACY_LOCAL_PART = new RegExp(`^${PREFIX}\\+(${ID})\\.([0-9a-f]{${LEGACY_SIGNATURE_HEX_LENGTH}})$`);

/** Lower-case, no surrounding blanks, no root dot: how DNS compares domains. */
function normalizeDomain(domain: string): string {
  return domain.trim().toLowerCase().replace(/\.+$/, '');
}

function checkSecret(secret: VerpSecret): void {
  // An empty key makes every signature computable by anyone.
  if (!(typeof secret === 'string' || Buffer.isBuffer(secret)) || secret.length === 0)
    throw new TypeError('VERP secret must be a non-empty string or Buffer');
}

function signature(canonicalId: string, expiry: string | undefined, secret: VerpSecret): string {
  const signed = expiry === undefined ? canonicalId : `${canonicalId}.${expiry}`;
  const hex = createHmac('sha256', secret).update(signed, 'utf8').digest('hex');
  return hex.slice(0, expiry === undefined ? LEGACY_SIGNATURE_HEX_LENGTH : SIGNATURE_HEX_LENGTH);
}

/** `0123abcd…` (32 hex digits) or the hyphenated form, to the canonical hyphenated lower-case UUID. */
function canonicalUuid(id: string): string {
  const hex = id.toLowerCase().replace(/-/g, '');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * The envelope sender for outbox message `messageId`, valid through the day of `validThrough`
 * (UTC). Throws on arguments that could only come from a programming or configuration error
 * (not a UUID, empty secret, no usable domain).
 */
export function verpAddress(messageId: string, secret: VerpSecret, bounceDomain: string, validThrough: Date): string {
  const id = typeof messageId === 'string' ? messageId.trim().toLowerCase() : '';
  if (!UUID.test(id)) throw new TypeError(`VERP message id must be a UUID, got ${JSON.stringify(messageId)}`);
  checkSecret(secret);
  const domain = typeof bounceDomain === 'string' ? normalizeDomain(bounceDomain) : '';
  if (!/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*$/.test(domain)) {
    throw new TypeError(`VERP bounce domain is not a domain name: ${JSON.stringify(bounceDomain)}`);
  }
  const expiry = Math.floor(validThrough.getTime() / DAY_MS).toString(36);
  return `${PREFIX}+${id.replace(/-/g, '')}.${expiry}.${signature(id, expiry, secret)}@${domain}`;
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

  const local = bare.slice(0, at).toLowerCase();
  const current = LOCAL_PART.exec(local);
  const legacy = current ? null : LEGACY_LOCAL_PART.exec(local);
  if (!current && !legacy) return { error: 'not_verp' };
  // Ours in shape but addressed to another domain (another installation or stage): not for us to act on.
  if (normalizeDomain(bare.slice(at + 1)) !== expectedDomain) return { error: 'wrong_domain' };

  const messageId = canonicalUuid((current ?? legacy)![1]);
  const expiry = current ? current[2] : undefined;
  const given = Buffer.from(current ? current[3] : legacy![2], 'utf8');
  // Every key is tried, whatever matched, so the time taken says nothing about which key (if any) did.
  let valid = false;
  for (const key of secrets) {
    const expected = Buffer.from(signature(messageId, expiry, key), 'utf8');
    // Both have the pattern's exact length of hex digits, as timingSafeEqual needs.
    if (timingSafeEqual(given, expected)) valid = true;
  }
  if (!valid) return { error: 'bad_signature' };
  return expiry === undefined ? { messageId } : { messageId, validThrough: new Date(parseInt(expiry, 36) * DAY_MS) };
}
