import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DurableEngine } from '../engine/durable-engine.js';
import { readCandlesFile } from '../strategy/candles.js';
import { candlesFile } from '../test-kit/data-paths.js';
import { formatFixed } from '../core/money/fixed.js';
import { PaperTradingEngine } from './paper-trading-engine.js';
import type { PaperTradingEvent } from './engine-events.js';
import { scratchDir } from '../test-kit/scratch-dir.js';

const CANDLES = readCandlesFile(candlesFile('coinbase_btcusd_1m_20171217.csv'));
const TACTICS = { name: 't', stopLoss: { type: 'percent', percent: 1 }, takeProfits: [{ percent: 1, share: 0.5 }, { percent: 2, share: 0.5 }], breakEvenAfterFirstTarget: true };

describe('PaperTradingEngine', () => {
  it('auto-trades on candles aggregated from live prices', () => {
    const engine = new PaperTradingEngine({ candleIntervalMs: 60_000 });
    const events: PaperTradingEvent[] = [];
    engine.subscribe((e) => events.push(e));
    engine.createAccount({ id: 'live', strategyId: 'rsi-reversal', autoTrading: true, tacticsSets: [TACTICS], leverage: 2 });
    engine.start('live');
    for (const c of CANDLES.slice(0, 400)) {
      engine.updatePrices({ BTCUSDT: c.open }, c.openTime);
      engine.updatePrices({ BTCUSDT: c.low }, c.openTime + 20_000);
      engine.updatePrices({ BTCUSDT: c.high }, c.openTime + 40_000);
      engine.updatePrices({ BTCUSDT: c.close }, c.openTime + 59_000);
    }
    const signals = events.filter((e) => e.type === 'SIGNAL_GENERATED');
    expect(signals.length).toBeGreaterThan(0);
    expect(events.some((e) => e.type === 'POSITION_OPENED')).toBe(true);
    // A signal is computed on a closed minute and traded in the next one; the minute closes when the
    // next minute's first price arrives, so the signal is stamped then (time never runs backwards).
    const firstFill = events.find((e) => e.type === 'FILL')!;
    const first = signals[0] as Extract<PaperTradingEvent, { type: 'SIGNAL_GENERATED' }>;
    expect(firstFill.at).toBeGreaterThanOrEqual(first.candleOpenTime + 60_000);
    expect(first.at).toBe(first.candleOpenTime + 60_000);
    const times = events.map((e) => e.at);
    expect(times.every((t, i) => i === 0 || t >= times[i - 1]!)).toBe(true);
    engine.kernel.checkInvariants();
  });

  it('stop() keeps signals but places no orders; start() resumes', () => {
    const engine = new PaperTradingEngine();
    const events: PaperTradingEvent[] = [];
    engine.subscribe((e) => events.push(e));
    engine.advanceTo(CANDLES[0]!.openTime);
    engine.createAccount({ id: 's', strategyId: 'rsi-reversal', autoTrading: true, tacticsSets: [TACTICS] });
    engine.processCandles('s', 'BTCUSDT', CANDLES.slice(0, 300));
    expect(events.filter((e) => e.type === 'SIGNAL_GENERATED' && !e.actionable).length).toBeGreaterThan(0);
    expect(events.some((e) => e.type === 'ORDER_NEW')).toBe(false);
    engine.start('s');
    engine.processCandles('s', 'BTCUSDT', CANDLES.slice(300, 900));
    expect(events.some((e) => e.type === 'ORDER_NEW')).toBe(true);
  });

  it('opens and closes positions by hand', () => {
    const engine = new PaperTradingEngine();
    engine.createAccount({ id: 'h', tacticsSets: [TACTICS], leverage: { BTCUSDT: 5, ETHUSDT: 5 }, maxOpenPositions: 2 });
    engine.updatePrices({ BTCUSDT: '61000.5', ETHUSDT: '3000' }, 1_700_000_000_000);
    expect(engine.openPosition('h', { symbol: 'BTCUSDT', side: 'LONG', quantity: '0.01' }).ok).toBe(true);
    expect(engine.openPosition('h', { symbol: 'ETHUSDT', side: 'SELL' }).ok).toBe(true);
    expect(engine.getAccount('h').positions.map((p) => [p.symbol, p.direction])).toEqual([['BTCUSDT', 'LONG'], ['ETHUSDT', 'SHORT']]);
    engine.closePosition('h', 'BTCUSDT');
    expect(engine.getAccount('h').positions.map((p) => p.symbol)).toEqual(['ETHUSDT']);
    engine.closeAllPositions('h');
    expect(engine.getAccount('h').positions).toEqual([]);
    expect(engine.kernel.openOrders('h')).toEqual([]);
    engine.kernel.checkInvariants();
  });

  it('places the exits of a limit entry filled by a price update at that price, not the one before', () => {
    // BTCUSDT at 60000; a long limit 5 % below: floor_tick(60000 × 0.95) = 57000. The next price,
    // 56900, moves the book (ask 56901) through the bid, then prints. The exits, worked by hand from
    // the fill at 57000 (tick 0.1): stop floor_tick(57000 × 0.99) = 56430, take-profit
    // ceil_tick(57000 × 1.02) = 58140, trailing activation ceil_tick(57000 × 1.01) = 57570 — all
    // placed against 56900, where none is reached yet.
    const engine = new PaperTradingEngine();
    const events: PaperTradingEvent[] = [];
    engine.subscribe((e) => events.push(e));
    engine.createAccount({ id: 'l', leverage: { BTCUSDT: 5 } });
    const t0 = 1_700_000_000_000;
    engine.updatePrices({ BTCUSDT: '60000' }, t0);
    const tactics = {
      name: 'limit', entry: { type: 'limit', offsetPercent: 5, validBars: 3 }, stopLoss: { type: 'percent', percent: 1 },
      takeProfits: [{ percent: 2, share: 1 }], trailingStop: { activationPercent: 1, callbackPercent: 1 },
    };
    expect(engine.openPosition('l', { symbol: 'BTCUSDT', side: 'LONG', quantity: '0.01', tactics }).ok).toBe(true);
    engine.updatePrices({ BTCUSDT: '56900' }, t0 + 1_000);
    const fills = events.filter((e) => e.type === 'FILL');
    expect(fills.map((e) => [e.clientOrderId.split(':')[3], e.price, e.quantity])).toEqual([['entry', '57000', '0.01']]);
    expect(events.filter((e) => e.type === 'ORDER_REJECTED' || e.type === 'ERROR')).toEqual([]);
    const exits = engine.kernel.openOrders('l').map((o) => [o.type, o.stopPrice === undefined ? undefined : formatFixed(o.stopPrice), o.activationPrice === undefined ? undefined : formatFixed(o.activationPrice)]);
    expect(exits).toEqual([
      ['STOP_LOSS', '56430', undefined],
      ['TAKE_PROFIT', '58140', undefined],
      ['TRAILING_STOP_MARKET', undefined, '57570'],
    ]);
    // Below the activation the trailing stop does not trail: up to 57500 and back down 1.01 % to
    // 56920 (under 57500 × 0.99 = 56925) leaves the position open.
    engine.updatePrices({ BTCUSDT: '57500' }, t0 + 2_000);
    engine.updatePrices({ BTCUSDT: '56920' }, t0 + 3_000);
    expect(engine.getAccount('l').positions.map((p) => [p.direction, p.size, p.entryPrice])).toEqual([['LONG', '0.01', '57000']]);
    // At 57570 it activates; the peak 58000 puts its trigger at 58000 × 0.99 = 57420; the print
    // there sells at market on the bid, 57420 − 0.1.
    engine.updatePrices({ BTCUSDT: '57570' }, t0 + 4_000);
    engine.updatePrices({ BTCUSDT: '58000' }, t0 + 5_000);
    expect(engine.getAccount('l').positions).toHaveLength(1);
    engine.updatePrices({ BTCUSDT: '57420' }, t0 + 6_000);
    const exit = events.filter((e) => e.type === 'FILL').slice(1);
    expect(exit.map((e) => [e.clientOrderId.split(':')[3], e.side, e.price, e.quantity])).toEqual([['trailing', 'SELL', '57419.9', '0.01']]);
    expect(engine.getAccount('l').positions).toEqual([]);
    expect(engine.kernel.openOrders('l')).toEqual([]);
    engine.kernel.checkInvariants();
  });

  it('restores accounts from a snapshot string and continues exactly as the original', async () => {
    const original = new PaperTradingEngine();
    original.advanceTo(CANDLES[0]!.openTime);
    original.createAccount({ id: 'r', tacticsSets: [{ ...TACTICS, trailingStop: { activationPercent: 0.5, callbackPercent: 0.2 } }], leverage: 3 });
    original.processCandles('r', 'BTCUSDT', CANDLES.slice(0, 10));
    expect(original.openPosition('r', { symbol: 'BTCUSDT', side: 'LONG' }).ok).toBe(true);
    original.processCandles('r', 'BTCUSDT', CANDLES.slice(10, 12));
    expect(original.getAccount('r').positions).toHaveLength(1);
    const restored = new PaperTradingEngine();
    expect(await restored.restoreAccounts(original.snapshot())).toEqual(['r']);
    const a: PaperTradingEvent[] = [];
    const b: PaperTradingEvent[] = [];
    original.subscribe((e) => a.push(e));
    restored.subscribe((e) => b.push(e));
    original.processCandles('r', 'BTCUSDT', CANDLES.slice(12, 400));
    restored.processCandles('r', 'BTCUSDT', CANDLES.slice(12, 400));
    expect(a.some((e) => e.type === 'POSITION_CLOSED')).toBe(true);
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
  });

  it('restores accounts from a DurableEngine', async () => {
    const library = new PaperTradingEngine();
    const dir = scratchDir('papertrade-lib-');
    const durable = await DurableEngine.open({ databaseUrl: `sqlite:${join(dir, 'db.sqlite')}`, kernelConfig: library.kernelConfig, snapshotIntervalMs: 0 });
    try {
      await durable.submit({ kind: 'account.open', time: 1_700_000_000_000, account: 'durable-1', type: 'futures', balances: { USDT: '500' } });
      expect(await library.restoreAccounts(durable)).toEqual(['durable-1']);
      expect(library.getAccount('durable-1').equity).toBe('500');
    } finally {
      await durable.close();
    }
  });

  it('reports unknown accounts and bad configs clearly', () => {
    const engine = new PaperTradingEngine();
    expect(() => engine.start('nope')).toThrow(/unknown account nope/);
    expect(() => engine.createAccount({ strategyId: 'no-such' })).toThrow(/unknown strategy/);
    expect(() => engine.createAccount({ tacticsSets: [{ stopLoss: { type: 'percent', percent: -1 } }] })).toThrow(/stopLoss.percent/);
    expect(() => engine.createAccount({ maxRiskPerTrade: 0 })).toThrow(/maxRiskPerTrade/);
  });
});

describe('PaperTradingEngine snapshots on disk', () => {
  it('saveSnapshot() then restoreAccounts() with no argument brings the accounts back', async () => {
    const path = join(scratchDir('papertrade-snap-'), 'engine.json');
    const a = new PaperTradingEngine({ snapshotPath: path });
    expect(await a.restoreAccounts()).toEqual([]); // nothing saved yet
    a.createAccount({ id: 'keep', strategyId: 'ema-crossover', autoTrading: true, tacticsSets: [TACTICS] });
    a.start('keep');
    a.saveSnapshot();
    const b = new PaperTradingEngine({ snapshotPath: path });
    expect(await b.restoreAccounts()).toEqual(['keep']);
    expect(b.getAccount('keep')).toMatchObject({ strategyId: 'ema-crossover', running: true, equity: '10000' });
  });
});
