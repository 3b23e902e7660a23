/**
 * MEXC Spot v3 market data: ping, time, exchangeInfo, depth, trades, aggTrades, klines and the three
 * tickers, from the kernel's book and the tape of recent trades (market-tape.ts). Unknown symbols
 * answer -1121 `Invalid symbol.` as MEXC does.
 *
 * `time` is the server's wall clock (what signatures are checked against); market data carries the
 * engine's exchange time (the replayed market's own clock in replay).
 */
import type { FastifyInstance } from 'fastify';
import type { Instrument } from '../../core/instruments/instrument.js';
import { formatFixed } from '../../core/money/fixed.js';
import { aggregateKlines, type TapeTrade } from '../dialect-kit/market-tape.js';
import { bestOf, dayStatsOf, dayTickerFields, fixedOrZero, lastPriceOf, quoteQtyOf, tradeWindow } from '../dialect-kit/market-views.js';
import { intParam as kitIntParam, optionalInt as kitOptionalInt } from '../dialect-kit/request-params.js';
import type { MexcContext } from './mexc-api.js';
import { mexcErrors } from './mexc-errors.js';
import { bucketingOf, isKlineInterval } from './mexc-kline-intervals.js';
import { exchangeInfoSymbol } from './mexc-mappers.js';

const tags = ['mexc v3'];

export function registerMexcMarketRoutes(app: FastifyInstance, ctx: MexcContext): void {
  const kernel = () => ctx.deps.hub.kernel;
  const spotInstruments = (): Instrument[] => kernel().instruments().filter((i) => i.market === 'spot');
  const instrumentOf = (symbol: string | undefined): Instrument => {
    if (symbol === undefined || symbol === '') throw mexcErrors.mandatory('symbol');
    const found = kernel().instrument(symbol);
    if (found === undefined || found.market !== 'spot') throw mexcErrors.invalidSymbol();
    return found;
  };
  /** `symbol` given: that one; otherwise every spot instrument. */
  const selected = (symbol: string | undefined): { one: boolean; list: Instrument[] } =>
    symbol === undefined ? { one: false, list: spotInstruments() } : { one: true, list: [instrumentOf(symbol)] };
  app.get('/api/v3/ping', { schema: { tags } }, async () => ({}));
  app.get('/api/v3/time', { schema: { tags } }, async () => ({ serverTime: ctx.wallClock() }));

  app.get('/api/v3/exchangeInfo', { schema: { tags } }, async (request) => {
    const p = ctx.params(request);
    const names = p.symbol !== undefined ? [p.symbol] : p.symbols !== undefined ? p.symbols.split(',') : undefined;
    const list = names === undefined ? spotInstruments() : names.map((n) => instrumentOf(n.trim()));
    return { timezone: 'CST', serverTime: ctx.wallClock(), rateLimits: [], exchangeFilters: [], symbols: list.map(exchangeInfoSymbol) };
  });

  app.get('/api/v3/depth', { schema: { tags } }, async (request) => {
    const p = ctx.params(request);
    const instrument = instrumentOf(p.symbol);
    const limit = intParam(p.limit, 'limit', 100, 5_000);
    const depth = kernel().depth(instrument.symbol, limit)!;
    return { lastUpdateId: kernel().bookStatus(instrument.symbol)?.updateId ?? 0, bids: depth.bids, asks: depth.asks, timestamp: kernel().now };
  });

  const recent = (symbol: string, p: Record<string, string>, defaultLimit: number, maxLimit: number): readonly TapeTrade[] =>
    tradeWindow(ctx.tape.tradesOf(symbol), intParam(p.limit, 'limit', defaultLimit, maxLimit), optionalInt(p.startTime, 'startTime'), optionalInt(p.endTime, 'endTime'));

  app.get('/api/v3/trades', { schema: { tags } }, async (request) => {
    const p = ctx.params(request);
    const instrument = instrumentOf(p.symbol);
    return recent(instrument.symbol, p, 500, 1_000).map((t) => ({
      id: t.id, price: t.price, qty: t.quantity, quoteQty: quoteQtyOf(t), time: t.time, isBuyerMaker: t.buyerMaker, isBestMatch: true,
    }));
  });

  app.get('/api/v3/aggTrades', { schema: { tags } }, async (request) => {
    const p = ctx.params(request);
    const instrument = instrumentOf(p.symbol);
    // One aggregate per trade: the tape holds trades, and MEXC's own aggregates carry no ids.
    return recent(instrument.symbol, p, 500, 1_000).map((t) => ({ a: t.id, f: t.id, l: t.id, p: t.price, q: t.quantity, T: t.time, m: t.buyerMaker, M: true }));
  });

  app.get('/api/v3/klines', { schema: { tags } }, async (request) => {
    const p = ctx.params(request);
    const instrument = instrumentOf(p.symbol);
    if (p.interval === undefined || p.interval === '') throw mexcErrors.mandatory('interval');
    if (!isKlineInterval(p.interval)) throw mexcErrors.invalidParameter(`interval ${p.interval}; one of 1m,5m,15m,30m,60m,4h,1d,1W,1M`);
    const limit = intParam(p.limit, 'limit', 500, 1_000);
    const start = optionalInt(p.startTime, 'startTime');
    const end = optionalInt(p.endTime, 'endTime');
    const rows = aggregateKlines(ctx.tape.tradesOf(instrument.symbol), bucketingOf(p.interval)).filter((r) => (start === undefined || r[0] >= start) && (end === undefined || r[0] < end)); // MEXC's endTime is exclusive here
    return start !== undefined ? rows.slice(0, limit) : rows.slice(-limit);
  });

  const ticker24 = (i: Instrument) => {
    const d = dayStatsOf(kernel(), ctx.tape, i.symbol);
    return {
      symbol: i.symbol,
      priceChange: formatFixed(d.change),
      priceChangePercent: formatFixed(d.changeFraction),
      prevClosePrice: fixedOrZero(d.open),
      ...dayTickerFields(d),
      count: d.count,
    };
  };

  app.get('/api/v3/ticker/24hr', { schema: { tags } }, async (request) => {
    const { one, list } = selected(ctx.params(request).symbol);
    return one ? ticker24(list[0]!) : list.map(ticker24);
  });

  app.get('/api/v3/ticker/price', { schema: { tags } }, async (request) => {
    const { one, list } = selected(ctx.params(request).symbol);
    const price = (i: Instrument) => ({ symbol: i.symbol, price: lastPriceOf(kernel(), ctx.tape, i.symbol) });
    return one ? price(list[0]!) : list.map(price);
  });

  app.get('/api/v3/ticker/bookTicker', { schema: { tags } }, async (request) => {
    const { one, list } = selected(ctx.params(request).symbol);
    const book = (i: Instrument) => {
      const { bid, ask } = bestOf(kernel(), i.symbol);
      return { symbol: i.symbol, bidPrice: bid?.[0] ?? '0', bidQty: bid?.[1] ?? '0', askPrice: ask?.[0] ?? '0', askQty: ask?.[1] ?? '0' };
    };
    return one ? book(list[0]!) : list.map(book);
  });
}

export function intParam(text: string | undefined, name: string, fallback: number, max: number): number {
  return kitIntParam(text, name, fallback, max, mexcErrors.invalidParameter);
}

export function optionalInt(text: string | undefined, name: string): number | undefined {
  return kitOptionalInt(text, name, mexcErrors.invalidParameter);
}
