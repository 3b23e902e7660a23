/**
 * Prices and quantities as Binance Spot's market data prints them: 8 decimals, zeros padded
 * ("4.00000200", "431.00000000", "0.00000000"), as every example of `depth`, `trades`, `aggTrades`,
 * `klines`, `uiKlines`, `avgPrice` and the `ticker/24hr`, `ticker/price` and `ticker/bookTicker`
 * answers shows (binance-spot-api-docs rest-api.md, "Market Data endpoints").
 *
 * An exact figure with more than 8 decimals (an instrument finer than any Binance lists, a quote
 * volume of such prices and quantities) keeps its digits: this formats, it never rounds. A derived
 * figure (an average) is rounded by its caller first (`binanceAverage`).
 */
import { decimalsOf, formatFixed, parseFixed, roundToDecimals, type Fixed } from '../../core/money/fixed.js';

export const BINANCE_DECIMALS = 8;

/** `value` (a Fixed, or a decimal string as the book and the tape keep it) with at least 8 decimals. */
export function binanceDecimal(value: Fixed | string): string {
  const v = typeof value === 'string' ? parseFixed(value) : value;
  return decimalsOf(v) <= BINANCE_DECIMALS ? formatFixed(v, BINANCE_DECIMALS) : formatFixed(v);
}

/** A derived price (an average): rounded half-up to 8 decimals, then printed as `binanceDecimal` does. */
export function binanceAverage(value: Fixed): string {
  return binanceDecimal(roundToDecimals(value, BINANCE_DECIMALS, 'half-up'));
}
