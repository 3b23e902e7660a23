/**
 * Paginated, resumable downloads through ccxt: closed candles (`fetchOHLCV`) into the candle CSV
 * `papertrade backtest` reads, and the trade tape (`fetchTrades`) into a recording's trades CSV.
 *
 * Guarantees: pages are requested from the last written bar (trade) onwards, so no bar is
 * written twice and none is skipped over; a bar still open at the time of the request is not
 * written; every page is appended whole, so an interrupted download resumes after its last
 * complete line (a torn last line is cut off first). ccxt's own rate limiter paces the requests;
 * NetworkError (timeouts, 429 RateLimitExceeded, 5xx) is retried with exponential back-off, or
 * after the server's Retry-After when it sends one. Prices come as the exchange's decimal text
 * (ccxt parses numbers as strings here), never through a float.
 * Not modelled: an exchange that returns a page starting after `since` although older data
 * exists (then that stretch has no bars on the exchange either); more trades at one ms than a
 * page holds (time paging cannot get past them: the download stops there).
 */
import { appendFileSync, closeSync, existsSync, ftruncateSync, openSync, readSync, statSync, writeFileSync } from 'node:fs';
import ccxt, { functions, type Exchange, type OHLCV, type Trade } from 'ccxt';
import { plainDecimal } from '../market-data/importers/import-fields.js';
import { CANDLES_HEADER, TRADES_HEADER } from './download-files.js';

export { CANDLES_HEADER, TRADES_HEADER };

export interface ExchangeSetup {
  readonly exchange: string;
  readonly urls?: Readonly<Record<string, unknown>>;
  readonly options?: Readonly<Record<string, unknown>>;
}

const CREDENTIAL_OPTIONS = ['apiKey', 'secret', 'password', 'uid', 'login', 'privateKey', 'walletAddress', 'token', 'twofa', 'accountId'];

/** A public ccxt REST client (no credentials), with urls deep-merged and decimal text for numbers. */
export function createRestExchange(setup: ExchangeSetup): Exchange {
  const Ctor = (ccxt as unknown as Record<string, unknown>)[setup.exchange];
  if (typeof Ctor !== 'function' || !(ccxt.exchanges as string[]).includes(setup.exchange)) throw new Error(`--exchange: ccxt has no exchange "${setup.exchange}"`);
  const options: Record<string, unknown> = { enableRateLimit: true, ...setup.options };
  for (const key of CREDENTIAL_OPTIONS) delete options[key]; // public data: no key ever leaves this machine
  const exchange = new (Ctor as new (options: Record<string, unknown>) => Exchange)(options);
  if (setup.urls !== undefined) exchange.urls = functions.deepExtend(exchange.urls, setup.urls) as Exchange['urls'];
  // ccxt turns every parsed number through `number`: String keeps the exchange's decimal text.
  (exchange as unknown as { number: unknown }).number = String;
  return exchange;
}

export interface RetryPolicy {
  readonly retries: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly onRetry?: (attempt: number, delayMs: number, error: Error) => void;
}

export const DEFAULT_RETRY: RetryPolicy = { retries: 8, baseDelayMs: 1_000, maxDelayMs: 60_000 };

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Retries NetworkError (RateLimitExceeded included); anything else is thrown at once. */
export async function withRetry<T>(exchange: Exchange, call: () => Promise<T>, policy: RetryPolicy = DEFAULT_RETRY): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await call();
    } catch (error) {
      if (!(error instanceof ccxt.NetworkError) || attempt > policy.retries) throw error;
      const headers = (exchange.last_response_headers ?? {}) as Record<string, string | undefined>;
      const retryAfter = Number(headers['retry-after'] ?? headers['Retry-After']);
      const backoff = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
      const delay = error instanceof ccxt.RateLimitExceeded && Number.isFinite(retryAfter) && retryAfter > 0 ? Math.min(policy.maxDelayMs, retryAfter * 1_000) : backoff;
      policy.onRetry?.(attempt, delay, error);
      await (policy.sleep ?? sleep)(delay);
    }
  }
}

/** The last complete line of a file, after cutting off a torn (unterminated) last line. */
export function lastCompleteLine(path: string): string | undefined {
  if (!existsSync(path)) return undefined;
  const size = statSync(path).size;
  const fd = openSync(path, 'r+');
  try {
    const length = Math.min(size, 65_536);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, size - length);
    const end = buffer.lastIndexOf(0x0a);
    if (end < length - 1) ftruncateSync(fd, size - length + end + 1);
    if (end < 0) return undefined;
    const start = buffer.lastIndexOf(0x0a, end - 1);
    return buffer.subarray(start + 1, end).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

export interface Progress {
  (done: number, total: number, rows: number): void;
}

export interface CandleDownload {
  readonly symbol: string;
  readonly timeframe: string;
  readonly since: number;
  readonly until?: number;
  readonly out: string;
  readonly limit?: number;
  readonly retry?: RetryPolicy;
  readonly onProgress?: Progress;
  /** The clock that decides which bar is still open (default: the exchange's). */
  readonly now?: () => number;
}

/** The exchange's number as plain decimal text (an exponent, as some APIs send, expanded exactly). */
const text = (v: unknown): string => {
  const plain = typeof v === 'string' || typeof v === 'number' ? plainDecimal(String(v)) : undefined;
  if (plain === undefined) throw new Error(`not a non-negative decimal: ${String(v)}`);
  return plain;
};

/**
 * Why a candle download from `since` cannot resume `out`, whose last complete line is `last`
 * (bars of `frameMs`), or undefined: a --since after the bar that follows the file's last one would
 * leave a hole in the file.
 */
export function candlesResumeHole(out: string, last: string | undefined, since: number, frameMs: number): string | undefined {
  const lastOpen = last !== undefined && /^\d/.test(last) ? Number(last.split(',')[0]) : undefined;
  if (lastOpen === undefined || since <= lastOpen + frameMs) return undefined;
  return `${out} ends with the bar of ${new Date(lastOpen).toISOString()}; --since ${new Date(since).toISOString()} would leave a hole: give an earlier --since or another --out`;
}

/** The same for a trades download: a --since after the file's last trade would leave a hole. */
export function tradesResumeHole(out: string, last: string | undefined, since: number): string | undefined {
  const lastTime = last !== undefined && /^\d/.test(last) ? Number(last.split(',')[3]) : undefined;
  if (lastTime === undefined || since <= lastTime) return undefined;
  return `${out} ends with a trade at ${new Date(lastTime).toISOString()}; --since ${new Date(since).toISOString()} would leave a hole: give an earlier --since or another --out`;
}

/** Downloads closed bars in [since, until) after those already in `out`; returns how many were written. */
export async function downloadCandles(exchange: Exchange, job: CandleDownload): Promise<{ written: number; resumedAfter?: number }> {
  await withRetry(exchange, () => exchange.loadMarkets(), job.retry);
  if (exchange.has.fetchOHLCV !== true) throw new Error(`${exchange.id} does not offer candles (fetchOHLCV) through ccxt`);
  const frame = exchange.parseTimeframe(job.timeframe) * 1_000;
  const now = job.now ?? (() => exchange.milliseconds());
  const last = lastCompleteLine(job.out);
  const lastOpen = last !== undefined && /^\d/.test(last) ? Number(last.split(',')[0]) : undefined;
  if (last === undefined) writeFileSync(job.out, `${CANDLES_HEADER}\n`);
  const hole = candlesResumeHole(job.out, last, job.since, frame);
  if (hole !== undefined) throw new Error(hole);
  let since = lastOpen !== undefined ? lastOpen + frame : job.since;
  const start = since;
  let written = 0;
  for (;;) {
    const until = Math.min(job.until ?? Number.POSITIVE_INFINITY, now());
    if (since >= until) break;
    const from = since;
    const page: OHLCV[] = await withRetry(exchange, () => exchange.fetchOHLCV(job.symbol, job.timeframe, from, job.limit), job.retry);
    const openNow = now();
    const rows = page.filter((r) => {
      const t = Number(r[0]);
      return t >= from && t < until && t + frame <= openNow;
    });
    if (rows.length === 0) break;
    appendFileSync(job.out, rows.map((r) => `${Number(r[0])},${text(r[1])},${text(r[2])},${text(r[3])},${text(r[4])},${text(r[5] ?? '0')}\n`).join(''));
    written += rows.length;
    since = Number(rows[rows.length - 1]![0]) + frame;
    job.onProgress?.(since - start, Math.max(since, until) - start, written);
  }
  return { written, ...(lastOpen !== undefined ? { resumedAfter: lastOpen } : {}) };
}

export interface TradeDownload {
  readonly symbol: string;
  readonly since: number;
  readonly until?: number;
  /** The trades CSV of a recording (plain text, so that an interrupted download can resume). */
  readonly out: string;
  readonly limit?: number;
  readonly retry?: RetryPolicy;
  readonly onProgress?: Progress;
}

/** ccxt's Binance family asks for trades in [since, since + 1 h] (Binance's aggTrades window). */
function tradesWindowMs(exchange: Exchange): number | undefined {
  return exchange.id.startsWith('binance') ? 3_600_000 : undefined;
}

const numericId = (t: Trade): number | undefined => (t.id !== undefined && /^\d{1,15}$/.test(String(t.id)) ? Number(t.id) : undefined);

/**
 * Downloads the trade tape in [since, until) after the trades already in `out`, paging by time: a
 * page starts at the last trade's ms, and trades already written at that ms are recognized by id.
 * An empty page ends the download, except on exchanges that answer one time window per request
 * (Binance: one hour), where it moves on to the next window.
 * Trade ids that are not whole numbers are replaced by a running count (the replay needs integers).
 */
export async function downloadTrades(exchange: Exchange, job: TradeDownload): Promise<{ written: number }> {
  await withRetry(exchange, () => exchange.loadMarkets(), job.retry);
  if (exchange.has.fetchTrades !== true) throw new Error(`${exchange.id} does not offer trades (fetchTrades) through ccxt`);
  const last = lastCompleteLine(job.out);
  if (last === undefined) writeFileSync(job.out, `${TRADES_HEADER}\n`);
  const cells = last !== undefined && /^\d/.test(last) ? last.split(',') : undefined;
  let lastTime = cells !== undefined ? Number(cells[3]) : undefined;
  let lastId = cells !== undefined ? Number(cells[0]) : 0;
  const seenAtLast = new Set<string>(cells !== undefined ? [cells[0]!] : []);
  const hole = tradesResumeHole(job.out, last, job.since);
  if (hole !== undefined) throw new Error(hole);
  let since = lastTime ?? job.since;
  const start = since;
  let written = 0;
  for (;;) {
    const until = Math.min(job.until ?? Number.POSITIVE_INFINITY, exchange.milliseconds());
    if (since >= until) break;
    const from = since;
    const page: Trade[] = await withRetry(exchange, () => exchange.fetchTrades(job.symbol, from, job.limit), job.retry);
    const alreadyWritten = (t: Trade): boolean => {
      if (t.timestamp !== lastTime) return false;
      const numeric = numericId(t);
      return numeric !== undefined ? numeric <= lastId : seenAtLast.has(String(t.id));
    };
    const fresh = page
      .filter((t) => t.timestamp !== undefined && t.timestamp >= from && t.timestamp < until && !alreadyWritten(t))
      .sort((a, b) => a.timestamp! - b.timestamp!);
    if (fresh.length === 0) {
      // Nothing new in this page. Where the exchange answers one time window per request, the
      // next trade may lie beyond it: move on by the window. Elsewhere the tape ends here.
      const window = tradesWindowMs(exchange);
      if (window === undefined) break;
      since = from + window + 1;
      continue;
    }
    const lines: string[] = [];
    for (const t of fresh) {
      if (t.side !== 'buy' && t.side !== 'sell') throw new Error(`${exchange.id} trade ${String(t.id)} has no taker side: cannot record who was the maker`);
      const numeric = numericId(t);
      const id = numeric !== undefined && numeric > lastId ? numeric : lastId + 1;
      lastId = id;
      if (t.timestamp !== lastTime) seenAtLast.clear();
      seenAtLast.add(String(t.id));
      lastTime = t.timestamp!;
      lines.push(`${id},${text(t.price)},${text(t.amount)},${t.timestamp},${t.side === 'sell'},${BigInt(t.timestamp!) * 1_000_000n}`);
    }
    appendFileSync(job.out, `${lines.join('\n')}\n`);
    written += lines.length;
    since = lastTime!;
    job.onProgress?.(since - start, Math.max(since, until) - start, written);
  }
  return { written };
}
