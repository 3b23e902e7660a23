import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { formatFixed, parseFixed } from '../../core/money/fixed.js';
import { USDM_RECORDING } from '../../test-kit/data-paths.js';
import { ADMIN_KEY, startTestService, type TestService } from '../../test-kit/service-kit.js';
import { injectSigned } from '../../test-kit/signed-inject.js';
import { buildServer } from '../server.js';
import { registerBinanceUsdmApi } from './usdm-api.js';

/**
 * Binance USD-M's asset `updateTime` (balance v2/v3, account v2/v3 `assets`) is the asset's last
 * update: on the replay the exchange-clock time of the input that last changed the account (set by
 * hand here: a leverage change, then an order), not the time of the read; market data after it
 * leaves it where it was. Account v2's top-level `updateTime` stays 0, Binance's reserved value.
 */
let service: TestService;
let app: FastifyInstance;
let keys: { id: string; apiKey: string; apiSecret: string };
const signed = (path: string) => injectSigned(app, keys, { url: `/binance/fapi${path}` });
const times = async () => {
  const [v2] = (await signed('/v2/balance')).json();
  const [v3] = (await signed('/v3/balance')).json();
  const a2 = (await signed('/v2/account')).json();
  const a3 = (await signed('/v3/account')).json();
  return { balanceV2: v2.updateTime, balanceV3: v3.updateTime, accountV2Asset: a2.assets[0].updateTime, accountV3Asset: a3.assets[0].updateTime, accountV2: a2.updateTime };
};

beforeAll(async () => {
  service = await startTestService({ recording: USDM_RECORDING, until: 1723161300000 });
  app = await buildServer(service.deps, { plugins: [registerBinanceUsdmApi] });
  keys = (await app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name: 'usdm', type: 'futures', marginMode: 'cross', leverage: 10, balances: { USDT: '10000' } } })).json();
});
afterAll(async () => {
  await app?.close();
  await service?.close();
});

it("the assets' updateTime is the replay time of the account's last change, not the time of the read", async () => {
  const kernel = service.engine.kernel;
  const symbol = service.recording.symbol;
  const levered = kernel.now + 700;
  expect((await service.deps.hub.submit({ kind: 'leverage.set', time: levered, account: keys.id, symbol, leverage: 20 })).map((e) => e.type)).toContain('LEVERAGE_SET');
  expect(await times()).toEqual({ balanceV2: levered, balanceV3: levered, accountV2Asset: levered, accountV3Asset: levered, accountV2: 0 });

  const placed = levered + 1_234;
  const price = formatFixed(parseFixed(kernel.depth(symbol, 1)!.bids[0]![0]) - parseFixed('500'));
  expect((await service.deps.hub.submit({ kind: 'order.place', time: placed, account: keys.id, symbol, side: 'BUY', type: 'LIMIT', quantity: '0.01', price })).map((e) => e.type)).toContain('ORDER_NEW');
  await service.feedUntil(placed + 10_000);
  expect(kernel.now).toBeGreaterThan(placed + 9_000);
  expect(await times()).toEqual({ balanceV2: placed, balanceV3: placed, accountV2Asset: placed, accountV3Asset: placed, accountV2: 0 });
});
