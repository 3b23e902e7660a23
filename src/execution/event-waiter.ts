/**
 * Waits for a kernel event that a later input will cause: the arrival of an order submitted with
 * latency, which happens while the kernel handles some later market input or clock tick.
 *
 * Feed it every batch of events the engine produces (`observe`), whoever submitted the input;
 * `waitForEvent` must be called before the command is submitted, so that no answer can slip by
 * between the submit and the wait. Guarantees: each wait resolves once, with the first matching
 * event observed after it was registered, or with undefined at its timeout or on cancel.
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
  readonly timer: NodeJS.Timeout;
}

export class EventWaiter {
  private readonly waiting = new Set<Waiting>();

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
    let entry!: Waiting;
    const event = new Promise<KernelEvent | undefined>((resolve) => {
      const timer = setTimeout(() => this.settle(entry, undefined), timeoutMs);
      timer.unref();
      entry = { match, resolve, timer };
    });
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
