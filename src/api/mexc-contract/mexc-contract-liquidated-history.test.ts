/**
 * `position/list/history_positions` of a liquidated position. MEXC: `closeVol` is the volume the
 * position closed, `closeAvgPrice` the average price it closed at, `realised` what it realized. A
 * liquidation closes with no fill: the position's figures must count it (its loss and clearance
 * fee, the size it closed at its price), not only the fills (which showed realised −15.46, the
 * opening fee, for a position that lost its margin). Run on SQLite and on PostgreSQL.
 * BTC_USDT: contract size 0.0001 BTC.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { LiquidationEvent } from '../../core/kernel/events.js';
import { div, formatFixed, mul, parseFixed } from '../../core/money/fixed.js';
import { USDM_RECORDING } from '../../test-kit/data-paths.js';
import { ADMIN_KEY, startTestService, type TestService } from '../../test-kit/service-kit.js';
import { describeEachDialect, type TestDatabase } from '../../test-kit/test-databases.js';
import { registerMexcContractApi } from './mexc-contract-api.js';
import { injectMexcContract } from '../../test-kit/mexc-contract-signed.js';

type Keys = { id: string; apiKey: string; apiSecret: string };

describeEachDialect((name) => `MEXC contract history_positions of a liquidated position, on ${name}`, (dialect) => {
  let target: TestDatabase;
  let service: TestService;
  let keys: Keys;

  /** A request signed by ccxt's `mexc.sign` (contract branch), sent in-process. */
  const call = async (method: 'GET' | 'POST', path: string, body?: Record<string, unknown>) =>
    (await injectMexcContract(service.app, keys, method, path, body)).json() as { success: boolean; data: unknown };

  beforeAll(async () => {
    target = dialect.create();
    // The recording's highest ask, 61,839.9: a 125x long bought there is liquidated a few minutes later.
    service = await startTestService({ recording: USDM_RECORDING, until: 1723161310714, plugins: [registerMexcContractApi], engine: { databaseUrl: target.url, database: target.options, snapshotIntervalMs: 0 } });
    keys = (await service.app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name: 'liq', type: 'futures', leverage: 125, balances: { USDT: '1000' } } })).json() as Keys;
  }, 60_000);
  afterAll(async () => {
    await service?.close();
    await target?.cleanup();
  });

  it('a 125x long of 0.5 BTC (5000 contracts) liquidated shows 5000 contracts closed at the liquidation price and the whole loss realised', async () => {
    const liquidations: LiquidationEvent[] = [];
    const stop = service.deps.hub.subscribe((events) => {
      for (const e of events) if (e.type === 'LIQUIDATION' && e.account === keys.id) liquidations.push(e);
    });
    try {
      // side 1 open long; type 5 market. 5000 contracts = 0.5 BTC.
      expect(await call('POST', 'order/create', { symbol: 'BTC_USDT', openType: 1, side: 1, type: 5, vol: 5000 })).toMatchObject({ success: true });
      await service.feedUntil(1723161600000);
    } finally {
      stop();
    }
    await service.engine.readModelCaughtUp();
    expect(liquidations).toHaveLength(1);
    const liquidation = liquidations[0]!;
    // By hand: three taker fills, 0.262 @ 61839.9, 0.187 @ 61840, 0.051 @ 61840.2, at 0.05 %:
    // fees 8.1010269 + 5.78204 + 1.5769251 = 15.459992; entry (16202.0538 + 11564.08 + 3153.8502) / 0.5
    // = 61839.968; isolated margin at 125x, per fill 129.6164304 + 92.51264 + 25.2308016 = 247.359872.
    expect(liquidation).toMatchObject({ direction: 'LONG', size: '0.5', entryPrice: '61839.968', marginLost: '247.359872' });
    const fees = parseFixed('15.459992');
    const entry = parseFixed('61839.968');
    const size = parseFixed('0.5');
    // The liquidation closes the 0.5 at the bankruptcy price, where the margin less the clearance fee
    // is gone: realized (bankruptcy − entry) × 0.5 = fee − margin. Realised: that, less every fee.
    const realizedAtLiquidation = parseFixed(liquidation.liquidationFee) - parseFixed('247.359872');
    const realised = realizedAtLiquidation - fees - parseFixed(liquidation.liquidationFee);
    expect(formatFixed(realised)).toBe('-262.819864');
    const bankruptcy = entry + div(realizedAtLiquidation, size, 'half-up');
    expect(formatFixed(bankruptcy)).toBe(liquidation.bankruptcyPrice);

    const history = (await call('GET', 'position/list/history_positions', { symbol: 'BTC_USDT' })).data as Array<Record<string, number>>;
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({
      positionType: 1,
      state: 3,
      closeVol: 5000,
      openAvgPrice: 61839.968,
      closeAvgPrice: Number(formatFixed(bankruptcy)),
      realised: Number(formatFixed(realised)),
    });
    // The wallet fell by as much: 1000 − 262.819864.
    const assets = (await call('GET', 'account/assets')).data as Array<Record<string, number>>;
    expect(assets).toMatchObject([{ currency: 'USDT', equity: Number(formatFixed(parseFixed('1000') + realised)) }]);
    expect(mul(size, bankruptcy - entry)).toBe(realizedAtLiquidation);
  }, 60_000);
});
