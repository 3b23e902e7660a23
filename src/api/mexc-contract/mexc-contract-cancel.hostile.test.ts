/**
 * MEXC contract `order/cancel` against a client that sends something else than order ids in its
 * array: an object, a list, null, a boolean or a long string was turned into text
 * ("[object Object]"), answered back as an order id and written to the audit log. MEXC's order ids
 * are numbers (or their decimal text): anything else refuses the whole request with 600 "Param
 * error!", cancels nothing and audits nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { USDM_RECORDING } from '../../test-kit/data-paths.js';
import { ADMIN_KEY, startTestService, type TestService } from '../../test-kit/service-kit.js';
import { registerMexcContractApi } from './mexc-contract-api.js';
import { contractSignature } from './mexc-contract-signature.js';

describe('MEXC contract order/cancel refuses what is not an order id', () => {
  let service: TestService;
  let account: { id: string; apiKey: string; apiSecret: string };

  const post = async (path: string, body: string) => {
    const time = String(Date.now());
    const r = await service.app.inject({
      method: 'POST',
      url: `/api/v1/private/${path}`,
      headers: { apikey: account.apiKey, 'request-time': time, signature: contractSignature(account.apiSecret, account.apiKey, time, body), 'content-type': 'application/json' },
      payload: body,
    });
    return r.json() as { success: boolean; code: number; message?: string; data?: unknown };
  };
  const audited = async () => (await service.deps.audit.query({ accountId: account.id, action: 'order.cancel', limit: 10_000 })).length;

  const status = async (orderId: string) =>
    (await service.app.inject({ method: 'GET', url: `/api/orders/${orderId}`, headers: { authorization: `Bearer ${account.apiKey}` } })).json().status as string;

  beforeAll(async () => {
    service = await startTestService({ recording: USDM_RECORDING, until: 1723161300000, plugins: [registerMexcContractApi] });
    await service.feedUntil(1723161310000);
    account = (await service.app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name: 'c', type: 'futures', balances: { USDT: '100000' } } })).json();
  });
  afterAll(async () => service.close());

  it.each([['{"a":1}'], ['[1]'], ['null'], ['true'], ['1.5'], ['-3'], ['""'], [`"${'9'.repeat(40)}"`], ['"12abc"']])('answers 600 for an id %s and cancels nothing', async (junk) => {
    const placed = await post('order/create', JSON.stringify({ symbol: 'BTC_USDT', side: 1, type: 1, openType: 1, vol: 20, price: 60000, leverage: 1 }));
    expect(placed).toMatchObject({ success: true });
    const orderId = (placed.data as { orderId: string }).orderId;
    const before = await audited();
    const answer = await post('order/cancel', `[${orderId},${junk}]`);
    expect(answer).toMatchObject({ success: false, code: 600 });
    expect(answer.message).toMatch(/^Param error! /);
    expect(await status(orderId)).toBe('NEW');
    expect(await audited()).toBe(before);
  });

  it('still cancels ids given as numbers and as decimal text', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 2; i += 1) {
      const placed = await post('order/create', JSON.stringify({ symbol: 'BTC_USDT', side: 1, type: 1, openType: 1, vol: 20, price: 60000, leverage: 1 }));
      ids.push((placed.data as { orderId: string }).orderId);
    }
    const answer = await post('order/cancel', `[${ids[0]},"${ids[1]}"]`);
    expect(answer).toMatchObject({ success: true, data: [{ orderId: ids[0], errorCode: 0 }, { orderId: ids[1], errorCode: 0 }] });
    for (const id of ids) expect(await status(id)).toBe('CANCELED');
  });
});
