/**
 * A futures account imported before the engine has any BTCUSDT mark: a 0.2 BTC short at 62000,
 * 5× cross margin (margin 0.2 × 62000 / 5 = 2480, cash 5000 − 2480 = 2520, 5000 deposited, no fees).
 * Binance's positionRisk and account answered a mark of "0" and the PnL at it, −0.2 × (0 − 62000) =
 * +12400 of unrealized profit on the position while the account's totals said 0. Now what Binance
 * computes from the mark is null until a mark exists (docs/adr/0064); what is known stays as it is.
 * MEXC's open position, whose documented fields hold no mark, states no unrealised PnL either, and
 * its account/assets, which said equity 5000 and unrealized 0, state null for both.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatFixed, mul, parseFixed } from '../../core/money/fixed.js';
import { USDM_RECORDING } from '../../test-kit/data-paths.js';
import { injectMexcContract } from '../../test-kit/mexc-contract-signed.js';
import { ADMIN_KEY, startTestService, type TestService } from '../../test-kit/service-kit.js';
import { injectSigned } from '../../test-kit/signed-inject.js';
import { registerMexcContractApi } from '../mexc-contract/mexc-contract-api.js';
import { registerBinanceUsdmApi } from './usdm-api.js';

const E18 = 10n ** 18n;
/** `units / 10^decimals` as a document amount (10^18 × the value, an integer string). */
const n = (units: bigint, decimals = 0) => ({ $n: ((units * E18) / 10n ** BigInt(decimals)).toString() });
const SHORT = {
  format: 'papertrade.account', version: 1, exportedAt: 0,
  account: {
    kind: 'futures', id: 'short', fees: {}, settleAsset: 'USDT', marginMode: 'cross', defaultLeverage: 5, cash: n(2520n), reserved: n(0n),
    positions: [{ id: 'short:BTCUSDT:1', symbol: 'BTCUSDT', size: n(-2n, 1), entryPrice: n(62000n), leverage: 5, margin: n(2480n), realizedPnl: n(0n), totalFundingPaid: n(0n), feesPaid: n(0n), openedAt: 0 }],
    leverage: [], ledger: { deposits: n(5000n), realizedPnl: n(0n), fees: n(0n), funding: n(0n) }, positionSeq: 1,
  },
  health: { closeOnHalt: false, halted: false, lastEquity: n(5000n) },
  orders: [], placements: {}, clientIds: [],
};

describe('Binance USD-M and MEXC contract views of a position imported before any mark', () => {
  let service: TestService;
  let app: FastifyInstance;
  let key: { apiKey: string; apiSecret: string };
  const usdm = async (path: string) => (await injectSigned(app, key, { method: 'GET', url: `/binance/fapi${path}`, params: {} })).json();

  beforeAll(async () => {
    // Nothing of the recording fed yet: no book, no print, no mark.
    service = await startTestService({ recording: USDM_RECORDING, until: 0, plugins: [registerBinanceUsdmApi, registerMexcContractApi] });
    app = service.app;
    const imported = await app.inject({ method: 'POST', url: '/api/accounts/import', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { document: SHORT, name: 'short' } });
    expect(imported.statusCode, imported.body).toBe(201);
    key = imported.json();
  }, 60_000);
  afterAll(async () => service?.close());

  it('positionRisk v2/v3 and account v2/v3: amount, entry and margins as imported; mark, PnL, notional, maintenance margin null', async () => {
    expect(service.engine.kernel.markPrice('BTCUSDT')).toBeUndefined();
    const known = { symbol: 'BTCUSDT', positionAmt: '-0.2', entryPrice: '62000', isolatedMargin: '0', isolatedWallet: '0' };
    const unknown = { markPrice: null, unRealizedProfit: null, notional: null };
    expect((await usdm('/v2/positionRisk'))[0]).toMatchObject({ ...known, ...unknown, marginType: 'cross', leverage: '5' });
    expect((await usdm('/v3/positionRisk'))[0]).toMatchObject({ ...known, ...unknown, maintMargin: null, positionInitialMargin: '2480' });
    for (const version of ['/v2/account', '/v3/account']) {
      const account = await usdm(version);
      expect(account.positions.find((x: { symbol: string }) => x.symbol === 'BTCUSDT')).toMatchObject({ positionAmt: '-0.2', unrealizedProfit: null, notional: null, maintMargin: null, isolatedMargin: '0' });
      // Wallet 2520 + 2480 = 5000; what the short is worth is not known.
      expect(account).toMatchObject({ totalWalletBalance: '5000', totalUnrealizedProfit: null, totalMarginBalance: null, totalMaintMargin: null, totalCrossUnPnl: null, totalPositionInitialMargin: '2480' });
      expect(account.assets[0]).toMatchObject({ walletBalance: '5000', unrealizedProfit: null, marginBalance: null, crossUnPnl: null });
    }
    expect((await usdm('/v2/balance'))[0]).toMatchObject({ balance: '5000', crossUnPnl: null });
  });

  it('MEXC open_positions: entry and margin as imported, no unrealised PnL', async () => {
    const { data } = (await injectMexcContract(app, key, 'GET', 'position/open_positions')).json();
    // BTC_USDT contract size 0.0001 BTC: 0.2 BTC is 2000 contracts; positionType 2 short, openType 2 cross.
    expect(data).toEqual([expect.objectContaining({ symbol: 'BTC_USDT', positionType: 2, openType: 2, holdVol: 2000, holdAvgPrice: 62000, openAvgPrice: 62000, im: 2480 })]);
    expect(data[0]).not.toHaveProperty('unrealised');
  });

  it('MEXC account/assets: cash and margin as imported; equity and unrealized null', async () => {
    const { data } = (await injectMexcContract(app, key, 'GET', 'account/assets')).json();
    // Cash 2520, the short's margin 2480; equity would be 5000 + its unknown PnL.
    expect(data).toEqual([expect.objectContaining({ currency: 'USDT', cashBalance: 2520, positionMargin: 2480, equity: null, unrealized: null })]);
  });

  it('once the recording states a mark: the PnL at it, −0.2 × (mark − 62000)', async () => {
    await service.feedUntil(1723161310000);
    const mark = service.engine.kernel.markPrice('BTCUSDT')!;
    expect(mark).toBeDefined();
    const pnl = formatFixed(mul(parseFixed('-0.2'), mark - parseFixed('62000')));
    const [position] = await usdm('/v3/positionRisk');
    expect(position).toMatchObject({ positionAmt: '-0.2', unRealizedProfit: pnl, notional: formatFixed(mul(parseFixed('-0.2'), mark)) });
    expect(position.markPrice).not.toBeNull();
    const account = await usdm('/v3/account');
    const equity = parseFixed('5000') + parseFixed(pnl);
    expect(account).toMatchObject({ totalUnrealizedProfit: pnl, totalMarginBalance: formatFixed(equity), totalCrossUnPnl: pnl });
    const { data } = (await injectMexcContract(app, key, 'GET', 'account/assets')).json();
    expect(data[0]).toMatchObject({ equity: Number(formatFixed(equity)), unrealized: Number(pnl) });
  });
});
