/**
 * An order waiting for its arrival at the simulated venue (latency) when the engine stops is
 * answered at once, 503, instead of waiting out `arrivalTimeoutMs` and answering ORDER_PENDING
 * ("accepted and reaches the venue…") for an engine that will handle nothing more. Wired as
 * start-service.ts wires it: the hub's events and its `onStopped` reach the EventWaiter.
 */
import { expect, it } from 'vitest';
import type { KernelEvent } from '../core/kernel/events.js';
import { watchSyncs } from '../test-kit/held-syncs.js';
import { ADMIN_KEY, startTestService } from '../test-kit/service-kit.js';
import { sleep, until } from '../test-kit/wait.js';
import { EventWaiter } from './event-waiter.js';
import type { ServiceDeps } from '../api/service-deps.js';
import { eventWaiterOn, paperExecutionPort } from '../service/paper-port.js';
import { PaperExecutionService } from './paper-execution-service.js';

it('the EventWaiter rejects its open waits and every later one once stopped; waits before that settle as they did', async () => {
  const waiter = new EventWaiter();
  const event = { type: 'ORDER_NEW', account: 'a', clientOrderId: 'x' } as unknown as KernelEvent;
  const found = waiter.waitForEvent((e) => e === event, 60_000);
  waiter.observe([event]);
  await expect(found.event).resolves.toBe(event);
  const open = waiter.waitForEvent(() => false, 60_000);
  const stop = new Error('the engine stopped');
  waiter.stop(stop);
  await expect(open.event).rejects.toBe(stop);
  await expect(waiter.waitForEvent(() => true, 60_000).event).rejects.toBe(stop);
  expect(waiter.size).toBe(0);
});

it('an fdatasync that fails while an order waits for its arrival: 503 at once, not ORDER_PENDING after the wait', async () => {
  const service = await startTestService({ until: 1723161300000, latencyMs: 200, engine: { onError: () => undefined } });
  const syncs = await watchSyncs();
  try {
    const waiter = eventWaiterOn(service.deps.hub);
    (service.deps as { execution: ServiceDeps['execution'] }).execution = new PaperExecutionService(paperExecutionPort(service.engine, service.deps.hub, waiter), { arrivalTimeoutMs: 10_000 });
    const engine = service.engine;
    const created = await service.app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name: 'stop', balances: { USDT: '1000000' } } });
    const { apiKey } = created.json<{ apiKey: string }>();
    const started = performance.now();
    const answer = service.app.inject({
      method: 'POST',
      url: '/api/orders',
      headers: { authorization: `Bearer ${apiKey}` },
      payload: { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.001', price: '30000.00', clientOrderId: 'waits' },
    });
    // The order is journaled and pending (its arrival is 200 ms of market time away); its own input made durable.
    const count = syncs.count;
    await until(() => engine.kernel.pendingCount() > 0 && syncs.count > count, 'the order pending and its input synced');
    expect(engine.kernel.pendingCount()).toBe(1);
    await sleep(20);
    // The market input that would carry its arrival fails to reach the disk.
    syncs.failNext(Object.assign(new Error('EIO: i/o error, fdatasync (injected)'), { code: 'EIO' }));
    await service.feedFor(1_000, 100).catch(() => undefined);
    const res = await answer;
    expect(res.statusCode, res.body).toBe(503);
    expect(res.json()).toMatchObject({ code: 'UNAVAILABLE' });
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(engine.status.state).toBe('failed');
  } finally {
    syncs.restore();
    await service.close().catch(() => undefined);
  }
});
