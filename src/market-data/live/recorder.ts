/**
 * `papertrade record`: watches symbols live through ccxt for a while and writes each one as a
 * replay recording (see recording-writer.ts). One symbol: `outDir` is the recording; several:
 * one sub-directory per symbol, `<exchange>_<symbol>`.
 *
 * Guarantees: the same ccxt streams, gap/reconnect/stale handling as the live feed; a symbol that
 * never produced a book is reported as failed (its directory cannot be replayed).
 * The start is bounded (docs/adr/0010): every symbol must deliver its first order book within
 * `startTimeoutMs` (default 30 s, at most the duration); until then each failed watch and the
 * backoff before the next are said to `warn`. Past that time, or at once when the exchange refuses
 * a symbol for good (BadSymbol, NotSupported, …), the recording stops, removes the files it wrote
 * and throws a `RecordStartError` naming each symbol without a book and its last failure. Once every
 * symbol has its book, drops are retried until the end, each listed as an interruption.
 */
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Instrument } from '../../core/instruments/instrument.js';
import { formatFixed } from '../../core/money/fixed.js';
import type { BackoffOptions } from './backoff.js';
import { CcxtBookStream } from './ccxt-book-stream.js';
import type { ProExchangeFactory, ExchangeSettings } from './live-exchanges.js';
import { openLiveMarkets, type LiveMarkets } from './live-markets.js';
import { RecordingWriter } from './recording-writer.js';

export interface RecordOptions {
  readonly config: ExchangeSettings;
  readonly symbols: readonly string[];
  readonly durationMs: number;
  readonly outDir: string;
  readonly marketCacheFile?: string;
  readonly staleAfterMs?: number;
  readonly backoff?: BackoffOptions;
  readonly factory?: ProExchangeFactory;
  /** Markets already opened (tests); otherwise opened from `config`. */
  readonly markets?: LiveMarkets;
  readonly log?: (line: string) => void;
  /** Ends the recording early (e.g. on SIGINT). */
  readonly signal?: AbortSignal;
  /** How long (ms) every symbol may take to deliver its first book; default 30 s, at most `durationMs`. */
  readonly startTimeoutMs?: number;
  /** Told of each retry before a symbol's first book (the command: stderr). */
  readonly warn?: (line: string) => void;
}

/** A recording that could not start: a symbol without a book in time, or refused by the exchange. Nothing is left written. */
export class RecordStartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RecordStartError';
  }
}

/** The files a RecordingWriter makes in its directory. */
const RECORDING_FILES = ['depth_snapshot.json', 'depth_updates.jsonl.gz', 'trades.csv.gz', 'recording.json', 'recording.json.tmp'];

export interface RecordedSymbol {
  readonly dir: string;
  readonly symbol: string;
  readonly books: number;
  readonly deltas: number;
  readonly trades: number;
  readonly interruptions: number;
  readonly ok: boolean;
  readonly writer: RecordingWriter;
}

function describeInstrument(i: Instrument): Record<string, unknown> {
  // Decimal strings at every depth (the price band and trailing bounds are objects of their own).
  const text = JSON.stringify(i, (key, v: unknown) => (key === 'marginTiers' ? undefined : typeof v === 'bigint' ? formatFixed(v) : v));
  return JSON.parse(text) as Record<string, unknown>;
}

/** The longest delay Node's setTimeout keeps: a longer one (or a fraction) fires after 1 ms, with a warning. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * Calls `fire` once `ms` have passed, however long (a recording of 30 days is 2,592,000,000 ms,
 * past what one Node timer waits): chained timers of at most `MAX_TIMER_MS`. `clear` cancels.
 */
function longTimeout(fire: () => void, ms: number): { clear(): void } {
  const due = Date.now() + ms;
  let timer: NodeJS.Timeout;
  const arm = (): void => {
    const left = due - Date.now();
    timer = left > MAX_TIMER_MS ? setTimeout(arm, MAX_TIMER_MS) : setTimeout(fire, Math.max(0, left));
  };
  arm();
  return { clear: () => clearTimeout(timer) };
}

export async function recordLive(options: RecordOptions): Promise<RecordedSymbol[]> {
  const log = options.log ?? (() => undefined);
  const warn = options.warn ?? log;
  const startTimeoutMs = Math.min(options.startTimeoutMs ?? 30_000, options.durationMs);
  const markets = options.markets ?? (await openLiveMarkets({ config: options.config, symbols: options.symbols, qualify: false, ...(options.marketCacheFile !== undefined ? { marketCacheFile: options.marketCacheFile } : {}), ...(options.factory !== undefined ? { factory: options.factory } : {}), log }));
  const several = markets.subscriptions.length > 1;
  const outExisted = existsSync(options.outDir);
  // Called when a symbol's first book arrives or it fails for good (the start waits on it).
  let wake = (): void => undefined;
  const runs = markets.subscriptions.map((sub) => {
    const dir = several ? join(options.outDir, `${sub.exchangeId}_${sub.marketId.toLowerCase()}`) : options.outDir;
    const existed = existsSync(dir);
    const instrument = markets.instruments.find((i) => i.symbol === sub.kernelSymbol);
    const name = `${sub.exchangeId} ${sub.ccxtSymbol}`;
    const writer = new RecordingWriter(
      dir,
      sub.marketId,
      { exchange: sub.exchangeId, ccxtSymbol: sub.ccxtSymbol, ...(instrument !== undefined ? { instrument: describeInstrument(instrument) } : {}) },
      undefined,
      { onWriteError: (error) => log(`${name}: writing the recording failed, kept for the next try: ${error instanceof Error ? error.message : String(error)}`) },
    );
    const run = { sub, dir, existed, writer, stream: undefined as unknown as CcxtBookStream, lastFailure: undefined as string | undefined, refused: undefined as string | undefined };
    run.stream = new CcxtBookStream(
      markets.exchanges.get(sub.exchangeId)!,
      sub.ccxtSymbol,
      {
        onBook: (view) => {
          const first = !writer.hasSnapshot;
          writer.onBook(view);
          if (first) wake();
        },
        onTrade: (trade) => writer.onTrade(trade),
        onInvalid: (cause, reason) => {
          run.lastFailure = `${cause}: ${reason}`;
          log(`${name}: ${cause}: ${reason}`);
          writer.onInvalid(cause, reason);
        },
        onState: (state, reason) => {
          if (state !== 'failed') return;
          run.refused = reason ?? 'the exchange refused the symbol';
          wake();
        },
      },
      {
        onRetry: (delayMs, reason) => {
          if (!writer.hasSnapshot) warn(`${name}: no order book yet (${reason}); retrying in ${delayMs} ms, for at most ${startTimeoutMs / 1_000} s from the start`);
        },
        ...(options.staleAfterMs !== undefined ? { staleAfterMs: options.staleAfterMs } : {}),
        ...(options.backoff !== undefined ? { backoff: options.backoff } : {}),
      },
    );
    return run;
  });
  const startedAt = Date.now();
  for (const r of runs) r.stream.start();
  const start = await new Promise<'started' | 'refused' | 'timeout' | 'aborted'>((resolve) => {
    const timer = longTimeout(() => resolve('timeout'), startTimeoutMs);
    const check = (): void => {
      const outcome = options.signal?.aborted === true ? 'aborted' : runs.some((r) => r.refused !== undefined) ? 'refused' : runs.every((r) => r.writer.hasSnapshot) ? 'started' : undefined;
      if (outcome === undefined) return;
      timer.clear();
      options.signal?.removeEventListener('abort', check);
      resolve(outcome);
    };
    wake = check;
    options.signal?.addEventListener('abort', check);
    check();
  });
  wake = () => undefined;
  if (start === 'started') {
    await new Promise<void>((resolve) => {
      const timer = longTimeout(resolve, Math.max(0, options.durationMs - (Date.now() - startedAt)));
      options.signal?.addEventListener('abort', () => {
        timer.clear();
        resolve();
      });
    });
  }
  for (const r of runs) await r.stream.stop();
  await markets.close();
  await Promise.race([Promise.all(runs.map((r) => r.stream.finished())), new Promise((resolve) => setTimeout(resolve, 2000))]);
  if (start === 'refused' || start === 'timeout') {
    // Nothing half-done: a recording that did not start leaves no files to mistake for one.
    for (const r of runs) {
      await r.writer.close();
      for (const file of RECORDING_FILES) rmSync(join(r.dir, file), { force: true });
      if (!r.existed) rmSync(r.dir, { recursive: true, force: true });
    }
    if (!outExisted) rmSync(options.outDir, { recursive: true, force: true });
    const missing = runs.filter((r) => r.refused !== undefined || !r.writer.hasSnapshot);
    const why = missing.map((r) => `${r.sub.exchangeId} ${r.sub.ccxtSymbol}: ${r.refused !== undefined ? `refused by the exchange (${r.refused})` : `no order book within ${startTimeoutMs / 1_000} s of the start (last failure: ${r.lastFailure ?? 'none: nothing was received'})`}`);
    throw new RecordStartError(`the recording did not start, nothing was written: ${why.join('; ')}`);
  }
  const out: RecordedSymbol[] = [];
  for (const r of runs) {
    await r.writer.close();
    const m = r.writer.meta;
    out.push({ dir: r.dir, symbol: r.sub.marketId, books: m.books, deltas: m.deltas, trades: m.trades, interruptions: m.interruptions.length, ok: r.writer.hasSnapshot, writer: r.writer });
  }
  return out;
}
