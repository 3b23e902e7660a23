import { gunzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseFixed } from '../money/fixed.js';
import { readRecording, type MarketInput } from '../../market-data/recording-reader.js';
import { SPOT_RECORDING, USDM_RECORDING } from '../../test-kit/data-paths.js';
import { BookSynchronizer, type DepthDelta } from './book-synchronizer.js';

type Ticker = { bid: bigint; bidQty: bigint; ask: bigint; askQty: bigint };

function readTickers(dir: string): Map<number, Ticker> {
  const lines = gunzipSync(readFileSync(`${dir}/book_ticker.csv.gz`)).toString('utf8').trim().split('\n');
  const header = lines[0]!.split(',');
  const at = (n: string) => header.indexOf(n);
  const byId = new Map<number, Ticker>();
  for (const line of lines.slice(1)) {
    const f = line.split(',');
    byId.set(Number(f[at('update_id')]), {
      bid: parseFixed(f[at('bid_price')]!),
      bidQty: parseFixed(f[at('bid_qty')]!),
      ask: parseFixed(f[at('ask_price')]!),
      askQty: parseFixed(f[at('ask_qty')]!),
    });
  }
  return byId;
}

const levels = (raw: readonly (readonly [string, string])[]) => raw.map(([p, q]) => [parseFixed(p), parseFixed(q)] as const);
const toDelta = (i: Extract<MarketInput, { kind: 'book.delta' }>): DepthDelta => ({
  firstUpdateId: i.firstUpdateId,
  finalUpdateId: i.finalUpdateId,
  ...(i.previousFinalUpdateId !== undefined ? { previousFinalUpdateId: i.previousFinalUpdateId } : {}),
  bids: levels(i.bids),
  asks: levels(i.asks),
});

/** Rebuilds the book in arrival order; compares it with the book ticker wherever update ids meet. */
function checkpoints(dir: string) {
  const recording = readRecording(dir);
  const tickers = readTickers(dir);
  const sync = new BookSynchronizer(recording.symbol, recording.market === 'perpetual' ? 'usdm' : 'spot');
  let compared = 0;
  const mismatches: string[] = [];
  const compare = () => {
    const t = tickers.get(sync.updateId);
    if (t === undefined) return;
    compared += 1;
    const bid = sync.book.bids.bestPrice()!;
    const ask = sync.book.asks.bestPrice()!;
    const got = [bid, sync.book.bids.sizeAt(bid), ask, sync.book.asks.sizeAt(ask)];
    const want = [t.bid, t.bidQty, t.ask, t.askQty];
    if (got.some((v, i) => v !== want[i])) mismatches.push(`update ${sync.updateId}: got ${got.join('/')} want ${want.join('/')}`);
  };
  for (const input of recording.inputs) {
    if (input.kind === 'book.snapshot') {
      const outcome = sync.onSnapshot({ lastUpdateId: input.lastUpdateId, bids: levels(input.bids), asks: levels(input.asks) });
      expect(outcome.kind).toBe('applied');
      compare();
    } else if (input.kind === 'book.delta') {
      const outcome = sync.onDelta(toDelta(input));
      if (outcome.kind === 'gap') throw new Error(outcome.reason);
      if (outcome.kind === 'applied') compare();
    }
  }
  return { compared, mismatches, status: sync.status };
}

describe('the L2 book rebuilt from the real recording', () => {
  it('equals the Binance spot book ticker at all 1,072 checkpoints', () => {
    const result = checkpoints(SPOT_RECORDING);
    expect(result.mismatches).toEqual([]);
    expect(result.compared).toBe(1072);
    expect(result.status).toBe('synced');
  });

  it('equals the Binance USD-M book ticker at all 629 checkpoints (pu chaining)', () => {
    const result = checkpoints(USDM_RECORDING);
    expect(result.mismatches).toEqual([]);
    expect(result.compared).toBe(629);
    expect(result.status).toBe('synced');
  });
});

describe('sequence checks', () => {
  const snapshot = { lastUpdateId: 100, bids: levels([['10.00', '1']]), asks: levels([['11.00', '1']]) };
  const delta = (U: number, u: number, bid = '10.00', pu?: number): DepthDelta => ({
    firstUpdateId: U,
    finalUpdateId: u,
    ...(pu !== undefined ? { previousFinalUpdateId: pu } : {}),
    bids: levels([[bid, '2']]),
    asks: [],
  });

  it('buffers deltas until the snapshot, drops stale ones and applies the straddling one first', () => {
    const sync = new BookSynchronizer('X', 'spot');
    expect(sync.onDelta(delta(90, 95)).kind).toBe('buffered');
    expect(sync.onDelta(delta(96, 102, '9.00')).kind).toBe('buffered');
    expect(sync.onDelta(delta(103, 104, '9.50')).kind).toBe('buffered');
    const outcome = sync.onSnapshot(snapshot);
    expect(outcome.kind).toBe('applied');
    expect(sync.status).toBe('synced');
    expect(sync.updateId).toBe(104);
    expect(sync.book.bids.sizeAt(parseFixed('9.00'))).toBe(parseFixed('2'));
  });

  it('reports a gap as resync needed and keeps the book unusable until a snapshot chains again', () => {
    const sync = new BookSynchronizer('X', 'spot');
    sync.onSnapshot(snapshot);
    expect(sync.onDelta(delta(101, 103)).kind).toBe('applied');
    const gap = sync.onDelta(delta(105, 106));
    expect(gap).toEqual({ kind: 'gap', reason: 'sequence gap: expected U=104, got U=105' });
    expect(sync.status).toBe('resync-needed');
    expect(sync.onDelta(delta(107, 108)).kind).toBe('buffered');
    const resync = sync.onSnapshot({ ...snapshot, lastUpdateId: 106 });
    expect(resync.kind).toBe('applied');
    expect(sync.updateId).toBe(108);
  });

  it('refuses a snapshot older than every buffered delta', () => {
    const sync = new BookSynchronizer('X', 'spot');
    sync.onDelta(delta(150, 160));
    expect(sync.onSnapshot(snapshot).kind).toBe('gap');
    expect(sync.status).toBe('resync-needed');
  });

  it('chains USD-M deltas by pu, not by U', () => {
    const sync = new BookSynchronizer('X', 'usdm');
    sync.onDelta(delta(95, 100, '10.00', 94));
    sync.onSnapshot(snapshot);
    expect(sync.status).toBe('synced');
    expect(sync.onDelta(delta(120, 130, '10.00', 100)).kind).toBe('applied');
    expect(sync.onDelta(delta(131, 140, '10.00', 129)).kind).toBe('gap');
  });

  it('treats a crossed book as a loss of sync', () => {
    const sync = new BookSynchronizer('X', 'spot');
    sync.onSnapshot(snapshot);
    const crossed = sync.onDelta({ firstUpdateId: 101, finalUpdateId: 101, bids: levels([['11.50', '1']]), asks: [] });
    expect(crossed.kind).toBe('gap');
    expect(sync.status).toBe('resync-needed');
  });
});
