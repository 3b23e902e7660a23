/**
 * A bench's helper process: started once, asked one job at a time over IPC, answered in order.
 *
 * Why once: on Linux a fork marks every page of the forking process copy-on-write, and the first
 * write to each page after it faults, even once the child has replaced its image. On a
 * paravirtualized machine such a fault is expensive: a SQLite connection whose 16 MB page cache had
 * not been written since a fork took 50 ms to clear it at its next BEGIN, against 0.4 ms without
 * the fork (docs/adr/0055). The service never forks; a bench that forks while the service runs
 * measures those faults as the service's stalls. Helpers started before the service exists leave
 * none of its pages copy-on-write.
 * `startChild(module, flag)` forks `module` (run with tsx, as the bench is) with `flag` in its argv
 * and resolves once the child called `serveParent`. `ask(job)` resolves with the child's answer;
 * `close()` ends the child. Errors: `ask` rejects when the child exits or fails before answering.
 */
import { fork, type ChildProcess } from 'node:child_process';

const READY = '__ready__';
const CLOSE = '__close__';

export interface ChildHelper<J, R> {
  ask(job: J): Promise<R>;
  close(): Promise<void>;
}

export function startChild<J, R>(module: string, flag: string): Promise<ChildHelper<J, R>> {
  return new Promise((resolveStarted, rejectStarted) => {
    const child: ChildProcess = fork(module, [flag], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const waiting: { resolve: (answer: R) => void; reject: (error: Error) => void }[] = [];
    let started = false;
    // Set once the child is gone: every later `ask` rejects with it, and nothing more is sent (a
    // send on a closed channel emits 'error', which would crash the bench once no listener is left).
    let gone: Error | undefined;
    const failAll = (error: Error) => {
      if (!started) rejectStarted(error);
      for (const w of waiting.splice(0)) w.reject(error);
    };
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.on('error', failAll);
    child.once('exit', (code, signal) => {
      gone = new Error(`the helper process ${flag} exited with ${code ?? signal} before answering`);
      failAll(gone);
    });
    child.on('message', (message: R | typeof READY) => {
      if (message === READY && !started) {
        started = true;
        resolveStarted({
          ask: (job) =>
            new Promise<R>((resolve, reject) => {
              if (gone !== undefined) return reject(gone);
              waiting.push({ resolve, reject });
              child.send(job as object);
            }),
          close: async () => {
            if (gone === undefined && child.connected) child.send(CLOSE);
            await exited;
          },
        });
        return;
      }
      waiting.shift()?.resolve(message as R);
    });
  });
}

/** In the child: answers each job with `handle`'s result, one at a time, in the order they came. */
export function serveParent<J, R>(handle: (job: J) => R | Promise<R>): void {
  let chain = Promise.resolve();
  process.on('message', (job: J | typeof CLOSE) => {
    if (job === CLOSE) {
      chain = chain.then(() => process.exit(0));
      return;
    }
    chain = chain.then(async () => {
      const answer = await handle(job);
      await new Promise<void>((resolve) => process.send!(answer as object, () => resolve()));
    });
  });
  // The parent gone (a bench that failed, or was killed): nothing will ask again, and a window
  // left open (the idle process's 1 ms timer) would otherwise keep this process alive for good.
  process.once('disconnect', () => process.exit(0));
  process.send!(READY);
}
