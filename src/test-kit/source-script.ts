/**
 * A TypeScript script of the project as a child process runs it: the path of its bundle
 * (engine/source-bundle.ts), for `spawn(process.execPath, [await sourceScript(script), ...args])`.
 * It stands for the built package's `node dist/…` without a build first, and without tsx's loader
 * in the child, whose start took several seconds a process on a loaded machine (docs/adr/0058).
 * `script` is relative to the project's root. Rejects naming esbuild's errors when a source does
 * not compile.
 */
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { sourceBundle } from '../engine/source-bundle.js';
import { PROJECT_ROOT } from './data-paths.js';

export async function sourceScript(script: string): Promise<string> {
  return fileURLToPath(await sourceBundle(pathToFileURL(resolve(PROJECT_ROOT, script))));
}
