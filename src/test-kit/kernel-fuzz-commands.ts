/**
 * Random commands for the kernel fuzzer, drawn from a seeded generator and from what the kernel
 * shows at that moment (its book, balances and open orders), with the extremes a user or a broken
 * client sends: the whole free balance, the smallest and largest quantities, prices at and beyond
 * the tick grid and the limits, zero, negative, huge and garbage values, missing fields, leverage
 * changes, cancels racing fills, and account documents good and bad.
 *
 * Commands that need the state at the moment they apply (an account document to import) are
 * directives, materialized when they are applied, so that a shrunk sequence stays meaningful.
 */
import type { Instrument } from '../core/instruments/instrument.js';
import type { KernelInput } from '../core/kernel/inputs.js';
import type { Kernel } from '../core/kernel/kernel.js';
import { ORDER_TYPES } from '../core/orders/order.js';
import { parseDecimal, showDecimal } from './ledger-model.js';
import type { Rng } from './mulberry32.js';

export type ImportMutation = 'none' | 'garbage' | 'header-only' | 'no-health' | 'kind-changed' | 'negative-balance' | 'truncated' | 'orders-missing' | 'not-json-object';

/** A command as the fuzzer records it: a concrete input, or an import built when it is applied. */
export type FuzzCommand =
  | { readonly input: KernelInput }
  | { readonly importFrom: string; readonly as: string; readonly mutation: ImportMutation };

export interface AccountPlan {
  readonly id: string;
  readonly open: KernelInput & { kind: 'account.open' };
}

const GARBAGE = ['', ' ', 'abc', 'NaN', 'Infinity', '-Infinity', '1e3', '0x10', '1,5', '١٢', '1.2.3', '--1', '+', '.5', '5.', ' 1', '1 ', 'null', '０.１', '\u0000', '9'.repeat(400), `0.${'1'.repeat(40)}`];
const HUGE = ['1' + '0'.repeat(30), '99999999999999999999999999999999999999.99', '123456789012345678901234567890.123456789012345678'];
const BAD_TYPES: unknown[] = [null, 1, -1, 0.5, true, {}, [], 1e308, Number.NaN];

const step = (i: Instrument) => i.stepSize;
const tick = (i: Instrument) => i.tickSize;
const floorTo = (v: bigint, unit: bigint) => (v >= 0n ? (v / unit) * unit : -((-v + unit - 1n) / unit) * unit);
const fmt = showDecimal;

export class CommandGenerator {
  private placed = 0;
  private lastClientIds: string[] = [];
  private extraAccounts = 0;

  constructor(
    private readonly rng: Rng,
    private readonly kernel: Kernel,
    private readonly instrument: Instrument,
    private readonly accounts: string[],
    private readonly futures: boolean,
  ) {}

  private mid(): bigint | undefined {
    const d = this.kernel.depth(this.instrument.symbol, 1);
    const bid = parseDecimal(d?.bids[0]?.[0]);
    const ask = parseDecimal(d?.asks[0]?.[0]);
    if (bid === undefined || ask === undefined) return undefined;
    return floorTo((bid + ask) / 2n, tick(this.instrument));
  }

  private free(account: string, asset: string): bigint {
    return parseDecimal(this.kernel.balances(account)?.[asset]?.free) ?? 0n;
  }

  /** A price near the market in ticks, or one of the extremes. */
  private price(mid: bigint): unknown {
    const r = this.rng;
    const t = tick(this.instrument);
    const roll = r.next();
    if (roll < 0.55) return fmt(mid + BigInt(r.int(-40, 40)) * t);
    if (roll < 0.75) return fmt(mid + BigInt(r.int(-3000, 3000)) * t);
    if (roll < 0.8) return fmt(mid + t / 3n + BigInt(r.int(-5, 5)) * t); // off the grid
    if (roll < 0.83) return fmt(t);
    if (roll < 0.86) return r.pick(['0', '-1', fmt(-mid), '0.00']);
    if (roll < 0.89) return r.pick(HUGE);
    if (roll < 0.92) return fmt(mid * 1000n);
    if (roll < 0.96) return r.pick(GARBAGE);
    if (roll < 0.98) return r.pick(BAD_TYPES);
    return undefined;
  }

  /** A quantity: ordinary, the whole free balance, the limits, or garbage. */
  private quantity(account: string, side: 'BUY' | 'SELL', price: bigint | undefined): unknown {
    const r = this.rng;
    const i = this.instrument;
    const roll = r.next();
    if (roll < 0.45) return fmt(BigInt(r.int(1, 300)) * step(i) * BigInt(r.pick([1, 1, 10, 100])));
    if (roll < 0.65) {
      // the whole free balance (with and without room for a fee in quote)
      if (this.futures) {
        const cash = this.free(account, 'USDT');
        const lev = BigInt(r.int(1, 20));
        return price && price > 0n ? fmt(floorTo((cash * lev * 10n ** 18n) / price, step(i))) : fmt(step(i));
      }
      if (side === 'SELL') return fmt(floorTo(this.free(account, i.base), step(i)));
      const quote = this.free(account, i.quote);
      if (price === undefined || price <= 0n) return fmt(step(i));
      const withFee = r.chance(0.5) ? (price * (10n ** 18n + i.takerFee)) / 10n ** 18n : price;
      return fmt(floorTo((quote * 10n ** 18n) / withFee, step(i)));
    }
    if (roll < 0.7) return fmt(i.minQty);
    if (roll < 0.73) return fmt(i.maxQty);
    if (roll < 0.75) return fmt(i.maxMarketQty ?? i.maxQty);
    if (roll < 0.78) return fmt(i.maxQty + step(i));
    if (roll < 0.81) return fmt(step(i) / 2n + BigInt(r.int(1, 50)) * step(i)); // off the step grid
    if (roll < 0.84) return r.pick(['0', '-0.001', fmt(-step(i))]);
    if (roll < 0.87) return r.pick(HUGE);
    if (roll < 0.93) return r.pick(GARBAGE);
    if (roll < 0.97) return r.pick(BAD_TYPES);
    return undefined;
  }

  private account(): string {
    if (this.rng.chance(0.03)) return this.rng.pick(['nobody', '', 'a'.repeat(300), 'Ω']);
    return this.rng.pick(this.accounts);
  }

  next(): FuzzCommand[] {
    const r = this.rng;
    const roll = r.next();
    if (roll < 0.62) return r.chance(0.08) ? [this.list()] : this.place();
    if (roll < 0.8) return [this.cancel()];
    if (roll < 0.84) return [this.leverage()];
    if (roll < 0.87) return [this.openAccount()];
    if (roll < 0.9) return [this.reset()];
    if (roll < 0.91) return [this.close()];
    if (roll < 0.95) return [this.importAccount()];
    if (roll < 0.97) return [{ input: { kind: 'clock', time: this.kernel.now + r.int(0, 120_000) } }];
    if (this.futures) return [this.markOrFunding()];
    return this.place();
  }

  private place(): FuzzCommand[] {
    const r = this.rng;
    const i = this.instrument;
    const mid = this.mid() ?? 60_000n * 10n ** 18n;
    const account = this.account();
    const side = r.chance(0.02) ? r.pick(['buy', 'BOTH', '', 1] as unknown as string[]) : r.pick(['BUY', 'SELL'] as const);
    const type = r.chance(0.02) ? r.pick(['OCO', 'limit', 'STOP', '', 'TRAILING_STOP']) : r.pick(ORDER_TYPES);
    const price = this.price(mid);
    const numericPrice = typeof price === 'string' ? parseDecimal(price) : undefined;
    const base = { kind: 'order.place', time: this.kernel.now + (r.chance(0.1) ? r.int(1, 500) : 0), account, symbol: r.chance(0.02) ? r.pick(['ETHUSDT', 'btcusdt', '']) : i.symbol, side, type } as Record<string, unknown>;
    const quantity = this.quantity(account, side === 'SELL' ? 'SELL' : 'BUY', numericPrice ?? mid);
    const withPrice = ['LIMIT', 'LIMIT_MAKER', 'IMMEDIATE_OR_CANCEL', 'FILL_OR_KILL', 'STOP_LOSS_LIMIT', 'TAKE_PROFIT_LIMIT'].includes(String(type));
    if (type === 'MARKET' && r.chance(0.35)) {
      const quote = this.free(account, this.futures ? 'USDT' : i.quote);
      base.quoteOrderQty = r.pick<unknown>([fmt(quote), fmt(i.minNotional), fmt(BigInt(r.int(11, 5000)) * 10n ** 18n), fmt(quote + 1n), ...GARBAGE.slice(0, 4), '0', '-5']);
    } else if (!(r.chance(0.03))) base.quantity = quantity;
    if (withPrice ? !r.chance(0.03) : r.chance(0.04)) base.price = price;
    if (type.startsWith('STOP_LOSS') || type.startsWith('TAKE_PROFIT')) {
      if (!r.chance(0.04)) base.stopPrice = r.chance(0.85) ? fmt(mid + BigInt(r.int(-30, 30)) * tick(i)) : this.price(mid);
    }
    if (type === 'TRAILING_STOP_MARKET') {
      base.callbackRate = r.pick<unknown>(['0.001', '0.0005', '0.01', '0.05', '0.1', '0', '1', '-0.01', 'abc', undefined]);
      if (r.chance(0.5)) base.activationPrice = r.chance(0.8) ? fmt(mid + BigInt(r.int(-20, 20)) * tick(i)) : this.price(mid);
    }
    if (r.chance(this.futures ? 0.3 : 0.03)) base.reduceOnly = r.chance(0.9) ? true : r.pick<unknown>([false, 'yes', 1]);
    if (r.chance(0.06)) base.ocoGroup = r.pick(['g1', 'g2', '']);
    if (r.chance(0.12)) {
      // A bracket: exits a few ticks either side of the market, now and then malformed or misordered.
      const away = (n: number) => fmt(mid + BigInt(n) * tick(i));
      const exit = (n: number) =>
        r.chance(0.85) ? (r.chance(0.5) ? { stopPrice: away(n) } : { stopPrice: away(n), price: away(n) }) : r.pick<unknown>([{ stopPrice: this.price(mid) }, { stopPrice: 'abc' }, 'x', null]);
      const up = r.int(5, 60);
      const down = -r.int(5, 60);
      const buy = side === 'BUY';
      if (r.chance(0.9)) base.takeProfit = exit(buy ? up : down);
      if (r.chance(0.9)) base.stopLoss = exit(buy ? down : up);
      base.ocoGroup ??= r.chance(0.95) ? `b${this.placed}` : undefined;
    }
    this.placed += 1;
    const clientOrderId = r.chance(0.05) && this.lastClientIds.length > 0 ? r.pick(this.lastClientIds) : r.chance(0.01) ? 'x'.repeat(200) : `c${this.placed}`;
    base.clientOrderId = clientOrderId;
    this.lastClientIds.push(clientOrderId);
    if (this.lastClientIds.length > 50) this.lastClientIds.shift();
    const out: FuzzCommand[] = [{ input: base as unknown as KernelInput }];
    // a cancel racing the order: same time, or a moment later
    if (r.chance(0.12)) out.push({ input: { kind: 'order.cancel', time: (base.time as number) + (r.chance(0.5) ? 0 : r.int(0, 50)), account, clientOrderId } });
    return out;
  }

  /** An order list: two or three legs (mostly LIMIT_MAKER and stops, now and then a leg a list refuses) sharing one group. */
  private list(): FuzzCommand {
    const r = this.rng;
    const legs = Array.from({ length: r.chance(0.9) ? 2 : 3 }, () => (this.place()[0] as { input: KernelInput }).input as unknown as Record<string, unknown>);
    const first = legs[0]!;
    const group = r.chance(0.9) ? `l${this.placed}` : undefined;
    const orders = legs.map(({ kind: _kind, time: _time, account: _account, takeProfit: _tp, stopLoss: _sl, ...leg }, i) => ({
      ...leg,
      type: r.chance(0.9) ? r.pick(['LIMIT_MAKER', 'STOP_LOSS', 'STOP_LOSS_LIMIT', 'TAKE_PROFIT', 'TAKE_PROFIT_LIMIT']) : leg.type,
      ...(i > 0 && r.chance(0.8) ? { symbol: first.symbol, side: first.side, quantity: first.quantity } : {}),
      ...(group !== undefined ? { ocoGroup: group } : {}),
    }));
    return { input: { kind: 'order.list', time: first.time, account: first.account, orders } as unknown as KernelInput };
  }

  private cancel(): FuzzCommand {
    const r = this.rng;
    const account = this.account();
    const open = this.kernel.openOrders(account);
    const time = this.kernel.now;
    if (open.length > 0 && r.chance(0.8)) {
      const o = r.pick(open);
      return { input: r.chance(0.7) ? { kind: 'order.cancel', time, account, orderId: o.id } : { kind: 'order.cancel', time, account, clientOrderId: o.clientOrderId } };
    }
    const bad: unknown[] = [{ orderId: '999999' }, { orderId: '' }, {}, { clientOrderId: 'nope' }, { orderId: 5 }, { orderId: '1' }, { orderId: '1', clientOrderId: 'c1' }];
    return { input: { kind: 'order.cancel', time, account, ...(r.pick(bad) as object) } as KernelInput };
  }

  private leverage(): FuzzCommand {
    const r = this.rng;
    const leverage = r.chance(0.7) ? r.pick([1, 2, 5, 10, 20, 50, 75, 100, 125]) : r.pick<unknown>([0, -1, 126, 1000, 1.5, Number.NaN, '10', null]);
    return { input: { kind: 'leverage.set', time: this.kernel.now, account: this.account(), symbol: r.chance(0.9) ? this.instrument.symbol : 'ETHUSDT', leverage } as KernelInput };
  }

  private fees(): Record<string, unknown> | undefined {
    const r = this.rng;
    if (r.chance(0.5)) return undefined;
    const rate = () => r.pick<unknown>(['0', '0.0001', '0.0005', '0.001', '0.002', '0.01', '0.0123456789', '2', '-0.001', '-0.0001', '1', 'abc', 5]);
    const out: Record<string, unknown> = {};
    if (r.chance(0.6)) out.maker = rate();
    if (r.chance(0.6)) out.taker = rate();
    if (r.chance(0.5)) out.feeAsset = r.pick<unknown>(['quote', 'received', 'base', '']);
    return out;
  }

  private balances(): unknown {
    const r = this.rng;
    const i = this.instrument;
    const good = this.futures ? { USDT: fmt(BigInt(r.int(1, 500_000)) * 10n ** 17n) } : { [i.quote]: fmt(BigInt(r.int(1, 500_000)) * 10n ** 17n), [i.base]: fmt(BigInt(r.int(0, 50_000)) * step(i)) };
    if (r.chance(0.75)) return good;
    return r.pick<unknown>([{ USDT: '-1' }, { USDT: 'abc' }, { usdt: '10' }, { '': '1' }, { USDT: r.pick(HUGE) }, { BTC: '1' }, {}, { USDT: 5 }, null, [], 'x', { ['A'.repeat(100)]: '1' }, { USDT: '0' }]);
  }

  private openAccount(): FuzzCommand {
    const r = this.rng;
    this.extraAccounts += 1;
    const id = r.chance(0.85) ? `n${this.extraAccounts}` : r.pick(this.accounts);
    const input: Record<string, unknown> = { kind: 'account.open', time: this.kernel.now, account: id, balances: this.balances() };
    if (this.futures ? r.chance(0.95) : r.chance(0.03)) input.type = 'futures';
    if (this.futures) {
      if (r.chance(0.5)) input.marginMode = r.pick<unknown>(['isolated', 'cross', 'CROSS']);
      if (r.chance(0.6)) input.leverage = r.pick<unknown>([1, 5, 20, 125, 0, 126, 2.5, '3']);
    }
    const fees = this.fees();
    if (fees !== undefined) input.fees = fees;
    if (r.chance(0.1)) input.risk = { maxDrawdown: r.pick<unknown>(['0.05', '0.5', '0', '1', '-1', 'x']), closeOnMaxDrawdown: r.chance(0.5) };
    this.accounts.push(id);
    return { input: input as unknown as KernelInput };
  }

  private reset(): FuzzCommand {
    const r = this.rng;
    const input: Record<string, unknown> = { kind: 'account.reset', time: this.kernel.now, account: this.account() };
    if (r.chance(0.5)) input.balances = this.balances();
    return { input: input as unknown as KernelInput };
  }

  private close(): FuzzCommand {
    return { input: { kind: 'account.close', time: this.kernel.now, account: this.account() } };
  }

  private importAccount(): FuzzCommand {
    const r = this.rng;
    this.extraAccounts += 1;
    const as = r.chance(0.9) ? `i${this.extraAccounts}` : r.pick(this.accounts);
    const mutation: ImportMutation = r.chance(0.5) ? 'none' : r.pick(['garbage', 'header-only', 'no-health', 'kind-changed', 'negative-balance', 'truncated', 'orders-missing', 'not-json-object'] as const);
    if (mutation === 'none') this.accounts.push(as);
    return { importFrom: r.pick(this.accounts), as, mutation };
  }

  private markOrFunding(): FuzzCommand {
    const r = this.rng;
    const mid = this.mid() ?? 60_000n * 10n ** 18n;
    const t = this.kernel.now;
    if (r.chance(0.5)) {
      const move = r.pick([1n, 5n, 20n, 100n, 300n, 800n]);
      const sign = r.chance(0.5) ? 1n : -1n;
      return { input: { kind: 'mark', time: t, symbol: this.instrument.symbol, price: fmt(floorTo(mid + (sign * mid * move) / 1000n, tick(this.instrument))) } };
    }
    return { input: { kind: 'funding', time: t, symbol: this.instrument.symbol, rate: r.pick(['0.0001', '-0.0001', '0.00375', '-0.02', '0.03', '0']) } };
  }
}

/** The document an import directive carries, built from the account as it stands now. */
export function importDocument(kernel: Kernel, from: string, mutation: ImportMutation): string {
  const text = kernel.exportAccount(from) ?? '{}';
  if (mutation === 'none') return text;
  if (mutation === 'garbage') return '{"format":"papertrade.account",';
  if (mutation === 'header-only') return JSON.stringify({ format: 'papertrade.account', version: 1 });
  if (mutation === 'truncated') return text.slice(0, Math.floor(text.length / 2));
  if (mutation === 'not-json-object') return '[1,2,3]';
  const doc = JSON.parse(text) as Record<string, unknown> & { account?: Record<string, unknown> };
  if (mutation === 'no-health') delete doc.health;
  if (mutation === 'orders-missing') delete doc.orders;
  if (mutation === 'kind-changed' && doc.account) doc.account.kind = doc.account.kind === 'futures' ? 'spot' : 'futures';
  // An account that holds nothing has no amount to turn negative: the document then gains one.
  if (mutation === 'negative-balance' && doc.account && !makeFirstBalanceNegative(doc.account) && Array.isArray(doc.account.balances)) {
    doc.account.balances.push(['USDT', { free: { $n: '-1000000000000000000' }, locked: { $n: '0' } }]);
  }
  return JSON.stringify(doc);
}

/** Turns the first `free` or `cash` amount found (plain or as `{"$n": …}`) negative. */
function makeFirstBalanceNegative(node: unknown): boolean {
  if (typeof node !== 'object' || node === null) return false;
  const o = node as Record<string, unknown>;
  for (const key of ['free', 'cash']) {
    const v = o[key];
    if (typeof v === 'string' && /^\d/.test(v)) {
      o[key] = `-${v === '0' ? '1' : v}`;
      return true;
    }
    if (typeof v === 'object' && v !== null && typeof (v as Record<string, unknown>).$n === 'string') {
      const n = (v as Record<string, string>).$n!;
      (v as Record<string, string>).$n = n === '0' ? '-1' : `-${n}`;
      return true;
    }
  }
  for (const child of Object.values(o)) if (makeFirstBalanceNegative(child)) return true;
  return false;
}
