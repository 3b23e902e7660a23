import { afterEach, describe, expect, it } from 'vitest';
import { getPaperTradingEngine, readCandlesFile, resetPaperTradingEngine, type PaperTradingEvent } from '../index.js';
import { candlesFile } from '../test-kit/data-paths.js';

describe('the library usage example (paper-trading-engine.ts docstring)', () => {
  afterEach(() => resetPaperTradingEngine());

  it('runs as written and produces signals, positions and events', () => {
    const seen: PaperTradingEvent[] = [];
    const logged: string[] = [];
    const console = { log: (...args: unknown[]) => logged.push(args.map(String).join(' ')) };

    // ---- the example, as written (the file path and console aside) ----
    const engine = getPaperTradingEngine();
    const unsubscribe = engine.subscribe((event) => {
      seen.push(event);
      if (event.type === 'SIGNAL_GENERATED') console.log(event.action, event.reason);
      if (event.type === 'POSITION_CLOSED') console.log('closed', event.symbol, event.realizedPnl);
    });
    const account = engine.createAccount({
      name: 'rsi bot', initialBalance: 10000, strategyId: 'rsi-reversal', autoTrading: true,
      maxRiskPerTrade: 1, maxDrawdown: 20, maxOpenPositions: 1,
      tacticsSets: [{
        name: 'standard', entry: { type: 'market' }, stopLoss: { type: 'percent', percent: 1 },
        takeProfits: [{ percent: 1, share: 0.5 }, { percent: 2, share: 0.5 }],
        trailingStop: { activationPercent: 1.5, callbackPercent: 0.5 }, breakEvenAfterFirstTarget: true,
      }],
    });
    engine.start(account.id);
    engine.processCandles(account.id, 'BTCUSDT', readCandlesFile(candlesFile('coinbase_btcusd_1m_20171217.csv')));
    engine.updatePrices({ BTCUSDT: '61000.5' });
    console.log(engine.getAccount(account.id));
    unsubscribe();
    // ---- end of the example ----

    const count = (type: string) => seen.filter((e) => e.type === type).length;
    expect(getPaperTradingEngine()).toBe(engine);
    expect(count('ACCOUNT_OPENED')).toBe(1);
    expect(count('SIGNAL_GENERATED')).toBeGreaterThan(10);
    expect(count('ORDER_NEW')).toBeGreaterThan(10);
    expect(count('FILL')).toBeGreaterThan(10);
    expect(count('POSITION_OPENED')).toBeGreaterThan(5);
    expect(count('POSITION_UPDATED')).toBeGreaterThan(0);
    expect(count('POSITION_CLOSED')).toBeGreaterThan(5);
    expect(count('EQUITY')).toBeGreaterThan(0);
    expect(logged.some((l) => /^LONG RSI\(14\)/.test(l))).toBe(true);
    expect(logged.some((l) => /^closed BTCUSDT -?\d/.test(l))).toBe(true);
    const summary = engine.getAccount(account.id);
    expect(summary).toMatchObject({ name: 'rsi bot', strategyId: 'rsi-reversal', autoTrading: true, running: true });
    // Unsubscribed: nothing more arrives.
    const before = seen.length;
    engine.updatePrices({ BTCUSDT: '61001' });
    expect(seen.length).toBe(before);
    engine.kernel.checkInvariants();
  });
});
