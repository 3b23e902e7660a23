/**
 * Binance depth events joined to the REST snapshot as Binance documents ("How to manage a local
 * order book correctly"): spot drops the buffered events with u ≤ lastUpdateId, the first kept needs
 * U ≤ lastUpdateId + 1 (else the snapshot is older than the buffer: fetch it again), and each later
 * one U = previous u + 1; USD-M drops u < lastUpdateId, the first kept needs U ≤ lastUpdateId ≤ u,
 * each later one pu = previous u. Driven through ccxt's own `binance` class (its buffer, its
 * snapshot join) with the live feed's tap installed; events, snapshots and books written by hand.
 */
import ccxt, { InvalidNonce, type Exchange } from 'ccxt';
import { describe, expect, it } from 'vitest';
import { binanceSnapshotJoin, tapBinanceDepthSequence } from './live-exchanges.js';

type Level = [string, string];
interface Snapshot {
  readonly nonce: number;
  readonly bids: [number, number][];
  readonly asks: [number, number][];
}
interface CcxtBook {
  nonce?: number;
  cache: unknown[];
  bids: [number, number][];
  asks: [number, number][];
}

const E0 = 1_723_161_300_000;
const event = (U: number, u: number, b: Level[], a: Level[], pu?: number) => ({ e: 'depthUpdate', E: E0 + u, s: 'BTCUSDT', U, u, ...(pu !== undefined ? { pu } : {}), b, a });

/** ccxt pro binance with the tap: `buffered` arrive before the snapshot, the scripted snapshots answer the REST calls, `later` arrive after. */
async function bookAfter(snapshots: Snapshot[], buffered: readonly unknown[], later: readonly unknown[] = [], type: 'spot' | 'future' = 'spot') {
  const exchange = new ccxt.pro.binance() as unknown as Exchange & {
    handleOrderBook(client: unknown, message: unknown): void;
    fetchOrderBookSnapshot(client: unknown, message: unknown, subscription: unknown): Promise<void>;
    orderBook(snapshot: unknown, limit: number): CcxtBook;
    orderbooks: Record<string, CcxtBook>;
  };
  expect(tapBinanceDepthSequence(exchange, () => undefined)).toBe(true);
  const fetched: number[] = [];
  (exchange as unknown as { fetchOrderBook: () => Promise<unknown> }).fetchOrderBook = async () => {
    const snapshot = snapshots.shift();
    if (snapshot === undefined) throw new Error('no more snapshots scripted');
    fetched.push(snapshot.nonce);
    return { symbol: 'BTCUSDT', timestamp: undefined, datetime: undefined, nonce: snapshot.nonce, bids: snapshot.bids, asks: snapshot.asks };
  };
  const outcome: { resolved: number[]; rejected: unknown[] } = { resolved: [], rejected: [] };
  const client = {
    url: type === 'spot' ? 'wss://stream.binance.com:9443/ws' : 'wss://fstream.binance.com/ws',
    subscriptions: {},
    resolve: (book: CcxtBook) => outcome.resolved.push(book.nonce ?? -1),
    reject: (error: unknown) => outcome.rejected.push(error),
  };
  // As ccxt's handleOrderBookSubscription leaves it: an empty book buffering until the snapshot.
  exchange.orderbooks['BTCUSDT'] = exchange.orderBook({}, 1000);
  for (const message of buffered) exchange.handleOrderBook(client, message);
  await exchange.fetchOrderBookSnapshot(client, {}, { symbol: 'BTCUSDT', type, limit: 1000 });
  for (const message of later) exchange.handleOrderBook(client, message);
  const book = exchange.orderbooks['BTCUSDT'];
  return { fetched, outcome, nonce: book?.nonce, bids: book?.bids.map(([p, q]) => [p, q]), asks: book?.asks.map(([p, q]) => [p, q]) };
}

/** Three spot events, chained: 105–109, 110–114, 115–119. */
const SPOT = [event(105, 109, [['61819.5', '3']], [['61822.02', '0.4']]), event(110, 114, [['61820', '2']], []), event(115, 119, [], [['61823.22', '1.5']])];

describe('Binance depth events joined to the REST snapshot', () => {
  it('a spot snapshot older than every buffered event (100 < 105 − 1) is fetched again; the second (112) takes 110–114 whole and 115–119', async () => {
    const got = await bookAfter(
      [
        { nonce: 100, bids: [[61800, 1]], asks: [[61830, 1]] },
        { nonce: 112, bids: [[61820, 1], [61819.5, 3]], asks: [[61822.02, 0.4], [61823.22, 2]] },
      ],
      SPOT,
    );
    expect(got.fetched).toEqual([100, 112]);
    expect(got.outcome).toEqual({ resolved: [119], rejected: [] });
    // By hand: 110–114 sets the 61,820 bid to 2; 115–119 sets the 61,823.22 ask to 1.5.
    expect(got.bids).toEqual([[61820, 2], [61819.5, 3]]);
    expect(got.asks).toEqual([[61822.02, 0.4], [61823.22, 1.5]]);
    expect(got.nonce).toBe(119);
  });

  it('a spot snapshot that stays older than the buffer is never handed out as the book: the watch fails with InvalidNonce', async () => {
    const old = { nonce: 100, bids: [[61800, 1]] as [number, number][], asks: [[61830, 1]] as [number, number][] };
    const got = await bookAfter([old, old, old], SPOT);
    expect(got.outcome.resolved).toEqual([]);
    expect(got.outcome.rejected).toHaveLength(1);
    expect(got.outcome.rejected[0]).toBeInstanceOf(InvalidNonce);
  });

  it('a hole between buffered spot events (110–114 never came) fails the watch with InvalidNonce instead of handing out the book at 109', async () => {
    const got = await bookAfter([{ nonce: 106, bids: [[61820, 1]], asks: [[61822.02, 1]] }], [SPOT[0], SPOT[2]]);
    expect(got.outcome.resolved).toEqual([]);
    expect(got.outcome.rejected).toHaveLength(1);
    expect(got.outcome.rejected[0]).toBeInstanceOf(InvalidNonce);
  });

  it('an event buffered twice is dropped the second time, as Binance says (u below the book\'s id): no resync, the book as by hand', async () => {
    const got = await bookAfter([{ nonce: 107, bids: [[61820, 1]], asks: [[61822.02, 0.9], [61823.22, 2]] }], [SPOT[0], SPOT[1], SPOT[1], SPOT[2]]);
    expect(got.outcome).toEqual({ resolved: [119], rejected: [] });
    expect(got.bids).toEqual([[61820, 2], [61819.5, 3]]);
    expect(got.asks).toEqual([[61822.02, 0.4], [61823.22, 1.5]]);
  });

  it('a spot snapshot inside the buffer (107) and one past it (125) are joined as before', async () => {
    const inside = await bookAfter([{ nonce: 107, bids: [[61820, 1]], asks: [[61822.02, 0.9], [61823.22, 2]] }], SPOT);
    expect(inside.outcome).toEqual({ resolved: [119], rejected: [] });
    expect(inside.bids).toEqual([[61820, 2], [61819.5, 3]]);
    expect(inside.asks).toEqual([[61822.02, 0.4], [61823.22, 1.5]]);
    const past = await bookAfter([{ nonce: 125, bids: [[61821, 1]], asks: [[61822, 1]] }], SPOT);
    expect(past.outcome).toEqual({ resolved: [125], rejected: [] });
    expect(past.bids).toEqual([[61821, 1]]);
  });

  it('a snapshot without lastUpdateId is never handed out as the book (ccxt would then buffer every later event for good): the watch fails with InvalidNonce', async () => {
    const exchange = new ccxt.pro.binance() as unknown as Exchange & { fetchOrderBookSnapshot(client: unknown, message: unknown, subscription: unknown): Promise<void>; orderBook(snapshot: unknown, limit: number): CcxtBook; orderbooks: Record<string, CcxtBook>; handleOrderBook(client: unknown, message: unknown): void };
    tapBinanceDepthSequence(exchange, () => undefined);
    // What ccxt makes of a depth answer that lacks lastUpdateId (an empty object from a broken proxy, say).
    (exchange as unknown as { fetchOrderBook: () => Promise<unknown> }).fetchOrderBook = async () => ({ symbol: 'BTCUSDT', bids: [], asks: [], nonce: undefined, timestamp: undefined });
    const outcome: { resolved: number; rejected: unknown[] } = { resolved: 0, rejected: [] };
    const client = { url: 'wss://stream.binance.com:9443/ws', subscriptions: {}, resolve: () => (outcome.resolved += 1), reject: (error: unknown) => outcome.rejected.push(error) };
    exchange.orderbooks['BTCUSDT'] = exchange.orderBook({}, 1000);
    exchange.handleOrderBook(client, SPOT[0]);
    await exchange.fetchOrderBookSnapshot(client, {}, { symbol: 'BTCUSDT', type: 'spot', limit: 1000 });
    expect(outcome.resolved).toBe(0);
    expect(outcome.rejected).toHaveLength(1);
    expect(outcome.rejected[0]).toBeInstanceOf(InvalidNonce);
  });

  it('a USD-M snapshot older than every buffered event is fetched again; each later event chains by pu', async () => {
    const futures = [event(105, 109, [['61819.5', '3']], [], 103), event(111, 114, [['61820', '2']], [], 109), event(116, 119, [], [['61823.22', '1.5']], 114)];
    const got = await bookAfter(
      [
        { nonce: 104, bids: [[61800, 1]], asks: [[61830, 1]] },
        { nonce: 112, bids: [[61820, 1]], asks: [[61822.02, 0.4], [61823.22, 2]] },
      ],
      futures,
      [],
      'future',
    );
    expect(got.fetched).toEqual([104, 112]);
    expect(got.outcome).toEqual({ resolved: [119], rejected: [] });
    expect(got.bids).toEqual([[61820, 2]]);
    expect(got.asks).toEqual([[61822.02, 0.4], [61823.22, 1.5]]);
  });

  it('the join rule: ok, too old, or a gap', () => {
    const spot = (U: number, u: number) => ({ U, u });
    const cache = [spot(105, 109), spot(110, 114), spot(115, 119)];
    expect(binanceSnapshotJoin(104, cache)).toBe('ok');
    expect(binanceSnapshotJoin(103, cache)).toBe('too-old');
    expect(binanceSnapshotJoin(109, cache)).toBe('ok');
    expect(binanceSnapshotJoin(119, cache)).toBe('ok');
    expect(binanceSnapshotJoin(500, [])).toBe('ok');
    expect(binanceSnapshotJoin(104, [spot(105, 109), spot(111, 114)])).toBe('gap');
    expect(binanceSnapshotJoin(111, [spot(105, 109), spot(111, 114)])).toBe('ok'); // the hole is behind the snapshot
    expect(binanceSnapshotJoin(104, [spot(105, 109), spot(105, 109), spot(110, 114)])).toBe('ok'); // an event sent twice is dropped, as ccxt drops it
    expect(binanceSnapshotJoin(104, [spot(105, 109), spot(110, 114), spot(107, 109)])).toBe('ok'); // so is a late copy of an older one
    const usdm = (U: number, u: number, pu: number) => ({ U, u, pu });
    expect(binanceSnapshotJoin(109, [usdm(105, 109, 103)])).toBe('ok'); // u = lastUpdateId is kept (u < lastUpdateId is dropped)
    expect(binanceSnapshotJoin(104, [usdm(105, 109, 103)])).toBe('too-old');
    expect(binanceSnapshotJoin(103, [usdm(105, 109, 103)])).toBe('ok'); // pu = lastUpdateId: it follows the snapshot
    expect(binanceSnapshotJoin(106, [usdm(105, 109, 103), usdm(111, 114, 108)])).toBe('gap');
  });
});
