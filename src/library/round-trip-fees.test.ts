import { describe, expect, it } from 'vitest';
import { parseFixed, formatFixed } from '../core/money/fixed.js';
import { readRecording } from '../market-data/recording-reader.js';
import { USDM_RECORDING } from '../test-kit/data-paths.js';
import { runRecordingBacktest } from './backtest.js';
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
});
