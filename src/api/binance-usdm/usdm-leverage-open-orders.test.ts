import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatFixed, parseFixed } from '../../core/money/fixed.js';
import { USDM_RECORDING } from '../../test-kit/data-paths.js';
import { ADMIN_KEY, startTestService, type TestService } from '../../test-kit/service-kit.js';
import { injectSigned } from '../../test-kit/signed-inject.js';
import { buildServer } from '../server.js';
import { registerBinanceUsdmApi } from './usdm-api.js';

/**
 * Leverage changes while orders rest on the symbol, on the USD-M replay at 1723161350000 (BTCUSDT
 * near 61,765), as Binance's "Change Initial Leverage" answers them: the change goes when the
 * account can bear the open orders' and the position's initial margin at the new leverage, else
 * −2028 "Leverage is smaller than permitted: insufficient margin balance.".
 *
 * By hand: a LIMIT BUY of 0.1 BTC at 60,000 rests (below the book) with a notional of 6,000 USDT;
 * it reserves 6,000 / leverage of initial margin and 6,000 × 0.0005 = 3 USDT for its fee (Binance's
 * standard USD-M taker rate, the worst it can pay), so 603 at 10x, 303 at 20x (half its margin
 * freed), 503 at 12x, 1,203 at 5x.
 */
describe('USD-M: a leverage change with open orders, as Binance answers it', () => {
  let service: TestService;
  let app: FastifyInstance;
  const keys: Record<string, { apiKey: string; apiSecret: string }> = {};
  const signed = (who: string, method: 'GET' | 'POST', path: string, params: Record<string, string>) => injectSigned(app, keys[who]!, { method, url: `/binance/fapi${path}`, params });
  const leverage = async (who: string, to: number) => (await signed(who, 'POST', '/v1/leverage', { symbol: 'BTCUSDT', leverage: String(to) })).json();
  const state = async (who: string) => {
    const [v2] = (await signed(who, 'GET', '/v2/positionRisk', { symbol: 'BTCUSDT' })).json();
    const account = (await signed(who, 'GET', '/v2/account', {})).json();
    return {
      leverage: Number(v2.leverage),
      entry: parseFixed(v2.entryPrice),
      mark: parseFixed(v2.markPrice),
      wallet: parseFixed(account.totalWalletBalance),
      available: parseFixed(account.availableBalance),
      positionMargin: parseFixed(account.totalPositionInitialMargin),
      openOrderMargin: parseFixed(account.totalOpenOrderInitialMargin),
    };
  };
  const usdt = (text: string) => parseFixed(text);
  /** |size| × entry / leverage, truncated to 8 decimals (the quote's commission precision), by hand. */
  const positionMarginAt = (size: bigint, entry: bigint, lev: number) => (((size * entry) / 10n ** 18n / BigInt(lev)) / 10n ** 10n) * 10n ** 10n;
  /** Cross margin counts unrealized losses against what is available: min(0, size × (mark − entry)), by hand. */
  const loss = (size: bigint, s: { entry: bigint; mark: bigint }) => {
    const pnl = (size * (s.mark - s.entry)) / 10n ** 18n;
    return pnl < 0n ? pnl : 0n;
  };
  const REFUSED = { code: -2028, msg: 'Leverage is smaller than permitted: insufficient margin balance.' };

  beforeAll(async () => {
    service = await startTestService({ recording: USDM_RECORDING, until: 1723161350000 });
    app = await buildServer(service.deps, { plugins: [registerBinanceUsdmApi] });
    const open = async (name: string, marginMode: 'cross' | 'isolated', balance: string) => {
      keys[name] = (await app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name, type: 'futures', marginMode, leverage: 10, balances: { USDT: balance } } })).json();
    };
    await open('cross', 'cross', '1000');
    await open('isolated', 'isolated', '1000');
    await open('held', 'cross', '10000');
    for (const who of ['cross', 'isolated', 'held']) {
      if (who === 'held') expect((await signed(who, 'POST', '/v1/order', { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.1' })).statusCode).toBe(200);
      const placed = await signed(who, 'POST', '/v1/order', { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.1', price: '60000' });
      expect(placed.statusCode, placed.body).toBe(200);
    }
  });
  afterAll(async () => {
    await app?.close();
    await service?.close();
  });

  for (const mode of ['cross', 'isolated'] as const) {
    it(`${mode}: 10x → 20x frees half the order's margin; 20x → 5x answers −2028 and changes nothing; 20x → 12x goes`, async () => {
      const start = await state(mode);
      expect(start.wallet).toBe(usdt('1000'));
      expect(start.openOrderMargin).toBe(usdt('603'));
      expect(start.available).toBe(usdt('397'));

      expect(await leverage(mode, 20)).toMatchObject({ symbol: 'BTCUSDT', leverage: 20 });
      const raised = await state(mode);
      expect(raised.leverage).toBe(20);
      expect(formatFixed(raised.openOrderMargin)).toBe('303');
      // available = wallet − (position margin + open-order margin at the new leverage) = 1,000 − 303.
      expect(formatFixed(raised.available)).toBe('697');
      expect(raised.wallet).toBe(start.wallet);

      // 1,203 needed at 5x, 1,000 in the wallet.
      expect(await leverage(mode, 5)).toEqual(REFUSED);
      expect(await state(mode)).toEqual(raised);

      expect(await leverage(mode, 12)).toMatchObject({ leverage: 12 });
      const lowered = await state(mode);
      expect(formatFixed(lowered.openOrderMargin)).toBe('503');
      expect(formatFixed(lowered.available)).toBe('497');
      expect(lowered.wallet).toBe(start.wallet);
      service.engine.kernel.checkInvariants();
    });
  }

  it("cross with a position: the position's and the order's margins both move to the new leverage, and both count for −2028", async () => {
    const start = await state('held');
    const size = usdt('0.1');
    expect(start.positionMargin).toBe(positionMarginAt(size, start.entry, 10));
    expect(start.openOrderMargin).toBe(usdt('603'));
    expect(start.available).toBe(start.wallet + loss(size, start) - positionMarginAt(size, start.entry, 10) - usdt('603'));

    expect(await leverage('held', 20)).toMatchObject({ leverage: 20 });
    const raised = await state('held');
    expect(raised.positionMargin).toBe(positionMarginAt(size, start.entry, 20));
    expect(raised.openOrderMargin).toBe(usdt('303'));
    expect(raised.available).toBe(start.wallet + loss(size, raised) - positionMarginAt(size, start.entry, 20) - usdt('303'));
    expect(raised.wallet).toBe(start.wallet);

    // At 1x: 6,176.x of position margin and 6,003 for the order, more than the ≈ 9,997 wallet, though
    // either alone would fit.
    expect(start.wallet - positionMarginAt(size, start.entry, 1) > 0n && start.wallet - usdt('6003') > 0n).toBe(true);
    expect(await leverage('held', 1)).toEqual(REFUSED);
    expect(await state('held')).toEqual(raised);
    service.engine.kernel.checkInvariants();
  });
});
