import { describe, expect, it } from 'vitest';
import type { OrderNewEvent } from '../core/kernel/events.js';
import { parseFixed } from '../core/money/fixed.js';
import { PaperTradingEngine } from '../library/paper-trading-engine.js';
import type { PaperTradingEvent } from '../library/engine-events.js';
import { candlesFile } from '../test-kit/data-paths.js';
import { readCandlesFile } from './candles.js';
import { sizeFromStop } from './risk.js';

const P = (s: string) => parseFixed(s);
const E18 = 10n ** 18n;
const CANDLES = readCandlesFile(candlesFile('coinbase_btcusd_1m_20180404_20180406.csv'));

/** Independent: integer arithmetic at 18 decimals, every step rounded down. */
function expectedSize(equity: bigint, riskPct: bigint, entry: bigint, stop: bigint, step: bigint): bigint {
  const risk = (equity * riskPct) / E18 / 100n;
  const qty = (risk * E18) / (entry > stop ? entry - stop : stop - entry);
  return (qty / step) * step;
}

describe('risk: size from the stop distance', () => {
  it('is exact in fixed point', () => {
    expect(sizeFromStop({ equity: P('10000'), riskPercent: P('1'), entry: P('50000'), stop: P('49500'), stepSize: P('0.001'), leverage: 2 }).quantity).toBe(P('0.2'));
    const input = { equity: P('12345.678901'), riskPercent: P('0.75'), entry: P('6827.82'), stop: P('6745.7'), stepSize: P('0.001'), leverage: 5 };
    const sized = sizeFromStop(input);
    expect(sized.quantity).toBe(expectedSize(input.equity, input.riskPercent, input.entry, input.stop, input.stepSize));
    expect(sized.quantity).toBe(P('1.127'));
    expect(sized.riskAmount).toBe(P('92.5925917575'));
    expect(sized.capped).toBe(false);
  });

  it('is capped by what the margin affords', () => {
    const sized = sizeFromStop({ equity: P('10000'), riskPercent: P('5'), entry: P('50000'), stop: P('49900'), stepSize: P('0.001'), leverage: 1 });
    expect(sized.riskQuantity).toBe(P('5'));
    expect(sized.quantity).toBe(P('0.196')); // 10000 × 0.98 / 50000
    expect(sized.capped).toBe(true);
  });

  it('sizes every entry on real prices from the stop distance, exactly', () => {
    for (const candle of CANDLES.filter((_, i) => i % 97 === 0)) {
      const engine = new PaperTradingEngine();
      const placed: OrderNewEvent[] = [];
      engine.subscribe((e) => e.type === 'ORDER_NEW' && placed.push(e));
      engine.advanceTo(candle.openTime);
      engine.createAccount({ id: 'r', initialBalance: '25000', maxRiskPerTrade: '0.8', leverage: 3, tacticsSets: [{ stopLoss: { type: 'percent', percent: 1.7 } }] });
      engine.updatePrices({ BTCUSDT: candle.close }, candle.openTime);
      expect(engine.openPosition('r', { symbol: 'BTCUSDT', side: 'LONG' }).ok).toBe(true);
      const entry = P(candle.close);
      const stop = ((entry * (E18 - (P('1.7') * E18) / (100n * E18))) / E18 / P('0.1')) * P('0.1');
      expect(P(placed[0]!.quantity)).toBe(expectedSize(P('25000'), P('0.8'), entry, stop, P('0.001')));
      expect(placed[1]!.stopPrice).toBeDefined();
      expect(P(placed[1]!.stopPrice!)).toBe(stop);
    }
  });
});

describe('risk: limits', () => {
  it('max open positions refuses a second entry', () => {
    const engine = new PaperTradingEngine();
    const errors: PaperTradingEvent[] = [];
    engine.subscribe((e) => e.type === 'ERROR' && errors.push(e));
    engine.createAccount({ id: 'm', maxOpenPositions: 1, leverage: 5, tacticsSets: [{ stopLoss: { type: 'percent', percent: 2 } }] });
    engine.updatePrices({ BTCUSDT: '60000', ETHUSDT: '3000' }, 1_700_000_000_000);
    expect(engine.openPosition('m', { symbol: 'BTCUSDT', side: 'LONG' }).ok).toBe(true);
    const second = engine.openPosition('m', { symbol: 'ETHUSDT', side: 'SHORT' });
    expect(second.ok).toBe(false);
    expect(errors.some((e) => e.type === 'ERROR' && /max open positions/.test(e.message))).toBe(true);
  });

  it('per-symbol leverage is set on the account', () => {
    const engine = new PaperTradingEngine();
    engine.createAccount({ id: 'l', leverage: { BTCUSDT: 7, ETHUSDT: 3 } });
    const account = engine.kernel.account('l');
    expect(account?.kind === 'futures' && [account.leverageOf('BTCUSDT'), account.leverageOf('ETHUSDT')]).toEqual([7, 3]);
  });

  it('the drawdown halt emits MAX_DRAWDOWN_REACHED and stops new orders', () => {
    const engine = new PaperTradingEngine();
    const events: PaperTradingEvent[] = [];
    engine.subscribe((e) => events.push(e));
    engine.advanceTo(CANDLES[0]!.openTime);
    engine.createAccount({ id: 'd', strategyId: 'rsi-reversal', autoTrading: true, maxRiskPerTrade: 2, maxDrawdown: 3, leverage: 5,
      tacticsSets: [{ stopLoss: { type: 'percent', percent: 0.5 }, takeProfits: [{ percent: 2, share: 1 }] }] });
    engine.start('d');
    engine.processCandles('d', 'BTCUSDT', CANDLES);
    const halt = events.findIndex((e) => e.type === 'MAX_DRAWDOWN_REACHED');
    expect(halt).toBeGreaterThan(0);
    const after = events.slice(halt + 1);
    const newOrders = after.filter((e) => e.type === 'ORDER_NEW' && !e.clientOrderId.startsWith('halt-close'));
    expect(newOrders).toEqual([]);
    expect(after.filter((e) => e.type === 'SIGNAL_GENERATED').length).toBeGreaterThan(0);
    expect(after.some((e) => e.type === 'ERROR' && /halted/.test(e.message))).toBe(true);
    expect(engine.getAccount('d').halted).toBe(true);
    expect(engine.getAccount('d').positions).toEqual([]);
    engine.kernel.checkInvariants();
  });
});
