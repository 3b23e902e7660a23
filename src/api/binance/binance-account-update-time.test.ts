import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { formatFixed, parseFixed } from '../../core/money/fixed.js';
import { ADMIN_KEY, startTestService, type TestService } from '../../test-kit/service-kit.js';
import { injectSigned } from '../../test-kit/signed-inject.js';
import { buildServer } from '../server.js';
import { registerBinanceApi } from './binance-api.js';

/**
 * Binance Spot `GET /api/v3/account` `updateTime` is "the last time the account changed": on the
 * replay it is the exchange-clock time of the input that last changed the account (set by hand here),
 * not the wall clock, and market data after it leaves it where it was.
 */
let service: TestService;
let app: FastifyInstance;
let keys: { id: string; apiKey: string; apiSecret: string };
const signed = (path: string) => injectSigned(app, keys, { url: `/binance${path}` });

beforeAll(async () => {
  service = await startTestService({ until: 1723161300000 });
  app = await buildServer(service.deps, { plugins: [registerBinanceApi] });
  keys = (await app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name: 'spot', balances: { USDT: '10000' } } })).json();
});
afterAll(async () => {
  await app?.close();
  await service?.close();
});

it("updateTime is the replay time of the account's last change, not the wall clock", async () => {
  const kernel = service.engine.kernel;
  const placed = kernel.now + 1_234;
  const price = formatFixed(parseFixed(kernel.depth(service.recording.symbol, 1)!.bids[0]![0]) - parseFixed('500'));
  const events = await service.deps.hub.submit({ kind: 'order.place', time: placed, account: keys.id, symbol: service.recording.symbol, side: 'BUY', type: 'LIMIT', quantity: '0.001', price });
  expect(events.map((e) => e.type)).toContain('ORDER_NEW');
  await service.feedUntil(placed + 10_000);
  expect(kernel.now).toBeGreaterThan(placed + 9_000);
  const account = await signed('/api/v3/account');
  expect(account.statusCode, account.body).toBe(200);
  expect(account.json().updateTime).toBe(placed);
});
