/**
 * Replays a recording through the kernel with a list of order commands.
 *
 * Guarantees: commands are merged into the market stream by exchange time: a command stamped `at`
 * is handled after every market event stamped at or before `at` and before any stamped later
 * (then the kernel's latency model delays its arrival). The same recording, commands and options
 * give byte-identical output.
 */
import { bundledExchanges, findBundledInstrument } from '../core/instruments/bundled-instruments.js';
import type { Instrument } from '../core/instruments/instrument.js';
import type { KernelEvent } from '../core/kernel/events.js';
import type { KernelInput } from '../core/kernel/inputs.js';
import { BATCH_CHECKPOINT_INPUTS, Kernel } from '../core/kernel/kernel.js';
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
    const known = bundledExchanges(recording.market, recording.symbol);
    const hint = known.length > 0 ? `the exchanges with one: ${known.join(', ')}` : `no exchange has one (the exchanges with specs: ${bundledExchanges().join(', ')})`;
    throw new Error(`no instrument spec for ${exchange} ${recording.market} ${recording.symbol}; ${hint}`);
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
  const merge = new CommandMerge(recording, commands, balances, account);
  for (const input of recording.inputs) {
    for (let command = merge.next(input.time - 1); command !== undefined; command = merge.next(input.time - 1)) yield command;
    yield input;
  }
  for (let command = merge.next(Number.MAX_SAFE_INTEGER); command !== undefined; command = merge.next(Number.MAX_SAFE_INTEGER)) yield command;
}

/** The commands of a replay in order, each preceded by its account's opening the first time it names one. */
class CommandMerge {
  private readonly opened = new Set<string>();
  private index = 0;
  /** A command whose account opening was handed out just before it. */
  private held: OrderCommand | undefined;

  constructor(
    private readonly recording: Recording,
    private readonly commands: readonly OrderCommand[],
    private readonly balances: Readonly<Record<string, string>>,
    private readonly account: { readonly leverage?: number },
  ) {}

  /** The next input stamped at or before `limit`, or undefined. */
  next(limit: number): KernelInput | undefined {
    if (this.held !== undefined) {
      const command = this.held;
      this.held = undefined;
      return command;
    }
    const command = this.commands[this.index];
    if (command === undefined || command.time > limit) return undefined;
    this.index += 1;
    if (this.opened.has(command.account)) return command;
    this.opened.add(command.account);
    this.held = command;
    const { balances } = this;
    return this.recording.market === 'perpetual'
      ? { kind: 'account.open', time: command.time, account: command.account, balances, type: 'futures', leverage: this.account.leverage ?? 1 }
      : { kind: 'account.open', time: command.time, account: command.account, balances };
  }
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
  // A replay runs to its end with nobody waiting on an input: rollback checkpoints far apart.
  kernel.setCheckpointSpacing(BATCH_CHECKPOINT_INPUTS);
  let inputs = 0;
  let lastTime = recording.lastTime;
  const report = new AccountReport();
  const emit = (event: KernelEvent) => {
    report.observe(event);
    options.onEvent?.(event);
  };
  // The order of replayInputs, without a generator step per input; book levels and trades read by the recording's reader when it kept them.
  const merge = new CommandMerge(recording, commands, options.balances, { ...(options.leverage !== undefined ? { leverage: options.leverage } : {}) });
  const { levels, trades } = recording;
  const handle = (input: KernelInput, index: number) => {
    inputs += 1;
    if (input.time > lastTime) lastTime = input.time;
    const events =
      index < 0 ? kernel.handle(input)
      : input.kind === 'trade' ? kernel.handle(input, undefined, undefined, trades?.tradeOf(index, input))
      : kernel.handle(input, undefined, levels?.levelsOf(index, input));
    for (let e = 0; e < events.length; e += 1) emit(events[e]!);
  };
  const market = recording.inputs;
  for (let i = 0; i < market.length; i += 1) {
    const input = market[i]!;
    for (let command = merge.next(input.time - 1); command !== undefined; command = merge.next(input.time - 1)) handle(command, -1);
    handle(input, i);
  }
  for (let command = merge.next(Number.MAX_SAFE_INTEGER); command !== undefined; command = merge.next(Number.MAX_SAFE_INTEGER)) handle(command, -1);
  // Let commands still in flight reach the venue.
  const end = lastTime + (options.latencyMs ?? 0);
  for (const event of kernel.handle({ kind: 'clock', time: end })) emit(event);
  kernel.checkInvariants();
  // An account whose holdings never had a price has no valuation to end on (and no metrics).
  for (const account of kernel.accountIds()) if (!kernel.awaitingPrice(account)) report.close(account, kernel.now, kernel.equity(account)!);
  const metrics = kernel.accountIds().flatMap((account) => report.metrics(account, kernel.now) ?? []);
  const balances: BalancesEvent[] = kernel.accountIds().map((account) => ({
    type: 'BALANCES',
    at: kernel.now,
    account,
    balances: kernel.balances(account)!,
  }));
  return { kernel, metrics, balances, inputs, ...(tradesOnly ? { fidelity: tradesOnlyLabel(model) } : {}) };
}
