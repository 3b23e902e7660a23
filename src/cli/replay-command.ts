/**
 * `papertrade replay` (the JSON-lines contract) and `papertrade demo` (a readable replay of the
 * bundled recording with a small order script).
 */
import { createWriteStream, existsSync, openSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import type { KernelEvent } from '../core/kernel/events.js';
import { parseBalances, parseOrders, readOrdersFile, readOrdersText } from '../market-data/orders-file.js';
import { readRecording, type Recording } from '../market-data/recording-reader.js';
import { instrumentForRecording, runReplay } from '../market-data/replay-session.js';
import { checkLeverage, parseBalanceSettings } from '../core/accounts/account-settings.js';
import { fundingRateProblem } from '../core/accounts/funding-rate-bound.js';
import { parseFixed } from '../core/money/fixed.js';
import { DEFAULT_TRADES_ONLY_MODEL, tradesOnlyLabel, tradesOnlyModelProblem, type TradesOnlyModel } from '../market-data/trades-only-book.js';

const DATA_DIR = fileURLToPath(new URL('../../data/', import.meta.url));
export const BUNDLED_RECORDING_DIR = `${DATA_DIR}recordings/binance_spot_btcusdt_20240808T2354Z`;
export const DEMO_ORDERS_FILE = `${DATA_DIR}demo-orders.jsonl`;
export const DEFAULT_BALANCES = 'USDT=100000,BTC=2';

/** Events that concern an account (the replay output); market-state events are left out. */
export function isAccountEvent(event: KernelEvent): boolean {
  return 'account' in event;
}

function parseLatency(text: string): number {
  if (!/^\d+$/.test(text)) throw new Error(`--latency-ms must be a whole number of milliseconds, got "${text}"`);
  return Number(text);
}

/** `--balances` read by `parseBalances`, its refusal naming the flag as the other flags' do. */
function balancesFlag(text: string): Record<string, string> {
  try {
    return parseBalances(text);
  } catch (error) {
    throw new Error(`--balances: ${error instanceof Error ? error.message.replace(/^balances: /, '') : String(error)}`);
  }
}

function openOutFile(path: string): number {
  try {
    return openSync(path, 'w');
  } catch (error) {
    throw new Error(`--out ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/**
 * The balances every account of the replay opens with, checked as the kernel checks them: a bad
 * value is a usage error here, not an account refused and every order of it refused after it.
 * A perpetual recording opens futures accounts, which hold the settlement asset only: the default
 * balances keep theirs.
 */
function accountBalances(recording: Recording, exchange: string, given: Record<string, string>, isDefault: boolean): Record<string, string> {
  let balances = given;
  if (recording.market === 'perpetual') {
    const settle = instrumentForRecording(recording, exchange).quote;
    if (isDefault) balances = Object.hasOwn(given, settle) ? { [settle]: given[settle]! } : {};
    else if (Object.keys(given).some((asset) => asset !== settle)) {
      throw new Error(`--balances: a perpetual recording opens futures accounts, which hold ${settle} only (e.g. --balances ${settle}=10000)`);
    }
  }
  const checked = parseBalanceSettings(balances);
  if (!checked.ok) throw new Error(`--balances: ${checked.error.message}`);
  return balances;
}

export function registerReplayCommands(program: Command): void {
  program
    .command('replay')
    .description('Replay a recording with an orders file; prints one JSON event per line.')
    .requiredOption('--recording <dir>', 'recording directory (depth_snapshot.json, depth_updates.jsonl[.gz], trades.csv[.gz])')
    .requiredOption('--orders <file>', 'JSON lines, one command each, in time order')
    .option('--balances <list>', 'starting balances of every account (perpetuals: the settlement asset alone, e.g. USDT=10000; by default the USDT below)', DEFAULT_BALANCES)
    .option('--latency-ms <n>', 'delay from submission to arrival at the venue, in event time', '0')
    .option('--exchange <name>', 'whose instrument rules apply', 'binance')
    .option('--funding-rate <rate>', 'perpetuals: funding rate applied at 00:00, 08:00 and 16:00 UTC (e.g. 0.0001)')
    .option('--leverage <n>', 'perpetuals: starting leverage of every account', '1')
    .option('--out <file>', 'write events here instead of stdout')
    .option('--spread-bps <bp>', 'trades-only recordings: spread of the quote derived from each print, in basis points', DEFAULT_TRADES_ONLY_MODEL.spreadBps)
    .option('--slippage-bps <bp>', 'trades-only recordings: slippage added on each side of that quote, in basis points', DEFAULT_TRADES_ONLY_MODEL.slippageBps)
    .action(async (opts: { recording: string; orders: string; balances: string; latencyMs: string; exchange: string; fundingRate?: string; leverage: string; out?: string; spreadBps: string; slippageBps: string }, command: Command) => {
      // Everything that does not depend on the recording is checked before it is read (a large one
      // takes seconds): the flags, and the orders file but for the symbol its lines name.
      const given = balancesFlag(opts.balances);
      const latencyMs = parseLatency(opts.latencyMs);
      const tradesOnly: TradesOnlyModel = { spreadBps: opts.spreadBps, slippageBps: opts.slippageBps };
      const modelProblem = tradesOnlyModelProblem(tradesOnly);
      if (modelProblem !== undefined) throw new Error(`--spread-bps/--slippage-bps: ${modelProblem}`);
      if (opts.fundingRate !== undefined) {
        if (!/^-?\d+(\.\d+)?$/.test(opts.fundingRate)) throw new Error(`--funding-rate must be a decimal such as 0.0001, got "${opts.fundingRate}"`);
        const beyond = fundingRateProblem(parseFixed(opts.fundingRate));
        if (beyond !== undefined) throw new Error(`--funding-rate: ${beyond}`);
      }
      if (!/^\d+$/.test(opts.leverage) || Number(opts.leverage) < 1) throw new Error(`--leverage must be a whole number ≥ 1, got "${opts.leverage}"`);
      const ordersText = readOrdersText(opts.orders);
      parseOrders(ordersText, undefined, opts.orders);
      const recording = readRecording(opts.recording);
      const balances = accountBalances(recording, opts.exchange, given, command.getOptionValueSource('balances') === 'default');
      const commands = parseOrders(ordersText, [recording.symbol], opts.orders);
      if (recording.market === 'perpetual') {
        const instrument = instrumentForRecording(recording, opts.exchange);
        if (!checkLeverage(Number(opts.leverage), instrument.maxLeverage ?? 1).ok) throw new Error(`--leverage must be a whole number from 1 to ${instrument.maxLeverage ?? 1} on ${instrument.symbol}, got "${opts.leverage}"`);
      }
      // Opened only once every option is checked, and synchronously, so that a file it cannot write is a refusal, not a stream error.
      const out = opts.out === undefined ? process.stdout : createWriteStream('', { fd: openOutFile(opts.out) });
      const lines: string[] = [];
      const flush = () => {
        if (lines.length > 0) out.write(`${lines.join('\n')}\n`);
        lines.length = 0;
      };
      if (recording.fidelity === 'trades-only') {
        // Every consumer of the output sees the mode first: a line of its own, and a warning on stderr.
        lines.push(JSON.stringify({ type: 'REPLAY_FIDELITY', fidelity: 'trades-only', label: tradesOnlyLabel(tradesOnly), spreadBps: tradesOnly.spreadBps, slippageBps: tradesOnly.slippageBps }));
        process.stderr.write(`papertrade: ${tradesOnlyLabel(tradesOnly)}\n`);
      }
      const result = runReplay(recording, commands, {
        balances,
        latencyMs,
        tradesOnly,
        exchange: opts.exchange,
        leverage: Number(opts.leverage),
        ...(opts.fundingRate !== undefined ? { fundingRate: opts.fundingRate } : {}),
        onEvent: (event) => {
          if (!isAccountEvent(event)) return;
          lines.push(JSON.stringify(event));
          if (lines.length >= 512) flush();
        },
      });
      for (const event of [...result.metrics, ...result.balances]) lines.push(JSON.stringify(event));
      flush();
      if (out !== process.stdout) await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
    });

  program
    .command('demo')
    .description('Replay the bundled Binance BTCUSDT recording with a small order script and print fills and balances.')
    .option('--latency-ms <n>', 'delay from submission to arrival at the venue', '50')
    .action((opts: { latencyMs: string }) => {
      const latencyMs = parseLatency(opts.latencyMs);
      if (!existsSync(BUNDLED_RECORDING_DIR)) throw new Error(`bundled recording missing: ${BUNDLED_RECORDING_DIR}`);
      const recording = readRecording(BUNDLED_RECORDING_DIR);
      const commands = readOrdersFile(DEMO_ORDERS_FILE, [recording.symbol]);
      const print = (line: string) => process.stdout.write(`${line}\n`);
      const time = (at: number) => new Date(at).toISOString().slice(11, 23);
      print(`papertrade demo: Binance spot ${recording.symbol}, ${new Date(recording.firstTime).toISOString()} → ${new Date(recording.lastTime).toISOString()}`);
      print(`${recording.inputs.length} market events, ${commands.length} commands, latency ${opts.latencyMs} ms, balances ${DEFAULT_BALANCES}\n`);
      const result = runReplay(recording, commands, {
        balances: parseBalances(DEFAULT_BALANCES),
        latencyMs,
        onEvent: (e) => {
          switch (e.type) {
            case 'FILL':
              print(`${time(e.at)}  ${e.account.padEnd(5)} FILL     ${e.clientOrderId.padEnd(20)} ${e.side.padEnd(4)} ${e.quantity.padStart(8)} @ ${e.price.padEnd(9)} fee ${e.fee} ${e.feeAsset} ${e.liquidity}  → ${e.status}`);
              break;
            case 'ORDER_NEW':
              print(`${time(e.at)}  ${e.account.padEnd(5)} NEW      ${e.clientOrderId.padEnd(20)} ${e.side.padEnd(4)} ${e.orderType}${e.price ? ` @ ${e.price}` : ''}`);
              break;
            case 'ORDER_REJECTED':
              print(`${time(e.at)}  ${e.account.padEnd(5)} REJECTED ${e.clientOrderId.padEnd(20)} ${e.mexcCode} ${e.message}`);
              break;
            case 'ORDER_CANCELED':
            case 'ORDER_EXPIRED':
              print(`${time(e.at)}  ${e.account.padEnd(5)} ${e.status.padEnd(8)} ${e.clientOrderId.padEnd(20)} executed ${e.executedQty} (${e.reason})`);
              break;
            default:
              break;
          }
        },
      });
      print('\nFinal balances:');
      for (const b of result.balances) {
        for (const [asset, v] of Object.entries(b.balances)) print(`  ${b.account.padEnd(5)} ${asset.padEnd(5)} free ${v.free.padStart(22)}  locked ${v.locked}`);
      }
      print('\nEvery balance reconciles: free + locked = initial + fills − fees, exactly.');
    });
}
