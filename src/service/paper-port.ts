/**
 * The paper execution service's port onto a durable engine through the service's hub: submits go
 * through the hub (so that subscribers hear of them in order, once durable), queries read the
 * engine's current kernel (a restore may replace it), closed orders come from the read tables.
 * With an EventWaiter, an order delayed by latency is answered when it arrives; the waiter must be
 * fed every event batch (`hub.subscribe`) and told when the engine stops (`hub.onStopped`), which
 * `eventWaiterOn` does.
 */
import type { EngineHub } from '../api/engine-hub.js';
import type { DurableEngine } from '../engine/durable-engine.js';
import { EventWaiter } from '../execution/event-waiter.js';
import type { PaperExecutionPort } from '../execution/paper-execution-service.js';

export function paperExecutionPort(engine: DurableEngine, hub: EngineHub, waiter?: EventWaiter): PaperExecutionPort {
  return {
    get kernel() {
      return engine.kernel;
    },
    submit: (input) => hub.submit(input),
    submitHandled: (input) => hub.submitHandled(input),
    now: () => hub.now(),
    ...(waiter !== undefined ? { waitForEvent: waiter.waitForEvent.bind(waiter) } : {}),
    records: { db: engine.db, caughtUp: () => engine.readModelCaughtUp() },
  };
}

/** An EventWaiter fed every event batch of `hub`, its waits rejected at once when the engine stops. */
export function eventWaiterOn(hub: EngineHub): EventWaiter {
  const waiter = new EventWaiter();
  hub.subscribe((events) => waiter.observe(events));
  hub.onStopped((error) => waiter.stop(error));
  return waiter;
}
