/** The Binance routes over raw HTTP (in-process): Binance's signing, shapes, error codes and weights, signed by hand. */
import type { FastifyInstance, InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, startTestService, type TestService } from '../../test-kit/service-kit.js';
import { buildServer, IN_PROCESS_LIMITS } from '../server.js';
import { registerBinanceApi } from './binance-api.js';
import { binanceSignature } from './binance-signature.js';

// Binance's published example key (Spot API docs, "SIGNED endpoint examples").
const DOC_SECRET = 'NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j';
const NOW = 1_764_500_000_000;

describe('the Binance Spot v3 routes (raw HTTP)', () => {
  let service: TestService;
  let app: FastifyInstance;
  let account: { id: string; apiKey: string; apiSecret: string };
  let now = NOW;

  /**
   * POST as Binance's "mixed" example: some parameters in the query, the rest (with timestamp) in a
   * form body. GET and DELETE: everything in the query string.
   */
  const signed = (method: InjectOptions['method'], path: string, query: string, body: string, extra: { key?: string; secret?: string; timestamp?: number } = {}) => {
    const headers = { 'x-mbx-apikey': extra.key ?? account.apiKey };
    const secret = extra.secret ?? account.apiSecret;
    const timestamp = `timestamp=${extra.timestamp ?? now}`;
    if (method !== 'POST') {
      const total = [query, body, timestamp].filter((part) => part !== '').join('&');
      return app.inject({ method, url: `/binance${path}?${total}&signature=${binanceSignature(secret, total)}`, headers });
    }
    const total = `${body}${body === '' ? '' : '&'}${timestamp}`;
    return app.inject({
      method,
      url: `/binance${path}${query === '' ? '' : `?${query}`}`,
      headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
      payload: `${total}&signature=${binanceSignature(secret, `${query}${total}`)}`,
    });
  };

  beforeAll(async () => {
    service = await startTestService({ until: 1723161300000 });
    app = await buildServer({ ...service.deps, wallClock: () => now }, { plugins: [registerBinanceApi] });
    await service.feedUntil(1723161330000);
    account = (await app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name: 'raw', balances: { USDT: '10000' } } })).json();
  });
  afterAll(async () => {
    await app.close();
    await service.close();
  });

  it("signs as Binance's published examples do: query alone, and query followed by body", () => {
    expect(binanceSignature(DOC_SECRET, 'symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559')).toBe(
      'c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71',
    );
    expect(binanceSignature(DOC_SECRET, 'symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC' + 'quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559')).toBe(
      '0fd168b8ddb4876a0358a8d14d0c9f3da0e9b20c5d52b2a00fcf7d1c602f9a77',
    );
  });

  it('answers ping, time and exchangeInfo with the filters of the instrument and the rate limits', async () => {
    expect((await app.inject({ url: '/binance/api/v3/ping' })).json()).toEqual({});
    expect((await app.inject({ url: '/binance/api/v3/time' })).json()).toEqual({ serverTime: NOW });
    const info = (await app.inject({ url: '/binance/api/v3/exchangeInfo?symbols=%5B%22BTCUSDT%22%5D' })).json();
    expect(info.rateLimits).toContainEqual({ rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: 6000 });
    const [symbol] = info.symbols;
    expect(symbol).toMatchObject({ symbol: 'BTCUSDT', status: 'TRADING', baseAsset: 'BTC', quoteAsset: 'USDT', quoteOrderQtyMarketAllowed: true, allowTrailingStop: true, ocoAllowed: true });
    // The bundled BTCUSDT spec (core/instruments), as in Binance's exchangeInfo (data/exchange): price 0.01–1000000 on a
    // 0.01 tick, step 0.00001, min 0.00001, max 9000, min notional 10 over 5 minutes, 0.2×–5× the 5-minute average price
    // on both sides, trailing 10–2000 BIPS.
    expect(symbol.filters).toEqual(
      expect.arrayContaining([
        { filterType: 'PRICE_FILTER', minPrice: '0.01', maxPrice: '1000000', tickSize: '0.01' },
        { filterType: 'LOT_SIZE', minQty: '0.00001', maxQty: '9000', stepSize: '0.00001' },
        expect.objectContaining({ filterType: 'NOTIONAL', minNotional: '10', applyMinToMarket: true, avgPriceMins: 5 }),
        { filterType: 'PERCENT_PRICE_BY_SIDE', bidMultiplierUp: '5', bidMultiplierDown: '0.2', askMultiplierUp: '5', askMultiplierDown: '0.2', avgPriceMins: 5 },
        { filterType: 'TRAILING_DELTA', minTrailingAboveDelta: 10, maxTrailingAboveDelta: 2000, minTrailingBelowDelta: 10, maxTrailingBelowDelta: 2000 },
      ]),
    );
    expect((await app.inject({ url: '/binance/api/v3/depth?symbol=NOPE' })).json()).toEqual({ code: -1121, msg: 'Invalid symbol.' });
    expect((await app.inject({ url: '/binance/api/v3/klines?symbol=BTCUSDT&interval=7m' })).json()).toEqual({ code: -1120, msg: 'Invalid interval.' });
    const unknown = await app.inject({ url: '/binance/api/v3/nothing' });
    expect([unknown.statusCode, unknown.json().code]).toEqual([404, -1020]);
  });

  it('answers klines in the twelve-field shape, closing one millisecond before the next opens', async () => {
    const [row] = (await app.inject({ url: '/binance/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=1' })).json();
    expect(row).toHaveLength(12);
    expect(row[6] - row[0]).toBe(59_999);
    expect(Number(row[9])).toBeLessThanOrEqual(Number(row[5])); // taker-buy volume is part of the volume
  });

  it('verifies key, signature and recvWindow with Binance codes', async () => {
    const code = async (response: Promise<{ json(): { code: number }; statusCode: number }>) => {
      const r = await response;
      return [r.statusCode, r.json().code];
    };
    expect(await code(signed('GET', '/api/v3/account', 'omitZeroBalances=true', ''))).toEqual([200, undefined]);
    expect(await code(signed('GET', '/api/v3/account', '', '', { secret: 'f'.repeat(64) }))).toEqual([400, -1022]);
    expect(await code(signed('GET', '/api/v3/account', '', '', { key: 'pt_unknown' }))).toEqual([401, -2015]);
    expect(await code(app.inject({ url: `/binance/api/v3/account?timestamp=${now}&signature=00` }))).toEqual([401, -2014]);
    expect(await code(signed('GET', '/api/v3/account', '', '', { timestamp: now - 5_001 }))).toEqual([400, -1021]);
    expect(await code(signed('GET', '/api/v3/account', '', '', { timestamp: now + 1_000 }))).toEqual([400, -1021]);
    expect(await code(signed('GET', '/api/v3/account', '', 'recvWindow=10000', { timestamp: now - 9_000 }))).toEqual([200, undefined]);
    expect(await code(signed('GET', '/api/v3/account', '', 'recvWindow=60001'))).toEqual([400, -1131]);
  });

  it('order/test validates as a placement does (Binance: "creates and validates a new order"), answering the same filter failures', async () => {
    const bid = service.engine.kernel.depth('BTCUSDT', 1)!.bids[0]![0];
    const price = (Number(bid) - 1000).toFixed(2);
    const test = async (params: string) => {
      const res = await signed('POST', '/api/v3/order/test', 'symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC', params);
      return [res.statusCode, res.json()];
    };
    // The bundled spec: tick 0.01, step 0.00001, minimum notional 10 USDT (Binance's answers: -1013 "Filter failure: <filter>").
    expect(await test(`quantity=0.01&price=${price}1`)).toEqual([400, { code: -1013, msg: 'Filter failure: PRICE_FILTER' }]);
    expect(await test(`quantity=0.000001&price=${price}`)).toEqual([400, { code: -1013, msg: 'Filter failure: LOT_SIZE' }]);
    expect(await test(`quantity=0.0001&price=${price}`)).toEqual([400, { code: -1013, msg: 'Filter failure: NOTIONAL' }]);
    expect(await test(`quantity=0.01&price=${price}`)).toEqual([200, {}]);
    expect(service.engine.kernel.orders(account.id)).toHaveLength(0);
  });

  it('answers a new order as ACK, RESULT or FULL, and order/test places nothing', async () => {
    const bid = service.engine.kernel.depth('BTCUSDT', 1)!.bids[0]![0];
    const price = (Number(bid) - 1000).toFixed(2);
    const test = await signed('POST', '/api/v3/order/test', 'symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC', `quantity=0.01&price=${price}&computeCommissionRates=true`);
    expect(test.json()).toMatchObject({ standardCommissionForOrder: { maker: '0.001', taker: '0.001' } });
    expect(service.engine.kernel.orders(account.id)).toHaveLength(0);

    const ack = await signed('POST', '/api/v3/order', 'symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC', `quantity=0.01&price=${price}&newOrderRespType=ACK&newClientOrderId=raw-1`);
    expect(Object.keys(ack.json()).sort()).toEqual(['clientOrderId', 'orderId', 'orderListId', 'symbol', 'transactTime']);
    expect(ack.headers['x-mbx-order-count-10s']).toBe('1');
    const result = (await signed('POST', '/api/v3/order', 'symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC', `quantity=0.01&price=${price}&newOrderRespType=RESULT`)).json();
    expect(result).toMatchObject({ status: 'NEW', type: 'LIMIT', timeInForce: 'GTC', price, origQty: '0.01', executedQty: '0', side: 'BUY' });
    expect(result.fills).toBeUndefined();
    const full = (await signed('POST', '/api/v3/order', 'symbol=BTCUSDT&side=BUY&type=MARKET', 'quoteOrderQty=20')).json();
    expect(full.status).toBe('FILLED');
    expect(full.fills.length).toBeGreaterThan(0);
    expect(full.fills.reduce((s: number, f: { qty: string }) => s + Number(f.qty), 0)).toBeCloseTo(Number(full.executedQty), 10);

    const queried = (await signed('GET', '/api/v3/order', 'symbol=BTCUSDT&origClientOrderId=raw-1', '')).json();
    expect(queried).toMatchObject({ clientOrderId: 'raw-1', status: 'NEW', isWorking: true, stopPrice: '0', icebergQty: '0' });
    expect((await signed('GET', '/api/v3/order', 'symbol=BTCUSDT', '')).json().code).toBe(-1102);
    expect((await signed('DELETE', '/api/v3/order', 'symbol=BTCUSDT&orderId=987654', '')).json()).toEqual({ code: -2011, msg: 'Unknown order sent.' });
    expect((await signed('GET', '/api/v3/order', 'symbol=BTCUSDT&orderId=987654', '')).json()).toEqual({ code: -2013, msg: 'Order does not exist.' });
    const canceled = await signed('DELETE', '/api/v3/openOrders', 'symbol=BTCUSDT', '');
    expect(canceled.json().map((o: { status: string }) => o.status)).toEqual(['CANCELED', 'CANCELED']);
  });

  it('refuses too small, too fine and unaffordable orders with filter failures and -2010', async () => {
    const bid = (Number(service.engine.kernel.depth('BTCUSDT', 1)!.bids[0]![0]) - 1000).toFixed(2);
    const place = async (body: string) => (await signed('POST', '/api/v3/order', 'symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC', body)).json();
    expect(await place(`quantity=0.0001&price=${bid}`)).toEqual({ code: -1013, msg: 'Filter failure: NOTIONAL' });
    expect(await place(`quantity=0.000001&price=${bid}`)).toEqual({ code: -1013, msg: 'Filter failure: LOT_SIZE' });
    expect(await place(`quantity=0.01&price=${bid}1`)).toEqual({ code: -1013, msg: 'Filter failure: PRICE_FILTER' });
    expect(await place(`quantity=1&price=${bid}`)).toEqual({ code: -2010, msg: 'Account has insufficient balance for requested action.' });
  });

  it("refuses what the kernel's exchange rules refuse, in Binance's words: band, trailing bounds in BIPS, a stop already reached", async () => {
    const place = async (query: string, body: string) => (await signed('POST', '/api/v3/order', `symbol=BTCUSDT&${query}`, body)).json();
    // 100 USDT lies far below 0.2× the 5-minute average price (about 61,800 on the recording).
    expect(await place('side=BUY&type=LIMIT&timeInForce=GTC', 'quantity=0.1&price=100')).toEqual({ code: -1013, msg: 'Filter failure: PERCENT_PRICE_BY_SIDE' });
    // trailingDelta is in BIPS: 5 = 0.05 %, below TRAILING_DELTA's 10; 150 = 1.5 % passes (the kernel's callbackRate "0.015").
    expect(await place('side=BUY&type=STOP_LOSS', 'quantity=0.001&trailingDelta=5')).toEqual({ code: -1013, msg: 'Filter failure: TRAILING_DELTA' });
    expect(await place('side=BUY&type=STOP_LOSS', 'quantity=0.001&trailingDelta=150&newOrderRespType=RESULT')).toMatchObject({ status: 'NEW', type: 'STOP_LOSS' });
    // A buy stop-loss at 1,000 fires as soon as the price is at or above it: it is already.
    expect(await place('side=BUY&type=STOP_LOSS', 'quantity=0.001&stopPrice=1000')).toEqual({ code: -2010, msg: 'Stop price would trigger immediately.' });
    expect((await signed('GET', '/api/v3/avgPrice', 'symbol=BTCUSDT', '')).json()).toMatchObject({ mins: 5 });
    await signed('DELETE', '/api/v3/openOrders', 'symbol=BTCUSDT', '');
  });

  it('counts request weight per minute and refuses past 6000 with -1003', async () => {
    now = Date.UTC(2026, 0, 1, 12, 0, 0); // a fresh minute
    const depth = () => app.inject({ url: '/binance/api/v3/depth?symbol=BTCUSDT&limit=5000' });
    const first = await depth();
    expect(first.headers['x-mbx-used-weight-1m']).toBe('250');
    for (let i = 1; i < 24; i += 1) await depth();
    const past = await depth(); // 25 × 250 = 6250 > 6000
    expect([past.statusCode, past.json().code, past.headers['x-mbx-used-weight-1m']]).toEqual([429, -1003, '6250']);
    now += 60_000; // the next minute starts from zero
    expect((await app.inject({ url: '/binance/api/v3/ping' })).headers['x-mbx-used-weight-1m']).toBe('1');
    now = NOW;
  });

  it("answers the edge's own refusals under /binance in Binance's shape too", async () => {
    const plain = await app.inject({ method: 'POST', url: '/binance/api/v3/order', headers: { 'content-type': 'text/plain' }, payload: 'x' });
    expect([plain.statusCode, plain.json().code]).toEqual([415, -1100]);
    const wrongMethod = await app.inject({ method: 'PUT', url: '/binance/api/v3/order' });
    expect(wrongMethod.json().code).toBe(-1020);
  });

  it('backs off an address that keeps sending wrong signatures, before checking the next one', async () => {
    // A server of its own with a back-off after 3 failures that outlasts the test.
    const guarded = await buildServer(service.deps, { plugins: [registerBinanceApi], limits: { ...IN_PROCESS_LIMITS, authFailureLimit: 3, authBackoffMs: 60_000, authBackoffMaxMs: 60_000 } });
    try {
      const wrongKey = () => guarded.inject({ url: `/binance/api/v3/account?timestamp=${Date.now()}&signature=${'0'.repeat(64)}`, headers: { 'x-mbx-apikey': 'pt_unknown' } });
      expect((await wrongKey()).json().code).toBe(-2015);
      await wrongKey();
      await wrongKey();
      const total = `timestamp=${Date.now()}`;
      const good = await guarded.inject({ url: `/binance/api/v3/account?${total}&signature=${binanceSignature(account.apiSecret, total)}`, headers: { 'x-mbx-apikey': account.apiKey } });
      expect([good.statusCode, good.json().code]).toEqual([429, -1003]);
      expect(Number(good.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    } finally {
      await guarded.close();
    }
  });
});

/**
 * Binance Spot's market data over hand-made trades, every figure worked out by hand: prices and
 * quantities with 8 decimals, as each route's example in Binance's docs (rest-api.md, "Market Data
 * endpoints"), and ticker/24hr's prevClosePrice, the last price before the 24-hour window.
 */
describe("the Binance Spot v3 market data routes print Binance's figures", () => {
  const START = 1723161300000; // 2024-08-08T23:55:00Z: the recording's book is synced by then
  const T0 = START + 1_000;
  const HOUR = 3_600_000;
  const DAY = 24 * HOUR;
  let service: TestService;
  let app: FastifyInstance;
  const get = async (path: string) => (await app.inject({ url: `/binance/api/v3/${path}` })).json();
  const trade = (tradeId: number, time: number, price: string, quantity: string, buyerMaker: boolean) =>
    service.deps.hub.submit({ kind: 'trade', symbol: 'BTCUSDT', tradeId, time, price, quantity, buyerMaker });
  /** A decimal string with 8 decimals, by string padding (an independent model of the format). */
  const pad8 = (s: string) => {
    const [whole, fraction = ''] = s.split('.');
    return `${whole}.${fraction.padEnd(8, '0')}`;
  };

  beforeAll(async () => {
    service = await startTestService({ until: START });
    // The tape starts with the plugin: it holds only the trades below.
    app = await buildServer(service.deps, { plugins: [registerBinanceApi] });
  });
  afterAll(async () => {
    await app.close();
    await service.close();
  });

  it('ticker/24hr, before the tape reaches past its window, takes the first trade of the window as the previous close', async () => {
    await trade(9_000_000_001, T0, '61000.5', '0.1', true);
    await trade(9_000_000_002, T0 + HOUR, '61100', '0.2', false);
    // The window (T0 + 1 h − 24 h, T0 + 1 h] holds both trades; none is known before it.
    expect(await get('ticker/24hr?symbol=BTCUSDT')).toMatchObject({ prevClosePrice: '61000.50000000', openPrice: '61000.50000000', lastPrice: '61100.00000000', count: 2 });
  });

  it("prints every price and quantity with 8 decimals, and ticker/24hr's previous close is the last trade before the window", async () => {
    await trade(9_000_000_003, T0 + DAY + HOUR / 2, '61200.25', '0.05', false);
    await trade(9_000_000_004, T0 + DAY + HOUR, '61150', '0.15', true);
    const now = T0 + DAY + HOUR + 60_000;
    await trade(9_000_000_005, now, '61151', '0.06', false);

    // The window is (now − 24 h, now] = (T0 + 1 h + 60 s, …]: trades 3, 4 and 5. Trade 2, at T0 + 1 h, is the last before it.
    // open 61200.25, high 61200.25, low 61150, close 61151; change 61151 − 61200.25 = −49.25, −49.25 / 61200.25 = −0.0805 % → −0.080.
    // volume 0.05 + 0.15 + 0.06 = 0.26; quote 3060.0125 + 9172.5 + 3669.06 = 15901.5725; 15901.5725 / 0.26 = 61159.894230769… → 61159.89423077.
    const [bid] = service.engine.kernel.depth('BTCUSDT', 1)!.bids;
    const [ask] = service.engine.kernel.depth('BTCUSDT', 1)!.asks;
    expect(await get('ticker/24hr?symbol=BTCUSDT')).toEqual({
      symbol: 'BTCUSDT',
      priceChange: '-49.25000000',
      priceChangePercent: '-0.080',
      weightedAvgPrice: '61159.89423077',
      prevClosePrice: '61100.00000000',
      lastPrice: '61151.00000000',
      lastQty: '0.06000000',
      bidPrice: pad8(bid![0]),
      bidQty: pad8(bid![1]),
      askPrice: pad8(ask![0]),
      askQty: pad8(ask![1]),
      openPrice: '61200.25000000',
      highPrice: '61200.25000000',
      lowPrice: '61150.00000000',
      volume: '0.26000000',
      quoteVolume: '15901.57250000',
      // The window's bounds (Binance's example: closeTime − openTime = 24 h), not its first trade's time.
      openTime: now - DAY,
      closeTime: now,
      firstId: 9_000_000_003,
      lastId: 9_000_000_005,
      count: 3,
    });
    expect(await get('ticker/price?symbol=BTCUSDT')).toEqual({ symbol: 'BTCUSDT', price: '61151.00000000' });
    expect(await get('ticker/bookTicker?symbol=BTCUSDT')).toEqual({ symbol: 'BTCUSDT', bidPrice: pad8(bid![0]), bidQty: pad8(bid![1]), askPrice: pad8(ask![0]), askQty: pad8(ask![1]) });
    const depth = service.engine.kernel.depth('BTCUSDT', 5)!;
    expect(await get('depth?symbol=BTCUSDT&limit=5')).toMatchObject({
      bids: depth.bids.map(([p, q]) => [pad8(p), pad8(q)]),
      asks: depth.asks.map(([p, q]) => [pad8(p), pad8(q)]),
    });
    // A trade's quoteQty is the exact price × qty, as in Binance's example ("48.000012"): 61150 × 0.15 = 9172.5, 61151 × 0.06 = 3669.06.
    expect(await get('trades?symbol=BTCUSDT&limit=2')).toEqual([
      { id: 9_000_000_004, price: '61150.00000000', qty: '0.15000000', quoteQty: '9172.5', time: T0 + DAY + HOUR, isBuyerMaker: true, isBestMatch: true },
      { id: 9_000_000_005, price: '61151.00000000', qty: '0.06000000', quoteQty: '3669.06', time: now, isBuyerMaker: false, isBestMatch: true },
    ]);
    expect(await get('aggTrades?symbol=BTCUSDT&limit=1')).toEqual([{ a: 9_000_000_005, p: '61151.00000000', q: '0.06000000', f: 9_000_000_005, l: 9_000_000_005, T: now, m: false, M: true }]);
    // The 5 minutes before now hold trades 4 and 5: (9172.5 + 3669.06) / 0.21 = 12841.56 / 0.21 = 61150.285714285… → 61150.28571429.
    expect(await get('avgPrice?symbol=BTCUSDT')).toEqual({ mins: 5, price: '61150.28571429', closeTime: now });
    // Daily candles (UTC): Aug 8 holds trade 1, Aug 9 trade 2, Aug 10 trades 3–5. Taker buys are the trades whose buyer was not the maker:
    // trade 2 (0.2, 12220), trades 3 and 5 (0.05 + 0.06 = 0.11; 3060.0125 + 3669.06 = 6729.0725).
    const aug8 = Date.UTC(2024, 7, 8);
    const aug9 = aug8 + DAY;
    const aug10 = aug9 + DAY;
    expect(await get('klines?symbol=BTCUSDT&interval=1d')).toEqual([
      [aug8, '61000.50000000', '61000.50000000', '61000.50000000', '61000.50000000', '0.10000000', aug9 - 1, '6100.05000000', 1, '0.00000000', '0.00000000', '0'],
      [aug9, '61100.00000000', '61100.00000000', '61100.00000000', '61100.00000000', '0.20000000', aug10 - 1, '12220.00000000', 1, '0.20000000', '12220.00000000', '0'],
      [aug10, '61200.25000000', '61200.25000000', '61150.00000000', '61151.00000000', '0.26000000', aug10 + DAY - 1, '15901.57250000', 3, '0.11000000', '6729.07250000', '0'],
    ]);
    expect(await get('uiKlines?symbol=BTCUSDT&interval=1d&limit=1')).toEqual([
      [aug10, '61200.25000000', '61200.25000000', '61150.00000000', '61151.00000000', '0.26000000', aug10 + DAY - 1, '15901.57250000', 3, '0.11000000', '6729.07250000', '0'],
    ]);
  });
});
