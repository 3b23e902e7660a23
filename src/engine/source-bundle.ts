/**
 * A TypeScript module of the project and everything it imports, bundled by esbuild into ES modules
 * (the entry, and a file for each part it loads with `await import(…)`) in a folder under the
 * package's `node_modules/.cache/papertrade/`: what a worker thread started from
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
 * ~100 files were a large share of a start; what a module imports with `await import(…)`, and the
 * packages only that imports, load when that import runs, as from dist (a one-file bundle loaded
 * ccxt for `papertrade --help`: 1.8 s against 0.35 s); the folder is named by a hash of its files
 * and written through a rename, so processes that bundle at once never read a half-written file
 * and a changed source gives a new folder. Stack traces map to the sources (inline source maps,
 * source maps enabled in the thread or process).
 * Errors: a build error (a syntax error in a source) rejects, naming esbuild's messages; the next
 * call builds again.
 * Not modelled: bundles of older sources are not deleted (`npm ci` removes them with node_modules).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, extname, join, relative } from 'node:path';
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

/** The URL of the entry of an ES module bundle of the TypeScript module `source` and everything it imports (see the module's comment). */
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
  const entry = fileURLToPath(source);
  const name = basename(entry, extname(entry));
  const outdir = join(CACHE_DIR, '.build');
  const result = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    // What a module imports with `await import(…)` stays in a file of its own, loaded when that
    // runs, as from dist: `papertrade --help` loads no command's work, nor the packages it imports.
    splitting: true,
    outdir,
    entryNames: name,
    outExtension: { '.js': '.mjs' },
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
  // The entry and its chunks go in a folder named by a hash of them all, written whole under a
  // temporary name and renamed into place.
  const hash = createHash('sha256');
  for (const file of result.outputFiles) hash.update(relative(outdir, file.path)).update('\0').update(file.contents);
  const folder = join(CACHE_DIR, `${name}-${hash.digest('hex').slice(0, 16)}`);
  const main = join(folder, `${name}.mjs`);
  if (!existsSync(main)) {
    const partial = `${folder}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    for (const file of result.outputFiles) {
      const path = join(partial, relative(outdir, file.path));
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, file.contents);
    }
    try {
      renameSync(partial, folder);
    } catch (error) {
      // Another process put the same folder in place first: its files are these.
      rmSync(partial, { recursive: true, force: true });
      if (!existsSync(main)) throw error;
    }
  }
  return pathToFileURL(main);
}
