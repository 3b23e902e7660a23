/**
 * `papertrade serve` as a child process, the way a user runs it: the real CLI (through tsx), its own
 * environment, its output captured; ready once /health answers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { PROJECT_ROOT } from './data-paths.js';

export interface ServeProcess {
  readonly child: ChildProcess;
  readonly url: string;
  output(): string;
}

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

/** Starts `serve` on `port` with `env` over the test process's environment, ready once /health answers and it has printed its start-up lines; fails with its output if it exits or does not come up within START_MS. */
export async function startServeProcess(port: number, env: Record<string, string>, args: readonly string[] = []): Promise<ServeProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', ...args], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  // tsx compiles the CLI first: on a loaded machine that alone can take tens of seconds.
  for (const end = Date.now() + START_MS; Date.now() < end; ) {
    try {
      // Listening, and done printing its start-up lines (keys are printed after the port is bound).
      if ((await fetch(`${url}/health`)).ok && / TRADING on http/.test(output)) return { child, url, output: () => output };
    } catch {
      // not listening yet
    }
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`server did not start:\n${output}`);
}

/** SIGTERM (snapshot, then exit), and wait for the exit. */
export async function stopServeProcess(server: ServeProcess): Promise<void> {
  if (server.child.exitCode !== null) return;
  const exited = new Promise((resolve) => server.child.once('exit', resolve));
  server.child.kill('SIGTERM');
  await exited;
}
