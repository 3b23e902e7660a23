/**
 * Replay throughput: the bundled recording (Binance spot BTCUSDT) through `runReplay` (kernel,
 * matching, accounts) with 1,000 resting LIMIT orders from 5 accounts, priced on levels of the
 * recording's own book at their submission time; and the same replay with no orders as a baseline.
 * Reports inputs/s, events/s and × real time (recording span / wall time) at the steady state, after
 * the warm-up rounds, and the first pass's inputs/s beside them. Reading and parsing the files is
 * not timed. Also counts the orders the kernel still holds at the end, open and closed.
 */
import type { PlaceOrderInput } from '../src/core/kernel/inputs.js';
import { Kernel } from '../src/core/kernel/kernel.js';
import { isOpenStatus, type OrderStatus } from '../src/core/orders/order-status.js';
import type { Recording } from '../src/market-data/recording-reader.js';
import { instrumentForRecording, runReplay, type ReplayResult } from '../src/market-data/replay-session.js';
import { measure, perSecond, type Rounds, type Timing } from './bench-kit.js';

const ORDERS = 1_000;
const ACCOUNTS = 5;
const BALANCES = { USDT: '1000000', BTC: '20' };
const DEPTH = 500; // orders are priced on the top DEPTH levels of their side

/**
 * 1,000 LIMIT orders spread over the recording, alternating BUY and SELL, each priced on one of the
 * top DEPTH levels of its own side of the real book at its submission time (near ones fill, deep ones rest).
 */
export function restingOrders(recording: Recording): PlaceOrderInput[] {
  const kernel = new Kernel({ instruments: [instrumentForRecording(recording)] });
  const snapshotAt = recording.inputs.find((i) => i.kind === 'book.snapshot')!.time;
  const start = snapshotAt + 1_000;
  const step = Math.floor((recording.lastTime - start) * 0.9 / ORDERS);
  const orders: PlaceOrderInput[] = [];
  for (const input of recording.inputs) {
    while (orders.length < ORDERS && start + orders.length * step < input.time && kernel.bookStatus(recording.symbol)?.status === 'synced') {
      const i = orders.length;
      const side = i % 2 === 0 ? 'BUY' : 'SELL';
      const book = kernel.depth(recording.symbol, DEPTH)!;
      const levels = side === 'BUY' ? book.bids : book.asks;
      const level = levels[(i * 37) % levels.length];
      if (level === undefined) throw new Error(`the ${side} side of the book is empty at ${kernel.now}`);
      orders.push({
        kind: 'order.place', time: start + i * step, account: `a${(i % ACCOUNTS) + 1}`, symbol: recording.symbol,
        side, type: 'LIMIT', quantity: `0.00${(i % 5) + 1}`, price: level[0], clientOrderId: `c${i + 1}`,
      });
    }
    kernel.handle(input);
  }
  if (orders.length !== ORDERS) throw new Error(`only ${orders.length} orders fit in the recording`);
  return orders;
}

export function replayBench(recording: Recording, rounds: Rounds) {
  const orders = restingOrders(recording);
  const last: { result?: ReplayResult; events: number; fills: number; closed: number }[] = [{ events: 0, fills: 0, closed: 0 }, { events: 0, fills: 0, closed: 0 }];
  const replay = (slot: number, commands: readonly PlaceOrderInput[]) => () => () => {
    let events = 0;
    let fills = 0;
    // Each order's latest status, from its events: how many closed, whether or not the kernel still holds them.
    const statuses = new Map<string, OrderStatus>();
    const result = runReplay(recording, commands, {
      balances: BALANCES,
      onEvent: (event) => {
        events += 1;
        if (event.type === 'FILL') fills += 1;
        if ('orderId' in event && event.orderId !== undefined && 'status' in event) statuses.set(event.orderId, event.status);
      },
    });
    let closed = 0;
    for (const status of statuses.values()) if (!isOpenStatus(status)) closed += 1;
    last[slot] = { result, events, fills, closed };
  };
  const [base, loaded] = measure([{ name: 'no orders', prepare: replay(0, []) }, { name: '1,000 orders', prepare: replay(1, orders) }], rounds) as [Timing, Timing];
  const spanMs = recording.lastTime - recording.firstTime;
  const row = (name: string, t: Timing, slot: number) => {
    const { result, events, fills, closed } = last[slot]!;
    const kernel = result!.kernel;
    const held = kernel.accountIds().flatMap((a) => kernel.orders(a));
    return {
      name, ...t, inputs: result!.inputs, events, fills,
      restingAtEnd: held.filter((o) => isOpenStatus(o.status)).length,
      closedHeld: held.filter((o) => !isOpenStatus(o.status)).length,
      closedAtEnd: closed,
      inputsPerSecond: perSecond(result!.inputs, t.medianMs),
      firstInputsPerSecond: perSecond(result!.inputs, t.firstMs),
      eventsPerSecond: perSecond(events, t.medianMs),
      timesRealTime: Math.round(spanMs / t.medianMs),
    };
  };
  const rows = [row('replay, no orders', base, 0), row(`replay, ${ORDERS.toLocaleString('en')} orders`, loaded, 1)];
  return { spanMs, orders: ORDERS, accounts: ACCOUNTS, rows, slowdown: loaded.medianMs / base.medianMs };
}
