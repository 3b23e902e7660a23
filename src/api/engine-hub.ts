/**
 * The one door into the engine for the service: every input — market data and commands alike —
 * goes through `submit` (or `submitHandled`), in the order submitted, and every event it causes is
 * handed to the subscribers (the WebSocket fan-out) after the input is durable, in the order the
 * inputs were submitted.
 *
 * Commands are stamped with the engine's own clock (the exchange time of the latest market input),
 * so a command meets the market as it is at that moment, live or replayed. With live data (a
 * `wallClock` given), that exchange time is carried forward by the wall time elapsed since the
 * latest market input arrived: a command sent while the feed is silent carries a time that says
 * so, and the kernel's staleness rule (ADR 0026) makes it wait whatever the order of inputs. The
 * time carried forward is the engine's clock once that input was applied (the clock a book's age is
 * measured on), so a silence of N ms of wall time after a book is at least N ms on that clock.
 */
import type { KernelEvent } from '../core/kernel/events.js';
import type { KernelInput } from '../core/kernel/inputs.js';
import type { Kernel } from '../core/kernel/kernel.js';
import { EngineUnavailableError, type EngineStatus } from '../engine/engine-status.js';
import { HttpError } from './http-errors.js';

const COMMAND_KINDS: ReadonlySet<string> = new Set(['account.open', 'account.reset', 'account.close', 'account.import', 'leverage.set', 'order.place', 'order.list', 'order.cancel']);

export interface EnginePort {
  readonly kernel: Kernel;
  submit(input: KernelInput): Promise<KernelEvent[]>;
  /** Optional (the durable engine's): the events once handled, before the input is durable; `durable` says when it is. */
  submitHandled?(input: KernelInput): Promise<{ readonly events: KernelEvent[]; readonly durable: Promise<void> }>;
  /** Whether the engine can apply and persist now (the durable engine tells; others are always ready). */
  readonly status?: EngineStatus;
  /** Resolves once the read tables hold every input handled before the call (engines without them: at once). */
  readModelCaughtUp?(): Promise<void>;
}

export type EventListener = (events: readonly KernelEvent[], input: KernelInput) => void;

/** An input's events once handled, and when they are durable (see `EngineHub.submitHandled`). */
export interface HandledEvents {
  readonly events: KernelEvent[];
  readonly durable: Promise<void>;
}

/** A submitted input's place in the subscribers' order: its events go out once it and every input before it has settled. */
interface Dispatch {
  readonly input: KernelInput;
  events: readonly KernelEvent[] | undefined;
  settled: boolean;
}

export class EngineHub {
  private readonly listeners = new Set<EventListener>();
  private readonly stopListeners = new Set<(error: unknown) => void>();
  /** Submitted inputs whose events wait for their durability or an earlier input's, in submission (journal) order. */
  private readonly dispatches: Dispatch[] = [];

  /** The latest market input: the engine's clock once it was applied, and the wall time then (live only). */
  private lastMarket: { readonly time: number; readonly wall: number } | undefined;

  constructor(
    private readonly engine: EnginePort,
    private readonly wallClock?: () => number,
  ) {}

  get kernel(): Kernel {
    return this.engine.kernel;
  }

  /** The engine's status, when it reports one (readiness). */
  get engineStatus(): EngineStatus | undefined {
    return this.engine.status;
  }

  /** Resolves once the read tables hold every input handled before the call. */
  readModelCaughtUp(): Promise<void> {
    return this.engine.readModelCaughtUp?.() ?? Promise.resolve();
  }

  /** Exchange time commands are stamped with. */
  now(): number {
    const clock = this.engine.kernel.now;
    if (this.wallClock === undefined || this.lastMarket === undefined) return clock;
    return Math.max(clock, this.lastMarket.time + Math.max(0, this.wallClock() - this.lastMarket.wall));
  }

  /**
   * Submits one input; resolves with its events once it is durable. A command the kernel did not
   * apply (INPUT_REJECTED) rejects with an HttpError: INVALID_INPUT (400), or INTERNAL (500: it
   * broke an invariant, was rolled back and set aside; nothing changed). Market data never rejects
   * for that: a feed goes on with its next input.
   */
  async submit(input: KernelInput): Promise<KernelEvent[]> {
    const { events, durable } = await this.submitHandled(input);
    await durable;
    return events;
  }

  /**
   * `submit` in two steps (ADR 0084): resolves once the input is handled, with `durable`, which
   * resolves once it is on disk; the caller answers no one before `durable` resolves, and writes
   * what it records about the answer (its audit entry) meanwhile, so that one fdatasync covers
   * both. Subscribers get the events once `durable` resolves. A command the kernel did not apply
   * rejects as `submit` does, once durable.
   */
  async submitHandled(input: KernelInput): Promise<HandledEvents> {
    const dispatch: Dispatch = { input, events: undefined, settled: false };
    this.dispatches.push(dispatch);
    let handled: HandledEvents;
    try {
      handled = this.engine.submitHandled !== undefined ? await this.engine.submitHandled(input) : { events: await this.engine.submit(input), durable: Promise.resolve() };
    } catch (error) {
      this.settle(dispatch, undefined);
      if (error instanceof EngineUnavailableError && error.state === 'failed') this.stopped(error);
      throw error;
    }
    const { events, durable } = handled;
    // The engine's clock once the input is applied, not the input's own time: a book is stale by how
    // far that clock has moved since it was applied (ADR 0026), and a market input stamped behind the
    // clock (two clocks, or a command stamped ahead) would otherwise make a silence look shorter.
    if (this.wallClock !== undefined && !COMMAND_KINDS.has(input.kind) && input.kind !== 'clock') this.lastMarket = { time: Math.max(input.time, this.engine.kernel.now), wall: this.wallClock() };
    durable.then(
      () => this.settle(dispatch, events),
      (error: unknown) => {
        this.settle(dispatch, undefined);
        // Handled, then never durable: the engine stopped (DurableEngine.submitHandled).
        this.stopped(error);
      },
    );
    const first = events[0];
    if (first?.type === 'INPUT_REJECTED' && COMMAND_KINDS.has(input.kind)) {
      await durable;
      throw HttpError.of({
        code: first.code,
        message: first.code === 'INTERNAL' ? `the engine could not apply this request and changed nothing (input ${first.seq} set aside): ${first.message}` : first.message,
      });
    }
    return handled;
  }

  /** `dispatch` settled (its events durable, or none to send): sends every settled input's events from the head, in order. */
  private settle(dispatch: Dispatch, events: readonly KernelEvent[] | undefined): void {
    dispatch.events = events;
    dispatch.settled = true;
    while (this.dispatches.length > 0 && this.dispatches[0]!.settled) {
      const next = this.dispatches.shift()!;
      if (next.events === undefined) continue;
      for (const listener of this.listeners) {
        try {
          listener(next.events, next.input);
        } catch {
          // A subscriber's failure is its own (a closed socket); the engine goes on.
        }
      }
    }
  }

  private stopped(error: unknown): void {
    for (const listener of this.stopListeners) {
      try {
        listener(error);
      } catch {
        // A listener's failure is its own.
      }
    }
  }

  /** Told (with its error) when a submit finds the engine stopped: an input handled that cannot become durable, or one refused as `failed`. */
  onStopped(listener: (error: unknown) => void): () => void {
    this.stopListeners.add(listener);
    return () => this.stopListeners.delete(listener);
  }

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
