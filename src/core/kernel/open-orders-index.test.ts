/**
 * The per account and symbol index of open orders that a placement counts against the exchange's
 * caps (KernelState.openOrdersOn), checked after every input of random streams (order-stream.ts:
 * two symbols, one account at the caps of 200 open and 5 conditional orders, fills, triggers,
 * brackets, OCO lists, cancels, resets) and across snapshot-restores, against a brute-force scan
 * of every order the kernel holds.
 */
import { describe, expect, it } from 'vitest';
import { findBundledInstrument } from '../instruments/bundled-instruments.js';
import { orderStream } from '../../test-kit/order-stream.js';
import { isOpenStatus } from '../orders/order-status.js';
import { Kernel } from './kernel.js';
import type { KernelConfig, KernelState } from './kernel-state.js';

const SEEDS = [1, 2, 3, 4];
const INPUTS = 3000;
const RESTORE_EVERY = 701;

const state = (kernel: Kernel) => (kernel as unknown as { s: KernelState }).s;
const ids = (orders: Iterable<{ readonly id: string }>) => [...orders].map((o) => o.id).sort().join(' ');

describe('open orders per account and symbol', () => {
  it('are, after every input and every restore, exactly the open orders the kernel holds for the account on the symbol', () => {
    const rejections = new Map<string, number>();
    let checks = 0;
    let largest = 0;
    for (const futures of [false, true]) {
      for (const seed of SEEDS) {
        const { instruments, inputs } = orderStream(seed, INPUTS, futures);
        const config: KernelConfig = { instruments, equityIntervalMs: 0 };
        let kernel = new Kernel(config);
        const accounts = new Set<string>();
        inputs.forEach((input, i) => {
          for (const event of kernel.handle(input)) if (event.type === 'ORDER_REJECTED') rejections.set(event.code, (rejections.get(event.code) ?? 0) + 1);
          if (i % RESTORE_EVERY === RESTORE_EVERY - 1) kernel = Kernel.restore(config, kernel.snapshot());
          if (input.kind === 'account.open') accounts.add(input.account);
          const s = state(kernel);
          for (const account of accounts) {
            for (const { symbol } of instruments) {
              const expected = ids([...s.ordersById.values()].filter((o) => o.account === account && o.symbol === symbol && isOpenStatus(o.status)));
              const actual = ids(s.openOrdersOn(account, symbol));
              if (actual !== expected) expect(actual, `${futures ? 'futures' : 'spot'} seed ${seed}, input ${i}, ${account} on ${symbol}`).toBe(expected);
              largest = Math.max(largest, s.openOrdersOn(account, symbol).length);
              checks += 1;
            }
          }
        });
      }
    }
    // The streams reach both caps, and the heavy account's list is at the cap of 200.
    expect(rejections.get('MAX_NUM_ORDERS') ?? 0).toBeGreaterThan(100);
    expect(rejections.get('MAX_NUM_ALGO_ORDERS') ?? 0).toBeGreaterThan(100);
    expect(largest).toBeGreaterThanOrEqual(200);
    expect(checks).toBeGreaterThanOrEqual(2 * SEEDS.length * INPUTS * 3 * 2);
  }, 120_000);

  it('are read once by a placement, which counts them against the caps and drops the closed ones in the same walk', () => {
    const BTC = findBundledInstrument('binance', 'spot', 'BTCUSDT')!;
    const kernel = new Kernel({ instruments: [BTC], equityIntervalMs: 0 });
    const T = 1_723_161_600_000;
    kernel.handle({ kind: 'account.open', time: T, account: 'a', balances: { USDT: '1000000' } });
    kernel.handle({ kind: 'bar', time: T, symbol: 'BTCUSDT', open: '60000', high: '60000', low: '60000', close: '60000', volume: '1', intervalMs: 60_000 });
    const place = (id: string, price: string) => kernel.handle({ kind: 'order.place', time: T, account: 'a', symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.01', price, clientOrderId: id });
    for (let i = 0; i < 5; i += 1) place(`o${i}`, String(59_000 - i));
    kernel.handle({ kind: 'order.cancel', time: T, account: 'a', clientOrderId: 'o2' });
    // The index's own list, as the next placement finds it: five orders, one of them canceled.
    const s = state(kernel);
    const index = (s as unknown as { openIndex: Map<string, Map<string, object[]>> }).openIndex.get('a')!;
    const list = index.get('BTCUSDT')!;
    expect(list).toHaveLength(5);
    let reads = 0;
    index.set('BTCUSDT', new Proxy(list, { get: (target, key, receiver) => ((typeof key === 'string' && /^\d+$/.test(key) && (reads += 1)), Reflect.get(target, key, receiver)) }));
    place('o5', '58000');
    // One read of each of the five entries (a walk to drop the canceled one, then a walk to count
    // the four left, read nine); the new order joins the list, which now holds exactly the open ones.
    expect(reads).toBe(5);
    expect(ids(s.openOrdersOn('a', 'BTCUSDT'))).toBe(ids([...s.ordersById.values()].filter((o) => isOpenStatus(o.status))));
    expect(s.openOrdersOn('a', 'BTCUSDT')).toHaveLength(5);
  });
});
