import { describe, expect, it } from 'vitest';
import { Rng } from '../../test-kit/mulberry32.js';
import type { Fixed } from '../money/fixed.js';
import { AveragePrice, type AveragePriceState } from './average-price.js';

// Trades held back by `addLater` (a bar's close) must leave every reading and every exported state
// as trades added at once do, whatever the reads, exports and imports in between. Oracles: a
// brute-force average over the list of every trade (Σ price × qty ÷ Σ qty over the trades of the
// window's seconds, the last price when the window holds no quantity), and a twin fed only `add`.

interface Trade {
  readonly time: number;
  readonly price: Fixed;
  readonly quantity: Fixed;
}

function bruteAverage(trades: readonly Trade[], minutes: number, time: number): Fixed | undefined {
  if (trades.length === 0) return undefined;
  const last = trades[trades.length - 1]!.price;
  if (minutes === 0) return last;
  const first = Math.floor(time / 1000) - minutes * 60 + 1;
  let notional = 0n;
  let quantity = 0n;
  for (const t of trades) {
    if (Math.floor(t.time / 1000) < first) continue;
    notional += t.price * t.quantity;
    quantity += t.quantity;
  }
  return quantity === 0n ? last : notional / quantity;
}

/** Exported state through JSON text and back, as a snapshot carries it. */
function throughText(state: AveragePriceState): AveragePriceState {
  const text = JSON.stringify(state, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
  return JSON.parse(text, (_k, v: unknown) => (typeof v === 'string' && /^-?\d+n$/.test(v) ? BigInt(v.slice(0, -1)) : v)) as AveragePriceState;
}

function randomTrade(rng: Rng, time: number): Trade {
  const price = rng.chance(0.1) ? BigInt(rng.int(1, 9)) : BigInt(rng.int(1, 10_000_000)) * 10n ** BigInt(rng.int(10, 24));
  const quantity = rng.chance(0.1) ? 0n : rng.chance(0.05) ? 10n ** 30n : BigInt(rng.int(1, 1_000_000)) * 10n ** BigInt(rng.int(0, 16));
  return { time, price, quantity };
}

describe('the average price with bar closes held back (hostile)', () => {
  it('reads as the brute-force average and exports what `add` alone leaves, through runs of held-back closes of every length, reads, exports and imports', () => {
    let checks = 0;
    for (let seed = 1; seed <= 120; seed += 1) {
      const rng = new Rng(seed);
      const minutes = rng.pick([0, 1, 5, 5, 60, 1440]);
      const later = new AveragePrice(minutes);
      const now = new AveragePrice(minutes);
      const trades: Trade[] = [];
      let time = 1_700_000_000_000 + rng.int(0, 999);
      for (let step = 0; step < 60; step += 1) {
        // A run of closes held back: lengths around the 64 at which they are summed, and short ones.
        const run = rng.pick([0, 1, 2, 63, 64, 65, 127, 128, 129, rng.int(3, 200)]);
        for (let i = 0; i < run; i += 1) {
          // Gaps at the window's edges (59 / 299 s: a trade in the first second of the window) and far past it.
          time += rng.pick([0, 1, 999, 1000, 59_000, 60_000, 59_999, 299_000, 300_000, 1000 * rng.int(55, 65), 1000 * rng.int(295, 305), 3_600_000, 86_400_000, rng.int(0, 400_000)]);
          const trade = randomTrade(rng, time);
          trades.push(trade);
          later.addLater(trade.time, trade.price, trade.quantity);
          now.add(trade.time, trade.price, trade.quantity);
        }
        if (rng.chance(0.3)) {
          // A trade of the tape between bars: summed at once, after the ones held back.
          time += rng.pick([0, 1, 1000]);
          const trade = randomTrade(rng, time);
          trades.push(trade);
          later.add(trade.time, trade.price, trade.quantity);
          now.add(trade.time, trade.price, trade.quantity);
        }
        const readAt = time + rng.pick([0, 0, 1, 999, 60_000, 299_999, 300_000, 10_000_000]);
        switch (rng.int(0, 4)) {
          case 0:
          case 1: {
            const expected = bruteAverage(trades, minutes, readAt);
            expect(later.at(readAt)).toBe(expected);
            expect(now.at(readAt)).toBe(expected);
            break;
          }
          case 2:
            expect(later.exportState()).toEqual(now.exportState());
            break;
          case 3: {
            // An import drops what was held back: a restore mid-window with closes still waiting.
            const state = throughText(now.exportState());
            later.addLater(time, 7n, 11n);
            later.importState(state);
            expect(later.exportState()).toEqual(now.exportState());
            break;
          }
          case 4: {
            // A restored copy taken while closes wait goes on as the original does.
            const copy = new AveragePrice(minutes);
            copy.importState(throughText(later.exportState()));
            expect(copy.at(readAt)).toBe(bruteAverage(trades, minutes, readAt));
            break;
          }
        }
        checks += 1;
      }
      expect(later.exportState()).toEqual(now.exportState());
      expect(later.at(time)).toBe(bruteAverage(trades, minutes, time));
    }
    expect(checks).toBe(120 * 60);
  });

  it('a reading leaves the state as it was: two exports and two readings in a row agree, with closes held back', () => {
    const avg = new AveragePrice(5);
    const trades: Trade[] = [];
    let time = 1_700_000_000_000;
    for (let i = 0; i < 200; i += 1) {
      time += 60_000;
      const trade = { time, price: BigInt(30_000 + i) * 10n ** 18n, quantity: BigInt(i % 7) * 10n ** 17n };
      trades.push(trade);
      avg.addLater(trade.time, trade.price, trade.quantity);
      if (i % 9 === 0) {
        const first = avg.exportState();
        expect(avg.exportState()).toEqual(first);
        expect(avg.at(time)).toBe(avg.at(time));
        expect(avg.at(time)).toBe(bruteAverage(trades, 5, time));
      }
    }
    // Hand-computed: the window at the last close holds the closes of i = 195 … 199 (5 minutes, one a minute).
    const expected = [195, 196, 197, 198, 199].reduce((n, i) => n + BigInt(30_000 + i) * 10n ** 18n * BigInt(i % 7) * 10n ** 17n, 0n) / ([195, 196, 197, 198, 199].reduce((n, i) => n + BigInt(i % 7), 0n) * 10n ** 17n);
    expect(avg.at(time)).toBe(expected);
  });
});
