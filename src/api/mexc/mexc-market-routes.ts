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
import { formatFixed, mulExact, parseFixed, type Fixed } from '../../core/money/fixed.js';
import type { MexcContext } from './mexc-api.js';
import { mexcErrors } from './mexc-errors.js';
import { exchangeInfoSymbol } from './mexc-mappers.js';
import { aggregateKlines, isKlineInterval, type TapeTrade } from './market-tape.js';

const DAY = 86_400_000;
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
  const bestOf = (symbol: string) => {
    const d = kernel().depth(symbol, 1);
    return { bid: d?.bids[0], ask: d?.asks[0] };
  };

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

  const recent = (symbol: string, p: Record<string, string>, defaultLimit: number, maxLimit: number): readonly TapeTrade[] => {
    const limit = intParam(p.limit, 'limit', defaultLimit, maxLimit);
    const start = optionalInt(p.startTime, 'startTime');
    const end = optionalInt(p.endTime, 'endTime');
    const trades = ctx.tape.tradesOf(symbol).filter((t) => (start === undefined || t.time >= start) && (end === undefined || t.time <= end));
    return start !== undefined ? trades.slice(0, limit) : trades.slice(-limit);
  };

  app.get('/api/v3/trades', { schema: { tags } }, async (request) => {
    const p = ctx.params(request);
    const instrument = instrumentOf(p.symbol);
    return recent(instrument.symbol, p, 500, 1_000).map((t) => ({
      id: t.id, price: t.price, qty: t.quantity, quoteQty: formatFixed(mulExact(parseFixed(t.price), parseFixed(t.quantity))), time: t.time, isBuyerMaker: t.buyerMaker, isBestMatch: true,
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
    const rows = aggregateKlines(ctx.tape.tradesOf(instrument.symbol), p.interval).filter((r) => (start === undefined || r[0] >= start) && (end === undefined || r[0] < end)); // MEXC's endTime is exclusive here
    return start !== undefined ? rows.slice(0, limit) : rows.slice(-limit);
  });

  const ticker24 = (i: Instrument) => {
    const now = kernel().now;
    const trades = ctx.tape.tradesOf(i.symbol).filter((t) => t.time > now - DAY);
    const { bid, ask } = bestOf(i.symbol);
    const first = trades[0];
    const last = trades.at(-1);
    let high: Fixed | undefined;
    let low: Fixed | undefined;
    let volume = 0n;
    let quoteVolume = 0n;
    for (const t of trades) {
      const price = parseFixed(t.price);
      const qty = parseFixed(t.quantity);
      if (high === undefined || price > high) high = price;
      if (low === undefined || price < low) low = price;
      volume += qty;
      quoteVolume += mulExact(price, qty);
    }
    const open = first !== undefined ? parseFixed(first.price) : undefined;
    const close = last !== undefined ? parseFixed(last.price) : undefined;
    const change = open !== undefined && close !== undefined ? close - open : 0n;
    const changeFraction = open !== undefined && open !== 0n ? formatFixed((change * 10n ** 18n) / open) : '0';
    const fmt = (v: Fixed | undefined) => (v === undefined ? '0' : formatFixed(v));
    return {
      symbol: i.symbol,
      priceChange: formatFixed(change),
      priceChangePercent: changeFraction,
      prevClosePrice: fmt(open),
      lastPrice: fmt(close),
      lastQty: last?.quantity ?? '0',
      bidPrice: bid?.[0] ?? '0',
      bidQty: bid?.[1] ?? '0',
      askPrice: ask?.[0] ?? '0',
      askQty: ask?.[1] ?? '0',
      openPrice: fmt(open),
      highPrice: fmt(high),
      lowPrice: fmt(low),
      volume: formatFixed(volume),
      quoteVolume: formatFixed(quoteVolume),
      openTime: first?.time ?? now,
      closeTime: now,
      count: trades.length,
    };
  };

  app.get('/api/v3/ticker/24hr', { schema: { tags } }, async (request) => {
    const { one, list } = selected(ctx.params(request).symbol);
    return one ? ticker24(list[0]!) : list.map(ticker24);
  });

  app.get('/api/v3/ticker/price', { schema: { tags } }, async (request) => {
    const { one, list } = selected(ctx.params(request).symbol);
    const price = (i: Instrument) => {
      const last = ctx.tape.tradesOf(i.symbol).at(-1)?.price;
      if (last !== undefined) return { symbol: i.symbol, price: last };
      const { bid, ask } = bestOf(i.symbol);
      const mid = bid !== undefined && ask !== undefined ? formatFixed((parseFixed(bid[0]) + parseFixed(ask[0])) / 2n) : '0';
      return { symbol: i.symbol, price: mid };
    };
    return one ? price(list[0]!) : list.map(price);
  });

  app.get('/api/v3/ticker/bookTicker', { schema: { tags } }, async (request) => {
    const { one, list } = selected(ctx.params(request).symbol);
    const book = (i: Instrument) => {
      const { bid, ask } = bestOf(i.symbol);
      return { symbol: i.symbol, bidPrice: bid?.[0] ?? '0', bidQty: bid?.[1] ?? '0', askPrice: ask?.[0] ?? '0', askQty: ask?.[1] ?? '0' };
    };
    return one ? book(list[0]!) : list.map(book);
  });
}

export function intParam(text: string | undefined, name: string, fallback: number, max: number): number {
  if (text === undefined || text === '') return fallback;
  if (!/^\d{1,9}$/.test(text) || Number(text) < 1) throw mexcErrors.invalidParameter(`${name} must be a positive integer`);
  return Math.min(Number(text), max);
}

export function optionalInt(text: string | undefined, name: string): number | undefined {
  if (text === undefined || text === '') return undefined;
  if (!/^\d{1,16}$/.test(text)) throw mexcErrors.invalidParameter(`${name} must be Unix ms`);
  return Number(text);
}
