/**
 * runBacktest on five candles and one trade, every figure worked by hand from the candles, the
 * book the engine quotes around each price (bid = price − tick, ask = price + tick; tick 0.1) and
 * the fee rate (10 bps).
 */
import { describe, expect, it } from 'vitest';
import { parseCandlesCsv } from '../strategy/candles.js';
import type { StrategyFactory } from '../strategy/strategy.js';
import { runBacktest } from './backtest.js';

const T0 = 1_700_000_000_000;
// open, high, low, close
const ROWS = [[60000, 60100, 59900, 60000], [60000, 60000, 59000, 59500], [59500, 60500, 59500, 60500], [61000, 61000, 60800, 60900], [60900, 61000, 60800, 60950]];
const CANDLES = parseCandlesCsv(ROWS.map((r, i) => [T0 + i * 60_000, ...r, 1].join(',')).join('\n'));

/** LONG on the close of bar 0, CLOSE on the close of bar 2. */
const twoSignals: StrategyFactory = () => {
  let bar = 0;
  return { id: 'by-hand', onCandle: () => { const k = bar++; return k === 0 ? { action: 'LONG', reason: 'in' } : k === 2 ? { action: 'CLOSE', reason: 'out' } : null; } };
};

describe('runBacktest worked by hand on five candles', () => {
  for (const barInputs of [false, true]) it(`one round trip: size, PnL, fees, win rate, final equity and the drawdown inside a bar${barInputs ? ' (bar inputs)' : ''}`, () => {
    const report = runBacktest(CANDLES, {
      barInputs,
      strategy: twoSignals, feeBps: 10, maxRiskPerTrade: 1.5,
      tactics: { name: 'wide', entry: { type: 'market' }, stopLoss: { type: 'percent', percent: 50 }, takeProfits: [{ percent: 50, share: 1 }] },
    });
    // Size: 1.5 % of 10000 = 150 USDT at risk over a stop 50 % under the reference 60000 (bar 1's open): 150 / 30000 = 0.005.
    // Entry at bar 1's open, a market buy at the ask 60000.1; exit at bar 3's open, a market sell at the bid 60999.9.
    const qty = 0.005;
    const pnl = (60999.9 - 60000.1) * qty; // 4.999
    const fees = 60000.1 * qty * 0.001 + 60999.9 * qty * 0.001; // 0.3000005 + 0.3049995 = 0.605
    expect(report.signals).toBe(2);
    expect(report.fills).toBe(2);
    expect(report.positionsOpened).toBe(1);
    const m = report.metrics;
    expect(m.tradeCount).toBe(1);
    expect(m.wins).toBe(1);
    expect(m.winRate).toBe('1');
    expect(Number(m.feesPaid)).toBeCloseTo(fees, 12);
    expect(m.feesPaid).toBe('0.605');
    expect(m.realizedPnl).toBe('4.394');
    expect(Number(m.realizedPnl)).toBeCloseTo(pnl - fees, 12);
    expect(report.finalEquity).toBe('10004.394');
    expect(m.totalPnl).toBe('4.394');
    expect(m.return).toBe('0.0004394');
    // The drawdown is read at every step of each bar's path, not only at the equity samples. Bar 1
    // (60000, 60000, 59000, 59500) is walked low first, the long's adverse side: open 60000 → 59000 →
    // 60000 → 59500. At 59000 the mark is the mid of 58999.9 / 59000.1, 59000, and the equity
    // 10000 − 0.3000005 (entry fee) + (59000 − 60000.1) × 0.005 = 10000 − 0.3000005 − 5.0005 = 9994.6994995:
    // 5.3005005 under the peak of 10000, a fraction of 0.00053005005. Nothing later falls further
    // (bar 2's low is its open, 59500; the exit is above the entry).
    expect(m.drawdownMeasuredOn).toBe('every price step');
    expect(m.maxDrawdownAmount).toBe('5.3005005');
    expect(m.maxDrawdown).toBe('0.00053005005');
    // The equity samples (each minute at +40 s of a bar here: after the extremes of bar 1 it is at its
    // high, 60000) saw only the entry fee and one tick against the entry, 0.3000005 + (60000.1 − 60000) × 0.005.
    const sampled = report.equityCurve.map((p) => Number(p.equity));
    expect(10000 - Math.min(...sampled)).toBeCloseTo(0.3005005, 9);
    expect(m.currentDrawdown).toBe('0');
  });
});

describe('runBacktest with a position still open after the last candle', () => {
  /** LONG on the close of bar 0; nothing closes it. */
  const once: StrategyFactory = () => {
    let bar = 0;
    return { id: 'once', onCandle: () => (bar++ === 0 ? { action: 'LONG', reason: 'in' } : null) };
  };
  // The last bar rises to 61000 and closes at 60500: the account ends valued at the close, not at the high.
  const rows = [[60000, 60000, 60000, 60000], [60000, 60000, 60000, 60000], [60000, 61000, 60000, 60500]];
  const candles = parseCandlesCsv(rows.map((r, i) => [T0 + i * 60_000, ...r, 1].join(',')).join('\n'));

  for (const barInputs of [false, true]) it(`values the final equity, return and total PnL at the last close${barInputs ? ' (bar inputs)' : ''}`, () => {
    const report = runBacktest(candles, {
      barInputs,
      strategy: once, feeBps: 10, maxRiskPerTrade: 1.5,
      tactics: { name: 'wide', entry: { type: 'market' }, stopLoss: { type: 'percent', percent: 50 }, takeProfits: [{ percent: 50, share: 1 }] },
    });
    // 150 USDT at risk over a 50 % stop under 60000: 0.005 bought at the ask 60000.1, fee 0.3000005;
    // marked at the last close 60500 (the mid of 60499.9 / 60500.1): 10000 − 0.3000005 + (60500 − 60000.1) × 0.005.
    expect(report.finalEquity).toBe('10002.1994995');
    expect(report.metrics.finalEquity).toBe('10002.1994995');
    expect(report.metrics.totalPnl).toBe('2.1994995');
    expect(report.metrics.return).toBe('0.00021994995');
    expect(report.equityCurve.at(-1)?.equity).toBe('10002.1994995');
  });
});

describe('runBacktest options', () => {
  it('refuses a progressEvery that is not a whole number ≥ 1 (NaN replayed nothing, 0 or below never ended)', () => {
    for (const progressEvery of [Number.NaN, 1.5, 0, -3]) {
      expect(() => runBacktest(CANDLES, { strategy: twoSignals, progressEvery })).toThrow(RangeError);
    }
    // Every chunk size gives the same backtest: here, both signals.
    for (const progressEvery of [1, 2, 500]) expect(runBacktest(CANDLES, { strategy: twoSignals, progressEvery }).signals).toBe(2);
  });

  it('takes a missing candle wherever it falls, a chunk boundary too', () => {
    // Bar 2 missing (a minute without trades, as exchanges' files have them): bars 0, 1, 3, 4.
    const holed = CANDLES.filter((_, i) => i !== 2);
    const whole = runBacktest(holed, { strategy: twoSignals, progressEvery: 500 });
    // Chunks of 2 put the hole between two chunks (bar 1 ends the first, bar 3 starts the second).
    for (const progressEvery of [1, 2, 3]) {
      const chunked = runBacktest(holed, { strategy: twoSignals, progressEvery });
      expect(chunked.fills, String(progressEvery)).toBe(2);
      expect(chunked.finalEquity, String(progressEvery)).toBe(whole.finalEquity);
      // The same fills and figures; the samples' times (Sharpe, Sortino) may differ: a bar before a hole
      // is timed by the next candle when the batch holds it, else by the series' interval.
      for (const key of ['return', 'totalPnl', 'realizedPnl', 'feesPaid', 'tradeCount', 'winRate', 'maxDrawdown']) {
        expect(chunked.metrics[key], `${progressEvery} ${key}`).toBe(whole.metrics[key]);
      }
    }
  });
});
