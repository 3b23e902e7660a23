/**
 * `papertrade record`: watches symbols live through ccxt for a while and writes each one as a
 * replay recording (see recording-writer.ts). One symbol: `outDir` is the recording; several:
 * one sub-directory per symbol, `<exchange>_<symbol>`.
 *
 * Guarantees: the same ccxt streams, gap/reconnect/stale handling as the live feed; a symbol that
 * never produced a book is reported as failed (its directory cannot be replayed).
 */
import { join } from 'node:path';
import type { Instrument } from '../../core/instruments/instrument.js';
import { formatFixed } from '../../core/money/fixed.js';
import type { BackoffOptions } from './backoff.js';
import { CcxtBookStream } from './ccxt-book-stream.js';
import type { ProExchangeFactory, ExchangeSettings } from './live-exchanges.js';
import { openLiveMarkets, type LiveMarkets } from './live-markets.js';
import { RecordingWriter } from './recording-writer.js';
import { extend } from '../../core/objects.js';

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
}

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

export async function recordLive(options: RecordOptions): Promise<RecordedSymbol[]> {
  const log = options.log ?? (() => undefined);
  const markets = options.markets ?? (await openLiveMarkets({ config: options.config, symbols: options.symbols, qualify: false, ...(options.marketCacheFile !== undefined ? { marketCacheFile: options.marketCacheFile } : {}), ...(options.factory !== undefined ? { factory: options.factory } : {}), log }));
  const several = markets.subscriptions.length > 1;
  const runs = markets.subscriptions.map((sub) => {
    const dir = several ? join(options.outDir, `${sub.exchangeId}_${sub.marketId.toLowerCase()}`) : options.outDir;
    const instrument = markets.instruments.find((i) => i.symbol === sub.kernelSymbol);
    const writer = new RecordingWriter(
      dir,
      sub.marketId,
      { exchange: sub.exchangeId, ccxtSymbol: sub.ccxtSymbol, ...(instrument !== undefined ? { instrument: describeInstrument(instrument) } : {}) },
      undefined,
      { onWriteError: (error) => log(`${sub.exchangeId} ${sub.ccxtSymbol}: writing the recording failed, kept for the next try: ${error instanceof Error ? error.message : String(error)}`) },
    );
    const stream = new CcxtBookStream(
      markets.exchanges.get(sub.exchangeId)!,
      sub.ccxtSymbol,
      {
        onBook: (view) => writer.onBook(view),
        onTrade: (trade) => writer.onTrade(trade),
        onInvalid: (cause, reason) => {
          log(`${sub.exchangeId} ${sub.ccxtSymbol}: ${cause}: ${reason}`);
          writer.onInvalid(cause, reason);
        },
      },
      extend(options.staleAfterMs !== undefined ? { staleAfterMs: options.staleAfterMs } : {}, options.backoff !== undefined ? { backoff: options.backoff } : {}),
    );
    return { sub, dir, writer, stream };
  });
  for (const r of runs) r.stream.start();
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, options.durationMs);
    options.signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  for (const r of runs) await r.stream.stop();
  await markets.close();
  await Promise.race([Promise.all(runs.map((r) => r.stream.finished())), new Promise((resolve) => setTimeout(resolve, 2000))]);
  const out: RecordedSymbol[] = [];
  for (const r of runs) {
    await r.writer.close();
    const m = r.writer.meta;
    out.push({ dir: r.dir, symbol: r.sub.marketId, books: m.books, deltas: m.deltas, trades: m.trades, interruptions: m.interruptions.length, ok: r.writer.hasSnapshot, writer: r.writer });
  }
  return out;
}
