import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { candlesFile } from '../../test-kit/data-paths.js';
import { formatFixed, mul, parseFixed, toDisplayNumber, type Fixed } from '../money/fixed.js';
import { computeMetrics, DAY_MS, drawdownOf, DrawdownTracker, type AccountMetrics, type ClosedTrade, type EquityPoint, type MetricsInput } from './metrics.js';

const HOUR_MS = 3_600_000;
const f = parseFixed;

function curveOf(...equities: string[]): EquityPoint[] {
  return equities.map((equity, day) => ({ at: day * DAY_MS, equity: f(equity) }));
}

function tradesOf(...pnls: string[]): ClosedTrade[] {
  return pnls.map((pnl, i) => ({ closedAt: i * HOUR_MS, pnl: f(pnl), fees: f('1') }));
}

function input(overrides: Partial<MetricsInput>): MetricsInput {
  return { initialEquity: f('1000'), equityCurve: [], trades: [], feesPaid: 0n, fundingPaid: 0n, ...overrides };
}

function show(value: Fixed | null): string | null {
  return value === null ? null : formatFixed(value);
}

describe('account metrics on a hand-checked example', () => {
  // 1000 → 1100 → 990 → 1089 → 1089 a day apart: daily returns +10 %, −10 %, +10 %, 0.
  const metrics = computeMetrics(
    input({
      equityCurve: curveOf('1000', '1100', '990', '1089', '1089'),
      trades: tradesOf('30', '-10', '20'),
      feesPaid: f('2.5'),
      fundingPaid: f('-0.75'),
    }),
  );

  it('gives return and PnL from the first and last equity', () => {
    expect(show(metrics.return)).toBe('0.089');
    expect(show(metrics.totalPnl)).toBe('89');
    expect(show(metrics.finalEquity)).toBe('1089');
    expect(show(metrics.realizedPnl)).toBe('40');
  });

  it('counts wins and losses and rounds the fractions half-up at 18 digits', () => {
    expect([metrics.tradeCount, metrics.wins, metrics.losses]).toEqual([3, 2, 1]);
    expect(show(metrics.winRate)).toBe('0.666666666666666667');
    expect(show(metrics.profitFactor)).toBe('5');
    expect(show(metrics.averageWin)).toBe('25');
    expect(show(metrics.averageLoss)).toBe('-10');
    expect(show(metrics.expectancy)).toBe('13.333333333333333333');
    expect([show(metrics.grossProfit), show(metrics.grossLoss)]).toEqual(['50', '10']);
  });

  it('measures drawdown from the running peak', () => {
    expect(show(metrics.maxDrawdown)).toBe('0.1'); // 1100 → 990
    expect(show(metrics.maxDrawdownAmount)).toBe('110');
    expect(show(metrics.currentDrawdown)).toBe('0.01'); // 1089 is 11 below 1100
  });

  it('passes fees and funding through as given', () => {
    expect([show(metrics.feesPaid), show(metrics.fundingPaid)]).toEqual(['2.5', '-0.75']);
  });

  it('annualizes Sharpe with the sample deviation and Sortino with the downside deviation over all periods', () => {
    // mean 0.025; Σ(r − mean)² = 0.0275, sd = √(0.0275 / 3) = 0.0957427…; √365 = 19.1049731…
    expect(metrics.sharpe).toBeCloseTo(4.988623, 5);
    // downside: min(r, 0)² sums to 0.01 over 4 periods, dd = 0.05; 0.025 / 0.05 × √365
    expect(metrics.sortino).toBeCloseTo(9.552487, 5);
  });
});

describe('account metrics at the edges', () => {
  it('rounds a negative average half-up away from zero', () => {
    const metrics = computeMetrics(input({ trades: tradesOf('1', '-2', '-2', '-1') }));
    expect(show(metrics.averageLoss)).toBe('-1.666666666666666667');
    expect(show(metrics.expectancy)).toBe('-1');
    expect(show(metrics.winRate)).toBe('0.25');
    expect(show(metrics.profitFactor)).toBe('0.2');
  });

  it('counts a break-even trade in the trade count but as neither a win nor a loss, and has no profit factor without a loss', () => {
    const metrics = computeMetrics(input({ trades: tradesOf('5', '0', '7') }));
    expect([metrics.tradeCount, metrics.wins, metrics.losses]).toEqual([3, 2, 0]);
    expect(metrics.profitFactor).toBeNull();
    expect(show(metrics.averageLoss)).toBe('0');
    expect(show(metrics.expectancy)).toBe('4');
  });

  it('gives zeros and no ratios for an account that never traded and has no curve', () => {
    const metrics = computeMetrics(input({}));
    expect(show(metrics.return)).toBe('0');
    expect([show(metrics.winRate), show(metrics.averageWin), show(metrics.expectancy), show(metrics.maxDrawdown)]).toEqual(['0', '0', '0', '0']);
    expect([metrics.profitFactor, metrics.sharpe, metrics.sortino]).toEqual([null, null, null]);
  });

  it('takes the deepest fall in money and in fraction separately, as they may be different falls', () => {
    const metrics = computeMetrics(input({ initialEquity: f('100'), equityCurve: curveOf('50', '1000', '900') }));
    expect(show(metrics.maxDrawdown)).toBe('0.5');
    expect(show(metrics.maxDrawdownAmount)).toBe('100');
    expect(show(metrics.currentDrawdown)).toBe('0.1');
  });

  it('counts a fall below the initial equity as drawdown even when the curve starts lower', () => {
    const metrics = computeMetrics(input({ equityCurve: curveOf('800', '900') }));
    expect(show(metrics.maxDrawdown)).toBe('0.2');
    expect(show(metrics.currentDrawdown)).toBe('0.1');
  });

  it('has no Sharpe or Sortino with fewer than two returns, identical returns, no downside, or a return from zero equity', () => {
    expect(computeMetrics(input({ equityCurve: curveOf('1000', '1100') })).sharpe).toBeNull();
    const steady = computeMetrics(input({ equityCurve: curveOf('1000', '1100', '1210') }));
    expect([steady.sharpe, steady.sortino]).toEqual([null, null]);
    const upOnly = computeMetrics(input({ equityCurve: curveOf('1000', '1100', '1320') }));
    expect(upOnly.sharpe).not.toBeNull();
    expect(upOnly.sortino).toBeNull();
    const wiped = computeMetrics(input({ equityCurve: curveOf('1000', '500', '0', '10') }));
    expect([wiped.sharpe, wiped.sortino]).toEqual([null, null]);
  });

  it('samples the last equity at or before each period boundary and leaves the partial last period out', () => {
    const curve: EquityPoint[] = [
      { at: 0, equity: f('100') },
      { at: 10, equity: f('999') }, // overwritten before the boundary at 20
      { at: 20, equity: f('110') },
      { at: 20, equity: f('120') }, // same instant: the later point wins
      { at: 55, equity: f('90') }, // sampled at 60
      { at: 70, equity: f('5000') }, // after the last whole period: left out
    ];
    // samples 100, 120, 120, 90 at 0, 20, 40, 60 → returns 0.2, 0, −0.25
    const metrics = computeMetrics(input({ initialEquity: f('100'), equityCurve: curve, periodMs: 20, annualization: 1 }));
    const r = [0.2, 0, -0.25];
    const m = (0.2 - 0.25) / 3;
    const sd = Math.sqrt(r.reduce((s, x) => s + (x - m) ** 2, 0) / 2);
    expect(metrics.sharpe).toBeCloseTo(m / sd, 12);
    expect(metrics.sortino).toBeCloseTo(m / Math.sqrt(0.0625 / 3), 12);
  });

  it('refuses a non-positive initial equity, a curve that goes back in time and a non-positive period', () => {
    expect(() => computeMetrics(input({ initialEquity: 0n }))).toThrow(/initial equity/);
    expect(() => computeMetrics(input({ equityCurve: [{ at: 5, equity: f('1') }, { at: 4, equity: f('1') }] }))).toThrow(/back in time/);
    expect(() => computeMetrics(input({ periodMs: 0 }))).toThrow(/periodMs/);
    expect(() => computeMetrics(input({ annualization: -1 }))).toThrow(/annualization/);
  });
});

describe('the drawdown tracker', () => {
  it('follows the peak and reports the current and largest drawdown after every equity', () => {
    const tracker = new DrawdownTracker(f('100'));
    const seen = ['120', '90', '110', '130', '65'].map((e) => {
      const { current, max } = tracker.update(f(e));
      return [formatFixed(current), formatFixed(max)];
    });
    expect(seen).toEqual([
      ['0', '0'],
      ['0.25', '0.25'],
      ['0.083333333333333333', '0.25'],
      ['0', '0.25'],
      ['0.5', '0.5'],
    ]);
    expect([formatFixed(tracker.peak), formatFixed(tracker.maxAmount)]).toEqual(['130', '65']);
  });

  it('gives no drawdown at or above the peak and refuses a fall from a non-positive peak', () => {
    expect(drawdownOf(f('100'), f('150'))).toBe(0n);
    expect(formatFixed(drawdownOf(f('100'), f('-20')))).toBe('1.2');
    expect(drawdownOf(0n, 0n)).toBe(0n);
    expect(() => drawdownOf(0n, f('-1'))).toThrow(/non-positive peak/);
  });
});

// ---------------------------------------------------------------------------------------------
// Independent check: a real BTCUSDT hourly series, metrics recomputed with plain JS numbers.

interface Bar {
  readonly closeTime: number;
  readonly open: string;
  readonly close: string;
}

function loadBars(): Bar[] {
  const text = readFileSync(candlesFile('binance_btcusdt_1h.csv'), 'utf8');
  const [header, ...rows] = text.trim().split('\n');
  expect(header).toBe('open_time_ms,open,high,low,close,volume');
  return rows.map((row) => {
    const [openTime, open, , , close] = row.split(',');
    return { closeTime: Number(openTime) + HOUR_MS, open: open!, close: close! };
  });
}

/** Holds 1 BTC bought at the first open from 10,000 USDT; trades 0.5 BTC close-to-close with a 0.1 % fee a side. */
function scenario(bars: readonly Bar[]) {
  const first = bars[0]!;
  const cash = f('10000') - f(first.open);
  const curve = bars.map((bar) => ({ at: bar.closeTime, equity: cash + f(bar.close) }));
  const qty = f('0.5');
  const feeRate = f('0.001');
  const trades = bars.slice(1).map((bar, i) => {
    const entry = mul(qty, f(bars[i]!.close));
    const exit = mul(qty, f(bar.close));
    const fees = mul(entry, feeRate) + mul(exit, feeRate);
    return { closedAt: bar.closeTime, pnl: exit - entry - fees, fees };
  });
  const feesPaid = trades.reduce((sum, t) => sum + t.fees, 0n);
  return { initialEquity: f('10000'), equityCurve: curve, trades, feesPaid, fundingPaid: f('3.75') };
}

type Reference = Record<Exclude<keyof AccountMetrics, 'initialEquity' | 'finalEquity' | 'grossProfit' | 'grossLoss' | 'realizedPnl'>, number | null>;

/** The textbook formulas, written out with floats and no shared code. */
function reference(bars: readonly Bar[], periodMs: number, periodsPerYear: number): Reference {
  const initial = 10_000;
  const cash = initial - Number(bars[0]!.open);
  const curve = bars.map((bar) => ({ at: bar.closeTime, equity: cash + Number(bar.close) }));
  const pnls: number[] = [];
  let fees = 0;
  for (let i = 1; i < bars.length; i += 1) {
    const entry = 0.5 * Number(bars[i - 1]!.close);
    const exit = 0.5 * Number(bars[i]!.close);
    const fee = 0.001 * entry + 0.001 * exit;
    fees += fee;
    pnls.push(exit - entry - fee);
  }
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const winners = pnls.filter((p) => p > 0);
  const losers = pnls.filter((p) => p < 0);
  const final = curve[curve.length - 1]!.equity;

  const equities = [initial, ...curve.map((p) => p.equity)];
  const drawdowns = equities.map((e, i) => {
    const peak = Math.max(...equities.slice(0, i + 1));
    return { fraction: (peak - e) / peak, amount: peak - e };
  });

  const samples: number[] = [];
  for (let b = curve[0]!.at; b <= curve[curve.length - 1]!.at; b += periodMs) {
    samples.push(curve.filter((p) => p.at <= b).at(-1)!.equity);
  }
  const returns = samples.slice(1).map((s, i) => s / samples[i]! - 1);
  const n = returns.length;
  const mean = sum(returns) / n;
  const sd = Math.sqrt(sum(returns.map((r) => (r - mean) ** 2)) / (n - 1));
  const downside = Math.sqrt(sum(returns.map((r) => Math.min(r, 0) ** 2)) / n);

  return {
    return: final / initial - 1,
    totalPnl: final - initial,
    tradeCount: pnls.length,
    wins: winners.length,
    losses: losers.length,
    winRate: winners.length / pnls.length,
    profitFactor: sum(winners) / -sum(losers),
    averageWin: sum(winners) / winners.length,
    averageLoss: sum(losers) / losers.length,
    expectancy: sum(pnls) / pnls.length,
    maxDrawdown: Math.max(...drawdowns.map((d) => d.fraction)),
    maxDrawdownAmount: Math.max(...drawdowns.map((d) => d.amount)),
    currentDrawdown: drawdowns[drawdowns.length - 1]!.fraction,
    feesPaid: fees,
    fundingPaid: 3.75,
    sharpe: (mean / sd) * Math.sqrt(periodsPerYear),
    sortino: downside === 0 ? null : (mean / downside) * Math.sqrt(periodsPerYear),
  };
}

function expectClose(name: string, actual: number | null, expected: number | null): void {
  if (expected === null || actual === null) {
    expect(actual, name).toBe(expected);
    return;
  }
  const tolerance = 1e-9 * Math.max(Math.abs(expected), Math.abs(actual));
  expect(Math.abs(actual - expected), `${name}: ${actual} vs ${expected}`).toBeLessThanOrEqual(tolerance);
}

describe('account metrics on a real BTCUSDT hourly series', () => {
  const bars = loadBars();
  const counts = new Set(['tradeCount', 'wins', 'losses']);

  for (const { label, periodMs, periodsPerYear } of [
    { label: 'hourly returns', periodMs: HOUR_MS, periodsPerYear: 24 * 365 },
    { label: '90-minute returns (boundaries between points)', periodMs: 90 * 60_000, periodsPerYear: 16 * 365 },
    { label: '6-hour returns', periodMs: 6 * HOUR_MS, periodsPerYear: 4 * 365 },
    { label: 'daily returns (the default; none negative, so no Sortino)', periodMs: undefined, periodsPerYear: undefined },
  ]) {
    it(`equal an independent float computation of every metric, with ${label}`, () => {
      const metrics = computeMetrics({ ...scenario(bars), periodMs, annualization: periodsPerYear });
      const expected = reference(bars, periodMs ?? DAY_MS, periodsPerYear ?? 365);
      for (const [name, value] of Object.entries(expected)) {
        const actual = metrics[name as keyof Reference];
        if (counts.has(name)) expect(actual, name).toBe(value);
        else expectClose(name, typeof actual === 'bigint' ? toDisplayNumber(actual) : actual, value);
      }
    });
  }

  it('is a non-trivial series: wins and losses, a drawdown, and enough returns for the statistics', () => {
    const metrics = computeMetrics({ ...scenario(bars), periodMs: HOUR_MS, annualization: 24 * 365 });
    expect(bars.length).toBe(120);
    expect(metrics.wins).toBeGreaterThan(20);
    expect(metrics.losses).toBeGreaterThan(20);
    expect(metrics.maxDrawdown).toBeGreaterThan(metrics.currentDrawdown);
    expect(metrics.sharpe).not.toBeNull();
  });

  it('gives the same maximum drawdown when the tracker is fed one equity at a time', () => {
    const { initialEquity, equityCurve } = scenario(bars);
    const tracker = new DrawdownTracker(initialEquity);
    let last = { current: 0n, max: 0n };
    for (const point of equityCurve) last = tracker.update(point.equity);
    const metrics = computeMetrics({ ...scenario(bars) });
    expect([last.current, last.max, tracker.maxAmount]).toEqual([metrics.currentDrawdown, metrics.maxDrawdown, metrics.maxDrawdownAmount]);
  });
});
