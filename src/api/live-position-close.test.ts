/**
 * Closing positions in live mode: `POST /api/positions/:symbol/close` and `/close-all` send real
 * reduce-only market orders, so they must be sized by the venue's positions. The kernel holds only
 * the paper account (in live mode no order reaches it), whose positions may be anything: here a
 * paper long of 0.002 BTC, while the venue holds a short of 0.5 BTC.
 * The venue is a real ccxt `binance` client whose account reads and order calls are stubbed.
 */
import ccxt, { type Order as CcxtOrder, type Position } from 'ccxt';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { LiveAccountReads } from '../execution/live-account-reads.js';
import { LiveExecutionService } from '../execution/live-execution-service.js';
import { USDM_RECORDING } from '../test-kit/data-paths.js';
import { ADMIN_KEY, startTestService, type TestService } from '../test-kit/service-kit.js';
import { buildServer } from './server.js';

const admin = { authorization: `Bearer ${ADMIN_KEY}` };

describe('live position close is sized by the venue', () => {
  let service: TestService;
  let live: FastifyInstance;
  let key: { authorization: string };
  let venuePositions: Partial<Position>[] = [];
  const exchange = new ccxt.binance({ apiKey: 'k', secret: 's', enableRateLimit: false });
  const createOrder = vi.spyOn(exchange, 'createOrder').mockImplementation(async (symbol, type, side, amount) => ({ id: '77', clientOrderId: 'c', symbol, type, side, amount, filled: amount, status: 'closed', timestamp: 1, info: {} }) as unknown as CcxtOrder);
  vi.spyOn(exchange, 'fetchOrder').mockImplementation(async () => ({ id: '77', symbol: 'BTC/USDT:USDT', type: 'market', side: 'buy', amount: 0.5, filled: 0.5, status: 'closed', timestamp: 1, info: {} }) as unknown as CcxtOrder);
  vi.spyOn(exchange, 'fetchPositions').mockImplementation(async () => venuePositions as Position[]);
  vi.spyOn(exchange, 'fetchBalance').mockImplementation(async () => ({ info: {}, total: { USDT: 1000 }, free: { USDT: 900 }, used: { USDT: 100 } }) as never);

  beforeAll(async () => {
    exchange.setMarkets([
      { id: 'BTCUSDT', symbol: 'BTC/USDT:USDT', base: 'BTC', quote: 'USDT', settle: 'USDT', baseId: 'BTC', quoteId: 'USDT', settleId: 'USDT', spot: false, swap: true, contract: true, linear: true, contractSize: 1, type: 'swap', active: true, precision: { amount: 0.001, price: 0.1 }, limits: {}, info: {} },
    ] as never);
    service = await startTestService({ recording: USDM_RECORDING, until: 1723161300000 });
    await service.feedUntil(1723161310000);
    const account = (await service.app.inject({ method: 'POST', url: '/api/accounts', headers: admin, payload: { name: 'f', type: 'futures', balances: { USDT: '10000' } } })).json();
    key = { authorization: `Bearer ${account.apiKey}` };
    // Paper trading before the switch to live left a paper long in the kernel.
    expect((await service.app.inject({ method: 'POST', url: '/api/orders', headers: key, payload: { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.002' } })).json().status).toBe('FILLED');
    const execution = new LiveExecutionService(exchange, { readRetries: 0, marketOf: () => 'perpetual' });
    const reads = new LiveAccountReads(execution, { symbols: () => ['BTCUSDT'], baseOf: () => 'BTC', accountType: () => 'futures', cacheMs: 0 });
    live = await buildServer({ ...service.deps, execution, reads, mode: { mode: 'live', liveRefusedBecause: [] } });
  });
  afterAll(async () => {
    await live?.close();
    await service?.close();
  });

  it("closes the venue's short of 0.5 BTC with a reduce-only buy of 0.5, not the paper long's sell of 0.002", async () => {
    venuePositions = [{ symbol: 'BTC/USDT:USDT', side: 'short', contracts: 0.5, entryPrice: 60000, markPrice: 61000, leverage: 10, info: { positionAmt: '-0.500' } }];
    const res = await live.inject({ method: 'POST', url: '/api/positions/BTCUSDT/close', headers: key });
    expect(res.statusCode).toBe(200);
    expect(createOrder).toHaveBeenCalledTimes(1);
    expect(createOrder.mock.calls[0]!.slice(0, 5)).toEqual(['BTC/USDT:USDT', 'market', 'buy', 0.5, undefined]);
    expect(createOrder.mock.calls[0]![5]).toMatchObject({ reduceOnly: true });
  });

  it('a symbol with no position on the venue is not closed, whatever the paper account holds', async () => {
    createOrder.mockClear();
    venuePositions = [];
    expect((await live.inject({ method: 'POST', url: '/api/positions/BTCUSDT/close', headers: key })).statusCode).toBe(404);
    expect((await live.inject({ method: 'POST', url: '/api/positions/close-all', headers: key })).json()).toEqual({ orders: [] });
    expect(createOrder).not.toHaveBeenCalled();
  });
});
