/**
 * An order's answer waits for one fdatasync, which covers both its journaled input and its audit
 * entry (ADR 0084): the process's fdatasyncs are counted and held at the file handle
 * (test-kit/held-syncs.ts), independently of the engine. Held, no answer is given although the
 * order is already handled and its audit entry written; failed, the answer is 503, not success.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { watchSyncs, type SyncWatch } from '../test-kit/held-syncs.js';
import { watchedService } from '../test-kit/watched-service.js';
import { ADMIN_KEY, startTestService, type TestService } from '../test-kit/service-kit.js';
import { injectSigned } from '../test-kit/signed-inject.js';
import { sleep, until } from '../test-kit/wait.js';
import { registerBinanceApi } from './binance/binance-api.js';

const admin = { authorization: `Bearer ${ADMIN_KEY}` };
const UNTIL = 1723161300000;

/** A resting LIMIT BUY far under the market, and its answer's status and order id. */
async function place(service: TestService, apiKey: string, clientOrderId: string): Promise<{ status: number; orderId: string | undefined; body: string }> {
  const res = await service.app.inject({
    method: 'POST',
    url: '/api/orders',
    headers: { authorization: `Bearer ${apiKey}` },
    payload: { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.001', price: '30000.00', clientOrderId },
  });
  return { status: res.statusCode, orderId: res.statusCode === 201 ? res.json<{ orderId: string }>().orderId : undefined, body: res.body };
}

describe('one fdatasync per answer', () => {
  let account: { id: string; apiKey: string; apiSecret: string };
  const watched = watchedService({ until: UNTIL, plugins: [registerBinanceApi] }, async (started) => {
    const created = await started.app.inject({ method: 'POST', url: '/api/accounts', headers: admin, payload: { name: 'syncs', balances: { USDT: '1000000' } } });
    account = created.json();
    await started.engine.readModelCaughtUp();
  });
  let service: TestService;
  let syncs: SyncWatch;
  beforeAll(() => ({ service, syncs } = watched));

  it('POST /api/orders and DELETE /api/orders/:id, one at a time: one fdatasync each, and an audit entry each', async () => {
    const before = syncs.count;
    const ids: string[] = [];
    for (let i = 0; i < 30; i += 1) {
      const placed = await place(service, account.apiKey, `one-${i}`);
      expect(placed.status, placed.body).toBe(201);
      ids.push(placed.orderId!);
    }
    expect(syncs.count - before).toBe(30);
    const cancelsFrom = syncs.count;
    for (const id of ids.slice(0, 10)) {
      const res = await service.app.inject({ method: 'DELETE', url: `/api/orders/${id}`, headers: { authorization: `Bearer ${account.apiKey}` } });
      expect(res.statusCode, res.body).toBe(200);
    }
    expect(syncs.count - cancelsFrom).toBe(10);
    const entries = await service.deps.audit.query({ accountId: account.id, limit: 1000 });
    expect(entries.filter((e) => e.action === 'order.place').map((e) => (e.details['result'] as { orderId: string }).orderId)).toEqual(ids);
    expect(entries.filter((e) => e.action === 'order.cancel').map((e) => e.details['orderId'])).toEqual(ids.slice(0, 10));
  });

  it('Binance dialect, POST /binance/api/v3/order: one fdatasync per answer', async () => {
    const before = syncs.count;
    for (let i = 0; i < 10; i += 1) {
      const res = await injectSigned(service.app, account, {
        method: 'POST',
        url: '/binance/api/v3/order',
        params: { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.001', price: '30000.00', newClientOrderId: `binance-${i}` },
      });
      expect(res.statusCode, res.body).toBe(200);
    }
    expect(syncs.count - before).toBe(10);
  });

  it('order lists: POST /api/orders/oco and Binance POST /api/v3/orderList/oco, one fdatasync each, with their audit entries', async () => {
    // An account for each dialect: Binance's MAX_NUM_ALGO_ORDERS allows 5 conditional orders per symbol.
    const open = async (name: string) => (await service.app.inject({ method: 'POST', url: '/api/accounts', headers: admin, payload: { name, balances: { USDT: '1000000' } } })).json<typeof account>();
    const native = await open('lists-native');
    const binance = await open('lists-binance');
    await service.engine.readModelCaughtUp();
    const before = syncs.count;
    for (let i = 0; i < 2; i += 1) {
      const res = await service.app.inject({
        method: 'POST',
        url: '/api/orders/oco',
        headers: { authorization: `Bearer ${native.apiKey}` },
        payload: { symbol: 'BTCUSDT', side: 'BUY', quantity: '0.001', listClientOrderId: `oco_${i}`, takeProfit: { stopPrice: '30000.00', price: '30000.00' }, stopLoss: { stopPrice: '90000.00' } },
      });
      expect(res.statusCode, res.body).toBe(201);
    }
    for (let i = 0; i < 4; i += 1) {
      const res = await injectSigned(service.app, binance, {
        method: 'POST',
        url: '/binance/api/v3/orderList/oco',
        params: { symbol: 'BTCUSDT', side: 'BUY', quantity: '0.001', aboveType: 'STOP_LOSS', aboveStopPrice: '90000.00', belowType: 'LIMIT_MAKER', belowPrice: '30000.00', listClientOrderId: `bn_oco_${i}` },
      });
      expect(res.statusCode, res.body).toBe(200);
    }
    expect(syncs.count - before).toBe(6);
    const placed = await service.deps.audit.query({ accountId: native.id, action: 'oco.place', limit: 1000 });
    expect(placed.map((e) => (e.details['result'] as { ocoGroup: string }).ocoGroup)).toEqual(['oco_0', 'oco_1']);
    // Binance writes an entry per leg: eight for four lists.
    const legs = await service.deps.audit.query({ accountId: binance.id, action: 'order.place', limit: 1000 });
    expect(legs.map((e) => (e.details['request'] as { ocoGroup?: string }).ocoGroup)).toEqual(['bn_oco_0', 'bn_oco_0', 'bn_oco_1', 'bn_oco_1', 'bn_oco_2', 'bn_oco_2', 'bn_oco_3', 'bn_oco_3']);
  });

  it('while the fdatasync is held, the order is handled and its audit entry written, and no answer is given', async () => {
    syncs.hold();
    let answered = false;
    const answer = place(service, account.apiKey, 'held').then((r) => ((answered = true), r));
    await until(() => service.engine.kernel.openOrders(account.id).some((o) => o.clientOrderId === 'held'), 'the order handled');
    const held = service.engine.kernel.openOrders(account.id).find((o) => o.clientOrderId === 'held');
    expect(held).toBeDefined();
    const auditedHeld = async () =>
      (await service.deps.audit.query({ accountId: account.id, action: 'order.place', limit: 1000 })).some((e) => (e.details['request'] as { clientOrderId?: string }).clientOrderId === 'held');
    await until(auditedHeld, 'its audit entry written');
    expect(await auditedHeld()).toBe(true);
    await until(() => syncs.held > 0, 'an fdatasync held');
    await sleep(30);
    expect(answered).toBe(false);
    expect(syncs.held).toBeGreaterThan(0);
    syncs.release();
    const r = await answer;
    expect(r.status, r.body).toBe(201);
    expect(r.orderId).toBe(held!.id);
  });
});

describe('an fdatasync that fails', () => {
  it('answers the order 503 (its outcome unknown), not 201, and the engine stops', async () => {
    const service = await startTestService({ until: UNTIL, engine: { onError: () => undefined } });
    const syncs = await watchSyncs();
    try {
      const created = await service.app.inject({ method: 'POST', url: '/api/accounts', headers: admin, payload: { name: 'eio', balances: { USDT: '1000000' } } });
      const { apiKey } = created.json<{ apiKey: string }>();
      syncs.failNext(Object.assign(new Error('EIO: i/o error, fdatasync (injected)'), { code: 'EIO' }));
      const failed = await place(service, apiKey, 'eio');
      expect(failed.status, failed.body).toBe(503);
      expect(JSON.parse(failed.body)).toMatchObject({ code: 'UNAVAILABLE' });
      expect(service.engine.status.state).toBe('failed');
      const after = await place(service, apiKey, 'after');
      expect(after.status).toBe(503);
    } finally {
      syncs.restore();
      await service.close().catch(() => undefined);
    }
  });
});
