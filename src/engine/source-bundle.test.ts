import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { sourceBundle } from './source-bundle.js';

const dir = mkdtempSync(join(tmpdir(), 'papertrade-worker-bundle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A TypeScript module graph in `dir`: the entry (what a worker runs) and a module in a folder below it. */
function writeGraph(name: string, entry: string, child: string): URL {
  mkdirSync(join(dir, name, 'sub'), { recursive: true });
  writeFileSync(join(dir, name, 'sub', 'child.ts'), child);
  writeFileSync(join(dir, name, 'entry.ts'), entry);
  return pathToFileURL(join(dir, name, 'entry.ts'));
}

function firstMessage(url: URL): Promise<unknown> {
  const worker = new Worker(url);
  return new Promise((resolve, reject) => {
    worker.once('message', (message) => void worker.terminate().then(() => resolve(message)));
    worker.once('error', reject);
  });
}

describe('a worker run from the TypeScript sources, bundled', () => {
  it("each module sees its own file's import.meta.url, so paths relative to a source resolve as unbundled", async () => {
    const entry = writeGraph(
      'urls',
      [
        "import { parentPort } from 'node:worker_threads';",
        "import { childUrl, besideChild } from './sub/child.js';",
        "const own: string = import.meta.url;",
        "parentPort!.postMessage({ own, childUrl, besideChild, sibling: new URL('./data.json', import.meta.url).href });",
      ].join('\n'),
      [
        "export const childUrl: string = import.meta.url;",
        "export const besideChild: string = new URL('../up.txt', import.meta.url).href;",
      ].join('\n'),
    );
    const bundle = await sourceBundle(entry);
    expect(bundle.href).not.toBe(entry.href);
    // The oracle: the URLs of the files themselves, as Node gives them to an unbundled module.
    expect(await firstMessage(bundle)).toEqual({
      own: entry.href,
      childUrl: pathToFileURL(join(dir, 'urls', 'sub', 'child.ts')).href,
      besideChild: pathToFileURL(join(dir, 'urls', 'up.txt')).href,
      sibling: pathToFileURL(join(dir, 'urls', 'data.json')).href,
    });
  });

  it('one build per source in a process: concurrent starts share it; the file is named by its contents', async () => {
    const entry = writeGraph('shared', "import { parentPort } from 'node:worker_threads';\nimport { n } from './sub/child.js';\nparentPort!.postMessage(n * 2);", 'export const n: number = 21;');
    const [a, b] = await Promise.all([sourceBundle(entry), sourceBundle(entry)]);
    expect(a.href).toBe(b.href);
    expect(await firstMessage(a)).toBe(42);
    expect(readFileSync(a, 'utf8')).toContain('var n = 21');
  });

  it('a module imported by its file URL is bundled; packages are imported at run time', async () => {
    const child = pathToFileURL(join(dir, 'by-url', 'sub', 'child.ts')).href;
    const entry = writeGraph(
      'by-url',
      `import { parentPort } from 'node:worker_threads';\nimport { sep } from 'node:path';\nconst { word } = await import(${JSON.stringify(child)});\nparentPort!.postMessage([word, sep]);`,
      "export const word: string = 'bundled';",
    );
    const bundle = await sourceBundle(entry);
    expect(await firstMessage(bundle)).toEqual(['bundled', '/']);
    expect(readFileSync(bundle, 'utf8')).toMatch(/from "node:path"/);
  });

  it('a source that does not compile rejects naming the error, and is built again once mended', async () => {
    const entry = writeGraph('broken', "import { parentPort } from 'node:worker_threads';\nparentPort!.postMessage(1 +);", 'export {};');
    await expect(sourceBundle(entry)).rejects.toThrow(/entry\.ts.*Unexpected/s);
    writeFileSync(join(dir, 'broken', 'entry.ts'), "import { parentPort } from 'node:worker_threads';\nparentPort!.postMessage(1 + 2);");
    // Let the rejected build leave the process's map before asking again.
    await new Promise((resolve) => setImmediate(resolve));
    expect(await firstMessage(await sourceBundle(entry))).toBe(3);
  });

  it('what a module imports with await import(), and the packages only it imports, load when that import runs', async () => {
    const entry = writeGraph(
      'lazy',
      [
        "import { parentPort } from 'node:worker_threads';",
        "const before = typeof (globalThis as { lazyLoaded?: boolean }).lazyLoaded;",
        "const { name } = await import('./sub/child.js');",
        "parentPort!.postMessage([before, name]);",
      ].join('\n'),
      "import { Command } from 'commander';\n(globalThis as { lazyLoaded?: boolean }).lazyLoaded = true;\nexport const name: string = new Command('lazy').name();",
    );
    const bundle = await sourceBundle(entry);
    expect(await firstMessage(bundle)).toEqual(['undefined', 'lazy']);
    // The entry's own file names neither the child's code nor its package: they are in a file of their own.
    const text = readFileSync(bundle, 'utf8');
    expect(text).not.toMatch(/from "commander"/);
    expect(text).not.toContain('lazyLoaded = true');
  });
});
