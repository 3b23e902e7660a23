/**
 * The benches' helper processes (bench/child-process-kit.ts) when the helper or the bench dies:
 * every question after the helper's exit is refused, never a crash of the bench; a helper whose
 * bench died does not outlive it.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { startChild } from '../../bench/child-process-kit.js';

const run = promisify(execFile);
const HELPER = fileURLToPath(new URL('./fixtures/helper-process.ts', import.meta.url));

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('a helper process', () => {
  it('answers questions asked together in order, then refuses every question after it exited mid-job, and closes twice', async () => {
    const helper = await startChild<string, number>(HELPER, '--helper');
    const [first, second] = await Promise.all([helper.ask('pid'), helper.ask('pid')]);
    expect(first).toBeGreaterThan(0);
    expect(second).toBe(first);
    await expect(helper.ask('exit')).rejects.toThrow('exited with 3');
    for (let i = 0; i < 3; i += 1) await expect(helper.ask('pid')).rejects.toThrow('exited with 3');
    await helper.close();
    await helper.close();
    expect(alive(first)).toBe(false);
  });

  it('ends when its bench dies with a timer of its own still running', async () => {
    const parent = await run(process.execPath, ['--import', 'tsx', HELPER, '--parent']).then(
      () => undefined,
      (error: { code: number; stdout: string }) => error,
    );
    expect(parent?.code).toBe(1);
    const pid = Number(parent?.stdout.trim());
    expect(pid).toBeGreaterThan(0);
    const until = Date.now() + 5_000;
    while (alive(pid) && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 50));
    const outlived = alive(pid);
    if (outlived) process.kill(pid);
    expect(outlived).toBe(false);
  });
});
