/**
 * A MEXC contract trigger order waits for its trigger for its execution cycle only: `executeCycle` 1
 * is 24 hours, 2 is 7 days (MEXC futures API, "Trigger order"), counted from its creation. Not
 * triggered by then, MEXC ends it: the list states it 4 ("invalid"), and the margin it held comes
 * back. On paper the cycle runs on the engine's clock (the inputs' time), here moved by clock inputs.
 *
 * On the bundled USD-M recording the last price is 61,804.1 at 23:55:30; "≥ 62,000" is not reached on
 * it. An open long of 20 contracts (0.002 BTC) at market once ≥ 62,000 holds its margin at the
 * trigger, 0.002 × 62,000 / 10 = 12.4, and its taker fee, 0.002 × 62,000 × 0.05% = 0.062: 12.462.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { USDM_RECORDING } from '../../test-kit/data-paths.js';
import { injectMexcContract, loggedInContractSocket } from '../../test-kit/mexc-contract-signed.js';
import { ADMIN_KEY, startTestService, type TestService } from '../../test-kit/service-kit.js';
import { until, type Frame } from '../../test-kit/ws-client.js';
import { registerMexcContractApi } from './mexc-contract-api.js';

const T0 = 1723161330000;
const HOUR = 3_600_000;
type Keys = { id: string; apiKey: string; apiSecret: string };
type Entry = Record<string, unknown>;
const OPEN_LONG_AT_62000 = { symbol: 'BTC_USDT', side: 1, vol: 20, openType: 1, leverage: 10, triggerPrice: 62000, triggerType: 1, trend: 1, orderType: 5 };

describe('MEXC contract trigger orders expire at the end of their execution cycle', () => {
  let service: TestService;
  let account: Keys;
  const call = async (method: 'GET' | 'POST', path: string, body?: unknown) =>
    (await injectMexcContract(service.app, account, method, path, body)).json() as { success: boolean; code: number; message?: string; data?: unknown };
  const list = async () => (await call('GET', 'planorder/list/orders', { page_size: 100, start_time: T0 - HOUR, end_time: T0 + 200 * HOUR })).data as Entry[];
  const entry = async (id: string) => (await list()).find((o) => o.id === id)!;
  const asset = async () => ((await call('GET', 'account/assets')).data as Entry[])[0]!;
  const clockAt = (time: number) => service.deps.hub.submit({ kind: 'clock', time });
  let day: string;
  let week: string;
  let createTime: number;

  let socket: { ws: { close(): void }; frames: Frame[] };
  const planPushes = () => socket.frames.filter((f) => f.channel === 'push.personal.plan.order').map((f) => f.data as Entry);

  beforeAll(async () => {
    service = await startTestService({ recording: USDM_RECORDING, until: T0, plugins: [registerMexcContractApi] });
    const base = await service.app.listen({ port: 0, host: '127.0.0.1' });
    account = (await service.app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name: 'cycles', type: 'futures', marginMode: 'isolated', leverage: 10, balances: { USDT: '10000' } } })).json();
    socket = await loggedInContractSocket(base, account);
  });
  afterAll(async () => {
    socket?.ws.close();
    await service?.close();
  });

  it('two trigger orders, cycles of 24 hours and 7 days, each holding 12.462', async () => {
    day = (await call('POST', 'planorder/place', { ...OPEN_LONG_AT_62000, executeCycle: 1 })).data as string;
    week = (await call('POST', 'planorder/place', { ...OPEN_LONG_AT_62000, executeCycle: 2 })).data as string;
    // 2 × 12.462 = 24.924 held; 10,000 − 24.924 = 9,975.076 available.
    expect(await asset()).toMatchObject({ frozenBalance: 24.924, availableBalance: 9975.076 });
    const [a, b] = [await entry(day), await entry(week)];
    expect([a.state, a.executeCycle, b.state, b.executeCycle]).toEqual([1, 24, 1, 168]);
    createTime = a.createTime as number;
    expect(b.createTime).toBe(createTime);
  });

  it('one millisecond before 24 hours both still wait; at 24 hours the first ends (4), its 12.462 released', async () => {
    // 24 h = 86,400,000 ms after its creation.
    await clockAt(createTime + 24 * HOUR - 1);
    expect([(await entry(day)).state, (await entry(week)).state]).toEqual([1, 1]);
    expect(await asset()).toMatchObject({ frozenBalance: 24.924 });
    await clockAt(createTime + 24 * HOUR);
    expect(await entry(day)).toMatchObject({ state: 4, updateTime: createTime + 86_400_000, errorCode: 0 });
    expect((await entry(day)).orderId).toBeUndefined();
    expect((await entry(week)).state).toBe(1);
    // 24.924 − 12.462 = 12.462 held; 10,000 − 12.462 = 9,987.538 available.
    expect(await asset()).toMatchObject({ frozenBalance: 12.462, availableBalance: 9987.538 });
    // An expired order cannot be cancelled any more (MEXC 2041: no longer waiting).
    expect(await call('POST', 'planorder/cancel', [{ symbol: 'BTC_USDT', orderId: day }])).toMatchObject({ success: false, code: 2041 });
  });

  it('a clock input far past both ends the second at its own time, 7 days after its creation; the wallet back to the last unit', async () => {
    // 168 h = 604,800,000 ms; the input comes 10 hours later, the order ends at its own time.
    await clockAt(createTime + 178 * HOUR);
    expect(await entry(week)).toMatchObject({ state: 4, updateTime: createTime + 604_800_000 });
    expect(await asset()).toMatchObject({ frozenBalance: 0, availableBalance: 10000, cashBalance: 10000, positionMargin: 0 });
    expect(((await call('GET', 'order/list/history_orders', { symbol: 'BTC_USDT', start_time: T0 - HOUR, end_time: T0 + 200 * HOUR })).data as Entry[])).toEqual([]);
  });

  it('the WebSocket pushes each order as placed (1), then ended (4) at its expiry', async () => {
    await until(() => planPushes().filter((p) => p.state === 4).length === 2, 'the pushes of the expired orders');
    expect(planPushes().map((p) => [p.id, p.state, p.updateTime])).toEqual([
      [day, 1, createTime],
      [week, 1, createTime],
      [day, 4, createTime + 86_400_000],
      [week, 4, createTime + 604_800_000],
    ]);
  });
});
