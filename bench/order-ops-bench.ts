/**
 * Order operations beside many resting orders: the kernel's CPU time per LIMIT placement and per
 * cancel with a few thousand and with tens of thousands of paper orders resting on one price level
 * of the same side, on the spot and the USD-M recording. The resting orders are 200 to an account
 * (Binance's MAX_NUM_ORDERS), as in the API bench's snapshot part. Each round places `ops` orders from
 * fresh accounts at the back of the level and cancels the `ops` earliest at its front (the far end of
 * the side's array), so every kernel keeps its count; each round runs both sizes (a first, untimed
 * round warms the code), and each figure is the median of the rounds. The peer is the same operation at the smaller size: a cost that
 * does not grow with the orders resting reads about 1×. Beside them, an OCO pair of one more account
 * (a LIMIT_MAKER take-profit and a STOP_LOSS_LIMIT, far from the market) placed and both legs canceled:
 * an OCO leg's arrival and end look for its siblings. And an account reset (`account.reset`) of one
 * more account holding RESET_ORDERS orders at the level: its orders are canceled as a liquidation's
 * or a halt's are (`cancelAll`); only the reset input is timed.
 */
import { Kernel } from '../src/core/kernel/kernel.js';
import type { KernelInput } from '../src/core/kernel/inputs.js';
import { readRecording, type Recording } from '../src/market-data/recording-reader.js';
import { instrumentForRecording } from '../src/market-data/replay-session.js';
import { cpuMs, median } from './bench-kit.js';

const PER_ACCOUNT = 200;
/** Orders of the account reset in each timed reset. */
const RESET_ORDERS = 10;

export interface OrderOpsRow {
  readonly market: string;
  readonly resting: number;
  readonly placeUs: number;
  readonly cancelUs: number;
  /** An OCO pair placed and both legs canceled: four inputs. */
  readonly ocoPairUs: number;
  /** An account reset that cancels the account's RESET_ORDERS orders: one input. */
  readonly resetUs: number;
}

interface Subject {
  readonly kernel: Kernel;
  readonly resting: number;
  /** The order at the front of the level: its account and client id come from its number. */
  front: number;
  /** The next order's number. */
  next: number;
  /** OCO pairs placed so far. */
  pairs: number;
  /** Resets done so far. */
  resets: number;
}

/** A kernel on `recording`, its book synced and a minute of the recording applied, holding `resting` orders on one bid level. */
function subject(recording: Recording, futures: boolean, resting: number): Subject {
  const kernel = new Kernel({ instruments: [instrumentForRecording(recording)] });
  const start = recording.inputs[0]!.time;
  for (const input of recording.inputs) {
    kernel.handle(input);
    if (input.time > start + 60_000 && kernel.bookStatus(recording.symbol)?.status === 'synced') break;
  }
  if (kernel.bookStatus(recording.symbol)?.status !== 'synced') throw new Error(`the ${recording.symbol} book did not sync in the recording's first minute`);
  const s: Subject = { kernel, resting, front: 0, next: 0, pairs: 0, resets: 0 };
  for (let i = 0; i < resting; i += 1) place(s, recording, futures);
  if (kernel.accountIds().length !== Math.ceil(resting / PER_ACCOUNT)) throw new Error('the resting orders were not placed as expected');
  const [opened] = kernel.handle({ kind: 'account.open', time: kernel.now, account: 'oco', balances: futures ? { USDT: '1000000000' } : { USDT: '1000000000', BTC: '1000' }, ...(futures ? { type: 'futures' as const } : {}) }) as { type: string }[];
  if (opened?.type !== 'ACCOUNT_OPENED') throw new Error(`the OCO account did not open: ${JSON.stringify(opened)}`);
  return s;
}

function place(s: Subject, recording: Recording, futures: boolean): void {
  const n = s.next;
  const account = `acc${Math.floor(n / PER_ACCOUNT)}`;
  const time = s.kernel.now;
  if (n % PER_ACCOUNT === 0) {
    s.kernel.handle({ kind: 'account.open', time, account, balances: { USDT: '1000000000' }, ...(futures ? { type: 'futures' as const } : {}) });
  }
  // Far under the market, so they rest; USD-M's minimum notional is 100 USDT.
  const input: KernelInput = futures
    ? { kind: 'order.place', time, account, symbol: recording.symbol, side: 'BUY', type: 'LIMIT', quantity: '0.002', price: '58000.0', clientOrderId: `o${n}` }
    : { kind: 'order.place', time, account, symbol: recording.symbol, side: 'BUY', type: 'LIMIT', quantity: '0.001', price: '50000.00', clientOrderId: `o${n}` };
  const [event] = s.kernel.handle(input) as { type: string }[];
  if (event?.type !== 'ORDER_NEW') throw new Error(`order ${n} did not rest: ${JSON.stringify(event)}`);
  s.next += 1;
}

/** An OCO pair of the account `oco`, sells above and below the market, placed then both legs canceled. */
function ocoPair(s: Subject, recording: Recording, futures: boolean): void {
  const k = s.pairs;
  const time = s.kernel.now;
  const account = 'oco';
  const symbol = recording.symbol;
  const quantity = futures ? '0.002' : '0.001';
  const tick = futures ? '.0' : '.00';
  const events = [
    ...s.kernel.handle({ kind: 'order.place', time, account, symbol, side: 'SELL', type: 'LIMIT_MAKER', quantity, price: `64000${tick}`, clientOrderId: `tp${k}`, ocoGroup: `g${k}` }),
    ...s.kernel.handle({ kind: 'order.place', time, account, symbol, side: 'SELL', type: 'STOP_LOSS_LIMIT', quantity, stopPrice: `59000${tick}`, price: `58990${tick}`, clientOrderId: `sl${k}`, ocoGroup: `g${k}` }),
    ...s.kernel.handle({ kind: 'order.cancel', time, account, clientOrderId: `tp${k}` }),
    ...s.kernel.handle({ kind: 'order.cancel', time, account, clientOrderId: `sl${k}` }),
  ] as { type: string }[];
  const types = events.filter((e) => e.type.startsWith('ORDER_')).map((e) => e.type).join(' ');
  if (types !== "ORDER_NEW ORDER_NEW ORDER_CANCELED ORDER_CANCELED") throw new Error(`OCO pair ${k}: ${JSON.stringify(events)}`);
  s.pairs += 1;
}

/** CPU ms of an account reset of the account `reset`, which first places RESET_ORDERS orders at the back of the level (untimed). */
function timedReset(s: Subject, recording: Recording, futures: boolean): number {
  const time = s.kernel.now;
  const account = 'reset';
  if (s.resets === 0) s.kernel.handle({ kind: 'account.open', time, account, balances: { USDT: '1000000000' }, ...(futures ? { type: 'futures' as const } : {}) });
  for (let o = 0; o < RESET_ORDERS; o += 1) {
    const [event] = s.kernel.handle({ kind: 'order.place', time, account, symbol: recording.symbol, side: 'BUY', type: 'LIMIT', quantity: futures ? '0.002' : '0.001', price: futures ? '58000.0' : '50000.00', clientOrderId: `r${s.resets}-${o}` }) as { type: string }[];
    if (event?.type !== 'ORDER_NEW') throw new Error(`reset order ${o} did not rest: ${JSON.stringify(event)}`);
  }
  const start = cpuMs();
  const events = s.kernel.handle({ kind: 'account.reset', time, account }) as { type: string }[];
  const ms = cpuMs() - start;
  const canceled = events.filter((e) => e.type === 'ORDER_CANCELED').length;
  if (canceled !== RESET_ORDERS) throw new Error(`reset ${s.resets} canceled ${canceled} orders: ${JSON.stringify(events)}`);
  s.resets += 1;
  return ms;
}

function cancelFront(s: Subject): void {
  const n = s.front;
  const [event] = s.kernel.handle({ kind: 'order.cancel', time: s.kernel.now, account: `acc${Math.floor(n / PER_ACCOUNT)}`, clientOrderId: `o${n}` }) as { type: string }[];
  if (event?.type !== 'ORDER_CANCELED') throw new Error(`order ${n} was not canceled: ${JSON.stringify(event)}`);
  s.front += 1;
}

/** Rows per market and size: µs of CPU per placement and per cancel, medians of `rounds` rounds of `ops` each. */
export function orderOpsBench(paths: { readonly spot: string; readonly usdm: string }, sizes: readonly [number, number], ops: number, rounds: number): OrderOpsRow[] {
  const rows: OrderOpsRow[] = [];
  for (const [market, path, futures] of [['spot', paths.spot, false], ['USD-M', paths.usdm, true]] as const) {
    const recording = readRecording(path);
    const subjects = sizes.map((size) => subject(recording, futures, size));
    const placeUs = subjects.map((): number[] => []);
    const cancelUs = subjects.map((): number[] => []);
    const ocoUs = subjects.map((): number[] => []);
    const resetUs = subjects.map((): number[] => []);
    for (let round = 0; round < rounds + 1; round += 1) {
      subjects.forEach((s, i) => {
        const a = cpuMs();
        for (let k = 0; k < ops; k += 1) place(s, recording, futures);
        const b = cpuMs();
        for (let k = 0; k < ops; k += 1) cancelFront(s);
        const c = cpuMs();
        const pairs = ops / 4;
        for (let k = 0; k < pairs; k += 1) ocoPair(s, recording, futures);
        const d = cpuMs();
        const resets = ops / 20;
        let resetMs = 0;
        for (let k = 0; k < resets; k += 1) resetMs += timedReset(s, recording, futures);
        // The first round warms the code and is not counted.
        if (round > 0) {
          placeUs[i]!.push(((b - a) * 1000) / ops);
          cancelUs[i]!.push(((c - b) * 1000) / ops);
          ocoUs[i]!.push(((d - c) * 1000) / pairs);
          resetUs[i]!.push((resetMs * 1000) / resets);
        }
      });
    }
    subjects.forEach((s, i) => {
      if (s.next - s.front !== s.resting) throw new Error(`${market}: ${s.next - s.front} orders rest, expected ${s.resting}`);
      rows.push({ market, resting: s.resting, placeUs: median(placeUs[i]!), cancelUs: median(cancelUs[i]!), ocoPairUs: median(ocoUs[i]!), resetUs: median(resetUs[i]!) });
    });
  }
  return rows;
}
