import { readdirSync } from 'node:fs';
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

// A tight stop and a trailing stop: exits rest close to the price, so that a bar which opens past
// them while a signal waits makes the two orders meet at the same open.
const TRAILING_TACTICS = {
  name: 'trailing', entry: { type: 'market' }, stopLoss: { type: 'percent', percent: 0.5 },
  trailingStop: { activationPercent: 0.3, callbackPercent: 0.2 },
};

function run(file: string, barInputs: boolean, strategy = 'rsi-reversal', tactics: BacktestOptions['tactics'] = MARKET_TACTICS) {
  const fills: string[] = [];
  const equity: string[] = [];
  const options: BacktestOptions = {
    strategy, tactics, leverage: 5, feeBps: 4, barInputs,
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

// At an open that a waiting signal and a resting exit both meet, what rested reacts to the open's
// print first and the signal trades after it, as in the walk (ADR 0042, "The open of a bar"). In
// coinbase_btcusd_1m_20171217.csv a bar gaps down through bollinger-breakout's trailing stop while
// its reversal waits: the walk fills the trailing stop and the reversal finds the position closed.
describe('bar inputs against the walk on every bundled file, strategy and exit style', () => {
  const files = readdirSync(CANDLES_DIR).filter((f) => f.endsWith('.csv')).sort();
  for (const strategy of ['rsi-reversal', 'ema-crossover', 'bollinger-breakout']) {
    it(`${strategy}: the same fills, labels included, on ${files.length} files`, () => {
      let fills = 0;
      for (const file of files) {
        for (const tactics of [MARKET_TACTICS, TRAILING_TACTICS]) {
          const walk = run(file, false, strategy, tactics);
          const bars = run(file, true, strategy, tactics);
          expect(bars.fills, `${file} ${tactics.name}`).toEqual(walk.fills);
          expect(bars.report.finalEquity, `${file} ${tactics.name}`).toBe(walk.report.finalEquity);
          fills += walk.fills.length;
        }
      }
      expect(fills).toBeGreaterThan(100);
    });
  }
});
