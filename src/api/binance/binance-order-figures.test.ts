/**
 * The Binance Spot dialect's figures after real fills, each checked against a value worked out by
 * hand from the bundled recording's book (BTCUSDT at 2024-08-08 23:55:00: best ask 61,828 × 0.45849,
 * then 61,829.99 × 0.00009; best bid 61,827.99) and the default fees (0.1 % taker, charged in the
 * asset received).
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, startTestService, type TestService } from '../../test-kit/service-kit.js';
import { injectSigned } from '../../test-kit/signed-inject.js';
import { buildServer } from '../server.js';
import { registerBinanceApi } from './binance-api.js';

describe('Binance Spot order figures, by hand', () => {
  let service: TestService;
  let app: FastifyInstance;
  let account: { id: string; apiKey: string; apiSecret: string };
  const signed = async (method: 'GET' | 'POST' | 'DELETE', path: string, params: Record<string, string>) => (await injectSigned(app, account, { method, url: `/binance/api/v3${path}`, params })).json();
  const balances = async () => Object.fromEntries(((await signed('GET', '/account', { omitZeroBalances: 'true' })).balances as { asset: string; free: string; locked: string }[]).map((b) => [b.asset, [b.free, b.locked]]));

  beforeAll(async () => {
    service = await startTestService({ until: 1723161300000 });
    app = await buildServer(service.deps, { plugins: [registerBinanceApi] });
    account = (await app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name: 'figures', balances: { USDT: '100000' } } })).json();
  });
  afterAll(async () => {
    await app.close();
    await service.close();
  });

  it('answers a market buy by quoteOrderQty with origQty the quantity it bought, as Binance does', async () => {
    // 1000 / 61828 = 0.016174…, down to the 0.00001 step: 0.01617 BTC, 0.01617 × 61828 = 999.75876 USDT.
    // Binance states the quantity a quote-sized market order executed as its origQty (origQty =
    // executedQty, origQuoteOrderQty the amount asked), so that origQty − executedQty is what is left.
    const full = await signed('POST', '/order', { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quoteOrderQty: '1000', newOrderRespType: 'FULL' });
    expect(full).toMatchObject({ status: 'FILLED', price: '0', origQty: '0.01617', executedQty: '0.01617', cummulativeQuoteQty: '999.75876', origQuoteOrderQty: '1000' });
    expect(full.fills).toEqual([{ price: '61828', qty: '0.01617', commission: '0.00001617', commissionAsset: 'BTC', tradeId: expect.any(Number) }]);
    const queried = await signed('GET', '/order', { symbol: 'BTCUSDT', orderId: String(full.orderId) });
    expect(queried).toMatchObject({ origQty: '0.01617', executedQty: '0.01617', origQuoteOrderQty: '1000' });
    const [listed] = (await signed('GET', '/allOrders', { symbol: 'BTCUSDT', orderId: String(full.orderId), limit: '1' })) as Record<string, unknown>[];
    expect(listed).toMatchObject({ origQty: '0.01617', executedQty: '0.01617' });
    // 0.01617 − 0.00001617 commission = 0.01615383 BTC; 100000 − 999.75876 = 99000.24124 USDT.
    expect(await balances()).toEqual({ BTC: ['0.01615383', '0'], USDT: ['99000.24124', '0'] });
  });

  it('refuses a myTrades or allOrders window longer than 24 hours with -1127, and takes one of exactly 24 hours', async () => {
    // Binance Spot API, GET /api/v3/myTrades and /api/v3/allOrders: "The time between startTime and
    // endTime can't be longer than 24 hours." (errors.md: -1127 "More than %s hours between startTime and endTime.")
    const day = 24 * 60 * 60 * 1000;
    const start = 1723161000000;
    for (const path of ['/myTrades', '/allOrders']) {
      expect(await signed('GET', path, { symbol: 'BTCUSDT', startTime: String(start), endTime: String(start + day + 1) })).toEqual({ code: -1127, msg: 'More than 24 hours between startTime and endTime.' });
      const within = await signed('GET', path, { symbol: 'BTCUSDT', startTime: String(start), endTime: String(start + day) });
      expect(Array.isArray(within) && within.length > 0).toBe(true);
    }
  });

  it('refuses myTrades by orderId within a time window (-1128), a combination Binance does not support', async () => {
    // GET /api/v3/myTrades: "These are the supported combinations of all parameters: symbol; symbol +
    // orderId; symbol + startTime; symbol + endTime; symbol + fromId; symbol + startTime + endTime;
    // symbol + orderId + fromId." (errors.md: -1128 "Combination of optional parameters invalid.")
    const combination = { code: -1128, msg: 'Combination of optional parameters invalid.' };
    const [trade] = (await signed('GET', '/myTrades', { symbol: 'BTCUSDT', limit: '1' })) as { orderId: number; id: number; time: number }[];
    expect(await signed('GET', '/myTrades', { symbol: 'BTCUSDT', orderId: String(trade!.orderId), startTime: String(trade!.time) })).toEqual(combination);
    expect(await signed('GET', '/myTrades', { symbol: 'BTCUSDT', orderId: String(trade!.orderId), endTime: String(trade!.time) })).toEqual(combination);
    expect(await signed('GET', '/myTrades', { symbol: 'BTCUSDT', startTime: String(trade!.time), fromId: String(trade!.id) })).toEqual(combination);
    // The supported ones answer.
    expect(await signed('GET', '/myTrades', { symbol: 'BTCUSDT', orderId: String(trade!.orderId), fromId: String(trade!.id) })).toEqual([expect.objectContaining({ id: trade!.id })]);
  });
});
