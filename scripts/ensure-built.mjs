// Builds the app before `npm start` and the command-line scripts when dist/ is missing or older
// than the sources, and only where the build tool is installed. After `npm ci --omit=dev` on a
// built tree there is no Nest CLI: the built app is used as it is (a missing build is an error
// that says what to do, not "nest: not found").
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const entry = join(root, 'dist', 'src', 'main.js');
const nest = join(root, 'node_modules', '.bin', 'nest');

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

const sources = ['src', 'migrations', 'bench'].map((d) => join(root, d)).filter((d) => existsSync(d));
const built = existsSync(entry) ? statSync(entry).mtimeMs : 0;
const stale = built === 0 || (sources.length > 0 && Math.max(...sources.map(newestSource)) > built);

if (stale && existsSync(nest)) {
  const result = spawnSync(nest, ['build'], { cwd: root, stdio: 'inherit' });
  process.exit(result.status ?? 1);
} else if (stale && built > 0) {
  console.error('holdfast: dist/ is older than the sources, and the build tool is not installed: starting the build as it is.');
} else if (built === 0) {
  console.error(
    'holdfast is not built (dist/src/main.js is missing) and the build tool is not installed: run `npm ci && npm run build`, ' +
      'then `npm ci --omit=dev` if the development dependencies must go.',
  );
  process.exit(1);
}
