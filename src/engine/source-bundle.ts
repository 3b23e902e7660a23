/**
 * A TypeScript module of the project and everything it imports, bundled by esbuild into one ES
 * module under the package's `node_modules/.cache/papertrade/`: what a worker thread started from
 * the sources runs (background-snapshot.ts, `startWorker`), and what the tests run as a child
 * process where a user would run the built CLI (test-kit/source-script.ts). Made once per process
 * and source file. The built package never comes here: its workers run dist's JavaScript files.
 *
 * Why: a thread or process that registered tsx's loader and imported the sources resolved and
 * transformed each of the graph's modules, and kysely's files, through the loader's hooks, which
 * Node 20 runs on a thread of their own: 1.5–3 s a snapshot worker's start on a loaded 2-core
 * machine, against about 0.2–0.6 s for its bundle (docs/adr/0058).
 *
 * Guarantees: each bundled source sees its own file's `import.meta.url` (the text is replaced by
 * that URL before esbuild reads it), so a path relative to a source resolves as it does unbundled;
 * packages are imported from the package's node_modules at run time as the built package imports
 * them, but for kysely (plain ES modules with no files of their own to find), which is bundled: its
 * ~100 files were a large share of a start; the file is named by a hash of its contents and
 * written through a rename, so processes that bundle at once never read a half-written file and a
 * changed source gives a new file. Stack traces map to the sources (inline source map, source maps
 * enabled in the thread or process).
 * Errors: a build error (a syntax error in a source) rejects, naming esbuild's messages; the next
 * call builds again.
 * Not modelled: bundles of older sources are not deleted (`npm ci` removes them with node_modules).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, extname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Packages bundled rather than imported at run time (see the module's comment). */
const BUNDLED_PACKAGES = new Set(['kysely']);
const CACHE_DIR = fileURLToPath(new URL('../../node_modules/.cache/papertrade/', import.meta.url));
/**
 * The expression replaced in each source, spelt in parts so that this file's own uses of it (the
 * regular expression and the banner's, which is the bundle's URL) are not replaced.
 */
const META_URL = ['import', 'meta', 'url'];
const IMPORT_META_URL = new RegExp(`\\b${META_URL.join('\\.')}\\b`, 'g');
/** A bundled CommonJS module's require(), and stack traces read through the source map. */
const BANNER = `import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(${META_URL.join('.')}); process.setSourceMapsEnabled(true);`;
/** Bundles made or being made by this process, by source file URL. */
const bundles = new Map<string, Promise<URL>>();

/** The URL of a one-file ES module bundle of the TypeScript module `source` and everything it imports (see the module's comment). */
export function sourceBundle(source: URL): Promise<URL> {
  let made = bundles.get(source.href);
  if (made === undefined) {
    made = bundle(source);
    bundles.set(source.href, made);
    // A failed build is not kept: the next call tries again (a source may have been mended).
    made.catch(() => bundles.delete(source.href));
  }
  return made;
}

async function bundle(source: URL): Promise<URL> {
  const esbuild = createRequire(import.meta.url)('esbuild') as typeof import('esbuild');
  const result = await esbuild.build({
    entryPoints: [fileURLToPath(source)],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    write: false,
    sourcemap: 'inline',
    sourcesContent: false,
    logLevel: 'silent',
    banner: { js: BANNER },
    plugins: [{
      name: 'papertrade-sources',
      setup(build) {
        // A module named by its file URL is bundled like a relative one.
        build.onResolve({ filter: /^file:/ }, (args) => ({ path: fileURLToPath(args.path) }));
        // A package (a bare specifier, `node:` builtins included) is imported at run time unless it is one of BUNDLED_PACKAGES.
        build.onResolve({ filter: /^[^./]/ }, (args) => {
          const name = args.path.startsWith('@') ? args.path.split('/', 2).join('/') : args.path.split('/', 1)[0]!;
          return BUNDLED_PACKAGES.has(name) ? undefined : { path: args.path, external: true };
        });
        build.onLoad({ filter: /\.ts$/ }, (args) => ({
          contents: readFileSync(args.path, 'utf8').replace(IMPORT_META_URL, JSON.stringify(pathToFileURL(args.path).href)),
          loader: 'ts',
        }));
      },
    }],
  });
  const text = result.outputFiles[0]!.text;
  const name = `${basename(fileURLToPath(source), extname(source.pathname))}-${createHash('sha256').update(text).digest('hex').slice(0, 16)}.mjs`;
  const file = `${CACHE_DIR}${name}`;
  if (!existsSync(file)) {
    mkdirSync(CACHE_DIR, { recursive: true });
    const partial = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    writeFileSync(partial, text);
    renameSync(partial, file);
  }
  return pathToFileURL(file);
}
