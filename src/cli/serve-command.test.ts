/** `papertrade serve` as a user runs it: refusals are one clear line and exit code 2, no stack trace, no key shown. */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../test-kit/data-paths.js';
import { freePort } from '../test-kit/serve-process.js';
import { sourceScript } from '../test-kit/source-script.js';
import { scratchDir } from '../test-kit/scratch-dir.js';

/** The CLI as a child process runs it (test-kit/source-script.ts). */
const CLI = await sourceScript('src/cli/main.ts');

/** Runs `papertrade serve`; killed after `killAfterMs` (its code then null). */
function serve(env: Record<string, string>, args: readonly string[] = [], killAfterMs = 50_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, 'serve', ...args], { cwd: PROJECT_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const killer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.on('exit', () => clearTimeout(killer));
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('papertrade serve', () => {
  it('on a taken port: exits 2 with one clear line, and shows no key', async () => {
    const port = await freePort();
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
    try {
      const dir = scratchDir('papertrade-serve-');
      const run = await serve({ PORT: String(port), HOST: '127.0.0.1', DATABASE_URL: `sqlite:${join(dir, 'db.sqlite')}`, REPLAY_SPEED: 'max', LOG_LEVEL: 'silent', ADMIN_API_KEY: '' });
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(new RegExp(`^papertrade: cannot listen on 127\\.0\\.0\\.1:${port}: the port is in use`));
      expect(run.stderr).not.toMatch(/\n\s+at /);
      expect(run.stdout + run.stderr).not.toMatch(/ptadmin_|API key:|API secret:/);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  }, 60_000);

  it('with a short ADMIN_API_KEY: refuses to start, naming the variable and not echoing the key', async () => {
    const run = await serve({ PORT: String(await freePort()), ADMIN_API_KEY: 'tooshort-s3cret', LOG_LEVEL: 'silent' });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('ADMIN_API_KEY: must be at least 16 characters long');
    expect(run.stderr).not.toContain('tooshort-s3cret');
  }, 60_000);

  it('with --port abc: refuses naming the flag and the value typed, not the PORT variable it stands for', async () => {
    const run = await serve({ PORT: String(await freePort()), LOG_LEVEL: 'silent', ADMIN_API_KEY: '' }, ['--port', 'abc']);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('papertrade: --port must be a whole number from 1 to 65535, got "abc"\n');
  }, 60_000);

  it('on a database it cannot open: exits 2 naming the file, and shows no key', async () => {
    const dir = scratchDir('papertrade-serve-');
    const notADatabase = join(dir, 'notes.txt');
    writeFileSync(notADatabase, 'these are notes, not a SQLite database\n'.repeat(100));
    for (const path of [dir, notADatabase]) {
      const run = await serve({ PORT: String(await freePort()), HOST: '127.0.0.1', DATABASE_URL: `sqlite:${path}`, LOG_LEVEL: 'silent', ADMIN_API_KEY: '' });
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/^papertrade: cannot open the SQLite database /);
      expect(run.stderr).toContain(path);
      expect(run.stderr).not.toMatch(/\n\s+at /);
      expect(run.stdout + run.stderr).not.toMatch(/ptadmin_|API key:|API secret:/);
    }
  }, 120_000);

  it.skipIf(process.platform !== 'linux')('on a database folder it cannot make (under /proc): exits 2 naming the file, instead of hanging', async () => {
    const run = await serve({ PORT: String(await freePort()), HOST: '127.0.0.1', DATABASE_URL: 'sqlite:/proc/nope/x.db', LOG_LEVEL: 'silent', ADMIN_API_KEY: '' });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^papertrade: cannot open the SQLite database \/proc\/nope\/x\.db: ENOENT/);
  }, 60_000);
});
