/**
 * OHLCV candles per symbol from the trade tape, kept as one-minute bars and rolled up on request
 * to any whole number of minutes (5m, 15m, 1h, 4h, 1d), epoch-aligned like the exchanges' klines.
 *
 * Guarantees: prices and volumes are exact decimals (fixed-point); a candle's open is its first
 * trade, close its last, high and low their extremes, volume the sum of quantities; the forming
 * (last) candle is included. A trade is applied once: one older than the symbol's last applied
 * trade (by time, then trade id) is dropped, so a backfill and a live subscription may overlap.
 * Not modelled: trades arriving out of order (dropped, as above), gaps (no bar for a minute without
 * trades, as on the exchanges). Memory: at most `keepBars` one-minute bars per symbol (oldest go).
 * Cost: O(1) per trade; a request rolls up at most `limit × interval/1m` bars.
 */
import { formatFixed, parseFixed, type Fixed } from '../core/money/fixed.js';
import type { Candle } from '../strategy/candles.js';

export const BASE_INTERVAL_MS = 60_000;

/** The intervals the API offers, in ms. */
export const CANDLE_INTERVALS: Readonly<Record<string, number>> = Object.freeze({
  '1m': 60_000,
  '5m': 300_000,
  '15m': 900_000,
  '1h': 3_600_000,
  '4h': 14_400_000,
  '1d': 86_400_000,
});

export interface TapeTrade {
  readonly time: number;
  readonly tradeId: number;
  readonly price: string;
  readonly quantity: string;
}

/** A candle of the backtest format, with the number of trades it was built from. */
export interface OhlcvCandle extends Candle {
  readonly trades: number;
}

interface Bar {
  openTime: number;
  open: Fixed;
  high: Fixed;
  low: Fixed;
  close: Fixed;
  volume: Fixed;
  trades: number;
}

interface Tape {
  readonly bars: Bar[];
  lastTime: number;
  lastTradeId: number;
}

export class TradeCandles {
  private readonly tapes = new Map<string, Tape>();

  constructor(private readonly keepBars = 100_000) {}

  /** Applies one trade; false when it was dropped (already applied, or older than the last one). */
  add(symbol: string, trade: TapeTrade): boolean {
    let tape = this.tapes.get(symbol);
    if (tape === undefined) {
      tape = { bars: [], lastTime: Number.NEGATIVE_INFINITY, lastTradeId: Number.NEGATIVE_INFINITY };
      this.tapes.set(symbol, tape);
    }
    if (trade.time < tape.lastTime || (trade.time === tape.lastTime && trade.tradeId <= tape.lastTradeId)) return false;
    tape.lastTime = trade.time;
    tape.lastTradeId = trade.tradeId;
    const price = parseFixed(trade.price);
    const quantity = parseFixed(trade.quantity);
    const openTime = Math.floor(trade.time / BASE_INTERVAL_MS) * BASE_INTERVAL_MS;
    const last = tape.bars[tape.bars.length - 1];
    if (last === undefined || openTime > last.openTime) {
      tape.bars.push({ openTime, open: price, high: price, low: price, close: price, volume: quantity, trades: 1 });
      if (tape.bars.length > this.keepBars) tape.bars.splice(0, tape.bars.length - this.keepBars);
      return true;
    }
    if (price > last.high) last.high = price;
    if (price < last.low) last.low = price;
    last.close = price;
    last.volume += quantity;
    last.trades += 1;
    return true;
  }

  /** The last `limit` candles of `intervalMs` (a whole number of minutes), oldest first. */
  candles(symbol: string, intervalMs: number, limit: number): OhlcvCandle[] {
    if (!Number.isSafeInteger(intervalMs) || intervalMs <= 0 || intervalMs % BASE_INTERVAL_MS !== 0) throw new RangeError(`a candle interval is a whole number of minutes: ${intervalMs}`);
    const bars = this.tapes.get(symbol)?.bars ?? [];
    const out: Bar[] = [];
    // From the newest bar back, until `limit` candles are complete.
    for (let i = bars.length - 1; i >= 0; i -= 1) {
      const bar = bars[i]!;
      const openTime = Math.floor(bar.openTime / intervalMs) * intervalMs;
      const head = out[out.length - 1];
      if (head !== undefined && head.openTime === openTime) {
        head.open = bar.open;
        if (bar.high > head.high) head.high = bar.high;
        if (bar.low < head.low) head.low = bar.low;
        head.volume += bar.volume;
        head.trades += bar.trades;
        continue;
      }
      if (out.length === limit) break;
      out.push({ ...bar, openTime });
    }
    return out.reverse().map((b) => ({
      openTime: b.openTime,
      open: formatFixed(b.open),
      high: formatFixed(b.high),
      low: formatFixed(b.low),
      close: formatFixed(b.close),
      volume: formatFixed(b.volume),
      trades: b.trades,
    }));
  }

  symbols(): string[] {
    return [...this.tapes.keys()];
  }
}
