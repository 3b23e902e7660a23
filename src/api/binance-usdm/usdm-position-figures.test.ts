/**
 * USD-M position figures after a partial close, each worked out by hand from the USD-M recording's
 * book (BTCUSDT perpetual, isolated margin, 10×, default 0.05 % taker fee): 0.5 BTC bought at
 * market at 61,807.8, then 0.2 sold at market a minute later at 61,760.3, the mark then 61,760.3.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { USDM_RECORDING } from '../../test-kit/data-paths.js';
import { ADMIN_KEY, startTestService, type TestService } from '../../test-kit/service-kit.js';
import { injectSigned } from '../../test-kit/signed-inject.js';
import { buildServer } from '../server.js';
import { registerBinanceUsdmApi } from './usdm-api.js';

const START = 1723161300000;

describe('USD-M position figures after a partial close, by hand', () => {
  let service: TestService;
  let app: FastifyInstance;
  let key: { apiKey: string; apiSecret: string };
  const signed = async (method: 'GET' | 'POST', path: string, params: Record<string, string>) => (await injectSigned(app, key, { method, url: `/binance/fapi${path}`, params })).json();

  beforeAll(async () => {
    service = await startTestService({ recording: USDM_RECORDING, until: START });
    app = await buildServer(service.deps, { plugins: [registerBinanceUsdmApi] });
    key = (await app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name: 'p', type: 'futures', leverage: 10, balances: { USDT: '10000' } } })).json();
  });
  afterAll(async () => {
    await app.close();
    await service.close();
  });

  it("states the position as Binance does, its updateTime the time of the close that changed it", async () => {
    const opened = await signed('POST', '/v1/order', { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.5' });
    expect(opened).toMatchObject({ status: 'FILLED', avgPrice: '61807.8', cumQuote: '30903.9' });
    await service.feedUntil(START + 60_000);
    const closed = await signed('POST', '/v1/order', { symbol: 'BTCUSDT', side: 'SELL', type: 'MARKET', quantity: '0.2' });
    expect(closed).toMatchObject({ status: 'FILLED', avgPrice: '61760.3', cumQuote: '12352.06' });
    expect(closed.updateTime).toBeGreaterThan(opened.updateTime);

    // Left: 0.3 at 61807.8; uPnL 0.3 × (61760.3 − 61807.8) = −14.25; notional 0.3 × 61760.3 = 18528.09.
    // Isolated wallet: 30903.9 / 10 = 3090.39 at opening, 3/5 of it left = 1854.234; isolatedMargin = wallet + uPnL = 1839.984.
    // Binance's positionRisk updateTime is the position's last update: the close, not the opening.
    // Liquidation price (Binance FAQ, isolated long, first bracket MMR 0.4 %, cum 0):
    // (0.3 × 61807.8 − 1854.234) / (0.3 × 0.996) = 16688.106 / 0.2988 = 55850.421686746987…, printed as
    // Binance prints it: 8 decimals ("liquidationPrice": "19731.45529116" in Position Information V2's example).
    const expected = { symbol: 'BTCUSDT', positionAmt: '0.3', entryPrice: '61807.8', markPrice: '61760.3', unRealizedProfit: '-14.25', notional: '18528.09', isolatedWallet: '1854.234', isolatedMargin: '1839.984', liquidationPrice: '55850.42168675', updateTime: closed.updateTime };
    expect((await signed('GET', '/v2/positionRisk', { symbol: 'BTCUSDT' }))[0]).toMatchObject(expected);
    expect((await signed('GET', '/v3/positionRisk', { symbol: 'BTCUSDT' }))[0]).toMatchObject(expected);
    for (const version of ['/v2/account', '/v3/account']) {
      const [position] = (await signed('GET', version, {})).positions.filter((x: { symbol: string }) => x.symbol === 'BTCUSDT');
      expect(position).toMatchObject({ positionAmt: '0.3', unrealizedProfit: '-14.25', isolatedWallet: '1854.234', updateTime: closed.updateTime });
    }
    // The close realized 0.2 × (61760.3 − 61807.8) = −9.5, its fee 12352.06 × 0.0005 = 6.17603 apart.
    const trades = await signed('GET', '/v1/userTrades', { symbol: 'BTCUSDT' });
    expect(trades.map((x: Record<string, unknown>) => [x.side, x.qty, x.realizedPnl, x.commission])).toEqual([
      ['BUY', '0.5', '0', '15.45195'],
      ['SELL', '0.2', '-9.5', '6.17603'],
    ]);
  });
});
