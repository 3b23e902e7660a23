/**
 * `serve` on a database whose writer never lets go: it says at once who holds the database and that
 * it waits up to 10 s, says it once, and after those 10 s ends with the refusal (exit 2), never
 * starting. The holder a real `serve` process on this host, or a process on another host whose
 * heartbeat is fresh (writer-lease.ts: live while younger than 60 s).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { WRITER_LEASE_KEY } from '../engine/writer-lease.js';
import { openAndMigrate } from '../persistence/database.js';
import { PROJECT_ROOT } from '../test-kit/data-paths.js';
import { freePort, startServeProcess, stopServeProcess } from '../test-kit/serve-process.js';
import { sourceScript } from '../test-kit/source-script.js';
import { startService } from './start-service.js';
import { StartupError } from './startup-error.js';

const ISO = '\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z';

it('a second serve on a database a running serve holds: told at once, refused after 10 s with exit 2', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'papertrade-lease-held-'));
  const env = { DATABASE_URL: `sqlite:${join(dir, 'db.sqlite')}`, HOST: '127.0.0.1', REPLAY_SPEED: 'max', LOG_LEVEL: 'silent', ADMIN_API_KEY: 'lease-held-admin-key' };
  const first = await startServeProcess(0, env);
  try {
    const started = Date.now();
    const lines: { at: number; stream: string; text: string }[] = [];
    const second = spawn(process.execPath, [await sourceScript('src/cli/main.ts'), 'serve'], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, ...env, PORT: String(await freePort()) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    second.stdout.on('data', (d: Buffer) => lines.push({ at: Date.now() - started, stream: 'out', text: d.toString() }));
    second.stderr.on('data', (d: Buffer) => lines.push({ at: Date.now() - started, stream: 'err', text: d.toString() }));
    const code = await new Promise<number | null>((resolve) => second.once('exit', resolve));
    const ended = Date.now() - started;
    const out = lines.filter((l) => l.stream === 'out').map((l) => l.text).join('');
    const err = lines.filter((l) => l.stream === 'err').map((l) => l.text).join('');
    const holder = `papertrade server \\(pid ${first.child.pid}, ${first.url.replace(/\./g, '\\.')}, since ${ISO}\\)`;
    expect(out).toMatch(new RegExp(`^the database is in use by ${holder}; waiting up to 10 s for it to let go$`, 'm'));
    expect(out.match(/in use by/g)).toHaveLength(1);
    expect(err).toMatch(new RegExp(`^papertrade: the database is in use by ${holder}; one process at a time writes to sqlite:.+db\\.sqlite\\. Stop it first, or give this one its own DATABASE_URL\\.\\n$`));
    expect(code).toBe(2);
    // The notice came before the wait was over, the refusal after it.
    const noticeAt = lines.find((l) => l.text.includes('waiting up to'))!.at;
    const refusalAt = lines.find((l) => l.text.includes('one process at a time'))!.at;
    expect(refusalAt - noticeAt).toBeGreaterThanOrEqual(9_500);
    expect(ended).toBeLessThan(60_000);
    expect(out).not.toMatch(/TRADING on http/);
    // The first server still serves.
    expect((await fetch(`${first.url}/health`)).ok).toBe(true);
  } finally {
    await stopServeProcess(first);
    rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);

it('a holder on another host with a fresh heartbeat: named with its host, refused after 10 s', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'papertrade-lease-remote-'));
  const url = `sqlite:${join(dir, 'db.sqlite')}`;
  const db = await openAndMigrate(url);
  const since = Date.now() - 3_600_000;
  // Another host than this one: liveness is its heartbeat, renewed here as its own server would (every 10 s).
  const other = `${hostname()}-elsewhere`;
  const lease = (heartbeat: number) => JSON.stringify({ role: 'server', pid: 4242, host: other, since, heartbeat, url: 'http://10.1.2.3:8080', token: 'remote-token' });
  await db.db.insertInto('service_settings').values({ key: WRITER_LEASE_KEY, value: lease(Date.now()) }).execute();
  await db.close();
  try {
    const lines: { at: number; line: string }[] = [];
    const started = Date.now();
    const env = { DATABASE_URL: url, PORT: String(await freePort()), HOST: '127.0.0.1', REPLAY_SPEED: 'max', LOG_LEVEL: 'silent', ADMIN_API_KEY: 'lease-remote-admin-key' };
    const failure = await startService(env, { print: (line) => lines.push({ at: Date.now() - started, line }) }).then(
      async (running) => {
        await running.stop();
        return undefined;
      },
      (error: unknown) => ({ error, at: Date.now() - started }),
    );
    const holder = `papertrade server \\(pid 4242 on ${other}, http://10\\.1\\.2\\.3:8080, since ${new Date(since).toISOString().replace(/\./g, '\\.')}\\)`;
    const notices = lines.filter((l) => l.line.includes('in use by'));
    expect(notices.map((l) => l.line)).toHaveLength(1);
    expect(notices[0]!.line).toMatch(new RegExp(`^the database is in use by ${holder}; waiting up to 10 s for it to let go$`));
    expect(failure?.error).toBeInstanceOf(StartupError);
    expect((failure!.error as Error).message).toMatch(new RegExp(`^the database is in use by ${holder}; one process at a time writes to`));
    expect(failure!.at - notices[0]!.at).toBeGreaterThanOrEqual(9_500);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);
