/**
 * The benches' module hooks (bench/compiled.mjs, bench/compiled-hooks.mjs), on a project tree of
 * their own: the product's modules come from `dist/`, one file per module whoever imports it, the
 * test kit stays a source, and a `dist/` older than a source refuses to run.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const bench = new URL('../../bench/', import.meta.url);
const roots: string[] = [];

function tree(): string {
  const root = mkdtempSync(join(tmpdir(), 'compiled-hooks-'));
  roots.push(root);
  for (const dir of ['bench', 'src/test-kit', 'src/dashboard', 'dist']) mkdirSync(join(root, dir), { recursive: true });
  for (const file of ['compiled.mjs', 'compiled-hooks.mjs']) copyFileSync(new URL(file, bench), join(root, 'bench', file));
  // An ES module package, as the project is (without it tsx would load the sources as CommonJS).
  writeFileSync(join(root, 'package.json'), '{ "type": "module" }\n');
  writeFileSync(join(root, 'src/money.ts'), "export const built: string = 'source';\nexport class Money {}\n");
  writeFileSync(join(root, 'dist/money.js'), "export const built = 'compiled';\nexport class Money {}\n");
  // The test kit stays a source, even beside a compiled copy (a build of long ago), and its own
  // import of a product module goes to dist/ too.
  writeFileSync(join(root, 'src/test-kit/kit.ts'), "import { Money } from '../money.js';\nexport const kitMoney = Money;\nexport const kit: string = 'source';\n");
  mkdirSync(join(root, 'dist/test-kit'));
  writeFileSync(join(root, 'dist/test-kit/kit.js'), "export { Money as kitMoney } from '../money.js';\nexport const kit = 'compiled';\n");
  writeFileSync(
    join(root, 'bench/probe.ts'),
    "import { built, Money } from '../src/money.js';\nimport { kit, kitMoney } from '../src/test-kit/kit.js';\nconsole.log(JSON.stringify({ built, kit, same: Money === kitMoney }));\n",
  );
  // Sources older than their compiled files, as after a build.
  const past = new Date(Date.now() - 60_000);
  utimesSync(join(root, 'src/money.ts'), past, past);
  utimesSync(join(root, 'src/test-kit/kit.ts'), past, past);
  return root;
}

const probe = (root: string) =>
  run(process.execPath, ['--import', join(root, 'bench/compiled.mjs'), '--import', 'tsx', join(root, 'bench/probe.ts')], { cwd: process.cwd() });

afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

describe('the benches run the compiled package', () => {
  it('resolves a product module to dist/, the same module for the bench and the test kit, and keeps the test kit a source', async () => {
    const { stdout } = await probe(tree());
    expect(JSON.parse(stdout)).toEqual({ built: 'compiled', kit: 'source', same: true });
  });

  it('refuses to run a dist/ older than a source, naming the source', async () => {
    const root = tree();
    const future = new Date(Date.now() + 60_000);
    utimesSync(join(root, 'src/money.ts'), future, future);
    const failed = await probe(root).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toContain('dist/ is older than 1 source file(s) (money.ts)');
  });

  it('refuses to run a dist/ without a compiled file for a source the build compiles, and runs one the build leaves out as a source', async () => {
    const root = tree();
    writeFileSync(join(root, 'tsconfig.build.json'), '{ "include": ["src"], "exclude": ["src/**/*.test.ts", "src/test-kit/**", "src/dashboard", "src/live/test-server/**"] }\n');
    // Left out of the build: no compiled file, run from the source.
    mkdirSync(join(root, 'src/live/test-server'), { recursive: true });
    writeFileSync(join(root, 'src/live/test-server/server.ts'), "export const server: string = 'source';\n");
    await expect(probe(root).then(({ stdout }) => JSON.parse(stdout))).resolves.toEqual({ built: 'compiled', kit: 'source', same: true });
    // Added since the build: the bench would run it from its source.
    writeFileSync(join(root, 'src/fees.ts'), 'export const fee: number = 1;\n');
    const failed = await probe(root).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toContain('dist/ has no compiled file for 1 source file(s) (fees.ts)');
  });
});
