import { describe, expect, it } from 'vitest';
import { RSI } from 'trading-signals';
import { readCandlesFile, type Candle } from '../strategy/candles.js';
import { LookAheadError, type Strategy } from '../strategy/strategy.js';
import { candlesFile } from '../test-kit/data-paths.js';
import { CandleSequenceError } from './candle-sequence.js';
import type { PaperTradingEvent } from './engine-events.js';
import { PaperTradingEngine } from './paper-trading-engine.js';

const CANDLES = readCandlesFile(candlesFile('coinbase_btcusd_1m_20171217.csv')).slice(0, 400);
const TACTICS = { name: 'stop 1 %', entry: { type: 'market' }, stopLoss: { type: 'percent', percent: 1 } };

/** Runs rsi-reversal with a 1 % stop, handing the candles over in `batches`; counts what came out. */
function run(batches: readonly (readonly Candle[])[]) {
  const engine = new PaperTradingEngine();
  const events: PaperTradingEvent[] = [];
  engine.subscribe((e) => events.push(e));
  engine.advanceTo(CANDLES[0]!.openTime);
  const account = engine.createAccount({ strategyId: 'rsi-reversal', autoTrading: true, tacticsSets: [TACTICS] });
  engine.start(account.id);
  let replayed = 0;
  for (const batch of batches) replayed += engine.processCandles(account.id, 'BTCUSDT', batch).candles;
  const count = (type: string) => events.filter((e) => e.type === type).length;
  return { engine, account: account.id, events, replayed, signals: count('SIGNAL_GENERATED'), positions: count('POSITION_OPENED'), errors: count('ERROR') };
}

/** RSI(14) crossings as the strategy defines them, counted straight from trading-signals. */
function rsiCrossings(candles: readonly Candle[]): number {
  const rsi = new RSI(14);
  let before: number | null = null;
  let crossings = 0;
  for (const c of candles) {
    const value = rsi.add(Number(c.close));
    const current = value === null || value === undefined ? null : Number(value);
    if (before !== null && current !== null && ((before < 30 && current >= 30) || (before > 70 && current <= 70))) crossings += 1;
    before = current;
  }
  return crossings;
}

/**
 * Positions opened, by a separate model of rsi-reversal with a 1 % stop: a signal at a candle's
 * close is traded at the next candle's open (the same direction held: nothing; the other: close,
 * then open); a long's stop is 1 % below its entry, hit when a later low reaches it (a short's 1 %
 * above, by a high), from the entry candle on.
 */
function modelPositions(candles: readonly Candle[]): number {
  const rsi = new RSI(14);
  let before: number | null = null;
  let pending: 'LONG' | 'SHORT' | undefined;
  let held: { side: 'LONG' | 'SHORT'; stop: number } | undefined;
  let opened = 0;
  for (const c of candles) {
    const [open, high, low, close] = [Number(c.open), Number(c.high), Number(c.low), Number(c.close)];
    if (pending !== undefined && held?.side !== pending) {
      held = { side: pending, stop: pending === 'LONG' ? open * 0.99 : open * 1.01 };
      opened += 1;
    }
    pending = undefined;
    if (held !== undefined && (held.side === 'LONG' ? low <= held.stop : high >= held.stop)) held = undefined;
    const value = rsi.add(close);
    const current = value === null || value === undefined ? null : Number(value);
    if (before !== null && current !== null) {
      if (before < 30 && current >= 30) pending = 'LONG';
      else if (before > 70 && current <= 70) pending = 'SHORT';
    }
    before = current;
  }
  return opened;
}

const growing: Candle[][] = [];
for (let end = 100; end <= 400; end += 20) growing.push(CANDLES.slice(0, end));
const rolling: Candle[][] = [];
for (let end = 100; end <= 400; end += 20) rolling.push(CANDLES.slice(end - 100, end));
const oneByOne: Candle[][] = CANDLES.map((_, i) => CANDLES.slice(Math.max(0, i - 99), i + 1));

describe('processCandles replays each candle once, however the candles are handed over', () => {
  const once = run([CANDLES]);

  it('one pass over 400 candles of coinbase_btcusd_1m_20171217 gives as many signals as RSI(14) crosses 30 up or 70 down', () => {
    expect(once.replayed).toBe(400);
    // The figures for one pass: 11 signals, 7 positions; both recomputed here by the models above.
    expect([rsiCrossings(CANDLES), modelPositions(CANDLES)]).toEqual([11, 7]);
    expect([once.signals, once.positions]).toEqual([11, 7]);
    expect(once.errors).toBe(0);
  });

  it.each([
    ['growing windows 0–100, 0–120, … 0–400', growing],
    ['rolling 100-candle windows, 20 at a time', rolling],
    ['a rolling window each time one more candle closes', oneByOne],
  ])('%s give exactly the one pass’s signals and positions', (_name, batches) => {
    const windowed = run(batches);
    expect(windowed.replayed).toBe(400);
    expect([windowed.signals, windowed.positions, windowed.errors]).toEqual([once.signals, once.positions, 0]);
    expect(windowed.engine.getAccount(windowed.account).equity).toBe(once.engine.getAccount(once.account).equity);
  });

  it('a candle that contradicts one already replayed is refused whole: an ERROR event and a thrown CandleSequenceError, nothing replayed', () => {
    const r = run([CANDLES.slice(0, 100)]);
    const before = r.events.length;
    const changed = { ...CANDLES[50]!, volume: '1' };
    expect(() => r.engine.processCandles(r.account, 'BTCUSDT', [changed, ...CANDLES.slice(51, 120)])).toThrow(CandleSequenceError);
    const after = r.events.slice(before);
    expect(after).toEqual([expect.objectContaining({ type: 'ERROR', code: 'CANDLE_CONFLICT', account: r.account, symbol: 'BTCUSDT' })]);
    // The same candle written differently (trailing zeros) is the same candle.
    const same = { ...CANDLES[50]!, volume: `${CANDLES[50]!.volume}0` };
    expect(r.engine.processCandles(r.account, 'BTCUSDT', [same, ...CANDLES.slice(51, 101)]).candles).toBe(1);
  });

  it('a gap after the last candle replayed is refused (CANDLE_GAP), and so are candles out of order (CANDLE_ORDER)', () => {
    const r = run([CANDLES.slice(0, 100)]);
    expect(() => r.engine.processCandles(r.account, 'BTCUSDT', CANDLES.slice(101, 120))).toThrow(/missing between/);
    expect(() => r.engine.processCandles(r.account, 'BTCUSDT', [CANDLES[100]!, CANDLES[99]!])).toThrow(/increasing open times/);
    expect(r.events.filter((e) => e.type === 'ERROR').map((e) => (e as { code: string }).code)).toEqual(['CANDLE_GAP', 'CANDLE_ORDER']);
    // Nothing of the refused batches was replayed: the series continues at candle 100.
    expect(r.engine.processCandles(r.account, 'BTCUSDT', CANDLES.slice(0, 400)).candles).toBe(300);
  });

  it('a LookAheadError in the middle of a batch leaves the candles after it unreplayed: a later batch replays them, once', () => {
    const engine = new PaperTradingEngine();
    engine.advanceTo(CANDLES[0]!.openTime);
    const seen: number[] = [];
    let peeked = false;
    // Peeks past the last closed candle once, on the third candle it sees.
    const peeker = (): Strategy => ({
      id: 'peeker',
      onCandle: (candle, ctx) => {
        seen.push(candle.openTime);
        if (seen.length === 3 && !peeked) {
          peeked = true;
          ctx.candles.at(ctx.candles.length);
        }
        return null;
      },
    });
    engine.createAccount({ id: 'p', strategy: peeker });
    const batch = CANDLES.slice(0, 6);
    expect(() => engine.processCandles('p', 'BTCUSDT', batch)).toThrow(LookAheadError);
    // Candles 0–2 went through the kernel and the strategy saw them; the kernel's clock never reached candle 3.
    expect(seen).toEqual(batch.slice(0, 3).map((c) => c.openTime));
    expect(engine.kernel.now).toBeLessThan(batch[3]!.openTime);
    // The snapshot says so: the last candle replayed is candle 2.
    const state = JSON.parse(engine.snapshot()) as { sequences: [string, { last: number; seen: [number, string][] }][] };
    expect(state.sequences[0]![1].last).toBe(batch[2]!.openTime);
    expect(state.sequences[0]![1].seen.map(([t]) => t)).toEqual(batch.slice(0, 3).map((c) => c.openTime));
    // Handing the same batch over again replays candles 3–5 only, and each candle reached the strategy once.
    expect(engine.processCandles('p', 'BTCUSDT', batch).candles).toBe(3);
    expect(seen).toEqual(batch.map((c) => c.openTime));
    // A batch that starts right after candle 5 continues the series (no gap).
    expect(engine.processCandles('p', 'BTCUSDT', CANDLES.slice(6, 8)).candles).toBe(2);
  });

  it('a LookAheadError on the first candle of a batch that starts after the last replayed leaves no gap behind', () => {
    const engine = new PaperTradingEngine();
    engine.advanceTo(CANDLES[0]!.openTime);
    let calls = 0;
    const peeker = (): Strategy => ({ id: 'peeker', onCandle: (_c, ctx) => (++calls === 3 ? (ctx.candles.at(ctx.candles.length), null) : null) });
    engine.createAccount({ id: 'p', strategy: peeker });
    expect(engine.processCandles('p', 'BTCUSDT', CANDLES.slice(0, 2)).candles).toBe(2);
    expect(() => engine.processCandles('p', 'BTCUSDT', CANDLES.slice(2, 10))).toThrow(LookAheadError);
    // Candle 2 was replayed; candle 3 follows it one interval later, so a batch from 3 on is no gap.
    expect(engine.processCandles('p', 'BTCUSDT', CANDLES.slice(3, 10)).candles).toBe(7);
    expect(calls).toBe(10);
  });

  it('what was replayed survives a snapshot: the restored engine skips the same candles', async () => {
    const r = run([CANDLES.slice(0, 200)]);
    const restored = new PaperTradingEngine();
    await restored.restoreAccounts(r.engine.snapshot());
    expect(restored.processCandles(r.account, 'BTCUSDT', CANDLES.slice(0, 220)).candles).toBe(20);
  });

  it('time never goes backwards: candles older than the engine’s clock are handled at the clock’s time', () => {
    const engine = new PaperTradingEngine();
    const events: PaperTradingEvent[] = [];
    engine.subscribe((e) => events.push(e));
    engine.advanceTo(CANDLES[0]!.openTime);
    const a = engine.createAccount({ strategyId: 'rsi-reversal', autoTrading: true, tacticsSets: [TACTICS] });
    engine.start(a.id);
    engine.processCandles(a.id, 'BTCUSDT', CANDLES.slice(0, 300));
    // A second account replays the first 200 candles after the first has reached candle 300.
    const b = engine.createAccount({ strategyId: 'rsi-reversal', autoTrading: true, tacticsSets: [TACTICS] });
    engine.start(b.id);
    const from = events.length;
    const reached = CANDLES[299]!.openTime;
    expect(engine.processCandles(b.id, 'BTCUSDT', CANDLES.slice(0, 200)).candles).toBe(200);
    const later = events.slice(from);
    expect(later.some((e) => e.type === 'SIGNAL_GENERATED' && e.account === b.id)).toBe(true);
    for (const e of later) if ('at' in e) expect(e.at).toBeGreaterThanOrEqual(reached);
    // Over the whole run, event times never decrease.
    const times = events.filter((e) => 'at' in e).map((e) => (e as { at: number }).at);
    for (let i = 1; i < times.length; i += 1) expect(times[i]).toBeGreaterThanOrEqual(times[i - 1]!);
  });

  it('an auto-trading account without a tactics set is refused when created, with the reason', () => {
    const engine = new PaperTradingEngine();
    expect(() => engine.createAccount({ strategyId: 'rsi-reversal', autoTrading: true })).toThrow(/autoTrading needs a tactics set/);
    expect(engine.createAccount({ strategyId: 'rsi-reversal' }).autoTrading).toBe(false);
  });
});
