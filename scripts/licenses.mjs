// `npm run licenses`: every production dependency (what `npm ci --omit=dev` installs, read from
// package-lock.json) with its licence, from its installed package.json; a licence outside the
// allow-list below is flagged and the exit code is 1. The allow-list holds the licences a
// dependency of an EUPL-1.2 work may carry: permissive ones, and the EUPL's own "compatible
// licences" with weak copyleft that covers only the dependency itself (MPL-2.0, LGPL, EPL).
// Strong copyleft (GPL, AGPL) is compatible with the EUPL only by relicensing the combination,
// so it is flagged for a person to decide.
//   npm run licenses [-- --all]   (--all: list every package, not only the summary and the flagged)
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const ALLOWED = new Set([
  'MIT',
  'MIT-0',
  'ISC',
  '0BSD',
  'BSD-2-Clause',
  'BSD-3-Clause',
  'Apache-2.0',
  'BlueOak-1.0.0',
  'CC0-1.0',
  'CC-BY-3.0',
  'CC-BY-4.0',
  'Unlicense',
  'Python-2.0',
  'Zlib',
  'PostgreSQL',
  'MPL-2.0',
  'LGPL-2.1',
  'LGPL-2.1-only',
  'LGPL-2.1-or-later',
  'LGPL-3.0',
  'LGPL-3.0-only',
  'LGPL-3.0-or-later',
  'EPL-1.0',
  'EPL-2.0',
  'EUPL-1.1',
  'EUPL-1.2',
]);

const root = join(import.meta.dirname, '..');
const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'));
const all = process.argv.includes('--all');

/** An SPDX expression is allowed when every AND part is, and one alternative of each OR is. */
function allowed(expression) {
  const text = expression.replace(/[()]/g, ' ').trim();
  return text
    .split(/\s+OR\s+/)
    .some((alternative) => alternative.split(/\s+AND\s+/).every((id) => ALLOWED.has(id.trim().replace(/\+$/, ''))));
}

function licenceOf(dir, locked) {
  const file = join(root, dir, 'package.json');
  const manifest = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  const value = manifest.license ?? manifest.licenses ?? locked.license;
  if (!value) return undefined;
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map((v) => (typeof v === 'string' ? v : v.type)).join(' OR ');
  return value.type;
}

const rows = [];
for (const [dir, locked] of Object.entries(lock.packages)) {
  if (dir === '' || locked.dev || locked.link) continue;
  if (!existsSync(join(root, dir))) continue; // an optional package for another platform
  const name = dir.slice(dir.lastIndexOf('node_modules/') + 'node_modules/'.length);
  const licence = licenceOf(dir, locked) ?? 'UNKNOWN';
  rows.push({ name, version: locked.version, licence, ok: licence !== 'UNKNOWN' && allowed(licence) });
}
rows.sort((a, b) => a.name.localeCompare(b.name));

const byLicence = new Map();
for (const row of rows) byLicence.set(row.licence, (byLicence.get(row.licence) ?? 0) + 1);
console.log(`holdfast is licensed under EUPL-1.2; ${rows.length} production packages:`);
for (const [licence, n] of [...byLicence].sort((a, b) => b[1] - a[1])) console.log(`  ${String(n).padStart(4)}  ${licence}`);
if (all) for (const row of rows) console.log(`${row.ok ? ' ' : '!'} ${row.name}@${row.version}  ${row.licence}`);
const flagged = rows.filter((row) => !row.ok);
if (flagged.length > 0) {
  console.log(`\nNot in the allow-list (check by hand, see scripts/licenses.mjs):`);
  for (const row of flagged) console.log(`  ${row.name}@${row.version}  ${row.licence}`);
  process.exit(1);
}
console.log('\nEvery licence is in the allow-list.');
