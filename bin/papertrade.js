#!/usr/bin/env node
// Entry point of the `papertrade` command: runs the compiled CLI (built by `npm install`).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const compiled = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
if (!existsSync(compiled)) {
  process.stderr.write('papertrade: the compiled CLI is missing; run `npm install` (or `npm run build`) first.\n');
  process.exit(1);
}

// In a checkout the sources lie beside the build (an installed package ships no sources). A source
// newer than the build (a pull without `npm install`, an edit without `npm run build`) is not what
// runs: said once, on stderr, and the command runs as built. Test files and the test kit are not built.
const sources = fileURLToPath(new URL('../src/', import.meta.url));
if (existsSync(sources)) {
  const built = statSync(compiled).mtimeMs;
  const newer = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name === 'test-kit') continue;
        const found = newer(path);
        if (found !== undefined) return found;
      } else if (/\.tsx?$/.test(entry.name) && !/\.test\.tsx?$/.test(entry.name) && statSync(path).mtimeMs > built) {
        return path;
      }
    }
    return undefined;
  };
  const found = newer(sources);
  if (found !== undefined) {
    process.stderr.write(`papertrade: ${found.slice(sources.length - 'src/'.length)} is newer than the build in dist/, which is what runs: \`npm run build\` (or \`npm install\`) builds it\n`);
  }
}
await import(compiled);
