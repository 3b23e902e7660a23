import { describe, expect, it } from 'vitest';
import { findBundledInstrument } from '../instruments/bundled-instruments.js';
import type { KernelInput } from './inputs.js';
import { Kernel } from './kernel.js';
import { Rng } from '../../test-kit/mulberry32.js';

/**
 * A kernel restored from its own `snapshot()` goes on exactly as the kernel that kept going: over
 * many seeds, random streams of book deltas (levels set, emptied, stated again), prints inside the
 * book and hostile prints far outside it (below every bid, above every ask), and paper taker
 * orders at the levels prints went through; at random points a twin is restored from the
 * running kernel's snapshot and both are fed the same inputs, their events and snapshots
 * compared after every one.
 */
const instrument = findBundledInstrument('binance', 'spot', 'BTCUSDT')!;
const symbol = 'BTCUSDT';
const config = { instruments: [instrument] };
const T = 1_723_161_300_000;
const MID = 60_000;
const text = (v: unknown) => JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x));

function stream(seed: number, length: number): KernelInput[] {
  const rng = new Rng(seed);
  let time = T;
  let id = 100;
  let tradeId = 1;
  let n = 0;
  // Mostly whole dollars; now and then a level at a finer tick (the book's price digits grow).
  const level = (side: 'bid' | 'ask', depth: number) => `${side === 'bid' ? MID - 1 - depth : MID + 1 + depth}${rng.chance(0.03) ? '.5' : rng.chance(0.02) ? '.25' : '.00'}`;
  const size = () => `${rng.int(1, 40) / 10}`;
  const inputs: KernelInput[] = [
    { kind: 'book.snapshot', time, symbol, lastUpdateId: id,
      bids: Array.from({ length: 12 }, (_, d) => [level('bid', d), size()] as [string, string]),
      asks: Array.from({ length: 12 }, (_, d) => [level('ask', d), size()] as [string, string]) },
    { kind: 'account.open', time, account: 'a', balances: { USDT: '100000000', BTC: '1000' } },
  ];
  while (inputs.length < length) {
    time += rng.int(0, 50);
    const roll = rng.next();
    if (roll < 0.35) {
      id += 1;
      const side = () => Array.from({ length: rng.int(0, 3) }, () => [level(rng.chance(0.5) ? 'bid' : 'ask', rng.int(0, 14)), rng.chance(0.25) ? '0' : size()] as [string, string]);
      const bids = side().filter(([p]) => Number(p) < MID);
      const asks = side().filter(([p]) => Number(p) > MID);
      // Now and then a level on the wrong side: the book crosses and waits for a snapshot.
      if (rng.chance(0.01)) bids.push([`${MID + 5}.00`, '1']);
      inputs.push({ kind: 'book.delta', time, symbol, firstUpdateId: id, finalUpdateId: id, bids, asks });
    } else if (roll < 0.65) {
      const buyerMaker = rng.chance(0.5);
      const hostile = rng.chance(0.15);
      // A hostile print goes through the whole side (and, at an odd tick, at a price no level has).
      const price = hostile ? (buyerMaker ? `+${MID - rng.int(1, 1000)}.5` : `+${MID + rng.int(1, 1000)}.5`) : level(buyerMaker ? 'bid' : 'ask', rng.int(0, 6));
      inputs.push({ kind: 'trade', time, symbol, tradeId: tradeId++, price, quantity: hostile ? '10' : `${rng.int(1, 20) / 100}`, buyerMaker });
    } else if (roll < 0.97) {
      const side = rng.chance(0.5) ? 'BUY' as const : 'SELL' as const;
      const clientOrderId = `o${(n += 1)}`;
      inputs.push(rng.chance(0.5)
        ? { kind: 'order.place', time, account: 'a', symbol, side, type: 'MARKET', quantity: `${rng.int(1, 30) / 10}`, clientOrderId }
        : { kind: 'order.place', time, account: 'a', symbol, side, type: 'IMMEDIATE_OR_CANCEL', quantity: `${rng.int(1, 30) / 10}`, price: level(side === 'BUY' ? 'ask' : 'bid', rng.int(0, 8)), clientOrderId });
    } else {
      inputs.push({ kind: 'book.snapshot', time, symbol, lastUpdateId: (id += 1),
        bids: Array.from({ length: 12 }, (_, d) => [level('bid', d), size()] as [string, string]),
        asks: Array.from({ length: 12 }, (_, d) => [level('ask', d), size()] as [string, string]) });
    }
  }
  return inputs;
}

/** The first input after which a twin restored before it differs from the kernel that kept going, or undefined. */
function firstDivergence(seed: number, length: number): string | undefined {
  const rng = new Rng(seed * 7919 + 1);
  const inputs = stream(seed, length);
  const kernel = new Kernel(config);
  let twin: Kernel | undefined;
  for (let i = 0; i < inputs.length; i += 1) {
    const events = text(kernel.handle(inputs[i]!));
    if (twin !== undefined) {
      if (text(twin.handle(inputs[i]!)) !== events) return `seed ${seed}, input ${i} (${inputs[i]!.kind}): events differ`;
      if (twin.snapshot() !== kernel.snapshot()) return `seed ${seed}, input ${i} (${inputs[i]!.kind}): snapshots differ`;
    }
    if (rng.chance(0.02)) twin = Kernel.restore(config, kernel.snapshot());
  }
  return undefined;
}

describe('a kernel restored from its own snapshot', () => {
  it('gives the same events and snapshots as the kernel that kept going, hostile prints included', () => {
    const found: string[] = [];
    for (let seed = 1; seed <= 24; seed += 1) {
      const divergence = firstDivergence(seed, 2_000);
      if (divergence !== undefined) found.push(divergence);
    }
    expect(found).toEqual([]);
  });
});
