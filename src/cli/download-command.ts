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

/** `2024-08-08`, `2024-08-08T23:54:00Z` or Unix ms. */
export function parseTime(text: string, flag: string): number {
  const ms = /^\d+$/.test(text) ? Number(text) : Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00Z` : text);
  if (!Number.isSafeInteger(ms) || ms < 0) throw new Error(`${flag}: expected a date (2024-08-08, 2024-08-08T12:00:00Z) or Unix ms, got "${text}"`);
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
      const id = flags.exchange.toLowerCase();
      const upper = id.toUpperCase();
      const urls = jsonEnv([`EXCHANGE_URLS_${upper}`, 'EXCHANGE_URLS']);
      const options = jsonEnv([`EXCHANGE_OPTIONS_${upper}`, 'EXCHANGE_OPTIONS']);
      const since = parseTime(flags.since, '--since');
      const until = flags.until !== undefined ? parseTime(flags.until, '--until') : undefined;
      if (until !== undefined && until <= since) throw new Error('--until must be after --since');
      const limit = flags.limit !== undefined ? Number(flags.limit) : undefined;
      if (limit !== undefined && (!Number.isSafeInteger(limit) || limit <= 0)) throw new Error('--limit must be a positive whole number');
      // ccxt loads with these, once the flags are checked, not for `--help` or a usage error (docs/adr/0059).
      const [{ resolveMarket }, { createRestExchange, downloadCandles, downloadTrades }] = await Promise.all([import('../market-data/live/live-exchanges.js'), import('./download-command-fetch.js')]);
      const exchange = createRestExchange({ exchange: id, ...(urls !== undefined ? { urls } : {}), ...(options !== undefined ? { options } : {}) });
      await exchange.loadMarkets();
      const market = resolveMarket(exchange, flags.symbol);
      const marketId = String(market.id).replace(/[/_:-]/g, '').toUpperCase();
      const bar = progressBar(flags.trades === true ? 'trades' : 'candles');
      try {
        if (flags.trades === true) {
          const dir = flags.out ?? `${id}_${marketId}_trades`;
          mkdirSync(dir, { recursive: true });
          const { written } = await downloadTrades(exchange, { symbol: market.symbol, since, ...(until !== undefined ? { until } : {}), out: join(dir, 'trades.csv'), ...(limit !== undefined ? { limit } : {}), onProgress: bar.update });
          writeDownloadMeta(dir, { exchange: id, symbol: marketId, ccxtSymbol: market.symbol, market: market.spot === true ? 'spot' : 'perpetual' });
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

/** `recording.json` of a trades-only recording: what the directory holds (no depth files). */
function writeDownloadMeta(dir: string, meta: { exchange: string; symbol: string; ccxtSymbol: string; market: 'spot' | 'perpetual' }): void {
  const path = join(dir, 'recording.json');
  const existing = existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>) : {};
  writeFileSync(path, `${JSON.stringify({ ...existing, source: 'download', ...meta }, null, 2)}\n`);
}
