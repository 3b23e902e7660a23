import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, startTestService, type TestService } from '../test-kit/service-kit.js';
import { USDM_RECORDING } from '../test-kit/data-paths.js';
import { readModelMismatches } from '../engine/read-model-check.js';

const admin = { authorization: `Bearer ${ADMIN_KEY}` };
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

async function projected(service: TestService): Promise<void> {
  await service.engine.readModelCaughtUp();
}

describe('the native REST API (in-process, real engine and recording)', () => {
  let service: TestService;
  let alice: { id: string; apiKey: string };
  let bob: { id: string; apiKey: string };
  const inject = (options: InjectOptions) => service.app.inject(options);

  beforeAll(async () => {
    service = await startTestService({ until: 1723161300000 });
    const a = await inject({ method: 'POST', url: '/api/accounts', headers: admin, payload: { name: 'alice', balances: { USDT: '100000', BTC: '1' } } });
    const b = await inject({ method: 'POST', url: '/api/accounts', headers: admin, payload: { name: 'bob', balances: { USDT: '500' }, risk: { maxDrawdown: '0.002' } } });
    alice = a.json();
    bob = b.json();
  });
  afterAll(async () => {
    // The read tables agree with the kernel after every scenario of this file.
    await projected(service);
    expect(await readModelMismatches(service.engine.db, service.engine.kernel)).toEqual([]);
    await service.close();
  });

  it('answers health, mode, instruments, feeds and depth', async () => {
    expect((await inject({ url: '/health' })).json()).toEqual({ status: 'ok' });
    expect((await inject({ url: '/api/mode' })).json()).toMatchObject({ mode: 'paper' });
    expect((await inject({ url: '/api/market/instruments' })).json().items[0]).toMatchObject({ symbol: 'BTCUSDT', tickSize: '0.01', stepSize: '0.00001' });
    expect((await inject({ url: '/api/market/feeds' })).json().items[0]).toMatchObject({ symbol: 'BTCUSDT', status: 'synced' });
    const depth = (await inject({ url: '/api/market/depth/BTCUSDT?limit=5' })).json();
    expect(depth.bids).toHaveLength(5);
    expect((await inject({ url: '/api/market/depth/NOPE' })).statusCode).toBe(400);
    const docs = (await inject({ url: '/docs/json' })).json();
    expect(Object.keys(docs.paths)).toEqual(expect.arrayContaining(['/api/orders', '/api/orders/{id}', '/api/account/balances', '/api/account/positions', '/api/accounts']));
  });

  it('creates accounts only with the admin key, each with its own key and secret', async () => {
    expect(alice).toMatchObject({ id: expect.stringMatching(/^acc_/), apiKey: expect.stringMatching(/^pt_/) });
    expect((await inject({ method: 'POST', url: '/api/accounts', payload: { name: 'x', balances: { USDT: '1' } } })).statusCode).toBe(401);
    expect((await inject({ method: 'POST', url: '/api/accounts', headers: bearer(alice.apiKey), payload: { name: 'x', balances: { USDT: '1' } } })).statusCode).toBe(401);
    const before = (await inject({ url: '/api/accounts', headers: admin })).json().total;
    for (const payload of [{ name: 'x', balances: { USDT: '-5' } }, { name: 'x', balances: { USDT: 'lots' } }, { name: 'x', balances: { USDT: '1' }, colour: 'red' }, { balances: { USDT: '1' } }]) {
      const res = await inject({ method: 'POST', url: '/api/accounts', headers: admin, payload });
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(res.json()).toMatchObject({ code: 'INVALID_REQUEST', message: expect.any(String) });
    }
    const list = (await inject({ url: '/api/accounts?limit=1&offset=0', headers: admin })).json();
    expect(list).toMatchObject({ total: before, limit: 1, offset: 0, nextOffset: 1 });
    expect(list.items).toHaveLength(1);
  });

  it('lists one account by id, as the whole list shows it, to the admin key only; none once it is not there', async () => {
    const one = await inject({ url: `/api/accounts?id=${alice.id}`, headers: admin });
    expect(one.statusCode).toBe(200);
    const listed = (await inject({ url: '/api/accounts?limit=500', headers: admin })).json().items.find((a: { id: string }) => a.id === alice.id);
    expect(one.json()).toEqual({ items: [listed], total: 1, limit: 100, offset: 0, nextOffset: null });
    expect(listed).toMatchObject({ id: alice.id, name: 'alice', type: 'spot', apiKey: alice.apiKey, halted: false });
    expect(one.headers['x-data-as-of']).toBeDefined();
    expect((await inject({ url: `/api/accounts?id=${alice.id}`, headers: bearer(alice.apiKey) })).statusCode).toBe(401);
    expect((await inject({ url: '/api/accounts?id=acc_none', headers: admin })).json()).toEqual({ items: [], total: 0, limit: 100, offset: 0, nextOffset: null });
    expect((await inject({ url: '/api/accounts?id=', headers: admin })).statusCode).toBe(400);
  });

  it("places, reads and cancels orders for the key's account only", async () => {
    const placed = await inject({ method: 'POST', url: '/api/orders', headers: bearer(alice.apiKey), payload: { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.01', price: '60000.00', clientOrderId: 'a-1' } });
    expect(placed.statusCode).toBe(201);
    const order = placed.json();
    expect(order).toMatchObject({ status: 'NEW', clientOrderId: 'a-1', price: '60000', quantity: '0.01', mode: 'paper' });
    expect((await inject({ url: `/api/orders/${order.orderId}`, headers: bearer(alice.apiKey) })).json()).toMatchObject({ orderId: order.orderId, status: 'NEW' });
    expect((await inject({ url: `/api/orders/${order.orderId}`, headers: bearer(bob.apiKey) })).statusCode).toBe(404);
    expect((await inject({ method: 'DELETE', url: `/api/orders/${order.orderId}`, headers: bearer(bob.apiKey) })).statusCode).toBe(404);
    expect((await inject({ url: '/api/orders/open', headers: bearer(alice.apiKey) })).json().items).toHaveLength(1);
    expect((await inject({ url: '/api/account/balances', headers: bearer(alice.apiKey) })).json().balances.USDT).toEqual({ free: '99400', locked: '600' });
    const cancelled = await inject({ method: 'DELETE', url: `/api/orders/${order.orderId}`, headers: bearer(alice.apiKey) });
    expect(cancelled.json()).toMatchObject({ status: 'CANCELED' });
    const again = await inject({ method: 'DELETE', url: `/api/orders/${order.orderId}`, headers: bearer(alice.apiKey) });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ code: 'ORDER_NOT_OPEN', mexcCode: -2011 });
  });

  it('rejects bad input with 400, a code and a message, and changes nothing', async () => {
    const before = (await inject({ url: '/api/account/balances', headers: bearer(alice.apiKey) })).json();
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.01' }, 'INVALID_ORDER'],
      [{ symbol: 'BTCUSDT', side: 'HOLD', type: 'LIMIT', quantity: '0.01', price: '60000' }, 'INVALID_REQUEST'],
      [{ symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', quantity: '1e3', price: '60000' }, 'INVALID_REQUEST'],
      [{ symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.01', price: '60000.001' }, 'INVALID_PRICE'],
      [{ symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.0001', price: '60000' }, 'MIN_NOTIONAL'],
      [{ symbol: 'ETHUSDT', side: 'BUY', type: 'MARKET', quantity: '1' }, 'UNKNOWN_SYMBOL'],
    ];
    for (const [payload, code] of cases) {
      const res = await inject({ method: 'POST', url: '/api/orders', headers: bearer(alice.apiKey), payload });
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(res.json(), JSON.stringify(payload)).toMatchObject({ code, message: expect.any(String) });
    }
    expect((await inject({ url: '/api/account/balances', headers: bearer(alice.apiKey) })).json()).toEqual(before);
    expect((await inject({ url: '/api/orders/open', headers: bearer(alice.apiKey) })).json().items).toHaveLength(0);
  });

  it('answers 401 without a key or with a wrong one', async () => {
    for (const url of ['/api/account/balances', '/api/orders/open', '/api/account/positions', '/api/trades']) {
      expect((await inject({ url })).statusCode).toBe(401);
      expect((await inject({ url, headers: bearer('pt_wrong') })).json()).toMatchObject({ code: 'UNAUTHORIZED' });
    }
  });

  it('refuses an offset past 2^53 − 1 on every history as bad input (400), which the database cannot bind', async () => {
    for (const [path, headers] of [['/api/orders', bearer(alice.apiKey)], ['/api/trades', bearer(alice.apiKey)], ['/api/account/fills', bearer(alice.apiKey)], ['/api/account/equity', bearer(alice.apiKey)], ['/api/accounts', admin]] as const) {
      const res = await inject({ url: `${path}?offset=99999999999999999999`, headers });
      expect(res.statusCode, path).toBe(400);
      expect(res.json(), path).toMatchObject({ code: 'INVALID_REQUEST', message: 'querystring/offset must be <= 9007199254740991' });
      expect((await inject({ url: `${path}?offset=9007199254740991`, headers })).json(), path).toMatchObject({ items: [], nextOffset: null });
    }
  });

  it('refuses an unaffordable order with MEXC\'s insufficient-balance code', async () => {
    const res = await inject({ method: 'POST', url: '/api/orders', headers: bearer(bob.apiKey), payload: { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', quantity: '1', price: '60000' } });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'INSUFFICIENT_BALANCE', mexcCode: 10101 });
  });

  it('fills a market order, then shows it in history, trades, the equity curve and the metrics', async () => {
    const res = await inject({ method: 'POST', url: '/api/orders', headers: bearer(alice.apiKey), payload: { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.2' } });
    expect(res.json()).toMatchObject({ status: 'FILLED', executedQty: '0.2' });
    await service.feedUntil(1723161420000);
    await projected(service);
    const history = (await inject({ url: '/api/orders?limit=1', headers: bearer(alice.apiKey) })).json();
    expect(history.items).toHaveLength(1);
    expect(history.items[0]).toMatchObject({ status: 'FILLED', type: 'MARKET' });
    expect(history.nextOffset).toBe(1);
    const trades = (await inject({ url: '/api/trades', headers: bearer(alice.apiKey) })).json().items;
    expect(trades.length).toBeGreaterThan(0);
    expect(trades[0]).toMatchObject({ orderSide: 'BUY', liquidity: 'TAKER', feeAsset: 'BTC' });
    const equity = (await inject({ url: '/api/account/equity', headers: bearer(alice.apiKey) })).json().items;
    expect(equity.length).toBeGreaterThan(2);
    const opened = (await inject({ url: '/api/account/metrics', headers: bearer(alice.apiKey) })).json().metrics;
    expect(opened).toMatchObject({ tradeCount: 0, initialEquity: expect.any(String), maxDrawdown: expect.any(String) });
    // Selling 0.01 of the 0.2 bought closes part of it: one trade, realizing 0.01 × (sell − average buy) less its USDT fee.
    const sold = await inject({ method: 'POST', url: '/api/orders', headers: bearer(alice.apiKey), payload: { symbol: 'BTCUSDT', side: 'SELL', type: 'MARKET', quantity: '0.01' } });
    expect(sold.json()).toMatchObject({ status: 'FILLED' });
    await service.feedUntil(1723161430000);
    await projected(service);
    const rows = (await inject({ url: '/api/trades?limit=100', headers: bearer(alice.apiKey) })).json().items as { orderSide: string; size: string; price: string; quoteQty: string; fee: string; pnl: string | null }[];
    const buys = rows.filter((t) => t.orderSide === 'BUY');
    const sells = rows.filter((t) => t.orderSide === 'SELL');
    expect(sells).toHaveLength(1);
    const units = (v: string) => BigInt(Math.round(Number(v) * 1e8)); // every figure here has at most 8 decimals
    const bought = buys.reduce((sum, t) => sum + units(t.size), 0n);
    const cost = buys.reduce((sum, t) => sum + units(t.size) * units(t.price), 0n); // 1e16 units
    // pnl = 0.01 × (sell − cost / bought) − fee, in 1e-8 USDT, rounded down (the engine rounds half-up at 18 digits).
    const hand = (units('0.01') * (units(sells[0]!.price) * bought - cost)) / (bought * 100_000_000n) - units(sells[0]!.fee);
    const metrics = (await inject({ url: '/api/account/metrics', headers: bearer(alice.apiKey) })).json().metrics;
    expect(metrics.tradeCount).toBe(1);
    expect(units(metrics.realizedPnl) - hand).toBeGreaterThanOrEqual(0n);
    expect(units(metrics.realizedPnl) - hand).toBeLessThanOrEqual(1n);
    // The trade row itself carries the PnL the sell realized (before its fee); the buys realized none.
    expect(buys.every((t) => t.pnl === null)).toBe(true);
    expect(units(sells[0]!.pnl!) - units(sells[0]!.fee) - hand).toBeGreaterThanOrEqual(-1n);
    expect(units(sells[0]!.pnl!) - units(sells[0]!.fee) - hand).toBeLessThanOrEqual(1n);
  });

  it('a halted account gets 403 with the reason', async () => {
    // bob's 0.2 % drawdown limit: buy BTC with nearly all his USDT, then let the recording fall.
    await inject({ method: 'POST', url: '/api/orders', headers: bearer(bob.apiKey), payload: { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quoteOrderQty: '490' } });
    await service.feedUntil(1723161600000);
    expect(service.deps.hub.kernel.isHalted(bob.id)).toBe(true);
    const res = await inject({ method: 'POST', url: '/api/orders', headers: bearer(bob.apiKey), payload: { symbol: 'BTCUSDT', side: 'SELL', type: 'MARKET', quantity: '0.001' } });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ code: 'ACCOUNT_HALTED', mexcCode: 30016 });
  });

  it('exports an account as one JSON document and imports it as a new account with its own key', async () => {
    const exported = await inject({ url: '/api/account/export', headers: bearer(alice.apiKey) });
    expect(exported.headers['content-disposition']).toContain(alice.id);
    const document = exported.json();
    expect(document).toMatchObject({ format: 'papertrade.account', account: { id: alice.id } });
    const imported = await inject({ method: 'POST', url: '/api/accounts/import', headers: admin, payload: { document, name: 'alice copy' } });
    expect(imported.statusCode).toBe(201);
    const copy = imported.json();
    expect(copy.id).not.toBe(alice.id);
    const original = (await inject({ url: '/api/account/balances', headers: bearer(alice.apiKey) })).json();
    expect((await inject({ url: '/api/account/balances', headers: bearer(copy.apiKey) })).json()).toEqual(original);
    expect((await inject({ method: 'POST', url: '/api/accounts/import', headers: admin, payload: { document: { format: 'nope' } } })).statusCode).toBe(400);
  });

  it('resets and deletes accounts; a deleted account\'s key stops working', async () => {
    const reset = await inject({ method: 'POST', url: `/api/accounts/${bob.id}/reset`, headers: admin, payload: {} });
    expect(reset.json()).toMatchObject({ balances: { USDT: { free: '500', locked: '0' } } });
    expect((await inject({ method: 'DELETE', url: `/api/accounts/${bob.id}`, headers: admin })).statusCode).toBe(204);
    expect((await inject({ url: '/api/account/balances', headers: bearer(bob.apiKey) })).statusCode).toBe(401);
    expect((await inject({ method: 'DELETE', url: `/api/accounts/${bob.id}`, headers: admin })).statusCode).toBe(404);
    const audit = await service.deps.audit.query({ accountId: alice.id });
    expect(audit.map((a) => a.action)).toEqual(expect.arrayContaining(['account.create', 'order.place', 'order.cancel']));
    expect(audit.every((a) => a.mode === 'paper')).toBe(true);
  });
});

describe('futures routes', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService({ recording: USDM_RECORDING, until: 1723161300000 });
  });
  afterAll(async () => service.close());

  it('sets leverage, shows positions with liquidation price, and closes them', async () => {
    const created = (await service.app.inject({ method: 'POST', url: '/api/accounts', headers: admin, payload: { name: 'f', type: 'futures', balances: { USDT: '10000' } } })).json();
    const key = bearer(created.apiKey);
    expect((await service.app.inject({ method: 'POST', url: '/api/account/leverage', headers: key, payload: { symbol: 'BTCUSDT', leverage: 20 } })).statusCode).toBe(200);
    expect((await service.app.inject({ method: 'POST', url: '/api/account/leverage', headers: key, payload: { symbol: 'BTCUSDT', leverage: 500 } })).json()).toMatchObject({ code: 'INVALID_LEVERAGE' });
    await service.app.inject({ method: 'POST', url: '/api/orders', headers: key, payload: { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.5' } });
    const positions = (await service.app.inject({ url: '/api/account/positions', headers: key })).json().items;
    expect(positions).toEqual([expect.objectContaining({ symbol: 'BTCUSDT', direction: 'LONG', totalSize: '0.5', leverage: 20, liquidationPrice: expect.any(String) })]);
    const account = (await service.app.inject({ url: '/api/account', headers: key })).json();
    expect(account).toMatchObject({ type: 'futures', marginUsed: expect.any(String), availableMargin: expect.any(String) });
    const closed = await service.app.inject({ method: 'POST', url: '/api/positions/close-all', headers: key });
    expect(closed.json().orders[0]).toMatchObject({ status: 'FILLED', side: 'SELL' });
    expect((await service.app.inject({ url: '/api/account/positions', headers: key })).json().items).toEqual([]);
    expect((await service.app.inject({ method: 'POST', url: '/api/positions/BTCUSDT/close', headers: key })).statusCode).toBe(404);
  });
});
