/**
 * `executeCycle` in `planorder/list/orders` states a cycle only for a trigger order that has one. A
 * trigger order placed through `planorder/place` carries its cycle in its client id (`plan24h…`) and
 * its end in the kernel (`expireTime`, docs/adr/0072); a conditional order placed through the native
 * API under a client id that merely looks like that tag has no end, and was listed with
 * `executeCycle: 24` though it waits past 24 hours.
 *
 * Bundled USD-M recording at 23:55:30 (last price 61,804.1; "≥ 63,000" is not reached), cross account
 * at 10x.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { USDM_RECORDING } from '../../test-kit/data-paths.js';
import { injectMexcContract } from '../../test-kit/mexc-contract-signed.js';
import { ADMIN_KEY, startTestService, type TestService } from '../../test-kit/service-kit.js';
import { registerMexcContractApi } from './mexc-contract-api.js';

const T0 = 1723161330000;
const HOUR = 3_600_000;
type Keys = { id: string; apiKey: string; apiSecret: string };
type Entry = Record<string, unknown>;

describe('a trigger order states the cycle it has, not the one its client id looks like', () => {
  let service: TestService;
  let account: Keys;
  const call = async (method: 'GET' | 'POST', path: string, body?: unknown) =>
    (await injectMexcContract(service.app, account, method, path, body)).json() as { success: boolean; code: number; data?: unknown };
  const listed = async () => (await call('GET', 'planorder/list/orders', { start_time: T0 - HOUR, end_time: T0 + 48 * HOUR })).data as Entry[];

  beforeAll(async () => {
    service = await startTestService({ recording: USDM_RECORDING, until: T0, plugins: [registerMexcContractApi] });
    account = (await service.app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name: 'cycles', type: 'futures', marginMode: 'cross', leverage: 10, balances: { USDT: '10000' } } })).json();
  });
  afterAll(async () => service?.close());

  it('a native stop named like the tag lists no cycle and still waits after 24 hours; the trigger order of 24 hours ends', async () => {
    const native = await service.app.inject({ method: 'POST', url: '/api/orders', headers: { authorization: `Bearer ${account.apiKey}` }, payload: { symbol: 'BTCUSDT', side: 'BUY', type: 'STOP_LOSS', quantity: '0.002', stopPrice: '63000', clientOrderId: 'plan24hnative' } });
    expect(native.statusCode).toBe(201);
    const forged = native.json().orderId as string;
    const genuine = (await call('POST', 'planorder/place', { symbol: 'BTC_USDT', side: 1, vol: 20, openType: 2, triggerPrice: 63000, triggerType: 1, executeCycle: 1, trend: 1, orderType: 5 })).data as string;
    const before = Object.fromEntries((await listed()).map((o) => [o.id, o]));
    expect(before[forged]).not.toHaveProperty('executeCycle');
    expect(before[genuine]).toMatchObject({ executeCycle: 24, state: 1 });

    await service.deps.hub.submit({ kind: 'clock', time: (before[genuine]!.createTime as number) + 25 * HOUR });
    const after = Object.fromEntries((await listed()).map((o) => [o.id, o]));
    expect(after[forged]).toMatchObject({ state: 1 });
    expect(after[forged]).not.toHaveProperty('executeCycle');
    expect(after[genuine]).toMatchObject({ executeCycle: 24, state: 4 });
  });
});
