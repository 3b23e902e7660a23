/**
 * MEXC contract depth pushes (`push.depth`) checked for lost versions, by MEXC's rule
 * ("Incremental Order Book Maintenance Mechanism", futures WebSocket API): each push's `version`
 * is the previous one + 1; a discontinuity means pushes were lost and the book is rebuilt from a
 * snapshot. Driven through ccxt's own pro `mexc` class (its buffering, its snapshot load, its
 * deltas) with the live feed's tap installed; the pushes, the snapshot and the books they must give
 * are written by hand below.
 */
import ccxt, { InvalidNonce, type Exchange } from 'ccxt';
import { describe, expect, it } from 'vitest';
import type { RawSequenceAnomaly } from './live-exchanges.js';
import { mexcContractPushVersions, tapMexcDepthSequence } from './mexc-depth-sequence.js';

type Level = [number, number, number];
interface CcxtBook {
  nonce?: number;
  bids: [number, number][];
  asks: [number, number][];
}

const SYMBOL = 'BTC/USDT:USDT';

/** A contract depth push as MEXC sends it: levels [price, volume, orders], volumes absolute. */
const push = (version: number, bids: Level[], asks: Level[], begin?: number) => ({
  channel: 'push.depth',
  data: { asks, bids, version, ...(begin !== undefined ? { begin, end: version } : {}) },
  symbol: 'BTC_USDT',
  ts: 1_764_612_000_000 + version,
});

/** A ccxt pro mexc client with the tap and BTC_USDT's perpetual; its one REST snapshot is at version 100. */
function contractFeed() {
  const exchange = new ccxt.pro.mexc({ options: { watchOrderBook: { snapshotDelay: 2 } } }) as unknown as Exchange & {
    handleOrderBook(client: unknown, message: unknown): void;
    orderbooks: Record<string, CcxtBook | undefined>;
  };
  exchange.setMarkets([
    { id: 'BTC_USDT', symbol: SYMBOL, base: 'BTC', quote: 'USDT', settle: 'USDT', baseId: 'BTC', quoteId: 'USDT', settleId: 'USDT', type: 'swap', spot: false, swap: true, contract: true, linear: true, inverse: false, contractSize: 0.0001, active: true, precision: { amount: 1, price: 0.1 }, limits: {} },
  ] as never);
  const anomalies: RawSequenceAnomaly[] = [];
  expect(tapMexcDepthSequence(exchange, (a) => anomalies.push(a))).toBe(true);
  (exchange as unknown as { fetchRestOrderBookSafe: () => Promise<unknown> }).fetchRestOrderBookSafe = async () => ({
    symbol: SYMBOL, timestamp: undefined, datetime: undefined, nonce: 100, bids: [[61_800, 50]], asks: [[61_801, 40], [61_802, 70]],
  });
  const outcome: { resolved: number; rejected: unknown[] } = { resolved: 0, rejected: [] };
  const client = { url: 'scripted', subscriptions: {}, resolve: () => (outcome.resolved += 1), reject: (error: unknown) => outcome.rejected.push(error) };
  const feed = (...messages: unknown[]) => messages.forEach((m) => exchange.handleOrderBook(client, m));
  /** Pushes 99 to 101 buffered, the snapshot (100) taken: the book is at 101. */
  const synced = async () => {
    feed(push(99, [], [[61_801, 45, 2]]), push(100, [], [[61_801, 40, 2]]), push(101, [[61_800, 55, 3]], []));
    for (let i = 0; i < 20 && outcome.resolved === 0; i += 1) await new Promise((r) => setTimeout(r, 5));
    expect(outcome).toEqual({ resolved: 1, rejected: [] });
  };
  const book = () => {
    const b = exchange.orderbooks[SYMBOL];
    return b === undefined ? undefined : { nonce: b.nonce, bids: b.bids.map(([p, q]) => [p, q]), asks: b.asks.map(([p, q]) => [p, q]) };
  };
  /** ccxt's reset after a snapshot it could not join: an empty book, neither snapshot nor buffer. */
  const emptied = () => void ((exchange.orderbooks as Record<string, unknown>)[SYMBOL] = exchange.orderBook());
  return { feed, synced, book, emptied, anomalies, outcome };
}

describe('MEXC contract depth pushes checked for lost versions', () => {
  it('pushes that follow on by one are applied: the snapshot joined at 100, then 101 and 102', async () => {
    const f = contractFeed();
    await f.synced();
    f.feed(push(102, [], [[61_802, 0, 0]]));
    // By hand: the snapshot's 61,800 bid becomes 55 at 101; 102 removes the 61,802 ask.
    expect(f.book()).toEqual({ nonce: 102, bids: [[61_800, 55]], asks: [[61_801, 40]] });
    expect(f.anomalies).toEqual([]);
    expect(f.outcome.rejected).toEqual([]);
  });

  it('a push that skips a version (104 after 102) is not applied: the book is dropped and the watch rejects with InvalidNonce', async () => {
    const f = contractFeed();
    await f.synced();
    f.feed(push(102, [], [[61_802, 0, 0]]), push(104, [[61_799, 10, 1]], []));
    expect(f.anomalies).toEqual([{ symbol: 'BTC_USDT', kind: 'gap', firstUpdateId: 104, finalUpdateId: 104, expected: 103 }]);
    expect(f.outcome.rejected).toHaveLength(1);
    expect(f.outcome.rejected[0]).toBeInstanceOf(InvalidNonce);
    expect(String(f.outcome.rejected[0])).toContain('103–103 never arrived');
    expect(f.book()).toBeUndefined();
    // The next push starts a new book, buffered for the next snapshot: no second gap.
    f.feed(push(105, [], []));
    expect(f.anomalies).toHaveLength(1);
    expect(f.book()).toEqual({ nonce: undefined, bids: [], asks: [] });
  });

  it('a push merging versions chains on its begin (102–103, then 104); one that starts past the next version is a gap', async () => {
    const f = contractFeed();
    await f.synced();
    f.feed(push(103, [[61_800, 60, 3]], [], 102), push(104, [], [[61_801, 30, 1]], 104));
    expect(f.anomalies).toEqual([]);
    expect(f.book()).toEqual({ nonce: 104, bids: [[61_800, 60]], asks: [[61_801, 30], [61_802, 70]] });
    f.feed(push(107, [], [], 106));
    expect(f.anomalies).toEqual([{ symbol: 'BTC_USDT', kind: 'gap', firstUpdateId: 106, finalUpdateId: 107, expected: 105 }]);
    expect(f.book()).toBeUndefined();
  });

  it('a book ccxt emptied (a snapshot it could not join) starts a new chain at the next push: no gap reported', async () => {
    const f = contractFeed();
    await f.synced();
    f.emptied();
    f.feed(push(250, [], []), push(251, [], []));
    expect(f.anomalies).toEqual([]);
    f.feed(push(253, [], []));
    expect(f.anomalies).toEqual([{ symbol: 'BTC_USDT', kind: 'gap', firstUpdateId: 253, finalUpdateId: 253, expected: 252 }]);
  });

  it('a push at or below the last version is reported as a duplicate and changes nothing', async () => {
    const f = contractFeed();
    await f.synced();
    f.feed(push(102, [], [[61_802, 0, 0]]), push(101, [[61_800, 1, 1]], []));
    expect(f.anomalies).toEqual([{ symbol: 'BTC_USDT', kind: 'duplicate', firstUpdateId: 101, finalUpdateId: 101, expected: 103 }]);
    expect(f.book()).toEqual({ nonce: 102, bids: [[61_800, 55]], asks: [[61_801, 40]] });
    expect(f.outcome.rejected).toEqual([]);
  });

  it('reads the versions a push covers: version alone, begin to version, nothing for other messages', () => {
    expect(mexcContractPushVersions(push(7, [], []))).toEqual({ marketId: 'BTC_USDT', from: 7, to: 7 });
    expect(mexcContractPushVersions(push(9, [], [], 8))).toEqual({ marketId: 'BTC_USDT', from: 8, to: 9 });
    expect(mexcContractPushVersions({ channel: 'push.depth', data: { version: null }, symbol: 'BTC_USDT' })).toBeUndefined();
    expect(mexcContractPushVersions({ channel: 'push.depth.full', data: { version: 7 }, symbol: 'BTC_USDT' })).toBeUndefined();
  });
});
