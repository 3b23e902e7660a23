import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ccxt from 'ccxt';
import { afterEach, describe, expect, it } from 'vitest';
import { createRestExchange, downloadCandles, lastCompleteLine, withRetry } from './download-command-fetch.js';
import { BinanceStandIn, type BinanceKline } from './download-command-stand-in.js';

const MINUTE = 60_000;
const T0 = Date.UTC(2024, 7, 8, 0, 0);
/** Ten 1m bars whose prices the exchange sends in exponent form for the volume of one (some APIs do). */
const BARS: BinanceKline[] = Array.from({ length: 10 }, (_, i) => [T0 + i * MINUTE, `6170${i}.5`, `6171${i}.25`, `6169${i}`, `6170${i}.75`, i === 3 ? '1.5e-7' : `${i}.001`, T0 + (i + 1) * MINUTE - 1, '0', 1, '0', '0', '0']);

describe('candle download (in process, against the Binance stand-in)', () => {
  let dir: string | undefined;
  let standIn: BinanceStandIn | undefined;
  afterEach(async () => {
    await standIn?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  async function setUp(): Promise<{ out: string; exchange: ReturnType<typeof createRestExchange> }> {
    standIn = new BinanceStandIn({ klines: BARS });
    const api = await standIn.start();
    dir = mkdtempSync(join(tmpdir(), 'download-fetch-'));
    const exchange = createRestExchange({ exchange: 'binance', urls: { api: { public: api } }, options: { options: { fetchMarkets: { types: ['spot'] }, fetchCurrencies: false } } });
    return { out: join(dir, 'c.csv'), exchange };
  }

  it('stops before --until, keeps the exchange\'s decimal text, and writes an exponent out in full', async () => {
    const { out, exchange } = await setUp();
    const { written } = await downloadCandles(exchange, { symbol: 'BTC/USDT', timeframe: '1m', since: T0 + MINUTE, until: T0 + 5 * MINUTE, out, limit: 2 });
    expect(written).toBe(4);
    expect(readFileSync(out, 'utf8').trim().split('\n')).toEqual([
      'open_time_ms,open,high,low,close,volume',
      `${T0 + MINUTE},61701.5,61711.25,61691,61701.75,1.001`,
      `${T0 + 2 * MINUTE},61702.5,61712.25,61692,61702.75,2.001`,
      `${T0 + 3 * MINUTE},61703.5,61713.25,61693,61703.75,0.00000015`,
      `${T0 + 4 * MINUTE},61704.5,61714.25,61694,61704.75,4.001`,
    ]);
  });

  it('refuses to resume with a --since after the file\'s last bar (the file would have a hole)', async () => {
    const { out, exchange } = await setUp();
    await downloadCandles(exchange, { symbol: 'BTC/USDT', timeframe: '1m', since: T0, until: T0 + 2 * MINUTE, out });
    await expect(downloadCandles(exchange, { symbol: 'BTC/USDT', timeframe: '1m', since: T0 + 5 * MINUTE, out })).rejects.toThrow(/would leave a hole/);
  });
});

describe('retries and resumption', () => {
  it('retries network errors with growing back-off and gives up on anything else at once', async () => {
    const exchange = new ccxt.binance();
    const delays: number[] = [];
    let calls = 0;
    const flaky = () => {
      calls += 1;
      if (calls < 3) throw new ccxt.RequestTimeout('timed out');
      return Promise.resolve('ok');
    };
    await expect(withRetry(exchange, flaky, { retries: 5, baseDelayMs: 100, maxDelayMs: 1_000, sleep: async (ms) => void delays.push(ms) })).resolves.toBe('ok');
    expect(delays).toEqual([100, 200]);
    let badCalls = 0;
    const bad = () => {
      badCalls += 1;
      throw new ccxt.BadSymbol('no such market');
    };
    await expect(withRetry(exchange, bad, { retries: 5, baseDelayMs: 1, maxDelayMs: 1 })).rejects.toThrow(/no such market/);
    expect(badCalls).toBe(1);
  });

  it('cuts a torn last line and returns the last complete one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'download-fetch-'));
    try {
      const file = join(dir, 'x.csv');
      writeFileSync(file, 'h\n1,a\n2,b\n3,');
      expect(lastCompleteLine(file)).toBe('2,b');
      expect(readFileSync(file, 'utf8')).toBe('h\n1,a\n2,b\n');
      expect(lastCompleteLine(join(dir, 'missing.csv'))).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
