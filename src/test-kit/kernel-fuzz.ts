/**
 * The kernel fuzzer: a real recording interleaved with random commands (kernel-fuzz-commands.ts),
 * and after every input the checks that prove the kernel total and its accounting exact:
 * - `handle` never throws and never answers INPUT_REJECTED with code INTERNAL;
 * - no balance is ever negative, and `checkInvariants()` passes;
 * - per account, free + locked equals the independent ledger (ledger-model.ts), with every fee
 *   recomputed from the instrument's rules.
 * A failing run is shrunk (kernel-fuzz-shrink.ts) to a short sequence that still fails the same way.
 */
import { findBundledInstrument } from '../core/instruments/bundled-instruments.js';
import type { Instrument } from '../core/instruments/instrument.js';
import type { KernelEvent } from '../core/kernel/events.js';
import type { KernelInput } from '../core/kernel/inputs.js';
import { Kernel } from '../core/kernel/kernel.js';
import type { Recording } from '../market-data/recording-reader.js';
import { SPOT_RECORDING, USDM_RECORDING } from './data-paths.js';
import { CommandGenerator, importDocument, type FuzzCommand } from './kernel-fuzz-commands.js';
import { Rng } from './mulberry32.js';
import { openProblem, balancesProblem, parseBalances, parseFees } from './account-input-rules.js';
import { LedgerModel, parseDecimal, showDecimal } from './ledger-model.js';
import { loadRecording } from './recording-stepper.js';

export type FuzzVenue = 'binance-spot' | 'mexc-spot' | 'binance-usdm';
export const VENUES: readonly FuzzVenue[] = ['binance-spot', 'mexc-spot', 'binance-usdm'];

export interface FuzzCase {
  readonly seed: number;
  readonly venue: FuzzVenue;
  readonly latencyMs: number;
  /** Commands to generate. */
  readonly commands: number;
  /** Market inputs of the recording to use at most (default: all). */
  readonly marketInputs?: number;
}

export interface Failure {
  /** `accepted-invalid`: an input the kernel should have refused was applied (the account is then closed to go on). */
  readonly kind: 'throw' | 'internal' | 'negative-balance' | 'invariant' | 'ledger-mismatch' | 'accepted-invalid';
  readonly message: string;
  /** Stable across runs: the kind and the message with numbers blanked. */
  readonly key: string;
}

/** A command placed after `at` market inputs of the recording. */
export interface TracedCommand {
  readonly at: number;
  readonly command: FuzzCommand;
}

export interface Trace {
  readonly commands: readonly TracedCommand[];
  /** Market inputs fed in total (the failure happened at or before the last). */
  readonly marketInputs: number;
}

export interface SeedResult {
  readonly fuzzCase: FuzzCase;
  readonly inputs: number;
  readonly commands: number;
  readonly fills: number;
  readonly rejections: number;
  readonly failures: Failure[];
  readonly feeDisagreements: number;
  /** Funding events whose amount is neither the recomputed one nor a capped part of it. */
  readonly fundingDisagreements: number;
  /** How many events of each type the run produced (to show what it exercised). */
  readonly eventCounts: ReadonlyMap<string, number>;
  readonly trace: Trace;
  /** Per failure key, the trace up to its first occurrence in this run. */
  readonly firstTraces: ReadonlyMap<string, Trace>;
}

const FATAL = new Set<Failure['kind']>(['throw', 'invariant', 'ledger-mismatch', 'negative-balance']);

export function recordingFor(venue: FuzzVenue): Recording {
  return loadRecording(venue === 'binance-usdm' ? USDM_RECORDING : SPOT_RECORDING);
}

export function instrumentFor(venue: FuzzVenue): Instrument {
  const [exchange, market] = venue === 'binance-usdm' ? ['binance', 'perpetual'] as const : venue === 'mexc-spot' ? ['mexc', 'spot'] as const : ['binance', 'spot'] as const;
  return findBundledInstrument(exchange, market, 'BTCUSDT')!;
}

function failure(kind: Failure['kind'], message: string): Failure {
  return { kind, message, key: `${kind}: ${message.replace(/-?\d+(\.\d+)?/g, '#')}` };
}

/** One kernel and its model, checked after every input. */
export class FuzzHarness {
  readonly kernel: Kernel;
  readonly model: LedgerModel;
  readonly instrument: Instrument;
  readonly failures: Failure[] = [];
  inputs = 0;
  fills = 0;
  readonly eventCounts = new Map<string, number>();
  rejections = 0;
  /** Concrete inputs applied, when asked to keep them (for printing a reproduction). */
  readonly applied: KernelInput[] | undefined;

  constructor(readonly fuzzCase: FuzzCase, keepInputs = false) {
    this.instrument = instrumentFor(fuzzCase.venue);
    this.kernel = new Kernel({ instruments: [this.instrument], latencyMs: fuzzCase.latencyMs });
    this.model = new LedgerModel(new Map([[this.instrument.symbol, this.instrument]]));
    this.applied = keepInputs ? [] : undefined;
  }

  get failed(): boolean {
    return this.failures.some((f) => FATAL.has(f.kind));
  }

  /** Applies a command (materializing an import directive) and checks. */
  command(command: FuzzCommand): void {
    if ('input' in command) return this.apply(command.input);
    const document = importDocument(this.kernel, command.importFrom, command.mutation);
    const sourceOrders = this.kernel.orders(command.importFrom).map((o) => o.id);
    const copy = this.model.exportCopy(command.importFrom, sourceOrders);
    const input: KernelInput = { kind: 'account.import', time: this.kernel.now, document, account: command.as };
    this.apply(input, (events) => {
      if (!events.some((e) => e.type === 'ACCOUNT_IMPORTED')) return;
      if (command.mutation !== 'none') {
        this.refuse(command.as, `an account document with ${command.mutation} was imported`);
        return;
      }
      if (copy === undefined) return;
      const imported = this.kernel.orders(command.as).map((o) => o.id);
      this.model.importCopy(copy.book, command.as, new Map(sourceOrders.map((id, i) => [id, imported[i]!])), copy.fees);
    });
  }

  /** Records an input that should have been refused and closes its account, so the run goes on clean. */
  private refuse(account: string, message: string): void {
    this.failures.push(failure('accepted-invalid', message));
    const close: KernelInput = { kind: 'account.close', time: this.kernel.now, account };
    this.applied?.push(close);
    this.kernel.handle(close);
    this.model.close(account);
  }

  apply(input: KernelInput, onImport?: (events: KernelEvent[]) => void): void {
    this.inputs += 1;
    this.applied?.push(input);
    let events: KernelEvent[];
    try {
      events = this.kernel.handle(input);
    } catch (e) {
      this.failures.push(failure('throw', `${input.kind}: ${e instanceof Error ? e.message : String(e)}`));
      return;
    }
    let accountEvents = false;
    for (const event of events) {
      this.eventCounts.set(event.type, (this.eventCounts.get(event.type) ?? 0) + 1);
      if (event.type === 'FILL' && event.liquidity === 'MAKER') this.eventCounts.set('FILL (maker)', (this.eventCounts.get('FILL (maker)') ?? 0) + 1);
      switch (event.type) {
        case 'INPUT_REJECTED':
          if (event.code === 'INTERNAL') this.failures.push(failure('internal', `${event.kind}: ${event.message}`));
          break;
        case 'ACCOUNT_OPENED':
          if (input.kind === 'account.open') this.opened(input);
          break;
        case 'ACCOUNT_RESET':
          if (input.kind === 'account.reset' && input.balances !== undefined && balancesProblem(input.balances) !== undefined) {
            this.refuse(event.account, `account.reset with ${balancesProblem(input.balances)!} was accepted`);
            break;
          }
          this.model.reset(event.account, input.kind === 'account.reset' && input.balances !== undefined ? parseBalances(input.balances) : undefined);
          break;
        case 'ACCOUNT_CLOSED':
          this.model.close(event.account);
          break;
        case 'FILL':
          this.fills += 1;
          break;
        case 'ORDER_REJECTED':
          this.rejections += 1;
          break;
      }
      if (event.type === 'LIQUIDATION' && this.model.has(event.account)) {
        const size = this.model.positionSize(event.account, event.symbol);
        if (showDecimal(size < 0n ? -size : size) !== showDecimal(parseDecimal(event.size) ?? -1n)) {
          this.failures.push(failure('ledger-mismatch', `liquidation of ${event.size} but the position held ${showDecimal(size)}`));
        }
      }
      this.model.observe(event);
      if (event.type !== 'EQUITY' && event.type !== 'BOOK_SYNCED' && event.type !== 'BOOK_RESYNC_NEEDED') accountEvents = true;
    }
    onImport?.(events);
    if (accountEvents || input.kind !== 'book.delta' && input.kind !== 'trade') this.check(input);
  }

  private opened(input: Extract<KernelInput, { kind: 'account.open' }>): void {
    const problem = openProblem(input, this.instrument);
    if (problem !== undefined) {
      this.refuse(input.account, `account.open with ${problem} was accepted`);
      return;
    }
    const balances = parseBalances(input.balances)!;
    const fees = parseFees(input.fees);
    if (input.type === 'futures') this.model.openFutures(input.account, balances.get('USDT') ?? 0n, fees);
    else this.model.openSpot(input.account, balances, fees);
  }

  private check(input: KernelInput): void {
    const where = input.kind === 'order.place' ? `${input.kind} ${String(input.type)} ${String(input.side)}` : input.kind;
    for (const id of this.kernel.accountIds()) {
      for (const [asset, b] of Object.entries(this.kernel.balances(id) ?? {})) {
        if ((parseDecimal(b.free) ?? 0n) < 0n || (parseDecimal(b.locked) ?? 0n) < 0n) {
          this.failures.push(failure('negative-balance', `after ${where}: ${asset} free ${b.free} locked ${b.locked}`));
        }
      }
      for (const d of this.model.compare(id, this.kernel.balances(id))) {
        const kind = this.model.book(id)?.kind;
        this.failures.push(failure('ledger-mismatch', `after ${where}: ${kind} ${d.asset} free+locked ${showDecimal(d.actual)} but the ledger says ${showDecimal(d.expected)} (diff ${showDecimal(d.actual - d.expected)})`));
      }
    }
    for (const id of this.model.accounts()) {
      if (this.kernel.balances(id) === undefined) this.failures.push(failure('ledger-mismatch', `after ${where}: the kernel lost account ${id}`));
    }
    try {
      this.kernel.checkInvariants();
    } catch (e) {
      this.failures.push(failure('invariant', `after ${where}: ${e instanceof Error ? e.message : String(e)}`));
    }
  }
}

/** The accounts every run starts with (the generator opens, resets, closes and imports more). */
function openInitial(h: FuzzHarness, time: number, rng: Rng): string[] {
  const i = h.instrument;
  const inputs: KernelInput[] =
    h.fuzzCase.venue === 'binance-usdm'
      ? [
          { kind: 'account.open', time, account: 'iso', type: 'futures', marginMode: 'isolated', leverage: rng.pick([1, 5, 20, 50]), balances: { USDT: '100000' } },
          { kind: 'account.open', time, account: 'cross', type: 'futures', marginMode: 'cross', leverage: rng.pick([2, 10, 125]), balances: { USDT: '20000' } },
          { kind: 'account.open', time, account: 'tiny', type: 'futures', leverage: 125, balances: { USDT: '150' }, fees: { maker: '0.0001', taker: '0.001' } },
        ]
      : [
          { kind: 'account.open', time, account: 'big', balances: { [i.quote]: '250000', [i.base]: '3' } },
          { kind: 'account.open', time, account: 'quotefee', balances: { [i.quote]: '10000', [i.base]: '0.5' }, fees: { feeAsset: 'quote', taker: '0.00075', maker: '0.0002' } },
          { kind: 'account.open', time, account: 'small', balances: { [i.quote]: '37.51' } },
          { kind: 'account.open', time, account: 'odd', balances: { [i.quote]: '1234.56789', [i.base]: '0.01234567' }, fees: { maker: '0.0001', taker: '0.0013' } },
        ];
  for (const input of inputs) h.apply(input);
  return inputs.map((x) => (x as { account: string }).account);
}

/** Generates and checks one seed's run; stops at the first fatal failure. */
export function runSeed(fuzzCase: FuzzCase): SeedResult {
  const recording = recordingFor(fuzzCase.venue);
  const available = Math.min(recording.inputs.length, fuzzCase.marketInputs ?? Infinity);
  const rng = new Rng(fuzzCase.seed * 2654435761 + 17);
  const h = new FuzzHarness(fuzzCase);
  const traced: TracedCommand[] = [];
  let fed = 0;
  const firstTraces = new Map<string, Trace>();
  let seen = 0;
  const note = () => {
    for (; seen < h.failures.length; seen += 1) {
      const key = h.failures[seen]!.key;
      if (!firstTraces.has(key)) firstTraces.set(key, { commands: [...traced], marketInputs: fed });
    }
  };
  const feed = (n: number) => {
    for (let k = 0; k < n && fed < available && !h.failed; k += 1) {
      h.apply(recording.inputs[fed++]!);
      if (h.failures.length > seen) note();
    }
  };
  feed(50 + rng.int(0, 400));
  const accounts = openInitial(h, h.kernel.now, rng);
  const generator = new CommandGenerator(rng, h.kernel, h.instrument, accounts, fuzzCase.venue === 'binance-usdm');
  const perCommand = Math.max(0, ((available - fed) * 0.95) / fuzzCase.commands);
  let commands = 0;
  while (commands < fuzzCase.commands && !h.failed) {
    feed(Math.round(rng.next() * 2 * perCommand));
    for (const command of generator.next()) {
      if (h.failed) break;
      traced.push({ at: fed, command });
      h.command(command);
      commands += 1;
      if (h.failures.length > seen) note();
    }
  }
  return {
    fuzzCase,
    inputs: h.inputs,
    commands,
    fills: h.fills,
    rejections: h.rejections,
    failures: h.failures,
    feeDisagreements: h.model.feeDisagreements.length,
    fundingDisagreements: h.model.fundingDisagreements.length,
    eventCounts: h.eventCounts,
    trace: { commands: traced, marketInputs: fed },
    firstTraces,
  };
}

/** Replays a trace: the market up to each command, the command, the market to the end. */
export function replay(fuzzCase: FuzzCase, trace: Trace, keepInputs = false): FuzzHarness {
  const recording = recordingFor(fuzzCase.venue);
  const rng = new Rng(fuzzCase.seed * 2654435761 + 17);
  const h = new FuzzHarness(fuzzCase, keepInputs);
  let fed = 0;
  const feedTo = (n: number) => {
    while (fed < n && !h.failed) h.apply(recording.inputs[fed++]!);
  };
  feedTo(50 + rng.int(0, 400));
  openInitial(h, h.kernel.now, rng);
  for (const { at, command } of trace.commands) {
    feedTo(at);
    if (h.failed) break;
    h.command(command);
  }
  feedTo(trace.marketInputs);
  return h;
}
