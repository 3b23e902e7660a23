/**
 * `node --import ./bench/compiled.mjs --import tsx bench/<file>.ts`: the bench's product modules
 * come from `dist/` (compiled-hooks.mjs). Refuses to start when `dist/` is older than a source it
 * would stand for (a bench of stale code would report figures the sources no longer have), or has no
 * compiled file for a source tsconfig.build.json builds (no build yet, or a file added since): run
 * `npm run bench:build` (tsc) first.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { register } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
// The folders under src/ that tsconfig.build.json leaves out of the build (`src/<dir>` or
// `src/<dir>/**`): their sources have no compiled file and run as sources. Every other source must
// have one: without it (no build yet, or a file added since) the bench would run that module from
// its source and report it as the compiled package's figure.
const excluded = new Set(['test-kit', 'dashboard']);
if (existsSync(`${root}tsconfig.build.json`)) {
  for (const pattern of JSON.parse(readFileSync(`${root}tsconfig.build.json`, 'utf8')).exclude ?? []) {
    const dir = /^src\/([^*]+?)(?:\/\*\*)?$/.exec(pattern);
    if (dir !== null) excluded.add(dir[1]);
  }
}
const stale = [];
const missing = [];
const walk = (dir) => {
  for (const entry of readdirSync(`${root}src/${dir}`, { withFileTypes: true })) {
    const path = dir === '' ? entry.name : `${dir}/${entry.name}`;
    if (entry.isDirectory()) {
      if (!excluded.has(path)) walk(path);
      continue;
    }
    if (!path.endsWith('.ts') || path.endsWith('.test.ts') || path.endsWith('.d.ts')) continue;
    const compiled = `${root}dist/${path.slice(0, -3)}.js`;
    if (!existsSync(compiled)) missing.push(path);
    else if (statSync(compiled).mtimeMs < statSync(`${root}src/${path}`).mtimeMs) stale.push(path);
  }
};
walk('');
const some = (paths) => `${paths.slice(0, 3).join(', ')}${paths.length > 3 ? ', …' : ''}`;
if (stale.length > 0 || missing.length > 0) {
  if (stale.length > 0) process.stderr.write(`dist/ is older than ${stale.length} source file(s) (${some(stale)}): run \`npm run bench:build\` first.\n`);
  if (missing.length > 0) process.stderr.write(`dist/ has no compiled file for ${missing.length} source file(s) (${some(missing)}): run \`npm run bench:build\` first.\n`);
  process.exit(1);
}
register('./compiled-hooks.mjs', import.meta.url);
