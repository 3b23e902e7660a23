/**
 * Live ports wired as `papertrade serve` wires them: an order on a perpetual the service trades goes
 * to the venue's perpetual, never to the spot market that shares its id (Binance's BTCUSDT is both).
 * A real ccxt `binance` (and `mexc`) client whose HTTP layer (`fetch`) is stubbed.
 */
import { join } from 'node:path';
import ccxt, { type Exchange } from 'ccxt';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { findBundledInstrument } from '../core/instruments/bundled-instruments.js';
import type { Instrument } from '../core/instruments/instrument.js';
import { AuditLog } from '../persistence/audit-log.js';
import { CredentialCipher } from '../persistence/credential-cipher.js';
import { CredentialStore } from '../persistence/credential-store.js';
import { openAndMigrate } from '../persistence/database.js';
import { ExchangeKeyStore } from '../persistence/exchange-key-store.js';
import { createLivePorts } from './live-ports.js';
import { scratchDir } from '../test-kit/scratch-dir.js';

const binanceMarkets = [
  { id: 'BTCUSDT', symbol: 'BTC/USDT', base: 'BTC', quote: 'USDT', baseId: 'BTC', quoteId: 'USDT', spot: true, swap: false, linear: undefined, type: 'spot', active: true, precision: { amount: 0.00001, price: 0.01 }, limits: {}, info: { orderTypes: ['LIMIT', 'MARKET', 'LIMIT_MAKER'] } },
  { id: 'BTCUSDT', symbol: 'BTC/USDT:USDT', base: 'BTC', quote: 'USDT', settle: 'USDT', baseId: 'BTC', quoteId: 'USDT', settleId: 'USDT', spot: false, swap: true, contract: true, linear: true, contractSize: 1, type: 'swap', active: true, precision: { amount: 0.001, price: 0.1 }, limits: {}, info: { orderTypes: ['LIMIT', 'MARKET', 'STOP', 'STOP_MARKET', 'TAKE_PROFIT', 'TAKE_PROFIT_MARKET', 'TRAILING_STOP_MARKET'] } },  { id: 'ETHUSDT', symbol: 'ETH/USDT:USDT', base: 'ETH', quote: 'USDT', settle: 'USDT', baseId: 'ETH', quoteId: 'USDT', settleId: 'USDT', spot: false, swap: true, contract: true, linear: true, contractSize: 1, type: 'swap', active: true, precision: { amount: 0.001, price: 0.01 }, limits: {}, info: {} },
];

const mexcMarkets = [
  { id: 'BTCUSDT', symbol: 'BTC/USDT', base: 'BTC', quote: 'USDT', baseId: 'BTC', quoteId: 'USDT', spot: true, swap: false, type: 'spot', active: true, precision: { amount: 0.000001, price: 0.01 }, limits: {}, info: {} },
  { id: 'BTC_USDT', symbol: 'BTC/USDT:USDT', base: 'BTC', quote: 'USDT', settle: 'USDT', baseId: 'BTC', quoteId: 'USDT', settleId: 'USDT', spot: false, swap: true, contract: true, linear: true, contractSize: 0.0001, type: 'swap', active: true, precision: { amount: 1, price: 0.1 }, limits: {}, info: {} },
];

async function portsFor(exchangeId: 'binance' | 'mexc', instrument: Instrument | readonly Instrument[], options: Record<string, unknown> = {}) {
  const opened = await openAndMigrate(`sqlite:${join(scratchDir('papertrade-live-ports-'), 'live.db')}`);
  const exchangeKeys = new ExchangeKeyStore(opened.db, new CredentialCipher('42'.repeat(32)));
  await exchangeKeys.set('alice', { apiKey: 'alice-key', secret: 'alice-secret' }, 1);
  const credentials = new CredentialStore(opened.db);
  // bob trades futures: his reads go to the perpetuals.
  const bob = await credentials.create({ accountId: 'bob', name: 'bob', type: 'futures', settings: {}, createdAt: 1 });
  await exchangeKeys.set(bob.accountId, { apiKey: 'bob-key', secret: 'bob-secret' }, 1);
  const urls: string[] = [];
  const factory = (id: string, constructorOptions: Record<string, unknown>): Exchange => {
    const exchange = id === 'binance' ? new ccxt.binance({ ...constructorOptions, ...options }) : new ccxt.mexc({ ...constructorOptions, ...options });
    exchange.setMarkets((id === 'binance' ? binanceMarkets : mexcMarkets) as never);
    vi.spyOn(exchange, 'fetch').mockImplementation(async (url: string) => {
      urls.push(url);
      return { symbol: 'BTCUSDT', orderId: 7, clientOrderId: 'c1', status: 'NEW', side: 'SELL', type: 'MARKET', origQty: '0.01', executedQty: '0', price: '0' };
    });
    return exchange;
  };
  const ports = createLivePorts({
    config: { exchange: exchangeId, exchangeOptions: { enableRateLimit: false }, exchangeUrls: {} },
    exchangeKeys,
    audit: new AuditLog(opened.db),
    credentials,
    instruments: () => (Array.isArray(instrument) ? instrument : [instrument]),
    exchangeFactory: factory,
    live: { readRetries: 0 },
  });
  return { ports, urls };
}

afterEach(() => vi.restoreAllMocks());

describe('createLivePorts: the market an order goes to', () => {
  const perpetual = findBundledInstrument('binance', 'perpetual', 'BTCUSDT')!;
  const spot = findBundledInstrument('binance', 'spot', 'BTCUSDT')!;

  it("a perpetual's order (a USD-M short, a position's reduce-only close) goes to Binance USD-M, not to spot", async () => {
    const { ports, urls } = await portsFor('binance', perpetual);
    const placed = await ports.execution.placeOrder('alice', { symbol: 'BTCUSDT', side: 'SELL', type: 'MARKET', quantity: '0.01', reduceOnly: true, clientOrderId: 'c1' });
    expect(placed).toMatchObject({ ok: true });
    // Binance: USD-M orders are POST https://fapi.binance.com/fapi/v1/order; spot's are /api/v3/order.
    expect(urls[0]).toMatch(/^https:\/\/fapi\.binance\.com\/fapi\/v1\/order/);
    expect(urls.some((u) => u.includes('/api/v3/'))).toBe(false);
    const cancel = await ports.execution.cancelOrder('alice', { orderId: '7', symbol: 'BTCUSDT' });
    expect(cancel.ok).toBe(true);
    expect(urls.at(-1)).toMatch(/^https:\/\/fapi\.binance\.com\/fapi\/v1\/order/);
  });

  it("a spot symbol's order goes to spot even when EXCHANGE_OPTIONS make swap ccxt's default", async () => {
    const { ports, urls } = await portsFor('binance', spot, { options: { defaultType: 'swap' } });
    expect((await ports.execution.placeOrder('alice', { symbol: 'BTCUSDT', side: 'SELL', type: 'MARKET', quantity: '0.01', clientOrderId: 'c1' })).ok).toBe(true);
    expect(urls[0]).toMatch(/^https:\/\/api\.binance\.com\/api\/v3\/order/);
  });

  it("a perpetual counted in contracts that are not one base unit (MEXC's BTC_USDT: 0.0001 BTC) is refused, nothing sent", async () => {
    const { ports, urls } = await portsFor('mexc', { ...perpetual, exchange: 'mexc' });
    const placed = await ports.execution.placeOrder('alice', { symbol: 'BTCUSDT', side: 'SELL', type: 'MARKET', quantity: '0.01' });
    expect(placed).toMatchObject({ ok: false, error: { code: 'UNSUPPORTED_ORDER_TYPE', message: expect.stringContaining('0.0001') } });
    expect(urls).toEqual([]);
  });

  it("a futures account's reads go to the perpetuals (order history, leverage), a spot account's to spot, where the service trades both", async () => {
    // One kernel symbol per market: BTCUSDT spot and ETHUSDT perpetual.
    const { ports, urls } = await portsFor('binance', [spot, findBundledInstrument('binance', 'perpetual', 'ETHUSDT')!]);
    await ports.reads.orderHistory('bob', { limit: 10, offset: 0 });
    await ports.reads.leverage('bob');
    const bobs = urls.splice(0);
    expect(bobs.length).toBeGreaterThan(0);
    // Binance USD-M is https://fapi.binance.com/fapi/…; spot is https://api.binance.com/api/v3/….
    expect(bobs.filter((u) => !u.startsWith('https://fapi.binance.com/fapi/'))).toEqual([]);
    await ports.reads.orderHistory('alice', { limit: 10, offset: 0 });
    const alices = urls.splice(0);
    expect(alices.length).toBeGreaterThan(0);
    expect(alices.filter((u) => !u.startsWith('https://api.binance.com/api/v3/'))).toEqual([]);
  });
});
