/**
 * The close routes take no terms: a body with a field (a partial-close "quantity", say) is refused
 * with a message naming it, and changes nothing; no body, or an empty object, closes the whole
 * position as before. On the bundled USD-M tape at 23:55:00 UTC.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { USDM_RECORDING } from '../test-kit/data-paths.js';
import { ADMIN_KEY, startTestService, type TestService } from '../test-kit/service-kit.js';

const admin = { authorization: `Bearer ${ADMIN_KEY}` };
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

describe('POST /api/positions/:symbol/close and close-all take no terms', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService({ recording: USDM_RECORDING, until: 1723161300000 });
  }, 60_000);
  afterAll(async () => service.close());

  it('refuses a "quantity" instead of closing the whole position, then closes on an empty body', async () => {
    const inject = service.app.inject.bind(service.app);
    const account = (await inject({ method: 'POST', url: '/api/accounts', headers: admin, payload: { name: 'closer', type: 'futures', leverage: 10, balances: { USDT: '1000' } } })).json<{ apiKey: string }>();
    const open = await inject({ method: 'POST', url: '/api/orders', headers: bearer(account.apiKey), payload: { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.005' } });
    expect(open.json()).toMatchObject({ status: 'FILLED', executedQty: '0.005' });
    const size = async () => (await inject({ url: '/api/account/positions', headers: bearer(account.apiKey) })).json<{ items: { totalSize: string }[] }>().items.map((p) => p.totalSize);

    for (const url of ['/api/positions/BTCUSDT/close', '/api/positions/close-all']) {
      const partial = await inject({ method: 'POST', url, headers: bearer(account.apiKey), payload: { quantity: '0.001' } });
      expect(partial.statusCode, url).toBe(400);
      expect(partial.json(), url).toEqual({ code: 'INVALID_REQUEST', message: 'body has an unknown field "quantity"' });
      // Nothing closed: the whole 0.005 BTC is still held.
      expect(await size(), url).toEqual(['0.005']);
    }

    const closed = await inject({ method: 'POST', url: '/api/positions/BTCUSDT/close', headers: bearer(account.apiKey), payload: {} });
    expect(closed.statusCode, closed.body).toBe(200);
    expect(closed.json()).toMatchObject({ orders: [{ side: 'SELL', status: 'FILLED', executedQty: '0.005' }] });
    expect(await size()).toEqual([]);
  });
});
