/**
 * `bin/papertrade.js` in a checkout: a source newer than the build is said on stderr (it is not
 * what runs), and the command runs as built. Laid out in a temporary folder (bin/, dist/cli/main.js
 * standing in for the build, src/), each file's time set by hand.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../test-kit/data-paths.js';
import { scratchDir } from '../test-kit/scratch-dir.js';

const BUILT = new Date('2026-01-01T00:00:00Z');
const BEFORE = new Date('2025-12-31T00:00:00Z');
const AFTER = new Date('2026-01-02T00:00:00Z');

/** A checkout of `files` (path → time), its build stamped BUILT; runs its bin and answers what it printed. */
function run(files: Record<string, Date>): { stdout: string; stderr: string; status: number | null } {
  const root = scratchDir('papertrade-bin-');
  mkdirSync(join(root, 'bin'));
  copyFileSync(join(PROJECT_ROOT, 'bin/papertrade.js'), join(root, 'bin/papertrade.js'));
  writeFileSync(join(root, 'package.json'), '{"type":"module"}\n');
  const main = join(root, 'dist/cli/main.js');
  mkdirSync(dirname(main), { recursive: true });
  writeFileSync(main, "process.stdout.write('ran\\n');\n");
  utimesSync(main, BUILT, BUILT);
  for (const [path, time] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), '// a source\n');
    utimesSync(join(root, path), time, time);
  }
  const result = spawnSync(process.execPath, [join(root, 'bin/papertrade.js')], { encoding: 'utf8' });
  return { stdout: result.stdout, stderr: result.stderr, status: result.status };
}

describe('bin/papertrade.js and a build older than its sources', () => {
  it('says nothing when every built source is older than the build, or when there are no sources', () => {
    expect(run({ 'src/core/kernel.ts': BEFORE, 'src/dashboard/app.tsx': BEFORE })).toEqual({ stdout: 'ran\n', stderr: '', status: 0 });
    expect(run({})).toEqual({ stdout: 'ran\n', stderr: '', status: 0 });
  });

  it('ignores what the build leaves out: tests and the test kit', () => {
    expect(run({ 'src/core/kernel.ts': BEFORE, 'src/core/kernel.test.ts': AFTER, 'src/test-kit/kit.ts': AFTER }).stderr).toBe('');
  });

  it('names a newer source, and runs the build all the same', () => {
    expect(run({ 'src/core/kernel.ts': BEFORE, 'src/api/server.ts': AFTER })).toEqual({
      stdout: 'ran\n',
      stderr: 'papertrade: src/api/server.ts is newer than the build in dist/, which is what runs: `npm run build` (or `npm install`) builds it\n',
      status: 0,
    });
    expect(run({ 'src/dashboard/app.tsx': AFTER }).stderr).toMatch(/^papertrade: src\/dashboard\/app\.tsx is newer than the build/);
  });
});
