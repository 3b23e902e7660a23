import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OrderNewEvent } from '../../core/kernel/events.js';
import { formatFixed, parseFixed } from '../../core/money/fixed.js';
import { orderTradeUpdate } from '../binance-streams/user-data-frames.js';
import { USDM_RECORDING } from '../../test-kit/data-paths.js';
import { ADMIN_KEY, startTestService, type TestService } from '../../test-kit/service-kit.js';
import { injectSigned } from '../../test-kit/signed-inject.js';
import { buildServer } from '../server.js';
import { registerBinanceUsdmApi } from './usdm-api.js';

const T = 1723161400000;
const TICK = parseFixed('0.1');

/**
 * USD-M's `workingType` (https://developers.binance.com/docs/derivatives/usds-margined-futures/trade/rest-api/New-Algo-Order):
 * MARK_PRICE or CONTRACT_PRICE (default) on a conditional order, echoed in its answers and in
 * ORDER_TRADE_UPDATE's `wt`; any other value is -4031 INVALID_WORKING_TYPE (Binance's error list).
 */
describe('USD-M workingType: the price a conditional order triggers on', () => {
  let service: TestService;
  let app: FastifyInstance;
  let key: { apiKey: string; apiSecret: string; id: string };
  const signed = (method: 'POST' | 'GET' | 'DELETE', path: string, params: Record<string, string>) => injectSigned(app, key, { method, url: `/binance/fapi${path}`, params });
  const stop = async (params: Record<string, string>) =>
    (await signed('POST', '/v1/algoOrder', { algoType: 'CONDITIONAL', symbol: 'BTCUSDT', side: 'SELL', type: 'STOP_MARKET', quantity: '0.002', reduceOnly: 'true', ...params })).json();

  beforeAll(async () => {
    service = await startTestService({ recording: USDM_RECORDING, until: T });
    app = await buildServer(service.deps, { plugins: [registerBinanceUsdmApi] });
    key = (await app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name: 'f', type: 'futures', leverage: 10, balances: { USDT: '20000' } } })).json();
    expect((await signed('POST', '/v1/order', { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.006' })).statusCode).toBe(200);
  });
  afterAll(async () => {
    await app?.close();
    await service?.close();
  });

  it('refuses a workingType it does not know with -4031 and places nothing', async () => {
    const before = service.engine.kernel.exportAccount(key.id);
    expect(await stop({ triggerPrice: '61000', workingType: 'INDEX_PRICE' })).toEqual({ code: -4031, msg: 'Invalid parameter working type: INDEX_PRICE' });
    expect(service.engine.kernel.exportAccount(key.id)).toBe(before);
  });

  it('answers MARK_PRICE for a stop on the mark and CONTRACT_PRICE for one on the last price, in the order, the open list and the stream', async () => {
    const mark = await stop({ triggerPrice: '61000', workingType: 'MARK_PRICE', clientAlgoId: 'wt-mark' });
    const last = await stop({ triggerPrice: '61000', clientAlgoId: 'wt-last' });
    expect([mark.workingType, last.workingType]).toEqual(['MARK_PRICE', 'CONTRACT_PRICE']);
    const open = (await signed('GET', '/v1/openAlgoOrders', { symbol: 'BTCUSDT' })).json() as { clientAlgoId: string; workingType: string }[];
    expect(Object.fromEntries(open.map((o) => [o.clientAlgoId, o.workingType]))).toMatchObject({ 'wt-mark': 'MARK_PRICE', 'wt-last': 'CONTRACT_PRICE' });
    const order = service.engine.kernel.order(String(mark.algoId))!;
    expect(order.triggerSource).toBe('mark');
    const event = { type: 'ORDER_NEW', at: T, account: key.id, orderId: order.id, clientOrderId: order.clientOrderId, symbol: 'BTCUSDT', side: 'SELL', orderType: 'STOP_LOSS', status: 'NEW', quantity: '0.002', triggerSource: 'mark' } as const satisfies OrderNewEvent;
    expect((orderTradeUpdate(event, order).o as Record<string, unknown>).wt).toBe('MARK_PRICE');
    for (const id of [mark.algoId, last.algoId]) expect((await signed('DELETE', '/v1/algoOrder', { symbol: 'BTCUSDT', algoId: String(id) })).statusCode).toBe(200);
  });

  it('the native API takes triggerSource, and the USD-M dialect answers the order it placed as MARK_PRICE', async () => {
    const native = (payload: Record<string, unknown>) => app.inject({ method: 'POST', url: '/api/orders', headers: { authorization: `Bearer ${key.apiKey}` }, payload: { symbol: 'BTCUSDT', side: 'SELL', type: 'STOP_LOSS', quantity: '0.002', stopPrice: '61000', reduceOnly: true, ...payload } });
    expect((await native({ triggerSource: 'index' })).statusCode).toBe(400);
    const placed = await native({ triggerSource: 'mark', clientOrderId: 'native-mark' });
    expect(placed.statusCode).toBe(201);
    expect(placed.json()).toMatchObject({ type: 'STOP_LOSS', triggerSource: 'mark' });
    const seen = (await signed('GET', '/v1/algoOrder', { symbol: 'BTCUSDT', clientAlgoId: 'native-mark' })).json();
    expect(seen).toMatchObject({ clientAlgoId: 'native-mark', workingType: 'MARK_PRICE' });
    expect((await signed('DELETE', '/v1/algoOrder', { symbol: 'BTCUSDT', clientAlgoId: 'native-mark' })).statusCode).toBe(200);
    // A bracket's exit leg names its own: the entry's view carries it.
    const entry = await native({ side: 'BUY', type: 'LIMIT', price: '60000', stopPrice: undefined, reduceOnly: undefined, clientOrderId: 'native-bracket', stopLoss: { stopPrice: '59000', triggerSource: 'mark' } });
    expect(entry.statusCode, entry.body).toBe(201);
    expect(entry.json()).toMatchObject({ stopLoss: { stopPrice: '59000', triggerSource: 'mark' } });
    expect((await app.inject({ method: 'DELETE', url: `/api/orders/${entry.json().orderId}`, headers: { authorization: `Bearer ${key.apiKey}` } })).statusCode).toBe(200);
  });

  it('a stop on the mark triggers on the mark, and its closed order still answers MARK_PRICE', async () => {
    // One tick under the mark (the book's mid here: the recording has no mark stream): the first move of a tick or more down triggers it.
    const markNow = service.engine.kernel.markPrice('BTCUSDT')!;
    const trigger = formatFixed(markNow - TICK);
    const placed = await stop({ triggerPrice: trigger, workingType: 'MARK_PRICE', clientAlgoId: 'wt-fire' });
    expect(placed).toMatchObject({ algoStatus: 'NEW', workingType: 'MARK_PRICE' });
    let fired: { algoStatus: string; workingType: string } | undefined;
    for (let t = T + 1_000; t <= T + 60_000 && fired === undefined; t += 1_000) {
      await service.feedUntil(t);
      const now = (await signed('GET', '/v1/algoOrder', { symbol: 'BTCUSDT', algoId: String(placed.algoId) })).json();
      if (now.algoStatus !== 'NEW') fired = now;
    }
    expect(fired).toMatchObject({ algoStatus: 'FINISHED', workingType: 'MARK_PRICE' });
    // The kernel let the order go: the answer came from its row.
    expect(service.engine.kernel.order(String(placed.algoId))).toBeUndefined();
  });
});
