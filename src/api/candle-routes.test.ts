import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseFixed } from '../core/money/fixed.js';
import { SPOT_RECORDING } from '../test-kit/data-paths.js';
import { startTestService, type TestService } from '../test-kit/service-kit.js';
import { buildServer } from './server.js';

/** The recording's 1-minute klines, derived from its trades independently (data/PROVENANCE.md). */
const KLINES = readFileSync(join(SPOT_RECORDING, 'candles_1m_derived_from_trades.csv'), 'utf8')
  .trim()
  .split('\n')
  .slice(1)
  .map((line) => {
    const [openTime, open, high, low, close, volume, , , trades] = line.split(',');
    return { openTime: Number(openTime), open: open!, high: high!, low: low!, close: close!, volume: volume!, trades: Number(trades) };
  });

const same = (a: string, b: string) => parseFixed(a) === parseFixed(b);

interface Candle {
  openTime: number;
  open: string;
  high: string;
  low: string;
  close: string;
  volume: string;
  trades: number;
}

function expectCandles(actual: readonly Candle[], expected: readonly Candle[]): void {
  expect(actual.map((c) => c.openTime)).toEqual(expected.map((c) => c.openTime));
  for (const [i, c] of actual.entries()) {
    const e = expected[i]!;
    for (const field of ['open', 'high', 'low', 'close', 'volume'] as const) expect(same(c[field], e[field]), `${field} of ${c.openTime}: ${c[field]} vs ${e[field]}`).toBe(true);
    expect(c.trades).toBe(e.trades);
  }
}

describe('GET /api/market/candles/:symbol', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService({ until: 0 });
    // The tape only (the book does not make candles), submitted at once: the journal keeps the order.
    await Promise.all(service.recording.inputs.filter((i) => i.kind === 'trade').map((i) => service.deps.hub.submit(i)));
  }, 120_000);
  afterAll(async () => service.close());

  it("gives the feed's 1-minute candles since it started, equal to the recording's klines", async () => {
    const res = await service.app.inject({ url: '/api/market/candles/BTCUSDT?interval=1m&limit=1000' });
    expect(res.statusCode).toBe(200);
    const body = res.json<{ symbol: string; interval: string; items: Candle[] }>();
    expect(body).toMatchObject({ symbol: 'BTCUSDT', interval: '1m' });
    expect(body.items).toHaveLength(KLINES.length);
    expectCandles(body.items, KLINES);
  });

  it('rolls minutes up into 5-minute candles and keeps only the last ones asked for', async () => {
    const byFive = new Map<number, Candle>();
    for (const k of KLINES) {
      const t = Math.floor(k.openTime / 300_000) * 300_000;
      const c = byFive.get(t);
      if (c === undefined) byFive.set(t, { ...k, openTime: t });
      else byFive.set(t, { ...c, high: Number(k.high) > Number(c.high) ? k.high : c.high, low: Number(k.low) < Number(c.low) ? k.low : c.low, close: k.close, volume: String(Number(c.volume) + Number(k.volume)), trades: c.trades + k.trades });
    }
    const expected = [...byFive.values()];
    const items = (await service.app.inject({ url: '/api/market/candles/BTCUSDT?interval=5m' })).json<{ items: Candle[] }>().items;
    expect(items.map((c) => c.openTime)).toEqual(expected.map((c) => c.openTime));
    for (const [i, c] of items.entries()) {
      expect([c.open, c.high, c.low, c.close]).toEqual([expected[i]!.open, expected[i]!.high, expected[i]!.low, expected[i]!.close].map((v) => String(Number(v))));
      expect(Number(c.volume)).toBeCloseTo(Number(expected[i]!.volume), 6);
    }
    const last2 = (await service.app.inject({ url: '/api/market/candles/BTCUSDT?interval=1m&limit=2' })).json<{ items: Candle[] }>().items;
    expectCandles(last2, KLINES.slice(-2));
  });

  it('a server started later reads the same candles from the journal', async () => {
    const later = await buildServer(service.deps);
    try {
      const items = (await later.inject({ url: '/api/market/candles/BTCUSDT?limit=1000' })).json<{ items: Candle[] }>().items;
      expectCandles(items, KLINES);
    } finally {
      await later.close();
    }
  });

  it('refuses an unknown symbol and an interval it does not offer', async () => {
    expect((await service.app.inject({ url: '/api/market/candles/NOPE' })).json()).toMatchObject({ code: 'UNKNOWN_SYMBOL' });
    const bad = await service.app.inject({ url: '/api/market/candles/BTCUSDT?interval=2m' });
    expect(bad.statusCode).toBe(400);
  });
});
