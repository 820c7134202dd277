import { parseVerpAddress, verpAddress } from './verp';

const SECRET = 'test-secret';
const DOMAIN = 'bounce.holdfast.example';
const ID = '3f1c2b9e-8a7d-4c6b-9e0f-1a2b3c4d5e6f';
// The address of mail sent before addresses had an expiry day: HMAC-SHA256('test-secret', ID), computed
// outside node: printf '%s' "$ID" | openssl dgst -sha256 -hmac test-secret (first 20 hex digits)
const SIG = '2c5f2d048e2a559bd4a4';
const ADDRESS = `bounces+3f1c2b9e8a7d4c6b9e0f1a2b3c4d5e6f.${SIG}@${DOMAIN}`;

// Valid through 2026-06-15 (UTC): day 20619 since 1970-01-01, "fwr" in base 36.
const VALID_THROUGH = new Date('2026-06-15T17:30:00Z');
// HMAC-SHA256('test-secret', ID + '.fwr'), computed outside node:
// printf '%s' "$ID.fwr" | openssl dgst -sha256 -hmac test-secret (first 16 hex digits)
const CURRENT = `bounces+3f1c2b9e8a7d4c6b9e0f1a2b3c4d5e6f.fwr.8d8433aff5d3ee3f@${DOMAIN}`;

describe('verpAddress', () => {
  it('builds bounces+<compact uuid>.<last valid day, base 36>.<16 hex of the HMAC>@<domain>', () => {
    expect(verpAddress(ID, SECRET, DOMAIN, VALID_THROUGH)).toBe(CURRENT);
  });

  it('stays within the 64 characters RFC 5321 allows a local part, in lower case only', () => {
    const address = verpAddress(ID, SECRET, DOMAIN, new Date('2199-12-31T00:00:00Z'));
    const local = address.slice(0, address.lastIndexOf('@'));
    expect(local.length).toBeLessThanOrEqual(64);
    expect(local).toBe(local.toLowerCase());
    expect(local).toMatch(/^[a-z0-9+.]+$/);
  });

  it('gives one address for one message and day however the id and domain are written', () => {
    expect(verpAddress(ID.toUpperCase(), SECRET, 'Bounce.Holdfast.Example.', new Date('2026-06-15T00:00:00Z'))).toBe(CURRENT);
  });

  it('signs with the secret: another secret, another signature', () => {
    expect(verpAddress(ID, 'other-secret', DOMAIN, VALID_THROUGH)).not.toBe(CURRENT);
    expect(verpAddress(ID, Buffer.from(SECRET), DOMAIN, VALID_THROUGH)).toBe(CURRENT);
  });

  it('reads back the message and the last valid day; a changed day breaks the signature', () => {
    expect(parseVerpAddress(CURRENT, SECRET, DOMAIN)).toEqual({ messageId: ID, validThrough: new Date('2026-06-15T00:00:00Z') });
    expect(parseVerpAddress(CURRENT.replace('.fwr.', '.fws.'), SECRET, DOMAIN)).toEqual({ error: 'bad_signature' });
    // Mail sent before addresses had a day: still read, without one (the listener asks the message's age).
    expect(parseVerpAddress(ADDRESS, SECRET, DOMAIN)).toEqual({ messageId: ID });
  });

  it.each<[string, () => string]>([
    ['a message id that is not a UUID', () => verpAddress('12345', SECRET, DOMAIN, VALID_THROUGH)],
    [
      'a UUID without hyphens (not how outbox ids are written)',
      () => verpAddress(ID.replace(/-/g, ''), SECRET, DOMAIN, VALID_THROUGH),
    ],
    ['an empty secret', () => verpAddress(ID, '', DOMAIN, VALID_THROUGH)],
    ['an empty domain', () => verpAddress(ID, SECRET, '', VALID_THROUGH)],
    ['a domain with an @', () => verpAddress(ID, SECRET, 'x@bounce.example', VALID_THROUGH)],
  ])('refuses %s', (_name, call) => {
    expect(call).toThrow(TypeError);
  });
});

describe('parseVerpAddress', () => {
  const ids = [
    ID,
    '00000000-0000-4000-8000-000000000000',
    'ffffffff-ffff-4fff-bfff-ffffffffffff',
    'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
  ];
  it.each(ids)('round trip of %s', (id) => {
    expect(parseVerpAddress(verpAddress(id, SECRET, DOMAIN, VALID_THROUGH), SECRET, DOMAIN)).toEqual({
      messageId: id,
      validThrough: new Date('2026-06-15T00:00:00Z'),
    });
  });

  const flip = (hex: string): string => (hex[0] === '0' ? '1' : '0') + hex.slice(1);

  const cases: Array<{ name: string; address: unknown; expected: ReturnType<typeof parseVerpAddress> }> = [
    { name: 'the address as built', address: ADDRESS, expected: { messageId: ID } },
    { name: 'upper-cased by a relay', address: ADDRESS.toUpperCase(), expected: { messageId: ID } },
    {
      name: 'mixed case',
      address: `Bounces+3F1C2B9E8A7D4C6B9E0F1A2B3C4D5E6F.${SIG.toUpperCase()}@Bounce.HOLDFAST.example`,
      expected: { messageId: ID },
    },
    { name: 'in angle brackets with blanks, as in a header', address: ` <${ADDRESS}> `, expected: { messageId: ID } },
    { name: 'with a root dot on the domain', address: `${ADDRESS}.`, expected: { messageId: ID } },
    { name: 'with the UUID hyphenated', address: `bounces+${ID}.${SIG}@${DOMAIN}`, expected: { messageId: ID } },
    {
      name: 'a forged signature',
      address: `bounces+3f1c2b9e8a7d4c6b9e0f1a2b3c4d5e6f.${flip(SIG)}@${DOMAIN}`,
      expected: { error: 'bad_signature' },
    },
    {
      name: 'a signature of another message',
      address: `bounces+00000000000040008000000000000000.${SIG}@${DOMAIN}`,
      expected: { error: 'bad_signature' },
    },
    {
      name: 'an all-zero signature',
      address: `bounces+3f1c2b9e8a7d4c6b9e0f1a2b3c4d5e6f.${'0'.repeat(20)}@${DOMAIN}`,
      expected: { error: 'bad_signature' },
    },
    { name: 'another domain', address: ADDRESS.replace(DOMAIN, 'evil.example'), expected: { error: 'wrong_domain' } },
    { name: 'a subdomain of ours', address: ADDRESS.replace(DOMAIN, `x.${DOMAIN}`), expected: { error: 'wrong_domain' } },
    {
      name: 'a signature one digit short',
      address: `bounces+3f1c2b9e8a7d4c6b9e0f1a2b3c4d5e6f.${SIG.slice(1)}@${DOMAIN}`,
      expected: { error: 'not_verp' },
    },
    {
      name: 'a signature one digit long',
      address: `bounces+3f1c2b9e8a7d4c6b9e0f1a2b3c4d5e6f.${SIG}0@${DOMAIN}`,
      expected: { error: 'not_verp' },
    },
    {
      name: 'a base64url signature',
      address: `bounces+3f1c2b9e8a7d4c6b9e0f1a2b3c4d5e6f.LF8tBI4qVZvUpG_W@${DOMAIN}`,
      expected: { error: 'not_verp' },
    },
    {
      name: 'another prefix',
      address: `returns+3f1c2b9e8a7d4c6b9e0f1a2b3c4d5e6f.${SIG}@${DOMAIN}`,
      expected: { error: 'not_verp' },
    },
    { name: 'the bare bounce mailbox', address: `bounces@${DOMAIN}`, expected: { error: 'not_verp' } },
    { name: 'a person', address: 'lena.beispiel@web.de', expected: { error: 'not_verp' } },
    { name: 'no @', address: 'bounces+3f1c2b9e8a7d4c6b9e0f1a2b3c4d5e6f.2c5f2d048e2a559bd4a4', expected: { error: 'not_verp' } },
    { name: 'nothing before the @', address: `@${DOMAIN}`, expected: { error: 'not_verp' } },
    { name: 'an empty string', address: '', expected: { error: 'not_verp' } },
    { name: 'the null sender', address: '<>', expected: { error: 'not_verp' } },
    { name: 'binary garbage', address: '\u0000\u00ff@@\ud800', expected: { error: 'not_verp' } },
    { name: 'something longer than any address', address: `${'a'.repeat(400)}@${DOMAIN}`, expected: { error: 'not_verp' } },
    { name: 'not a string at all', address: undefined, expected: { error: 'not_verp' } },
  ];

  it.each(cases)('$name', ({ address, expected }) => {
    expect(parseVerpAddress(address as string, SECRET, DOMAIN)).toEqual(expected);
  });

  it('accepts the configured domain however it is written', () => {
    expect(parseVerpAddress(ADDRESS, SECRET, ' BOUNCE.holdfast.example. ')).toEqual({ messageId: ID });
  });

  it('refuses an address signed with another secret', () => {
    expect(parseVerpAddress(verpAddress(ID, 'old-secret', DOMAIN, VALID_THROUGH), SECRET, DOMAIN)).toEqual({
      error: 'bad_signature',
    });
  });

  it('accepts addresses signed with any key of a rotation list, and none outside it', () => {
    const oldAddress = verpAddress(ID, 'old-secret', DOMAIN, VALID_THROUGH);
    expect(parseVerpAddress(oldAddress, [SECRET, 'old-secret'], DOMAIN)).toMatchObject({ messageId: ID });
    expect(parseVerpAddress(ADDRESS, [SECRET, 'old-secret'], DOMAIN)).toEqual({ messageId: ID });
    expect(parseVerpAddress(oldAddress, [SECRET, 'older-secret'], DOMAIN)).toEqual({ error: 'bad_signature' });
  });

  it('refuses to run without a usable secret or domain (configuration errors)', () => {
    expect(() => parseVerpAddress(ADDRESS, '', DOMAIN)).toThrow(TypeError);
    expect(() => parseVerpAddress(ADDRESS, [], DOMAIN)).toThrow(TypeError);
    expect(() => parseVerpAddress(ADDRESS, SECRET, '')).toThrow(TypeError);
  });
});
