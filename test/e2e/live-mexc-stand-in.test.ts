/**
 * `papertrade serve --live --exchange mexc` as a user runs it (a child process), offline: its ccxt
 * `mexc` client pointed at a second papertrade instance that replays the bundled recording and
 * serves it as MEXC does (REST `/api/v3`, protobuf streams at `/mexc/ws`). Proves: the live
 * instance's book, rebuilt from MEXC's REST depth and protobuf depth diffs, equals the served book
 * at every checkpoint; a depth frame the venue drops (skipped versions) is detected as a gap, the
 * book is resynced, and it equals the served book again.
 */
import type { FastifyInstance } from 'fastify';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TradeInput } from '../../src/core/kernel/inputs.js';
import { parseFixed } from '../../src/core/money/fixed.js';
import { registerMexcApi } from '../../src/api/mexc/index.js';
import { buildServer } from '../../src/api/server.js';
import { startTestService, type TestService } from '../../src/test-kit/service-kit.js';
import { startServeProcess, stopServeProcess, type ServeProcess } from '../../src/test-kit/serve-process.js';
import { scratchDir } from '../../src/test-kit/scratch-dir.js';

const START = 1723161300000; // 2024-08-08T23:55:00Z
const ADMIN = 'live-mexc-admin-key';
/**
 * Levels compared: the live book's ccxt snapshot is MEXC's default 100 levels, and beyond them it
 * knows only the levels the diffs touched (as on MEXC): the top 10 stay well inside while the
 * market moves between resyncs.
 */
const LEVELS = 10;
/** How far back the venue's prints may still reach the live instance after the depth frame that shows them. */
const LATE_MS = 2_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Depth {
  bids: [string, string][];
  asks: [string, string][];
}
interface Feed {
  status: string;
  reason?: string;
  counters?: Record<string, number>;
}

describe('papertrade serve --live --exchange mexc against a papertrade MEXC stand-in', () => {
  const dir = scratchDir('papertrade-live-mexc-');
  let venue: TestService;
  let venueApp: FastifyInstance;
  let live: ServeProcess | undefined;
  let key: string;
  let fedUntil = START;
  let feeding = false;
  let feeder: Promise<void> = Promise.resolve();
  let dropNext = false;
  const dropped: [number, number][] = [];
  let checkpoints = 0;

  /** The venue replays the recording at about 4× real speed: 100 ms of market every 25 ms. */
  const startFeeding = () => {
    feeding = true;
    feeder = (async () => {
      while (feeding) {
        fedUntil += 100;
        await venue.feedUntil(fedUntil);
        await sleep(25);
      }
    })();
  };
  const stopFeeding = async () => {
    feeding = false;
    await feeder;
  };

  beforeAll(async () => {
    venue = await startTestService({ until: START });
    venueApp = await buildServer(venue.deps, {
      plugins: [registerMexcApi],
      mexcStreams: {
        dropDepthFrame: (_symbol, from, to) => {
          if (!dropNext) return false;
          dropNext = false;
          dropped.push([from, to]);
          return true;
        },
      },
    });
    const base = await venueApp.listen({ port: 0, host: '127.0.0.1' });
    startFeeding();
    live = await startServeProcess(
      0,
      {
        DATABASE_URL: `sqlite:${join(dir, 'live.db')}`,
        ADMIN_API_KEY: ADMIN,
        LOG_LEVEL: 'warn',
        STALE_AFTER_MS: '5000',
        MARKET_CACHE_FILE: join(dir, 'market-cache.json'),
        PAPER_TRADING_INITIAL_BALANCE_USDT: '25000',
        EXCHANGE_URLS: JSON.stringify({
          api: {
            spot: { public: base, private: base },
            contract: { public: `${base}/api/v1/contract`, private: `${base}/api/v1/private` },
            ws: { spot: `${base.replace('http', 'ws')}/mexc/ws` },
          },
        }),
        EXCHANGE_OPTIONS: JSON.stringify({ enableRateLimit: false }),
      },
      ['--live', '--exchange', 'mexc', '--symbols', 'BTC/USDT'],
    );
    key = /API key:\s+(\S+)/.exec(live.output())?.[1] ?? '';
  }, 60_000);

  afterAll(async () => {
    await stopFeeding();
    if (live !== undefined) await stopServeProcess(live);
    await venueApp?.close();
    await venue?.close();
  });

  const get = async <T>(path: string): Promise<T> => (await (await fetch(`${live!.url}${path}`, { headers: { authorization: `Bearer ${key}` } })).json()) as T;
  const feed = async () => (await get<{ items: Feed[] }>('/api/market/feeds')).items[0]!;
  const exact = (d: Depth) => ({ bids: d.bids.map(([p, q]) => [parseFixed(p), parseFixed(q)]), asks: d.asks.map(([p, q]) => [parseFixed(p), parseFixed(q)]) });

  /**
   * Stops the venue, then waits for the live book to equal the venue's (top LEVELS levels, exact
   * decimals). A live book still resyncing needs more frames before ccxt takes its snapshot: the
   * venue then runs another second and the checkpoint is taken again, at most five times.
   */
  const checkpoint = async (atCheckpoint?: () => Promise<void>) => {
    let last: unknown;
    let served: ReturnType<typeof exact> | undefined;
    for (let attempt = 0; attempt < 5; attempt += 1) {
      await stopFeeding();
      served = exact(venue.engine.kernel.depth('BTCUSDT', LEVELS)!);
      expect(served.bids).toHaveLength(LEVELS);
      const deadline = Date.now() + 15_000;
      while (Date.now() < deadline) {
        last = exact(await get<Depth>(`/api/market/depth/BTCUSDT?limit=${LEVELS}`));
        if (JSON.stringify(last, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) === JSON.stringify(served, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))) break;
        await sleep(100);
      }
      const equal = Date.now() < deadline;
      if (equal) await atCheckpoint?.();
      startFeeding();
      if (equal) {
        checkpoints += 1;
        await sleep(1_500);
        return;
      }
      await sleep(1_000);
    }
    expect(last, 'the live book at the last of five checkpoints').toEqual(served);
  };

  it('rebuilds the served book from MEXC REST depth and protobuf diffs, checkpoint after checkpoint', async () => {
    expect(key, live!.output()).not.toBe('');
    expect(live!.output()).toContain('Market data: live from mexc');
    await expect.poll(feed, { timeout: 30_000, interval: 100 }).toMatchObject({ status: 'synced' });
    for (let i = 0; i < 2; i += 1) await checkpoint();
    // On a book equal to the venue's, a market buy takes the venue's displayed asks, best first,
    // never below the best ask. It may go past the best ask, and past the levels served: the venue's
    // last deals can reach the live feed after the depth frame that already shows them, and a paper
    // order sees a level less what deals took since it was stated (ADR 0026, the cautious side); the
    // best ask may also hold less than 0.001.
    await checkpoint(async () => {
      const asks = venue.engine.kernel.depth('BTCUSDT', LEVELS)!.asks.map(([price]) => parseFixed(price));
      // The worst ask the order may reach: past the served levels only as far as the buyers' prints
      // of the venue's last LATE_MS went. The live instance may hear such a print after the depth
      // frame that already shows it, and then counts every ask up to its price as taken until the
      // next frame (ADR 0026, the cautious side); with the venue stopped, no frame comes.
      const late = venue.recording.inputs.filter((i): i is TradeInput => i.kind === 'trade' && !i.buyerMaker && i.time > fedUntil - LATE_MS && i.time <= fedUntil);
      const highestLate = late.reduce((high, t) => (parseFixed(t.price) > high ? parseFixed(t.price) : high), 0n);
      const beyondLate = venue.engine.kernel.depth('BTCUSDT', 1000)!.asks.map(([price]) => parseFixed(price)).find((price) => price > highestLate);
      const worst = beyondLate !== undefined && beyondLate > asks.at(-1)! ? beyondLate : asks.at(-1)!;
      const quantity = parseFixed('0.001');
      const res = await fetch(`${live!.url}/api/orders`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.001' }) });
      const order = (await res.json()) as { status: string; executedQty: string; cumulativeQuoteQty: string };
      expect(order).toMatchObject({ status: 'FILLED' });
      expect(parseFixed(order.executedQty)).toBe(quantity);
      const quote = parseFixed(order.cumulativeQuoteQty);
      expect(quote >= (asks[0]! * quantity) / 10n ** 18n, `${order.cumulativeQuoteQty} against the best ask ${asks[0]}`).toBe(true);
      expect(quote <= (worst * quantity) / 10n ** 18n, `${order.cumulativeQuoteQty} against the last ask served ${asks.at(-1)} and the first beyond the late prints ${beyondLate}`).toBe(true);
    });
    expect(checkpoints).toBe(3);
    expect((await feed()).counters).toMatchObject({ gaps: 0 });
  }, 120_000);

  it('detects a depth frame the venue skipped, resyncs, and equals the served book again', async () => {
    dropNext = true;
    await expect.poll(() => dropped.length).toBe(1);
    let booksAtGap = 0;
    await expect
      .poll(
        async () => {
          const counters = (await feed()).counters;
          booksAtGap = counters?.books ?? 0;
          return counters?.gaps ?? 0;
        },
        { interval: 50 },
      )
      .toBe(1);
    // The feed shows the kernel's book, which stays synced until the gap's invalidation (queued
    // behind the inputs before it) is applied: synced alone may be the book from before the gap,
    // and a checkpoint that stopped the venue then would stop the resync too. The resync is done
    // once a book came after the gap and the kernel is synced.
    await expect
      .poll(
        async () => {
          const f = await feed();
          return f.status === 'synced' && (f.counters?.books ?? 0) > booksAtGap;
        },
        { timeout: 30_000, interval: 100 },
      )
      .toBe(true);
    await checkpoint();
    await checkpoint();
    expect(checkpoints).toBe(5);
    expect((await feed()).counters?.gaps).toBe(1);
  }, 120_000);
});
