/**
 * Random streams of inputs for checking the kernel's open-order bookkeeping: two symbols of one
 * kind (Binance spot BTCUSDT and ETHUSDT, or USD-M perpetuals), three accounts of which one places
 * most orders (so that it reaches the exchange's caps of 200 open and 5 conditional orders per
 * symbol), candle bars moving the prices (fills, triggers, bracket exits, OCO cancels), limit,
 * market and conditional orders, brackets, OCO lists, cancels by clientOrderId, resets of the other accounts.
 * Prices are whole dollars, quantities multiples of 0.001: on every tick and step grid used.
 */
import { findBundledInstrument } from '../core/instruments/bundled-instruments.js';
import type { Instrument } from '../core/instruments/instrument.js';
import type { KernelInput } from '../core/kernel/inputs.js';
import { Rng } from './mulberry32.js';

export interface OrderStream {
  readonly instruments: readonly Instrument[];
  readonly inputs: readonly KernelInput[];
}

const ACCOUNTS = ['heavy', 'b', 'c'];
const START = 1_723_161_600_000;
const MINUTE = 60_000;

/** `length` inputs after the accounts' openings, from `seed`. */
export function orderStream(seed: number, length: number, futures: boolean): OrderStream {
  const rng = new Rng(seed);
  const market = futures ? 'perpetual' : 'spot';
  const instruments = ['BTCUSDT', 'ETHUSDT'].map((s) => findBundledInstrument('binance', market, s)!);
  const price = new Map([['BTCUSDT', 60_000], ['ETHUSDT', 3_000]]);
  const size = (symbol: string) => (symbol === 'BTCUSDT' ? 0.002 + 0.001 * rng.int(0, 8) : 0.05 + 0.001 * rng.int(0, 150)).toFixed(3);
  const placed: { account: string; clientOrderId: string }[] = [];
  const inputs: KernelInput[] = [];
  let time = START;
  for (const account of ACCOUNTS) {
    inputs.push(futures
      ? { kind: 'account.open', time, account, type: 'futures', leverage: 5, balances: { USDT: '1000000' } }
      : { kind: 'account.open', time, account, balances: { USDT: '10000000', BTC: '100', ETH: '2000' } });
  }
  for (const [symbol, p] of price) inputs.push({ kind: 'bar', time, symbol, open: `${p}`, high: `${p}`, low: `${p}`, close: `${p}`, volume: '1', intervalMs: MINUTE });
  let n = 0;
  while (inputs.length < length + ACCOUNTS.length + 2) {
    const symbol = rng.chance(0.7) ? 'BTCUSDT' : 'ETHUSDT';
    const p = price.get(symbol)!;
    const step = symbol === 'BTCUSDT' ? 20 : 1;
    const account = rng.chance(0.6) ? 'heavy' : rng.pick(ACCOUNTS);
    const side = rng.chance(0.5) ? 'BUY' : 'SELL';
    const away = (ticks: number) => `${side === 'BUY' ? p - ticks * step : p + ticks * step}`;
    const toward = (ticks: number) => `${side === 'BUY' ? p + ticks * step : p - ticks * step}`;
    const clientOrderId = `o${(n += 1)}`;
    const base = { kind: 'order.place' as const, time, account, symbol, side: side as 'BUY' | 'SELL', clientOrderId };
    const roll = rng.next();
    if (roll < 0.12) {
      time += MINUTE;
      const close = Math.max(step * 10, p + step * rng.int(-6, 6));
      const high = Math.max(p, close) + step * rng.int(0, 4);
      const low = Math.min(p, close) - step * rng.int(0, 4);
      price.set(symbol, close);
      inputs.push({ kind: 'bar', time, symbol, open: `${p}`, high: `${high}`, low: `${low}`, close: `${close}`, volume: '5', intervalMs: MINUTE });
      continue;
    }
    if (roll < 0.45) inputs.push({ ...base, type: 'LIMIT', quantity: size(symbol), price: away(rng.int(1, 40)) });
    else if (roll < 0.5) inputs.push(rng.chance(0.5) ? { ...base, type: 'MARKET', quantity: size(symbol) } : { ...base, type: 'LIMIT', quantity: size(symbol), price: toward(rng.int(0, 3)) });
    else if (roll < 0.58) inputs.push({ ...base, type: 'STOP_LOSS_LIMIT', quantity: size(symbol), stopPrice: toward(rng.int(1, 8)), price: toward(rng.int(1, 8)) });
    else if (roll < 0.62) inputs.push({ ...base, type: 'TAKE_PROFIT', quantity: size(symbol), stopPrice: away(rng.int(1, 8)) });
    else if (roll < 0.7) {
      const entry = rng.int(0, 3);
      const exitSide = (ticks: number) => `${side === 'BUY' ? p - entry * step + ticks * step : p + entry * step - ticks * step}`;
      inputs.push({ ...base, type: 'LIMIT', quantity: size(symbol), price: away(entry), ocoGroup: `g${n}`, takeProfit: { stopPrice: exitSide(rng.int(2, 6)), ...(rng.chance(0.5) ? { price: exitSide(rng.int(2, 6)) } : {}) }, ...(rng.chance(0.7) ? { stopLoss: { stopPrice: exitSide(-rng.int(2, 6)) } } : {}) });
    } else if (roll < 0.74) {
      const quantity = size(symbol);
      inputs.push({ kind: 'order.list', time, account, orders: [
        { symbol, side, type: 'LIMIT_MAKER', quantity, price: toward(-rng.int(1, 5)), clientOrderId: `${clientOrderId}a`, ocoGroup: `l${n}` },
        { symbol, side, type: 'STOP_LOSS_LIMIT', quantity, stopPrice: toward(rng.int(1, 5)), price: toward(rng.int(1, 6)), clientOrderId: `${clientOrderId}b`, ocoGroup: `l${n}` },
      ] });
      placed.push({ account, clientOrderId: `${clientOrderId}a` }, { account, clientOrderId: `${clientOrderId}b` });
      continue;
    } else if (roll < 0.997) {
      // Cancels pick among the last 300 orders placed, so that many rest for long.
      const victim = placed.length === 0 ? undefined : placed[placed.length - 1 - rng.int(0, Math.min(placed.length - 1, 300))]!;
      if (victim === undefined || rng.chance(0.6)) continue;
      inputs.push({ kind: 'order.cancel', time, account: victim.account, clientOrderId: victim.clientOrderId });
      continue;
    } else {
      inputs.push({ kind: 'account.reset', time, account: rng.pick(['b', 'c']) });
      continue;
    }
    placed.push({ account, clientOrderId });
  }
  return { instruments, inputs };
}
