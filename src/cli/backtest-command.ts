/**
 * `papertrade backtest`: a strategy over candles (or a recording) through the same kernel and
 * code path as live trading. Progress bar on a terminal; at the end a metrics table on stdout,
 * and in --out: report.json and report.html (one self-contained page: price candles with the
 * entries and exits, equity, drawdown, metrics and trades; opens offline from disk).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SingleBar, Presets } from 'cli-progress';
import { Option, type Command } from 'commander';
import { readRecording } from '../market-data/recording-reader.js';
import { runBacktest, runRecordingBacktest, type BacktestOptions, type BacktestReport } from '../library/backtest.js';
import { BacktestRecorder, candlesOfRecording, renderBacktestHtml, renderMetricsTable, renderReportJson, type BacktestDetail } from '../library/backtest-report.js';
import type { EngineErrorEvent } from '../library/engine-events.js';
import { readCandlesFile, type Candle } from '../strategy/candles.js';
import { resolveStrategy, STRATEGIES } from '../strategy/strategy.js';
import '../strategy/builtin-strategies.js';

interface BacktestFlags {
  readonly strategy: string;
  readonly candles?: string;
  readonly recording?: string;
  readonly tactics?: string;
  readonly balance: string;
  readonly feeBps?: string;
  readonly symbol: string;
  readonly out?: string;
  readonly risk: string;
  readonly leverage: string;
  readonly interval: string;
  readonly params?: string;
  readonly barInputs?: boolean;
}

export function registerBacktestCommand(program: Command): void {
  program
    .command('backtest')
    .description('Run a strategy with a tactics set over candles or a recording, through the paper engine')
    .requiredOption('--strategy <name|path>', `built-in (${[...STRATEGIES.keys()].join(', ')}) or a .ts/.js module`)
    .option('--candles <file>', 'candle CSV: open_time_ms,open,high,low,close,volume')
    .option('--recording <dir>', 'a perpetual recording directory (tick-level fills against the recorded book)')
    .option('--tactics <file>', 'tactics set JSON (default: 2 % stop, targets at 2 % and 4 %, break-even)')
    .option('--balance <usdt>', 'initial balance', '10000')
    .option('--fee-bps <n>', 'maker and taker fee in basis points (default: the instrument\'s)')
    .option('--symbol <symbol>', 'instrument to trade the candles as', 'BTCUSDT')
    .option('--out <dir>', 'write report.json and report.html (charts, metrics, trades) here')
    .option('--risk <percent>', 'max risk per trade, % of equity', '1')
    .option('--leverage <n>', 'leverage', '1')
    .option('--params <json>', 'strategy parameters as JSON')
    .option('--bar-inputs', 'each candle as one bar kernel input (ADR 0042; a resting limit fills only when a bar trades through it) instead of a book and a trade per path price')
    .addOption(new Option('--interval <ms>', 'candle interval for --recording').default('60000'))
    .action(async (flags: BacktestFlags) => {
      const { report, detail } = await backtest(flags);
      process.stdout.write(`${renderMetricsTable(report)}\n`);
      if (flags.out !== undefined) {
        writeFileSync(join(flags.out, 'report.json'), renderReportJson(report));
        writeFileSync(join(flags.out, 'report.html'), renderBacktestHtml(report, detail));
        process.stdout.write(`report: ${join(flags.out, 'report.json')}\nreport page: ${join(flags.out, 'report.html')}\n`);
      }
    });
}

function outDirectory(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (error) {
    throw new Error(`--out ${dir}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** The candle file of --candles, read and checked whole (strategy/candles.ts), its refusal naming the option. */
function candlesFlag(path: string): Candle[] {
  try {
    return readCandlesFile(path);
  } catch (error) {
    throw new Error(`--candles ${error instanceof Error ? error.message : String(error)}`);
  }
}

function decimalFlag(name: string, text: string, example: string): string {
  if (!/^-?\d+(\.\d+)?$/.test(text)) throw new Error(`${name} must be a decimal number such as ${example}, got "${text}"`);
  return text;
}

function wholeFlag(name: string, text: string, example: string): string {
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text)) || Number(text) < 1) throw new Error(`${name} must be a whole number from 1 such as ${example}, got "${text}"`);
  return text;
}

function paramsFlag(text: string): Record<string, unknown> {
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch (error) {
    throw new Error(`--params must be a JSON object such as {"period":14}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function tacticsFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`--tactics ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new Error(`--tactics ${path}: not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
}

async function backtest(flags: BacktestFlags): Promise<{ report: BacktestReport; detail: BacktestDetail }> {
  if ((flags.candles === undefined) === (flags.recording === undefined)) throw new Error('give exactly one of --candles and --recording');
  // The library's own refusals name its fields (initialBalance, …), not the flags given here.
  decimalFlag('--balance', flags.balance, '10000');
  if (flags.feeBps !== undefined) decimalFlag('--fee-bps', flags.feeBps, '7.5');
  decimalFlag('--risk', flags.risk, '1');
  wholeFlag('--leverage', flags.leverage, '5');
  wholeFlag('--interval', flags.interval, '60000');
  const strategyParams = flags.params !== undefined ? paramsFlag(flags.params) : undefined;
  const factory = await resolveStrategy(flags.strategy);
  const builtIn = STRATEGIES.has(flags.strategy);
  // The candles are read and checked whole before --out is made, so that a file refused leaves no
  // directory behind; --out is made before the run, so that one that cannot be a directory costs no run.
  const candles = flags.candles !== undefined ? candlesFlag(flags.candles) : undefined;
  if (flags.out !== undefined) outDirectory(flags.out);
  const bar = process.stderr.isTTY ? new SingleBar({ format: 'backtest [{bar}] {percentage}% | {value}/{total}', hideCursor: true }, Presets.shades_classic) : undefined;
  let started = false;
  const recorder = new BacktestRecorder();
  // The engine reports a strategy that throws (or answers no signal it knows) and goes on, as it
  // must live; a backtest of such a strategy measures nothing, so the command fails with it.
  const failures = { count: 0, first: undefined as EngineErrorEvent | undefined };
  // Market data the kernel refused (a price a book cannot hold) leaves the backtest on an older
  // book: it fails too. Entries refused (a stop rounding to nothing, margin) are the run's own
  // outcome: said on stderr, so that a run without trades says why.
  const rejected = { count: 0, first: undefined as { at: number; message: string } | undefined };
  const refused = { count: 0, first: undefined as EngineErrorEvent | undefined };
  const options: BacktestOptions = {
    onEvent: (event) => {
      recorder.observe(event);
      if (event.type === 'ERROR' && event.code === 'STRATEGY_FAILED') {
        failures.count += 1;
        failures.first ??= event;
      } else if (event.type === 'ERROR' && event.code === 'ENTRY_REFUSED') {
        refused.count += 1;
        refused.first ??= event;
      } else if (event.type === 'INPUT_REJECTED') {
        rejected.count += 1;
        rejected.first ??= event;
      }
    },
    strategy: builtIn ? flags.strategy : factory,
    ...(strategyParams !== undefined ? { strategyParams } : {}),
    ...(flags.tactics !== undefined ? { tactics: tacticsFile(flags.tactics) } : {}),
    symbol: flags.symbol,
    balance: flags.balance,
    ...(flags.feeBps !== undefined ? { feeBps: Number(flags.feeBps) } : {}),
    maxRiskPerTrade: flags.risk,
    leverage: Number(flags.leverage),
    candleIntervalMs: Number(flags.interval),
    ...(flags.barInputs === true ? { barInputs: true } : {}),
    onProgress: (done, total) => {
      if (bar === undefined) return;
      if (!started) {
        bar.start(total, 0);
        started = true;
      }
      bar.update(done);
    },
  };
  try {
    let report: BacktestReport;
    let detail: BacktestDetail;
    if (candles !== undefined) {
      report = runBacktest(candles, options);
      detail = recorder.detail(candles);
    } else {
      const recording = readRecording(flags.recording!);
      report = runRecordingBacktest(recording, options);
      detail = recorder.detail(candlesOfRecording(recording, Number(flags.interval)));
    }
    if (failures.first !== undefined) {
      const first = failures.first;
      throw new Error(`the strategy failed on ${failures.count} candle${failures.count === 1 ? '' : 's'}, the first closing at ${new Date(first.at).toISOString()}: ${first.message}`);
    }
    if (rejected.first !== undefined) {
      throw new Error(`the engine refused the candles' market data ${rejected.count} time${rejected.count === 1 ? '' : 's'}, the first at ${new Date(rejected.first.at).toISOString()}: ${rejected.first.message}`);
    }
    if (refused.first !== undefined) {
      bar?.stop();
      process.stderr.write(`papertrade: ${refused.count} ${refused.count === 1 ? 'entry' : 'entries'} refused, the first at ${new Date(refused.first.at).toISOString()}: ${refused.first.message}\n`);
    }
    return { report: builtIn ? report : { ...report, strategy: flags.strategy }, detail };
  } finally {
    bar?.stop();
  }
}
