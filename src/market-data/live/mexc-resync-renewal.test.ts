/**
 * The MEXC live book after a skipped depth frame, against papertrade's MEXC stand-in in-process
 * (REST depth, protobuf depth diffs at `/mexc/ws`, the bundled recording replayed): the frame the
 * venue drops is a gap, and the book stream resyncs (ccxt buffers 25 frames, then takes a REST
 * snapshot). Proves that a resync renewed by the watchdog (ccxt's `unWatchOrderBook`, then a new
 * `watchOrderBook`) still receives depth, and that a resync still buffering frames is left to
 * finish; either way the book comes back equal to the venue's own book (its kernel's depth, the
 * oracle: a separate engine fed the recording).
 */
import type { Exchange } from 'ccxt';
import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseFixed } from '../../core/money/fixed.js';
import { registerMexcApi } from '../../api/mexc/index.js';
import { buildServer } from '../../api/server.js';
import { ccxtHeard } from '../../test-kit/ccxt-heard.js';
import { startTestService, type TestService } from '../../test-kit/service-kit.js';
import { sleep, until } from '../../test-kit/wait.js';
import type { BookView } from './book-state.js';
import { CcxtBookStream } from './ccxt-book-stream.js';
import { openLiveMarkets, type LiveMarkets } from './live-markets.js';

const START = 1723161300000; // 2024-08-08T23:55:00Z
const CHANNEL = 'spot@public.aggre.depth.v3.api.pb@100ms@BTCUSDT';
const LEVELS = 10;

type Levels = readonly (readonly [string, string])[];
const exact = (levels: Levels) => levels.map(([p, q]) => [parseFixed(p), parseFixed(q)]);
const topOf = (side: ReadonlyMap<string, string>): Levels => [...side.entries()].slice(0, LEVELS);
const same = (a: unknown, b: unknown) => {
  const text = (v: unknown) => JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
  return text(a) === text(b);
};

describe('a MEXC resync against the stand-in venue', () => {
  let venue: TestService;
  let app: FastifyInstance;
  let base: string;
  let markets: LiveMarkets | undefined;
  let fedUntil = START;
  let feeding = false;
  let feeder: Promise<void> = Promise.resolve();
  let dropNext = false;

  /** The venue replays 100 ms of market every 25 ms of wall time (about 4× real speed). */
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

  /** A ccxt client as `serve --live` builds it (ccxt's defaults, rate limiting on) and a book stream on it. */
  const watch = async (staleAfterMs: number) => {
    markets = await openLiveMarkets({
      config: {
        exchange: 'mexc',
        exchangeUrls: {
          api: {
            spot: { public: base, private: base },
            contract: { public: `${base}/api/v1/contract`, private: `${base}/api/v1/private` },
            ws: { spot: `${base.replace('http', 'ws')}/mexc/ws` },
          },
        },
      },
      symbols: ['BTC/USDT'],
    });
    const exchange: Exchange = markets.exchanges.get('mexc')!;
    const heard = ccxtHeard(exchange);
    const seen = { view: undefined as BookView | undefined, views: 0 };
    const stream = new CcxtBookStream(
      exchange,
      'BTC/USDT',
      {
        onBook: (v) => {
          seen.view = v;
          seen.views += 1;
        },
        onTrade: () => undefined,
        onInvalid: () => undefined,
      },
      { staleAfterMs, trades: false },
    );
    const equalsVenue = () => {
      const served = venue.engine.kernel.depth('BTCUSDT', LEVELS)!;
      const view = seen.view;
      return view !== undefined && same({ b: exact(topOf(view.bids)), a: exact(topOf(view.asks)) }, { b: exact(served.bids), a: exact(served.asks) });
    };
    const depthAnswers = () => heard.filter((m) => m.code === 0 && typeof m.msg === 'string' && m.msg.split(',').includes(CHANNEL)).length;
    stream.start();
    startFeeding();
    await until(() => seen.views > 0, 'the first book');
    await stopFeeding();
    await until(equalsVenue, 'the book to equal the venue’s before the gap');
    return { stream, seen, equalsVenue, depthAnswers };
  };

  beforeAll(async () => {
    venue = await startTestService({ until: START });
    app = await buildServer(venue.deps, {
      plugins: [registerMexcApi],
      mexcStreams: {
        dropDepthFrame: () => {
          if (!dropNext) return false;
          dropNext = false;
          return true;
        },
      },
    });
    base = await app.listen({ port: 0, host: '127.0.0.1' });
  });

  afterEach(async () => {
    await stopFeeding();
    await markets?.close();
    markets = undefined;
  });

  afterAll(async () => {
    await app?.close();
    await venue?.close();
  });

  it('renews a silent resync so that the venue still sends depth, and the book equals the venue’s again', async () => {
    // A renewal every 2 s while resyncing leaves ccxt time to buffer its 25 frames (about 1 s at
    // this replay speed) and take its snapshot between two renewals.
    const { stream, seen, equalsVenue, depthAnswers } = await watch(2_000);
    try {
      // A frame the venue drops: the next one reveals the gap. The venue then goes quiet.
      startFeeding();
      dropNext = true;
      await until(() => stream.counters.gaps === 1, 'the gap');
      await stopFeeding();
      const viewsAtGap = seen.views;
      const answersAtGap = depthAnswers();
      // Silent for longer than staleAfterMs: the watchdog renews the resync (an unsubscription and
      // a subscription, each answered).
      await until(() => depthAnswers() >= answersAtGap + 4, 'the resync renewed by the watchdog', 10_000);
      expect(seen.views).toBe(viewsAtGap);

      // The venue speaks again: ccxt buffers its frames, takes a REST snapshot, and delivers a book.
      startFeeding();
      await until(() => seen.views > viewsAtGap, 'a book after the renewed resync', 15_000);
      await stopFeeding();
      await until(equalsVenue, 'the book to equal the venue’s after the resync', 10_000);
      expect(stream.counters.gaps).toBe(1);
    } finally {
      await stream.stop();
    }
  }, 60_000);

  it('leaves a resync that is still buffering frames to finish, however long it takes past staleAfterMs', async () => {
    // 300 ms: about a dozen frames at this replay speed, fewer than the 25 ccxt buffers before its
    // snapshot. A resync renewed every 300 ms would throw its buffer away each time and never finish.
    const { stream, seen, equalsVenue, depthAnswers } = await watch(300);
    try {
      startFeeding();
      dropNext = true;
      await until(() => stream.counters.gaps === 1, 'the gap');
      const viewsAtGap = seen.views;
      const answersAtGap = depthAnswers();
      await until(() => seen.views > viewsAtGap, 'a book after the resync', 15_000);
      await stopFeeding();
      await until(equalsVenue, 'the book to equal the venue’s after the resync', 10_000);
      // No count of renewals is asserted: on a loaded machine the venue's timers may pause for
      // more than 300 ms, and a resync that buffered nothing meanwhile is rightly renewed. A resync
      // renewed every 300 ms whatever it buffered never reaches ccxt's 25 frames: no book above.
      expect(depthAnswers()).toBeGreaterThanOrEqual(answersAtGap + 2);
      expect(stream.counters.gaps).toBe(1);
    } finally {
      await stream.stop();
    }
  }, 60_000);
});
