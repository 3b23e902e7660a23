import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MatchingEngine } from '../core/matching/matching-engine.js';
import { ADMIN_KEY, startTestService, type TestService } from '../test-kit/service-kit.js';

const admin = { authorization: `Bearer ${ADMIN_KEY}` };
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

describe('an order the engine cannot apply (in-process, real engine and recording)', () => {
  let service: TestService;
  let alice: { id: string; apiKey: string };

  beforeAll(async () => {
    service = await startTestService({ until: 1723161300000 });
    alice = (await service.app.inject({ method: 'POST', url: '/api/accounts', headers: admin, payload: { name: 'alice', balances: { USDT: '10000' } } })).json();
  });
  afterAll(async () => {
    vi.restoreAllMocks();
    await service.close();
  });

  it('answers 500 INTERNAL, changes nothing, is listed for the operator, and the engine goes on', async () => {
    const before = (await service.app.inject({ url: '/api/account/balances', headers: bearer(alice.apiKey) })).json();
    // A defect in matching, injected for one order: it throws after the fill has been booked.
    const original = MatchingEngine.prototype.arrive;
    vi.spyOn(MatchingEngine.prototype, 'arrive').mockImplementation(function (this: MatchingEngine, ...args) {
      const result = original.apply(this, args);
      if (args[0].clientOrderId === 'faulty') throw new Error('injected matching fault');
      return result;
    });
    const order = { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.01' };
    const failed = await service.app.inject({ method: 'POST', url: '/api/orders', headers: bearer(alice.apiKey), payload: { ...order, clientOrderId: 'faulty' } });
    expect(failed.statusCode).toBe(500);
    expect(failed.json()).toMatchObject({ code: 'INTERNAL', message: expect.stringContaining('changed nothing') });
    expect((await service.app.inject({ url: '/api/account/balances', headers: bearer(alice.apiKey) })).json()).toEqual(before);

    const ready = await service.app.inject({ url: '/ready' });
    expect(ready.statusCode).toBe(200);
    const filled = await service.app.inject({ method: 'POST', url: '/api/orders', headers: bearer(alice.apiKey), payload: { ...order, clientOrderId: 'fine' } });
    expect(filled.json()).toMatchObject({ status: 'FILLED', executedQty: '0.01' });

    await service.engine.readModelCaughtUp();
    expect((await service.app.inject({ url: '/api/admin/quarantine', headers: bearer(alice.apiKey) })).statusCode).toBe(401);
    const listed = (await service.app.inject({ url: '/api/admin/quarantine', headers: admin })).json();
    expect(listed.total).toBe(1);
    expect(listed.items[0]).toMatchObject({ kind: 'order.place', code: 'INTERNAL', accountId: alice.id, reason: expect.stringContaining('injected matching fault') });
    expect(JSON.parse(listed.items[0].input)).toMatchObject({ clientOrderId: 'faulty', quantity: '0.01' });
  });
});
