import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT, SPOT_RECORDING } from '../test-kit/data-paths.js';
import { sourceScript } from '../test-kit/source-script.js';
import { scratchDir } from '../test-kit/scratch-dir.js';

/** The CLI as a child process runs it (test-kit/source-script.ts). */
const CLI = await sourceScript('src/cli/main.ts');

/** A decimal string as an integer of 10^-18 units, read here without the engine's money module. */
function units(text: string): bigint {
  const match = /^(-?)(\d+)(?:\.(\d{1,18}))?$/.exec(text);
  if (match === null) throw new Error(`not a decimal: ${text}`);
  const value = BigInt(match[2]!) * 10n ** 18n + BigInt((match[3] ?? '').padEnd(18, '0'));
  return match[1] === '-' ? -value : value;
}

const TICK = units('0.01');
/** The mid of a best bid and ask, down to the tick (both positive). */
const midOf = (bid: bigint, ask: bigint) => ((bid + ask) / 2n / TICK) * TICK;
const gz = (name: string) => gunzipSync(readFileSync(join(SPOT_RECORDING, name))).toString('utf8');
/** `local_ts_ns` of a JSON line, as text: the number is past 2^53. */
const localTs = (line: string) => BigInt(/"local_ts_ns":\s*(\d+)/.exec(line)![1]!);

/**
 * The recording's prices, read from its files: the first price any input states in arrival order
 * (a print, or the depth snapshot's mid; the deltas before the snapshot are buffered and state
 * none), with its exchange time when it is a print; and the mid of the book at the end, rebuilt
 * from the snapshot and the deltas after it (Binance's procedure, data/PROVENANCE.md).
 */
function recordedPrices() {
  const snapshotText = readFileSync(join(SPOT_RECORDING, 'depth_snapshot.json'), 'utf8');
  const snapshot = JSON.parse(snapshotText) as { lastUpdateId: number; bids: [string, string][]; asks: [string, string][] };
  const best = (levels: Map<string, string>, side: 'bid' | 'ask') => {
    const prices = [...levels.keys()].map(units);
    return prices.reduce((a, b) => (side === 'bid' ? (b > a ? b : a) : b < a ? b : a));
  };
  const bids = new Map(snapshot.bids);
  const asks = new Map(snapshot.asks);
  const snapshotMid = midOf(best(bids, 'bid'), best(asks, 'ask'));
  const [, ...tradeRows] = gz('trades.csv.gz').trim().split('\n');
  const firstTrade = tradeRows.map((row) => row.split(',')).reduce((a, b) => (BigInt(b[6]!) < BigInt(a[6]!) ? b : a));
  const first = BigInt(firstTrade[6]!) < localTs(snapshotText) ? { price: units(firstTrade[1]!), at: Number(firstTrade[3]) } : { price: snapshotMid, at: undefined };
  for (const line of gz('depth_updates.jsonl.gz').trim().split('\n')) {
    const delta = JSON.parse(line) as { u: number; b: [string, string][]; a: [string, string][] };
    if (delta.u <= snapshot.lastUpdateId) continue;
    for (const [levels, changes] of [[bids, delta.b], [asks, delta.a]] as const) {
      for (const [price, quantity] of changes) {
        if (units(quantity) === 0n) levels.delete(price);
        else levels.set(price, quantity);
      }
    }
  }
  return { first, last: midOf(best(bids, 'bid'), best(asks, 'ask')) };
}

describe('papertrade replay: an account opened before the recording has a price', () => {
  it('measures from its USDT and its BTC at the first price, not from its USDT alone', () => {
    const dir = scratchDir('papertrade-orders-');
    const orders = join(dir, 'orders.jsonl');
    // The first line is stamped 5 s before the recording's first input: the account opens with no price.
    writeFileSync(orders, [
      '{"at":1723161250000,"account":"early","symbol":"BTCUSDT","side":"BUY","type":"LIMIT","quantity":"0.1","price":"61000.00","clientOrderId":"early-bid"}',
      '{"at":1723161400000,"account":"early","symbol":"BTCUSDT","side":"BUY","type":"MARKET","quantity":"0.5","clientOrderId":"early-buy"}',
    ].join('\n') + '\n');
    const result = spawnSync(process.execPath, [CLI, 'replay', '--recording', SPOT_RECORDING, '--orders', orders, '--balances', 'USDT=100000,BTC=2'], { cwd: PROJECT_ROOT, encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const events = result.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; at: number; equity?: string; metrics?: Record<string, string>; balances?: Record<string, { free: string; locked: string }> });
    const { first, last } = recordedPrices();
    expect(events[0]).toMatchObject({ type: 'ACCOUNT_OPENED', at: 1723161250000 });

    // The baseline: 100000 USDT and 2 BTC at the first price.
    const baseline = units('100000') + 2n * first.price;
    const equities = events.filter((e) => e.type === 'EQUITY');
    expect(units(equities[0]!.equity!)).toBe(baseline);
    if (first.at !== undefined) expect(equities[0]!.at).toBe(first.at);
    const metrics = events.find((e) => e.type === 'METRICS')!.metrics!;
    expect(units(metrics['initialEquity']!)).toBe(baseline);

    // The end: the final balances (free + locked) at the book's last mid.
    const balances = events.find((e) => e.type === 'BALANCES')!.balances!;
    const held = (asset: string) => units(balances[asset]!.free) + units(balances[asset]!.locked);
    const final = held('USDT') + (held('BTC') * last) / 10n ** 18n;
    expect(units(metrics['finalEquity']!)).toBe(final);
    expect(units(metrics['totalPnl']!)).toBe(final - baseline);
    // return = (final − baseline) / baseline, to within half a unit of its 18th decimal.
    const error = units(metrics['return']!) * baseline - (final - baseline) * 10n ** 18n;
    expect(error < 0n ? -error : error).toBeLessThanOrEqual(baseline / 2n);
    // A loss of a fraction of a percent, not the +123 % of a baseline without the BTC.
    expect(Math.abs(Number(metrics['return']))).toBeLessThan(0.01);
  });
});
