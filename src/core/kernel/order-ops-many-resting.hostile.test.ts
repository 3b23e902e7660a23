/**
 * Hostile checks of how the kernel finds an order among many resting ones (ADR 0088): a cancel's
 * membership test (`RestingOrders.has`), a futures placement's position limit (the kernel's index
 * `KernelState.openOrdersOn`) and the OCO siblings an acting leg ends (`ocoSiblings`, same index).
 *
 * Every expectation comes from an oracle of this file, never from another kernel's output:
 * - a queue model of the spot market (`SpotModel`): orders of many accounts at a few bid prices,
 *   ranked by price, then by the moment they reached the book (a latency release, a list leg, a
 *   drained waiting order, a triggered stop-limit behind the orders already there); OCO legs end
 *   their account's unacted legs of the group (conditional first, then bids best first, then the
 *   waiting list) before the first fill or right after a trigger; caps, resets and the exchange's
 *   refusals as documented; every order event of every input is predicted and compared in order,
 *   then every order the kernel says is open is cancelled, each exactly once;
 * - a sum for the USD-M position limit: own open non-reduce-only orders of the side at their price
 *   (or stop), plus the new one, below 50,000 USDT at 125x, whatever other accounts have resting;
 * - hand-computed outcomes for the reproductions of the defects found.
 * Snapshots and restores, imports (which rebuild the index), resets and unsynced or stale books come
 * between the steps.
 *
 * Defects these tests found:
 * - fixed: the open-order index was built lazily from the market's lists on its first read after a
 *   restore or an import; read in the middle of a drain of the waiting list (or of a trigger), it
 *   missed the orders out of the lists at that moment for good. Since ADR 0088 the OCO siblings and
 *   the position limit read it: after a restore, OCO legs both filled, and a triggered stop-limit no
 *   longer counted toward MAX_POSITION_EXCEEDED. The index is now rebuilt at the end of a restore
 *   and of an import (`KernelState.rebuildIndexes`);
 * - fixed, older than ADR 0088: OCO legs drained together from the waiting list both acted (the
 *   drain took them all out of the list at once, so none was a sibling of the one executing); the
 *   drain now takes each out of the list as its turn comes;
 * - fixed, older than ADR 0088: an import ranked a triggered stop-limit behind a later plain order of
 *   the account at its price (both got the import's arrival, and within one arrival a conditional
 *   order ranked last); imported orders now carry `Order.imported` and rank by the ids the import
 *   gives in the exporting engine's priority.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findBundledInstrument } from '../instruments/bundled-instruments.js';
import type { KernelEvent } from './events.js';
import type { KernelInput } from './inputs.js';
import { Kernel } from './kernel.js';
import type { KernelConfig } from './kernel-state.js';

const SPOT = findBundledInstrument('binance', 'spot', 'BTCUSDT')!;
const USDM = findBundledInstrument('binance', 'perpetual', 'BTCUSDT')!;
const T0 = 1_700_000_000_000;

/** Order events as short lines (`FILL u1-7 3@60000`: 3 thousandths at 60,000), other events left out. */
function lines(events: readonly KernelEvent[]): string[] {
  const out: string[] = [];
  for (const e of events) {
    const cid = 'clientOrderId' in e ? e.clientOrderId : '';
    switch (e.type) {
      case 'ORDER_NEW':
        out.push(`NEW ${cid}`);
        break;
      case 'ORDER_REJECTED':
        out.push(`REJECTED ${cid} ${e.code}`);
        break;
      case 'ORDER_CANCELED':
        out.push(`CANCELED ${cid} ${e.reason}`);
        break;
      case 'ORDER_EXPIRED':
        out.push(`EXPIRED ${cid} ${e.reason}`);
        break;
      case 'ORDER_TRIGGERED':
        out.push(`TRIGGERED ${cid}`);
        break;
      case 'FILL':
        out.push(`FILL ${cid} ${Math.round(Number(e.quantity) * 1000)}@${Number(e.price)}`);
        break;
      case 'CANCEL_REJECTED':
        out.push(`CANCEL_REJECTED ${cid ?? ''}`);
        break;
      default:
        break;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The spot queue model
// ---------------------------------------------------------------------------------------------

/** Bid prices where the paper orders rest (below the ask, 60,010: none crosses). */
const BID_PRICES = [60_000, 59_995, 59_990] as const;
const ASK = 60_010;
const STOP = 60_005;
const THROUGH = 59_985;
const CALM = 60_001;
const ACCOUNTS = ['u0', 'u1', 'u2', 'u3', 'u4', 'u5'] as const;
const GROUPS = ['g0', 'g1', 'g2'] as const;

type Action =
  | { readonly a: 'place'; readonly account: number; readonly price: number; readonly qty: number; readonly group: number; readonly maker: boolean }
  | { readonly a: 'list'; readonly account: number; readonly legs: readonly { readonly price: number; readonly qty: number }[]; readonly group: number }
  | { readonly a: 'stop'; readonly account: number; readonly price: number; readonly qty: number; readonly group: number }
  | { readonly a: 'taker-maker'; readonly account: number }
  | { readonly a: 'cancel'; readonly pick: number }
  | { readonly a: 'through'; readonly qty: number }
  | { readonly a: 'trigger' }
  | { readonly a: 'calm' }
  | { readonly a: 'invalidate' }
  | { readonly a: 'resync' }
  | { readonly a: 'delta' }
  | { readonly a: 'restore' }
  | { readonly a: 'import-other' }
  | { readonly a: 'reset'; readonly account: number }
  | { readonly a: 'wait'; readonly ms: number };

interface MOrder {
  readonly cid: string;
  readonly account: string;
  readonly group: string | undefined;
  /** `stop`: BUY STOP_LOSS_LIMIT; `taker`: a LIMIT_MAKER priced to take (expires once it meets a book). */
  readonly kind: 'plain' | 'stop' | 'taker';
  readonly price: number;
  readonly qty: number;
  filled: number;
  open: boolean;
  /** Triggered (a stop) or filled at least once (a plain order): no longer a sibling, no longer ends its siblings. */
  acted: boolean;
  where: 'resting' | 'waiting' | 'conditional' | 'none';
  /** The moment it reached the book (or its trigger): time priority among orders at one price. */
  key: number;
  /** The input it arrived with (or triggered on), as the kernel numbers them: a reset cancels in that order. */
  seq: number;
}

type Command =
  | { readonly c: 'place'; readonly order: MOrder }
  | { readonly c: 'list'; readonly legs: readonly MOrder[] }
  | { readonly c: 'cancel'; readonly cid: string };

class SpotModel {
  readonly orders = new Map<string, MOrder>();
  readonly conditionals: MOrder[] = [];
  readonly waiting: MOrder[] = [];
  private readonly pending: { arrivesAt: number; command: Command }[] = [];
  synced = false;
  last: number | undefined;
  /** The engine's clock (the latest time any input or arrival carried) and the last book update's time on it. */
  clock = 0;
  private lastBookAt: number | undefined;
  private arrival = 0;
  /** The input being handled (any increasing number per input). */
  input = 0;
  out: string[] = [];

  constructor(
    private readonly latencyMs: number,
    private readonly staleAfterMs: number | undefined,
  ) {}

  /** Whether an arriving or triggered order executes now: a synced book, updated within `staleAfterMs` of the clock. */
  private usable(): boolean {
    return this.synced && !(this.staleAfterMs !== undefined && this.lastBookAt !== undefined && this.clock - this.lastBookAt > this.staleAfterMs);
  }

  /** Resting bids, best first: price, then arrival. */
  bids(): MOrder[] {
    return [...this.orders.values()].filter((o) => o.open && o.where === 'resting').sort((a, b) => b.price - a.price || a.key - b.key);
  }

  /** Commands whose arrival is due by an input of time `time` (`command`: commands and clock ticks release those at `time` too). */
  release(time: number, command: boolean): void {
    const upTo = command ? time : time - 1;
    while (this.pending.length > 0 && this.pending[0]!.arrivesAt <= upTo) {
      const next = this.pending.shift()!;
      this.clock = Math.max(this.clock, next.arrivesAt);
      this.arrive(next.command);
    }
    this.clock = Math.max(this.clock, time);
  }

  submit(time: number, command: Command): void {
    if (this.latencyMs === 0) this.arrive(command);
    else this.pending.push({ arrivesAt: time + this.latencyMs, command });
  }

  private arrive(command: Command): void {
    if (command.c === 'cancel') {
      const o = this.orders.get(command.cid);
      if (o === undefined || !o.open) {
        this.out.push(`CANCEL_REJECTED ${command.cid}`);
        return;
      }
      this.close(o);
      this.out.push(`CANCELED ${o.cid} CANCELED_BY_USER`);
      return;
    }
    if (command.c === 'place') {
      const refusal = this.refusal(command.order);
      if (refusal === undefined) this.place(command.order);
      else this.out.push(`REJECTED ${command.order.cid} ${refusal}`);
      return;
    }
    // A list: every leg, each checked with the earlier ones open, or none (the refused leg's rejection alone).
    const before = this.out.length;
    for (const [i, leg] of command.legs.entries()) {
      const refusal = this.refusal(leg);
      if (refusal === undefined) {
        this.place(leg);
        continue;
      }
      for (const taken of command.legs.slice(0, i)) {
        this.close(taken);
        this.orders.delete(taken.cid);
      }
      this.out.length = before;
      this.out.push(`REJECTED ${leg.cid} ${refusal}`);
      return;
    }
  }

  /** Why the venue refuses the order as it arrives (the exchange rules in their order, then a maker that would take), or undefined. */
  private refusal(o: MOrder): string | undefined {
    const open = [...this.orders.values()].filter((x) => x.open && x.account === o.account);
    if (o.kind === 'stop' && this.last !== undefined && this.last >= STOP) return 'WOULD_TRIGGER_IMMEDIATELY';
    if (open.length >= SPOT.maxNumOrders!) return 'MAX_NUM_ORDERS';
    if (o.kind === 'stop' && open.filter((x) => x.kind === 'stop' && !x.acted).length >= SPOT.maxNumAlgoOrders!) return 'MAX_NUM_ALGO_ORDERS';
    if (o.kind === 'taker' && this.usable()) return 'WOULD_TAKE';
    return undefined;
  }

  private place(o: MOrder): void {
    this.orders.set(o.cid, o);
    o.open = true;
    o.key = ++this.arrival;
    o.seq = this.input;
    this.out.push(`NEW ${o.cid}`);
    if (o.kind === 'stop') {
      o.where = 'conditional';
      this.conditionals.push(o);
    } else if (this.usable()) o.where = 'resting';
    else {
      o.where = 'waiting';
      this.waiting.push(o);
    }
  }

  private close(o: MOrder): void {
    o.open = false;
    if (o.where === 'conditional') this.conditionals.splice(this.conditionals.indexOf(o), 1);
    if (o.where === 'waiting') this.waiting.splice(this.waiting.indexOf(o), 1);
    o.where = 'none';
  }

  /** The account's open legs of the group that have not acted, as the market's lists give them: conditional, bids best first, waiting. */
  private siblings(o: MOrder): MOrder[] {
    if (o.group === undefined) return [];
    const mine = (x: MOrder) => x !== o && x.open && !x.acted && x.account === o.account && x.group === o.group;
    return [...this.conditionals.filter(mine), ...this.bids().filter(mine), ...this.waiting.filter(mine)];
  }

  private endSiblings(o: MOrder, reason: string): void {
    for (const s of this.siblings(o)) {
      this.close(s);
      this.out.push(`CANCELED ${s.cid} ${reason}`);
    }
  }

  /** A print below every paper bid (a seller swept through them): they fill in priority order. */
  through(qty: number): void {
    this.last = THROUGH;
    if (!this.synced) return;
    let budget = qty;
    for (const o of this.bids()) {
      if (!o.open || budget === 0) continue;
      const fill = Math.min(o.qty - o.filled, budget);
      if (o.kind !== 'stop' && o.filled === 0) this.endSiblings(o, 'OCO_SIBLING_FILLED');
      o.filled += fill;
      o.acted = true;
      budget -= fill;
      this.out.push(`FILL ${o.cid} ${fill}@${o.price}`);
      if (o.filled === o.qty) this.close(o);
    }
  }

  /** A print at the stops: each untriggered one, in placement order, triggers, ends its siblings and rests at its limit (waits, on a stale book). */
  trigger(): void {
    this.last = STOP;
    if (!this.synced) return;
    for (const o of [...this.conditionals]) {
      if (!o.open || o.acted) continue;
      this.conditionals.splice(this.conditionals.indexOf(o), 1);
      o.acted = true;
      o.key = ++this.arrival;
      o.seq = this.input;
      this.out.push(`TRIGGERED ${o.cid}`);
      this.endSiblings(o, 'OCO_SIBLING_TRIGGERED');
      if (this.usable()) o.where = 'resting';
      else {
        o.where = 'waiting';
        this.waiting.push(o);
      }
    }
  }

  calm(): void {
    this.last = CALM;
  }

  invalidate(): void {
    this.synced = false;
  }

  /** A snapshot: the book is synced and fresh, and the waiting orders execute. */
  resync(): void {
    this.synced = true;
    this.booked();
  }

  /** A delta: on a synced book, fresh again, and the waiting orders execute; otherwise held for the next snapshot. */
  delta(): void {
    if (this.synced) this.booked();
  }

  /** The book updated: waiting orders, in their order, rest (keeping their arrival or trigger) or expire (a maker that would take). */
  private booked(): void {
    this.lastBookAt = this.clock;
    for (const o of this.waiting.splice(0)) {
      if (o.kind === 'taker') {
        o.open = false;
        o.where = 'none';
        this.out.push(`EXPIRED ${o.cid} WOULD_TAKE`);
      } else o.where = 'resting';
    }
  }

  /**
   * The account is reset: its commands still on their way are dropped, and its open orders cancelled
   * in the order they arrived (by input; within one, as the market's lists give them: bids best
   * first, waiting, conditional).
   */
  reset(account: string): void {
    for (let i = this.pending.length - 1; i >= 0; i -= 1) {
      const c = this.pending[i]!.command;
      const of = c.c === 'place' ? c.order.account : c.c === 'list' ? c.legs[0]!.account : c.cid.slice(0, c.cid.indexOf('-'));
      if (of === account) this.pending.splice(i, 1);
    }
    const listed = [...this.bids(), ...this.waiting, ...this.conditionals].filter((o) => o.account === account);
    for (const o of listed.sort((a, b) => a.seq - b.seq)) {
      this.close(o);
      this.out.push(`CANCELED ${o.cid} ACCOUNT_RESET`);
    }
  }

  openCids(account: string): string[] {
    return [...this.orders.values()].filter((o) => o.open && o.account === account).map((o) => o.cid).sort();
  }
}

const actionArb: fc.Arbitrary<Action> = fc.oneof(
  { weight: 30, arbitrary: fc.record({ a: fc.constant('place' as const), account: fc.nat(ACCOUNTS.length - 1), price: fc.constantFrom(0, 0, 0, 1, 2), qty: fc.integer({ min: 1, max: 9 }), group: fc.integer({ min: -3, max: 2 }), maker: fc.boolean() }) },
  { weight: 6, arbitrary: fc.record({ a: fc.constant('list' as const), account: fc.nat(ACCOUNTS.length - 1), legs: fc.array(fc.record({ price: fc.constantFrom(0, 0, 1, 2), qty: fc.integer({ min: 1, max: 9 }) }), { minLength: 2, maxLength: 4 }), group: fc.integer({ min: -1, max: 2 }) }) },
  { weight: 8, arbitrary: fc.record({ a: fc.constant('stop' as const), account: fc.nat(ACCOUNTS.length - 1), price: fc.constantFrom(0, 0, 1), qty: fc.integer({ min: 1, max: 9 }), group: fc.integer({ min: -2, max: 2 }) }) },
  { weight: 3, arbitrary: fc.record({ a: fc.constant('taker-maker' as const), account: fc.nat(ACCOUNTS.length - 1) }) },
  { weight: 18, arbitrary: fc.record({ a: fc.constant('cancel' as const), pick: fc.nat() }) },
  { weight: 8, arbitrary: fc.record({ a: fc.constant('through' as const), qty: fc.integer({ min: 1, max: 40 }) }) },
  { weight: 4, arbitrary: fc.constant({ a: 'trigger' as const }) },
  { weight: 3, arbitrary: fc.constant({ a: 'calm' as const }) },
  { weight: 3, arbitrary: fc.constant({ a: 'invalidate' as const }) },
  { weight: 4, arbitrary: fc.constant({ a: 'resync' as const }) },
  { weight: 4, arbitrary: fc.constant({ a: 'delta' as const }) },
  { weight: 3, arbitrary: fc.constant({ a: 'restore' as const }) },
  { weight: 2, arbitrary: fc.constant({ a: 'import-other' as const }) },
  { weight: 1, arbitrary: fc.record({ a: fc.constant('reset' as const), account: fc.nat(ACCOUNTS.length - 1) }) },
  { weight: 4, arbitrary: fc.record({ a: fc.constant('wait' as const), ms: fc.constantFrom(1, 10, 30, 60) }) },
);

const qtyText = (units: number) => (units / 1000).toFixed(3);
const priceText = (price: number) => price.toFixed(2);

/** What runs handled: inputs, and how many events of each kind (`FILL`, `CANCELED OCO_SIBLING_FILLED`, …) they checked. */
class Tally {
  inputs = 0;
  readonly kinds = new Map<string, number>();
  count(line: string): void {
    const [type, , detail] = line.split(' ');
    const kind = type === 'FILL' || detail === undefined ? type! : `${type} ${detail}`;
    this.kinds.set(kind, (this.kinds.get(kind) ?? 0) + 1);
  }
  has(kind: string): boolean {
    return (this.kinds.get(kind) ?? 0) > 0;
  }
}

/**
 * Runs the actions on a spot kernel and on the model, comparing every input's order events; then
 * every order the kernel says is open is cancelled, each exactly once.
 */
function runSpot(latencyMs: number, staleAfterMs: number | undefined, actions: readonly Action[], tally: Tally): void {
  const config: KernelConfig = { instruments: [SPOT], latencyMs, equityIntervalMs: 0, ...(staleAfterMs !== undefined ? { staleAfterMs } : {}) };
  let kernel = new Kernel(config, { rollback: false });
  const model = new SpotModel(latencyMs, staleAfterMs);
  let time = T0;
  let made = 0;
  let imports = 0;
  let updateId = 1;
  let tradeId = 0;
  const placed: string[] = [];
  const book = (): KernelInput => ({ kind: 'book.snapshot', time, symbol: SPOT.symbol, lastUpdateId: (updateId += 10), bids: [[priceText(BID_PRICES[0]), '1']], asks: [[priceText(ASK), '1']] });
  const print = (price: number, units: number, buyerMaker: boolean): KernelInput => ({ kind: 'trade', time, symbol: SPOT.symbol, tradeId: ++tradeId, price: priceText(price), quantity: qtyText(units), buyerMaker });
  const step = (input: KernelInput, modelStep: () => void, command: boolean, context: string) => {
    model.out = [];
    model.input += 1;
    model.release(time, command);
    modelStep();
    const got = lines(kernel.handle(input));
    tally.inputs += 1;
    for (const line of got) tally.count(line);
    if (JSON.stringify(got) !== JSON.stringify(model.out)) {
      throw new Error(`kernel and model part at input ${tally.inputs} (${context}): kernel ${JSON.stringify(got)}, model ${JSON.stringify(model.out)}`);
    }
  };
  for (const account of [...ACCOUNTS, 'other']) kernel.handle({ kind: 'account.open', time, account, balances: { USDT: '10000000' } });
  step(book(), () => model.resync(), false, 'first book');
  step(print(CALM, 1, false), () => model.calm(), false, 'first print');
  const newOrder = (account: string, kind: MOrder['kind'], price: number, qty: number, group: string | undefined): MOrder => ({ cid: `${account}-${++made}`, account, group, kind, price, qty, filled: 0, open: false, acted: false, where: 'none', key: 0, seq: 0 });
  const group = (g: number) => (g >= 0 ? GROUPS[g] : undefined);

  for (const action of actions) {
    time += 1;
    switch (action.a) {
      case 'place': {
        const o = newOrder(ACCOUNTS[action.account]!, 'plain', BID_PRICES[action.price]!, action.qty, group(action.group));
        placed.push(o.cid);
        const input: KernelInput = { kind: 'order.place', time, account: o.account, symbol: SPOT.symbol, side: 'BUY', type: action.maker ? 'LIMIT_MAKER' : 'LIMIT', quantity: qtyText(o.qty), price: priceText(o.price), clientOrderId: o.cid, ...(o.group !== undefined ? { ocoGroup: o.group } : {}) };
        step(input, () => model.submit(time, { c: 'place', order: o }), true, `place ${o.cid}`);
        break;
      }
      case 'list': {
        const account = ACCOUNTS[action.account]!;
        const legs = action.legs.map((l) => newOrder(account, 'plain', BID_PRICES[l.price]!, l.qty, group(action.group)));
        placed.push(...legs.map((l) => l.cid));
        const input: KernelInput = { kind: 'order.list', time, account, orders: legs.map((l) => ({ symbol: SPOT.symbol, side: 'BUY', type: 'LIMIT_MAKER', quantity: qtyText(l.qty), price: priceText(l.price), clientOrderId: l.cid, ...(l.group !== undefined ? { ocoGroup: l.group } : {}) })) };
        step(input, () => model.submit(time, { c: 'list', legs }), true, `list ${legs.map((l) => l.cid).join(',')}`);
        break;
      }
      case 'stop': {
        if (model.last === STOP) step(print(CALM, 1, false), () => model.calm(), false, 'calm before a stop');
        const o = newOrder(ACCOUNTS[action.account]!, 'stop', BID_PRICES[action.price]!, action.qty, group(action.group));
        placed.push(o.cid);
        const input: KernelInput = { kind: 'order.place', time, account: o.account, symbol: SPOT.symbol, side: 'BUY', type: 'STOP_LOSS_LIMIT', quantity: qtyText(o.qty), price: priceText(o.price), stopPrice: priceText(STOP), clientOrderId: o.cid, ...(o.group !== undefined ? { ocoGroup: o.group } : {}) };
        step(input, () => model.submit(time, { c: 'place', order: o }), true, `stop ${o.cid}`);
        break;
      }
      case 'taker-maker': {
        // A maker priced at the ask, in a group of its own: refused on a synced book, else it waits and expires when the book comes back.
        const o = newOrder(ACCOUNTS[action.account]!, 'taker', ASK, 1, `solo-${made + 1}`);
        const input: KernelInput = { kind: 'order.place', time, account: o.account, symbol: SPOT.symbol, side: 'BUY', type: 'LIMIT_MAKER', quantity: qtyText(1), price: priceText(ASK), clientOrderId: o.cid, ocoGroup: o.group! };
        step(input, () => model.submit(time, { c: 'place', order: o }), true, `taker-maker ${o.cid}`);
        break;
      }
      case 'cancel': {
        if (placed.length === 0) break;
        const cid = placed[action.pick % placed.length]!;
        const account = cid.slice(0, cid.indexOf('-'));
        step({ kind: 'order.cancel', time, account, clientOrderId: cid }, () => model.submit(time, { c: 'cancel', cid }), true, `cancel ${cid}`);
        break;
      }
      case 'through':
        step(print(THROUGH, action.qty, true), () => model.through(action.qty), false, `print through ${action.qty}`);
        break;
      case 'trigger':
        step(print(STOP, 1, false), () => model.trigger(), false, 'print at the stops');
        break;
      case 'calm':
        step(print(CALM, 1, false), () => model.calm(), false, 'calm print');
        break;
      case 'invalidate':
        step({ kind: 'book.invalidate', time, symbol: SPOT.symbol, reason: 'hostile' }, () => model.invalidate(), false, 'invalidate');
        break;
      case 'resync':
        step(book(), () => model.resync(), false, 'resync');
        break;
      case 'delta': {
        const input: KernelInput = { kind: 'book.delta', time, symbol: SPOT.symbol, firstUpdateId: updateId + 1, finalUpdateId: updateId + 1, previousFinalUpdateId: updateId, bids: [[priceText(BID_PRICES[0]), '1']], asks: [[priceText(ASK), '1']] };
        updateId += 1;
        step(input, () => model.delta(), false, 'delta');
        break;
      }
      case 'restore':
        kernel = Kernel.restore(config, kernel.snapshot(), { rollback: false });
        break;
      case 'import-other': {
        // Another account comes in: the kernel drops its index of open orders (rebuilt on its next read).
        const input: KernelInput = { kind: 'account.import', time, document: kernel.exportAccount('other')!, account: `imported${++imports}` };
        step(input, () => undefined, true, 'import');
        break;
      }
      case 'reset': {
        const account = ACCOUNTS[action.account]!;
        step({ kind: 'account.reset', time, account, balances: { USDT: '10000000' } }, () => model.reset(account), true, `reset ${account}`);
        break;
      }
      case 'wait':
        time += action.ms;
        step({ kind: 'clock', time }, () => undefined, true, 'clock');
        break;
    }
  }
  // Everything still on its way arrives, on a synced book; then the kernel's open orders are the model's.
  time += 1_000;
  step({ kind: 'clock', time }, () => undefined, true, 'last arrivals');
  step(book(), () => model.resync(), false, 'last resync');
  for (const account of ACCOUNTS) expect(kernel.openOrders(account).map((o) => o.clientOrderId).sort(), `open orders of ${account}`).toEqual(model.openCids(account));
  // Each open order is cancelled exactly once, in an order unrelated to priority (a hash of the id).
  const open = ACCOUNTS.flatMap((a) => model.openCids(a)).sort((x, y) => hash(x) - hash(y));
  for (const cid of open) {
    time += 1;
    step({ kind: 'order.cancel', time, account: cid.slice(0, cid.indexOf('-')), clientOrderId: cid }, () => model.submit(time, { c: 'cancel', cid }), true, `final cancel ${cid}`);
  }
  time += 1_000;
  step({ kind: 'clock', time }, () => undefined, true, 'final cancels arrive');
  for (const cid of open.slice(0, 5)) {
    time += 1;
    step({ kind: 'order.cancel', time, account: cid.slice(0, cid.indexOf('-')), clientOrderId: cid }, () => model.submit(time, { c: 'cancel', cid }), true, `second cancel ${cid}`);
  }
  time += 1_000;
  step({ kind: 'clock', time }, () => undefined, true, 'second cancels arrive');
  for (const account of ACCOUNTS) {
    expect(kernel.openOrders(account)).toEqual([]);
    expect(kernel.balances(account)!.USDT!.locked).toBe('0');
  }
  kernel.checkInvariants();
}

function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i += 1) h = Math.imul(h ^ text.charCodeAt(i), 16777619) >>> 0;
  return h;
}

describe('spot: many orders at a few prices, found, cancelled and filled in price-time order (queue model)', () => {
  const property = (keep: (a: Action) => boolean) => {
    const tally = new Tally();
    for (const seed of [0x88, 0x1088, 0x2088]) {
      fc.assert(
        fc.property(fc.constantFrom(0, 0, 25), fc.constantFrom(undefined, undefined, 40), fc.array(actionArb, { minLength: 20, maxLength: 140 }), (latencyMs, staleAfterMs, actions) => {
          runSpot(latencyMs, staleAfterMs, actions.filter(keep), tally);
        }),
        { seed, numRuns: 120 },
      );
    }
    // Thousands of inputs, and every kind of event the model predicts among them.
    expect(tally.inputs).toBeGreaterThan(10_000);
    for (const kind of ['FILL', 'TRIGGERED', 'CANCELED OCO_SIBLING_FILLED', 'CANCELED OCO_SIBLING_TRIGGERED', 'CANCELED CANCELED_BY_USER', 'CANCELED ACCOUNT_RESET', 'CANCEL_REJECTED', 'EXPIRED WOULD_TAKE', 'REJECTED WOULD_TAKE']) expect(tally.has(kind), kind).toBe(true);
  };
  it('agrees with the model event for event over random placements, lists, stops, cancels, prints, stale and unsynced books', () => {
    property((a) => a.a !== 'restore' && a.a !== 'import-other');
  });
  it('and with snapshot restores and account imports (which rebuild the open-order index) between them', () => {
    property(() => true);
  });
});

describe('spot: 1,200 orders on one bid level', () => {
  it('are each found once by a cancel in random order, and fill in price-time order, with stops triggering behind them', () => {
    // A fixed stream: mostly orders at the best bid from six accounts (some in lists, some in OCO
    // groups shared by name across accounts), stops, then cancels in a scrambled order between prints.
    let state = 0x0088;
    const next = (n: number) => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return (state >>> 8) % n;
    };
    const actions: Action[] = [];
    for (let i = 0; i < 1_200; i += 1) {
      const r = next(100);
      // Account u0 gets about a third of the placements: it reaches the cap of 200 open orders (MAX_NUM_ORDERS).
      if (r < 80) actions.push({ a: 'place', account: next(3) === 0 ? 0 : next(6), price: next(10) < 8 ? 0 : 1, qty: 1 + next(9), group: next(8) - 5, maker: next(2) === 0 });
      else if (r < 88) actions.push({ a: 'list', account: next(3) === 0 ? 0 : next(6), legs: [{ price: 0, qty: 1 + next(9) }, { price: 0, qty: 1 + next(9) }, { price: next(3), qty: 1 + next(9) }], group: next(4) - 1 });
      else if (r < 92) actions.push({ a: 'stop', account: next(6), price: 0, qty: 1 + next(9), group: next(4) - 1 });
      else if (r < 94) actions.push({ a: 'trigger' });
      else if (r < 97) actions.push({ a: 'cancel', pick: next(1 << 30) });
      else actions.push({ a: 'through', qty: 1 + next(30) });
    }
    for (let i = 0; i < 700; i += 1) actions.push(next(12) === 0 ? { a: 'through', qty: 5 + next(60) } : next(40) === 0 ? { a: 'restore' } : { a: 'cancel', pick: next(1 << 30) });
    for (const [latencyMs, staleAfterMs] of [[0, undefined], [25, 40]] as const) {
      const tally = new Tally();
      runSpot(latencyMs, staleAfterMs, actions, tally);
      expect(tally.inputs).toBeGreaterThan(1_500);
      for (const kind of ['FILL', 'TRIGGERED', 'CANCELED OCO_SIBLING_FILLED', 'CANCELED CANCELED_BY_USER', 'REJECTED MAX_NUM_ORDERS']) expect(tally.has(kind), kind).toBe(true);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// The USD-M position limit
// ---------------------------------------------------------------------------------------------

/** 125x allows a position below this notional (USDT; the first of the bundled margin tiers). */
const CAP_125X = Number(USDM.marginTiers![0]!.notionalCap / 10n ** 18n);
const BUY_PRICES = [59_000, 59_300, 59_500, 59_900] as const;
const SELL_PRICES = [60_200, 60_500, 61_000] as const;
const LIMIT_STOP = 60_100; // BUY stop-limits trigger here (a print at 60,100)
const MARKET_STOP = 60_150; // BUY stop-markets, never reached
const USDM_CALM = 60_002;

type LimitAction =
  | { readonly a: 'mine'; readonly kind: 'LIMIT' | 'LIMIT_MAKER' | 'STOP_LOSS_LIMIT' | 'STOP_LOSS'; readonly buy: boolean; readonly price: number; readonly qty: number; readonly reduceOnly: boolean; readonly group: number }
  | { readonly a: 'theirs'; readonly account: number; readonly buy: boolean; readonly price: number; readonly qty: number; readonly stop: boolean; readonly group: number }
  | { readonly a: 'cancel'; readonly pick: number }
  | { readonly a: 'trigger' }
  | { readonly a: 'calm' }
  | { readonly a: 'restore' }
  | { readonly a: 'import-other' };

interface LOrder {
  readonly cid: string;
  readonly buy: boolean;
  readonly conditional: boolean;
  readonly at: number; // the price the limit counts it at: its limit price, else its stop
  readonly qty: number; // thousandths
  readonly reduceOnly: boolean;
  readonly group: string | undefined;
  readonly limitStop: boolean;
  open: boolean;
  triggered: boolean;
}

const limitActionArb: fc.Arbitrary<LimitAction> = fc.oneof(
  { weight: 30, arbitrary: fc.record({ a: fc.constant('mine' as const), kind: fc.constantFrom('LIMIT' as const, 'LIMIT_MAKER' as const, 'STOP_LOSS_LIMIT' as const, 'STOP_LOSS' as const), buy: fc.boolean(), price: fc.nat(3), qty: fc.integer({ min: 2, max: 400 }), reduceOnly: fc.nat(4).map((n) => n === 0), group: fc.integer({ min: -3, max: 1 }) }) },
  { weight: 30, arbitrary: fc.record({ a: fc.constant('theirs' as const), account: fc.nat(9), buy: fc.boolean(), price: fc.nat(3), qty: fc.integer({ min: 2, max: 900 }), stop: fc.boolean(), group: fc.integer({ min: -2, max: 1 }) }) },
  { weight: 14, arbitrary: fc.record({ a: fc.constant('cancel' as const), pick: fc.nat() }) },
  { weight: 5, arbitrary: fc.constant({ a: 'trigger' as const }) },
  { weight: 3, arbitrary: fc.constant({ a: 'calm' as const }) },
  { weight: 4, arbitrary: fc.constant({ a: 'restore' as const }) },
  { weight: 2, arbitrary: fc.constant({ a: 'import-other' as const }) },
);

/**
 * Runs the actions on a USD-M kernel where account `me` (125x, no position: nothing of it ever
 * fills) places and cancels among ten other accounts' orders at the same prices; every event of
 * `me` is predicted: a placement is refused MAX_POSITION_EXCEEDED exactly when its notional plus
 * `me`'s own open non-reduce-only orders of its side reach the 125x cap. Returns the inputs handled.
 */
function runLimit(actions: readonly LimitAction[]): number {
  const config: KernelConfig = { instruments: [USDM], equityIntervalMs: 0 };
  let kernel = new Kernel(config, { rollback: false });
  let time = T0;
  let inputs = 0;
  let made = 0;
  let imports = 0;
  let last = USDM_CALM;
  const mine = new Map<string, LOrder>();
  const placed: string[] = [];
  const handle = (input: KernelInput): string[] => {
    inputs += 1;
    return lines(kernel.handle(input).filter((e) => 'account' in e && e.account === 'me'));
  };
  const others = Array.from({ length: 10 }, (_, i) => `o${i}`);
  kernel.handle({ kind: 'account.open', time, account: 'me', type: 'futures', leverage: 125, balances: { USDT: '1000000' } });
  for (const account of [...others, 'other']) kernel.handle({ kind: 'account.open', time, account, type: 'futures', leverage: 20, balances: { USDT: '10000000' } });
  kernel.handle({ kind: 'book.snapshot', time, symbol: USDM.symbol, lastUpdateId: 1, bids: [['60000.0', '5']], asks: [['60005.0', '5']] });
  let tradeId = 1;
  const print = (price: number): KernelInput => ({ kind: 'trade', time, symbol: USDM.symbol, tradeId: ++tradeId, price: price.toFixed(1), quantity: '0.001', buyerMaker: false });
  handle(print(USDM_CALM));
  // A stop placed while the last print is at or past it would be refused WOULD_TRIGGER_IMMEDIATELY: a print below comes first.
  const calm = () => {
    last = USDM_CALM;
    expect(handle(print(USDM_CALM))).toEqual([]);
  };
  const sum = (buy: boolean) => [...mine.values()].filter((o) => o.open && o.buy === buy && !o.reduceOnly).reduce((s, o) => s + o.qty * o.at, 0);
  for (const action of actions) {
    time += 1;
    switch (action.a) {
      case 'mine': {
        const conditional = action.kind.startsWith('STOP');
        const buy = conditional ? true : action.buy;
        const price = buy ? BUY_PRICES[action.price]! : SELL_PRICES[action.price % SELL_PRICES.length]!;
        const limitStop = action.kind === 'STOP_LOSS_LIMIT';
        const o: LOrder = { cid: `me-${++made}`, buy, conditional, at: action.kind === 'STOP_LOSS' ? MARKET_STOP : price, qty: action.qty, reduceOnly: action.reduceOnly, group: action.group >= 0 ? `g${action.group}` : undefined, limitStop, open: false, triggered: false };
        if (conditional && last >= LIMIT_STOP) calm();
        const input: KernelInput = {
          kind: 'order.place', time, account: 'me', symbol: USDM.symbol, side: buy ? 'BUY' : 'SELL', type: action.kind, quantity: qtyText(o.qty), clientOrderId: o.cid,
          ...(action.kind !== 'STOP_LOSS' ? { price: price.toFixed(1) } : {}),
          ...(conditional ? { stopPrice: (limitStop ? LIMIT_STOP : MARKET_STOP).toFixed(1) } : {}),
          ...(o.reduceOnly ? { reduceOnly: true } : {}),
          ...(o.group !== undefined ? { ocoGroup: o.group } : {}),
        };
        placed.push(o.cid);
        const algo = [...mine.values()].filter((x) => x.open && x.conditional && !x.triggered).length;
        const reach = sum(buy) + o.qty * o.at;
        let expected: string;
        if (conditional && algo >= USDM.maxNumAlgoOrders!) expected = `REJECTED ${o.cid} MAX_NUM_ALGO_ORDERS`;
        else if (o.reduceOnly) expected = `REJECTED ${o.cid} REDUCE_ONLY_REJECTED`; // no position to reduce; never the limit
        else if (reach / 1000 >= CAP_125X) expected = `REJECTED ${o.cid} MAX_POSITION_EXCEEDED`;
        else expected = `NEW ${o.cid}`;
        expect(handle(input), `${o.cid}: own ${sum(buy) / 1000} USDT on the side, this one ${(o.qty * o.at) / 1000}`).toEqual([expected]);
        if (expected.startsWith('NEW')) {
          o.open = true;
          mine.set(o.cid, o);
        }
        break;
      }
      case 'theirs': {
        const buy = action.stop ? true : action.buy;
        const price = buy ? BUY_PRICES[action.price]! : SELL_PRICES[action.price % SELL_PRICES.length]!;
        if (action.stop && last >= LIMIT_STOP) calm();
        const input: KernelInput = {
          kind: 'order.place', time, account: others[action.account]!, symbol: USDM.symbol, side: buy ? 'BUY' : 'SELL', type: action.stop ? 'STOP_LOSS_LIMIT' : 'LIMIT', quantity: qtyText(action.qty), price: price.toFixed(1),
          ...(action.stop ? { stopPrice: LIMIT_STOP.toFixed(1) } : {}),
          ...(action.group >= 0 ? { ocoGroup: `g${action.group}` } : {}),
        };
        expect(handle(input)).toEqual([]);
        break;
      }
      case 'cancel': {
        if (placed.length === 0) break;
        const cid = placed[action.pick % placed.length]!;
        const o = mine.get(cid);
        const open = o !== undefined && o.open;
        expect(handle({ kind: 'order.cancel', time, account: 'me', clientOrderId: cid })).toEqual([open ? `CANCELED ${cid} CANCELED_BY_USER` : `CANCEL_REJECTED ${cid}`]);
        if (open) o.open = false;
        break;
      }
      case 'trigger': {
        // Each untriggered stop-limit, in placement order, triggers and ends its untouched siblings (conditional ones first, then bids best first, then asks).
        const expected: string[] = [];
        for (const o of [...mine.values()]) {
          if (!o.open || !o.limitStop || o.triggered) continue;
          o.triggered = true;
          expected.push(`TRIGGERED ${o.cid}`);
          if (o.group === undefined) continue;
          const sibs = [...mine.values()].filter((x) => x !== o && x.open && x.group === o.group && !(x.conditional && x.triggered));
          const rank = (x: LOrder) => (x.conditional ? 0 : x.buy ? 1 : 2);
          sibs.sort((x, y) => rank(x) - rank(y) || (rank(x) === 1 ? y.at - x.at : rank(x) === 2 ? x.at - y.at : 0) || Number(x.cid.slice(3)) - Number(y.cid.slice(3)));
          for (const s of sibs) {
            s.open = false;
            expected.push(`CANCELED ${s.cid} OCO_SIBLING_TRIGGERED`);
          }
        }
        last = LIMIT_STOP;
        expect(handle(print(LIMIT_STOP))).toEqual(expected);
        break;
      }
      case 'calm':
        calm();
        break;
      case 'restore':
        kernel = Kernel.restore(config, kernel.snapshot(), { rollback: false });
        break;
      case 'import-other':
        expect(handle({ kind: 'account.import', time, document: kernel.exportAccount('other')!, account: `imported${++imports}` })).toEqual([]);
        break;
    }
  }
  expect(kernel.openOrders('me').map((o) => o.clientOrderId).sort()).toEqual([...mine.values()].filter((o) => o.open).map((o) => o.cid).sort());
  kernel.checkInvariants();
  return inputs;
}

describe('USD-M: the position limit sums the account\'s own open orders, whatever else rests', () => {
  const property = (keep: (a: LimitAction) => boolean) => {
    let inputs = 0;
    for (const seed of [0x88, 0x1088]) {
      fc.assert(
        fc.property(fc.array(limitActionArb, { minLength: 10, maxLength: 120 }), (actions) => {
          inputs += runLimit(actions.filter(keep));
        }),
        { seed, numRuns: 250 },
      );
    }
    expect(inputs).toBeGreaterThan(7_000);
  };
  it('refuses MAX_POSITION_EXCEEDED exactly when own orders of the side plus the new one reach the 125x cap', () => {
    property((a) => a.a !== 'restore' && a.a !== 'import-other');
  });
  it('and so after snapshot restores and account imports (which rebuild the open-order index)', () => {
    property(() => true);
  });
});

// ---------------------------------------------------------------------------------------------
// Hand-computed cases
// ---------------------------------------------------------------------------------------------

/** A spot kernel, its account `a` and `other` opened; `synced`: with the book (bid 60,000, ask 60,010) and a print at 60,001. */
function spotKernel(config: Partial<KernelConfig> = {}, synced = true): { kernel: Kernel; config: KernelConfig } {
  const full: KernelConfig = { instruments: [SPOT], equityIntervalMs: 0, ...config };
  const kernel = new Kernel(full, { rollback: false });
  kernel.handle({ kind: 'account.open', time: T0, account: 'a', balances: { USDT: '100000', BTC: '1' } });
  kernel.handle({ kind: 'account.open', time: T0, account: 'other', balances: { USDT: '1' } });
  if (synced) {
    kernel.handle({ kind: 'book.snapshot', time: T0, symbol: SPOT.symbol, lastUpdateId: 1, bids: [['60000.00', '1']], asks: [['60010.00', '1']] });
    kernel.handle({ kind: 'trade', time: T0, symbol: SPOT.symbol, tradeId: 1, price: '60001.00', quantity: '0.001', buyerMaker: false });
  }
  return { kernel, config: full };
}

const spotOrder = (time: number, account: string, clientOrderId: string, side: 'BUY' | 'SELL', type: 'LIMIT' | 'LIMIT_MAKER', price: string, quantity: string, ocoGroup?: string): KernelInput => ({
  kind: 'order.place', time, account, symbol: SPOT.symbol, side, type, price, quantity, clientOrderId, ...(ocoGroup !== undefined ? { ocoGroup } : {}),
});

describe('OCO legs that waited for the book, after a restore or an import (the index is not built while the waiting list is being drained)', () => {
  // Three legs of group g wait for a book: a maker priced to take (it expires when the book comes),
  // a bid and an ask. After a restore (or an import), the book comes and the maker expires first. An
  // index built from the lists at that moment, as it once was on its first read, lacked the bid and
  // the ask, still out of them. When the bid fills, the ask must end (OCO_SIBLING_FILLED) and never fill.
  for (const between of ['restore', 'import'] as const) {
    it(`after ${between === 'restore' ? 'a snapshot restore' : 'an account import'}, the first fill of one leg still ends the other`, () => {
      const made = spotKernel({}, false);
      let kernel = made.kernel;
      const placed = [
        spotOrder(T0, 'a', 'taker', 'BUY', 'LIMIT_MAKER', '60010.00', '0.010', 'g'),
        spotOrder(T0, 'a', 'bid', 'BUY', 'LIMIT', '59990.00', '0.010', 'g'),
        spotOrder(T0, 'a', 'ask', 'SELL', 'LIMIT', '60020.00', '0.010', 'g'),
      ].flatMap((input) => lines(kernel.handle(input)));
      expect(placed).toEqual(['NEW taker', 'NEW bid', 'NEW ask']);
      if (between === 'restore') kernel = Kernel.restore(made.config, kernel.snapshot(), { rollback: false });
      else kernel.handle({ kind: 'account.import', time: T0, document: kernel.exportAccount('other')!, account: 'copy' });
      expect(lines(kernel.handle({ kind: 'book.snapshot', time: T0 + 1, symbol: SPOT.symbol, lastUpdateId: 1, bids: [['60000.00', '1']], asks: [['60010.00', '1']] }))).toEqual(['EXPIRED taker WOULD_TAKE']);
      expect(lines(kernel.handle({ kind: 'trade', time: T0 + 2, symbol: SPOT.symbol, tradeId: 1, price: '59980.00', quantity: '1', buyerMaker: true }))).toEqual(['CANCELED ask OCO_SIBLING_FILLED', 'FILL bid 10@59990']);
      expect(lines(kernel.handle({ kind: 'trade', time: T0 + 3, symbol: SPOT.symbol, tradeId: 2, price: '60030.00', quantity: '1', buyerMaker: false }))).toEqual([]);
      expect(kernel.openOrders('a')).toEqual([]);
    });
  }
});

describe('USD-M position limit after a restore (a stop-limit triggered then is in the index)', () => {
  it('counts a stop-limit that triggered and rests, as the account\'s open order it is', () => {
    const config: KernelConfig = { instruments: [USDM], equityIntervalMs: 0 };
    let kernel = new Kernel(config, { rollback: false });
    kernel.handle({ kind: 'account.open', time: T0, account: 'f', type: 'futures', leverage: 125, balances: { USDT: '100000' } });
    kernel.handle({ kind: 'book.snapshot', time: T0, symbol: USDM.symbol, lastUpdateId: 1, bids: [['60000.0', '5']], asks: [['60005.0', '5']] });
    kernel.handle({ kind: 'trade', time: T0, symbol: USDM.symbol, tradeId: 1, price: '60000.0', quantity: '0.001', buyerMaker: true });
    const place = (clientOrderId: string, fields: Record<string, string>) => lines(kernel.handle({ kind: 'order.place', time: kernel.now, account: 'f', symbol: USDM.symbol, side: 'BUY', clientOrderId, ...fields } as KernelInput));
    // 0.8 BTC at 60,000 once triggered (48,000 USDT), in a group with a small bid.
    expect(place('stop', { type: 'STOP_LOSS_LIMIT', stopPrice: '60100.0', price: '60000.0', quantity: '0.800', ocoGroup: 'g' })).toEqual(['NEW stop']);
    expect(place('sibling', { type: 'LIMIT', price: '59000.0', quantity: '0.002', ocoGroup: 'g' })).toEqual(['NEW sibling']);
    kernel = Kernel.restore(config, kernel.snapshot(), { rollback: false });
    expect(lines(kernel.handle({ kind: 'trade', time: T0 + 1, symbol: USDM.symbol, tradeId: 2, price: '60100.0', quantity: '0.001', buyerMaker: false }))).toEqual(['TRIGGERED stop', 'CANCELED sibling OCO_SIBLING_TRIGGERED']);
    // 48,000 + 0.05 × 59,000 = 50,950 USDT: past what 125x allows (below 50,000).
    expect(place('more', { type: 'LIMIT', price: '59000.0', quantity: '0.050' })).toEqual(['REJECTED more MAX_POSITION_EXCEEDED']);
    // 48,000 + 0.03 × 59,000 = 49,770: within it.
    expect(place('less', { type: 'LIMIT', price: '59000.0', quantity: '0.030' })).toEqual(['NEW less']);
  });
});

describe('OCO legs drained together from the waiting list (each leaves the list only as its turn comes)', () => {
  // Two legs of one group wait for the book; both cross it once it comes. The first to execute acts
  // (fills): the other has not acted and must end, before that fill, not fill as well.
  for (const futures of [false, true]) {
    it(`${futures ? 'USD-M' : 'spot'}: only the first leg fills`, () => {
      const instrument = futures ? USDM : SPOT;
      const kernel = new Kernel({ instruments: [instrument], equityIntervalMs: 0 }, { rollback: false });
      kernel.handle({ kind: 'account.open', time: T0, account: 'a', balances: futures ? { USDT: '100000' } : { USDT: '100000', BTC: '1' }, ...(futures ? { type: 'futures' as const } : {}) });
      const leg = (clientOrderId: string, side: 'BUY' | 'SELL', price: string): KernelInput => ({ kind: 'order.place', time: T0, account: 'a', symbol: instrument.symbol, side, type: 'LIMIT', price, quantity: '0.010', clientOrderId, ocoGroup: 'g' });
      expect([...lines(kernel.handle(leg('buy', 'BUY', '60010.0'))), ...lines(kernel.handle(leg('sell', 'SELL', '59990.0')))]).toEqual(['NEW buy', 'NEW sell']);
      expect(lines(kernel.handle({ kind: 'book.snapshot', time: T0 + 1, symbol: instrument.symbol, lastUpdateId: 1, bids: [['60000.0', '1']], asks: [['60005.0', '1']] }))).toEqual(['CANCELED sell OCO_SIBLING_FILLED', 'FILL buy 10@60005']);
    });
  }
});

describe('account import and the priority of a triggered stop-limit over a later order (older than ADR 0088)', () => {
  // Before `Order.imported`, the copy filled the plain order first: both got the import's arrival,
  // and within one arrival a conditional order ranked last.
  it('the stop that rested first still fills first after export and import', () => {
    const { kernel } = spotKernel();
    kernel.handle({ kind: 'order.place', time: T0, account: 'a', symbol: SPOT.symbol, side: 'BUY', type: 'STOP_LOSS_LIMIT', stopPrice: '60005.00', price: '60000.00', quantity: '0.010', clientOrderId: 'stop' });
    expect(lines(kernel.handle({ kind: 'trade', time: T0 + 1, symbol: SPOT.symbol, tradeId: 2, price: '60005.00', quantity: '0.001', buyerMaker: false }))).toEqual(['TRIGGERED stop']);
    kernel.handle(spotOrder(T0 + 2, 'a', 'plain', 'BUY', 'LIMIT', '60000.00', '0.010'));
    const through = { kind: 'trade', time: T0 + 3, symbol: SPOT.symbol, tradeId: 3, price: '59990.00', quantity: '0.010', buyerMaker: true } as const;
    // In the exporting engine (a twin of it): the stop, resting since its trigger, fills first.
    const twin = Kernel.restore({ instruments: [SPOT], equityIntervalMs: 0 }, kernel.snapshot(), { rollback: false });
    expect(lines(twin.handle(through))).toEqual(['FILL stop 10@60000']);
    const copy = spotKernel().kernel;
    copy.handle({ kind: 'account.import', time: T0 + 2, document: kernel.exportAccount('a')!, account: 'b' });
    // The copy restored from its snapshot, and a third engine importing the copy's export (its
    // orders marked imported): the same priority.
    const restoredCopy = Kernel.restore({ instruments: [SPOT], equityIntervalMs: 0 }, copy.snapshot(), { rollback: false });
    const third = spotKernel().kernel;
    const again = copy.exportAccount('b')!;
    expect((JSON.parse(again) as { orders: { imported?: boolean }[] }).orders.map((o) => o.imported)).toEqual([true, true]);
    third.handle({ kind: 'account.import', time: T0 + 2, document: again, account: 'c' });
    expect(lines(copy.handle(through))).toEqual(['FILL stop 10@60000']);
    expect(lines(restoredCopy.handle(through))).toEqual(['FILL stop 10@60000']);
    expect(lines(third.handle(through))).toEqual(['FILL stop 10@60000']);
  });

  it('a stop-limit triggered in the input a plain order arrives in still ranks behind it', () => {
    // The rule imports no longer fall under: within one input, the orders it brings are on the book
    // before the prints it carries trigger anything.
    // Both placed at T0, the stop first (its id is the lower), both arriving at T0 + 5; the print at
    // T0 + 6 releases both, then triggers the stop.
    const { kernel } = spotKernel({ latencyMs: 5 });
    kernel.handle({ kind: 'order.place', time: T0, account: 'a', symbol: SPOT.symbol, side: 'BUY', type: 'STOP_LOSS_LIMIT', stopPrice: '60005.00', price: '60000.00', quantity: '0.010', clientOrderId: 'stop' });
    kernel.handle(spotOrder(T0, 'a', 'plain', 'BUY', 'LIMIT', '60000.00', '0.010'));
    expect(lines(kernel.handle({ kind: 'trade', time: T0 + 6, symbol: SPOT.symbol, tradeId: 2, price: '60005.00', quantity: '0.001', buyerMaker: false }))).toEqual(['NEW stop', 'NEW plain', 'TRIGGERED stop']);
    expect(lines(kernel.handle({ kind: 'trade', time: T0 + 7, symbol: SPOT.symbol, tradeId: 3, price: '59990.00', quantity: '0.010', buyerMaker: true }))).toEqual(['FILL plain 10@60000']);
  });

  it('a document whose order gives imported as anything but true or false is refused, and changes nothing', () => {
    const { kernel } = spotKernel();
    kernel.handle(spotOrder(T0, 'a', 'plain', 'BUY', 'LIMIT', '60000.00', '0.010'));
    const document = JSON.parse(kernel.exportAccount('a')!) as { orders: object[] };
    const copy = spotKernel().kernel;
    const events = copy.handle({ kind: 'account.import', time: T0 + 2, document: JSON.stringify({ ...document, orders: [{ ...document.orders[0], imported: 'yes' }] }), account: 'b' });
    expect(events.map((e) => e.type)).toEqual(['ACCOUNT_REJECTED']);
    expect(JSON.stringify(events[0])).toContain('orders[0].imported: must be true or false');
    expect(copy.exportAccount('b')).toBeUndefined();
  });
});

describe('an OCO leg that fills ends its siblings in the order of the market\'s lists, waiting list included', () => {
  it('conditional (placement order), bids best first, asks, then the one waiting for a stale book; other accounts\' group of the same name untouched', () => {
    const { kernel: first, config } = spotKernel({ staleAfterMs: 1_000 });
    for (let n = 0; n < 20; n += 1) {
      first.handle({ kind: 'account.open', time: T0, account: `x${n}`, balances: { USDT: '100000', BTC: '1' } });
      for (let o = 0; o < 20; o += 1) {
        const buy = o % 3 !== 0;
        first.handle(spotOrder(T0, `x${n}`, `x${n}-${o}`, buy ? 'BUY' : 'SELL', 'LIMIT', buy ? (o % 2 === 0 ? '59990.00' : '59995.00') : '60020.00', '0.001', 'g'));
      }
    }
    const mine: string[] = [];
    const place = (input: KernelInput) => mine.push(...lines(first.handle(input)));
    place(spotOrder(T0, 'a', 'deep', 'BUY', 'LIMIT', '59990.00', '0.001', 'g'));
    place({ kind: 'order.place', time: T0, account: 'a', symbol: SPOT.symbol, side: 'BUY', type: 'STOP_LOSS_LIMIT', stopPrice: '60005.00', price: '59995.00', quantity: '0.001', clientOrderId: 'stop1', ocoGroup: 'g' });
    place(spotOrder(T0, 'a', 'ask', 'SELL', 'LIMIT', '60020.00', '0.001', 'g'));
    place(spotOrder(T0, 'a', 'mid', 'BUY', 'LIMIT', '59995.00', '0.001', 'g'));
    place(spotOrder(T0, 'a', 'near', 'BUY', 'LIMIT', '60000.00', '0.001', 'g'));
    place({ kind: 'order.place', time: T0, account: 'a', symbol: SPOT.symbol, side: 'BUY', type: 'STOP_LOSS_LIMIT', stopPrice: '60006.00', price: '59990.00', quantity: '0.001', clientOrderId: 'stop2', ocoGroup: 'g' });
    const kernel = Kernel.restore(config, first.snapshot(), { rollback: false });
    // 1.5 s after the book's last update: stale, so this one waits.
    mine.push(...lines(kernel.handle(spotOrder(T0 + 1_500, 'a', 'late', 'BUY', 'LIMIT', '59980.00', '0.001', 'g'))));
    expect(mine).toEqual(['NEW deep', 'NEW stop1', 'NEW ask', 'NEW mid', 'NEW near', 'NEW stop2', 'NEW late']);
    // A print at 59,999 reaches only `near`: a resting order fills on a print whatever the book's age.
    const events = kernel.handle({ kind: 'trade', time: T0 + 1_600, symbol: SPOT.symbol, tradeId: 9, price: '59999.00', quantity: '1', buyerMaker: true });
    expect(lines(events)).toEqual(['CANCELED stop1 OCO_SIBLING_FILLED', 'CANCELED stop2 OCO_SIBLING_FILLED', 'CANCELED mid OCO_SIBLING_FILLED', 'CANCELED deep OCO_SIBLING_FILLED', 'CANCELED ask OCO_SIBLING_FILLED', 'CANCELED late OCO_SIBLING_FILLED', 'FILL near 1@60000']);
    expect(events.filter((e) => 'account' in e && e.account !== 'a')).toEqual([]);
    for (let n = 0; n < 20; n += 1) expect(kernel.openOrders(`x${n}`)).toHaveLength(20);
  });
});

describe('a stop-limit triggered by the input that releases an order rests behind that order', () => {
  it('1,000 orders released in one input, half cancelled in a scrambled order, then a plain order and a stop at the same price: fills follow arrival', () => {
    const config: KernelConfig = { instruments: [SPOT], latencyMs: 25, equityIntervalMs: 0 };
    const kernel = new Kernel(config, { rollback: false });
    const others = Array.from({ length: 10 }, (_, i) => `x${i}`);
    for (const account of ['a', 'b', ...others]) kernel.handle({ kind: 'account.open', time: T0, account, balances: { USDT: '1000000' } });
    kernel.handle({ kind: 'book.snapshot', time: T0, symbol: SPOT.symbol, lastUpdateId: 1, bids: [['60000.00', '1']], asks: [['60010.00', '1']] });
    kernel.handle({ kind: 'trade', time: T0, symbol: SPOT.symbol, tradeId: 1, price: '60001.00', quantity: '0.001', buyerMaker: false });
    // Submitted at T0 in this order (accounts interleaved), all arriving with the clock at T0 + 25: one input, ranked by arrival within it.
    const order: string[] = [];
    for (let i = 0; i < 1_000; i += 1) {
      const account = others[(i * 7) % 10]!;
      order.push(`${account}/${i}`);
      expect(kernel.handle(spotOrder(T0, account, `${i}`, 'BUY', i % 2 === 0 ? 'LIMIT' : 'LIMIT_MAKER', '60000.00', '0.001'))).toEqual([]);
    }
    expect(lines(kernel.handle({ kind: 'clock', time: T0 + 25 }))).toEqual(order.map((o) => `NEW ${o.split('/')[1]}`));
    // Half of them cancelled, in a scrambled order: each found and ended once.
    const cancelled = new Set<string>();
    let time = T0 + 30;
    const arrived: string[] = [];
    for (let k = 0; k < 500; k += 1) {
      const pick = order[(k * 613 + 17) % 1_000]!;
      cancelled.add(pick);
      const [account, cid] = pick.split('/') as [string, string];
      arrived.push(...lines(kernel.handle({ kind: 'order.cancel', time: (time += 1), account, clientOrderId: cid })));
    }
    arrived.push(...lines(kernel.handle({ kind: 'clock', time: (time += 25) })));
    expect(cancelled.size).toBe(500);
    expect(arrived.sort()).toEqual([...cancelled].map((o) => `CANCELED ${o.split('/')[1]} CANCELED_BY_USER`).sort());
    kernel.handle({ kind: 'order.place', time: (time += 1), account: 'a', symbol: SPOT.symbol, side: 'BUY', type: 'STOP_LOSS_LIMIT', stopPrice: '60005.00', price: '60000.00', quantity: '0.005', clientOrderId: 'stop' });
    expect(lines(kernel.handle({ kind: 'clock', time: (time += 25) }))).toEqual(['NEW stop']);
    // The plain order arrives at T + 25; the print at T + 26 releases it first, then triggers the stop (placed earlier: a smaller id).
    const t = (time += 1);
    kernel.handle(spotOrder(t, 'b', 'plain', 'BUY', 'LIMIT', '60000.00', '0.003'));
    expect(lines(kernel.handle({ kind: 'trade', time: t + 26, symbol: SPOT.symbol, tradeId: 2, price: '60005.00', quantity: '0.001', buyerMaker: false }))).toEqual(['NEW plain', 'TRIGGERED stop']);
    const left = order.filter((o) => !cancelled.has(o));
    const through = kernel.handle({ kind: 'trade', time: t + 30, symbol: SPOT.symbol, tradeId: 3, price: '59985.00', quantity: ((left.length + 3) / 1000).toFixed(3), buyerMaker: true });
    expect(lines(through)).toEqual([...left.map((o) => `FILL ${o.split('/')[1]} 1@60000`), 'FILL plain 3@60000']);
    expect(through.filter((e) => e.type === 'FILL').map((e) => ('account' in e ? e.account : ''))).toEqual([...left.map((o) => o.split('/')[0]), 'b']);
    expect(lines(kernel.handle({ kind: 'trade', time: t + 31, symbol: SPOT.symbol, tradeId: 4, price: '59985.00', quantity: '1', buyerMaker: true }))).toEqual(['FILL stop 5@60000']);
    kernel.checkInvariants();
  });
});
