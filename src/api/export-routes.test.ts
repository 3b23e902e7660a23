import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLED_RECORDING } from '../test-kit/data-paths.js';
import { ADMIN_KEY, startTestService, type TestService } from '../test-kit/service-kit.js';
import { ORDER_COLUMNS, parseTimeParameter, TRADE_COLUMNS } from './export-routes.js';

const admin = { authorization: `Bearer ${ADMIN_KEY}` };
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

/** Splits CSV whose cells hold no comma, quote or line break (checked), so a plain split is a faithful parser. */
function parseSafeCsv(body: string): Record<string, string>[] {
  expect(body.endsWith('\r\n')).toBe(true);
  const lines = body.slice(0, -2).split('\r\n');
  for (const line of lines) expect(line).not.toMatch(/["\n\r]/);
  const [header, ...rows] = lines.map((l) => l.split(','));
  return rows.map((cells) => {
    expect(cells).toHaveLength(header!.length);
    return Object.fromEntries(header!.map((name, i) => [name, cells[i]!]));
  });
}

/**
 * Binance's own best bid and ask after the depth updates stamped at or before `time`: the bookTicker
 * row whose update id is the last one those updates reached (both streams share one sequence).
 */
function bookTickerAt(time: number): { bid: string; ask: string; askQty: string } {
  const gz = (name: string) => gunzipSync(readFileSync(`${BUNDLED_RECORDING}/${name}`)).toString('utf8').trim().split('\n');
  let lastUpdate = 0;
  for (const line of gz('depth_updates.jsonl.gz')) {
    const update = JSON.parse(line) as { E: number; u: number };
    if (update.E <= time) lastUpdate = update.u;
  }
  let best: string[] | undefined;
  for (const line of gz('book_ticker.csv.gz').slice(1)) {
    const cells = line.split(',');
    if (Number(cells[0]) <= lastUpdate) best = cells;
  }
  return { bid: best![1]!, ask: best![3]!, askQty: best![4]! };
}

/** A decimal string without trailing zeros, to compare amounts written at different scales. */
const plain = (s: string) => (s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s);

describe('CSV exports of trades and orders', () => {
  let service: TestService;
  let alice: { id: string; apiKey: string };
  let bob: { id: string; apiKey: string };
  const inject = (options: InjectOptions) => service.app.inject(options);
  const BUY_AT = 1723161300000;
  const SELL_AT = 1723161300100;
  // A command meets the market at the time of the last market input before it: fills carry that time.
  let buyTime = 0;
  let sellTime = 0;

  beforeAll(async () => {
    // Some cases write rows of their own into the read tables (paging, quoting), which the kernel never saw.
    service = await startTestService({ until: BUY_AT, checkReadModel: false });
    const lastInputAt = (t: number) => service.recording.inputs.filter((i) => i.time <= t).at(-1)!.time;
    buyTime = lastInputAt(BUY_AT);
    sellTime = lastInputAt(SELL_AT);
    alice = (await inject({ method: 'POST', url: '/api/accounts', headers: admin, payload: { name: 'alice', balances: { USDT: '100000', BTC: '1' } } })).json();
    bob = (await inject({ method: 'POST', url: '/api/accounts', headers: admin, payload: { name: 'bob', balances: { USDT: '1000' } } })).json();
    const place = async (key: string, payload: object) => {
      const res = await inject({ method: 'POST', url: '/api/orders', headers: bearer(key), payload: { symbol: 'BTCUSDT', ...payload } });
      expect(res.statusCode, res.body).toBe(201);
    };
    await place(alice.apiKey, { side: 'BUY', type: 'MARKET', quantity: '0.01' });
    await service.feedUntil(SELL_AT);
    await place(alice.apiKey, { side: 'SELL', type: 'MARKET', quantity: '0.01' });
    await place(alice.apiKey, { side: 'BUY', type: 'LIMIT', quantity: '0.001', price: '50000.00', clientOrderId: 'resting-1' });
    await place(bob.apiKey, { side: 'BUY', type: 'MARKET', quantity: '0.001' });
    await service.engine.readModelCaughtUp();
  });
  afterAll(async () => service.close());

  it('exports the fills of a market buy and sell with the prices, quantities and fees computed by hand', async () => {
    const res = await inject({ url: '/api/trades.csv', headers: bearer(alice.apiKey) });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toBe(`attachment; filename="trades_${alice.id}.csv"`);
    expect(res.body.split('\r\n')[0]).toBe('time,time_ms,symbol,side,price,quantity,quote_quantity,fee,fee_asset,liquidity,realized_pnl,order_id,trade_id');
    const rows = parseSafeCsv(res.body);
    // The oracle: Binance's bookTicker at those moments (ask 61828.00 with 0.458 BTC, bid 61827.99),
    // a 0.1 % taker fee on what is received (BTC on the buy, USDT on the sell).
    const atBuy = bookTickerAt(BUY_AT);
    const atSell = bookTickerAt(SELL_AT);
    expect([plain(atBuy.ask), plain(atSell.bid)]).toEqual(['61828', '61827.99']);
    expect(Number(atBuy.askQty)).toBeGreaterThan(0.01);
    // The sell closes what the buy brought in net of its fee, 0.00999 BTC, at 0.01 below its price.
    expect(rows.map((r) => [r.side, plain(r.price!), plain(r.quantity!), plain(r.quote_quantity!), plain(r.fee!), r.fee_asset, r.liquidity, r.symbol, plain(r.realized_pnl!)])).toEqual([
      ['BUY', plain(atBuy.ask), '0.01', '618.28', '0.00001', 'BTC', 'TAKER', 'BTCUSDT', ''],
      ['SELL', plain(atSell.bid), '0.01', '618.2799', '0.6182799', 'USDT', 'TAKER', 'BTCUSDT', '-0.0000999'],
    ]);
    expect(rows.map((r) => [r.time, r.time_ms])).toEqual([
      [new Date(buyTime).toISOString(), String(buyTime)],
      [new Date(sellTime).toISOString(), String(sellTime)],
    ]);
  });

  it('holds exactly the fills the JSON history gives, with the same realized PnL', async () => {
    const json = (await inject({ url: '/api/account/fills?limit=500', headers: bearer(alice.apiKey) })).json().items as Record<string, unknown>[];
    const rows = parseSafeCsv((await inject({ url: '/api/trades.csv', headers: bearer(alice.apiKey) })).body);
    const fromJson = [...json].reverse().map((t) => ({
      time: new Date(t.timestamp as number).toISOString(),
      time_ms: String(t.timestamp),
      symbol: t.symbol,
      side: t.orderSide,
      price: t.price,
      quantity: t.size,
      quote_quantity: t.quoteQty,
      fee: t.fee,
      fee_asset: t.feeAsset,
      liquidity: t.liquidity,
      realized_pnl: t.realizedPnl ?? '',
      order_id: t.orderId,
      trade_id: t.id,
    }));
    expect(rows).toEqual(fromJson);
    expect(Object.keys(rows[0]!)).toEqual([...TRADE_COLUMNS]);
  });

  it('exports orders with their status, and only the key’s own account', async () => {
    const rows = parseSafeCsv((await inject({ url: '/api/orders.csv', headers: bearer(alice.apiKey) })).body);
    expect(Object.keys(rows[0]!)).toEqual([...ORDER_COLUMNS]);
    expect(rows.map((r) => [r.side, r.type, r.status, plain(r.executed_quantity!), r.client_order_id])).toEqual([
      ['BUY', 'MARKET', 'FILLED', '0.01', expect.any(String)],
      ['SELL', 'MARKET', 'FILLED', '0.01', expect.any(String)],
      ['BUY', 'LIMIT', 'NEW', '0', 'resting-1'],
    ]);
    expect(plain(rows[0]!.cumulative_quote_quantity!)).toBe('618.28');
    const bobs = parseSafeCsv((await inject({ url: '/api/trades.csv', headers: bearer(bob.apiKey) })).body);
    expect(bobs).toHaveLength(1);
    expect(bobs[0]).toMatchObject({ side: 'BUY', fee_asset: 'BTC' });
  });

  it('keeps a time range from ≤ time < to, given in Unix ms or ISO 8601, realized PnL counted from the first fill', async () => {
    const get = async (query: string) => parseSafeCsv((await inject({ url: `/api/trades.csv?${query}`, headers: bearer(alice.apiKey) })).body).map((r) => r.side);
    expect(buyTime).toBeLessThan(sellTime);
    expect(await get(`from=${sellTime}`)).toEqual(['SELL']);
    const sellOnly = parseSafeCsv((await inject({ url: `/api/trades.csv?from=${sellTime}`, headers: bearer(alice.apiKey) })).body);
    expect(plain(sellOnly[0]!.realized_pnl!)).toBe('-0.0000999');
    expect(await get(`to=${sellTime}`)).toEqual(['BUY']);
    expect(await get(`from=${buyTime}&to=${sellTime + 1}`)).toEqual(['BUY', 'SELL']);
    expect(await get(`from=${buyTime + 1}&to=${sellTime}`)).toEqual([]);
    expect(await get(`from=${new Date(sellTime).toISOString()}`)).toEqual(['SELL']);
    expect(await get(`to=${new Date(sellTime).toISOString()}`)).toEqual(['BUY']);
    expect(await get('from=2024-08-09')).toEqual([]);
    expect(await get('symbol=ETHUSDT')).toEqual([]);
    const named = await inject({ url: `/api/trades.csv?from=${BUY_AT}&to=2024-08-09`, headers: bearer(alice.apiKey) });
    expect(named.headers['content-disposition']).toBe(`attachment; filename="trades_${alice.id}_2024-08-08T235500Z-2024-08-09T000000Z.csv"`);
  });

  it('is described in the OpenAPI document as text/csv', async () => {
    const docs = (await inject({ url: '/docs/json' })).json();
    for (const path of ['/api/trades.csv', '/api/orders.csv']) {
      expect(Object.keys(docs.paths[path].get.responses['200'].content)).toEqual(['text/csv']);
      expect(docs.paths[path].get.parameters.map((p: { name: string }) => p.name).sort()).toEqual(['from', 'symbol', 'to']);
    }
  });

  it('reads times as Unix ms or ISO 8601 in UTC unless an offset is named', () => {
    expect(parseTimeParameter('1723161300000', 'from')).toBe(1723161300000);
    expect(parseTimeParameter('2024-08-08T23:55:00Z', 'from')).toBe(1723161300000);
    expect(parseTimeParameter('2024-08-08T23:55:00', 'from')).toBe(1723161300000);
    expect(parseTimeParameter('2024-08-09T01:55:00+02:00', 'from')).toBe(1723161300000);
    expect(parseTimeParameter('2024-08-09', 'from')).toBe(1723161600000);
    // 2024 is a leap year: 29 February is a day (1709164800000 = 2024-02-29T00:00Z: 19782 days × 86,400,000 ms).
    expect(parseTimeParameter('2024-02-29', 'from')).toBe(1709164800000);
  });

  it('refuses a date that is not a day of the calendar instead of reading the next month', () => {
    // Date.parse reads each of these as a day of the following month (2024-03-01, 2023-03-01, 2024-05-01).
    for (const value of ['2024-02-30', '2023-02-29T00:00:00Z', '2024-04-31T10:00', '2024-00-10']) {
      expect(() => parseTimeParameter(value, 'from'), value).toThrow(`from: expected Unix milliseconds (1723161300000) or ISO 8601 (2024-08-08T23:55:00Z), got "${value}"`);
    }
  });

  it('refuses a missing key, a malformed time and an empty range', async () => {
    expect((await inject({ url: '/api/trades.csv' })).statusCode).toBe(401);
    expect((await inject({ url: '/api/trades.csv?from=yesterday&colour=red' })).statusCode).toBe(401);
    const bad = await inject({ url: '/api/orders.csv?from=yesterday', headers: bearer(alice.apiKey) });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ code: 'INVALID_REQUEST', message: expect.stringMatching(/^from: expected Unix milliseconds/) });
    const empty = await inject({ url: `/api/trades.csv?from=${sellTime}&to=${buyTime}`, headers: bearer(alice.apiKey) });
    expect(empty.json()).toMatchObject({ code: 'INVALID_REQUEST', message: expect.stringMatching(/^to:/) });
  });

  it('quotes cells as RFC 4180 says and keeps formula-like text inert', async () => {
    const at = 1723161000000;
    await service.deps.db
      .insertInto('orders')
      .values({ id: 'o-quoted', accountId: bob.id, clientOrderId: '-1+1', symbol: 'BTCUSDT', side: 'SELL', type: 'LIMIT', price: '1', quantity: '1', quoteOrderQty: null, status: 'CANCELED', executedQty: '0', cumulativeQuoteQty: '0', reason: 'canceled, "by hand"\nthen gone', createdAt: at, updatedAt: at })
      .execute();
    const body = (await inject({ url: `/api/orders.csv?to=${at + 1}`, headers: bearer(bob.apiKey) })).body;
    expect(body).toBe(
      `${ORDER_COLUMNS.join(',')}\r\n` +
        `2024-08-08T23:50:00.000Z,${at},2024-08-08T23:50:00.000Z,BTCUSDT,SELL,LIMIT,CANCELED,1,1,,0,0,"canceled, ""by hand""\nthen gone",o-quoted,'-1+1\r\n`,
    );
  });

  it('streams an export larger than one read batch, in time order, rows with equal times included', async () => {
    const accountId = 'acc_bulk';
    // Ids are counters: 999 comes before 1000 although it sorts after it as text.
    const rows = Array.from({ length: 2_345 }, (_, i) => ({
      id: String(900 + i),
      accountId,
      orderId: `o${i}`,
      positionId: null,
      symbol: 'BTCUSDT',
      side: null,
      orderSide: 'BUY' as const,
      size: '0.001',
      price: '60000',
      quoteQty: '60',
      pnl: null,
      fee: '0.000001',
      feeAsset: 'BTC',
      liquidity: 'TAKER' as const,
      reason: null,
      // Runs of 7 rows share a time, so batch edges fall inside runs.
      timestamp: 1723161000000 + Math.floor(i / 7),
    }));
    for (let i = 0; i < rows.length; i += 500) await service.deps.db.insertInto('trades').values(rows.slice(i, i + 500)).execute();
    const key = (await inject({ method: 'POST', url: '/api/accounts', headers: admin, payload: { name: 'bulk', balances: { USDT: '1' } } })).json();
    await service.deps.db.updateTable('trades').set({ accountId: key.id }).where('accountId', '=', accountId).execute();
    const exported = parseSafeCsv((await inject({ url: '/api/trades.csv', headers: bearer(key.apiKey) })).body);
    expect(exported.map((r) => r.trade_id)).toEqual(rows.map((r) => r.id));
  });
});
