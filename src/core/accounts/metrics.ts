/**
 * Account metrics from an equity curve and a list of closed round trips, and the drawdown tracker
 * the kernel's max-drawdown guard uses.
 *
 * Guarantees:
 * - `computeMetrics` is pure and deterministic: same input → same output, no clock, no randomness.
 * - Money and ratios of money are exact `Fixed` values. Sums and differences are exact; every
 *   division is rounded half-up (away from zero on a tie) at 18 fractional digits. Only `sharpe` and
 *   `sortino` are JavaScript numbers: they are statistics, never fed back into balances.
 * - Invalid input throws (fail fast): a non-positive initial equity, an equity curve whose `at` goes
 *   backwards or is not finite, a non-positive period or annualization.
 *
 * Definitions (E₀ = initialEquity, E = the last equity of the curve, or E₀ when the curve is empty):
 * - return        = E / E₀ − 1 (a fraction: 0.05 is +5 %). totalPnl = E − E₀, so it includes
 *                   unrealized PnL, fees and funding. realizedPnl = Σ trade.pnl.
 * - wins / losses = trades with pnl > 0 / pnl < 0. A break-even trade (pnl = 0) counts in
 *                   tradeCount but in neither. winRate = wins / tradeCount (0 with no trades).
 * - grossProfit = Σ positive pnl; grossLoss = |Σ negative pnl| (≥ 0).
 *   profitFactor = grossProfit / grossLoss, null when grossLoss = 0.
 * - averageWin = grossProfit / wins, averageLoss = −grossLoss / losses (≤ 0); 0 when no such trade.
 *   expectancy = realizedPnl / tradeCount (0 with no trades).
 * - Drawdown: the running peak starts at E₀ and rises with every curve point. At each point the
 *   drawdown is (peak − equity) / peak (`drawdownOf`). maxDrawdown is the largest such fraction,
 *   maxDrawdownAmount the largest peak − equity in money; the two can come from different falls
 *   (a 50 % fall from 100 and a 10 % fall from 1000). currentDrawdown is the drawdown at E.
 * - feesPaid and fundingPaid are passed through as given (positive = paid by the account).
 *   `trade.fees` is informational: `trade.pnl` is already net of them.
 * - Sharpe and Sortino: the curve is sampled on the grid t₀ + k·periodMs (t₀ = the first point's
 *   `at`, k = 0, 1, … while the boundary ≤ the last point's `at`), each sample being the last equity
 *   at or before its boundary (several points at one `at`: the last one). The trailing partial
 *   period is left out. Period returns rₖ = Sₖ / Sₖ₋₁ − 1 (exact, then converted to a number).
 *   sharpe = mean(r) / sd(r) · √annualization, with the sample standard deviation (n − 1).
 *   sortino = mean(r) / dd(r) · √annualization, with the downside deviation over all n periods,
 *   dd = √(Σ min(rₖ, 0)² / n). Each is null with fewer than 2 returns or a zero deviation; both are
 *   null when a sample before the last is ≤ 0 (a return from no equity has no meaning).
 *
 * Not modelled: a risk-free rate or target return (both 0); deposits and withdrawals (the curve
 * must be net of external cash flows, or they read as gains and drawdowns); intra-period extremes
 * that the curve does not contain (a drawdown is only as deep as the sampled points show).
 * Cost: O(points + trades + periods) time, O(periods) memory for the returns; one bigint division
 * per period whose equity moved, two multiplications per point for the drawdown. A tiny periodMs
 * over a long curve means many periods.
 */
import { div, divRound, formatFixed, fromInt, toDisplayNumber, ZERO, type Fixed } from '../money/fixed.js';

export interface EquityPoint {
  /** Milliseconds since the epoch (input time, never the wall clock). */
  readonly at: number;
  readonly equity: Fixed;
}

/** A closed round trip. */
export interface ClosedTrade {
  readonly closedAt: number;
  /** Net realized PnL, after this trade's fees. */
  readonly pnl: Fixed;
  readonly fees: Fixed;
}

export interface MetricsInput {
  readonly initialEquity: Fixed;
  readonly equityCurve: readonly EquityPoint[];
  readonly trades: readonly ClosedTrade[];
  readonly feesPaid: Fixed;
  readonly fundingPaid: Fixed;
  /** Sampling period of the returns behind Sharpe and Sortino; default one day. */
  readonly periodMs?: number;
  /** Periods per year; default 365 (crypto trades every day). */
  readonly annualization?: number;
}

export interface AccountMetrics {
  readonly initialEquity: Fixed;
  readonly finalEquity: Fixed;
  readonly return: Fixed;
  readonly totalPnl: Fixed;
  readonly realizedPnl: Fixed;
  readonly tradeCount: number;
  readonly wins: number;
  readonly losses: number;
  readonly winRate: Fixed;
  readonly grossProfit: Fixed;
  readonly grossLoss: Fixed;
  readonly profitFactor: Fixed | null;
  readonly averageWin: Fixed;
  readonly averageLoss: Fixed;
  readonly expectancy: Fixed;
  readonly maxDrawdown: Fixed;
  readonly maxDrawdownAmount: Fixed;
  readonly currentDrawdown: Fixed;
  readonly feesPaid: Fixed;
  readonly fundingPaid: Fixed;
  readonly sharpe: number | null;
  readonly sortino: number | null;
}

export const DAY_MS = 86_400_000;
export const DEFAULT_ANNUALIZATION = 365;

/** (peak − equity) / peak, rounded half-up; 0 when equity is at or above the peak. */
export function drawdownOf(peak: Fixed, equity: Fixed): Fixed {
  if (equity >= peak) return ZERO;
  if (peak <= 0n) throw new RangeError(`drawdown from a non-positive peak ${formatFixed(peak)}`);
  return div(peak - equity, peak);
}

export interface DrawdownState {
  /** Drawdown of the latest equity from the peak, as a fraction. */
  readonly current: Fixed;
  /** Largest drawdown seen, as a fraction. */
  readonly max: Fixed;
}

/** Running peak and drawdowns, one equity at a time (the kernel's max-drawdown guard). O(1) per update. */
export class DrawdownTracker {
  private peakEquity: Fixed;
  private currentFraction: Fixed = ZERO;
  private maxFraction: Fixed = ZERO;
  private maxFall: Fixed = ZERO;
  /** The equity of the last update (undefined before the first, and after a restore). */
  private lastEquity: Fixed | undefined;

  /** `startEquity` is the first peak (an account's initial equity). */
  constructor(startEquity: Fixed) {
    this.peakEquity = startEquity;
  }

  update(equity: Fixed): DrawdownState {
    // The same equity again changes nothing: the peak is already at or above it (no division).
    if (equity === this.lastEquity) return { current: this.currentFraction, max: this.maxFraction };
    this.lastEquity = equity;
    if (equity > this.peakEquity) this.peakEquity = equity;
    const fall = this.peakEquity - equity;
    if (fall > this.maxFall) this.maxFall = fall;
    this.currentFraction = drawdownOf(this.peakEquity, equity);
    if (this.currentFraction > this.maxFraction) this.maxFraction = this.currentFraction;
    return { current: this.currentFraction, max: this.maxFraction };
  }

  get peak(): Fixed {
    return this.peakEquity;
  }

  get current(): Fixed {
    return this.currentFraction;
  }

  get max(): Fixed {
    return this.maxFraction;
  }

  /** Largest peak − equity seen, in money. */
  get maxAmount(): Fixed {
    return this.maxFall;
  }

  exportState(): readonly [peak: Fixed, current: Fixed, max: Fixed, maxFall: Fixed] {
    return [this.peakEquity, this.currentFraction, this.maxFraction, this.maxFall];
  }

  static fromState([peak, current, max, maxFall]: readonly [Fixed, Fixed, Fixed, Fixed]): DrawdownTracker {
    const tracker = new DrawdownTracker(peak);
    tracker.currentFraction = current;
    tracker.maxFraction = max;
    tracker.maxFall = maxFall;
    return tracker;
  }
}

export function computeMetrics(input: MetricsInput): AccountMetrics {
  const { initialEquity, equityCurve, trades } = input;
  const periodMs = input.periodMs ?? DAY_MS;
  const annualization = input.annualization ?? DEFAULT_ANNUALIZATION;
  if (initialEquity <= 0n) throw new RangeError(`initial equity must be positive, got ${formatFixed(initialEquity)}`);
  if (!(periodMs > 0) || !Number.isFinite(periodMs)) throw new RangeError(`periodMs must be positive, got ${periodMs}`);
  if (!(annualization > 0) || !Number.isFinite(annualization)) throw new RangeError(`annualization must be positive, got ${annualization}`);
  checkCurve(equityCurve);

  // The deepest fall is found by comparing fractions crosswise (fall × peak' > fall' × peak, peaks
  // positive) and divided once: rounding is monotone, so the rounded maximum is the maximum of the
  // rounded drawdowns the tracker would give point by point.
  let peak = initialEquity;
  let maxFall = ZERO;
  let worstFall = ZERO;
  let worstPeak = initialEquity;
  let previous: Fixed | undefined;
  for (const point of equityCurve) {
    if (point.equity === previous) continue; // the same equity again changes nothing
    previous = point.equity;
    if (point.equity > peak) peak = point.equity;
    const fall = peak - point.equity;
    if (fall > maxFall) maxFall = fall;
    // The peak never falls, so worstPeak ≤ peak: a fall no larger than worstFall is no deeper a fraction (no products).
    if (fall > worstFall && fall * worstPeak > worstFall * peak) {
      worstFall = fall;
      worstPeak = peak;
    }
  }
  const finalEquity = equityCurve.at(-1)?.equity ?? initialEquity;

  let wins = 0;
  let losses = 0;
  let grossProfit = ZERO;
  let grossLoss = ZERO;
  for (const trade of trades) {
    if (trade.pnl > 0n) {
      wins += 1;
      grossProfit += trade.pnl;
    } else if (trade.pnl < 0n) {
      losses += 1;
      grossLoss -= trade.pnl;
    }
  }
  const tradeCount = trades.length;
  const realizedPnl = grossProfit - grossLoss;
  const returns = periodReturns(equityCurve, periodMs);

  return {
    initialEquity,
    finalEquity,
    return: div(finalEquity - initialEquity, initialEquity),
    totalPnl: finalEquity - initialEquity,
    realizedPnl,
    tradeCount,
    wins,
    losses,
    winRate: perCount(fromInt(wins), tradeCount),
    grossProfit,
    grossLoss,
    profitFactor: grossLoss === 0n ? null : div(grossProfit, grossLoss),
    averageWin: perCount(grossProfit, wins),
    averageLoss: perCount(-grossLoss, losses),
    expectancy: perCount(realizedPnl, tradeCount),
    maxDrawdown: drawdownOf(worstPeak, worstPeak - worstFall),
    maxDrawdownAmount: maxFall,
    currentDrawdown: drawdownOf(peak, finalEquity),
    feesPaid: input.feesPaid,
    fundingPaid: input.fundingPaid,
    sharpe: returns === null ? null : sharpeOf(returns, annualization),
    sortino: returns === null ? null : sortinoOf(returns, annualization),
  };
}

/** amount ÷ count, rounded half-up at 18 digits; 0 when count is 0 (nothing to average). */
function perCount(amount: Fixed, count: number): Fixed {
  return count === 0 ? ZERO : divRound(amount, BigInt(count), 'half-up');
}

function checkCurve(curve: readonly EquityPoint[]): void {
  let previous = -Infinity;
  for (let i = 0; i < curve.length; i += 1) {
    const point = curve[i]!;
    if (!Number.isFinite(point.at)) throw new RangeError(`equity point ${i} has a non-finite time ${point.at}`);
    if (point.at < previous) throw new RangeError(`equity point ${i} goes back in time (${point.at} < ${previous})`);
    previous = point.at;
  }
}

interface PeriodReturns {
  readonly values: readonly number[];
  /** True when every exact return is the same (zero deviation however floats round). */
  readonly allEqual: boolean;
}

/** Returns between samples on the t₀ + k·periodMs grid; null when a return would divide by equity ≤ 0. */
function periodReturns(curve: readonly EquityPoint[], periodMs: number): PeriodReturns | null {
  const first = curve[0];
  const last = curve.at(-1);
  if (first === undefined || last === undefined) return { values: [], allEqual: true };
  const values: number[] = [];
  let firstExact: Fixed | undefined;
  let allEqual = true;
  let index = 0;
  let previous: Fixed | undefined;
  for (let k = 0; first.at + k * periodMs <= last.at; k += 1) {
    const boundary = first.at + k * periodMs;
    while (index + 1 < curve.length && curve[index + 1]!.at <= boundary) index += 1;
    const sample = curve[index]!.equity;
    if (previous !== undefined) {
      if (previous <= 0n) return null;
      // A flat period (no position, most of a backtest) returns exactly 0: no division, no text.
      const exact = sample === previous ? ZERO : div(sample - previous, previous);
      firstExact ??= exact;
      if (exact !== firstExact) allEqual = false;
      values.push(exact === ZERO ? 0 : returnNumber(exact));
    }
    previous = sample;
  }
  return { values, allEqual };
}

const MAX_EXACT = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * A return as a number: the double nearest exact / 10^18, as `toDisplayNumber` gives it. Up to 2^53
 * in magnitude (a period return within ±0.9 %) the bigint and 10^18 are both exact doubles and IEEE
 * division rounds correctly, so one division gives that same double without writing the decimal.
 */
function returnNumber(exact: Fixed): number {
  return exact <= MAX_EXACT && exact >= -MAX_EXACT ? Number(exact) / 1e18 : toDisplayNumber(exact);
}

function mean(values: readonly number[]): number {
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

function sharpeOf({ values, allEqual }: PeriodReturns, annualization: number): number | null {
  if (values.length < 2 || allEqual) return null;
  const m = mean(values);
  let squares = 0;
  for (const v of values) squares += (v - m) ** 2;
  const sd = Math.sqrt(squares / (values.length - 1));
  return sd === 0 ? null : (m / sd) * Math.sqrt(annualization);
}

function sortinoOf({ values }: PeriodReturns, annualization: number): number | null {
  if (values.length < 2) return null;
  let squares = 0;
  for (const v of values) squares += Math.min(v, 0) ** 2;
  const dd = Math.sqrt(squares / values.length);
  return dd === 0 ? null : (mean(values) / dd) * Math.sqrt(annualization);
}
