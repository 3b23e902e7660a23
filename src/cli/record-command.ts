/**
 * `papertrade record --exchange E --symbols S --minutes N --out DIR`: records live market data
 * through ccxt into the replay format, so `papertrade replay --recording DIR` can use it.
 */
import type { Command } from 'commander';
import { checkDirectoryOut, checkNoRecording } from './download-files.js';
import type { ProExchangeFactory } from '../market-data/live/live-exchanges.js';
import type { RecordedSymbol } from '../market-data/live/recorder.js';

export interface RecordCommandOptions {
  readonly exchange: string;
  readonly symbols: string;
  readonly minutes: string;
  readonly out: string;
  readonly marketCache?: string;
  /** JSON object deep-merged into the ccxt client's `urls` (e.g. a local server). */
  readonly exchangeUrls?: string;
  /** JSON object of ccxt constructor options. */
  readonly exchangeOptions?: string;
  /** Seconds every symbol may take to deliver its first order book (default 30). */
  readonly startTimeout?: string;
}

/** What the command runs with besides its flags (tests give other ones). */
export interface RecordCommandDeps {
  /** Where retries before the first book are said (default: stderr). */
  readonly warn?: (line: string) => void;
  readonly factory?: ProExchangeFactory;
}

function jsonObject(text: string | undefined, flag: string): Record<string, unknown> {
  if (text === undefined) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`${flag} must be a JSON object`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error(`${flag} must be a JSON object`);
  return parsed as Record<string, unknown>;
}

export async function runRecordCommand(opts: RecordCommandOptions, print: (line: string) => void, signal?: AbortSignal, deps: RecordCommandDeps = {}): Promise<RecordedSymbol[]> {
  if (!/^\d+(\.\d+)?$/.test(opts.minutes) || Number(opts.minutes) <= 0) throw new Error(`--minutes must be a positive number, got "${opts.minutes}"`);
  const startTimeout = opts.startTimeout ?? '30';
  if (!/^\d+(\.\d+)?$/.test(startTimeout) || Number(startTimeout) <= 0) throw new Error(`--start-timeout must be a positive number of seconds, got "${startTimeout}"`);
  const symbols = opts.symbols.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (symbols.length === 0) throw new Error('--symbols needs at least one symbol, e.g. BTCUSDT or binance:BTC/USDT');
  const exchange = opts.exchange.toLowerCase();
  const durationMs = Math.round(Number(opts.minutes) * 60_000);
  const exchangeUrls = jsonObject(opts.exchangeUrls ?? process.env.EXCHANGE_URLS, '--exchange-urls');
  const exchangeOptions = jsonObject(opts.exchangeOptions ?? process.env.EXCHANGE_OPTIONS, '--exchange-options');
  // Checked before ccxt loads and the exchange is asked anything: a recording it could not write
  // must not wait for the network first.
  checkDirectoryOut(opts.out, '--out', 'the recording directory (several symbols: one sub-directory each)');
  // Hours of recorded market data are not written over (nor removed by a start that fails). One
  // symbol is recorded in --out itself, several in a sub-directory each (market-data/live/recorder.ts).
  checkNoRecording(opts.out, '--out', symbols.length > 1);
  print(`Recording ${symbols.join(', ')} on ${exchange} for ${opts.minutes} min into ${opts.out} …`);
  // ccxt loads with the recorder, once the flags are checked (docs/adr/0059).
  const { recordLive } = await import('../market-data/live/recorder.js');
  const results = await recordLive({
    config: { exchange, exchangeUrls, exchangeOptions },
    symbols,
    durationMs,
    outDir: opts.out,
    ...(opts.marketCache !== undefined ? { marketCacheFile: opts.marketCache } : {}),
    log: (line) => print(`  ${line}`),
    warn: deps.warn ?? ((line) => process.stderr.write(`papertrade: ${line}\n`)),
    startTimeoutMs: Math.round(Number(startTimeout) * 1_000),
    ...(deps.factory !== undefined ? { factory: deps.factory } : {}),
    ...(signal !== undefined ? { signal } : {}),
  });
  for (const r of results) {
    print(`${r.ok ? 'recorded' : 'FAILED (no order book received)'} ${r.symbol} → ${r.dir}: ${r.deltas} depth updates, ${r.trades} trades, ${r.interruptions} interruption(s)`);
  }
  if (results.some((r) => !r.ok)) throw new Error('some symbols produced no order book; their directories cannot be replayed');
  return results;
}

export function registerRecordCommand(program: Command): void {
  program
    .command('record')
    .description('Record live order books and trades through ccxt in the replay format (depth_snapshot.json, depth_updates.jsonl.gz, trades.csv.gz).')
    .requiredOption('--symbols <list>', 'comma-separated symbols: BTCUSDT, BTC/USDT or exchange-qualified binance:BTC/USDT')
    .requiredOption('--out <dir>', 'recording directory, new or holding no recording yet (several symbols: one sub-directory each)')
    .option('--exchange <id>', 'ccxt exchange id for unqualified symbols', 'mexc')
    .option('--minutes <n>', 'how long to record', '5')
    .option('--market-cache <file>', 'cache ccxt markets (instrument specs) in this JSON file')
    .option('--exchange-urls <json>', 'JSON deep-merged into the ccxt client urls (default: EXCHANGE_URLS)')
    .option('--exchange-options <json>', 'JSON ccxt constructor options (default: EXCHANGE_OPTIONS)')
    .option('--start-timeout <seconds>', 'how long each symbol may take to deliver its first order book (retries said on stderr); past it the command fails, leaving nothing written', '30')
    .action(async (opts: RecordCommandOptions) => {
      const controller = new AbortController();
      const onSigint = () => controller.abort();
      process.once('SIGINT', onSigint);
      try {
        await runRecordCommand(opts, (line) => process.stdout.write(`${line}\n`), controller.signal);
      } finally {
        process.off('SIGINT', onSigint);
      }
    });
}
