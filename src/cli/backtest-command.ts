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
import { checkLeverage } from '../core/accounts/account-settings.js';
import { feeRateProblem, MAX_FEE_RATE } from '../core/instruments/fee-bounds.js';
import type { Instrument } from '../core/instruments/instrument.js';
import { formatFixed, parseFixed, type Fixed } from '../core/money/fixed.js';
import { readRecording, type Recording } from '../market-data/recording-reader.js';
import { DEFAULT_ENGINE_INSTRUMENTS } from '../library/paper-trading-engine.js';
import { recordingBacktestProblem, runBacktest, runRecordingBacktest, type BacktestOptions, type BacktestReport } from '../library/backtest.js';
import { BacktestRecorder, candlesOfRecording, renderBacktestHtml, renderMetricsTable, renderReportJson, type BacktestDetail } from '../library/backtest-report.js';
import type { EngineErrorEvent } from '../library/engine-events.js';
import { readCandlesFile, type Candle } from '../strategy/candles.js';
import { resolveStrategy, STRATEGIES } from '../strategy/strategy.js';
import { parseTactics } from '../strategy/tactics.js';
import '../strategy/builtin-strategies.js';

/** The ERROR codes of what the trade manager could not do, or did smaller, as the command lists them on stderr. */
const REFUSAL_CODES: readonly string[] = ['ENTRY_REDUCED', 'ENTRY_REFUSED', 'EXIT_DUST', 'EXIT_REFUSED'];

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
    .option('--symbol <symbol>', `instrument to trade the candles as (${DEFAULT_ENGINE_INSTRUMENTS.map((i) => i.symbol).join(', ')}); with --recording, the recording's`, 'BTCUSDT')
    .option('--out <dir>', 'write report.json and report.html (charts, metrics, trades) here')
    .option('--risk <percent>', 'max risk per trade, % of equity', '1')
    .option('--leverage <n>', 'leverage', '1')
    .option('--params <json>', 'strategy parameters as JSON')
    .option('--bar-inputs', 'each candle as one bar kernel input (ADR 0042; a resting limit fills only when a bar trades through it) instead of a book and a trade per path price')
    .addOption(new Option('--interval <ms>', 'candle interval for --recording').default('60000'))
    .action(async (flags: BacktestFlags, command: Command) => {
      const { report, detail } = await backtest(flags, command.getOptionValueSource('symbol') !== 'default');
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

/** `text` as a fixed-point decimal (core/money/fixed.ts), its refusal naming the option `name`. */
function decimalFlag(name: string, text: string, example: string): Fixed {
  if (!/^-?\d+(\.\d+)?$/.test(text)) throw new Error(`${name} must be a decimal number such as ${example}, got "${text}"`);
  try {
    return parseFixed(text);
  } catch (error) {
    throw new Error(`${name} ${text}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/**
 * The recording of --recording, read and checked whole (market-data/recording-reader.ts), and one
 * the backtest can trade (library/backtest.ts `recordingBacktestProblem`: a perpetual's); its
 * refusal naming the option, before --out is made.
 */
function recordingFlag(dir: string): Recording {
  let recording: Recording;
  try {
    recording = readRecording(dir);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(message.startsWith(dir) ? `--recording ${message}` : `--recording ${dir}: ${message}`);
  }
  const problem = recordingBacktestProblem(recording);
  if (problem !== undefined) throw new Error(`--recording ${dir}: ${problem}`);
  return recording;
}

/**
 * The instrument the backtest trades: --symbol, one of the engine's instruments, for candles (which
 * name no symbol); the recording's own symbol for --recording, which a --symbol given must match.
 * Throws naming the option, the value and what is accepted.
 */
function tradedInstrument(flags: BacktestFlags, symbolGiven: boolean, recording: Recording | undefined): Instrument {
  const offered = DEFAULT_ENGINE_INSTRUMENTS.map((i) => i.symbol).join(', ');
  if (recording !== undefined) {
    if (symbolGiven && flags.symbol !== recording.symbol) throw new Error(`--symbol ${flags.symbol}: the recording ${flags.recording} holds ${recording.symbol} only: give --symbol ${recording.symbol} or leave it out`);
    const instrument = DEFAULT_ENGINE_INSTRUMENTS.find((i) => i.symbol === recording.symbol);
    if (instrument === undefined) throw new Error(`--recording ${flags.recording} holds ${recording.symbol}, which the backtest does not trade: it trades ${offered}`);
    return instrument;
  }
  const instrument = DEFAULT_ENGINE_INSTRUMENTS.find((i) => i.symbol === flags.symbol);
  if (instrument === undefined) throw new Error(`--symbol ${flags.symbol}: the backtest trades the candles as one of ${offered} (Binance USDT-margined perpetuals)`);
  return instrument;
}

/** --fee-bps as one rate for maker and taker, within the bounds every account's fees are held to (core/instruments/fee-bounds.ts). */
function feeBpsFlag(text: string): void {
  const rate = decimalFlag('--fee-bps', text, '7.5') / 10_000n;
  if (feeRateProblem({ maker: rate, taker: rate }) !== undefined) throw new Error(`--fee-bps must be from 0 to ${formatFixed(MAX_FEE_RATE * 10_000n)} basis points (1 %), got "${text}"`);
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

/** The tactics set of --tactics, read and checked (strategy/tactics.ts), its refusal naming the option and the file. */
function tacticsFlag(path: string): unknown {
  const raw = tacticsFile(path);
  try {
    parseTactics(raw);
  } catch (error) {
    throw new Error(`--tactics ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  return raw;
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

/**
 * Every flag checked, each refusal naming the flag, the value and what is accepted; then the run.
 * `symbolGiven`: --symbol was on the command line (not its default), which a recording must match.
 */
async function backtest(flags: BacktestFlags, symbolGiven = false): Promise<{ report: BacktestReport; detail: BacktestDetail }> {
  if ((flags.candles === undefined) === (flags.recording === undefined)) throw new Error('give exactly one of --candles and --recording');
  // The library's own refusals name its fields (initialBalance, …), not the flags given here.
  if (decimalFlag('--balance', flags.balance, '10000') <= 0n) throw new Error(`--balance must be above 0, got "${flags.balance}"`);
  if (flags.feeBps !== undefined) feeBpsFlag(flags.feeBps);
  const risk = decimalFlag('--risk', flags.risk, '1');
  if (risk <= 0n || risk > parseFixed('100')) throw new Error(`--risk must be a percent above 0 and at most 100, got "${flags.risk}"`);
  wholeFlag('--leverage', flags.leverage, '5');
  wholeFlag('--interval', flags.interval, '60000');
  const strategyParams = flags.params !== undefined ? paramsFlag(flags.params) : undefined;
  const tactics = flags.tactics !== undefined ? tacticsFlag(flags.tactics) : undefined;
  const factory = await resolveStrategy(flags.strategy);
  const builtIn = STRATEGIES.has(flags.strategy);
  // A built-in strategy checks its parameters when made (and does nothing else then): made once
  // here, its refusal names the flag the parameters came from.
  if (builtIn && strategyParams !== undefined) {
    try {
      factory(strategyParams);
    } catch (error) {
      throw new Error(`--params ${flags.params}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  // The candles (or the recording) are read and checked whole before --out is made, so that data
  // refused leaves no directory behind; --out is made before the run, so that one that cannot be a
  // directory costs no run.
  const candles = flags.candles !== undefined ? candlesFlag(flags.candles) : undefined;
  const recording = flags.recording !== undefined ? recordingFlag(flags.recording) : undefined;
  const instrument = tradedInstrument(flags, symbolGiven, recording);
  const maxLeverage = instrument.maxLeverage ?? 1;
  if (!checkLeverage(Number(flags.leverage), maxLeverage).ok) throw new Error(`--leverage must be a whole number from 1 to ${maxLeverage} on ${instrument.symbol}, got "${flags.leverage}"`);
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
  // What the trade manager could not do (ADR 0069), by code in this order: the entries refused, then the
  // exits that left dust or were refused (a position left open), each said on stderr with its first.
  const refused = new Map<string, { count: number; first: EngineErrorEvent }>();
  const options: BacktestOptions = {
    onEvent: (event) => {
      recorder.observe(event);
      if (event.type === 'ERROR' && event.code === 'STRATEGY_FAILED') {
        failures.count += 1;
        failures.first ??= event;
      } else if (event.type === 'ERROR' && REFUSAL_CODES.includes(event.code)) {
        const seen = refused.get(event.code);
        if (seen === undefined) refused.set(event.code, { count: 1, first: event });
        else seen.count += 1;
      } else if (event.type === 'INPUT_REJECTED') {
        rejected.count += 1;
        rejected.first ??= event;
      }
    },
    strategy: builtIn ? flags.strategy : factory,
    ...(strategyParams !== undefined ? { strategyParams } : {}),
    ...(tactics !== undefined ? { tactics } : {}),
    symbol: instrument.symbol,
    balance: flags.balance,
    ...(flags.feeBps !== undefined ? { feeBps: flags.feeBps } : {}),
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
      report = runRecordingBacktest(recording!, options);
      detail = recorder.detail(candlesOfRecording(recording!, Number(flags.interval)));
    }
    if (failures.first !== undefined) {
      const first = failures.first;
      throw new Error(`the strategy failed on ${failures.count} candle${failures.count === 1 ? '' : 's'}, the first closing at ${new Date(first.at).toISOString()}: ${first.message}`);
    }
    if (rejected.first !== undefined) {
      throw new Error(`the engine refused the candles' market data ${rejected.count} time${rejected.count === 1 ? '' : 's'}, the first at ${new Date(rejected.first.at).toISOString()}: ${rejected.first.message}`);
    }
    if (refused.size > 0) bar?.stop();
    for (const code of REFUSAL_CODES) {
      const seen = refused.get(code);
      if (seen === undefined) continue;
      const entries = seen.count === 1 ? 'entry' : 'entries';
      const what = code === 'ENTRY_REDUCED' ? `${entries} reduced to the largest market order (ENTRY_REDUCED)` : code === 'ENTRY_REFUSED' ? `${entries} refused` : `${seen.count === 1 ? 'exit' : 'exits'} ${code === 'EXIT_DUST' ? 'left below the minimum (EXIT_DUST)' : 'refused (EXIT_REFUSED)'}`;
      process.stderr.write(`papertrade: ${seen.count} ${what}, the first at ${new Date(seen.first.at).toISOString()}: ${seen.first.message}\n`);
    }
    return { report: builtIn ? report : { ...report, strategy: flags.strategy }, detail };
  } finally {
    bar?.stop();
  }
}
