import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readRecording } from '../market-data/recording-reader.js';
import { readCandlesFile, toCandle } from '../strategy/candles.js';
import { candlesFile, USDM_RECORDING } from '../test-kit/data-paths.js';
import { loadStrategyModule, LookAheadError, type Strategy } from '../strategy/strategy.js';
import { runBacktest, runRecordingBacktest } from './backtest.js';
import { renderEquityHtml, renderReportJson } from './backtest-report.js';
import { PaperTradingEngine } from './paper-trading-engine.js';
import type { PaperTradingEvent } from './engine-events.js';
import { scratchDir } from '../test-kit/scratch-dir.js';

const CANDLES = readCandlesFile(candlesFile('coinbase_btcusd_1m_20171217.csv'));
const FULL = {
  name: 'full', entry: { type: 'limit', offsetPercent: 0.05, validBars: 2 }, dca: { count: 2, stepPercent: 0.5, sizeMultiplier: 1.5 },
  stopLoss: { type: 'atr', multiple: 2, period: 14 }, takeProfits: [{ percent: 0.5, share: 0.5 }, { percent: 1, share: 0.25 }],
  trailingStop: { activationPercent: 0.8, callbackPercent: 0.3 }, breakEvenAfterFirstTarget: true,
};

describe('backtests', () => {
  it('are deterministic: the same input gives the same report, byte for byte', () => {
    const a = runBacktest(CANDLES, { strategy: 'rsi-reversal', tactics: FULL, leverage: 5, feeBps: 4 });
    const b = runBacktest(CANDLES, { strategy: 'rsi-reversal', tactics: FULL, leverage: 5, feeBps: 4 });
    expect(a.signals).toBeGreaterThan(0);
    expect(a.fills).toBeGreaterThan(0);
    expect(renderReportJson(a)).toBe(renderReportJson(b));
    expect(renderEquityHtml(a)).toBe(renderEquityHtml(b));
    expect(renderEquityHtml(a)).toMatch(/<svg[^>]*>[\s\S]*<polyline/);
    expect(renderEquityHtml(a)).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
  });

  it('reads feeBps exactly whether given as a number in any JavaScript spelling or as a decimal string', () => {
    // 1e-7 bps is a rate of 0.00000000001; String(1e-7) is "1e-7", which is not a decimal the money code reads.
    const small = runBacktest(CANDLES, { strategy: 'ema-crossover', feeBps: 1e-7 });
    expect(renderReportJson(small)).toBe(renderReportJson(runBacktest(CANDLES, { strategy: 'ema-crossover', feeBps: '0.0000001' })));
    // 4.5 bps as a number and as text: one rate, 0.00045.
    expect(renderReportJson(runBacktest(CANDLES, { strategy: 'ema-crossover', feeBps: 4.5 }))).toBe(renderReportJson(runBacktest(CANDLES, { strategy: 'ema-crossover', feeBps: '4.5' })));
  });

  it('chunked progress does not change the result', () => {
    const seen: number[] = [];
    const a = runBacktest(CANDLES, { strategy: 'ema-crossover', progressEvery: 97, onProgress: (done) => seen.push(done) });
    const b = runBacktest(CANDLES, { strategy: 'ema-crossover', progressEvery: 100_000 });
    expect(renderReportJson(a)).toBe(renderReportJson(b));
    expect(seen.at(-1)).toBe(CANDLES.length);
  });

  it("count the engine's ERROR events per code: what the tactics could not do is in the report, not dropped", () => {
    // Four one-minute candles at 0.05 … 0.08 on BTCUSDT (tick 0.1): a LONG at every close trades at the next open,
    // where a 2 % stop under 0.06, 0.07 and 0.08 rounds down to 0: three entries refused, each an ERROR ENTRY_REFUSED.
    const tiny = ['0.05', '0.06', '0.07', '0.08'].map((p, i) => ({ openTime: 1_700_000_000_000 + i * 60_000, open: p, high: p, low: p, close: p, volume: '1' }));
    const always = (): Strategy => ({ id: 'always', onCandle: () => ({ action: 'LONG', reason: 'always' }) });
    const report = runBacktest(tiny.map(toCandle), { strategy: always });
    expect(report.errors).toEqual({ ENTRY_REFUSED: 3 });
    expect(report.fills).toBe(0);
    expect(JSON.parse(renderReportJson(report)).errors).toEqual({ ENTRY_REFUSED: 3 });
    // A run without any: an empty count, shown as 0 in the table.
    expect(runBacktest(CANDLES.slice(0, 10), { strategy: 'ema-crossover' }).errors).toEqual({});
  });

  it('count the entries lowered to the largest market order: every position keeps a stop it can close', () => {
    // 10,000,000 USDT risking 1 % over a 2 % stop at about 19,500 (the file's prices): 0.01 × 10,000,000 / (0.02 × 19,500)
    // ≈ 256 BTC a position, above BTCUSDT's largest market order, 120, whose stop would be refused (MAX_MARKET_QUANTITY).
    // Each entry is lowered to 120 (a multiple of the step 0.001), one ENTRY_REDUCED per plan; no exit is refused and
    // every stop placed is for 120. A limit entry, which that filter does not bound, would have opened the 256.
    const reduced: string[] = [];
    const stops: string[] = [];
    const report = runBacktest(CANDLES, {
      strategy: 'ema-crossover', balance: '10000000', tactics: { name: 'big', entry: { type: 'limit', offsetPercent: 0.05, validBars: 3 }, stopLoss: { type: 'percent', percent: 2 } },
      onEvent: (e) => {
        if (e.type === 'ERROR') reduced.push(e.message);
        if (e.type === 'ORDER_NEW' && e.orderType === 'STOP_LOSS') stops.push(e.quantity);
      },
    });
    expect(report.positionsOpened).toBeGreaterThan(0);
    expect(report.errors).toEqual({ ENTRY_REDUCED: reduced.length });
    expect(reduced.length).toBeGreaterThanOrEqual(report.positionsOpened);
    for (const message of reduced) expect(message).toMatch(/^the (LONG|SHORT) entry of BTCUSDT is reduced from 2\d\d\.\d+ to 120 \(a position of 120 at most\): the position must stay within the largest market order, 120, for its stop to close it$/);
    expect(stops.length).toBeGreaterThanOrEqual(report.positionsOpened);
    expect(new Set(stops)).toEqual(new Set(['120']));
  });

  it('refuse built-in strategy parameters the strategy could not trade on, naming the parameter, the value and the range', () => {
    const progress: number[] = [];
    expect(() => runBacktest(CANDLES, { strategy: 'rsi-reversal', strategyParams: { period: -5 }, onProgress: (done) => progress.push(done) })).toThrow('rsi-reversal: period must be a whole number from 2 to 100000, got -5');
    expect(() => runBacktest(CANDLES, { strategy: 'rsi-reversal', strategyParams: { oversold: 80, overbought: 20 } })).toThrow('rsi-reversal: oversold must be below overbought, got oversold 80 and overbought 20');
    expect(progress).toEqual([]);
  });

  it('refuse a strategy that peeks at a candle that has not closed', () => {
    const peeking = (): Strategy => ({ id: 'peek', onCandle: (_c, ctx) => (Number(ctx.candles.at(ctx.candles.length).close) > 0 ? { action: 'LONG', reason: 'knows the future' } : null) });
    expect(() => runBacktest(CANDLES, { strategy: peeking })).toThrow(LookAheadError);
  });

  it('trade a signal of bar t at the open of bar t + 1, never at the close it was computed on', () => {
    const engine = new PaperTradingEngine();
    const events: PaperTradingEvent[] = [];
    engine.subscribe((e) => events.push(e));
    let n = 0;
    const onTen = (): Strategy => ({ id: 'tenth', onCandle: () => (++n === 10 ? { action: 'LONG', reason: 'bar 10' } : null) });
    engine.advanceTo(CANDLES[0]!.openTime);
    engine.createAccount({ id: 'x', strategy: onTen, autoTrading: true, tacticsSets: [{ stopLoss: { type: 'percent', percent: 5 } }] });
    engine.start('x');
    engine.processCandles('x', 'BTCUSDT', CANDLES.slice(0, 20));
    const signal = events.find((e) => e.type === 'SIGNAL_GENERATED');
    const fill = events.find((e) => e.type === 'FILL');
    expect(signal?.at).toBe(CANDLES[9]!.openTime + 59_999);
    expect(fill?.at).toBe(CANDLES[10]!.openTime);
    expect(fill?.type === 'FILL' && fill.price).toBe((Number(CANDLES[10]!.open) + 0.1).toFixed(2).replace(/0+$/, '').replace(/\.$/, ''));
  });

  it('load user strategies from TypeScript and JavaScript modules', async () => {
    const dir = scratchDir('papertrade-strategy-');
    const body = `let closes = [];
export default function createStrategy(params) {
  const every = (params && params.every) || 50;
  return { id: 'every-n', onCandle(candle, ctx) {
    closes.push(Number(candle.close));
    if (ctx.candles.length % every !== 0) return null;
    return { action: ctx.position === 'LONG' ? 'CLOSE' : 'LONG', reason: 'every ' + every + ' bars' };
  } };
}`;
    writeFileSync(join(dir, 'every.mjs'), body);
    writeFileSync(join(dir, 'every.ts'), body.replace('createStrategy(params)', 'createStrategy(params?: { every?: number })').replace('let closes = [];', 'let closes: number[] = [];').replace('onCandle(candle, ctx)', 'onCandle(candle: { close: string }, ctx: { candles: { length: number }; position: string })'));
    for (const file of ['every.mjs', 'every.ts']) {
      const factory = await loadStrategyModule(join(dir, file));
      const report = runBacktest(CANDLES, { strategy: factory, strategyParams: { every: 100 } });
      expect(report.signals).toBe(Math.floor(CANDLES.length / 100));
      expect(report.positionsOpened).toBeGreaterThan(0);
    }
  });

  it('run over a recording with tick-level fills against the recorded book', () => {
    const recording = readRecording(USDM_RECORDING);
    const a = runRecordingBacktest(recording, { strategy: 'rsi-reversal', candleIntervalMs: 5_000, tactics: { stopLoss: { type: 'percent', percent: 0.2 } } });
    const b = runRecordingBacktest(recording, { strategy: 'rsi-reversal', candleIntervalMs: 5_000, tactics: { stopLoss: { type: 'percent', percent: 0.2 } } });
    expect(a.source).toBe('recording');
    expect(a.signals).toBeGreaterThan(0);
    expect(renderReportJson(a)).toBe(renderReportJson(b));
  });
});
