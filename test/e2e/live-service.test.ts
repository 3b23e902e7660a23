/**
 * `papertrade serve --live --exchange binance --symbols BTC/USDT` as a user runs it (a child
 * process), its ccxt client pointed at a local server that plays the bundled raw Binance stream at
 * about five times real speed. Proves: instruments come from the exchange and are cached; the book
 * syncs and a market order fills on it with exact balances; a silent feed is reported stale by the
 * API (and the dashboard, where Chromium is installed) and a marketable order waits instead of
 * filling on old prices, then fills once the book is resynced; a dropped connection is reconnected;
 * a restart on the same database keeps balances and orders and resumes the live feed; two exchanges
 * at once (binance and binanceus, each against its own local server) with qualified symbols and
 * staleness per symbol.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseFixed } from '../../src/core/money/fixed.js';
import { exchangeInfo, RAW_FILES } from '../../src/market-data/live/test-server/live-harness.js';
import { FakeBinanceServer } from '../../src/market-data/live/test-server/fake-binance-server.js';
import { chromiumOrSkip, ensureDashboardBuilt, launchChromium } from '../../src/test-kit/chromium.js';
import { startServeProcess, stopServeProcess, type ServeProcess } from '../../src/test-kit/serve-process.js';
import { scratchDir } from '../../src/test-kit/scratch-dir.js';

const ADMIN = 'live-e2e-admin-key';
const withBrowser = chromiumOrSkip('the live dashboard check');
const eventually = <T>(read: () => Promise<T> | T, timeout = 30_000) => expect.poll(read, { timeout, interval: 50 });

interface Feed {
  symbol: string;
  source: string;
  exchange?: string;
  status: string;
  reason?: string;
  counters?: Record<string, number>;
}

describe('papertrade serve on live data (ccxt binance against a local exchange)', () => {
  const dir = scratchDir('papertrade-live-e2e-');
  const cacheFile = join(dir, 'market-cache.json');
  let exchange: FakeBinanceServer;
  let env: Record<string, string>;
  const running: ServeProcess[] = [];

  beforeAll(async () => {
    exchange = new FakeBinanceServer({ rawFiles: RAW_FILES, exchangeInfo: exchangeInfo(), maxDepthMessages: 5000, messagesPerTick: 2, tickMs: 10 });
    const { httpUrl, wsUrl } = await exchange.start();
    env = {
      DATABASE_URL: `sqlite:${join(dir, 'live.db')}`,
      ADMIN_API_KEY: ADMIN,
      LOG_LEVEL: 'warn',
      STALE_AFTER_MS: '1500',
      MARKET_CACHE_FILE: cacheFile,
      PAPER_TRADING_INITIAL_BALANCE_USDT: '25000',
      EXCHANGE_URLS: JSON.stringify({ api: { public: `${httpUrl}/api/v3`, v3: `${httpUrl}/api/v3`, ws: { spot: `${wsUrl}/ws` } } }),
      EXCHANGE_OPTIONS: JSON.stringify({ enableRateLimit: false, options: { fetchMarkets: { types: ['spot'] }, fetchCurrencies: false } }),
    };
  });

  afterAll(async () => {
    for (const s of running) await stopServeProcess(s);
    await exchange?.stop();
  });

  it('trades on the live book, waits while it is stale, recovers, and survives a restart', async () => {
    const first = await startServeProcess(0, env, ['--live', '--exchange', 'binance', '--symbols', 'BTC/USDT']);
    const port = first.port;
    running.push(first);
    const key = /API key:\s+(\S+)/.exec(first.output())?.[1];
    expect(key, first.output()).toBeDefined();
    expect(first.output()).toContain('Market data: live from binance: BTCUSDT (BTC/USDT, exchange specs)');
    const auth = { authorization: `Bearer ${key!}`, 'content-type': 'application/json' };
    const get = async (path: string) => (await fetch(`${first.url}${path}`, { headers: auth })).json() as Promise<Record<string, unknown>>;
    const feed = async () => ((await get('/api/market/feeds')).items as Feed[])[0]!;

    // Specs from the exchange (its exchangeInfo), cached for an offline start.
    const instruments = (await get('/api/market/instruments')).items as Array<Record<string, string>>;
    expect(instruments).toEqual([expect.objectContaining({ symbol: 'BTCUSDT', exchange: 'binance', market: 'spot', tickSize: '0.01', stepSize: '0.00001', minNotional: '10', maxQty: '9000' })]);
    expect(existsSync(cacheFile)).toBe(true);
    expect(Object.keys((JSON.parse(readFileSync(cacheFile, 'utf8')) as { exchanges: Record<string, unknown> }).exchanges)).toEqual(['binance']);

    await eventually(feed).toMatchObject({ symbol: 'BTCUSDT', source: 'live', exchange: 'binance', status: 'synced' });

    // A market buy fills on the live book; balances reconcile to the last unit.
    const bought = (await (await fetch(`${first.url}/api/orders`, { method: 'POST', headers: auth, body: JSON.stringify({ symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.01' }) })).json()) as Record<string, string>;
    expect(bought).toMatchObject({ status: 'FILLED', executedQty: '0.01' });
    const afterBuy = (await get('/api/account/balances')).balances as Record<string, { free: string; locked: string }>;
    expect(parseFixed(afterBuy.USDT!.free)).toBe(parseFixed('25000') - parseFixed(bought.cumulativeQuoteQty!));
    expect(afterBuy.BTC).toEqual({ free: '0.00999', locked: '0' }); // 0.01 less the 0.1 % taker fee, charged in BTC

    // The exchange goes silent: the API says stale, and a marketable order waits instead of filling on old prices.
    exchange.pause();
    await eventually(feed).toMatchObject({ status: 'stale' });
    expect((await fetch(`${first.url}/ready`)).status).toBe(503);
    const waiting = (await (await fetch(`${first.url}/api/orders`, { method: 'POST', headers: auth, body: JSON.stringify({ symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.02', clientOrderId: 'waits' }) })).json()) as Record<string, string>;
    expect(waiting).toMatchObject({ status: 'NEW', executedQty: '0', marketData: { status: 'stale', reason: expect.stringMatching(/no book update/) } });

    if (withBrowser) {
      await ensureDashboardBuilt();
      const browser = await launchChromium();
      try {
        const page = browser.context.pages()[0] ?? (await browser.context.newPage());
        await page.goto(`${first.url}/?key=${key!}`);
        await eventually(() => page.getByTestId('feed-status').textContent()).toContain('Live binance · stale');
        exchange.resume();
        await eventually(() => page.getByTestId('feed-status').textContent()).toBe('Live binance feed');
      } finally {
        await browser.close();
      }
    } else {
      exchange.resume();
    }

    // Data resumes: the kernel's book is rebuilt from a full view (a snapshot input) and only then does the waiting order fill.
    await eventually(feed).toMatchObject({ status: 'synced' });
    const order = async () => (await get(`/api/orders/${waiting.orderId!}`)) as Record<string, string>;
    await eventually(order).toMatchObject({ status: 'FILLED', executedQty: '0.02' });
    expect((await feed()).counters).toMatchObject({ stale: 1 });

    // A dropped connection: ccxt reconnects with backoff and the book is synced again. The drop waits for
    // a subscribed connection to drop (after the resync ccxt may still be subscribing afresh).
    await eventually(() => exchange.depthSubscribers).toBeGreaterThanOrEqual(1);
    exchange.dropConnections();
    await eventually(async () => (await feed()).counters?.disconnects ?? 0).toBeGreaterThanOrEqual(1);
    await eventually(feed).toMatchObject({ status: 'synced' });

    // Restart on the same database: nothing lost, the live feed resumes.
    const balances = await get('/api/account/balances');
    const history = ((await get('/api/orders')).items as Array<Record<string, string>>).map((o) => `${o.clientOrderId}:${o.status}:${o.executedQty}`).sort();
    await stopServeProcess(first);
    const second = await startServeProcess(port, env, ['--live', '--exchange', 'binance', '--symbols', 'BTC/USDT']);
    running.push(second);
    expect(second.output()).not.toMatch(/Created the default paper account/);
    expect(await get('/api/account/balances')).toEqual(balances);
    expect(((await get('/api/orders')).items as Array<Record<string, string>>).map((o) => `${o.clientOrderId}:${o.status}:${o.executedQty}`).sort()).toEqual(history);
    await eventually(feed).toMatchObject({ source: 'live', status: 'synced' });
    // The book may be resyncing again just then (ccxt resubscribing after its first view): the order
    // is accepted at once and fills, whole, as soon as the kernel's book is usable.
    const again = (await (await fetch(`${second.url}/api/orders`, { method: 'POST', headers: auth, body: JSON.stringify({ symbol: 'BTCUSDT', side: 'SELL', type: 'MARKET', quantity: '0.01' }) })).json()) as Record<string, string>;
    expect(again).toMatchObject({ status: expect.stringMatching(/^(NEW|FILLED)$/), side: 'SELL', quantity: '0.01' });
    const get2 = async (path: string) => (await fetch(`${second.url}${path}`, { headers: auth })).json() as Promise<Record<string, string>>;
    await eventually(() => get2(`/api/orders/${again.orderId!}`)).toMatchObject({ status: 'FILLED', executedQty: '0.01' });
    expect(exchange.finished).toBe(false);
  }, 150_000);

  it('follows two exchanges at once, each symbol qualified by its exchange, each with its own staleness', async () => {
    const us = new FakeBinanceServer({ rawFiles: RAW_FILES, exchangeInfo: exchangeInfo(), maxDepthMessages: 5000, messagesPerTick: 2, tickMs: 10 });
    const { httpUrl, wsUrl } = await us.start();
    try {
      const server = await startServeProcess(0, {
        ...env,
        DATABASE_URL: `sqlite:${join(dir, 'two.db')}`,
        EXCHANGE: 'binance',
        SYMBOLS: 'binance:BTC/USDT,binanceus:BTC/USDT',
        EXCHANGE_URLS_BINANCEUS: JSON.stringify({ api: { public: `${httpUrl}/api/v3`, v3: `${httpUrl}/api/v3`, ws: { spot: `${wsUrl}/ws` } } }),
        EXCHANGE_OPTIONS_BINANCEUS: env.EXCHANGE_OPTIONS!,
      }, ['--live']);
      running.push(server);
      expect(server.output()).toContain('Market data: live from binance, binanceus: binance:BTCUSDT (BTC/USDT, exchange specs), binanceus:BTCUSDT (BTC/USDT, exchange specs)');
      const key = /API key:\s+(\S+)/.exec(server.output())![1]!;
      const auth = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
      const feeds = async () => Object.fromEntries((((await (await fetch(`${server.url}/api/market/feeds`)).json()) as { items: Feed[] }).items).map((f) => [f.symbol, `${f.exchange}:${f.status}`]));
      const place = async (symbol: string) =>
        (await (await fetch(`${server.url}/api/orders`, { method: 'POST', headers: auth, body: JSON.stringify({ symbol, side: 'BUY', type: 'MARKET', quantity: '0.01' }) })).json()) as Record<string, string>;
      // As in the test above, a feed reported synced may have its book resyncing just then (ccxt
      // resubscribing after its first view): the order is accepted at once and fills, whole, as soon
      // as the kernel's book is usable.
      const fills = async (symbol: string) => {
        const order = await place(symbol);
        expect(order).toMatchObject({ symbol, status: expect.stringMatching(/^(NEW|FILLED)$/) });
        await eventually(async () => (await fetch(`${server.url}/api/orders/${order.orderId!}`, { headers: auth })).json()).toMatchObject({ status: 'FILLED', executedQty: '0.01' });
      };
      await eventually(feeds).toEqual({ 'binance:BTCUSDT': 'binance:synced', 'binanceus:BTCUSDT': 'binanceus:synced' });
      await fills('binanceus:BTCUSDT');

      // One exchange falls silent: only its symbol is stale and waits; the other keeps trading.
      us.pause();
      await eventually(feeds).toEqual({ 'binance:BTCUSDT': 'binance:synced', 'binanceus:BTCUSDT': 'binanceus:stale' });
      expect(await place('binanceus:BTCUSDT')).toMatchObject({ status: 'NEW', marketData: { status: 'stale' } });
      await fills('binance:BTCUSDT');
      us.resume();
      await eventually(feeds).toEqual({ 'binance:BTCUSDT': 'binance:synced', 'binanceus:BTCUSDT': 'binanceus:synced' });
      const open = async () => ((await (await fetch(`${server.url}/api/orders/open`, { headers: auth })).json()) as { items: unknown[] }).items.length;
      await eventually(open).toBe(0);
      await stopServeProcess(server);
    } finally {
      await us.stop();
    }
  }, 120_000);

  it('refuses to start, saying why, when a symbol is not on the exchange', async () => {
    const refused = startServeProcess(0, { ...env, DATABASE_URL: `sqlite:${join(dir, 'refused.db')}` }, ['--live', '--exchange', 'binance', '--symbols', 'NOPE/USDT']);
    await expect(refused).rejects.toThrow(/live market data: binance: no market NOPE\/USDT/);
  }, 60_000);
});
