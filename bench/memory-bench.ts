/**
 * Memory of the kernel holding 10,000 accounts with 10 resting LIMIT orders each (100,000 orders) on
 * the bundled recording's BTCUSDT book: the heap the kernel keeps (measured after a full garbage
 * collection, before and after, with the kernel still referenced), and the time to place them.
 * Orders rest 1–20 ticks behind the best price of their side, so none fills. Rollback stays on, so
 * the figure includes the kernel's checkpoint and the inputs held since it.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { BookSnapshotInput, KernelInput } from '../src/core/kernel/inputs.js';
import { Kernel } from '../src/core/kernel/kernel.js';
import { formatFixed, parseFixed } from '../src/core/money/fixed.js';
import type { Recording } from '../src/market-data/recording-reader.js';
import { instrumentForRecording } from '../src/market-data/replay-session.js';
import { cpuMs } from './bench-kit.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function heapAfterGc(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/**
 * The recording's first book snapshot, then `accounts` accounts opening with `ordersPerAccount`
 * LIMIT orders each, 1–20 ticks behind the best price of their side (none fills).
 */
export function restingOrderInputs(recording: Recording, o: { accounts: number; ordersPerAccount: number }): { snapshot: BookSnapshotInput; inputs: KernelInput[] } {
  const instrument = instrumentForRecording(recording);
  const snapshot = recording.inputs.find((i): i is BookSnapshotInput => i.kind === 'book.snapshot')!;
  const time = snapshot.time;
  const bestBid = parseFixed(snapshot.bids[0]![0]);
  const bestAsk = parseFixed(snapshot.asks[0]![0]);
  const inputs: KernelInput[] = [];
  for (let a = 0; a < o.accounts; a += 1) {
    const account = `m${a}`;
    inputs.push({ kind: 'account.open', time, account, balances: { USDT: '100000', BTC: '2' } });
    for (let k = 0; k < o.ordersPerAccount; k += 1) {
      const side = k % 2 === 0 ? 'BUY' : 'SELL';
      const ticks = BigInt(1 + ((a + k) % 20));
      const price = side === 'BUY' ? bestBid - ticks * instrument.tickSize : bestAsk + ticks * instrument.tickSize;
      inputs.push({ kind: 'order.place', time, account, symbol: instrument.symbol, side, type: 'LIMIT', quantity: '0.001', price: formatFixed(price), clientOrderId: `o${k}` });
    }
  }
  return { snapshot, inputs };
}

export function memoryBench(recording: Recording, o: { accounts: number; ordersPerAccount: number }) {
  const instrument = instrumentForRecording(recording);
  const { snapshot, inputs } = restingOrderInputs(recording, o);
  const before = heapAfterGc();
  const kernel = new Kernel({ instruments: [instrument] });
  kernel.handle(snapshot);
  const start = cpuMs();
  for (const input of inputs) kernel.handle(input);
  const placeMs = cpuMs() - start;
  const after = heapAfterGc();
  const resting = kernel.accountIds().reduce((count, id) => count + kernel.openOrders(id).length, 0);
  const expected = o.accounts * o.ordersPerAccount;
  if (resting !== expected) throw new Error(`${resting} orders rest, expected ${expected}`);
  const bytes = after - before;
  return {
    accounts: o.accounts, ordersPerAccount: o.ordersPerAccount, resting,
    heapBytes: bytes, bytesPerAccount: Math.round(bytes / o.accounts), rssBytes: process.memoryUsage().rss,
    placeMs, inputsPerSecond: Math.round((inputs.length * 1000) / placeMs),
  };
}
