/**
 * One market tape per engine hub, shared by every exchange dialect registered on it, so that two
 * dialects do not keep two copies of the same trades.
 *
 * Guarantees: the tape observes the hub from the first dialect's registration until the last
 * server using it closes; the capacity is the first registration's.
 */
import type { FastifyInstance } from 'fastify';
import type { EngineHub } from '../engine-hub.js';
import { MarketTape } from './market-tape.js';

interface Shared {
  readonly tape: MarketTape;
  users: number;
  readonly unsubscribe: () => void;
}

const tapes = new WeakMap<EngineHub, Shared>();

export function sharedTape(app: FastifyInstance, hub: EngineHub, capacity?: number): MarketTape {
  let shared = tapes.get(hub);
  if (shared === undefined) {
    const tape = new MarketTape(capacity);
    shared = { tape, users: 0, unsubscribe: hub.subscribe((events, input) => tape.observe(events, input)) };
    tapes.set(hub, shared);
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
      tapes.delete(hub);
    }
  });
  return entry.tape;
}
