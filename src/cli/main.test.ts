/** `papertrade` as a user runs it: a usage error exits 2 on every command, help exits 0. */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../test-kit/data-paths.js';
import { sourceScript } from '../test-kit/source-script.js';

/** The CLI as a child process runs it (test-kit/source-script.ts). */
const CLI = await sourceScript('src/cli/main.ts');

function papertrade(args: readonly string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: PROJECT_ROOT, env: { ...process.env, LOG_LEVEL: 'silent' }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

describe('papertrade exit codes', () => {
  it('a usage error exits 2 on every command: an unknown option or command, a missing required option, an option without its value', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['serve', '--nope'], /unknown option '--nope'/],
      [['replay', '--orders', 'orders.jsonl'], /required option '--recording <dir>' not specified/],
      [['replay', '--recording'], /option '--recording <dir>' argument missing/],
      [['backtest', '--nope'], /required option '--strategy </], // checked before the unknown one
      [['record', '--nope'], /required option '--symbols </], // checked before the unknown one
      [['download', '--nope'], /required option '--symbol </], // checked before the unknown one
      [['import', '--nope'], /required option '--format </], // checked before the unknown one
      [['demo', '--nope'], /unknown option '--nope'/],
      [['accounts', 'list', '--nope'], /unknown option '--nope'/],
      [['nosuchcommand'], /unknown command 'nosuchcommand'/],
    ];
    const runs = await Promise.all(cases.map(([args]) => papertrade(args)));
    runs.forEach((run, i) => {
      const [args, message] = cases[i]!;
      expect({ args, code: run.code }).toEqual({ args, code: 2 });
      expect(run.stderr).toMatch(message);
    });
  }, 180_000);

  it('--help exits 0', async () => {
    expect((await papertrade(['replay', '--help'])).code).toBe(0);
  }, 60_000);
});

describe('papertrade into a pipe closed early', () => {
  it('stops quietly when the reader goes away (papertrade demo | head -1), without a stack trace', async () => {
    const child = spawn(process.execPath, [CLI, 'demo'], { cwd: PROJECT_ROOT, env: { ...process.env, LOG_LEVEL: 'silent' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // The first chunk read, the reading end is closed, as head closes it after its lines.
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(stderr).toBe('');
    // What a shell reports for a tool its reader stopped (SIGPIPE, 128 + 13), as for `yes | head -1`.
    expect(code).toBe(141);
  }, 60_000);
});
