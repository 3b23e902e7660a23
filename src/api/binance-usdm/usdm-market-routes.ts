/**
 * Binance USD-M market data: ping, time, exchangeInfo, depth, trades, aggTrades, klines,
 * premiumIndex, fundingRate and the three tickers, for the perpetuals the kernel trades, from its
 * book and mark price and the shared tape of recent trades, with USD-M's weights
 * (https://developers.binance.com/docs/derivatives/usds-margined-futures/market-data/rest-api).
 * Unknown symbols (spot ones included) answer -1121 `Invalid symbol.`.
 *
 * premiumIndex: the mark price is the kernel's (the source's, or the book's mid without one); no
 * index feeds papertrade, so the index price is the mark and the interest rate 0; the funding rate
 * shown is the one the kernel applies at its next funding time (configured, or the last one the
 * source announced and applied). fundingRate: the funding this service applied since it started
 * (each funding time that found a rate), as `{symbol, fundingRate, fundingTime, markPrice}`.
 * ticker/24hr: the window closes at the engine's exchange time and opens at the start of the minute
 * 24 hours before (`usdmWindowOpen`).
 */
import type { Instrument } from '../../core/instruments/instrument.js';
import type { KernelEvent } from '../../core/kernel/events.js';
import type { KernelInput } from '../../core/kernel/inputs.js';
import { formatFixed } from '../../core/money/fixed.js';
import type { BinanceContext } from '../binance/binance-api.js';
import { binanceErrors } from '../binance/binance-errors.js';
import { binanceBucketing, binanceKlineRows } from '../binance/binance-klines.js';
import { binanceDayTicker } from '../binance/binance-market-routes.js';
import { bestOf, lastPriceOf, quoteQtyOf, tradeWindow } from '../dialect-kit/market-views.js';
import { intParam, optionalInt } from '../dialect-kit/request-params.js';
import { usdmExchangeInfoSymbol } from './usdm-mappers.js';
import { USDM_RATE_LIMITS, usdmDepthWeight, usdmKlinesWeight } from './usdm-weights.js';

const invalid = binanceErrors.invalidParameter;
const DEPTH_LIMITS = [5, 10, 20, 50, 100, 500, 1_000];

/** One funding payment the service applied, as `GET /fapi/v1/fundingRate` lists it. */
export interface FundingRecord {
  readonly symbol: string;
  readonly fundingRate: string;
  readonly fundingTime: number;
  readonly markPrice: string;
}

/** Keeps the funding times a hub applies (from its FUNDING events and `funding` inputs), newest last, at most `capacity` per symbol. */
export class FundingHistory {
  private readonly bySymbol = new Map<string, FundingRecord[]>();

  constructor(private readonly capacity = 1_000) {}

  observe(events: readonly KernelEvent[], input: KernelInput, mark: (symbol: string) => string | undefined): void {
    for (const e of events) if (e.type === 'FUNDING') this.add({ symbol: e.symbol, fundingRate: e.rate, fundingTime: e.at, markPrice: e.markPrice });
    if (input.kind === 'funding') this.add({ symbol: input.symbol, fundingRate: input.rate, fundingTime: input.time, markPrice: mark(input.symbol) ?? '0' });
  }

  of(symbol: string): readonly FundingRecord[] {
    return this.bySymbol.get(symbol) ?? [];
  }

  private add(record: FundingRecord): void {
    let list = this.bySymbol.get(record.symbol);
    if (list === undefined) this.bySymbol.set(record.symbol, (list = []));
    // Every position pays at the same funding time: one record per time.
    if (list.at(-1)?.fundingTime === record.fundingTime) return;
    list.push(record);
    if (list.length > this.capacity) list.shift();
  }
}

export function registerUsdmMarketRoutes(ctx: BinanceContext, funding: FundingHistory): void {
  const kernel = () => ctx.deps.hub.kernel;
  const perpetuals = (): Instrument[] => kernel().instruments().filter((i) => i.market === 'perpetual');
  const instrumentOf = (symbol: string | undefined): Instrument => {
    if (symbol === undefined || symbol === '') throw binanceErrors.mandatory('symbol');
    const found = kernel().instrument(symbol);
    if (found === undefined || found.market !== 'perpetual') throw binanceErrors.invalidSymbol();
    return found;
  };
  /** `symbol` given: that one; otherwise every perpetual (answered as a list). */
  const selected = (p: Record<string, string>): { one: boolean; list: Instrument[] } =>
    p.symbol !== undefined && p.symbol !== '' ? { one: true, list: [instrumentOf(p.symbol)] } : { one: false, list: perpetuals() };
  const many = (p: Record<string, string>, one: number, all: number) => (p.symbol ? one : all);
  const markOf = (symbol: string): string => {
    const mark = kernel().markPrice(symbol);
    return mark === undefined ? lastPriceOf(kernel(), ctx.tape, symbol) : formatFixed(mark);
  };

  ctx.route('GET', '/v1/ping', 1, async () => ({}));
  ctx.route('GET', '/v1/time', 1, async () => ({ serverTime: ctx.wallClock() }));

  ctx.route('GET', '/v1/exchangeInfo', 1, async () => {
    const list = perpetuals();
    const assets = [...new Set(list.map((i) => i.quote))].sort().map((asset) => ({ asset, marginAvailable: true, autoAssetExchange: '0' }));
    return { timezone: 'UTC', serverTime: ctx.wallClock(), futuresType: 'U_MARGINED', rateLimits: USDM_RATE_LIMITS, exchangeFilters: [], assets, symbols: list.map(usdmExchangeInfoSymbol) };
  });

  const depthLimit = (p: Record<string, string>) => {
    const limit = intParam(p.limit, 'limit', 500, 1_000, invalid);
    // Binance takes the listed limits only; the next one up serves any other.
    return DEPTH_LIMITS.find((l) => l >= limit) ?? 1_000;
  };
  ctx.route('GET', '/v1/depth', (p) => usdmDepthWeight(depthLimit(p)), async (_request, _reply, p) => {
    const instrument = instrumentOf(p.symbol);
    const depth = kernel().depth(instrument.symbol, depthLimit(p)) ?? { bids: [], asks: [] };
    const now = kernel().now;
    return { lastUpdateId: kernel().bookStatus(instrument.symbol)?.updateId ?? 0, E: now, T: now, bids: depth.bids, asks: depth.asks };
  });

  const recent = (symbol: string, p: Record<string, string>) =>
    tradeWindow(ctx.tape.tradesOf(symbol), intParam(p.limit, 'limit', 500, 1_000, invalid), optionalInt(p.startTime, 'startTime', invalid), optionalInt(p.endTime, 'endTime', invalid));

  ctx.route('GET', '/v1/trades', 5, async (_request, _reply, p) => {
    const instrument = instrumentOf(p.symbol);
    return recent(instrument.symbol, { limit: p.limit ?? '' }).map((t) => ({ id: t.id, price: t.price, qty: t.quantity, quoteQty: quoteQtyOf(t), time: t.time, isBuyerMaker: t.buyerMaker }));
  });

  ctx.route('GET', '/v1/aggTrades', 20, async (_request, _reply, p) => {
    const instrument = instrumentOf(p.symbol);
    const fromId = optionalInt(p.fromId, 'fromId', invalid);
    const trades = fromId === undefined ? recent(instrument.symbol, p) : ctx.tape.tradesOf(instrument.symbol).filter((t) => t.id >= fromId).slice(0, intParam(p.limit, 'limit', 500, 1_000, invalid));
    // One trade per aggregate: the tape keeps trades, not the exchange's aggregation.
    return trades.map((t) => ({ a: t.id, p: t.price, q: t.quantity, f: t.id, l: t.id, T: t.time, m: t.buyerMaker }));
  });

  const klineLimit = (p: Record<string, string>) => intParam(p.limit, 'limit', 500, 1_500, invalid);
  ctx.route('GET', '/v1/klines', (p) => usdmKlinesWeight(klineLimit(p)), async (_request, _reply, p) => {
    const instrument = instrumentOf(p.symbol);
    if (p.interval === undefined || p.interval === '') throw binanceErrors.mandatory('interval');
    // USD-M has every Spot interval but the 1-second one.
    const bucketing = p.interval === '1s' ? undefined : binanceBucketing(p.interval);
    if (bucketing === undefined) throw binanceErrors.invalidInterval();
    return binanceKlineRows(ctx.tape.tradesOf(instrument.symbol), bucketing, p, 1_500, invalid);
  });

  const premium = (i: Instrument) => {
    const schedule = kernel().fundingSchedule(i.symbol);
    const mark = markOf(i.symbol);
    const rate = schedule.rate !== undefined ? formatFixed(schedule.rate) : (funding.of(i.symbol).at(-1)?.fundingRate ?? '0');
    return { symbol: i.symbol, markPrice: mark, indexPrice: mark, estimatedSettlePrice: mark, lastFundingRate: rate, interestRate: '0', nextFundingTime: schedule.nextFundingAt, time: kernel().now };
  };
  ctx.route('GET', '/v1/premiumIndex', (p) => many(p, 1, 10), async (_request, _reply, p) => {
    const { one, list } = selected(p);
    return one ? premium(list[0]!) : list.map(premium);
  });

  ctx.route('GET', '/v1/fundingRate', 1, async (_request, _reply, p) => {
    const limit = intParam(p.limit, 'limit', 100, 1_000, invalid);
    const start = optionalInt(p.startTime, 'startTime', invalid);
    const end = optionalInt(p.endTime, 'endTime', invalid);
    const symbols = p.symbol ? [instrumentOf(p.symbol).symbol] : perpetuals().map((i) => i.symbol);
    const rows = symbols
      .flatMap((s) => funding.of(s))
      .filter((r) => (start === undefined || r.fundingTime >= start) && (end === undefined || r.fundingTime <= end))
      .sort((a, b) => a.fundingTime - b.fundingTime);
    return start !== undefined ? rows.slice(0, limit) : rows.slice(-limit);
  });

  const ticker24 = (i: Instrument) => {
    // USD-M's 24-hour ticker has no book fields and no previous close.
    const { bidPrice: _bp, bidQty: _bq, askPrice: _ap, askQty: _aq, prevClosePrice: _pc, ...fields } = binanceDayTicker(kernel(), ctx.tape, i.symbol, usdmWindowOpen);
    return fields;
  };

  ctx.route('GET', '/v1/ticker/24hr', (p) => many(p, 1, 40), async (_request, _reply, p) => {
    const { one, list } = selected(p);
    return one ? ticker24(list[0]!) : list.map(ticker24);
  });

  const price = (i: Instrument) => ({ symbol: i.symbol, price: lastPriceOf(kernel(), ctx.tape, i.symbol), time: kernel().now });
  for (const version of ['v1', 'v2']) {
    ctx.route('GET', `/${version}/ticker/price`, (p) => many(p, 1, 2), async (_request, _reply, p) => {
      const { one, list } = selected(p);
      return one ? price(list[0]!) : list.map(price);
    });
  }

  ctx.route('GET', '/v1/ticker/bookTicker', (p) => many(p, 2, 5), async (_request, _reply, p) => {
    const { one, list } = selected(p);
    const book = (i: Instrument) => {
      const { bid, ask } = bestOf(kernel(), i.symbol);
      return { symbol: i.symbol, bidPrice: bid?.[0] ?? '0', bidQty: bid?.[1] ?? '0', askPrice: ask?.[0] ?? '0', askQty: ask?.[1] ?? '0', time: kernel().now };
    };
    return one ? book(list[0]!) : list.map(book);
  });
}

const MINUTE = 60_000;

/**
 * The start of USD-M's rolling 24-hour window (`openTime` of `GET /fapi/v1/ticker/24hr`) closing at
 * `closeTime` (Unix ms): 24 hours before it, down to the start of that minute. Binance's example
 * answers closeTime 1591268346682 with openTime 1591181940000: 1591268346682 − 86 400 000 =
 * 1591181946682, whose minute starts at 1591181940000. Spot's window starts exactly 24 h before.
 */
export function usdmWindowOpen(closeTime: number): number {
  const start = closeTime - 86_400_000;
  return start - (((start % MINUTE) + MINUTE) % MINUTE);
}
