import { afterEach, describe, expect, it, vi } from 'vitest';
import { Rng } from '../../test-kit/mulberry32.js';
import { findBundledInstrument } from '../instruments/bundled-instruments.js';
import { AveragePrice } from '../matching/average-price.js';
import type { KernelEvent } from './events.js';
import type { BarInput, KernelInput } from './inputs.js';
import { Kernel } from './kernel.js';

// A bar backtest whose closes enter the average price only when it is read (held back between
// orders), against three oracles: the average recomputed by brute force from the bars fed (read
// through the kernel and through a band refusal's message, whose text carries it), a twin kernel
// snapshotted and restored at random points (held-back closes must survive the snapshot's text),
// and a twin that never saw a bar whose handling failed (the rollback must rebuild the state).
const SPOT = findBundledInstrument('binance', 'spot', 'BTCUSDT')!;
const MINUTE = 60_000;
const WINDOW_SECONDS = SPOT.priceBand!.averageMinutes * 60;
const E18 = 10n ** 18n;

/** A decimal's text as a bigint scaled by 10^18 (the bars' texts have at most 8 decimals). */
function scaled(text: string): bigint {
  const [whole, fraction = ''] = text.split('.');
  return BigInt(whole!) * E18 + BigInt(fraction.padEnd(18, '0'));
}

/** A scaled bigint as the shortest decimal text (the plain quotient and remainder by 10^18). */
function text(value: bigint): string {
  const fraction = (value % E18).toString().padStart(18, '0').replace(/0+$/, '');
  return fraction === '' ? `${value / E18}` : `${value / E18}.${fraction}`;
}

interface Close {
  readonly second: number;
  readonly price: bigint;
  readonly volume: bigint;
}

/** Σ close × volume ÷ Σ volume over the closes of the window's seconds; the last close when it holds no volume. */
function bruteAverage(closes: readonly Close[], now: number): bigint | undefined {
  if (closes.length === 0) return undefined;
  const first = Math.floor(now / 1000) - WINDOW_SECONDS + 1;
  let notional = 0n;
  let volume = 0n;
  for (const c of closes) {
    if (c.second < first) continue;
    notional += c.price * c.volume;
    volume += c.volume;
  }
  return volume === 0n ? closes[closes.length - 1]!.price : notional / volume;
}

/** Random candles (runs longer than the 64 held back, gaps past the window) and orders at the band's and the notional's edges. */
function script(seed: number): { inputs: KernelInput[]; closes: (Close | undefined)[] } {
  const rng = new Rng(seed);
  let time = 1_700_000_000_000 + rng.int(0, 59) * 1000;
  let price = 20_000 + rng.int(0, 40_000);
  const inputs: KernelInput[] = [{ kind: 'account.open', time, account: 'a', balances: { USDT: '1000000', BTC: '10' }, fees: { maker: '0.001', taker: '0.001' } }];
  const closes: (Close | undefined)[] = [undefined];
  let id = 0;
  let interval = MINUTE;
  for (let step = 0; step < 80; step += 1) {
    const bars = rng.pick([1, 1, 2, 3, 5, 64, 65, 70]);
    for (let i = 0; i < bars; i += 1) {
      // After the last bar's interval: at once, whole minutes later, or seconds that put a close on the window's first second.
      time += interval + rng.pick([0, 0, 0, MINUTE, 4 * MINUTE, 5 * MINUTE, 60 * MINUTE, 1000 * rng.int(0, 300)]);
      interval = rng.pick([MINUTE, MINUTE, 1000 * rng.int(1, 59)]);
      const open = price;
      price = Math.max(1000, price + rng.int(-300, 300));
      const high = Math.max(open, price) + rng.int(1, 50); // above the close's cents
      const low = Math.max(1, Math.min(open, price) - rng.int(0, 50));
      const volume = rng.chance(0.1) ? '0' : `${rng.int(0, 40)}.${String(rng.int(0, 99_999_999)).padStart(8, '0')}`;
      const bar: BarInput = { kind: 'bar', time, symbol: 'BTCUSDT', open: `${open}`, high: `${high}`, low: `${low}`, close: `${price}.${rng.int(10, 99)}`, volume, intervalMs: interval };
      inputs.push(bar);
      closes.push({ second: Math.floor((time + interval - 1) / 1000), price: scaled(bar.close), volume: scaled(volume) });
    }
    const at = time + interval - 1;
    const side = rng.pick(['BUY', 'SELL'] as const);
    switch (rng.int(0, 3)) {
      case 0: // far outside the band: refused, with the average in the message
        inputs.push({ kind: 'order.place', time: at, account: 'a', symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', price: '0.01', quantity: '2000', clientOrderId: `o${++id}` });
        break;
      case 1: // a market order near the minimum notional, which it takes at the average price
        inputs.push({ kind: 'order.place', time: at, account: 'a', symbol: 'BTCUSDT', side, type: 'MARKET', quantity: rng.pick(['0.00033', '0.0004', '0.0005', '0.00049', '0.001']), clientOrderId: `o${++id}` });
        break;
      case 2:
        inputs.push({ kind: 'order.place', time: at, account: 'a', symbol: 'BTCUSDT', side, type: 'LIMIT', price: `${side === 'BUY' ? price - rng.int(0, 200) : price + rng.int(0, 200)}`, quantity: '0.01', clientOrderId: `o${++id}` });
        break;
      case 3:
        inputs.push({ kind: 'order.cancel', time: at, account: 'a', clientOrderId: `o${rng.int(1, Math.max(1, id))}` });
        break;
    }
    closes.push(undefined);
  }
  return { inputs, closes };
}

const CONFIG = { instruments: [SPOT], equityIntervalMs: 0 };

afterEach(() => {
  vi.restoreAllMocks();
});

describe('bar closes held back for the average price (hostile)', () => {
  it('the average the kernel reads and quotes in a band refusal is the brute-force one over the bars fed', () => {
    let refusals = 0;
    let reads = 0;
    for (let seed = 1; seed <= 12; seed += 1) {
      const { inputs, closes } = script(seed);
      const kernel = new Kernel(CONFIG);
      const fed: Close[] = [];
      for (let i = 0; i < inputs.length; i += 1) {
        const input = inputs[i]!;
        const events = kernel.handle(input);
        expect(events.filter((e) => e.type === 'INPUT_REJECTED')).toEqual([]);
        if (closes[i] !== undefined) fed.push(closes[i]!);
        const expected = bruteAverage(fed, kernel.now);
        const refusal = events.find((e): e is Extract<KernelEvent, { type: 'ORDER_REJECTED' }> => e.type === 'ORDER_REJECTED' && e.code === 'PERCENT_PRICE');
        if (refusal !== undefined) {
          expect(refusal.message).toBe(`Order price exceeds allowed range (BUY price 0.01 outside 0.2×–5× the 5-minute average price ${text(expected!)})`);
          refusals += 1;
        }
        if (input.kind === 'order.place' && input.type === 'MARKET') {
          // MIN_NOTIONAL: quantity × average, rounded up, against the minimum of 10.
          const notional = (scaled(input.quantity!) * expected! + E18 - 1n) / E18;
          const refused = events.some((e) => e.type === 'ORDER_REJECTED' && e.code === 'MIN_NOTIONAL');
          if (refused !== notional < scaled('10')) expect([JSON.stringify(events), text(expected!), text(notional)]).toEqual([]);
        }
        if (i % 7 === 0) {
          expect(kernel.averagePrice('BTCUSDT')).toBe(expected);
          reads += 1;
        }
      }
    }
    expect(refusals).toBeGreaterThan(50);
    expect(reads).toBeGreaterThan(500);
  });

  it('a kernel snapshotted and restored at random points, closes held back or not, answers and ends as one run straight', () => {
    for (let seed = 101; seed <= 106; seed += 1) {
      const { inputs } = script(seed);
      const rng = new Rng(seed * 3);
      const straight = new Kernel(CONFIG);
      let restored = new Kernel(CONFIG);
      for (const input of inputs) {
        expect(JSON.stringify(restored.handle(input))).toBe(JSON.stringify(straight.handle(input)));
        if (rng.chance(0.2)) restored = Kernel.restore(CONFIG, restored.snapshot());
      }
      expect(restored.snapshot()).toBe(straight.snapshot());
    }
  });

  it('a bar whose handling fails after its close was held back is rolled back: the state is the one a twin that never saw it has', () => {
    for (let seed = 201; seed <= 206; seed += 1) {
      const { inputs } = script(seed);
      const rng = new Rng(seed);
      const kernel = new Kernel(CONFIG);
      const twin = new Kernel(CONFIG);
      const faulty = new Set<number>();
      for (let i = 0; i < inputs.length; i += 1) if (inputs[i]!.kind === 'bar' && rng.chance(0.03)) faulty.add(i);
      expect(faulty.size).toBeGreaterThan(0);
      const original = AveragePrice.prototype.addLater;
      let armed = false;
      for (let i = 0; i < inputs.length; i += 1) {
        const input = inputs[i]!;
        if (!faulty.has(i)) {
          expect(JSON.stringify(kernel.handle(input))).toBe(JSON.stringify(twin.handle(input)));
          continue;
        }
        const spy = vi.spyOn(AveragePrice.prototype, 'addLater').mockImplementation(function (this: AveragePrice, ...args) {
          original.apply(this, args);
          if (!armed) return;
          armed = false;
          throw new Error('injected fault after the close was held back');
        });
        armed = true;
        const events = kernel.handle(input);
        spy.mockRestore();
        expect(armed).toBe(false);
        expect(events).toEqual([expect.objectContaining({ type: 'INPUT_REJECTED', code: 'INTERNAL' })]);
        // The twin moves its input count by a bar it refuses as malformed (which changes nothing else).
        const refused = twin.handle({ ...(input as BarInput), high: '0' });
        expect(refused).toEqual([expect.objectContaining({ type: 'INPUT_REJECTED', code: 'INVALID_INPUT' })]);
        expect(kernel.snapshot()).toBe(twin.snapshot());
      }
      expect(kernel.snapshot()).toBe(twin.snapshot());
      expect(kernel.averagePrice('BTCUSDT')).toBe(twin.averagePrice('BTCUSDT'));
    }
  });
});
