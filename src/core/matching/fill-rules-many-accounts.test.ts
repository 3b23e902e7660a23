import { describe, expect, it } from 'vitest';
import type { FillEvent, KernelEvent } from '../kernel/events.js';
import type { PlaceOrderInput } from '../kernel/inputs.js';
import { formatFixed, parseFixed, type Fixed } from '../money/fixed.js';
import type { OrderType, Side } from '../orders/order.js';
import { BUNDLED_RECORDING } from '../../test-kit/data-paths.js';
import { mulberry32 } from '../../test-kit/mulberry32.js';
import { loadRecording, RecordingStepper } from '../../test-kit/recording-stepper.js';

const ACCOUNTS = ['a', 'b', 'c', 'd'];
const MAKER = parseFixed('0.0002');
const TAKER = parseFixed('0.0007');
const TICK = parseFixed('0.01');
const STEP = parseFixed('0.00001');
const E18 = 10n ** 18n;

function levelsOf(book: { bids: [string, string][]; asks: [string, string][] }) {
  return { asks: new Map(book.asks.map(([p, q]) => [parseFixed(p), parseFixed(q)])), bids: new Map(book.bids.map(([p, q]) => [parseFixed(p), parseFixed(q)])) };
}

/** ceil of an amount at 10^36 to 8 decimals, as a Fixed (10^18). */
const ceil8 = (exact: bigint): Fixed => {
  const unit = 10n ** 28n;
  return ((exact + unit - 1n) / unit) * 10n ** 10n;
};

interface Placed {
  readonly input: PlaceOrderInput;
  readonly arrival: number;
  executed: Fixed;
  feeExact: bigint;
  feeCharged: Fixed;
  closed: boolean;
}

/**
 * Four accounts trade the bundled tape with a few hundred orders of every kind, many at the same
 * prices. Every fill is held to rules written here from the product's text, not from the engine:
 * a taker buys no cheaper than the best ask displayed (a sell no dearer than the best bid) and
 * never past its limit; per input and level, paper takes no more than the level displays; a resting
 * fill is MAKER at the order's own price, from a print stamped after the order arrived that reached
 * its price, and one print fills a side at most by its quantity; LIMIT_MAKER never takes; FOK fills
 * whole or not at all and IOC never rests; each order's fills add up to its executed quantity; each
 * fee is ceil_8(Σ notional × rate) − what the order paid before, at the maker or taker rate of the fill.
 */
describe('every fill of many accounts on the real tape follows the fill rules', () => {
  for (const latencyMs of [0, 25]) {
    it(`latency ${latencyMs} ms`, { timeout: 300_000 }, () => {
      const recording = loadRecording(BUNDLED_RECORDING);
      const s = new RecordingStepper(recording, { latencyMs });
      const random = mulberry32(7 + latencyMs);
      const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
      const start = recording.inputs[0]!.time + 20_000;
      s.advanceTo(start);
      for (const account of ACCOUNTS) {
        s.handle({ kind: 'account.open', time: s.kernel.now, account, balances: { USDT: '5000000', BTC: '80' }, fees: { maker: '0.0002', taker: '0.0007', feeAsset: 'quote' } });
      }
      const placed = new Map<string, Placed>();
      let released: ReturnType<typeof levelsOf> | undefined;
      const pending: Placed[] = [];
      let n = 0;
      const counts = { fills: 0, taker: 0, maker: 0, fok: 0, ioc: 0, lm: 0 };
      while (!s.done) {
        const before = s.kernel.depth(s.symbol, 1)!;
        // Orders released by this input meet the book it found (arrivals come first).
        released = s.kernel.pendingCount() > 0 ? levelsOf(s.kernel.depth(s.symbol, 400)!) : undefined;
        const { input, events } = s.step()!;
        check(input.kind === 'trade' ? input : undefined, events);
        released = undefined;
        if (random() < 0.03 && before.bids[0] !== undefined && before.asks[0] !== undefined) {
          const order = randomOrder(before.bids[0][0], before.asks[0][0], s.kernel.triggerPrice(s.symbol));
          if (order !== undefined) {
            const p: Placed = { input: order, arrival: s.kernel.now + latencyMs, executed: 0n, feeExact: 0n, feeCharged: 0n, closed: false };
            placed.set(order.clientOrderId!, p);
            pending.push(p);
            const out = s.handle(order);
            check(undefined, out);
            if (latencyMs === 0) arrived(p, out);
          }
        }
        if (random() < 0.01) {
          const open = [...placed.values()].filter((p) => !p.closed);
          if (open.length > 0) {
            const victim = pick(open);
            check(undefined, s.handle({ kind: 'order.cancel', time: s.kernel.now, account: victim.input.account, clientOrderId: victim.input.clientOrderId! }));
          }
        }
      }
      s.kernel.checkInvariants();
      expect(counts.taker).toBeGreaterThan(50);
      expect(counts.maker).toBeGreaterThan(50);
      expect(counts.fok + counts.ioc + counts.lm).toBeGreaterThan(10);

      /** IOC and FOK settle within the input they arrive in. */
      function arrived(p: Placed, events: readonly KernelEvent[]): void {
        const type = p.input.type;
        if (type !== 'FILL_OR_KILL' && type !== 'IMMEDIATE_OR_CANCEL') return;
        const mine = events.filter((e) => 'clientOrderId' in e && e.clientOrderId === p.input.clientOrderId);
        if (mine.some((e) => e.type === 'ORDER_REJECTED')) return;
        const filled = mine.filter((e): e is FillEvent => e.type === 'FILL').reduce((sum, f) => sum + parseFixed(f.quantity), 0n);
        expect(mine.some((e) => e.type === 'ORDER_EXPIRED' || (e.type === 'FILL' && e.status === 'FILLED')), `${p.input.clientOrderId} ends in its input`).toBe(true);
        if (type === 'FILL_OR_KILL') {
          expect([0n, parseFixed(p.input.quantity!)], `${p.input.clientOrderId} FOK`).toContain(filled);
          counts.fok += 1;
        } else counts.ioc += 1;
      }

      function check(trade: { time: number; price: string; quantity: string } | undefined, events: readonly KernelEvent[]): void {
        if (!events.some((e) => e.type === 'FILL' || e.type === 'ORDER_NEW')) return;
        const after = levelsOf(s.kernel.depth(s.symbol, 400)!);
        const arrivedNow = new Set(events.filter((e) => e.type === 'ORDER_NEW').map((e) => ('clientOrderId' in e ? e.clientOrderId : '')));
        const takenAt = new Map<string, Fixed>();
        const printFilled = { BUY: 0n, SELL: 0n };
        for (const e of events) {
          if (e.type === 'ORDER_NEW') {
            const p = placed.get(e.clientOrderId);
            if (p !== undefined && latencyMs > 0) {
              expect(e.at, `${e.clientOrderId} arrives after its latency`).toBe(p.arrival);
              arrived(p, events);
            }
          }
          if ((e.type === 'ORDER_EXPIRED' || e.type === 'ORDER_CANCELED' || e.type === 'ORDER_REJECTED') && placed.has(e.clientOrderId)) placed.get(e.clientOrderId)!.closed = true;
          if (e.type !== 'FILL') continue;
          const p = placed.get(e.clientOrderId);
          if (p === undefined) continue;
          counts.fills += 1;
          const price = parseFixed(e.price);
          const qty = parseFixed(e.quantity);
          const side: Side = e.side;
          const { type } = p.input;
          const limit = p.input.price === undefined ? undefined : parseFixed(p.input.price);
          expect(qty % STEP, `${e.clientOrderId}: on the step`).toBe(0n);
          expect(qty > 0n).toBe(true);
          if (e.liquidity === 'TAKER') {
            counts.taker += 1;
            expect(type, `${e.clientOrderId}: a LIMIT_MAKER never takes`).not.toBe('LIMIT_MAKER');
            const book = released !== undefined && arrivedNow.has(e.clientOrderId) ? released : after;
            const levels = side === 'BUY' ? book.asks : book.bids;
            const shown = levels.get(price);
            expect(shown, `${e.clientOrderId}: took ${e.price}, a displayed level`).toBeDefined();
            const key = `${side}:${e.price}`;
            const taken = (takenAt.get(key) ?? 0n) + qty;
            takenAt.set(key, taken);
            expect(taken <= shown!, `${e.clientOrderId}: ${formatFixed(taken)} taken at ${e.price} showing ${formatFixed(shown!)}`).toBe(true);
            if (limit !== undefined && type !== 'STOP_LOSS' && type !== 'TAKE_PROFIT') expect(side === 'BUY' ? price <= limit : price >= limit, `${e.clientOrderId}: within its limit`).toBe(true);
          } else {
            counts.maker += 1;
            expect(['MARKET', 'STOP_LOSS', 'TAKE_PROFIT', 'IMMEDIATE_OR_CANCEL', 'FILL_OR_KILL'], `${e.clientOrderId}: ${type} never rests`).not.toContain(type);
            expect(price, `${e.clientOrderId}: a resting fill is at its own price`).toBe(limit);
            if (type === 'LIMIT_MAKER') counts.lm += 1;
            if (trade !== undefined) {
              const print = parseFixed(trade.price);
              expect(side === 'BUY' ? print <= price : print >= price, `${e.clientOrderId}: the print reached its price`).toBe(true);
              expect(trade.time >= p.arrival, `${e.clientOrderId}: the print came after it arrived`).toBe(true);
              printFilled[side] += qty;
              expect(printFilled[side] <= parseFixed(trade.quantity), `one print fills the ${side} side at most by its quantity`).toBe(true);
            }
          }
          // Fees: the order's fees are rounded once, at the rate of each fill's side.
          const rate = e.liquidity === 'MAKER' ? MAKER : TAKER;
          p.feeExact += price * qty / E18 * rate;
          const charged = ceil8(p.feeExact);
          expect(e.fee, `${e.clientOrderId}: fee`).toBe(formatFixed(charged - p.feeCharged));
          expect(e.feeAsset).toBe('USDT');
          p.feeCharged = charged;
          p.executed += qty;
          expect(e.executedQty, `${e.clientOrderId}: fills add up`).toBe(formatFixed(p.executed));
          if (e.status === 'FILLED') {
            expect(p.executed).toBe(parseFixed(p.input.quantity!));
            p.closed = true;
          }
        }
      }

      function randomOrder(bidText: string, askText: string, last: Fixed | undefined): PlaceOrderInput | undefined {
        const bid = parseFixed(bidText);
        const ask = parseFixed(askText);
        const account = pick(ACCOUNTS);
        const side: Side = random() < 0.5 ? 'BUY' : 'SELL';
        const type: OrderType = pick(['MARKET', 'LIMIT', 'LIMIT', 'LIMIT', 'IMMEDIATE_OR_CANCEL', 'FILL_OR_KILL', 'LIMIT_MAKER', 'STOP_LOSS', 'STOP_LOSS_LIMIT'] as const);
        const quantity = BigInt(1 + Math.floor(random() * 20)) * parseFixed(pick(['0.00001', '0.001', '0.01', '0.05']));
        if (quantity * bid / E18 < parseFixed('10')) return undefined;
        n += 1;
        const id = `o${n}`;
        const ticks = (k: number) => BigInt(k) * TICK;
        // Near the touch, often exactly at it, so that accounts meet at the same prices.
        const passive = side === 'BUY' ? bid - ticks(pick([0, 0, 0, 1, 3, 20])) : ask + ticks(pick([0, 0, 0, 1, 3, 20]));
        const aggressive = side === 'BUY' ? ask + ticks(pick([0, 1, 5, 100])) : bid - ticks(pick([0, 1, 5, 100]));
        const base = { kind: 'order.place' as const, time: s.kernel.now, account, symbol: s.symbol, side, type, quantity: formatFixed(quantity), clientOrderId: id };
        switch (type) {
          case 'MARKET':
            return base;
          case 'LIMIT':
            return { ...base, price: formatFixed(random() < 0.4 ? aggressive : passive) };
          case 'IMMEDIATE_OR_CANCEL':
          case 'FILL_OR_KILL':
            return { ...base, price: formatFixed(aggressive) };
          case 'LIMIT_MAKER':
            return { ...base, price: formatFixed(passive) };
          default: {
            if (last === undefined) return undefined;
            const stop = side === 'SELL' ? last - ticks(pick([1, 5, 50])) : last + ticks(pick([1, 5, 50]));
            return type === 'STOP_LOSS'
              ? { ...base, stopPrice: formatFixed(stop) }
              : { ...base, stopPrice: formatFixed(stop), price: formatFixed(side === 'SELL' ? stop - ticks(5) : stop + ticks(5)) };
          }
        }
      }
    });
  }
});
