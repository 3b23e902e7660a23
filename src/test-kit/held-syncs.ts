/**
 * `watchSyncs()`: every `fdatasync` this process makes through a `fs/promises` FileHandle (the
 * WAL's, database.ts `WalSync`) counted, and on demand held until released or failed, so that a
 * test can see what happens between a commit and the disk. Patches `FileHandle.prototype.datasync`
 * until `restore()`; one watcher at a time.
 * - `count`: fdatasyncs started since `watchSyncs()`;
 * - `hold()`: fdatasyncs started from now on wait (the real one has run) until `release()`;
 * - `failNext(error)`: the next fdatasync rejects with `error` instead of running.
 */
import { open } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

export interface SyncWatch {
  readonly count: number;
  /** fdatasyncs started and held, not yet released. */
  readonly held: number;
  hold(): void;
  release(): void;
  failNext(error: Error): void;
  restore(): void;
}

export async function watchSyncs(): Promise<SyncWatch> {
  const handle = await open(fileURLToPath(import.meta.url), 'r');
  const proto = Object.getPrototypeOf(handle) as { datasync: (this: unknown) => Promise<void> };
  await handle.close();
  const original = proto.datasync;
  let count = 0;
  let holding = false;
  let failure: Error | undefined;
  let waiters: (() => void)[] = [];
  proto.datasync = async function datasync(this: unknown): Promise<void> {
    count += 1;
    if (failure !== undefined) {
      const error = failure;
      failure = undefined;
      throw error;
    }
    await original.call(this);
    if (holding) await new Promise<void>((resolve) => waiters.push(resolve));
  };
  return {
    get count() {
      return count;
    },
    get held() {
      return waiters.length;
    },
    hold: () => {
      holding = true;
    },
    release: () => {
      holding = false;
      const released = waiters;
      waiters = [];
      for (const resolve of released) resolve();
    },
    failNext: (error) => {
      failure = error;
    },
    restore: () => {
      proto.datasync = original;
      holding = false;
      for (const resolve of waiters) resolve();
      waiters = [];
    },
  };
}
