/**
 * Live funding: the exchange's mark price and funding rate and times (ccxt `fetchFundingRate`)
 * turned into the kernel's `mark` and `funding` inputs.
 *
 * Guarantees: with `sendMarks`, every poll that answers sends the mark price it gives (from then on
 * the kernel's mark is the exchange's, no longer the book's mid: poll often, a few seconds, if so);
 * without it (the default) the mark stays the book's mid, as in replay. When the
 * wall clock passes a funding time the exchange announced, the rate announced for it is applied
 * once, as a `funding` input stamped with that time (or the engine's clock when it is later): every
 * open position on the symbol pays |size| × mark × rate, longs paying a positive rate. A poll that
 * fails is retried at the next tick; the funding time is not lost, because the last announcement
 * is kept until it is applied.
 * An input the engine refuses (a published rate beyond the kernel's ±3 % bound, ADR 0006) is told
 * to `onRefused` and changes nothing; polling goes on, and a refused funding time is not tried
 * again. A funding input the engine could not take for now (its database unreachable: a retryable
 * `EngineUnavailableError`, nothing recorded) is kept and sent again at the next poll, before the
 * exchange is asked for the next one.
 * Not modelled: a rate the exchange revises between the last poll and the funding time (the last
 * announced rate is the one applied; polls come every `intervalMs`, 30 s by default).
 */
import type { KernelInput } from '../core/kernel/inputs.js';
import { EngineUnavailableError } from '../engine/engine-status.js';

/** What ccxt's fetchFundingRate answers, in the fields used here. */
export interface FundingQuote {
  readonly markPrice?: number | string | undefined;
  readonly fundingRate?: number | string | undefined;
  /** The next funding time (Unix ms). */
  readonly fundingTimestamp?: number | undefined;
}

export interface FundingSource {
  /** The kernel's symbol. */
  readonly symbol: string;
  fetch(): Promise<FundingQuote>;
}

export interface FundingPollerOptions {
  readonly sources: readonly FundingSource[];
  submit(input: KernelInput): Promise<unknown>;
  /** The engine's clock (inputs never go back in time). */
  readonly engineNow: () => number;
  readonly wallNow?: () => number;
  readonly intervalMs?: number;
  /** Send the exchange's mark price as `mark` inputs (default false: the book's mid is the mark). */
  readonly sendMarks?: boolean;
  readonly onError?: (symbol: string, error: unknown) => void;
  /** An input `submit` refused (rejected with `error`). */
  readonly onRefused?: (input: KernelInput & { kind: 'mark' | 'funding' }, error: unknown) => void;
}

const decimal = (v: number | string): string => (typeof v === 'number' ? v.toFixed(12).replace(/\.?0+$/, '') : v);

export class FundingPoller {
  private readonly announced = new Map<string, { rate: string; at: number }>();
  private readonly applied = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: FundingPollerOptions) {}

  start(): void {
    if (this.timer !== undefined) return;
    const every = this.options.intervalMs ?? 30_000;
    void this.tick();
    this.timer = setInterval(() => void this.tick(), every);
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One poll of every source; resolves when its inputs are submitted. */
  async tick(): Promise<void> {
    const wall = (this.options.wallNow ?? Date.now)();
    for (const source of this.options.sources) {
      // A funding time announced by an earlier poll and now passed is applied first, at its rate.
      await this.applyDue(source.symbol, wall);
      let quote: FundingQuote;
      try {
        quote = await source.fetch();
      } catch (error) {
        this.options.onError?.(source.symbol, error);
        continue;
      }
      const time = () => Math.max(wall, this.options.engineNow());
      if (this.options.sendMarks === true && quote.markPrice !== undefined && Number(quote.markPrice) > 0) {
        await this.send({ kind: 'mark', time: time(), symbol: source.symbol, price: decimal(quote.markPrice) });
      }
      if (quote.fundingRate !== undefined && quote.fundingTimestamp !== undefined && quote.fundingTimestamp > (this.applied.get(source.symbol) ?? 0)) {
        this.announced.set(source.symbol, { rate: decimal(quote.fundingRate), at: quote.fundingTimestamp });
      }
      await this.applyDue(source.symbol, wall);
    }
  }

  private async applyDue(symbol: string, wall: number): Promise<void> {
    const next = this.announced.get(symbol);
    if (next === undefined || wall < next.at) return;
    const appliedBefore = this.applied.get(symbol);
    this.announced.delete(symbol);
    this.applied.set(symbol, next.at);
    if (await this.send({ kind: 'funding', time: Math.max(next.at, this.options.engineNow()), symbol, rate: next.rate })) return;
    // Not recorded, and the engine will take it later: the next poll sends it again.
    this.announced.set(symbol, next);
    if (appliedBefore === undefined) this.applied.delete(symbol);
    else this.applied.set(symbol, appliedBefore);
  }

  /** Submits `input`; false when the engine could not take it for now (nothing recorded; worth sending again). */
  private async send(input: KernelInput & { kind: 'mark' | 'funding' }): Promise<boolean> {
    try {
      await this.options.submit(input);
      return true;
    } catch (error) {
      if (error instanceof EngineUnavailableError && error.retryable && error.outcome === 'not-applied') return false;
      this.options.onRefused?.(input, error);
      return true;
    }
  }
}
