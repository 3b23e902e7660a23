/**
 * A position's `breakEvenPrice` (Binance USD-M positionRisk v2/v3, account v2 positions): the price
 * at which closing it leaves it neither in profit nor at a loss. Binance's FAQ "How to Visualize
 * the Breakeven Price of Open Positions on Binance Futures": Breakeven Price = (Total Cost of
 * Position − Total Gained from Position) / Current Holding Position Size, the size signed (negative
 * for a short); funding is not counted. Its live answers count the commission paid as a cost (a long
 * of 0.003 at 37140.0 opened with a 0.02 % fee shows 37147.428 = 37140 + 37140 × 0.0002), so:
 *
 *   breakEvenPrice = entry − (realized PnL − fees paid) / size
 *
 * with the position's realized PnL (its partial closes, before fees) and every fee of its fills, as
 * the read port states them (`realizedPnl`: realized less fees since the position opened). A flat
 * position's is 0; a position whose source states no realized figure breaks even at its entry.
 * Computed exactly and rounded once, half-up to 8 decimals (as `usdmPrice` writes prices).
 *
 * A position a flip opened (one fill closed the position before it and opened this one with the
 * rest) paid, by Binance's rule that the cost of a position is the cost of its entries, the part of
 * that fill's commission its opening took, pro rata by quantity: fee × opened / fill quantity
 * (`openingFee`, kept by the read model; the kernel books the whole fee on the closed position).
 * It counts as one more fee paid.
 */
import { formatFixed, parseFixed, pow10, SCALE, divRound } from '../../core/money/fixed.js';
import type { FuturesPositionFigures } from '../../execution/account-read-port.js';

/** `breakEvenPrice` of one position's figures, a decimal string with at most 8 decimals. */
export function usdmBreakEvenPrice(x: Pick<FuturesPositionFigures, 'size' | 'entryPrice' | 'realizedPnl'> & { readonly openingFee?: string }): string {
  const size = parseFixed(x.size);
  if (size === 0n) return '0';
  const entry = parseFixed(x.entryPrice);
  const net = (x.realizedPnl === undefined ? 0n : parseFixed(x.realizedPnl)) - (x.openingFee === undefined ? 0n : parseFixed(x.openingFee));
  // entry − net / size = (entry × size − net × 10^18) / size in scale-18 units; in units of 10^-8 the
  // denominator gains 10^10: one division, one rounding.
  const eighths = divRound(entry * size - net * SCALE, size * pow10(10), 'half-up');
  return formatFixed(eighths * pow10(10));
}
