/**
 * A child process killed at a chosen moment: `node <script>` (its sources bundled:
 * test-kit/source-script.ts) with `env` added to
 * this process's, SIGKILLed `afterReadyMs` after it prints the line `R` (open and ready).
 * Resolves with every line it printed to stdout; rejects when it ended any other way than by the
 * kill (its stderr in the message) or could not start.
 */
import { spawn } from 'node:child_process';
import { PROJECT_ROOT } from './data-paths.js';
import { sourceScript } from './source-script.js';

export async function lifeUntilKilled(script: string, env: Record<string, string>, afterReadyMs: number): Promise<string[]> {
  const bundle = await sourceScript(script);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bundle], { cwd: PROJECT_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    let pending = '';
    let stderr = '';
    let timer: NodeJS.Timeout | undefined;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      const parts = (pending + chunk).split('\n');
      pending = parts.pop()!;
      for (const line of parts) {
        if (line === 'R') timer = setTimeout(() => child.kill('SIGKILL'), afterReadyMs);
        lines.push(line);
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (_code, signal) => {
      clearTimeout(timer);
      if (signal !== 'SIGKILL') reject(new Error(`the child ended without the kill: ${stderr}`));
      else resolve(lines);
    });
  });
}
