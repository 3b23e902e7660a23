/**
 * One market tape (or any other follower of the hub, `sharedPerHub`) per engine hub, shared by every
 * exchange dialect registered on it, so that two dialects do not keep two copies of the same trades.
 *
 * Guarantees: the tape observes the hub from the first dialect's registration until the last
 * server using it closes; the capacity is the first registration's.
 */
import type { FastifyInstance } from 'fastify';
import type { KernelEvent } from '../../core/kernel/events.js';
import type { KernelInput } from '../../core/kernel/inputs.js';
import type { EngineHub } from '../engine-hub.js';
import { MarketTape } from './market-tape.js';

/** Something that follows the hub's events. */
export interface HubObserver {
  observe(events: readonly KernelEvent[], input: KernelInput): void;
}

interface Shared<T> {
  readonly value: T;
  users: number;
  readonly unsubscribe: () => void;
}

/**
 * One `T` per engine hub in `registry`, made by `create` at the first server's registration, following
 * the hub until the last server using it closes (then dropped from the registry).
 */
export function sharedPerHub<T extends HubObserver>(registry: WeakMap<EngineHub, Shared<T>>, app: FastifyInstance, hub: EngineHub, create: () => T): T {
  let shared = registry.get(hub);
  if (shared === undefined) {
    const value = create();
    shared = { value, users: 0, unsubscribe: hub.subscribe((events, input) => value.observe(events, input)) };
    registry.set(hub, shared);
  }
  const entry = shared;
  entry.users += 1;
  let released = false;
  app.addHook('onClose', async () => {
    if (released) return;
    released = true;
    entry.users -= 1;
    if (entry.users === 0) {
      entry.unsubscribe();
      registry.delete(hub);
    }
  });
  return entry.value;
}

/** The registry type `sharedPerHub` keeps its values in. */
export type HubRegistry<T> = WeakMap<EngineHub, Shared<T>>;

const tapes: HubRegistry<MarketTape> = new WeakMap();

export function sharedTape(app: FastifyInstance, hub: EngineHub, capacity?: number): MarketTape {
  return sharedPerHub(tapes, app, hub, () => new MarketTape(capacity));
}
