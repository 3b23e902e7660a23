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

type Amount = { $n: string };
type Json = Record<string, unknown> & {
  account: { marginMode: string; cash: Amount; positions: Array<Record<string, unknown> & { entryPrice: Amount; size: Amount; margin: Amount; leverage: number }> };
};
const big = (a: Amount) => BigInt(a.$n);
const amount = (v: bigint): Amount => ({ $n: v.toString() });
/** |size| × entry / leverage, truncated to 8 decimals, on amounts at 18 decimals: by hand. */
const initialMargin = (size: bigint, entry: bigint, leverage: number) => ((size * entry) / 10n ** 18n / BigInt(leverage) / 10n ** 10n) * 10n ** 10n;
/** Sets a position's margin and moves the difference to or from the cash, so that the ledger still adds up. */
const withMargin = (d: Json, margin: bigint) => {
  const p = d.account.positions[0]!;
  d.account.cash = amount(big(d.account.cash) + big(p.margin) - margin);
  p.margin = amount(margin);
};

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

  it('the export holds the margin size × entry / leverage: 0.002 BTC at 1x', () => {
    const p = exported.account.positions[0]!;
    expect(p.leverage).toBe(1);
    expect(big(p.margin)).toBe(initialMargin(big(p.size), big(p.entryPrice), 1));
  });

  it('refuses a position whose margin is a hundredth of size × entry / leverage (the ledger still adding up), creating nothing', async () => {
    const before = await accountCount();
    const p = exported.account.positions[0]!;
    const initial = initialMargin(big(p.size), big(p.entryPrice), 1);
    const r = await importing(edited((d) => withMargin(d, initial / 100n)));
    expect(r.statusCode).toBe(400);
    expect(r.json().message).toContain(`account.positions[0].margin: ${Number(initial / 100n) / 1e18} USDT is below size × entryPrice / leverage = ${Number(initial) / 1e18} USDT`);
    expect(await accountCount()).toBe(before);
  });

  it('imports 1 BTC at 125x with its margin size × entry / 125: past its bracket at the entry, as the engine itself can leave a position (checked at the order price and the mark)', async () => {
    const r = await importing(
      edited((d) => {
        const p = d.account.positions[0]!;
        p.size = amount(10n ** 18n);
        p.leverage = 125;
        withMargin(d, initialMargin(10n ** 18n, big(p.entryPrice), 125));
      }),
    );
    expect(r.statusCode).toBe(201);
  });

  it('refuses a closed position (size 0) that still holds margin, and a cross position holding twice its margin, creating nothing', async () => {
    const before = await accountCount();
    const closed = await importing(edited((d) => (d.account.positions[0]!.size = amount(0n))));
    expect(closed.statusCode).toBe(400);
    expect(closed.json().message).toContain('account.positions[0].margin: a closed position (size 0) holds no margin');
    const p = exported.account.positions[0]!;
    const cross = await importing(
      edited((d) => {
        d.account.marginMode = 'cross';
        withMargin(d, 2n * initialMargin(big(p.size), big(p.entryPrice), 1));
      }),
    );
    expect(cross.statusCode).toBe(400);
    expect(cross.json().message).toContain('account.positions[0].margin:');
    expect(cross.json().message).toContain('is above size × entryPrice / leverage');
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
