/**
 * MEXC's depth frames joined to ccxt's REST snapshot as MEXC documents ("How to Properly Maintain a
 * Local Copy of the Order Book", steps 4 to 7): frames with toVersion ≤ lastUpdateId are discarded,
 * the first kept needs fromVersion ≤ lastUpdateId + 1 (else the snapshot is fetched again), and a
 * merged frame the snapshot fell inside is applied whole. Driven through ccxt's own `mexc` class
 * (its buffering, its snapshot load) with the live feed's tap installed; the frames, the snapshots
 * and the books they must give are written by hand below.
 */
import ccxt, { InvalidNonce, type Exchange } from 'ccxt';
import { describe, expect, it } from 'vitest';
import { mexcFirstFrameAfterSnapshot, tapMexcDepthSequence } from './mexc-depth-sequence.js';

type Level = [string, string];
interface Snapshot {
  readonly nonce: number;
  readonly bids: [number, number][];
  readonly asks: [number, number][];
}
interface CcxtBook {
  nonce?: number;
  bids: [number, number][];
  asks: [number, number][];
}

const frame = (from: number, to: number, bids: Level[], asks: Level[]) => ({
  channel: 'spot@public.aggre.depth.v3.api.pb@100ms@BTCUSDT',
  symbol: 'BTCUSDT',
  sendTime: String(1_764_612_000_000 + from),
  publicAggreDepths: {
    bids: bids.map(([price, quantity]) => ({ price, quantity })),
    asks: asks.map(([price, quantity]) => ({ price, quantity })),
    eventType: 'spot@public.aggre.depth.v3.api.pb@100ms',
    fromVersion: String(from),
    toVersion: String(to),
  },
});

/** Three merged frames, chained: versions 100–104, 105–109, 110–114. */
const FRAMES = [
  frame(100, 104, [['61820', '1']], [['61822.02', '1.2']]),
  frame(105, 109, [['61819.5', '3']], [['61822.02', '0.4']]),
  frame(110, 114, [['61820', '2']], []),
];

/** A ccxt pro mexc client with the tap, its REST snapshots scripted, fed `frames` one by one; the book ccxt holds once its snapshot is in. */
async function bookAfter(snapshots: Snapshot[], frames: readonly unknown[], later: readonly unknown[] = []) {
  const exchange = new ccxt.pro.mexc({ options: { watchOrderBook: { snapshotDelay: 2 } } }) as unknown as Exchange & {
    handleOrderBook(client: unknown, message: unknown): void;
    orderbooks: Record<string, CcxtBook>;
  };
  expect(tapMexcDepthSequence(exchange, () => undefined)).toBe(true);
  const fetched: number[] = [];
  (exchange as unknown as { fetchRestOrderBookSafe: () => Promise<unknown> }).fetchRestOrderBookSafe = async () => {
    const snapshot = snapshots.shift()!;
    fetched.push(snapshot.nonce);
    return { symbol: 'BTCUSDT', timestamp: undefined, datetime: undefined, nonce: snapshot.nonce, bids: snapshot.bids, asks: snapshot.asks };
  };
  const outcome: { resolved: number; rejected: unknown[] } = { resolved: 0, rejected: [] };
  const client = { url: 'scripted', subscriptions: {}, resolve: () => (outcome.resolved += 1), reject: (error: unknown) => outcome.rejected.push(error) };
  for (const message of frames) exchange.handleOrderBook(client, message);
  for (let i = 0; i < 20 && outcome.resolved === 0 && outcome.rejected.length === 0; i += 1) await new Promise((r) => setTimeout(r, 5));
  for (const message of later) exchange.handleOrderBook(client, message);
  const book = exchange.orderbooks['BTCUSDT']!;
  return { fetched, outcome, nonce: book.nonce, bids: book.bids.map(([p, q]) => [p, q]), asks: book.asks.map(([p, q]) => [p, q]) };
}

describe('MEXC depth frames joined to the REST snapshot', () => {
  it('a snapshot inside a merged frame (107 in 105–109): that frame is applied whole, then the next', async () => {
    const got = await bookAfter([{ nonce: 107, bids: [[61820, 1]], asks: [[61822.02, 0.9], [61823.22, 2]] }], FRAMES);
    expect(got.outcome).toEqual({ resolved: 1, rejected: [] });
    // By hand: 105–109 sets 61,822.02 to 0.4 and adds the 61,819.5 bid; 110–114 sets 61,820 to 2.
    expect(got.asks).toEqual([[61822.02, 0.4], [61823.22, 2]]);
    expect(got.bids).toEqual([[61820, 2], [61819.5, 3]]);
    expect(got.nonce).toBe(114);
  });

  it('a snapshot past every buffered frame (116): the next frame (115–119) straddling it is applied', async () => {
    const next = frame(115, 119, [], [['61822.02', '0.3']]);
    const got = await bookAfter([{ nonce: 116, bids: [[61820, 5]], asks: [[61822.02, 0.7]] }], FRAMES, [next]);
    expect(got.outcome.rejected).toEqual([]);
    expect(got.asks).toEqual([[61822.02, 0.3]]);
    expect(got.bids).toEqual([[61820, 5]]);
    expect(got.nonce).toBe(119);
  });

  it('a snapshot older than the first buffered frame (98 < 100 − 1) is fetched again; the second (104) takes 105–109 and 110–114', async () => {
    const got = await bookAfter(
      [
        { nonce: 98, bids: [[61800, 1]], asks: [[61830, 1]] },
        { nonce: 104, bids: [[61820, 1]], asks: [[61822.02, 1.2]] },
      ],
      FRAMES,
    );
    expect(got.fetched).toEqual([98, 104]);
    expect(got.asks).toEqual([[61822.02, 0.4]]);
    expect(got.bids).toEqual([[61820, 2], [61819.5, 3]]);
    expect(got.nonce).toBe(114);
  });

  it('the first frame kept: the first with toVersion above the snapshot, -1 when it starts past lastUpdateId + 1', () => {
    const f = (from: number, to: number) => ({ fromVersion: String(from), toVersion: String(to) });
    const cache = [f(100, 104), f(105, 109), f(110, 114)];
    expect(mexcFirstFrameAfterSnapshot(99, cache)).toBe(0);
    expect(mexcFirstFrameAfterSnapshot(98, cache)).toBe(-1);
    expect(mexcFirstFrameAfterSnapshot(104, cache)).toBe(1);
    expect(mexcFirstFrameAfterSnapshot(105, cache)).toBe(1);
    expect(mexcFirstFrameAfterSnapshot(109, cache)).toBe(2);
    expect(mexcFirstFrameAfterSnapshot(114, cache)).toBe(3);
    expect(mexcFirstFrameAfterSnapshot(104, [f(100, 104), f(107, 109)])).toBe(-1); // a hole after the snapshot
    expect(mexcFirstFrameAfterSnapshot(104, [{ version: '5' } as never])).toBeUndefined(); // a contract frame: left to ccxt
  });

  it('a frame that starts past the book\'s version + 1 is refused with InvalidNonce, the book unchanged', () => {
    const exchange = new ccxt.pro.mexc() as unknown as Exchange & { handleDelta(book: CcxtBook, delta: unknown): void };
    tapMexcDepthSequence(exchange, () => undefined);
    const book = exchange.orderBook({ nonce: 114, bids: [[61820, 2]], asks: [[61822.02, 0.4]] }) as unknown as CcxtBook;
    expect(() => exchange.handleDelta(book, frame(116, 119, [], [['61822.02', '0']]).publicAggreDepths)).toThrow(InvalidNonce);
    expect(book.nonce).toBe(114);
    expect(book.asks.map(([p, q]) => [p, q])).toEqual([[61822.02, 0.4]]);
  });
});
