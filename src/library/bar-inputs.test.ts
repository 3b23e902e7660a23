import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCandlesFile } from '../strategy/candles.js';
import { CANDLES_DIR } from '../test-kit/data-paths.js';
import { runBacktest, type BacktestOptions } from './backtest.js';
import type { PaperTradingEvent } from './engine-events.js';

// Tactics without resting limit orders: there, the two candle paths follow the same rules (ADR 0042),
// so the bar input must reproduce the walk of ADR 0009 fill for fill. (A resting limit the path only
// touches fills in the walk and not with bar inputs: the one rule that differs.)
const MARKET_TACTICS = {
  name: 'market', entry: { type: 'market' }, stopLoss: { type: 'atr', multiple: 2, period: 14 },
  takeProfits: [{ percent: 0.5, share: 0.5 }, { percent: 1, share: 0.25 }],
  trailingStop: { activationPercent: 0.8, callbackPercent: 0.3 }, breakEvenAfterFirstTarget: true,
};

function run(file: string, barInputs: boolean) {
  const fills: string[] = [];
  const equity: string[] = [];
  const options: BacktestOptions = {
    strategy: 'rsi-reversal', tactics: MARKET_TACTICS, leverage: 5, feeBps: 4, barInputs,
    onEvent: (e: PaperTradingEvent) => {
      if (e.type === 'FILL') fills.push(`${e.at} ${e.clientOrderId} ${e.side} ${e.price} × ${e.quantity} fee ${e.fee} pnl ${e.realizedPnl ?? ''}`);
      else if (e.type === 'EQUITY') equity.push(`${e.at} ${e.equity}`);
    },
  };
  const report = runBacktest(readCandlesFile(join(CANDLES_DIR, file)), options);
  return { report, fills, equity };
}

describe('bar inputs against the walk of ADR 0009 on bundled candles', () => {
  for (const file of ['binance_btcbusd_1m_20221213.csv', 'coinbase_btcusd_1d.csv']) {
    it(`${file}: the same fills, at the same times and prices, and the same equity curve`, () => {
      const walk = run(file, false);
      const bars = run(file, true);
      expect(walk.fills.length).toBeGreaterThan(20);
      expect(bars.fills).toEqual(walk.fills);
      expect(bars.report.finalEquity).toBe(walk.report.finalEquity);
      expect(bars.report.metrics).toEqual(walk.report.metrics);
      expect(bars.equity).toEqual(walk.equity);
    });
  }
});
