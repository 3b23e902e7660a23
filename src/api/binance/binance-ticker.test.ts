/**
 * Binance Spot `GET /api/v3/ticker/24hr` over the bundled recording, against Binance's documentation
 * (binance-spot-api-docs rest-api.md, "24hr ticker price change statistics"; errors.md): the window's
 * bounds, the FULL and MINI shapes, `type` and `symbolStatus` and their error codes. Every figure is
 * worked out here from the recording's trades with plain integer arithmetic on their decimal strings.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../../test-kit/service-kit.js';
import { buildServer } from '../server.js';
import { registerBinanceApi } from './binance-api.js';

const START = 1723161300000; // 2024-08-08T23:55:00Z: the recording's book is synced by then
const FED_UNTIL = START + 150_000;
const DAY = 86_400_000;

/** Binance's MINI ticker fields, in the order of its example (rest-api.md, "Response - MINI"). */
const MINI_FIELDS = ['symbol', 'openPrice', 'highPrice', 'lowPrice', 'lastPrice', 'volume', 'quoteVolume', 'openTime', 'closeTime', 'firstId', 'lastId', 'count'];
/** Binance's FULL ticker fields, in the order of its example (rest-api.md, "Response - FULL"). */
const FULL_FIELDS = [
  'symbol', 'priceChange', 'priceChangePercent', 'weightedAvgPrice', 'prevClosePrice', 'lastPrice', 'lastQty', 'bidPrice', 'bidQty', 'askPrice', 'askQty',
  'openPrice', 'highPrice', 'lowPrice', 'volume', 'quoteVolume', 'openTime', 'closeTime', 'firstId', 'lastId', 'count',
];

/** A decimal string as an integer count of 10^-scale units ("61828.5", 8 → 6182850000000). */
const units = (text: string, scale: number): bigint => {
  const [whole, fraction = ''] = text.split('.');
  const sign = whole!.startsWith('-') ? -1n : 1n;
  return sign * BigInt(`${whole!.replace('-', '')}${fraction.padEnd(scale, '0').slice(0, scale)}`);
};
/** `value` 10^-scale units as a decimal string with `scale` decimals. */
const decimal = (value: bigint, scale: number): string => {
  const digits = (value < 0n ? -value : value).toString().padStart(scale + 1, '0');
  return `${value < 0n ? '-' : ''}${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
};
/** Division rounded half away from zero (both operands' signs honoured). */
const divRound = (a: bigint, b: bigint): bigint => {
  const negative = a < 0n !== b < 0n;
  const [x, y] = [a < 0n ? -a : a, b < 0n ? -b : b];
  const q = (2n * x + y) / (2n * y);
  return negative ? -q : q;
};
/** Binance's 8-decimal print of an exact figure of `scale` decimals: 8 decimals, more only when they are not zeros. */
const binance8 = (value: bigint, scale: number): string => decimal(value, scale).replace(/(\.\d{8}\d*?)0+$/, '$1');

describe('Binance Spot ticker/24hr: the rolling window, FULL and MINI, symbolStatus', () => {
  let service: TestService;
  let app: FastifyInstance;
  const get = (query: string) => app.inject({ url: `/binance/api/v3/ticker/24hr${query === '' ? '' : `?${query}`}` });
  const json = async (query: string) => (await get(query)).json();

  /** The recording's trades fed through the tape (which starts with the plugin, at START) and the time they stand at. */
  let trades: { tradeId: number; time: number; price: string; quantity: string }[];
  let closeTime: number;

  beforeAll(async () => {
    service = await startTestService({ until: START - 1 });
    app = await buildServer(service.deps, { plugins: [registerBinanceApi] });
    await service.feedUntil(FED_UNTIL);
    const fed = service.recording.inputs.filter((i) => i.time >= START && i.time <= FED_UNTIL);
    trades = fed.flatMap((i) => (i.kind === 'trade' ? [i] : []));
    // The engine's exchange time is that of the latest input fed, a book update or a trade.
    closeTime = Math.max(...fed.map((i) => i.time));
  });
  afterAll(async () => {
    await app?.close();
    await service?.close();
  });

  /** The window's figures from the recording's trades: every trade fed lies within the last 24 hours. */
  const expected = () => {
    const prices = trades.map((t) => units(t.price, 8));
    const volume = trades.reduce((s, t) => s + units(t.quantity, 8), 0n);
    const quote = trades.reduce((s, t) => s + units(t.price, 8) * units(t.quantity, 8), 0n); // 16 decimals
    const open = prices[0]!;
    const last = prices.at(-1)!;
    return {
      open,
      last,
      volume,
      quote,
      mini: {
        symbol: 'BTCUSDT',
        openPrice: decimal(open, 8),
        highPrice: decimal(prices.reduce((a, b) => (b > a ? b : a)), 8),
        lowPrice: decimal(prices.reduce((a, b) => (b < a ? b : a)), 8),
        lastPrice: decimal(last, 8),
        volume: decimal(volume, 8),
        quoteVolume: binance8(quote, 16),
        openTime: closeTime - DAY,
        closeTime,
        firstId: trades[0]!.tradeId,
        lastId: trades.at(-1)!.tradeId,
        count: trades.length,
      },
    };
  };

  it('opens the window 24 hours before it closes (closeTime − 86 400 000 ms, as in Binance\'s example), not at its first trade', async () => {
    const ticker = await json('symbol=BTCUSDT');
    expect(trades.length).toBeGreaterThan(1_000);
    expect(ticker.closeTime).toBe(closeTime);
    expect(ticker.openTime).toBe(closeTime - DAY);
    // Binance's example: closeTime 1499869899040 − openTime 1499783499040 = 86 400 000.
    expect(1499869899040 - 1499783499040).toBe(DAY);
    expect(ticker.openTime).not.toBe(trades[0]!.time);
  });

  it("answers FULL by default and for type=FULL: Binance's 21 fields in its order, the figures of the recording's trades", async () => {
    const { open, last, volume, quote, mini } = expected();
    const change = last - open;
    const [bid] = service.engine.kernel.depth('BTCUSDT', 1)!.bids;
    const [ask] = service.engine.kernel.depth('BTCUSDT', 1)!.asks;
    const full = {
      symbol: 'BTCUSDT',
      priceChange: decimal(change, 8),
      // change / open × 100, 3 decimals, half up.
      priceChangePercent: decimal(divRound(change * 100_000n, open), 3),
      // quote / volume, 8 decimals, half up: quote has 16 decimals and volume 8, so quote / volume has 8.
      weightedAvgPrice: decimal(divRound(quote, volume), 8),
      // The tape began at START: no trade before the window is known, so its first stands for the previous close.
      prevClosePrice: mini.openPrice,
      lastPrice: mini.lastPrice,
      lastQty: decimal(units(trades.at(-1)!.quantity, 8), 8),
      bidPrice: decimal(units(bid![0], 8), 8),
      bidQty: decimal(units(bid![1], 8), 8),
      askPrice: decimal(units(ask![0], 8), 8),
      askQty: decimal(units(ask![1], 8), 8),
      openPrice: mini.openPrice,
      highPrice: mini.highPrice,
      lowPrice: mini.lowPrice,
      volume: mini.volume,
      quoteVolume: mini.quoteVolume,
      openTime: mini.openTime,
      closeTime: mini.closeTime,
      firstId: mini.firstId,
      lastId: mini.lastId,
      count: mini.count,
    };
    for (const query of ['symbol=BTCUSDT', 'symbol=BTCUSDT&type=FULL']) {
      const ticker = await json(query);
      expect(Object.keys(ticker)).toEqual(FULL_FIELDS);
      expect(ticker).toEqual(full);
    }
    expect(await json('symbols=%5B%22BTCUSDT%22%5D&type=FULL')).toEqual([full]);
  });

  it("answers type=MINI with exactly Binance's 12 MINI fields in its order, for one symbol, a list and all symbols", async () => {
    const { mini } = expected();
    const ticker = await json('symbol=BTCUSDT&type=MINI');
    expect(Object.keys(ticker)).toEqual(MINI_FIELDS);
    expect(ticker).toEqual(mini);
    expect(await json('symbols=%5B%22BTCUSDT%22%5D&type=MINI')).toEqual([mini]);
    const all = await json('type=MINI');
    expect(all).toContainEqual(mini);
    for (const row of all) expect(Object.keys(row)).toEqual(MINI_FIELDS);
  });

  it('refuses any other type with -1139 "Invalid ticker type." (HTTP 400), and answers as before afterwards', async () => {
    const before = await json('symbol=BTCUSDT&type=MINI');
    for (const query of ['symbol=BTCUSDT&type=FOO', 'type=FOO', 'symbols=%5B%22BTCUSDT%22%5D&type=MEDIUM']) {
      const refused = await get(query);
      expect([refused.statusCode, refused.json()]).toEqual([400, { code: -1139, msg: 'Invalid ticker type.' }]);
    }
    expect(await json('symbol=BTCUSDT&type=MINI')).toEqual(before);
  });

  it('keeps only the symbols of the symbolStatus asked: every symbol here trades, as exchangeInfo says', async () => {
    const info = (await app.inject({ url: '/binance/api/v3/exchangeInfo' })).json() as { symbols: { symbol: string; status: string }[] };
    const trading = info.symbols.filter((s) => s.status === 'TRADING').map((s) => s.symbol);
    expect(trading).toContain('BTCUSDT');
    const symbolsOf = (rows: { symbol: string }[]) => rows.map((r) => r.symbol);
    expect(symbolsOf(await json('symbolStatus=TRADING'))).toEqual(trading);
    expect(symbolsOf(await json('symbolStatus=TRADING&type=MINI'))).toEqual(trading);
    expect(await json('symbols=%5B%22BTCUSDT%22%5D&symbolStatus=TRADING&type=MINI')).toEqual([expected().mini]);
    expect(await json('symbol=BTCUSDT&symbolStatus=TRADING&type=MINI')).toEqual(expected().mini);
    // Binance: of several or all symbols, those of another status are left out; none left, an empty array.
    expect(await json('symbolStatus=HALT')).toEqual([]);
    expect(await json('symbolStatus=BREAK')).toEqual([]);
    expect(await json('symbols=%5B%22BTCUSDT%22%5D&symbolStatus=HALT')).toEqual([]);
  });

  it("refuses a single symbol of another status with -1220, and an unknown status with -1122 \"Invalid symbolStatus.\"", async () => {
    for (const status of ['HALT', 'BREAK']) {
      const mismatch = await get(`symbol=BTCUSDT&symbolStatus=${status}`);
      expect([mismatch.statusCode, mismatch.json()]).toEqual([400, { code: -1220, msg: "The symbol's status does not match the requested symbolStatus." }]);
    }
    for (const query of ['symbolStatus=NOPE', 'symbol=BTCUSDT&symbolStatus=NOPE', 'symbols=%5B%22BTCUSDT%22%5D&symbolStatus=NOPE&type=MINI']) {
      const unknown = await get(query);
      expect([unknown.statusCode, unknown.json()]).toEqual([400, { code: -1122, msg: 'Invalid symbolStatus.' }]);
    }
  });
});
