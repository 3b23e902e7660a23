/**
 * Module hooks for the benches: the product's modules from `dist/` (what `npm start`, the bin and
 * the package's importers run: tsc's output) instead of their TypeScript sources under `src/`.
 *
 * The benches are TypeScript run through tsx, which compiles each module it loads with esbuild, its
 * `keepNames` on (a call per function or class created, to set its name). The product runs tsc's
 * output, which reached its speed sooner than the sources under tsx (1.2–1.3× in short runs; within
 * the noise at the benches' steady state: docs/adr/0055). A specifier that resolves to
 * `src/<path>.ts` resolves instead to `dist/<path>.js` when that file exists; `src/test-kit/`, the
 * dashboard and the few files tsconfig.build.json leaves out stay sources. Registered by
 * `bench/compiled.mjs`, which first checks that `dist/` is not older than the sources.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = new URL('../', import.meta.url).href;
const SRC = `${ROOT}src/`;
const DIST = `${ROOT}dist/`;

export async function resolve(specifier, context, nextResolve) {
  const resolved = await nextResolve(specifier, context);
  const url = resolved.url;
  if (!url.startsWith(SRC) || url.startsWith(`${SRC}test-kit/`) || url.startsWith(`${SRC}dashboard/`)) return resolved;
  const compiled = `${DIST}${url.slice(SRC.length).replace(/\.ts$/, '.js')}`;
  if (!compiled.endsWith('.js') || !existsSync(fileURLToPath(compiled))) return resolved;
  return { url: pathToFileURL(fileURLToPath(compiled)).href, format: 'module', shortCircuit: true };
}
