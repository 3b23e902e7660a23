/**
 * Real data through the Tardis importer: the bundled Binance spot recording (11 minutes, 6,495
 * depth updates, real trades) rewritten as Tardis's documented incremental_book_L2 and trades CSV
 * (one row per level, µs timestamps, the snapshot as is_snapshot=true rows), imported, and replayed.
 * The oracle is the kernel replaying the original recording: the books must agree at every
 * checkpoint, and the trades must be the same prints.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseFixed } from '../../core/money/fixed.js';
import { SPOT_RECORDING } from '../../test-kit/data-paths.js';
import { RecordingStepper } from '../../test-kit/recording-stepper.js';
import { readRecording, type Recording } from '../recording-reader.js';
import { importArchive } from './archive-import.js';

/** The recording's book and trades as Tardis would publish them (written here, independently of the importer). */
function asTardis(dir: string): { l2: string; trades: string } {
  const snapshot = JSON.parse(readFileSync(join(SPOT_RECORDING, 'depth_snapshot.json'), 'utf8')) as { local_ts_ns: number; lastUpdateId: number; bids: string[][]; asks: string[][] };
  const snapshotLocal = /"local_ts_ns":\s*(\d+)/.exec(readFileSync(join(SPOT_RECORDING, 'depth_snapshot.json'), 'utf8'))![1]!;
  const us = (ns: string): string => (BigInt(ns) / 1000n).toString();
  const l2 = ['exchange,symbol,timestamp,local_timestamp,is_snapshot,side,price,amount'];
  const snapshotUs = us(snapshotLocal);
  for (const [p, q] of snapshot.bids) l2.push(`binance,BTCUSDT,${snapshotUs},${snapshotUs},true,bid,${p},${q}`);
  for (const [p, q] of snapshot.asks) l2.push(`binance,BTCUSDT,${snapshotUs},${snapshotUs},true,ask,${p},${q}`);
  const updates = gunzipSync(readFileSync(join(SPOT_RECORDING, 'depth_updates.jsonl.gz'))).toString('utf8').trim().split(/\r?\n/);
  for (const line of updates) {
    const d = JSON.parse(line) as { E: number; u: number; b: string[][]; a: string[][] };
    if (d.u <= snapshot.lastUpdateId) continue; // Tardis starts from its snapshot
    // Updates that arrived before the snapshot but are newer than it follow it at once (Binance's procedure).
    const arrived = us(/"local_ts_ns":(\d+)/.exec(line)![1]!);
    const local = BigInt(arrived) < BigInt(snapshotUs) ? snapshotUs : arrived;
    for (const [p, q] of d.b) l2.push(`binance,BTCUSDT,${d.E * 1000},${local},false,bid,${p},${q}`);
    for (const [p, q] of d.a) l2.push(`binance,BTCUSDT,${d.E * 1000},${local},false,ask,${p},${q}`);
  }
  const trades = ['exchange,symbol,timestamp,local_timestamp,id,side,price,amount'];
  const tradeLines = gunzipSync(readFileSync(join(SPOT_RECORDING, 'trades.csv.gz'))).toString('utf8').trim().split(/\r?\n/);
  const header = tradeLines[0]!.split(',');
  const col = (name: string) => header.indexOf(name);
  for (const line of tradeLines.slice(1)) {
    const f = line.split(',');
    trades.push(`binance,BTCUSDT,${Number(f[col('trade_time_ms')]) * 1000},${us(f[col('local_ts_ns')]!)},${f[col('trade_id')]},${f[col('is_buyer_maker')] === 'true' ? 'sell' : 'buy'},${f[col('price')]},${f[col('qty')]}`);
  }
  const l2Path = join(dir, 'binance_incremental_book_L2_2024-08-08_BTCUSDT.csv.gz');
  const tradesPath = join(dir, 'binance_trades_2024-08-08_BTCUSDT.csv.gz');
  writeFileSync(l2Path, gzipSync(`${l2.join('\n')}\n`));
  writeFileSync(tradesPath, gzipSync(`${trades.join('\n')}\n`));
  return { l2: l2Path, trades: tradesPath };
}

const depthOf = (s: RecordingStepper) => {
  const d = s.kernel.depth(s.symbol, 100_000)!;
  return { bids: d.bids.map(([p, q]) => [parseFixed(p), parseFixed(q)]), asks: d.asks.map(([p, q]) => [parseFixed(p), parseFixed(q)]) };
};

describe('Tardis import of a real recording', () => {
  let work: string;
  let original: Recording;
  let imported: Recording;
  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'tardis-roundtrip-'));
    const files = asTardis(work);
    const out = join(work, 'rec');
    await importArchive({ format: 'tardis-incremental-book-l2', files: [files.l2], out });
    await importArchive({ format: 'tardis-trades', files: [files.trades], out });
    original = readRecording(SPOT_RECORDING);
    imported = readRecording(out);
  }, 60_000);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('replays to the same book as the original at every checkpoint, synced throughout', () => {
    const a = new RecordingStepper(original);
    const b = new RecordingStepper(imported);
    const first = imported.inputs[0]!.time;
    const span = imported.lastTime - first;
    let compared = 0;
    for (let k = 1; k <= 20; k += 1) {
      const t = first + Math.floor((span * k) / 20);
      a.advanceTo(t);
      b.advanceTo(t);
      expect(b.kernel.bookStatus('BTCUSDT')?.status).toBe('synced');
      expect(a.kernel.bookStatus('BTCUSDT')?.status).toBe('synced');
      const da = depthOf(a);
      expect(da.bids.length + da.asks.length).toBeGreaterThan(100);
      expect(depthOf(b)).toEqual(da);
      compared += 1;
    }
    expect(compared).toBe(20);
    expect(b.events.filter((e) => e.type === 'BOOK_RESYNC_NEEDED')).toEqual([]);
  });

  it('replays the same prints', () => {
    const key = (r: Recording) => r.inputs.flatMap((i) => (i.kind === 'trade' ? [[i.tradeId, i.time, parseFixed(i.price), parseFixed(i.quantity), i.buyerMaker]] : []));
    const trades = key(imported);
    expect(trades.length).toBeGreaterThan(1_000);
    expect(trades).toEqual(key(original));
  });
});
