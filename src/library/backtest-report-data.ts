/**
 * What a backtest's HTML report shows, gathered from the engine's events while it runs
 * (`BacktestRecorder`, given to `runBacktest` as `onEvent`): each fill as an entry or an exit, the
 * round trips (a position from open to close), and the price candles of a recording.
 *
 * Guarantees: a fill that grows the position is an entry, one that shrinks it an exit (the
 * position is re-read from each POSITION event, so liquidations and reduce-only orders count
 * right); a round trip's fees are those of its fills (FILL events: a POSITION event's `feesPaid`
 * does not hold the fee of the fill that caused it yet), its PnL the realized PnL net of those
 * fees and of funding; amounts stay decimal strings. Not modelled: hedge mode (one position per symbol, as the kernel has).
 * Cost: O(events); holds one record per fill and per round trip.
 */
import type { KernelEvent } from '../core/kernel/events.js';
import { div, formatFixed, mul, parseFixed, type Fixed } from '../core/money/fixed.js';
import type { Recording } from '../market-data/recording-reader.js';
import type { Candle } from '../strategy/candles.js';

export interface ReportFill {
  readonly at: number;
  readonly side: 'BUY' | 'SELL';
  readonly price: string;
  readonly quantity: string;
  /** Entry: the fill grew the position (or opened it); exit: it shrank or closed it. */
  readonly effect: 'entry' | 'exit';
}

export interface ReportTrade {
  readonly direction: 'LONG' | 'SHORT';
  readonly openedAt: number;
  readonly entryPrice: string;
  readonly size: string;
  /** Absent while the position is still open at the end. */
  readonly closedAt?: number;
  readonly exitPrice?: string;
  /** Realized PnL net of fees and funding; for an open position, so far. */
  readonly pnl: string;
  readonly fees: string;
}

export interface BacktestDetail {
  readonly candles: readonly Candle[];
  readonly fills: readonly ReportFill[];
  readonly trades: readonly ReportTrade[];
}

interface OpenTrade {
  direction: 'LONG' | 'SHORT';
  openedAt: number;
  entryPrice: string;
  maxSize: Fixed;
  exitQty: Fixed;
  exitValue: Fixed;
}

const ZERO_PNL = '0';

export class BacktestRecorder {
  private readonly fills: ReportFill[] = [];
  private readonly closed: ReportTrade[] = [];
  private open: OpenTrade | undefined;
  private last: { pnl: string; fees: string } = { pnl: ZERO_PNL, fees: ZERO_PNL };
  /** Signed position size, as the last POSITION event said, plus the fills since. */
  private size: Fixed = 0n;
  /** Fees of the fills of the round trip under way, in the settlement asset. */
  private fees: Fixed = 0n;

  constructor(private readonly account = 'backtest') {}

  /** Give it every event (`BacktestOptions.onEvent`); other accounts' events are ignored. */
  readonly observe = (event: { readonly type: string }): void => {
    const e = event as KernelEvent;
    if (!('account' in e) || e.account !== this.account) return;
    if (e.type === 'FILL') {
      const qty = parseFixed(e.quantity);
      const signed = e.side === 'BUY' ? qty : -qty;
      const grows = this.size === 0n || (this.size > 0n) === (signed > 0n);
      const fee = e.feeAsset === 'USDT' ? parseFixed(e.fee) : mul(parseFixed(e.fee), parseFixed(e.price), 'half-up');
      this.fees = this.size === 0n ? fee : this.fees + fee;
      this.fills.push({ at: e.at, side: e.side, price: e.price, quantity: e.quantity, effect: grows ? 'entry' : 'exit' });
      if (!grows && this.open !== undefined) {
        this.open.exitQty += qty;
        this.open.exitValue += mul(qty, parseFixed(e.price), 'half-up');
      }
      this.size += signed;
      return;
    }
    if (e.type !== 'POSITION_OPENED' && e.type !== 'POSITION_UPDATED' && e.type !== 'POSITION_CLOSED') return;
    const total = parseFixed(e.totalSize);
    this.size = e.direction === 'SHORT' ? -total : e.direction === 'LONG' ? total : 0n;
    const net = formatFixed(parseFixed(e.realizedPnl) - this.fees - parseFixed(e.totalFundingPaid));
    this.last = { pnl: net, fees: formatFixed(this.fees) };
    if (e.type === 'POSITION_OPENED' || this.open === undefined) {
      if (e.direction === 'FLAT') return;
      this.open = { direction: e.direction, openedAt: e.openedAt, entryPrice: e.entryPrice, maxSize: total, exitQty: 0n, exitValue: 0n };
      return;
    }
    if (total > this.open.maxSize) this.open.maxSize = total;
    if (e.type === 'POSITION_UPDATED' && total > 0n) this.open.entryPrice = e.entryPrice;
    if (e.type === 'POSITION_CLOSED') {
      const o = this.open;
      this.closed.push({
        direction: o.direction, openedAt: o.openedAt, entryPrice: o.entryPrice, size: formatFixed(o.maxSize), closedAt: e.at,
        ...(o.exitQty > 0n ? { exitPrice: formatFixed(div(o.exitValue, o.exitQty, 'half-up')) } : {}),
        pnl: net, fees: formatFixed(this.fees),
      });
      this.open = undefined;
      this.last = { pnl: ZERO_PNL, fees: ZERO_PNL };
    }
  };

  /** The fills and round trips so far (a position still open is the last trade, without an exit). */
  detail(candles: readonly Candle[]): BacktestDetail {
    const o = this.open;
    const trades = o === undefined ? this.closed : [...this.closed, { direction: o.direction, openedAt: o.openedAt, entryPrice: o.entryPrice, size: formatFixed(o.maxSize), pnl: this.last.pnl, fees: this.last.fees }];
    return { candles, fills: [...this.fills], trades };
  }
}

/** OHLCV candles of a recording's trades, `intervalMs` long and epoch-aligned (the last one may be partial). */
export function candlesOfRecording(recording: Recording, intervalMs: number): Candle[] {
  const out: Array<{ openTime: number; open: string; high: Fixed; low: Fixed; close: string; volume: Fixed }> = [];
  for (const input of recording.inputs) {
    if (input.kind !== 'trade') continue;
    const openTime = Math.floor(input.time / intervalMs) * intervalMs;
    const price = parseFixed(input.price);
    const last = out[out.length - 1];
    if (last === undefined || openTime > last.openTime) {
      out.push({ openTime, open: input.price, high: price, low: price, close: input.price, volume: parseFixed(input.quantity) });
      continue;
    }
    if (price > last.high) last.high = price;
    if (price < last.low) last.low = price;
    last.close = input.price;
    last.volume += parseFixed(input.quantity);
  }
  return out.map((c) => ({ openTime: c.openTime, open: c.open, high: formatFixed(c.high), low: formatFixed(c.low), close: c.close, volume: formatFixed(c.volume) }));
}
