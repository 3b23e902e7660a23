/**
 * A trailing stop shows back what was asked (callback rate, activation price) and its armed stop on
 * the tick grid, natively and in the Binance dialect. Figures by hand from the bundled BTCUSDT spot
 * tape (tick 0.01): between 23:55:00 and 23:55:30 UTC its trades run from 61,825.37 to 61,860.80.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, startTestService, type TestService } from '../test-kit/service-kit.js';
import { registerBinanceApi } from './binance/binance-api.js';
import { binanceSignature } from './binance/binance-signature.js';
import { buildServer } from './server.js';

describe('a trailing stop in the order views', () => {
  let service: TestService;
  let app: FastifyInstance;
  let account: { id: string; apiKey: string; apiSecret: string };
  const bearer = () => ({ authorization: `Bearer ${account.apiKey}` });

  beforeAll(async () => {
    service = await startTestService({ until: 1723161300000 });
    app = await buildServer(service.deps, { plugins: [registerBinanceApi] });
    account = (await app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name: 'trail', balances: { USDT: '10000', BTC: '1' } } })).json();
  });
  afterAll(async () => {
    await app.close();
    await service.close();
  });

  it('shows the callback rate and activation price asked, and the stop armed on the tick away from the market', async () => {
    const place = (payload: object) => app.inject({ method: 'POST', url: '/api/orders', headers: bearer(), payload });
    const sell = (await place({ symbol: 'BTCUSDT', side: 'SELL', type: 'TRAILING_STOP_MARKET', quantity: '0.01', callbackRate: '0.0013', activationPrice: '61850.00' })).json();
    const buy = (await place({ symbol: 'BTCUSDT', side: 'BUY', type: 'TRAILING_STOP_MARKET', quantity: '0.01', callbackRate: '0.0017' })).json();
    // Before the tape reaches 61,850.00 the sell is not armed: no stop yet.
    expect(sell).toMatchObject({ status: 'NEW', callbackRate: '0.0013', activationPrice: '61850' });
    expect(sell.stopPrice).toBeUndefined();

    await service.feedUntil(1723161330000);
    const view = async (id: string) => (await app.inject({ url: `/api/orders/${id}`, headers: bearer() })).json();
    // Sell: peak 61,860.80 × (1 − 0.0013) = 61,780.38896 → down to the tick: 61,780.38 (the low, 61,825.37, stays above).
    expect(await view(sell.orderId)).toMatchObject({ status: 'NEW', type: 'TRAILING_STOP_MARKET', callbackRate: '0.0013', activationPrice: '61850', stopPrice: '61780.38' });
    // Buy: trough 61,825.37 × (1 + 0.0017) = 61,930.473129 → up to the tick: 61,930.48 (the high, 61,860.80, stays below).
    const bought = await view(buy.orderId);
    expect(bought).toMatchObject({ status: 'NEW', callbackRate: '0.0017', stopPrice: '61930.48' });
    expect(bought.activationPrice).toBeUndefined();

    // Binance: a trailing sell with an activation price is its TAKE_PROFIT with trailingDelta 13 (BIPS) and the activation as stopPrice.
    const query = `symbol=BTCUSDT&orderId=${sell.orderId}&timestamp=${Date.now()}`;
    const binance = (await app.inject({ url: `/binance/api/v3/order?${query}&signature=${binanceSignature(account.apiSecret, query)}`, headers: { 'x-mbx-apikey': account.apiKey } })).json();
    expect(binance).toMatchObject({ type: 'TAKE_PROFIT', trailingDelta: 13, stopPrice: expect.stringMatching(/^61850(\.0*)?$/) });
  });
});
