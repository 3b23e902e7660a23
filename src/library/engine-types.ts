/**
 * The library's public types: engine options, account summaries, manual position requests.
 */
import type { Kernel } from '../core/kernel/kernel.js';
import type { Instrument } from '../core/instruments/instrument.js';

export interface PaperTradingEngineOptions {
  /** Default: the bundled Binance USD-M perpetuals (BTCUSDT, ETHUSDT). */
  readonly instruments?: readonly Instrument[];
  /** Interval of the candles aggregated from `updatePrices` for auto-trading (default 60,000 ms). */
  readonly candleIntervalMs?: number;
  /** Equity sampling interval of the kernel (default 60,000 ms). */
  readonly equityIntervalMs?: number;
  /** File `saveSnapshot()` writes and `restoreAccounts()` (no argument) reads. */
  readonly snapshotPath?: string;
  /**
   * `processCandles` feeds each candle as one `bar` kernel input (ADR 0042) instead of a one-level
   * book and a trade per price of its path (ADR 0009). Default false.
   */
  readonly barInputs?: boolean;
  /**
   * The kernel values every account at every price move, so that drawdown figures include the
   * troughs inside a bar's path, not only the equity samples (ADR 0042, 2026-12-02). Default false.
   */
  readonly equityEveryStep?: boolean;
}

/** What `restoreAccounts` accepts besides a snapshot string: a DurableEngine (src/engine). */
export interface DurableSource {
  restoreAccounts(): Promise<unknown>;
  readonly kernel: Kernel;
}

export interface AccountSummary {
  readonly id: string;
  readonly name: string;
  readonly strategyId: string | undefined;
  readonly autoTrading: boolean;
  readonly running: boolean;
  readonly halted: boolean;
  /**
   * In USDT; null while the kernel waits for a price for something the account holds
   * (`awaitingPrice`): counting that holding as zero would state a wrong figure.
   */
  readonly equity: string | null;
  /**
   * What the account holds that has no price yet (futures symbols such as `BTCUSDT`), sorted, as
   * `GET /api/account` names them (Kernel.awaitedPrices); empty once everything is priced, or once
   * the kernel's wait (PRICE_WAIT_MS) is over and it values what is still unpriced as zero.
   */
  readonly awaitingPrice: readonly string[];
  readonly balances: Record<string, { free: string; locked: string }>;
  readonly positions: { symbol: string; direction: 'LONG' | 'SHORT'; size: string; entryPrice: string }[];
}

export interface OpenPositionRequest {
  readonly symbol: string;
  readonly side: 'LONG' | 'SHORT' | 'BUY' | 'SELL';
  /** Default: the risk size from the stop distance. */
  readonly quantity?: number | string;
  /** A tactics set (object or name of one of the account's); default the account's active one. */
  readonly tactics?: unknown;
  /**
   * The market entry's slippage cap (ADR 0061): a fraction of the best opposite price when the entry
   * executes, from 0 to below 1 (0.005 = 0.5 %); what it leaves unfilled expires. Default: the
   * tactics' `entry.maxSlippage`, else none. Refused (ENTRY_REFUSED) with a limit entry, or out of range.
   */
  readonly maxSlippage?: number | string;
}

export interface ClosePositionOptions {
  /**
   * The close's slippage cap (ADR 0061): a fraction of the best opposite price when it executes, from
   * 0 to below 1 (0.005 = 0.5 %). What it leaves unfilled expires (SLIPPAGE_CAP) and goes again,
   * capped, at the symbol's next market move until the position is closed (ADR 0065). Default: the
   * plan's tactics' `exit.maxSlippage`, else the account's active tactics', else none.
   */
  readonly maxSlippage?: number | string;
}
