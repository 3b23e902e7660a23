/**
 * The resting sides of each market (RestingOrders) under order latency, where several orders
 * arrive within one input: random streams (order-stream.ts: two symbols, fills, triggers, brackets,
 * OCO lists, cancels, resets) at latency 0, 25 and 150 ms, checked after every input against a
 * brute-force model built from every order the kernel holds. No input may be answered INTERNAL (a
 * rolled-back invariant failure, e.g. "resting order … missing from its side" on a cancel or reset).
 */
import { describe, expect, it } from 'vitest';
import { orderStream } from '../../test-kit/order-stream.js';
import type { Order } from '../orders/order.js';
import { isOpenStatus } from '../orders/order-status.js';
import { Kernel } from './kernel.js';
import type { KernelConfig, KernelState } from './kernel-state.js';

const SEEDS = [1, 2, 6, 7];
const LATENCIES = [0, 25, 150];
const INPUTS = 1500;
const RESTORE_EVERY = 499;

const state = (kernel: Kernel) => (kernel as unknown as { s: KernelState }).s;

/**
 * Price-time priority written out on its own: better price first (higher bid, lower ask), then
 * earlier arrival: the input it arrived in, then the order created first (ids count up from 1).
 */
function priority(side: 'BUY' | 'SELL') {
  return (a: Order, b: Order): number => {
    if (a.price! !== b.price!) return (side === 'BUY' ? a.price! > b.price! : a.price! < b.price!) ? -1 : 1;
    return a.arrivalSeq - b.arrivalSeq || Number(a.id) - Number(b.id);
  };
}

/** The first way the kernel's resting sides disagree with the model; undefined when they agree. */
function disagreement(s: KernelState): string | undefined {
  for (const [symbol, market] of s.markets) {
    const elsewhere = new Set<Order>([...market.waiting, ...market.conditionals]);
    const open = [...s.ordersById.values()].filter((o) => o.symbol === symbol && isOpenStatus(o.status));
    for (const side of ['BUY', 'SELL'] as const) {
      const listed = market.resting(side).all();
      if (new Set(listed).size !== listed.length) return `${symbol} ${side}: an order listed twice`;
      for (const o of listed) if (!open.includes(o) || o.side !== side || elsewhere.has(o)) return `${symbol} ${side}: order ${o.id} (${o.status}, ${o.side}) listed but not resting there`;
      // Every open order that neither waits for the book nor for its trigger rests on its own side.
      const expected = open.filter((o) => o.side === side && !elsewhere.has(o)).sort(priority(side));
      const ids = (orders: readonly Order[]) => orders.map((o) => o.id).join(' ');
      if (ids(listed) !== ids(expected)) return `${symbol} ${side}: listed ${ids(listed)}, model ${ids(expected)}`;
      for (const price of new Set(expected.map((o) => o.price!))) {
        const at = ids(market.resting(side).at(price));
        const model = ids(expected.filter((o) => o.price === price));
        if (at !== model) return `${symbol} ${side} at ${price}: found ${at}, model ${model}`;
      }
    }
  }
  return undefined;
}

describe('resting sides under order latency', () => {
  it('hold, after every input and every restore, exactly the open resting orders in price-time priority, and no input fails inside the kernel', () => {
    let checks = 0;
    let cancels = 0;
    let multiArrivals = 0;
    for (const latencyMs of LATENCIES) {
      for (const futures of [false, true]) {
        for (const seed of SEEDS) {
          const { instruments, inputs } = orderStream(seed, INPUTS, futures);
          const config: KernelConfig = { instruments, latencyMs, equityIntervalMs: 0 };
          let kernel = new Kernel(config);
          inputs.forEach((input, i) => {
            const where = `latency ${latencyMs}, ${futures ? 'futures' : 'spot'} seed ${seed}, input ${i} (${input.kind})`;
            const events = kernel.handle(input);
            const internal = events.find((e) => e.type === 'INPUT_REJECTED' && e.code === 'INTERNAL');
            if (internal !== undefined) expect.fail(`${where}: ${JSON.stringify(internal)}`);
            if (events.filter((e) => e.type === 'ORDER_NEW').length > 1) multiArrivals += 1;
            cancels += events.filter((e) => e.type === 'ORDER_CANCELED').length;
            const problem = disagreement(state(kernel));
            if (problem !== undefined) expect.fail(`${where}: ${problem}`);
            if (i % RESTORE_EVERY === RESTORE_EVERY - 1) {
              const snapshot = kernel.snapshot();
              kernel = Kernel.restore(config, snapshot);
              const again = disagreement(state(kernel));
              if (again !== undefined) expect.fail(`${where}, after a restore: ${again}`);
              expect(kernel.snapshot(), `${where}: a restore gives back its snapshot`).toBe(snapshot);
            }
            checks += 1;
          });
          expect(kernel.containedFailures).toBe(0);
        }
      }
    }
    expect(checks).toBe(LATENCIES.length * 2 * SEEDS.length * (INPUTS + 5));
    // The streams do what the check is for: inputs where several orders arrive, and many cancels.
    expect(multiArrivals).toBeGreaterThan(100);
    expect(cancels).toBeGreaterThan(1000);
  }, 300_000);
});
