import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatFixed, parseFixed } from '../../core/money/fixed.js';
import { USDM_RECORDING } from '../../test-kit/data-paths.js';
import { ADMIN_KEY, startTestService, type TestService } from '../../test-kit/service-kit.js';
import { injectSigned } from '../../test-kit/signed-inject.js';
import { buildServer } from '../server.js';
import { registerBinanceUsdmApi } from './usdm-api.js';

/**
 * Leverage changes with a position open, on the USD-M replay at 1723161350000 (BTCUSDT near 61,765),
 * as Binance's "Change Initial Leverage" and error list answer them. A long of 1 BTC (≈ 61,765 USDT of
 * notional) lies in bracket 2 (50,000–600,000: at most 100x), so by hand: 20x and 100x are allowed,
 * 125x is past the bracket (−2027); in isolated margin any reduction is −4161; in cross margin a
 * reduction moves the position's initial margin to |size| × entry / leverage (down to 8 decimals)
 * and needs the difference free, else −2028.
 */
describe('USD-M: a leverage change with a position open, as Binance answers it', () => {
  let service: TestService;
  let app: FastifyInstance;
  const keys: Record<'cross' | 'isolated', { apiKey: string; apiSecret: string }> = {} as never;
  const signed = (mode: 'cross' | 'isolated', method: 'GET' | 'POST', path: string, params: Record<string, string>) => injectSigned(app, keys[mode], { method, url: `/binance/fapi${path}`, params });
  const leverage = async (mode: 'cross' | 'isolated', to: number) => (await signed(mode, 'POST', '/v1/leverage', { symbol: 'BTCUSDT', leverage: String(to) })).json();
  const position = async (mode: 'cross' | 'isolated') => {
    const [v2] = (await signed(mode, 'GET', '/v2/positionRisk', { symbol: 'BTCUSDT' })).json();
    const [v3] = (await signed(mode, 'GET', '/v3/positionRisk', { symbol: 'BTCUSDT' })).json();
    const [balance] = (await signed(mode, 'GET', '/v2/balance', {})).json();
    return { leverage: Number(v2.leverage), entry: parseFixed(v2.entryPrice), margin: parseFixed(v3.positionInitialMargin), wallet: parseFixed(balance.balance), available: parseFixed(balance.availableBalance) };
  };
  /** 1 × entry / leverage, truncated to 8 decimals (the quote's commission precision), by hand. */
  const marginAt = (entry: bigint, lev: number) => ((entry / BigInt(lev)) / 10n ** 10n) * 10n ** 10n;

  beforeAll(async () => {
    service = await startTestService({ recording: USDM_RECORDING, until: 1723161350000 });
    app = await buildServer(service.deps, { plugins: [registerBinanceUsdmApi] });
    for (const marginMode of ['cross', 'isolated'] as const) {
      keys[marginMode] = (await app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name: marginMode, type: 'futures', marginMode, leverage: 10, balances: { USDT: '10000' } } })).json();
      const buy = await signed(marginMode, 'POST', '/v1/order', { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '1' });
      expect(buy.statusCode, buy.body).toBe(200);
    }
  });
  afterAll(async () => {
    await app?.close();
    await service?.close();
  });

  it('cross: 10x → 20x → 100x release margin; 125x answers −2027; 2x and 5x answer −2028; back to 10x takes the margin again', async () => {
    const start = await position('cross');
    expect(start.leverage).toBe(10);
    expect(start.margin).toBe(marginAt(start.entry, 10));
    for (const to of [20, 100]) {
      expect(await leverage('cross', to)).toMatchObject({ symbol: 'BTCUSDT', leverage: to });
      const now = await position('cross');
      expect(now.leverage).toBe(to);
      expect(formatFixed(now.margin)).toBe(formatFixed(marginAt(start.entry, to)));
      // The margin moves to and from the free balance; the wallet stays what it was.
      expect(now.wallet).toBe(start.wallet);
    }
    const at100 = await position('cross');
    expect(await leverage('cross', 125)).toEqual({ code: -2027, msg: 'Exceeded the maximum allowable position at current leverage.' });
    // 61,765 / 2 ≈ 30,883 and / 5 ≈ 12,353 of margin: more than the account's 10,000 USDT.
    for (const to of [2, 5]) expect(await leverage('cross', to)).toEqual({ code: -2028, msg: 'Leverage is smaller than permitted: insufficient margin balance.' });
    expect(await position('cross')).toEqual(at100);
    expect(await leverage('cross', 10)).toMatchObject({ leverage: 10 });
    const back = await position('cross');
    expect(back.margin).toBe(start.margin);
    expect(back.wallet).toBe(start.wallet);
    service.engine.kernel.checkInvariants();
  });

  it('isolated: 10x → 20x keeps the position margin; a reduction answers −4161 and changes nothing', async () => {
    const start = await position('isolated');
    expect(start.margin).toBe(marginAt(start.entry, 10));
    expect(await leverage('isolated', 20)).toMatchObject({ leverage: 20 });
    const raised = await position('isolated');
    expect(raised.leverage).toBe(20);
    expect(raised.margin).toBe(start.margin);
    expect(raised.wallet).toBe(start.wallet);
    for (const to of [10, 19]) {
      expect(await leverage('isolated', to)).toEqual({ code: -4161, msg: 'Leverage reduction is not supported in Isolated Margin Mode with open positions' });
    }
    expect(await position('isolated')).toEqual(raised);
    expect(await leverage('isolated', 125)).toEqual({ code: -2027, msg: 'Exceeded the maximum allowable position at current leverage.' });
    service.engine.kernel.checkInvariants();
  });
});
