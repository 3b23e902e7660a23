/**
 * A local stand-in of Binance spot's public REST API for the download tests: `/api/v3/exchangeInfo`
 * (the bundled excerpt) and `/api/v3/klines` answered from a fixed list of bars in Binance's row
 * shape, paginated by `startTime`/`limit` as Binance documents (bars with open time ≥ startTime,
 * oldest first, at most `limit`, default 500, max 1000), and `/api/v3/aggTrades` (trades with
 * startTime ≤ T ≤ endTime, oldest first, at most `limit`). Faults: a 429 with Retry-After on chosen
 * request numbers; a hook that sees every klines request before it is answered. Counts every
 * request (`requests`), so that a test can tell a command refused before asking anything.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { exchangeFile } from '../test-kit/data-paths.js';

/** A bar as Binance's klines endpoint returns it. */
export type BinanceKline = [number, string, string, string, string, string, number, string, number, string, string, string];

/** An aggregate trade as Binance's aggTrades endpoint returns it. */
export interface BinanceAggTrade {
  readonly a: number;
  readonly p: string;
  readonly q: string;
  readonly f: number;
  readonly l: number;
  readonly T: number;
  readonly m: boolean;
  readonly M: boolean;
}

export interface StandInOptions {
  readonly klines: readonly BinanceKline[];
  readonly aggTrades?: readonly BinanceAggTrade[];
  /** 1-based klines request numbers answered with 429 (Retry-After: 1). */
  readonly rateLimited?: ReadonlySet<number>;
  /** Called with the request number before a klines request is answered. */
  readonly onKlines?: (request: number) => void;
}

export class BinanceStandIn {
  private server: Server | undefined;
  /** Every request answered, of any path (exchangeInfo included): 0 for a command refused before the network. */
  requests = 0;
  klinesRequests = 0;
  readonly startTimes: number[] = [];
  /** Wall time (ms) of every klines request, answered or not. */
  readonly klinesAt: number[] = [];
  readonly tradeWindows: Array<[number, number]> = [];
  rateLimitedAnswers = 0;

  constructor(private readonly options: StandInOptions) {}

  async start(): Promise<string> {
    const info = (JSON.parse(readFileSync(exchangeFile('binance_exchange_info_excerpt_2021.json'), 'utf8')) as { spot: { response: unknown } }).spot.response;
    this.server = createServer((req, res) => this.answer(req, res, info));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/api/v3`;
  }

  private answer(req: IncomingMessage, res: ServerResponse, info: unknown): void {
    this.requests += 1;
    const url = new URL(req.url ?? '/', 'http://localhost');
    res.setHeader('content-type', 'application/json');
    if (url.pathname === '/api/v3/exchangeInfo') {
      res.end(JSON.stringify(info));
      return;
    }
    if (url.pathname === '/api/v3/klines') {
      this.klinesRequests += 1;
      this.klinesAt.push(Date.now());
      const n = this.klinesRequests;
      this.options.onKlines?.(n);
      if (this.options.rateLimited?.has(n) === true) {
        this.rateLimitedAnswers += 1;
        res.statusCode = 429;
        res.setHeader('retry-after', '1');
        res.end(JSON.stringify({ code: -1003, msg: 'Too many requests; current limit of IP is 6000 requests per minute.' }));
        return;
      }
      const start = Number(url.searchParams.get('startTime') ?? '0');
      const limit = Math.min(1000, Number(url.searchParams.get('limit') ?? '500'));
      this.startTimes.push(start);
      res.end(JSON.stringify(this.options.klines.filter((k) => k[0] >= start).slice(0, limit)));
      return;
    }
    if (url.pathname === '/api/v3/aggTrades') {
      const start = Number(url.searchParams.get('startTime') ?? '0');
      const end = Number(url.searchParams.get('endTime') ?? String(Number.MAX_SAFE_INTEGER));
      if (end - start > 3_600_000) {
        res.statusCode = 400;
        res.end(JSON.stringify({ code: -1127, msg: 'More than 1 hours between startTime and endTime.' }));
        return;
      }
      const limit = Math.min(1000, Number(url.searchParams.get('limit') ?? '500'));
      this.tradeWindows.push([start, end]);
      res.end(JSON.stringify((this.options.aggTrades ?? []).filter((t) => t.T >= start && t.T <= end).slice(0, limit)));
      return;
    }
    res.statusCode = 404;
    res.end(JSON.stringify({ code: -1, msg: `no route ${url.pathname}` }));
  }

  async stop(): Promise<void> {
    // Kept-alive connections would hold close() open for as long as a client reuses them.
    await new Promise<void>((resolve) => {
      if (this.server === undefined) return resolve();
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}
