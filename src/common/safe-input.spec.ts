import { findUnsafeInput, MAX_INPUT_DEPTH } from './safe-input';

describe('findUnsafeInput: what PostgreSQL or class-transformer would refuse late', () => {
  const nested = (depth: number): unknown => (depth === 0 ? 'x' : [nested(depth - 1)]);
  it.each<[string, unknown, ReturnType<typeof findUnsafeInput>]>([
    ['plain text, umlauts, emoji (a surrogate pair)', { name: 'Jürgen Groß 😀', n: 3, ok: true, none: null }, undefined],
    ['tabs and line breaks', { reason: 'Zeile 1\nZeile 2\tEnde\r\n' }, undefined],
    ['a NUL', { reason: 'Wartung\u0000' }, { problem: 'characters', path: 'reason' }],
    ['a lone high surrogate', { name: 'a\uD800b' }, { problem: 'characters', path: 'name' }],
    ['a lone low surrogate', { email: '\uDC00@example.org' }, { problem: 'characters', path: 'email' }],
    ['a high surrogate at the end', { name: 'abc\uD83D' }, { problem: 'characters', path: 'name' }],
    ['deep inside', { a: { b: [{ c: 'ok' }, { d: 'x\u0000' }] } }, { problem: 'characters', path: 'a.b.1.d' }],
    ['in a key', { ['k\u0000']: 1 }, { problem: 'characters', path: 'k?' }],
    ['a bare string', 'x\u0000', { problem: 'characters', path: '(value)' }],
    [`nested ${MAX_INPUT_DEPTH} deep: allowed`, nested(MAX_INPUT_DEPTH), undefined],
    [`nested ${MAX_INPUT_DEPTH + 1} deep: refused`, nested(MAX_INPUT_DEPTH + 1), { problem: 'depth', path: expect.any(String) }],
  ])('%s', (_name, value, expected) => {
    expect(findUnsafeInput(value)).toEqual(expected);
  });

  it('5,000 levels without overflowing its own stack', () => {
    const deep = JSON.parse(`${'['.repeat(5000)}${']'.repeat(5000)}`);
    expect(findUnsafeInput(deep)).toMatchObject({ problem: 'depth' });
  });
});
