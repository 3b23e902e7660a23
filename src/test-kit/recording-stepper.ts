/**
 * Drives a kernel through a real recording step by step, so that a test can stop at a moment of
 * the market, look at the book, and submit commands there.
 */
import { Kernel, type KernelConfig } from '../core/kernel/kernel.js';
import type { KernelEvent } from '../core/kernel/events.js';
import type { KernelInput } from '../core/kernel/inputs.js';
import type { Instrument } from '../core/instruments/instrument.js';
import { readRecording, type MarketInput, type Recording } from '../market-data/recording-reader.js';
import { instrumentForRecording } from '../market-data/replay-session.js';

const cache = new Map<string, Recording>();

export function loadRecording(dir: string): Recording {
  let recording = cache.get(dir);
  if (recording === undefined) {
    recording = readRecording(dir);
    cache.set(dir, recording);
  }
  return recording;
}

export class RecordingStepper {
  readonly kernel: Kernel;
  readonly events: KernelEvent[] = [];
  private next = 0;

  constructor(
    readonly recording: Recording,
    options: Omit<Partial<KernelConfig>, 'instruments'> & { instrument?: Partial<Instrument> } = {},
  ) {
    const { instrument, ...config } = options;
    const base = instrumentForRecording(recording);
    this.kernel = new Kernel({ ...config, instruments: [{ ...base, ...instrument }] });
  }

  get symbol(): string {
    return this.recording.symbol;
  }

  /** Feeds market inputs stamped at or before `time`; returns the events they caused. */
  advanceTo(time: number): KernelEvent[] {
    const out: KernelEvent[] = [];
    const inputs = this.recording.inputs;
    while (this.next < inputs.length && inputs[this.next]!.time <= time) out.push(...this.handle(inputs[this.next]!));
    return out;
  }

  /** Feeds the next market input. */
  step(): { input: MarketInput; events: KernelEvent[] } | undefined {
    const input = this.recording.inputs[this.next];
    if (input === undefined) return undefined;
    return { input, events: this.handle(input) };
  }

  /** Passes over the next market input without feeding it. */
  skip(): void {
    if (!this.done) this.next += 1;
  }

  /** The market input `step` would feed next. */
  peek(): MarketInput | undefined {
    return this.recording.inputs[this.next];
  }

  get done(): boolean {
    return this.next >= this.recording.inputs.length;
  }

  handle(input: KernelInput): KernelEvent[] {
    if (input === this.recording.inputs[this.next]) this.next += 1;
    const events = this.kernel.handle(input);
    this.events.push(...events);
    return events;
  }

  open(account: string, balances: Record<string, string>, time = this.kernel.now): KernelEvent[] {
    return this.handle({ kind: 'account.open', time, account, balances });
  }
}

/** A kernel's snapshot with its sequence number masked: what "changes nothing" and "the same state as a twin" compare. */
export function stateWithoutSequence(kernel: Kernel): string {
  return kernel.snapshot().replace(/"sequence":\d+/, '"sequence":_');
}

/** A stepper 30 s into `recording`, with account `a` open holding 100,000 USDT and 1 BTC. */
export function openedStepper(recording: Recording): RecordingStepper {
  const s = new RecordingStepper(recording);
  s.advanceTo(recording.inputs[0]!.time + 30_000);
  s.open('a', { USDT: '100000', BTC: '1' });
  return s;
}
