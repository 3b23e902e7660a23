/**
 * MEXC contract market data (`/api/v1/contract/*`): ping, detail, depth, deals, kline, ticker,
 * funding_rate and fair_price, from the kernel's book, mark price and funding schedule and the tape
 * of recent trades. Sizes are in contracts; unknown contracts answer 1001.
 *
 * Not known here, so left out rather than invented: the order count of a book level (MEXC's third
 * element), a trade's open/close flag (`O`), open interest (`holdVol`) and the index price (the
 * recordings carry none; `fairPrice` is the engine's mark).
 */
import type { FastifyInstance } from 'fastify';
import { formatFixed, mulExact, parseFixed, type Fixed } from '../../core/money/fixed.js';
import type { Kernel } from '../../core/kernel/kernel.js';
import { aggregateCandles, type Bucketing, type MarketTape } from '../dialect-kit/market-tape.js';
import { bestOf, dayStatsOf, lastPriceOf, tradeWindow } from '../dialect-kit/market-views.js';
import { intParam, optionalInt } from '../dialect-kit/request-params.js';
import { ok, type ContractContext } from './mexc-contract-api.js';
import { contractErrors } from './mexc-contract-errors.js';
import { contractDetail, num } from './mexc-contract-mappers.js';
import { contracts, volOf, type Contract } from './mexc-contract-symbols.js';

const tags = ['mexc contract'];
const HOUR = 3_600_000;

/** MEXC contract kline intervals (MEXC futures docs, "K-line data"). */
const KLINE_INTERVALS: Readonly<Record<string, Bucketing>> = {
  Min1: { ms: 60_000 },
  Min5: { ms: 300_000 },
  Min15: { ms: 900_000 },
  Min30: { ms: 1_800_000 },
  Min60: { ms: HOUR },
  Hour4: { ms: 4 * HOUR },
  Hour8: { ms: 8 * HOUR },
  Day1: { ms: 24 * HOUR },
  Week1: 'week',
  Month1: 'month',
};

export function registerContractMarketRoutes(app: FastifyInstance, ctx: ContractContext): void {
  const kernel = () => ctx.deps.hub.kernel;
  const contractOf = (symbol: string | undefined): Contract => ctx.contract(symbol);
  const invalid = (detail: string) => contractErrors.param(detail);

  app.get('/api/v1/contract/ping', { schema: { tags } }, async () => ok(ctx.wallClock()));

  app.get('/api/v1/contract/detail', { schema: { tags } }, async (request) => {
    const symbol = ctx.query(request).symbol;
    return symbol !== undefined && symbol !== '' ? ok(contractDetail(contractOf(symbol))) : ok(contracts(kernel()).map(contractDetail));
  });

  app.get<{ Params: { symbol: string } }>('/api/v1/contract/depth/:symbol', { schema: { tags } }, async (request) => {
    const c = contractOf(request.params.symbol);
    const limit = intParam(ctx.query(request).limit, 'limit', 100, 5_000, invalid);
    const depth = kernel().depth(c.instrument.symbol, limit)!;
    const levels = (side: [string, string][]) => side.map(([price, qty]) => [num(price), num(volOf(c, qty))]);
    return ok({ asks: levels(depth.asks), bids: levels(depth.bids), version: kernel().bookStatus(c.instrument.symbol)?.updateId ?? 0, timestamp: kernel().now });
  });

  app.get<{ Params: { symbol: string } }>('/api/v1/contract/deals/:symbol', { schema: { tags } }, async (request) => {
    const c = contractOf(request.params.symbol);
    const limit = intParam(ctx.query(request).limit, 'limit', 100, 100, invalid);
    // Newest first, as MEXC lists them. T: the taker's side (1 buy, 2 sell); M: 2, not a self-trade.
    const trades = tradeWindow(ctx.tape.tradesOf(c.instrument.symbol), limit, undefined, undefined);
    return ok([...trades].reverse().map((t) => ({ p: num(t.price), v: num(volOf(c, t.quantity)), T: t.buyerMaker ? 2 : 1, M: 2, t: t.time })));
  });

  app.get<{ Params: { symbol: string } }>('/api/v1/contract/kline/:symbol', { schema: { tags } }, async (request) => {
    const c = contractOf(request.params.symbol);
    const q = ctx.query(request);
    const interval = q.interval ?? 'Min1';
    const bucketing = KLINE_INTERVALS[interval];
    if (bucketing === undefined) throw contractErrors.param(`interval ${interval}; one of ${Object.keys(KLINE_INTERVALS).join(',')}`);
    // start and end are Unix seconds, both inclusive; at most 2,000 candles.
    const start = optionalInt(q.start, 'start', invalid);
    const end = optionalInt(q.end, 'end', invalid);
    let rows = aggregateCandles(ctx.tape.tradesOf(c.instrument.symbol), bucketing).filter((r) => (start === undefined || r.openTime >= start * 1_000) && (end === undefined || r.openTime <= end * 1_000));
    rows = start !== undefined ? rows.slice(0, 2_000) : rows.slice(-2_000);
    return ok({
      time: rows.map((r) => r.openTime / 1_000),
      open: rows.map((r) => num(r.open)),
      close: rows.map((r) => num(r.close)),
      high: rows.map((r) => num(r.high)),
      low: rows.map((r) => num(r.low)),
      vol: rows.map((r) => num(volOf(c, r.volume))),
      amount: rows.map((r) => num(r.quoteVolume)),
    });
  });

  const fundingRateOf = (c: Contract): Fixed => kernel().fundingSchedule(c.instrument.symbol)?.rate ?? 0n;
  const ticker = (c: Contract) => contractTicker(kernel(), ctx.tape, c);

  app.get('/api/v1/contract/ticker', { schema: { tags } }, async (request) => {
    const symbol = ctx.query(request).symbol;
    return symbol !== undefined && symbol !== '' ? ok(ticker(contractOf(symbol))) : ok(contracts(kernel()).map(ticker));
  });

  app.get<{ Params: { symbol: string } }>('/api/v1/contract/funding_rate/:symbol', { schema: { tags } }, async (request) => {
    const c = contractOf(request.params.symbol);
    const schedule = kernel().fundingSchedule(c.instrument.symbol)!;
    const rate = formatFixed(fundingRateOf(c));
    // The engine applies one fixed rate (or none): it is also the bound either side.
    return ok({
      symbol: c.symbol,
      fundingRate: num(rate),
      maxFundingRate: num(rate),
      minFundingRate: num(rate),
      collectCycle: schedule.intervalMs / HOUR,
      nextSettleTime: schedule.nextFundingAt,
      timestamp: kernel().now,
    });
  });

  app.get<{ Params: { symbol: string } }>('/api/v1/contract/fair_price/:symbol', { schema: { tags } }, async (request) => {
    const c = contractOf(request.params.symbol);
    const mark = kernel().markPrice(c.instrument.symbol);
    return ok({ symbol: c.symbol, fairPrice: num(mark ?? parseFixed(lastPriceOf(kernel(), ctx.tape, c.instrument.symbol))), timestamp: kernel().now });
  });
}

/** One entry of `GET /api/v1/contract/ticker` (and the `push.ticker` body). */
export function contractTicker(kernel: Kernel, tape: MarketTape, c: Contract): Record<string, unknown> {
  const d = dayStatsOf(kernel, tape, c.instrument.symbol);
  const { bid, ask } = bestOf(kernel, c.instrument.symbol);
  const mark = kernel.markPrice(c.instrument.symbol);
  const band = c.instrument.priceBand;
  return {
    symbol: c.symbol,
    lastPrice: num(lastPriceOf(kernel, tape, c.instrument.symbol)),
    bid1: num(bid?.[0] ?? '0'),
    ask1: num(ask?.[0] ?? '0'),
    volume24: num(volOf(c, d.volume)),
    amount24: num(d.quoteVolume),
    lower24Price: num(d.low ?? 0n),
    high24Price: num(d.high ?? 0n),
    riseFallRate: num(d.changeFraction),
    riseFallValue: num(d.change),
    ...(mark !== undefined ? { fairPrice: num(mark) } : {}),
    fundingRate: num(kernel.fundingSchedule(c.instrument.symbol)?.rate ?? 0n),
    ...(mark !== undefined && band?.reference === 'mark' ? { maxBidPrice: num(mulExact(mark, band.bidUp)), minAskPrice: num(mulExact(mark, band.askDown)) } : {}),
    timestamp: kernel.now,
  };
}
