/**
 * `papertrade download`: candles (or, with --trades, the trade tape) of any ccxt exchange into the
 * files `papertrade backtest --candles` and `papertrade replay`/`backtest --recording` read.
 * Resumable: run the same command again after an interruption and it continues after the last
 * complete line. EXCHANGE_URLS / EXCHANGE_OPTIONS (or their _<ID> forms) are merged into the ccxt
 * client, so a local stand-in of the exchange can be used. Progress bar on a terminal (stderr).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Presets, SingleBar } from 'cli-progress';
import { parse as parseDotenv } from 'dotenv';
import type { Command } from 'commander';
import type { Progress } from './download-command-fetch.js';
import { checkCandlesOut, checkRecordingMeta, checkTradesOut, checkWorkingDirectory } from './download-files.js';
import { extend } from '../core/objects.js';
import { unixMsProblem } from '../strategy/candles.js';

interface DownloadFlags {
  readonly exchange: string;
  readonly symbol: string;
  readonly timeframe: string;
  readonly since: string;
  readonly until?: string;
  readonly out?: string;
  readonly trades?: boolean;
  readonly limit?: string;
}

/**
 * `2024-08-08` (UTC midnight), `2024-08-08T23:54`, `2024-08-08T23:54:00Z` or with an offset
 * (`+02:00`); a time without Z or an offset is UTC as the date alone is, not the machine's local
 * time. Or Unix ms from 1973-03-03 on: a number below is refused as looking like Unix seconds
 * (strategy/candles.ts `unixMsProblem`). Throws naming `flag`.
 */
export function parseTime(text: string, flag: string): number {
  if (/^\d+$/.test(text)) {
    const ms = Number(text);
    const problem = unixMsProblem(ms, flag);
    if (problem !== undefined) throw new Error(problem);
    return ms;
  }
  // Unix ms count from 1970: `-5` is a number of the wrong sign, not a date of the wrong shape.
  if (/^-\d+$/.test(text)) throw new Error(`${flag} must be a date or Unix ms of 0 or more, got "${text}"`);
  const usage = `${flag}: expected a date (2024-08-08, 2024-08-08T12:00:00Z) or Unix ms, got "${text}"`;
  const iso = /^(\d{4}-\d{2}-\d{2})(?:T(\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?)(Z|[+-]\d{2}:\d{2})?)?$/.exec(text);
  if (iso === null) throw new Error(usage);
  const [, day, time, zone] = iso as unknown as [string, string, string | undefined, string | undefined];
  const ms = Date.parse(`${day}T${time ?? '00:00'}${zone ?? 'Z'}`);
  if (!Number.isSafeInteger(ms) || ms < 0) throw new Error(usage);
  // Date.parse takes 2024-02-30 for 2024-03-01: the day must be one of its month's.
  if (new Date(Date.parse(`${day}T00:00Z`)).toISOString().slice(0, 10) !== day) throw new Error(`${flag}: ${day} is not a day of the calendar`);
  return ms;
}

/** A variable from the environment, else from `.env` in the working directory (as `serve` reads them). */
function envVar(name: string): string | undefined {
  if (process.env[name] !== undefined) return process.env[name];
  if (!existsSync('.env')) return undefined;
  return parseDotenv(readFileSync('.env', 'utf8'))[name];
}

function jsonEnv(names: readonly string[]): Record<string, unknown> | undefined {
  for (const name of names) {
    const value = envVar(name);
    if (value === undefined || value.trim() === '') continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      throw new Error(`${name}: not JSON`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error(`${name}: must be a JSON object`);
    return parsed as Record<string, unknown>;
  }
  return undefined;
}

function progressBar(label: string): { update: Progress; stop: () => void } {
  if (!process.stderr.isTTY) return { update: () => {}, stop: () => {} };
  const bar = new SingleBar({ format: `${label} [{bar}] {percentage}% | {rows} rows`, hideCursor: true, stream: process.stderr }, Presets.shades_classic);
  let started = false;
  return {
    update: (done, total, rows) => {
      if (!started) {
        bar.start(total, 0, { rows: 0 });
        started = true;
      }
      bar.setTotal(total);
      bar.update(done, { rows });
    },
    stop: () => {
      if (started) bar.stop();
    },
  };
}

export function registerDownloadCommand(program: Command): void {
  program
    .command('download')
    .description('Download candles (or the trade tape, --trades) from an exchange through ccxt, resumably')
    .option('--exchange <id>', 'ccxt exchange id', 'binance')
    .requiredOption('--symbol <symbol>', 'BTC/USDT, BTC/USDT:USDT or the exchange\'s id (BTCUSDT)')
    .option('--timeframe <tf>', 'candle timeframe', '1m')
    .requiredOption('--since <time>', 'start: 2024-08-08, 2024-08-08T12:00:00Z or Unix ms')
    .option('--until <time>', 'end (exclusive; default: now)')
    .option('--out <path>', 'candle CSV (default <exchange>_<SYMBOL>_<tf>.csv); with --trades a recording directory')
    .option('--trades', 'download the trade tape into a recording directory (trades.csv) instead of candles')
    .option('--limit <n>', 'rows per request (default: the exchange\'s)')
    .action(async (flags: DownloadFlags) => {
      // Every flag is checked before ccxt loads and before the exchange is asked anything: a flag
      // refused must not wait for (or fail on) the network first.
      const id = flags.exchange.toLowerCase();
      const upper = id.toUpperCase();
      const urls = jsonEnv([`EXCHANGE_URLS_${upper}`, 'EXCHANGE_URLS']);
      const options = jsonEnv([`EXCHANGE_OPTIONS_${upper}`, 'EXCHANGE_OPTIONS']);
      const since = parseTime(flags.since, '--since');
      if (since > Date.now()) throw new Error(`--since ${flags.since} is in the future: there is nothing to download yet`);
      const until = flags.until !== undefined ? parseTime(flags.until, '--until') : undefined;
      if (until !== undefined && until <= since) throw new Error('--until must be after --since');
      const limit = flags.limit !== undefined ? Number(flags.limit) : undefined;
      if (limit !== undefined && (!/^\d+$/.test(flags.limit!) || !Number.isSafeInteger(limit) || limit <= 0)) throw new Error(`--limit must be a positive whole number, got "${flags.limit}"`);
      if (flags.symbol.trim() === '') throw new Error('--symbol needs a symbol, e.g. BTC/USDT');
      // Without --out the file (directory) is named after the market, in the working directory.
      if (flags.out === undefined) checkWorkingDirectory();
      const last = flags.out === undefined ? undefined : flags.trades === true ? checkTradesOut(flags.out) : checkCandlesOut(flags.out);
      // What the recording directory already says it holds is read, and refused if it cannot be
      // added to, before any request: not parsed after the download, to fail once the tape is written.
      if (flags.out !== undefined && flags.trades === true) checkRecordingMeta(flags.out, { exchange: id, symbol: flags.symbol });
      // ccxt loads with these, once the flags are checked, not for `--help` or a usage error (docs/adr/0059).
      const [{ resolveMarket }, { candlesResumeHole, createRestExchange, downloadCandles, downloadTrades, tradesResumeHole }] = await Promise.all([import('../market-data/live/live-exchanges.js'), import('./download-command-fetch.js')]);
      // Built without a request: what the exchange offers is in ccxt's description of it.
      const exchange = createRestExchange({ exchange: id, ...(urls !== undefined ? { urls } : {}), ...(options !== undefined ? { options } : {}) });
      if (flags.trades === true) {
        if (exchange.has.fetchTrades !== true) throw new Error(`--exchange ${id} does not offer the trade tape (fetchTrades) through ccxt`);
        const hole = flags.out !== undefined ? tradesResumeHole(join(flags.out, 'trades.csv'), last, since) : undefined;
        if (hole !== undefined) throw new Error(hole);
      } else {
        if (exchange.has.fetchOHLCV !== true) throw new Error(`--exchange ${id} does not offer candles (fetchOHLCV) through ccxt`);
        const offered = Object.keys(exchange.timeframes ?? {});
        if (!offered.includes(flags.timeframe)) throw new Error(`--timeframe ${flags.timeframe}: ${id} offers ${offered.join(', ')}`);
        const hole = flags.out !== undefined ? candlesResumeHole(flags.out, last, since, exchange.parseTimeframe(flags.timeframe) * 1_000) : undefined;
        if (hole !== undefined) throw new Error(hole);
      }
      await exchange.loadMarkets();
      const market = resolveMarket(exchange, flags.symbol);
      const marketId = String(market.id).replace(/[/_:-]/g, '').toUpperCase();
      const bar = progressBar(flags.trades === true ? 'trades' : 'candles');
      try {
        if (flags.trades === true) {
          const dir = flags.out ?? `${id}_${marketId}_trades`;
          const kind = market.spot === true ? 'spot' : 'perpetual';
          // Named after the market, the default directory is known only now: its files are checked as
          // --out's were, still before the first request for trades. The market's type is known now too.
          if (flags.out === undefined) {
            const hole = tradesResumeHole(join(dir, 'trades.csv'), checkTradesOut(dir, 'the directory'), since);
            if (hole !== undefined) throw new Error(hole);
          }
          const existing = checkRecordingMeta(dir, { exchange: id, symbol: marketId, market: kind }, flags.out !== undefined ? '--out' : 'the directory');
          mkdirSync(dir, { recursive: true });
          const { written } = await downloadTrades(exchange, { symbol: market.symbol, since, ...(until !== undefined ? { until } : {}), out: join(dir, 'trades.csv'), ...(limit !== undefined ? { limit } : {}), onProgress: bar.update });
          writeDownloadMeta(dir, existing, { exchange: id, symbol: marketId, ccxtSymbol: market.symbol, market: kind });
          bar.stop();
          process.stdout.write(`${join(dir, 'trades.csv')}: ${written} trades written\n`);
        } else {
          const out = flags.out ?? `${id}_${marketId}_${flags.timeframe}.csv`;
          const { written, resumedAfter } = await downloadCandles(exchange, { symbol: market.symbol, timeframe: flags.timeframe, since, ...(until !== undefined ? { until } : {}), out, ...(limit !== undefined ? { limit } : {}), onProgress: bar.update });
          bar.stop();
          const resumed = resumedAfter !== undefined ? ` (resumed after ${new Date(resumedAfter).toISOString()})` : '';
          process.stdout.write(`${out}: ${written} candles written${resumed}\n`);
        }
      } finally {
        bar.stop();
        await exchange.close?.();
      }
    });
}

/**
 * `recording.json` of a trades-only recording: what the directory holds (no depth files), merged
 * into `existing`, the object the file held when it was checked before the download (checkRecordingMeta).
 */
function writeDownloadMeta(dir: string, existing: Record<string, unknown> | undefined, meta: { exchange: string; symbol: string; ccxtSymbol: string; market: 'spot' | 'perpetual' }): void {
  const path = join(dir, 'recording.json');
  writeFileSync(path, `${JSON.stringify(extend(existing, { source: 'download', exchange: meta.exchange, symbol: meta.symbol, ccxtSymbol: meta.ccxtSymbol, market: meta.market }), null, 2)}\n`);
}
