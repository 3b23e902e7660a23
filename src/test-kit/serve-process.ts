/**
 * `papertrade serve` as a child process, the way a user runs it: the real CLI (its sources bundled:
 * test-kit/source-script.ts), its own
 * environment, its output captured; ready once /health answers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { PROJECT_ROOT } from './data-paths.js';
import { sourceScript } from './source-script.js';

export interface ServeProcess {
  readonly child: ChildProcess;
  readonly url: string;
  readonly port: number;
  output(): string;
}

/**
 * A port nothing listens on now. Another process may take it before the caller binds it (the
 * kernel hands the same ephemeral ports to outgoing connections): a child that takes seconds to
 * start should get port 0 from `startServeProcess`, which picks again when that happens.
 */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

/** How long a `serve` process may take to come up before a test gives up on it. */
const START_MS = 120_000;
/** How long one /health request may wait (whatever holds the port may accept and never answer). */
const HEALTH_MS = 2_000;

/** Starts of `serve` on port 0 that may find their chosen port taken before the last one fails. */
const PORT_ATTEMPTS = 3;

class PortTakenError extends Error {}

/**
 * Starts `serve` on `port` with `env` over the test process's environment, ready once /health
 * answers and it has printed its start-up lines; fails with its output if it exits or does not come
 * up within START_MS. Port 0: a free port, chosen again (up to PORT_ATTEMPTS starts) if another
 * process binds it while `serve` starts; the one it got is `port` and in `url`.
 */
export async function startServeProcess(port: number, env: Record<string, string>, args: readonly string[] = []): Promise<ServeProcess> {
  if (port !== 0) return startOn(port, env, args);
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOn(await freePort(), env, args);
    } catch (error) {
      if (!(error instanceof PortTakenError) || attempt >= PORT_ATTEMPTS) throw error;
    }
  }
}

async function startOn(port: number, env: Record<string, string>, args: readonly string[]): Promise<ServeProcess> {
  const child = spawn(process.execPath, [await sourceScript('src/cli/main.ts'), 'serve', ...args], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const closed = new Promise((resolve) => child.once('close', resolve));
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  // The CLI loads its packages first: on a loaded machine that alone can take seconds.
  for (const end = Date.now() + START_MS; Date.now() < end; ) {
    try {
      // Listening, and done printing its start-up lines (keys are printed after the port is bound).
      if ((await fetch(`${url}/health`, { signal: AbortSignal.timeout(HEALTH_MS) })).ok && / TRADING on http/.test(output)) return { child, url, port, output: () => output };
    } catch {
      // not listening yet
    }
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  await closed; // all it printed
  // start-service.ts's words for EADDRINUSE.
  if (/the port is in use/.test(output)) throw new PortTakenError(`port ${port} was taken before the server bound it:\n${output}`);
  throw new Error(`server did not start:\n${output}`);
}

/** SIGTERM (snapshot, then exit), and wait for the exit. */
export async function stopServeProcess(server: ServeProcess): Promise<void> {
  if (server.child.exitCode !== null) return;
  const exited = new Promise((resolve) => server.child.once('exit', resolve));
  server.child.kill('SIGTERM');
  await exited;
}
