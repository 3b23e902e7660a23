/**
 * `position/open_positions` after partial closes, each figure worked out by hand from the USD-M
 * recording's book (BTCUSDT perpetual; BTC_USDT contract size 0.0001 BTC) and the default 0.05 %
 * taker fee: a long of 5000 contracts (0.5 BTC) bought at 61,807.8, then 2000 contracts sold at
 * 61,760.3 a minute later and 1000 at 61,701.2 a minute after that.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { USDM_RECORDING } from '../../test-kit/data-paths.js';
import { injectMexcContract } from '../../test-kit/mexc-contract-signed.js';
import { ADMIN_KEY, startTestService, type TestService } from '../../test-kit/service-kit.js';
import { registerMexcContractApi } from './mexc-contract-api.js';

const START = 1723161300000;

describe('MEXC contract open position after partial closes, by hand', () => {
  let service: TestService;
  let keys: { apiKey: string; apiSecret: string };
  const call = async (method: 'GET' | 'POST', path: string, body?: Record<string, unknown>) => (await injectMexcContract(service.app, keys, method, path, body)).json() as { success: boolean; data: unknown };

  beforeAll(async () => {
    service = await startTestService({ recording: USDM_RECORDING, until: START, plugins: [registerMexcContractApi] });
    keys = (await service.app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name: 'partial', type: 'futures', leverage: 10, balances: { USDT: '10000' } } })).json();
  });
  afterAll(async () => service?.close());

  it('states the volume closed so far and its average price (closeVol, closeAvgPrice), not zeros', async () => {
    // side 1 open long, 4 close long; type 5 market.
    expect(await call('POST', 'order/create', { symbol: 'BTC_USDT', openType: 1, side: 1, type: 5, vol: 5000, leverage: 10 })).toMatchObject({ success: true });
    await service.feedUntil(START + 60_000);
    expect(await call('POST', 'order/create', { symbol: 'BTC_USDT', openType: 1, side: 4, type: 5, vol: 2000, leverage: 10 })).toMatchObject({ success: true });
    await service.feedUntil(START + 120_000);
    expect(await call('POST', 'order/create', { symbol: 'BTC_USDT', openType: 1, side: 4, type: 5, vol: 1000, leverage: 10 })).toMatchObject({ success: true });

    const { data } = await call('GET', 'position/open_positions', { symbol: 'BTC_USDT' });
    // MEXC, "Get the user's current holding position": closeVol "close volume", closeAvgPrice
    // "close average price". Closed: 2000 + 1000 = 3000 contracts, at
    // (0.2 × 61760.3 + 0.1 × 61701.2) / 0.3 = (12352.06 + 6170.12) / 0.3 = 61740.6.
    // Realised: 0.2 × (61760.3 − 61807.8) + 0.1 × (61701.2 − 61807.8) = −9.5 − 10.66 = −20.16, less the fees
    // 0.0005 × (30903.9 + 12352.06 + 6170.12) = 15.45195 + 6.17603 + 3.08506 = 24.71304: −44.87304.
    // Margin: 30903.9 / 10 = 3090.39 at opening, two fifths of it left with 2000 of 5000 contracts: 1236.156.
    expect(data).toEqual([
      expect.objectContaining({ symbol: 'BTC_USDT', positionType: 1, state: 1, holdVol: 2000, closeVol: 3000, holdAvgPrice: 61807.8, openAvgPrice: 61807.8, closeAvgPrice: 61740.6, realised: -44.87304, im: 1236.156 }),
    ]);
  });
});
