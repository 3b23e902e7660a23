/**
 * RestingOrders when several orders share an arrival sequence number (they arrived within one
 * input: latency releases, an OCO list, bracket exits, an import): each can be found and removed,
 * and they keep the order in which they arrived (their ids).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseFixed } from '../money/fixed.js';
import type { Order } from '../orders/order.js';
import { RestingOrders } from './resting-orders.js';

const order = (id: string, price: string, arrivalSeq: number): Order => ({ id, side: 'BUY', type: 'LIMIT', price: parseFixed(price), arrivalSeq }) as unknown as Order;

describe('RestingOrders with orders that arrived in one input', () => {
  it('ranks them by id after price and arrival, and removes each one', () => {
    const side = new RestingOrders('BUY');
    // Inserted out of order; ids 9 and 10 compare as numbers, not as text.
    const [a, b, c, d, e] = [order('9', '100', 7), order('10', '100', 7), order('11', '100', 7), order('8', '100', 6), order('12', '101', 7)];
    for (const o of [c, a, e, b, d]) side.insert(o);
    expect(side.all().map((o) => o.id)).toEqual(['12', '8', '9', '10', '11']);
    expect(side.at(parseFixed('100')).map((o) => o.id)).toEqual(['8', '9', '10', '11']);
    side.remove(b);
    side.remove(c);
    expect(side.all().map((o) => o.id)).toEqual(['12', '8', '9']);
    side.remove(a);
    side.remove(d);
    side.remove(e);
    expect(side.size).toBe(0);
  });
});

describe('RestingOrders.firstIndexAt', () => {
  it('points at the earliest order at a price, the others there after it, and -1 where none rests', () => {
    const side = new RestingOrders('BUY');
    const [a, b, c, d] = [order('1', '100', 1), order('2', '99.5', 2), order('3', '100', 3), order('4', '98', 4)];
    for (const o of [d, c, b, a]) side.insert(o);
    // Best first: 100 (ids 1, 3), 99.5 (id 2), 98 (id 4).
    expect(side.firstIndexAt(parseFixed('100'))).toBe(0);
    expect(side.firstIndexAt(parseFixed('99.5'))).toBe(2);
    expect(side.firstIndexAt(parseFixed('98'))).toBe(3);
    for (const price of ['101', '99.9', '99', '97']) expect(side.firstIndexAt(parseFixed(price))).toBe(-1);
    side.statedAt.set(parseFixed('100'), 5);
    side.statedAt.set(parseFixed('99.5'), 5);
    // The level keeps its stated time while an order rests there, and loses it with the last one.
    side.remove(a);
    expect(side.firstIndexAt(parseFixed('100'))).toBe(0);
    expect(side.statedAt.get(parseFixed('100'))).toBe(5);
    side.remove(c);
    expect(side.firstIndexAt(parseFixed('100'))).toBe(-1);
    expect(side.statedAt.has(parseFixed('100'))).toBe(false);
    expect(side.firstIndexAt(parseFixed('99.5'))).toBe(0);
    side.remove(b);
    expect(side.statedAt.has(parseFixed('99.5'))).toBe(false);
    expect(side.firstIndexAt(parseFixed('98'))).toBe(0);
  });
});

describe('RestingOrders.has', () => {
  // The model: the set of orders inserted and not removed since; `has` must agree with it for every
  // order ever made, present or not. Few prices and arrival numbers, so that most orders tie on both
  // with others (the ids then rank them), on both sides.
  it('agrees with the set of orders inserted and not removed, over random inserts and removals', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<'BUY' | 'SELL'>('BUY', 'SELL'),
        fc.array(fc.record({ insert: fc.integer({ min: 0, max: 2 }).map((n) => n > 0), price: fc.constantFrom('99.5', '100', '100.0', '101'), arrival: fc.integer({ min: 1, max: 4 }), pick: fc.nat() }), { minLength: 1, maxLength: 80 }),
        (sideName, steps) => {
          const side = new RestingOrders(sideName);
          const made: Order[] = [];
          const present = new Set<Order>();
          for (const step of steps) {
            if (step.insert || present.size === 0) {
              const o = { ...order(String(made.length + 1), step.price, step.arrival), side: sideName } as Order;
              made.push(o);
              side.insert(o);
              present.add(o);
            } else {
              const o = [...present][step.pick % present.size]!;
              side.remove(o);
              present.delete(o);
            }
            for (const o of made) expect(side.has(o)).toBe(present.has(o));
          }
          // A copy of a present order (same price, arrival and id) is not the order itself.
          for (const o of present) expect(side.has({ ...o })).toBe(false);
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it('answers false for an order without a price', () => {
    const side = new RestingOrders('BUY');
    side.insert(order('1', '100', 1));
    expect(side.has({ id: '2', side: 'BUY', type: 'MARKET', arrivalSeq: 1 } as unknown as Order)).toBe(false);
  });
});
