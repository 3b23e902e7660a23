/**
 * `breakEvenPrice` of a position a flip opened: one market sell that closed a long and opened a
 * short with the rest. By Binance's rule (the FAQ "How to Visualize the Breakeven Price of Open
 * Positions on Binance Futures": total cost of the position's entries less what it gained, over its
 * size; the commission a cost, as live answers count it: usdm-break-even.ts), the short's cost is
 * its entry and the part of the sell's commission its opening took, pro rata by quantity. Oracle:
 * the sums below, by hand, from the bundled USD-M recording's touch (best ask 61807.8, best bid
 * 61807.7 for 5.294 BTC) and Binance's 0.05 % taker fee.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { USDM_RECORDING } from '../../test-kit/data-paths.js';
import { ADMIN_KEY, startTestService, type TestService } from '../../test-kit/service-kit.js';
import { injectSigned } from '../../test-kit/signed-inject.js';
import { buildServer } from '../server.js';
import { registerBinanceUsdmApi } from './usdm-api.js';

const START = 1723161300000;

let service: TestService;
let app: FastifyInstance;
let key: { apiKey: string; apiSecret: string };
const get = (path: string, params: Record<string, string> = {}) => injectSigned(app, key, { url: `/binance/fapi${path}`, params });
const order = (side: string, quantity: string) => injectSigned(app, key, { method: 'POST', url: '/binance/fapi/v1/order', params: { symbol: 'BTCUSDT', side, type: 'MARKET', quantity } });

beforeAll(async () => {
  service = await startTestService({ recording: USDM_RECORDING, until: START });
  app = await buildServer(service.deps, { plugins: [registerBinanceUsdmApi] });
  key = (await app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name: 'flip', type: 'futures', leverage: 10, balances: { USDT: '10000' } } })).json();
});
afterAll(async () => {
  await app?.close();
  await service?.close();
});

it('a short opened by a flip breaks even below its entry by its part of the flip’s commission', async () => {
  expect(service.engine.kernel.depth('BTCUSDT', 1)).toEqual({ bids: [['61807.7', '5.294']], asks: [['61807.8', '0.739']] });
  expect((await order('BUY', '0.01')).json()).toMatchObject({ status: 'FILLED', avgPrice: '61807.8' });
  // One fill: 0.03 sold at 61807.7 closes the long 0.01 and opens a short of 0.02.
  expect((await order('SELL', '0.03')).json()).toMatchObject({ status: 'FILLED', avgPrice: '61807.7' });
  // Commission 0.03 × 61807.7 × 0.0005 = 0.9271155; the opening's part 0.9271155 × 0.02 / 0.03 = 0.618077.
  // breakEvenPrice = 61807.7 − (0 − 0.618077) / (−0.02) = 61807.7 − 30.90385 = 61776.79615
  // (= 61807.7 × (1 − 0.0005): a short that paid only its own opening fee).
  for (const path of ['/v2/positionRisk', '/v3/positionRisk']) {
    expect((await get(path, { symbol: 'BTCUSDT' })).json()[0]).toMatchObject({ positionAmt: '-0.02', entryPrice: '61807.7', breakEvenPrice: '61776.79615' });
  }
  const account = (await get('/v2/account')).json();
  expect(account.positions.find((p: { symbol: string }) => p.symbol === 'BTCUSDT')).toMatchObject({ breakEvenPrice: '61776.79615' });
  // The commission is still one row of the sell, whole, as Binance lists one per trade.
  const commissions = ((await get('/v1/income', { incomeType: 'COMMISSION' })).json() as { income: string }[]).map((r) => r.income);
  expect(commissions).toEqual(['-0.30903900', '-0.92711550']);
});
