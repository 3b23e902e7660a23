/**
 * Waits for a kernel event that a later input will cause: the arrival of an order submitted with
 * latency, which happens while the kernel handles some later market input or clock tick.
 *
 * Feed it every batch of events the engine produces (`observe`), whoever submitted the input;
 * `waitForEvent` must be called before the command is submitted, so that no answer can slip by
 * between the submit and the wait. Guarantees: each wait resolves once, with the first matching
 * event observed after it was registered, or with undefined at its timeout or on cancel; once the
 * engine has stopped (`stop`), every open wait and every later one rejects with the stop's error at
 * once, instead of waiting out its timeout for an event that cannot come.
 * Cost: every observed event is tested against every open wait (a handful in practice).
 */
import type { KernelEvent } from '../core/kernel/events.js';

export interface EventWait {
  /** The first matching event, or undefined on timeout or cancel. */
  readonly event: Promise<KernelEvent | undefined>;
  cancel(): void;
}

interface Waiting {
  readonly match: (event: KernelEvent) => boolean;
  readonly resolve: (event: KernelEvent | undefined) => void;
  readonly reject: (error: unknown) => void;
  readonly timer: NodeJS.Timeout;
}

export class EventWaiter {
  private readonly waiting = new Set<Waiting>();
  private stopped: { readonly error: unknown } | undefined;

  /** The engine stopped: every open wait, and every later one, rejects with `error`. */
  stop(error: unknown): void {
    this.stopped ??= { error };
    for (const w of [...this.waiting]) {
      this.waiting.delete(w);
      clearTimeout(w.timer);
      w.reject(this.stopped.error);
    }
  }

  /** Hands a batch of engine events to the open waits. */
  observe(events: readonly KernelEvent[]): void {
    if (this.waiting.size === 0) return;
    for (const event of events) {
      for (const w of [...this.waiting]) {
        if (w.match(event)) this.settle(w, event);
      }
    }
  }

  waitForEvent(match: (event: KernelEvent) => boolean, timeoutMs: number): EventWait {
    if (this.stopped !== undefined) {
      const event = Promise.reject(this.stopped.error);
      event.catch(() => undefined);
      return { event, cancel: () => undefined };
    }
    let entry!: Waiting;
    const event = new Promise<KernelEvent | undefined>((resolve, reject) => {
      const timer = setTimeout(() => this.settle(entry, undefined), timeoutMs);
      timer.unref();
      entry = { match, resolve, reject, timer };
    });
    // A wait cancelled or never read must not leave an unhandled rejection behind when the engine stops.
    event.catch(() => undefined);
    this.waiting.add(entry);
    return { event, cancel: () => this.settle(entry, undefined) };
  }

  /** Open waits (for tests and health). */
  get size(): number {
    return this.waiting.size;
  }

  private settle(w: Waiting, event: KernelEvent | undefined): void {
    if (!this.waiting.delete(w)) return;
    clearTimeout(w.timer);
    w.resolve(event);
  }
}
