/**
 * Replays a recording through the kernel with a list of order commands.
 *
 * Guarantees: commands are merged into the market stream by exchange time: a command stamped `at`
 * is handled after every market event stamped at or before `at` and before any stamped later
 * (then the kernel's latency model delays its arrival). The same recording, commands and options
 * give byte-identical output.
 */
import { findBundledInstrument } from '../core/instruments/bundled-instruments.js';
import type { Instrument } from '../core/instruments/instrument.js';
import type { KernelEvent } from '../core/kernel/events.js';
import type { KernelInput } from '../core/kernel/inputs.js';
import { Kernel } from '../core/kernel/kernel.js';
import type { OrderCommand } from './orders-file.js';
import type { Recording } from './recording-reader.js';
import { AccountReport, type MetricsEvent } from './account-report.js';
import { DEFAULT_TRADES_ONLY_MODEL, tradesOnlyInputs, tradesOnlyLabel, type TradesOnlyModel } from './trades-only-book.js';

export interface ReplayOptions {
  readonly balances: Readonly<Record<string, string>>;
  readonly latencyMs?: number;
  readonly exchange?: string;
  /** Perpetuals: the funding rate applied at every funding time (00:00, 08:00, 16:00 UTC). */
  readonly fundingRate?: string;
  /** Perpetuals: leverage of every account until a leverage line changes it (default 1). */
  readonly leverage?: number;
  /** Trades-only recordings: the spread and slippage of the quote derived from each print (default DEFAULT_TRADES_ONLY_MODEL). */
  readonly tradesOnly?: TradesOnlyModel;
  /** Called for every kernel event, in order. */
  readonly onEvent?: (event: KernelEvent) => void;
}

export interface BalancesEvent {
  readonly type: 'BALANCES';
  readonly at: number;
  readonly account: string;
  readonly balances: Record<string, { free: string; locked: string }>;
}

export interface ReplayResult {
  readonly kernel: Kernel;
  /** Per account, metrics over the replay (sampled each minute, Sharpe and Sortino annualized). */
  readonly metrics: readonly MetricsEvent[];
  readonly balances: readonly BalancesEvent[];
  readonly inputs: number;
  /** Present for a trades-only recording: the lower-fidelity label every report carries (ADR 0041). */
  readonly fidelity?: string;
}

export function instrumentForRecording(recording: Recording, exchange = 'binance'): Instrument {
  const instrument = findBundledInstrument(exchange, recording.market, recording.symbol);
  if (instrument === undefined) {
    throw new Error(`no instrument spec for ${exchange} ${recording.market} ${recording.symbol}`);
  }
  return instrument;
}

/** The merged input stream: market events and commands, with accounts opened on first use. */
export function* replayInputs(
  recording: Recording,
  commands: readonly OrderCommand[],
  balances: Readonly<Record<string, string>>,
  account: { readonly leverage?: number } = {},
): Generator<KernelInput> {
  const opened = new Set<string>();
  let next = 0;
  function* commandsUpTo(limit: number): Generator<KernelInput> {
    while (next < commands.length && commands[next]!.time <= limit) {
      const command = commands[next]!;
      next += 1;
      if (!opened.has(command.account)) {
        opened.add(command.account);
        yield recording.market === 'perpetual'
          ? { kind: 'account.open', time: command.time, account: command.account, balances, type: 'futures', leverage: account.leverage ?? 1 }
          : { kind: 'account.open', time: command.time, account: command.account, balances };
      }
      yield command;
    }
  }
  for (const input of recording.inputs) {
    yield* commandsUpTo(input.time - 1);
    yield input;
  }
  yield* commandsUpTo(Number.MAX_SAFE_INTEGER);
}

export function runReplay(given: Recording, commands: readonly OrderCommand[], options: ReplayOptions): ReplayResult {
  const instrument = instrumentForRecording(given, options.exchange);
  const model = options.tradesOnly ?? DEFAULT_TRADES_ONLY_MODEL;
  const tradesOnly = given.fidelity === 'trades-only';
  const recording = tradesOnly ? { ...given, inputs: tradesOnlyInputs(given, instrument, model) } : given;
  const kernel = new Kernel({
    instruments: [instrument],
    latencyMs: options.latencyMs ?? 0,
    ...(options.fundingRate !== undefined ? { funding: { rates: { [instrument.symbol]: options.fundingRate } } } : {}),
  });
  let inputs = 0;
  let lastTime = recording.lastTime;
  const report = new AccountReport();
  const emit = (event: KernelEvent) => {
    report.observe(event);
    options.onEvent?.(event);
  };
  for (const input of replayInputs(recording, commands, options.balances, { ...(options.leverage !== undefined ? { leverage: options.leverage } : {}) })) {
    inputs += 1;
    lastTime = Math.max(lastTime, input.time);
    for (const event of kernel.handle(input)) emit(event);
  }
  // Let commands still in flight reach the venue.
  const end = lastTime + (options.latencyMs ?? 0);
  for (const event of kernel.handle({ kind: 'clock', time: end })) emit(event);
  kernel.checkInvariants();
  const metrics = kernel.accountIds().flatMap((account) => report.metrics(account, kernel.now) ?? []);
  const balances: BalancesEvent[] = kernel.accountIds().map((account) => ({
    type: 'BALANCES',
    at: kernel.now,
    account,
    balances: kernel.balances(account)!,
  }));
  return { kernel, metrics, balances, inputs, ...(tradesOnly ? { fidelity: tradesOnlyLabel(model) } : {}) };
}
