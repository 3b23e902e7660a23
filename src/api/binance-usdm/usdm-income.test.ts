/**
 * Binance USD-M `GET /fapi/v1/income` (Get Income History) and positionRisk's `breakEvenPrice` on a
 * paper account fed the bundled USD-M recording: a long bought, two funding payments, a partial
 * close. Oracles: the rows computed by hand below from the fill prices the book gives and the mark
 * at each payment (Binance's fee of 0.05 % taker, funding = size × mark × rate), Binance's
 * documented window rules ("If neither startTime nor endTime is sent, the recent 7-day data will be
 * returned", "Income history only contains data for the last three months", limit default 100) and
 * the wallet, which moves by exactly the sum of the incomes.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatFixed, parseFixed } from '../../core/money/fixed.js';
import { USDM_RECORDING } from '../../test-kit/data-paths.js';
import { ADMIN_KEY, startTestService, type TestService } from '../../test-kit/service-kit.js';
import { injectSigned } from '../../test-kit/signed-inject.js';
import { buildServer } from '../server.js';
import { registerBinanceUsdmApi } from './usdm-api.js';

const START = 1723161300000;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

interface Income {
  symbol: string;
  incomeType: string;
  income: string;
  asset: string;
  info: string;
  time: number;
  tranId: number;
  tradeId: string;
}

describe('USD-M income history', () => {
  let service: TestService;
  let app: FastifyInstance;
  let key: { apiKey: string; apiSecret: string };
  let t0: number;
  const get = (path: string, params: Record<string, string> = {}) => injectSigned(app, key, { url: `/binance/fapi${path}`, params });
  const income = async (params: Record<string, string> = {}) => (await get('/v1/income', params)).json() as Income[];
  /** The rows as `TYPE income@hours-after-t0`, enough to tell each apart. */
  const brief = (rows: Income[]) => rows.map((r) => `${r.incomeType} ${r.income}@${(r.time - t0) / HOUR}h`);

  beforeAll(async () => {
    service = await startTestService({ recording: USDM_RECORDING, until: START });
    app = await buildServer(service.deps, { plugins: [registerBinanceUsdmApi] });
    key = (await app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name: 'inc', type: 'futures', leverage: 10, balances: { USDT: '10000' } } })).json();
    // The touch at START: best ask 61807.8 (0.739 BTC), best bid 61807.7 (5.294 BTC), mark 61807.7.
    expect(service.engine.kernel.depth('BTCUSDT', 1)).toEqual({ bids: [['61807.7', '5.294']], asks: [['61807.8', '0.739']] });
    const sign = (method: 'POST', params: Record<string, string>) => injectSigned(app, key, { method, url: '/binance/fapi/v1/order', params });
    const buy = (await sign('POST', { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.02' })).json();
    t0 = buy.time;
    await service.deps.hub.submit({ kind: 'clock', time: t0 + HOUR });
    await service.deps.hub.submit({ kind: 'funding', time: t0 + HOUR, symbol: 'BTCUSDT', rate: '0.0001' });
    await service.deps.hub.submit({ kind: 'clock', time: t0 + 2 * HOUR });
    await service.deps.hub.submit({ kind: 'funding', time: t0 + 2 * HOUR, symbol: 'BTCUSDT', rate: '-0.0002' });
    await service.deps.hub.submit({ kind: 'clock', time: t0 + 3 * HOUR });
    await sign('POST', { symbol: 'BTCUSDT', side: 'SELL', type: 'MARKET', quantity: '0.01' });
  });
  afterAll(async () => {
    await app.close();
    await service.close();
  });

  // By hand:
  // buy 0.02 at 61807.8: notional 1236.156, commission 1236.156 × 0.0005 = 0.618078;
  // funding at +1h, rate 0.0001, mark 61807.7: 0.02 × 61807.7 × 0.0001 = 0.1236154, paid by the long;
  // funding at +2h, rate −0.0002: 0.02 × 61807.7 × 0.0002 = 0.2472308, received;
  // sell 0.01 at 61807.7: realized (61807.7 − 61807.8) × 0.01 = −0.001; commission 618.077 × 0.0005 = 0.3090385.
  const ALL = [
    'COMMISSION -0.61807800@0h',
    'FUNDING_FEE -0.12361540@1h',
    'FUNDING_FEE 0.24723080@2h',
    'REALIZED_PNL -0.00100000@3h',
    'COMMISSION -0.30903850@3h',
  ];

  it('lists realized PnL, commissions and funding payments, oldest first, amounts with 8 decimals', async () => {
    const rows = await income();
    expect(brief(rows)).toEqual(ALL);
    for (const r of rows) expect(r).toMatchObject({ symbol: 'BTCUSDT', asset: 'USDT', info: r.incomeType });
    // A fill's rows name it (tradeId and tranId: the trade's id); a funding payment has no trade.
    const trades = (await get('/v1/userTrades', { symbol: 'BTCUSDT' })).json() as { id: number }[];
    expect(rows.filter((r) => r.incomeType !== 'FUNDING_FEE').map((r) => [r.tranId, r.tradeId])).toEqual([
      [trades[0]!.id, String(trades[0]!.id)],
      [trades[1]!.id, String(trades[1]!.id)],
      [trades[1]!.id, String(trades[1]!.id)],
    ]);
    const funding = rows.filter((r) => r.incomeType === 'FUNDING_FEE');
    expect(funding.map((r) => r.tradeId)).toEqual(['', '']);
    expect(new Set(funding.map((r) => r.tranId)).size).toBe(2);
    for (const r of funding) expect(Number.isSafeInteger(r.tranId)).toBe(true);
    // The wallet moved by the incomes: 10000 − 0.618078 − 0.1236154 + 0.2472308 − 0.001 − 0.3090385 = 9999.1954989.
    expect((await get('/v2/account')).json().totalWalletBalance).toBe('9999.1954989');
  });

  it('filters by incomeType and symbol; another documented type is empty, an unknown one -1100', async () => {
    expect(brief(await income({ incomeType: 'FUNDING_FEE' }))).toEqual([ALL[1], ALL[2]]);
    expect(brief(await income({ incomeType: 'COMMISSION', symbol: 'BTCUSDT' }))).toEqual([ALL[0], ALL[4]]);
    expect(brief(await income({ incomeType: 'REALIZED_PNL' }))).toEqual([ALL[3]]);
    expect(await income({ incomeType: 'TRANSFER' })).toEqual([]);
    expect((await get('/v1/income', { incomeType: 'PROFIT' })).json()).toMatchObject({ code: -1100 });
    expect((await get('/v1/income', { symbol: 'NOPEUSDT' })).json()).toEqual({ code: -1121, msg: 'Invalid symbol.' });
    expect((await get('/v1/income', { limit: 'ten' })).json()).toMatchObject({ code: -1100 });
  });

  it('pages: the latest `limit` without startTime, the first `limit` from it, `page` one limit further; both bounds inclusive', async () => {
    expect(brief(await income({ limit: '2' }))).toEqual([ALL[3], ALL[4]]);
    expect(brief(await income({ limit: '2', page: '2' }))).toEqual([ALL[1], ALL[2]]);
    expect(brief(await income({ limit: '2', page: '3' }))).toEqual([ALL[0]]);
    expect(await income({ limit: '2', page: '4' })).toEqual([]);
    expect(brief(await income({ startTime: String(t0), limit: '2' }))).toEqual([ALL[0], ALL[1]]);
    expect(brief(await income({ startTime: String(t0), limit: '2', page: '2' }))).toEqual([ALL[2], ALL[3]]);
    expect(brief(await income({ startTime: String(t0 + HOUR), endTime: String(t0 + 2 * HOUR) }))).toEqual([ALL[1], ALL[2]]);
    expect(brief(await income({ endTime: String(t0 + HOUR) }))).toEqual([ALL[0], ALL[1]]);
  });

  it('costs 30 weight', async () => {
    const used = async () => Number((await get('/v1/income')).headers['x-mbx-used-weight-1m']);
    const first = await used();
    expect((await used()) - first).toBe(30);
  });

  it('states breakEvenPrice: entry less the position’s realized PnL net of its fees, per unit of size; funding not counted', async () => {
    // 61807.8 − (−0.001 − 0.618078 − 0.3090385) / 0.01 = 61807.8 + 92.81165 = 61900.61165.
    for (const path of ['/v2/positionRisk', '/v3/positionRisk']) {
      expect((await get(path, { symbol: 'BTCUSDT' })).json()[0]).toMatchObject({ entryPrice: '61807.8', breakEvenPrice: '61900.61165' });
    }
    const account = (await get('/v2/account')).json();
    expect(account.positions.find((p: { symbol: string }) => p.symbol === 'BTCUSDT')).toMatchObject({ breakEvenPrice: '61900.61165' });
  });

  it('reads the last 7 days without startTime or endTime, and nothing older than three months even when asked', async () => {
    // Seven days after the sale, the rows at +3h are exactly 7 days old: still in.
    await service.deps.hub.submit({ kind: 'clock', time: t0 + 3 * HOUR + 7 * DAY });
    expect(brief(await income())).toEqual([ALL[3], ALL[4]]);
    await service.deps.hub.submit({ kind: 'clock', time: t0 + 3 * HOUR + 7 * DAY + 1 });
    expect(await income()).toEqual([]);
    expect(brief(await income({ startTime: String(t0) }))).toEqual(ALL);
    // 90 days and 1 ms after the purchase: its commission is gone, the rest stays.
    await service.deps.hub.submit({ kind: 'clock', time: t0 + 90 * DAY + 1 });
    expect(brief(await income({ startTime: String(t0) }))).toEqual(ALL.slice(1));
  });
});

/** A service at START with the USD-M dialect, started before the block's tests and closed after them. */
function usdmServiceOfBlock(): { readonly service: TestService; readonly app: FastifyInstance } {
  const rig = {} as { service: TestService; app: FastifyInstance };
  beforeAll(async () => {
    rig.service = await startTestService({ recording: USDM_RECORDING, until: START });
    rig.app = await buildServer(rig.service.deps, { plugins: [registerBinanceUsdmApi] });
  });
  afterAll(async () => {
    await rig.app?.close();
    await rig.service?.close();
  });
  return rig;
}

describe('USD-M income history of a liquidated account', () => {
  const rig = usdmServiceOfBlock();

  it('adds up to the wallet: the liquidation’s realized loss and clearance fee (INSURANCE_CLEAR) are rows too', async () => {
    const key = (await rig.app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name: 'top', type: 'futures', leverage: 125, balances: { USDT: '1000' } } })).json();
    // Bought at the recording's highest ask at 125x: liquidated later in the recording.
    await rig.service.feedUntil(1723161310714);
    await injectSigned(rig.app, key, { method: 'POST', url: '/binance/fapi/v1/order', params: { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.5' } });
    await rig.service.feedUntil(Number.MAX_SAFE_INTEGER);
    const get = (path: string, params: Record<string, string> = {}) => injectSigned(rig.app, key, { url: `/binance/fapi${path}`, params });
    const rows = (await get('/v1/income', { startTime: String(START - HOUR) })).json() as Income[];
    // One commission per fill of the market buy (it walked the book), then the liquidation's two rows.
    const fills = ((await get('/v1/userTrades', { symbol: 'BTCUSDT', startTime: String(START) })).json() as unknown[]).length;
    expect(rows.map((r) => r.incomeType)).toEqual([...Array<string>(fills).fill('COMMISSION'), 'REALIZED_PNL', 'INSURANCE_CLEAR']);
    // The wallet is the deposit plus every income, to its last digit.
    const wallet = (await get('/v2/account')).json().totalWalletBalance as string;
    expect(formatFixed(rows.reduce((s, r) => s + parseFixed(r.income), parseFixed('1000')))).toBe(wallet);
    // The liquidation's rows carry its time and, as Binance's, a numeric tranId: the LIQUIDATION event's place in
    // the event stream, seq × 1,000,000 + index (usdm-income-lives.test.ts works one out by hand), one for both rows.
    const position = (await rig.service.engine.db.selectFrom('positions').select(['closedAt', 'status', 'liquidationSeq', 'liquidationIndex']).executeTakeFirstOrThrow());
    expect(position.status).toBe('LIQUIDATED');
    const tranId = Number(position.liquidationSeq) * 1_000_000 + Number(position.liquidationIndex);
    expect(rows.slice(fills).map((r) => [r.tranId, r.time])).toEqual([[tranId, Number(position.closedAt)], [tranId, Number(position.closedAt)]]);
    expect(Number.isSafeInteger(tranId) && tranId > 0).toBe(true);
  }, 180_000);
});

describe('USD-M income history of a close from an averaged entry', () => {
  const rig = usdmServiceOfBlock();

  it('states each amount exactly, so that the incomes add up to the wallet to its last digit', async () => {
    const key = (await rig.app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name: 'exact', type: 'futures', leverage: 10, balances: { USDT: '100000' } } })).json();
    const get = (path: string, params: Record<string, string> = {}) => injectSigned(rig.app, key, { url: `/binance/fapi${path}`, params });
    const order = (side: string, quantity: string, reduceOnly: string) => injectSigned(rig.app, key, { method: 'POST', url: '/binance/fapi/v1/order', params: { symbol: 'BTCUSDT', side, type: 'MARKET', quantity, reduceOnly } });
    // Bought 0.74: 0.739 at 61807.8 (all the best ask) and 0.001 at 61808.3; entry (45675.9642 + 61.8083) / 0.74
    // = 45737.7725 / 0.74 = 61807.800675675675… (675 repeating).
    expect((await order('BUY', '0.74', 'false')).json()).toMatchObject({ status: 'FILLED', avgPrice: '61807.80067568' });
    // Sold 0.001 at the bid 61807.7: realized (61807.7 − 61807.800675675…) × 0.001 = −0.000100675675…, beyond 8 decimals.
    expect((await order('SELL', '0.001', 'true')).json()).toMatchObject({ status: 'FILLED', avgPrice: '61807.7' });
    const rows = (await get('/v1/income')).json() as Income[];
    // Commissions at 0.05 %: 0.739 × 61807.8 × 0.0005 = 22.8379821; 0.001 × 61808.3 × 0.0005 = 0.03090415;
    // 0.001 × 61807.7 × 0.0005 = 0.03090385, written with 8 decimals as Binance writes them.
    expect(rows.filter((r) => r.incomeType === 'COMMISSION').map((r) => r.income)).toEqual(['-22.83798210', '-0.03090415', '-0.03090385']);
    const realized = rows.filter((r) => r.incomeType === 'REALIZED_PNL').map((r) => r.income);
    expect(realized).toHaveLength(1);
    expect(realized[0]).toMatch(/^-0\.00010067567567567\d$/);
    // Wallet: 100000 − 22.8379821 − 0.03090415 − 0.03090385 = 99977.1002099, plus that realized PnL; the rows add up to it.
    const wallet = (await get('/v2/account')).json().totalWalletBalance as string;
    expect(wallet).toMatch(/^99977\.10010922432432432\d$/);
    expect(formatFixed(rows.reduce((sum, r) => sum + parseFixed(r.income), parseFixed('100000')))).toBe(wallet);
  });
});
