/**
 * Importing a futures account whose exported position was edited. Two documents passed every check
 * and broke the account they created:
 * - a position on a symbol this engine does not trade (ETHUSDT on a BTCUSDT-only engine): the
 *   import answered 201, and every later `GET /api/account/positions` of that account answered 500;
 * - a position whose entry price is 0: the import answered 201 and the account showed the whole
 *   notional as unrealized profit (0.002 BTC bought at 0, worth about 123 USDT at once).
 * Each must be refused with 400 and create no account; the untouched export still imports.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { USDM_RECORDING } from '../test-kit/data-paths.js';
import { ADMIN_KEY, startTestService, type TestService } from '../test-kit/service-kit.js';

type Json = Record<string, unknown> & { account: { positions: Array<Record<string, unknown> & { entryPrice: { $n: string } }> } };

describe('an imported futures position must be one this engine can hold', () => {
  let service: TestService;
  let exported: Json;
  const admin = { authorization: `Bearer ${ADMIN_KEY}` };
  const accountCount = async () => (await service.app.inject({ url: '/api/accounts?limit=500', headers: admin })).json().items.length as number;
  const importing = (document: unknown) => service.app.inject({ method: 'POST', url: '/api/accounts/import', headers: admin, payload: { document, name: 'copy' } });
  const edited = (change: (d: Json) => void): Json => {
    const copy = structuredClone(exported);
    change(copy);
    return copy;
  };

  beforeAll(async () => {
    service = await startTestService({ recording: USDM_RECORDING, until: 1723161300000 });
    await service.feedUntil(1723161310000);
    const account = (await service.app.inject({ method: 'POST', url: '/api/accounts', headers: admin, payload: { name: 'f', type: 'futures', balances: { USDT: '10000' } } })).json();
    const key = { authorization: `Bearer ${account.apiKey}` };
    const bought = await service.app.inject({ method: 'POST', url: '/api/orders', headers: key, payload: { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.002' } });
    expect(bought.json().status).toBe('FILLED');
    exported = (await service.app.inject({ url: '/api/account/export', headers: key })).json();
    expect(exported.account.positions).toHaveLength(1);
  });
  afterAll(async () => service.close());

  it('refuses a position on a symbol the engine does not trade, creating nothing', async () => {
    const before = await accountCount();
    const r = await importing(edited((d) => (d.account.positions[0]!.symbol = 'ETHUSDT')));
    expect(r.statusCode).toBe(400);
    expect(r.json().message).toContain('ETHUSDT');
    expect(await accountCount()).toBe(before);
  });

  it('refuses an open position with an entry price of 0, creating nothing', async () => {
    const before = await accountCount();
    const r = await importing(edited((d) => (d.account.positions[0]!.entryPrice = { $n: '0' })));
    expect(r.statusCode).toBe(400);
    expect(r.json().message).toContain('entryPrice');
    expect(await accountCount()).toBe(before);
  });

  it('imports the export as it is, and its positions are readable', async () => {
    const r = await importing(exported);
    expect(r.statusCode).toBe(201);
    const positions = await service.app.inject({ url: '/api/account/positions', headers: { authorization: `Bearer ${r.json().apiKey}` } });
    expect(positions.statusCode).toBe(200);
    expect(positions.json().items).toMatchObject([{ symbol: 'BTCUSDT', totalSize: '0.002' }]);
  });
});
