import { describe, expect, it } from 'vitest';
import { parseFixed, formatFixed } from '../core/money/fixed.js';
import { readRecording } from '../market-data/recording-reader.js';
import { USDM_RECORDING } from '../test-kit/data-paths.js';
import { readCandlesFile } from '../strategy/candles.js';
import { candlesFile } from '../test-kit/data-paths.js';
import { runBacktest, runRecordingBacktest } from './backtest.js';
import type { PaperTradingEvent } from './engine-events.js';

describe('round trips carry every fee of their fills', () => {
  it('over a whole USD-M backtest (ema-crossover 2/4 on 15 s candles), Σ fills’ fees = Σ feesPaid of the positions they made', () => {
    const events: PaperTradingEvent[] = [];
    const report = runRecordingBacktest(readRecording(USDM_RECORDING), {
      strategy: 'ema-crossover', strategyParams: { fast: 2, slow: 4 }, candleIntervalMs: 15_000, onEvent: (e) => events.push(e),
    });
    // The oracle: every FILL's fee, summed independently of any position bookkeeping.
    let fillFees = 0n;
    for (const e of events) if (e.type === 'FILL') fillFees += parseFixed(e.fee);
    expect(fillFees).toBeGreaterThan(0n);
    // Positions: closed ones with their last event (liquidation fees are not fills), open ones with their latest.
    const last = new Map<string, { closed: boolean; fees: bigint }>();
    let liquidationFees = 0n;
    let closedFees = 0n;
    let closes = 0;
    for (const e of events) {
      if (e.type === 'LIQUIDATION') liquidationFees += parseFixed(e.liquidationFee);
      if (e.type === 'POSITION_OPENED' || e.type === 'POSITION_UPDATED' || e.type === 'POSITION_CLOSED') {
        last.set(e.positionId, { closed: e.type === 'POSITION_CLOSED', fees: parseFixed(e.feesPaid) });
        if (e.type === 'POSITION_CLOSED') {
          closedFees += parseFixed(e.feesPaid);
          closes += 1;
        }
      }
    }
    expect(closes).toBeGreaterThan(0);
    let positionFees = 0n;
    for (const p of last.values()) positionFees += p.fees;
    expect(formatFixed(positionFees - liquidationFees)).toBe(formatFixed(fillFees));
    // The report's trades are the closed positions; with every closing fee in them, the fees the
    // trades carry are the fills' fees less those of a position still open at the end.
    expect(report.metrics.tradeCount).toBe(closes);
    let openFees = 0n;
    for (const p of last.values()) if (!p.closed) openFees += p.fees;
    expect(formatFixed(closedFees - liquidationFees)).toBe(formatFixed(fillFees - openFees));
  });
  it('on a candle file (coinbase_btcusd_1m_20171217, rsi-reversal, default tactics), the round trips’ PnL is their fills’ cash less every fee, closing fees included', () => {
    const events: PaperTradingEvent[] = [];
    const report = runBacktest(readCandlesFile(candlesFile('coinbase_btcusd_1m_20171217.csv')), { strategy: 'rsi-reversal', onEvent: (e) => events.push(e) });
    // The oracle, from the fills alone: a round trip runs from a flat position back to flat; its
    // result is what its sells brought less what its buys cost, less the fee of every one of its fills.
    const trips: bigint[] = [];
    let size = 0n;
    let cash = 0n;
    let fees = 0n;
    let allFees = 0n;
    let tripFees = 0n;
    let closingFees = 0n;
    for (const e of events) {
      if (e.type !== 'FILL') continue;
      expect(e.feeAsset).toBe('USDT');
      const q = parseFixed(e.quantity);
      const quote = parseFixed(e.quoteQuantity);
      const fee = parseFixed(e.fee);
      const before = size;
      size += e.side === 'BUY' ? q : -q;
      cash += e.side === 'BUY' ? -quote : quote;
      fees += fee;
      allFees += fee;
      expect(before !== 0n && (before > 0n) !== (size > 0n) && size !== 0n).toBe(false); // no flips in one fill here
      if (size === 0n) {
        trips.push(cash - fees);
        tripFees += fees;
        closingFees += fee;
        [cash, fees] = [0n, 0n];
      }
    }
    expect(trips.length).toBeGreaterThan(5);
    expect(closingFees).toBeGreaterThan(0n);
    const metric = (name: string) => parseFixed(String(report.metrics[name]));
    expect(report.metrics.tradeCount).toBe(trips.length);
    expect(formatFixed(metric('feesPaid'))).toBe(formatFixed(allFees));
    expect(formatFixed(metric('grossProfit'))).toBe(formatFixed(trips.filter((t) => t > 0n).reduce((a, b) => a + b, 0n)));
    expect(formatFixed(metric('grossLoss'))).toBe(formatFixed(-trips.filter((t) => t <= 0n).reduce((a, b) => a + b, 0n)));
    // Without the closing fees, the trades would come out better by exactly those fees.
    expect(formatFixed(metric('grossProfit') - metric('grossLoss'))).toBe(formatFixed(trips.reduce((a, b) => a + b, 0n)));
    expect(tripFees).toBeLessThanOrEqual(allFees);
  });
});
