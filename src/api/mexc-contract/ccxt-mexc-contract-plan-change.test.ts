/**
 * `planorder/change_price` through ccxt's own `mexc` class (4.5), unmodified: it has no edit for
 * trigger orders (`has.editOrder` unset; `editOrder` is the base class's cancel-then-create, whose
 * `order/cancel` MEXC answers 2040 for a waiting trigger order, so nothing is created) and declares no
 * method for the route, so a ccxt bot reaches it with `request(path, ['contract', 'private'], 'POST', params)`, which
 * signs it as MEXC's contract API signs any private POST (key + time + the JSON body). Bundled USD-M
 * recording at 23:55:30, last price 61,804.1, a cross account at 10x.
 */
import { InvalidOrder, type Exchange } from 'ccxt';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { USDM_RECORDING } from '../../test-kit/data-paths.js';
import { mexcClient } from '../../test-kit/exchange-clients.js';
import { ADMIN_KEY, startTestService, type TestService } from '../../test-kit/service-kit.js';
import { buildServer } from '../server.js';
import { registerMexcApi } from '../mexc/mexc-api.js';
import { registerMexcContractApi } from './mexc-contract-api.js';

const T0 = 1723161330000;
const SYMBOL = 'BTC/USDT:USDT';
type Info = Record<string, unknown>;

describe("ccxt's mexc class changes a trigger order through planorder/change_price", () => {
  let service: TestService;
  let app: FastifyInstance;
  let mexc: Exchange;
  const planList = async () => (await mexc.fetchOrders(SYMBOL, undefined, undefined, { method: 'contractPrivateGetPlanorderListOrders' })).map((o) => o.info as Info);
  const changePrice = (params: Record<string, unknown>) => mexc.request('planorder/change_price', ['contract', 'private'], 'POST', params) as Promise<Info>;

  beforeAll(async () => {
    service = await startTestService({ recording: USDM_RECORDING, until: T0 });
    app = await buildServer(service.deps, { plugins: [registerMexcContractApi, registerMexcApi] });
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    const account = (await app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name: 'ccxt-change', type: 'futures', marginMode: 'cross', leverage: 10, balances: { USDT: '10000' } } })).json();
    mexc = mexcClient(base, account.apiKey, account.apiSecret);
    await mexc.loadMarkets();
  });
  afterAll(async () => {
    await app?.close();
    await service?.close();
  });

  it("ccxt's editOrder is its generic cancel-then-create: order/cancel does not know a waiting trigger order (2040), so it is refused before creating anything", async () => {
    expect(mexc.has.editOrder).toBeFalsy();
    // Open long at market once ≥ 62,000 (not reached).
    await mexc.createOrder(SYMBOL, 'market', 'buy', 20, undefined, { triggerPrice: 62000, triggerType: 1, orderType: 5 });
    const [waiting] = await planList();
    await expect(mexc.editOrder(waiting!.id as string, SYMBOL, 'market', 'buy', 20, undefined, { triggerPrice: 62100, triggerType: 1, orderType: 5 })).rejects.toThrow(InvalidOrder);
    expect(await planList()).toEqual([expect.objectContaining({ id: waiting!.id, state: 1, triggerPrice: 62000 })]);
    expect(await mexc.fetchOpenOrders(SYMBOL)).toEqual([]);
    await mexc.cancelAllOrders(SYMBOL, { method: 'contractPrivatePostPlanorderCancelAll' });
  });

  it('a signed request changes it: the new id answered, the original cancelled (2), the changed one waiting; the original again is refused 2041', async () => {
    // Open long with a limit at 61,500 once the latest price is ≤ 61,600 (not reached).
    await mexc.createOrder(SYMBOL, 'limit', 'buy', 20, 61500, { triggerPrice: 61600, triggerType: 2 });
    const original = (await planList()).find((o) => o.state === 1);
    expect(original).toMatchObject({ state: 1, side: 1, vol: 20, triggerPrice: 61600, price: 61500, triggerType: 2, trend: 1, orderType: 1, executeCycle: 24 });
    const answer = await changePrice({ symbol: 'BTC_USDT', orderId: original!.id, triggerPrice: 61700, price: 61650, orderType: 1, triggerType: 2, trend: 1 });
    expect(answer).toEqual({ success: true, code: 0, data: expect.stringMatching(/^[1-9][0-9]*$/) });
    const list = await planList();
    expect(list.find((o) => o.id === original!.id)).toMatchObject({ state: 2 });
    expect(list.find((o) => o.id === answer.data)).toMatchObject({ state: 1, side: 1, vol: 20, triggerPrice: 61700, price: 61650, triggerType: 2, trend: 1, orderType: 1, executeCycle: 24 });
    await expect(changePrice({ symbol: 'BTC_USDT', orderId: original!.id, triggerPrice: 61700, price: 61650, orderType: 1, triggerType: 2, trend: 1 })).rejects.toThrow(/"code":2041/);
    expect((await planList()).filter((o) => o.state === 1).map((o) => o.id)).toEqual([answer.data]);
  });
});
