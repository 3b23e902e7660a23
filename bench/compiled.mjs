/**
 * `node --import ./bench/compiled.mjs --import tsx bench/<file>.ts`: the bench's product modules
 * come from `dist/` (compiled-hooks.mjs). Refuses to start when `dist/` is older than a source it
 * would stand for (a bench of stale code would report figures the sources no longer have): run
 * `npm run bench:build` (tsc) first.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { register } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const stale = [];
const walk = (dir) => {
  for (const entry of readdirSync(`${root}src/${dir}`, { withFileTypes: true })) {
    const path = dir === '' ? entry.name : `${dir}/${entry.name}`;
    if (entry.isDirectory()) {
      if (path !== 'test-kit' && path !== 'dashboard') walk(path);
      continue;
    }
    if (!path.endsWith('.ts') || path.endsWith('.test.ts') || path.endsWith('.d.ts')) continue;
    const compiled = `${root}dist/${path.slice(0, -3)}.js`;
    // Only sources tsc compiles have a compiled file (tsconfig.build.json excludes a few): those
    // without one are run from the sources, as before.
    if (existsSync(compiled) && statSync(compiled).mtimeMs < statSync(`${root}src/${path}`).mtimeMs) stale.push(path);
  }
};
walk('');
if (stale.length > 0) {
  process.stderr.write(`dist/ is older than ${stale.length} source file(s) (${stale.slice(0, 3).join(', ')}${stale.length > 3 ? ', …' : ''}): run \`npm run bench:build\` first.\n`);
  process.exit(1);
}
register('./compiled-hooks.mjs', import.meta.url);
