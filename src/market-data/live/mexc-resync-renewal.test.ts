/**
 * The MEXC live book when its resync stays silent, against papertrade's MEXC stand-in in-process
 * (REST depth, protobuf depth diffs at `/mexc/ws`, the bundled recording replayed): a depth frame the
 * venue drops is a gap; the venue then goes quiet for longer than `staleAfterMs`, so the book
 * stream renews the resync (ccxt's `unWatchOrderBook`, then a new `watchOrderBook`). The venue must
 * still be sending depth frames when it speaks again, and the book must come back equal to the
 * venue's own book (its kernel's depth, the oracle: a separate engine fed the recording).
 */
import type { Exchange } from 'ccxt';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
/**
 * The stream's staleAfterMs: a renewal every 2 s while resyncing leaves ccxt time to buffer its 25
 * frames (about 1 s at this replay speed) and take its snapshot between two renewals.
 */
const STALE_MS = 2000;

type Levels = readonly (readonly [string, string])[];
const exact = (levels: Levels) => levels.map(([p, q]) => [parseFixed(p), parseFixed(q)]);
const topOf = (side: ReadonlyMap<string, string>): Levels => [...side.entries()].slice(0, LEVELS);
const same = (a: unknown, b: unknown) => {
  const text = (v: unknown) => JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
  return text(a) === text(b);
};

describe('a MEXC resync renewed while the venue is silent', () => {
  let venue: TestService;
  let app: FastifyInstance;
  let markets: LiveMarkets;
  let exchange: Exchange;
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
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    // ccxt's defaults (rate limiting on), as `serve --live` builds its client.
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
    exchange = markets.exchanges.get('mexc')!;
  });

  afterAll(async () => {
    await stopFeeding();
    await markets?.close();
    await app?.close();
    await venue?.close();
  });

  it('renews the subscription so that the venue still sends depth, and the book equals the venue’s again', async () => {
    const heard = ccxtHeard(exchange);
    const depthAnswers = () => heard.filter((m) => m.code === 0 && typeof m.msg === 'string' && m.msg.split(',').includes(CHANNEL)).length;
    let view: BookView | undefined;
    let views = 0;
    const stream = new CcxtBookStream(
      exchange,
      'BTC/USDT',
      {
        onBook: (v) => {
          view = v;
          views += 1;
        },
        onTrade: () => undefined,
        onInvalid: () => undefined,
      },
      { staleAfterMs: STALE_MS, trades: false },
    );
    const equalsVenue = () => {
      const served = venue.engine.kernel.depth('BTCUSDT', LEVELS)!;
      return view !== undefined && same({ b: exact(topOf(view.bids)), a: exact(topOf(view.asks)) }, { b: exact(served.bids), a: exact(served.asks) });
    };
    stream.start();
    try {
      startFeeding();
      await until(() => views > 0, 'the first book');
      await stopFeeding();
      await until(equalsVenue, 'the book to equal the venue’s before the gap');

      // A frame the venue drops: the next one reveals the gap. The venue then goes quiet.
      startFeeding();
      dropNext = true;
      await until(() => stream.counters.gaps === 1, 'the gap');
      await stopFeeding();
      const viewsAtGap = views;
      const answersAtGap = depthAnswers();
      // Silent for well over staleAfterMs: the watchdog renews the resync (an unsubscription and a
      // subscription, each answered), at most once per staleAfterMs.
      await until(() => depthAnswers() >= answersAtGap + 4, 'the resync renewed by the watchdog', 10_000);
      expect(views).toBe(viewsAtGap);

      // The venue speaks again: ccxt buffers its frames, takes a REST snapshot, and delivers a book.
      startFeeding();
      await until(() => views > viewsAtGap, 'a book after the renewed resync', 15_000);
      await stopFeeding();
      await until(equalsVenue, 'the book to equal the venue’s after the resync', 10_000);
      expect(stream.counters.gaps).toBe(1);
    } finally {
      await stream.stop();
    }
  }, 60_000);
});
