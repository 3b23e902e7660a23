/**
 * Replay of a recording that holds trades and no depth (ADR 0041): a lower-fidelity mode.
 *
 * Each print P becomes three kernel inputs at the print's time:
 * 1. `book.snapshot` with `derivedFrom: 'trades'`: one ask at ceil_tick(P × (1 + k)) and one bid at
 *    floor_tick(P × (1 − k)), k = (spread / 2 + slippage) / 10,000 (both in basis points), each of
 *    `QUOTE_QUANTITY` (takers are not limited by size; they are by price);
 * 2. the print itself (`trade`), which triggers conditional orders and fills resting orders;
 * 3. `book.invalidate`: between prints there is no book, so an order waits for the next print.
 *
 * The rules this gives (matching-engine.ts, `Market.tradesOnly`):
 * - a MARKET order (or a triggered stop) fills whole at the next print's quote: a buy at
 *   ceil_tick(P × (1 + k)), a sell at floor_tick(P × (1 − k));
 * - a LIMIT order that arrives marketable against that quote fills as a taker at the quote; otherwise
 *   it rests and fills only on a print strictly through its price (a buy when a print is below it,
 *   a sell when a print is above it), at its own price, at most the print's quantity per print — a
 *   print at its price fills nothing (the queue ahead is unknown);
 * - nothing fills between prints.
 * Not modelled: the real spread and depth, queue position, market impact.
 */
import type { BookInvalidateInput, BookSnapshotInput } from '../core/kernel/inputs.js';
import type { Instrument } from '../core/instruments/instrument.js';
import { divRound, formatFixed, parseFixed, roundToIncrement, SCALE, type Fixed } from '../core/money/fixed.js';
import type { MarketInput, Recording } from './recording-reader.js';

/** Spread and slippage of the quote derived from each print, in basis points (decimal strings). */
export interface TradesOnlyModel {
  readonly spreadBps: string;
  readonly slippageBps: string;
}

/** Defaults: a 2 bp spread and 1 bp slippage on each side (documented in ADR 0041). */
export const DEFAULT_TRADES_ONLY_MODEL: TradesOnlyModel = { spreadBps: '2', slippageBps: '1' };

/** Size of each side of the derived quote: large enough never to limit a taker. */
export const QUOTE_QUANTITY = '1000000000';

const BPS = 10_000n;

/** Why the model is unusable, or undefined: both are non-negative decimals (at most 18 places, what a Fixed holds), spread/2 + slippage below 100 %. */
export function tradesOnlyModelProblem(model: TradesOnlyModel): string | undefined {
  for (const [name, value] of [['spread', model.spreadBps], ['slippage', model.slippageBps]] as const) {
    if (!/^\d+(\.\d+)?$/.test(value)) return `${name} must be a non-negative decimal number of basis points, got "${value}"`;
    if (!/^\d+(\.\d{1,18})?$/.test(value)) return `${name} has more than 18 decimal places, got "${value}"`;
  }
  return offsetOf(model) >= SCALE ? 'spread / 2 + slippage must be below 10,000 bp' : undefined;
}

/** k = (spread / 2 + slippage) / 10,000 as a fixed-point fraction (exact: divides a decimal by 20,000 and 10,000). */
function offsetOf(model: TradesOnlyModel): Fixed {
  const halfSpread = divRound(parseFixed(model.spreadBps), 2n * BPS, 'up');
  return halfSpread + divRound(parseFixed(model.slippageBps), BPS, 'up');
}

/** The quote derived from one print: [bid, ask] on the instrument's tick grid, away from the print. */
export function quoteAround(price: Fixed, model: TradesOnlyModel, tickSize: Fixed): readonly [Fixed, Fixed] {
  const k = offsetOf(model);
  const ask = roundToIncrement(price + divRound(price * k, SCALE, 'up'), tickSize, 'ceil');
  const bid = roundToIncrement(price - divRound(price * k, SCALE, 'up'), tickSize, 'floor');
  return [bid > 0n ? bid : tickSize, ask];
}

/** The kernel inputs of a trades-only recording: each print with its derived quote before it and no book after. */
export function tradesOnlyInputs(recording: Recording, instrument: Instrument, model: TradesOnlyModel): MarketInput[] {
  const problem = tradesOnlyModelProblem(model);
  if (problem !== undefined) throw new Error(problem);
  const out: MarketInput[] = [];
  let updateId = 0;
  for (const input of recording.inputs) {
    if (input.kind !== 'trade') {
      out.push(input);
      continue;
    }
    updateId += 1;
    const [bid, ask] = quoteAround(parseFixed(input.price), model, instrument.tickSize);
    const snapshot: BookSnapshotInput = {
      kind: 'book.snapshot',
      time: input.time,
      symbol: input.symbol,
      lastUpdateId: updateId,
      bids: [[formatFixed(bid), QUOTE_QUANTITY]],
      asks: [[formatFixed(ask), QUOTE_QUANTITY]],
      derivedFrom: 'trades',
    };
    const after: BookInvalidateInput = { kind: 'book.invalidate', time: input.time, symbol: input.symbol, reason: 'trades-only: no book until the next print' };
    out.push(snapshot, input, after);
  }
  return out;
}

/** The label every report of such a replay carries. */
export function tradesOnlyLabel(model: TradesOnlyModel): string {
  return `trades-only replay (lower fidelity: no depth; fills on the trade tape with a ${model.spreadBps} bp spread and ${model.slippageBps} bp slippage; ADR 0041)`;
}
