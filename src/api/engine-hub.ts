/**
 * The one door into the engine for the service: every input — market data and commands alike —
 * goes through `submit`, in the order submitted, and every event it causes is handed to the
 * subscribers (the WebSocket fan-out) after the input is durable.
 *
 * Commands are stamped with the engine's own clock (the exchange time of the latest market input),
 * so a command meets the market as it is at that moment, live or replayed.
 */
import type { KernelEvent } from '../core/kernel/events.js';
import type { KernelInput } from '../core/kernel/inputs.js';
import type { Kernel } from '../core/kernel/kernel.js';

export interface EnginePort {
  readonly kernel: Kernel;
  submit(input: KernelInput): Promise<KernelEvent[]>;
}

export type EventListener = (events: readonly KernelEvent[], input: KernelInput) => void;

export class EngineHub {
  private readonly listeners = new Set<EventListener>();

  constructor(private readonly engine: EnginePort) {}

  get kernel(): Kernel {
    return this.engine.kernel;
  }

  /** Exchange time commands are stamped with. */
  now(): number {
    return this.engine.kernel.now;
  }

  async submit(input: KernelInput): Promise<KernelEvent[]> {
    const events = await this.engine.submit(input);
    for (const listener of this.listeners) {
      try {
        listener(events, input);
      } catch {
        // A subscriber's failure is its own (a closed socket); the engine goes on.
      }
    }
    return events;
  }

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
