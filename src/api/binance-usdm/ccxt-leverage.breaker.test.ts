/**
 * ccxt's own binanceusdm class, unmodified (its API URLs pointed here), changing the leverage with a
 * position open: the refusals reach ccxt with Binance's codes and messages (ccxt picks its USD-M error
 * classes by the fapi.binance.com host name, so behind a redirected URL they arrive as ExchangeError),
 * and change nothing; an increase within the bracket goes.
 */
import ccxt, { type Exchange } from 'ccxt';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { USDM_RECORDING } from '../../test-kit/data-paths.js';
import { ADMIN_KEY, startTestService, type TestService } from '../../test-kit/service-kit.js';
import { registerBinanceApi } from '../binance/binance-api.js';
import { buildServer } from '../server.js';
import { registerBinanceUsdmApi } from './usdm-api.js';

const SYMBOL = 'BTC/USDT:USDT';

function usdmClient(base: string, apiKey: string, secret: string): Exchange {
  const exchange = new ccxt.binanceusdm({ apiKey, secret, enableRateLimit: false });
  const api = exchange.urls.api as Record<string, string>;
  for (const [name, url] of Object.entries(api)) api[name] = url.replace(/^https:\/\/[a-z]+\.binance\.com/, `${base}/binance`);
  return exchange;
}

describe("ccxt's binanceusdm: leverage changes with a position open", () => {
  let service: TestService;
  let app: FastifyInstance;
  const clients: Partial<Record<'cross' | 'isolated', { usdm: Exchange; id: string }>> = {};

  beforeAll(async () => {
    service = await startTestService({ recording: USDM_RECORDING, until: 1723161350000 });
    app = await buildServer(service.deps, { plugins: [registerBinanceApi, registerBinanceUsdmApi] });
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    for (const marginMode of ['cross', 'isolated'] as const) {
      const account = (await app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name: marginMode, type: 'futures', marginMode, leverage: 10, balances: { USDT: '10000' } } })).json();
      const usdm = usdmClient(base, account.apiKey, account.apiSecret);
      await usdm.loadMarkets();
      await usdm.createOrder(SYMBOL, 'market', 'buy', 1);
      clients[marginMode] = { usdm, id: account.id };
    }
  });
  afterAll(async () => {
    await app?.close();
    await service?.close();
  });

  it('isolated: 5x is -4161, 125x is -2027 (1 BTC ≈ 61,765 USDT: bracket 2), nothing changed; 20x goes', async () => {
    const { usdm, id } = clients.isolated!;
    const before = service.engine.kernel.exportAccount(id);
        await expect(usdm.setLeverage(5, SYMBOL)).rejects.toThrow(ccxt.ExchangeError);
    await expect(usdm.setLeverage(5, SYMBOL)).rejects.toThrow('{"code":-4161,"msg":"Leverage reduction is not supported in Isolated Margin Mode with open positions"}');
    await expect(usdm.setLeverage(125, SYMBOL)).rejects.toThrow('{"code":-2027,"msg":"Exceeded the maximum allowable position at current leverage."}');
    expect(service.engine.kernel.exportAccount(id)).toBe(before);
    expect(await usdm.setLeverage(20, SYMBOL)).toMatchObject({ leverage: 20, symbol: 'BTCUSDT' });
    const [position] = await usdm.fetchPositions([SYMBOL]);
    expect(position).toMatchObject({ marginMode: 'isolated', contracts: 1, side: 'long' });
    expect(JSON.parse(service.engine.kernel.exportAccount(id)!).account.positions[0].leverage).toBe(20);
  });

  it('cross: 1x needs 61,765 USDT of margin the 10,000 account lacks: -2028, nothing changed', async () => {
    const { usdm, id } = clients.cross!;
    const before = service.engine.kernel.exportAccount(id);
    await expect(usdm.setLeverage(1, SYMBOL)).rejects.toThrow(ccxt.ExchangeError);
    await expect(usdm.setLeverage(1, SYMBOL)).rejects.toThrow('{"code":-2028,"msg":"Leverage is smaller than permitted: insufficient margin balance."}');
    expect(service.engine.kernel.exportAccount(id)).toBe(before);
  });
});
