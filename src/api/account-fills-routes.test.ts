import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { div, formatFixed, mul, parseFixed } from '../core/money/fixed.js';
import { USDM_RECORDING } from '../test-kit/data-paths.js';
import { ADMIN_KEY, startTestService, type TestService } from '../test-kit/service-kit.js';

const admin = { authorization: `Bearer ${ADMIN_KEY}` };
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

interface Fill {
  id: string;
  orderSide: 'BUY' | 'SELL';
  size: string;
  price: string;
  fee: string;
  feeAsset: string;
  realizedPnl: string | null;
}

async function projected(service: TestService): Promise<void> {
  await service.engine.readModelCaughtUp();
}

async function trade(service: TestService, key: string, side: 'BUY' | 'SELL', quantity: string): Promise<void> {
  const res = await service.app.inject({ method: 'POST', url: '/api/orders', headers: bearer(key), payload: { symbol: 'BTCUSDT', side, type: 'MARKET', quantity } });
  expect(res.statusCode, res.body).toBe(201);
  expect(res.json()).toMatchObject({ status: 'FILLED' });
}

/** The fills of one market order are summed into one (price: their quantity-weighted average). */
async function fillsOf(service: TestService, key: string): Promise<Fill[]> {
  await projected(service);
  const res = await service.app.inject({ url: '/api/account/fills?limit=500', headers: bearer(key) });
  expect(res.statusCode).toBe(200);
  return (res.json<{ items: Fill[] }>().items).reverse();
}

const F = parseFixed;
const sum = (xs: readonly bigint[]) => xs.reduce((a, b) => a + b, 0n);

describe('GET /api/account/fills', () => {
  let spot: TestService;
  beforeAll(async () => {
    spot = await startTestService();
  }, 60_000);
  afterAll(async () => spot.close());

  it('spot: a sell realizes against the average price of the buys; coins deposited, not bought, realize nothing', async () => {
    const created = (await spot.app.inject({ method: 'POST', url: '/api/accounts', headers: admin, payload: { name: 'avg', balances: { USDT: '100000', BTC: '1' } } })).json<{ apiKey: string }>();
    const key = created.apiKey;
    await trade(spot, key, 'BUY', '0.01');
    await trade(spot, key, 'BUY', '0.02');
    const buys = await fillsOf(spot, key);
    await trade(spot, key, 'SELL', '0.025');
    await trade(spot, key, 'SELL', '0.01');
    const fills = await fillsOf(spot, key);
    expect(fills.slice(0, buys.length)).toEqual(buys);
    for (const f of buys) expect(f.realizedPnl).toBeNull();

    // By hand: the average of what was bought, weighted by quantity; the holding net of fees paid in BTC.
    const bought = sum(buys.map((b) => F(b.size)));
    const average = div(sum(buys.map((b) => mul(F(b.size), F(b.price)))), bought);
    let held = bought - sum(buys.filter((b) => b.feeAsset === 'BTC').map((b) => F(b.fee)));
    const sells = fills.slice(buys.length);
    expect(sells.length).toBeGreaterThanOrEqual(2);
    for (const s of sells) {
      const covered = F(s.size) < held ? F(s.size) : held;
      held -= covered;
      const expected = covered === 0n ? null : formatFixed(mul(covered, F(s.price) - average));
      expect(s.realizedPnl, `sell ${s.size} @ ${s.price}`).toBe(expected);
    }
    // The last sell was larger than what was left of the bought coins: only that part realized.
    expect(held).toBe(0n);
  });

  it('lists newest first, by symbol and page, only for the key presented', async () => {
    expect((await spot.app.inject({ url: '/api/account/fills' })).statusCode).toBe(401);
    const other = (await spot.app.inject({ method: 'POST', url: '/api/accounts', headers: admin, payload: { name: 'none', balances: { USDT: '100' } } })).json<{ apiKey: string }>();
    expect((await spot.app.inject({ url: '/api/account/fills', headers: bearer(other.apiKey) })).json()).toEqual({ items: [], limit: 100, offset: 0, nextOffset: null });
  });
});

describe('GET /api/account/fills and /api/account/leverage on futures', () => {
  let futures: TestService;
  beforeAll(async () => {
    futures = await startTestService({ recording: USDM_RECORDING });
  }, 60_000);
  afterAll(async () => futures.close());

  it("reports the leverage the kernel applies per symbol: the account's default, then what was set", async () => {
    const created = (await futures.app.inject({ method: 'POST', url: '/api/accounts', headers: admin, payload: { name: 'lev', type: 'futures', leverage: 3, balances: { USDT: '10000' } } })).json<{ apiKey: string }>();
    const get = async () => (await futures.app.inject({ url: '/api/account/leverage', headers: bearer(created.apiKey) })).json();
    expect(await get()).toMatchObject({ defaultLeverage: 3, items: [{ symbol: 'BTCUSDT', leverage: 3 }] });
    const set = await futures.app.inject({ method: 'POST', url: '/api/account/leverage', headers: bearer(created.apiKey), payload: { symbol: 'BTCUSDT', leverage: 17 } });
    expect(set.statusCode).toBe(200);
    expect(await get()).toMatchObject({ defaultLeverage: 3, items: [{ symbol: 'BTCUSDT', leverage: 17 }] });
    expect((await futures.app.inject({ url: '/api/account/leverage' })).statusCode).toBe(401);
  });

  it("futures: each fill's realized PnL equals the kernel's, through a partial close and a flip to short", async () => {
    const created = (await futures.app.inject({ method: 'POST', url: '/api/accounts', headers: admin, payload: { name: 'pnl', type: 'futures', leverage: 10, balances: { USDT: '10000' } } })).json<{ id: string; apiKey: string }>();
    const kernelPnl = new Map<string, string | undefined>();
    const stop = futures.deps.hub.subscribe((events) => {
      for (const e of events) if (e.type === 'FILL' && e.account === created.id) kernelPnl.set(e.tradeId, e.realizedPnl);
    });
    try {
      for (const [side, qty] of [['BUY', '0.01'], ['BUY', '0.02'], ['SELL', '0.015'], ['SELL', '0.025'], ['BUY', '0.01']] as const) await trade(futures, created.apiKey, side, qty);
    } finally {
      stop();
    }
    const fills = await fillsOf(futures, created.apiKey);
    expect(fills.length).toBeGreaterThanOrEqual(5);
    expect(fills.filter((f) => f.realizedPnl !== null).length).toBeGreaterThanOrEqual(3);
    for (const f of fills) {
      const theirs = kernelPnl.get(f.id);
      const expected = theirs === undefined || F(theirs) === 0n ? null : theirs;
      expect(f.realizedPnl === null ? null : formatFixed(F(f.realizedPnl)), `fill ${f.id} ${f.orderSide} ${f.size} @ ${f.price}`).toBe(expected === null ? null : formatFixed(F(expected)));
    }
  });
});
