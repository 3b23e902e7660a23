/**
 * `scratchDir(prefix)`: a new directory under the system's temporary directory (`mkdtemp`), removed
 * with everything in it once the test file that made it has run all its tests and hooks, whether
 * they passed or failed. Not sooner: a server process a test started may write there until a later
 * hook stops it.
 * Relies on vitest's default isolation (this module is loaded once per test file, and its
 * `afterAll` belongs to that file). Errors: the `mkdtemp` errors as they are; a removal that
 * fails is ignored (`force`, retried a few times while a process lets go of the files).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

const made = new Set<string>();

// Registered when a test file first imports this module: on the file's own suite, so it runs last.
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  made.clear();
});

export function scratchDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.add(dir);
  return dir;
}
