/**
 * Binance Spot v3 market data: ping, time, exchangeInfo, depth, trades, aggTrades, klines (and
 * uiKlines), avgPrice and the three tickers, from the kernel's book and the shared tape of recent
 * trades, with Binance's weights. Unknown symbols answer -1121 `Invalid symbol.`.
 *
 * `time` is the server's wall clock (what signatures are checked against); market data carries the
 * engine's exchange time. aggTrades holds one trade per aggregate (the tape keeps trades, not the
 * exchange's aggregation); `fromId` pages by trade id.
 *
 * Prices and quantities are printed as Binance's examples print them, 8 decimals padded
 * (binance-decimals.ts), in every route; `priceChangePercent` has 3 decimals, and a trade's
 * `quoteQty` is the exact price × qty (the example's "48.000012" for 4.00000100 × 12.00000000).
 *
 * `ticker/24hr` takes Binance's `type` (FULL, MINI), and its `openTime` is the rolling window's
 * start, `closeTime` − 24 h. `depth`, `ticker/price`, `ticker/bookTicker` and `ticker/24hr` take
 * `symbolStatus` (TRADING, HALT, BREAK; every symbol here is TRADING).
 */
import type { Instrument } from '../../core/instruments/instrument.js';
import { div, formatFixed, roundToDecimals } from '../../core/money/fixed.js';
import type { Kernel } from '../../core/kernel/kernel.js';
import { extend } from '../../core/objects.js';
import type { MarketTape, TapeTrade } from '../dialect-kit/market-tape.js';
import { bestOf, dayStatsOf, dayTickerFields, lastPriceOf, quoteQtyOf, tradeWindow, type Level } from '../dialect-kit/market-views.js';
import { intParam, optionalInt } from '../dialect-kit/request-params.js';
import type { BinanceContext } from './binance-api.js';
import { binanceAverage, binanceDecimal } from './binance-decimals.js';
import { binanceErrors } from './binance-errors.js';
import { binanceBucketing, binanceKlineRows } from './binance-klines.js';
import { binanceSymbolStatus, exchangeInfoSymbol, isBinanceSymbolStatusFilter } from './binance-mappers.js';
import { depthWeight, RATE_LIMITS } from './binance-weights.js';

const DAY = 86_400_000;
const invalid = binanceErrors.invalidParameter;

export function registerBinanceMarketRoutes(ctx: BinanceContext): void {
  const kernel = () => ctx.deps.hub.kernel;
  const spotInstruments = (): Instrument[] => kernel().instruments().filter((i) => i.market === 'spot');
  const instrumentOf = (symbol: string | undefined): Instrument => {
    if (symbol === undefined || symbol === '') throw binanceErrors.mandatory('symbol');
    const found = kernel().instrument(symbol);
    if (found === undefined || found.market !== 'spot') throw binanceErrors.invalidSymbol();
    return found;
  };
  /** `symbol` or `symbols` (a JSON array, as Binance takes it) given: those; otherwise every spot instrument. */
  const selected = (p: Record<string, string>): { one: boolean; list: Instrument[] } => {
    if (p.symbol !== undefined && p.symbols !== undefined) throw binanceErrors.combination();
    if (p.symbol !== undefined) return { one: true, list: [instrumentOf(p.symbol)] };
    if (p.symbols !== undefined) return { one: false, list: symbolList(p.symbols).map(instrumentOf) };
    return { one: false, list: spotInstruments() };
  };
  const many = (p: Record<string, string>, one: number, all: number) => (p.symbol !== undefined ? one : all);

  /** `symbolStatus` as sent: absent or empty undefined, TRADING, HALT or BREAK as named, anything else -1122. */
  const statusWanted = (p: Record<string, string>): string | undefined => {
    const wanted = p.symbolStatus ?? '';
    if (wanted === '') return undefined;
    if (!isBinanceSymbolStatusFilter(wanted)) throw binanceErrors.invalidSymbolStatus();
    return wanted;
  };
  /** The one `instrument` asked for, unless the `symbolStatus` `wanted` is another status than its own (-1220). */
  const ofStatus = (wanted: string | undefined, instrument: Instrument): Instrument => {
    if (wanted !== undefined && binanceSymbolStatus(instrument) !== wanted) throw binanceErrors.symbolStatusMismatch();
    return instrument;
  };
  /**
   * `selected`, filtered by `symbolStatus` when given (TRADING, HALT or BREAK, else -1122, checked
   * before the symbols): a single `symbol` of another status is refused (-1220); of several or all
   * symbols, those of another status are left out (Binance's CHANGELOG 2025-10-28, which gives
   * `depth`, `ticker/price`, `ticker/bookTicker` and `ticker/24hr` the parameter). Not given (or
   * empty): every selected symbol.
   */
  const selectedOfStatus = (p: Record<string, string>): { one: boolean; list: Instrument[] } => {
    const wanted = statusWanted(p);
    const { one, list } = selected(p);
    if (wanted === undefined) return { one, list };
    if (one) return { one, list: [ofStatus(wanted, list[0]!)] };
    return { one, list: list.filter((i) => binanceSymbolStatus(i) === wanted) };
  };

  ctx.route('GET', '/api/v3/ping', 1, async () => ({}));
  ctx.route('GET', '/api/v3/time', 1, async () => ({ serverTime: ctx.wallClock() }));

  ctx.route('GET', '/api/v3/exchangeInfo', 20, async (_request, _reply, p) => {
    const { list } = selected(p);
    return { timezone: 'UTC', serverTime: ctx.wallClock(), rateLimits: RATE_LIMITS, exchangeFilters: [], symbols: list.map(exchangeInfoSymbol) };
  });

  const depthLimit = (p: Record<string, string>) => intParam(p.limit, 'limit', 100, 5_000, invalid);
  ctx.route('GET', '/api/v3/depth', (p) => depthWeight(depthLimit(p)), async (_request, _reply, p) => {
    const wanted = statusWanted(p);
    const instrument = ofStatus(wanted, instrumentOf(p.symbol));
    // An instrument whose book has not arrived yet has no levels.
    const depth = kernel().depth(instrument.symbol, depthLimit(p)) ?? { bids: [], asks: [] };
    return { lastUpdateId: kernel().bookStatus(instrument.symbol)?.updateId ?? 0, bids: depth.bids.map(level), asks: depth.asks.map(level) };
  });

  const recent = (symbol: string, p: Record<string, string>): readonly TapeTrade[] => {
    const limit = intParam(p.limit, 'limit', 500, 1_000, invalid);
    const fromId = optionalInt(p.fromId, 'fromId', invalid);
    const trades = ctx.tape.tradesOf(symbol);
    if (fromId !== undefined) return trades.filter((t) => t.id >= fromId).slice(0, limit);
    return tradeWindow(trades, limit, optionalInt(p.startTime, 'startTime', invalid), optionalInt(p.endTime, 'endTime', invalid));
  };

  ctx.route('GET', '/api/v3/trades', 25, async (_request, _reply, p) => {
    const instrument = instrumentOf(p.symbol);
    return recent(instrument.symbol, extend(p, { fromId: '' })).map((t) => ({ id: t.id, price: binanceDecimal(t.price), qty: binanceDecimal(t.quantity), quoteQty: quoteQtyOf(t), time: t.time, isBuyerMaker: t.buyerMaker, isBestMatch: true }));
  });

  ctx.route('GET', '/api/v3/aggTrades', 4, async (_request, _reply, p) => {
    const instrument = instrumentOf(p.symbol);
    return recent(instrument.symbol, p).map((t) => ({ a: t.id, p: binanceDecimal(t.price), q: binanceDecimal(t.quantity), f: t.id, l: t.id, T: t.time, m: t.buyerMaker, M: true }));
  });

  const klines: Parameters<BinanceContext['route']>[3] = async (_request, _reply, p) => {
    const instrument = instrumentOf(p.symbol);
    if (p.interval === undefined || p.interval === '') throw binanceErrors.mandatory('interval');
    const bucketing = binanceBucketing(p.interval);
    if (bucketing === undefined) throw binanceErrors.invalidInterval();
    return binanceKlineRows(ctx.tape.tradesOf(instrument.symbol), bucketing, p, 1_000, invalid, binanceDecimal);
  };
  ctx.route('GET', '/api/v3/klines', 2, klines);
  ctx.route('GET', '/api/v3/uiKlines', 2, klines);

  ctx.route('GET', '/api/v3/avgPrice', 2, async (_request, _reply, p) => {
    const instrument = instrumentOf(p.symbol);
    const now = kernel().now;
    // The kernel's average is the one its PERCENT_PRICE_BY_SIDE and NOTIONAL filters use (core/matching/average-price.ts).
    const mins = instrument.priceBand?.averageMinutes ?? 5;
    const average = kernel().averagePrice(instrument.symbol);
    const window = ctx.tape.tradesOf(instrument.symbol).filter((t) => t.time > now - mins * 60_000);
    const price = average !== undefined ? binanceAverage(average) : binanceDecimal(lastPriceOf(kernel(), ctx.tape, instrument.symbol));
    return { mins, price, closeTime: window.at(-1)?.time ?? now };
  });

  /**
   * `GET /api/v3/ticker/24hr`: the rolling 24 hours of the kept tape, `binanceSpotDayTicker`'s fields
   * in the `type` asked (FULL by default, or MINI; another value -1139), of the symbols
   * `selectedOfStatus` keeps. `prevClosePrice` is the last kept trade's price before the window
   * opened, else the window's first trade's (the tape does not reach back that far), else 0 without
   * trades.
   */
  ctx.route('GET', '/api/v3/ticker/24hr', (p) => many(p, 2, 80), async (_request, _reply, p) => {
    const type = tickerTypeOf(p.type);
    const { one, list } = selectedOfStatus(p);
    const ticker = (i: Instrument) => binanceSpotDayTicker(kernel(), ctx.tape, i.symbol, type);
    return one ? ticker(list[0]!) : list.map(ticker);
  });

  ctx.route('GET', '/api/v3/ticker/price', (p) => many(p, 2, 4), async (_request, _reply, p) => {
    const { one, list } = selectedOfStatus(p);
    const price = (i: Instrument) => ({ symbol: i.symbol, price: binanceDecimal(lastPriceOf(kernel(), ctx.tape, i.symbol)) });
    return one ? price(list[0]!) : list.map(price);
  });

  ctx.route('GET', '/api/v3/ticker/bookTicker', (p) => many(p, 2, 4), async (_request, _reply, p) => {
    const { one, list } = selectedOfStatus(p);
    const book = (i: Instrument) => {
      const { bid, ask } = bestOf(kernel(), i.symbol);
      return { symbol: i.symbol, bidPrice: binanceDecimal(bid?.[0] ?? '0'), bidQty: binanceDecimal(bid?.[1] ?? '0'), askPrice: binanceDecimal(ask?.[0] ?? '0'), askQty: binanceDecimal(ask?.[1] ?? '0') };
    };
    return one ? book(list[0]!) : list.map(book);
  });
}

/** A book level [price, qty] as Binance Spot prints it. */
function level([price, qty]: Level): [string, string] {
  return [binanceDecimal(price), binanceDecimal(qty)];
}

/**
 * Binance's rolling 24-hour ticker of `symbol` from the kept tape (Spot's fields; USD-M's are these
 * without the book's and the previous close), each price and quantity through `decimal` (Spot:
 * `binanceDecimal`; by default as the tape and the book hold them).
 *
 * `prevClosePrice` (Binance: the last price before the window): the price of the last kept trade at
 * or before the window's opening (`closeTime` − 24 h; the window holds the trades after it). The
 * tape keeps a ring of recent trades and the kernel no trade history, so when the ring does not
 * reach back past the opening (a service up for less than a day, or a busy symbol) the price the
 * window opened at stands in for it: its first trade's, the nearest price to the one before it that
 * is known. Without any trade, 0.
 *
 * `closeTime` is the engine's exchange time now and `openTime` the window's start as the route's
 * exchange states it, `windowOpen(closeTime)`: Spot's 24 h before (`binanceSpotDayTicker`), USD-M's
 * the start of that minute (`usdmWindowOpen`), whether or not a trade fell at it.
 */
export function binanceDayTicker(kernel: Kernel, tape: MarketTape, symbol: string, windowOpen: (closeTime: number) => number, decimal: (v: string) => string = (v) => v) {
  const d = dayStatsOf(kernel, tape, symbol);
  const before = tape.tradesOf(symbol).filter((t) => t.time <= d.closeTime - DAY).at(-1);
  const fields = dayTickerFields(d);
  return {
    symbol,
    priceChange: decimal(formatFixed(d.change)),
    priceChangePercent: formatFixed(roundToDecimals(d.changeFraction * 100n, 3, 'half-up'), 3),
    weightedAvgPrice: decimal(d.volume > 0n ? formatFixed(roundToDecimals(div(d.quoteVolume, d.volume), 8, 'half-up')) : '0'),
    prevClosePrice: decimal(before?.price ?? d.first?.price ?? '0'),
    lastPrice: decimal(fields.lastPrice),
    lastQty: decimal(fields.lastQty),
    bidPrice: decimal(fields.bidPrice),
    bidQty: decimal(fields.bidQty),
    askPrice: decimal(fields.askPrice),
    askQty: decimal(fields.askQty),
    openPrice: decimal(fields.openPrice),
    highPrice: decimal(fields.highPrice),
    lowPrice: decimal(fields.lowPrice),
    volume: decimal(fields.volume),
    quoteVolume: decimal(fields.quoteVolume),
    openTime: windowOpen(fields.closeTime),
    closeTime: fields.closeTime,
    firstId: d.first?.id ?? -1,
    lastId: d.last?.id ?? -1,
    count: d.count,
  };
}

/** Binance's ticker `type` (rest-api.md, "24hr ticker price change statistics"): FULL unless given. */
export type BinanceTickerType = 'FULL' | 'MINI';

/** `type` as sent: absent or empty FULL, `FULL` or `MINI` as named, anything else -1139 "Invalid ticker type.". */
function tickerTypeOf(text: string | undefined): BinanceTickerType {
  if (text === undefined || text === '') return 'FULL';
  if (text === 'FULL' || text === 'MINI') return text;
  throw binanceErrors.invalidTickerType();
}

/**
 * Binance Spot's 24-hour ticker of `symbol` (`GET /api/v3/ticker/24hr`), prices and quantities with
 * 8 decimals. `openTime` and `closeTime` are the rolling window's bounds, as in Binance's example
 * (closeTime − openTime = 86 400 000 ms).
 *
 * MINI: Binance's twelve documented fields, in its order (symbol, the window's OHLC as open, high,
 * low and last price, the two volumes, the window, the first and last trade ids and the count);
 * FULL: `binanceDayTicker`'s twenty-one.
 */
export function binanceSpotDayTicker(kernel: Kernel, tape: MarketTape, symbol: string, type: BinanceTickerType) {
  const full = binanceDayTicker(kernel, tape, symbol, (closeTime) => closeTime - DAY, binanceDecimal);
  if (type === 'FULL') return full;
  const { openPrice, highPrice, lowPrice, lastPrice, volume, quoteVolume, openTime, closeTime, firstId, lastId, count } = full;
  return { symbol, openPrice, highPrice, lowPrice, lastPrice, volume, quoteVolume, openTime, closeTime, firstId, lastId, count };
}

/** Binance's `symbols` parameter: `["BTCUSDT","ETHUSDT"]` (ccxt sends it so), or a plain comma list. */
function symbolList(text: string): string[] {
  const trimmed = text.trim();
  if (trimmed.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch {
      throw binanceErrors.illegalChars('symbols', '["SYMBOL",...]');
    }
    if (!Array.isArray(parsed) || !parsed.every((s): s is string => typeof s === 'string')) throw binanceErrors.illegalChars('symbols', '["SYMBOL",...]');
    return parsed;
  }
  return trimmed.split(',').map((s) => s.trim()).filter((s) => s !== '');
}
