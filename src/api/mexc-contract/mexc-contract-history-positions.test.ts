/**
 * `position/list/history_positions` after a fill that flips the position: only the part of the fill
 * that closed the position belongs to it (MEXC: closeVol is the volume closed, closeAvgPrice its
 * average price); the rest opened the next position. BTC_USDT: contract size 0.0001 BTC.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { div, formatFixed, mul, parseFixed } from '../../core/money/fixed.js';
import { USDM_RECORDING } from '../../test-kit/data-paths.js';
import { ADMIN_KEY, startTestService, type TestService } from '../../test-kit/service-kit.js';
import { registerMexcContractApi } from './mexc-contract-api.js';
import { injectMexcContract } from '../../test-kit/mexc-contract-signed.js';

type Keys = { apiKey: string; apiSecret: string };

describe('MEXC contract history_positions after a flip', () => {
  let service: TestService;
  let keys: Keys;

  /** A request signed by ccxt's `mexc.sign` (contract branch), sent in-process. */
  const call = async (method: 'GET' | 'POST', path: string, body?: Record<string, unknown>) =>
    (await injectMexcContract(service.app, keys, method, path, body)).json() as { success: boolean; data: unknown };

  beforeAll(async () => {
    service = await startTestService({ recording: USDM_RECORDING, until: 1723161400000, plugins: [registerMexcContractApi] });
    keys = (await service.app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name: 'flip', type: 'futures', leverage: 10, balances: { USDT: '100000' } } })).json() as Keys;
  }, 60_000);
  afterAll(async () => service?.close());

  it('a long of 0.01 BTC flipped by a sell of 0.03 shows 100 contracts closed at the price of that part', async () => {
    // side 1 open long (BUY), 3 open short (SELL); type 5 market. 100 contracts = 0.01 BTC.
    expect(await call('POST', 'order/create', { symbol: 'BTC_USDT', openType: 1, side: 1, type: 5, vol: 100 })).toMatchObject({ success: true });
    expect(await call('POST', 'order/create', { symbol: 'BTC_USDT', openType: 1, side: 3, type: 5, vol: 300 })).toMatchObject({ success: true });
    await service.engine.readModelCaughtUp();
    const rows = await service.engine.db.selectFrom('trades').selectAll().execute();
    rows.sort((a, b) => Number(a.timestamp) - Number(b.timestamp) || a.id.length - b.id.length || (a.id < b.id ? -1 : 1));
    const buys = rows.filter((r) => r.orderSide === 'BUY');
    const sells = rows.filter((r) => r.orderSide === 'SELL');
    // By hand: the long's entry is its buys' average; the first 0.01 BTC the sell filled closed it.
    const entry = div(buys.reduce((s, r) => s + mul(parseFixed(r.size), parseFixed(r.price)), 0n), parseFixed('0.01'));
    let left = parseFixed('0.01');
    let closedQuote = 0n;
    for (const r of sells) {
      const part = parseFixed(r.size) < left ? parseFixed(r.size) : left;
      closedQuote += mul(part, parseFixed(r.price));
      left -= part;
    }
    const closeAvg = div(closedQuote, parseFixed('0.01'));
    // Every fee of the fills booked on the long, the flip's whole fee included (docs/adr/0028).
    const longId = buys[0]!.positionId!;
    const fees = rows.filter((r) => r.positionId === longId).reduce((s, r) => s + parseFixed(r.fee), 0n);
    const realised = closedQuote - mul(parseFixed('0.01'), entry) - fees;

    const history = (await call('GET', 'position/list/history_positions', { symbol: 'BTC_USDT' })).data as Array<Record<string, number>>;
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({
      positionType: 1,
      closeVol: 100,
      openAvgPrice: Number(formatFixed(entry)),
      closeAvgPrice: Number(formatFixed(closeAvg)),
      realised: Number(formatFixed(realised)),
    });
    // The rest of the sell opened a short of 200 contracts.
    const open = (await call('GET', 'position/open_positions', { symbol: 'BTC_USDT' })).data as Array<Record<string, number>>;
    expect(open).toMatchObject([{ positionType: 2, holdVol: 200 }]);
  }, 60_000);
});
