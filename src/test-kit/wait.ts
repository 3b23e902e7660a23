/**
 * Waiting in tests for a condition that has no promise or event of its own (a row in a table, a
 * frame from a socket, a status of another process). The bound is there to end a broken run with a
 * message, not to say how fast the code is: it is generous, since a loaded CI machine is slow.
 * Prefer a promise the code under test gives (engine.readModelCaughtUp(), a stopped server's close)
 * wherever one exists.
 */

/** How long `until` waits by default: well beyond any healthy run, well within the 60 s test timeout. */
export const UNTIL_MS = 30_000;

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` every 10 ms until it holds; throws naming `what` when it has not held within `ms`. */
export async function until(check: () => boolean | Promise<boolean>, what: string, ms = UNTIL_MS): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    if (await check()) return;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(10);
  }
}

/** Waits for `promise` (a server's close, a listen) at most `ms`; throws naming `what` when it has not settled by then. */
export async function within<T>(promise: Promise<T>, what: string, ms = UNTIL_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}
