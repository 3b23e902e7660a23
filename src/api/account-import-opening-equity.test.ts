import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatFixed, mul, parseFixed } from '../core/money/fixed.js';
import { SPOT_RECORDING, USDM_RECORDING } from '../test-kit/data-paths.js';
import { ADMIN_KEY, startTestService, type TestService } from '../test-kit/service-kit.js';

const admin = { authorization: `Bearer ${ADMIN_KEY}` };
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
type Amount = { $n: string };
type Document = { account: { cash: Amount; reserved: Amount; positions: Array<{ size: Amount; entryPrice: Amount; margin: Amount }> } };
/** A document amount (an integer at 18 decimals) as a Fixed. */
const fixed = (a: Amount) => BigInt(a.$n);

/**
 * An imported account's metrics measure from what it was worth when imported: its wallet and its
 * open positions' unrealized PnL at the mark (futures), its balances at the market (spot), as an
 * opened or reset account measures from its deposit. Before, the baseline was the quote balance
 * alone (the free cash of a futures account, without the position's margin or its PnL; a spot
 * account's USDT, without its BTC).
 */
describe('/api/account/metrics of an imported futures account', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService({ recording: USDM_RECORDING, until: 1723161310714 });
  }, 60_000);
  afterAll(async () => service.close());

  it('a copy of a 10000 USDT account holding a 0.1 BTC long at 10x measures from cash + margin + 0.1 × (mark − entry) at the import', async () => {
    const inject = service.app.inject.bind(service.app);
    const source = (await inject({ method: 'POST', url: '/api/accounts', headers: admin, payload: { name: 'source', type: 'futures', leverage: 10, balances: { USDT: '10000' } } })).json<{ apiKey: string }>();
    const bought = await inject({ method: 'POST', url: '/api/orders', headers: bearer(source.apiKey), payload: { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.1' } });
    expect(bought.json()).toMatchObject({ status: 'FILLED' });
    // The mark moves away from the entry before the export and the import.
    await service.feedUntil(1723161400000);
    const document = (await inject({ url: '/api/account/export', headers: bearer(source.apiKey) })).json<Document>();
    expect(document.account.positions).toHaveLength(1);
    const mark = service.engine.kernel.markPrice('BTCUSDT')!;
    const [position] = document.account.positions;
    expect(mark).not.toBe(fixed(position!.entryPrice));

    const imported = await inject({ method: 'POST', url: '/api/accounts/import', headers: admin, payload: { document, name: 'copy' } });
    expect(imported.statusCode, imported.body).toBe(201);
    const copy = imported.json<{ apiKey: string }>();
    await service.engine.readModelCaughtUp();

    // By hand, from the document and the mark: the wallet (cash, the position's margin, nothing
    // reserved) and the long's unrealized PnL, size × (mark − entry).
    expect(fixed(document.account.reserved)).toBe(0n);
    const wallet = fixed(document.account.cash) + fixed(position!.margin);
    const unrealized = mul(fixed(position!.size), mark - fixed(position!.entryPrice), 'half-up');
    const byHand = formatFixed(wallet + unrealized);
    const metrics = (await inject({ url: '/api/account/metrics', headers: bearer(copy.apiKey) })).json<{ metrics: Record<string, string | number> }>().metrics;
    expect(metrics['initialEquity']).toBe(byHand);
    // Nothing happened since the import: no gain, no loss.
    expect(metrics).toMatchObject({ finalEquity: byHand, totalPnl: '0', return: '0' });
    const curve = (await inject({ url: '/api/account/equity', headers: bearer(copy.apiKey) })).json<{ items: Array<{ equity: string }> }>().items;
    expect(curve.map((p) => p.equity)).toEqual([byHand]);
    expect(parseFixed(byHand)).not.toBe(fixed(document.account.cash));
  }, 60_000);
});

describe('/api/account/metrics of an imported spot account', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService({ recording: SPOT_RECORDING, until: 1723161310714 });
  }, 60_000);
  afterAll(async () => service.close());

  it('a copy of a 1000 USDT account that bought 0.01 BTC measures from its USDT + its BTC at the book mid at the import', async () => {
    const inject = service.app.inject.bind(service.app);
    const source = (await inject({ method: 'POST', url: '/api/accounts', headers: admin, payload: { name: 'source', balances: { USDT: '1000' } } })).json<{ apiKey: string }>();
    const bought = await inject({ method: 'POST', url: '/api/orders', headers: bearer(source.apiKey), payload: { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.01' } });
    expect(bought.json()).toMatchObject({ status: 'FILLED' });
    await service.feedUntil(1723161400000);
    const document = (await inject({ url: '/api/account/export', headers: bearer(source.apiKey) })).json();
    const imported = await inject({ method: 'POST', url: '/api/accounts/import', headers: admin, payload: { document, name: 'copy' } });
    expect(imported.statusCode, imported.body).toBe(201);
    const copy = imported.json<{ apiKey: string }>();
    await service.engine.readModelCaughtUp();

    // By hand: the copy's USDT, and its BTC at the mid of the best bid and ask (down to the 0.01 tick).
    const balances = (await inject({ url: '/api/account', headers: bearer(copy.apiKey) })).json<{ balances: Record<string, { free: string; locked: string }> }>().balances;
    const held = (asset: string) => parseFixed(balances[asset]!.free) + parseFixed(balances[asset]!.locked);
    const depth = (await inject({ url: '/api/market/depth/BTCUSDT?limit=1' })).json<{ bids: [string, string][]; asks: [string, string][] }>();
    const tick = parseFixed('0.01');
    const mid = ((parseFixed(depth.bids[0]![0]) + parseFixed(depth.asks[0]![0])) / 2n / tick) * tick;
    const byHand = formatFixed(held('USDT') + mul(held('BTC'), mid, 'half-up'));
    expect(held('BTC')).toBeGreaterThan(0n);
    const metrics = (await inject({ url: '/api/account/metrics', headers: bearer(copy.apiKey) })).json<{ metrics: Record<string, string | number> }>().metrics;
    expect(metrics).toMatchObject({ initialEquity: byHand, finalEquity: byHand, totalPnl: '0' });
  }, 60_000);
});
