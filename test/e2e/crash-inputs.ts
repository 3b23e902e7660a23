/**
 * The crash test's input stream, the same in the trading child, the checking parent and the
 * uninterrupted reference run: the bundled recording's market inputs (looped without end), with
 * seeded random orders and cancels from several accounts between them.
 *
 * Deterministic: input i depends only on the seed and i, so a restarted child resumes at its
 * journal seq and the stream goes on exactly as if nothing happened.
 */
import type { KernelInput } from '../../src/core/kernel/inputs.js';
import type { KernelConfig } from '../../src/core/kernel/kernel.js';
import { loopRecording } from '../../src/engine/looped-recording.js';
import { instrumentForRecording } from '../../src/market-data/replay-session.js';
import { BUNDLED_RECORDING } from '../../src/test-kit/data-paths.js';
import { mulberry32 } from '../../src/test-kit/mulberry32.js';
import { loadRecording } from '../../src/test-kit/recording-stepper.js';

export const ACCOUNTS = ['ann', 'bob', 'cid', 'dee'] as const;
const recording = loadRecording(BUNDLED_RECORDING);
/** 20 ms of latency keeps commands in flight inside the kernel, so snapshots must carry them. */
export const CRASH_CONFIG: KernelConfig = { instruments: [instrumentForRecording(recording)], latencyMs: 20 };

const cents = (price: string): number => Math.round(Number(price) * 100);
const price = (c: number): string => (c / 100).toFixed(2);
const quantity = (units: number): string => (units / 100_000).toFixed(5);

/** The endless stream: accounts first, then market inputs with an order or cancel after about one in ten. */
export function* crashInputs(seed: number): Generator<KernelInput> {
  const rng = mulberry32(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rng() * items.length)]!;
  const first = recording.inputs[0]!.time;
  for (const account of ACCOUNTS) yield { kind: 'account.open', time: first, account, balances: { USDT: '2000000', BTC: '30' } };
  const live = new Map<string, string[]>(ACCOUNTS.map((a) => [a, []]));
  let last: number | undefined;
  let n = 0;
  for (const input of loopRecording(recording)) {
    yield input;
    if (input.kind === 'trade') last = cents(input.price);
    if (last === undefined || rng() >= 0.1) continue;
    const account = pick(ACCOUNTS);
    const mine = live.get(account)!;
    const roll = rng();
    const time = input.time;
    if (roll < 0.3 && mine.length > 0) {
      const clientOrderId = mine.splice(Math.floor(rng() * mine.length), 1)[0]!;
      yield { kind: 'order.cancel', time, account, clientOrderId };
      continue;
    }
    const side = rng() < 0.5 ? 'BUY' : 'SELL';
    const clientOrderId = `${account}-${++n}`;
    const size = quantity(100 + Math.floor(rng() * 5_000));
    if (roll < 0.45) {
      yield { kind: 'order.place', time, account, symbol: recording.symbol, side, type: 'MARKET', quantity: size, clientOrderId };
    } else {
      const offset = Math.floor(rng() * 3_000) - 1_500;
      const type = roll < 0.55 ? 'IMMEDIATE_OR_CANCEL' : 'LIMIT';
      yield { kind: 'order.place', time, account, symbol: recording.symbol, side, type, price: price(last + offset), quantity: size, clientOrderId };
      if (type === 'LIMIT') mine.push(clientOrderId);
      if (mine.length > 200) mine.shift();
    }
  }
}
