import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EnvSchema } from './app-config';

/** `.env.example` is the list a city's IT starts from: exactly the variables the configuration reads. */
describe('.env.example', () => {
  const text = readFileSync(join(__dirname, '..', '..', '.env.example'), 'utf8');
  const listed = [...text.matchAll(/^#? ?([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]);

  it('lists every variable of the configuration, each once, and no other', () => {
    const read = Object.keys(new EnvSchema()).sort();
    expect([...listed].sort()).toEqual(read);
    expect(new Set(listed).size).toBe(listed.length);
  });
});
