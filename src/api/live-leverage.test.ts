/**
 * Leverage in live mode: `POST /api/account/leverage` and Binance USD-M `POST /fapi/v1/leverage` set
 * the venue's leverage (ccxt `setLeverage` on the linear perpetual), not the paper kernel's, which a
 * live account's orders never meet; a venue that refuses is answered as refused, with nothing
 * changed. The venue is a real ccxt `binance` client whose `setLeverage` is stubbed.
 */
import ccxt from 'ccxt';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { LiveExecutionService } from '../execution/live-execution-service.js';
import { USDM_RECORDING } from '../test-kit/data-paths.js';
import { ADMIN_KEY, startTestService, type TestService } from '../test-kit/service-kit.js';
import { injectSigned } from '../test-kit/signed-inject.js';
import { registerBinanceUsdmApi } from './binance-usdm/usdm-api.js';
import { buildServer } from './server.js';

const admin = { authorization: `Bearer ${ADMIN_KEY}` };

describe('live leverage goes to the venue', () => {
  let service: TestService;
  let live: FastifyInstance;
  let account: { apiKey: string; apiSecret: string; id: string };
  let refuse = false;
  const exchange = new ccxt.binance({ apiKey: 'k', secret: 's', enableRateLimit: false });
  const setLeverage = vi.spyOn(exchange, 'setLeverage').mockImplementation(async (leverage) => {
    if (refuse) throw new ccxt.BadRequest('binance {"code":-4028,"msg":"Leverage 50 is not valid"}');
    return { leverage } as never;
  });
  const paperLeverage = () => service.engine.kernel.exportAccount(account.id);

  beforeAll(async () => {
    exchange.setMarkets([
      { id: 'BTCUSDT', symbol: 'BTC/USDT:USDT', base: 'BTC', quote: 'USDT', settle: 'USDT', baseId: 'BTC', quoteId: 'USDT', settleId: 'USDT', spot: false, swap: true, contract: true, linear: true, contractSize: 1, type: 'swap', active: true, precision: { amount: 0.001, price: 0.1 }, limits: {}, info: {} },
      { id: 'BTCUSDT', symbol: 'BTC/USDT', base: 'BTC', quote: 'USDT', baseId: 'BTC', quoteId: 'USDT', spot: true, swap: false, contract: false, type: 'spot', active: true, precision: { amount: 0.00001, price: 0.01 }, limits: {}, info: {} },
    ] as never);
    service = await startTestService({ recording: USDM_RECORDING, until: 1723161300000 });
    account = (await service.app.inject({ method: 'POST', url: '/api/accounts', headers: admin, payload: { name: 'f', type: 'futures', leverage: 10, balances: { USDT: '10000' } } })).json();
    const execution = new LiveExecutionService(exchange, { readRetries: 0, marketOf: () => 'perpetual' });
    live = await buildServer({ ...service.deps, execution, mode: { mode: 'live', liveRefusedBecause: [] } }, { plugins: [registerBinanceUsdmApi] });
  });
  afterAll(async () => {
    await live?.close();
    await service?.close();
  });

  it('the native route sets 5x on the venue’s BTC/USDT:USDT perpetual, and the paper account keeps its 10x', async () => {
    setLeverage.mockClear();
    const before = paperLeverage();
    const res = await live.inject({ method: 'POST', url: '/api/account/leverage', headers: { authorization: `Bearer ${account.apiKey}` }, payload: { symbol: 'BTCUSDT', leverage: 5 } });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ symbol: 'BTCUSDT', leverage: 5 });
    expect(setLeverage.mock.calls.map((c) => c.slice(0, 2))).toEqual([[5, 'BTC/USDT:USDT']]);
    expect(paperLeverage()).toBe(before);
  });

  it('USD-M /fapi/v1/leverage sets 20x on the venue and answers Binance’s shape (maxNotionalValue of the bundled bracket at 20x)', async () => {
    setLeverage.mockClear();
    const res = await injectSigned(live, account, { method: 'POST', url: '/binance/fapi/v1/leverage', params: { symbol: 'BTCUSDT', leverage: '20' } });
    expect(res.statusCode, res.body).toBe(200);
    // Binance's BTCUSDT brackets of mid-2024 as bundled: 20x is the highest leverage of the tier that
    // ends at 100,000,000 USDT of notional (25x ends at 70,000,000), by hand.
    expect(res.json()).toEqual({ leverage: 20, maxNotionalValue: '100000000', symbol: 'BTCUSDT' });
    expect(setLeverage.mock.calls.map((c) => c.slice(0, 2))).toEqual([[20, 'BTC/USDT:USDT']]);
  });

  it('a venue that refuses answers an error, and the audit log has no live leverage change for it', async () => {
    setLeverage.mockClear();
    refuse = true;
    try {
      const res = await live.inject({ method: 'POST', url: '/api/account/leverage', headers: { authorization: `Bearer ${account.apiKey}` }, payload: { symbol: 'BTCUSDT', leverage: 50 } });
      expect(res.statusCode).toBeGreaterThanOrEqual(400);
      expect(res.json().message).toContain('Leverage 50 is not valid');
      expect(setLeverage).toHaveBeenCalledTimes(1);
      const audited = await service.engine.db.selectFrom('audit_log').selectAll().execute();
      expect(audited.filter((r) => String(r.action) === 'leverage.set' && String(r.details).includes('"leverage":50'))).toEqual([]);
    } finally {
      refuse = false;
    }
  });
});
