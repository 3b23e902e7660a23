import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { FillEvent, KernelEvent } from '../kernel/events.js';
import type { PlaceOrderInput } from '../kernel/inputs.js';
import { Kernel } from '../kernel/kernel.js';
import { formatFixed } from '../money/fixed.js';
import { instrumentForRecording, replayInputs } from '../../market-data/replay-session.js';
import { SPOT_RECORDING } from '../../test-kit/data-paths.js';
import { loadRecording } from '../../test-kit/recording-stepper.js';

/**
 * The whole bundled spot recording with many paper orders at once (stops both ways, market takers
 * from many accounts, resting limits at the touch), judged by a model of ADR 0026's rules that
 * reads the recording's own files (depth snapshot, depth updates, trades) and nothing of the
 * engine: not its reader, book, synchronizer or view. The kernel is driven by `replayInputs`, as
 * `papertrade replay` drives it; the judge checks first that every market input it is handed is
 * the next raw row in the recorder's arrival order, then follows the market from its own rows.
 *
 * What the judge holds the engine to:
 * 1. A stop is triggered by the first print after it was placed that reaches its stop price, and
 *    every fill of it is at or worse than that print (a sell at or below, a buy at or above).
 * 2. Every paper fill that takes displayed liquidity (takers, triggered stops, resting orders a
 *    crossing book fills) fits in what is free at the level: the size the exchange last stated,
 *    less real volume printed there since, less what paper took and real prints have not retired;
 *    nothing at a level a print went through (until the level is stated again). A statement of
 *    size S leaves at most S of paper's take standing (a restatement gives nothing back). Taker
 *    walks are exact: best free level first, each level emptied before the next.
 * 3. A resting order's queue starts at the size its level displays when it arrives and never
 *    exceeds what the level later displays; a print at its price by an aggressor on the other side
 *    shortens it, unless the print is stamped at or before the exchange time of the depth update
 *    that last dated the level (the latest update stating it, or the latest update of the book
 *    when the order arrived): that update's size already holds it. The engine's queue is compared
 *    with the judge's before and after every such print, and such a print fills nothing there.
 */

const DIR = SPOT_RECORDING;
const SCALE = 8;

/** A decimal string as an integer count of 1e-8 (the recording's own precision). */
function units(text: string): bigint {
  const [whole, frac = ''] = text.split('.');
  const negative = whole!.startsWith('-');
  const v = BigInt(whole!.replace('-', '') + frac.padEnd(SCALE, '0').slice(0, SCALE));
  return negative ? -v : v;
}
const show = (v: bigint): string => {
  const s = v.toString().padStart(SCALE + 1, '0');
  return `${s.slice(0, -SCALE)}.${s.slice(-SCALE)}`;
};

type Side = 'bid' | 'ask';
type RawDelta = { kind: 'delta'; local: bigint; E: number; U: number; u: number; b: Array<[bigint, bigint]>; a: Array<[bigint, bigint]> };
type RawTrade = { kind: 'trade'; local: bigint; id: number; price: bigint; qty: bigint; T: number; buyerMaker: boolean };
type RawSnapshot = { kind: 'snapshot'; local: bigint; lastUpdateId: number; bids: [string, string][]; asks: [string, string][] };
type Raw = RawDelta | RawTrade | RawSnapshot;

const rawCache = new Map<string, Raw[]>();

function readRaw(dir: string): Raw[] {
  const cached = rawCache.get(dir);
  if (cached !== undefined) return cached;
  const localOf = (line: string) => BigInt(/"local_ts_ns"\s*:\s*(\d+)/.exec(line)![1]!);
  const snapshotText = readFileSync(`${dir}/depth_snapshot.json`, 'utf8');
  const snap = JSON.parse(snapshotText) as { lastUpdateId: number; bids: [string, string][]; asks: [string, string][] };
  const rows: Raw[] = [{ kind: 'snapshot', local: localOf(snapshotText), lastUpdateId: snap.lastUpdateId, bids: snap.bids, asks: snap.asks }];
  for (const line of gunzipSync(readFileSync(`${dir}/depth_updates.jsonl.gz`)).toString('utf8').split('\n')) {
    if (line.trim() === '') continue;
    const j = JSON.parse(line) as { E: number; U: number; u: number; b: [string, string][]; a: [string, string][] };
    const levels = (list: [string, string][]) => list.map(([p, q]): [bigint, bigint] => [units(p), units(q)]);
    rows.push({ kind: 'delta', local: localOf(line), E: j.E, U: j.U, u: j.u, b: levels(j.b), a: levels(j.a) });
  }
  const lines = gunzipSync(readFileSync(`${dir}/trades.csv.gz`)).toString('utf8').split(/\r?\n/);
  const header = lines[0]!.split(',');
  const at = (name: string) => header.indexOf(name);
  for (const line of lines.slice(1)) {
    if (line.trim() === '') continue;
    const f = line.split(',');
    rows.push({ kind: 'trade', local: BigInt(f[at('local_ts_ns')]!), id: Number(f[at('trade_id')]), price: units(f[at('price')]!), qty: units(f[at('qty')]!), T: Number(f[at('trade_time_ms')]), buyerMaker: f[at('is_buyer_maker')] === 'true' });
  }
  // Arrival order; at one arrival time the snapshot, then depth, then trades.
  const rank = { snapshot: 0, delta: 1, trade: 2 } as const;
  rows.sort((x, y) => (x.local < y.local ? -1 : x.local > y.local ? 1 : rank[x.kind] - rank[y.kind]));
  rawCache.set(dir, rows);
  return rows;
}

/** The exchange's book as Binance documents the rebuild: snapshot, then deltas with u > lastUpdateId. */
class RawBook {
  readonly levels = { bid: new Map<bigint, bigint>(), ask: new Map<bigint, bigint>() };
  lastUpdateId: number | undefined;
  /** Exchange time of the latest applied delta. */
  lastE: number | undefined;

  snapshot(s: RawSnapshot): void {
    for (const side of ['bid', 'ask'] as const) {
      this.levels[side].clear();
      for (const [p, q] of side === 'bid' ? s.bids : s.asks) if (units(q) > 0n) this.levels[side].set(units(p), units(q));
    }
    this.lastUpdateId = s.lastUpdateId;
  }

  /** The levels the delta stated, or undefined when it is dropped (before the snapshot, or already in it). */
  apply(d: RawDelta): Array<[Side, bigint, bigint]> | undefined {
    if (this.lastUpdateId === undefined || d.u <= this.lastUpdateId) return undefined;
    const stated: Array<[Side, bigint, bigint]> = [];
    for (const [side, list] of [['bid', d.b], ['ask', d.a]] as const) {
      for (const [price, size] of list) {
        if (size === 0n) this.levels[side].delete(price);
        else this.levels[side].set(price, size);
        stated.push([side, price, size]);
      }
    }
    this.lastUpdateId = d.u;
    this.lastE = d.E;
    return stated;
  }

  size(side: Side, price: bigint): bigint {
    return this.levels[side].get(price) ?? 0n;
  }

  /** Prices of a side, best first. */
  sorted(side: Side): bigint[] {
    return [...this.levels[side].keys()].sort((x, y) => (side === 'bid' ? (x > y ? -1 : 1) : x < y ? -1 : 1));
  }
}

/** What paper may take per level, kept from the raw rows (rule 2 above). */
class FreeLiquidity {
  private readonly traded = { bid: new Map<bigint, bigint>(), ask: new Map<bigint, bigint>() };
  private readonly claim = { bid: new Map<bigint, bigint>(), ask: new Map<bigint, bigint>() };
  private readonly gone = { bid: new Set<bigint>(), ask: new Set<bigint>() };

  constructor(private readonly book: RawBook) {}

  free(side: Side, price: bigint): bigint {
    if (this.gone[side].has(price)) return 0n;
    const left = this.book.size(side, price) - (this.traded[side].get(price) ?? 0n) - (this.claim[side].get(price) ?? 0n);
    return left > 0n ? left : 0n;
  }

  stated(side: Side, price: bigint, size: bigint): void {
    this.traded[side].delete(price);
    const claim = this.gone[side].has(price) ? 0n : this.claim[side].get(price) ?? 0n;
    this.gone[side].delete(price);
    if (claim > size) this.claim[side].set(price, size);
    else if (claim > 0n) this.claim[side].set(price, claim);
    else this.claim[side].delete(price);
  }

  restatedAll(): void {
    for (const side of ['bid', 'ask'] as const) {
      for (const price of new Set([...this.claim[side].keys(), ...this.gone[side], ...this.traded[side].keys()])) this.stated(side, price, this.book.size(side, price));
    }
  }

  /** A print on `side` at `price`: better levels are gone; at the price, real volume retires paper's take first. */
  printed(side: Side, price: bigint, qty: bigint): void {
    for (const level of this.book.levels[side].keys()) if (side === 'bid' ? level > price : level < price) this.gone[side].add(level);
    const claim = this.claim[side].get(price) ?? 0n;
    if (claim > 0n) this.claim[side].set(price, claim > qty ? claim - qty : 0n);
    this.traded[side].set(price, (this.traded[side].get(price) ?? 0n) + qty);
  }

  take(side: Side, price: bigint, qty: bigint): void {
    this.claim[side].set(price, (this.claim[side].get(price) ?? 0n) + qty);
  }

  /** Free levels best first, up to `limit` when given. */
  ladder(side: Side, limit?: bigint): Array<[bigint, bigint]> {
    const out: Array<[bigint, bigint]> = [];
    for (const price of this.book.sorted(side)) {
      if (limit !== undefined && (side === 'ask' ? price > limit : price < limit)) break;
      const f = this.free(side, price);
      if (f > 0n) out.push([price, f]);
    }
    return out;
  }
}

type Order = Omit<PlaceOrderInput, 'kind' | 'symbol'> & { clientOrderId: string };

/** Best bid and ask at each of `times` (the book after the last row stamped at or before it), from the raw rows. */
function touchAt(raw: readonly Raw[], times: readonly number[]): Map<number, { bid: bigint; ask: bigint }> {
  const book = new RawBook();
  const out = new Map<number, { bid: bigint; ask: bigint }>();
  const pending = [...times].sort((x, y) => x - y);
  for (const row of raw) {
    if (row.kind === 'snapshot') book.snapshot(row);
    if (row.kind !== 'delta') continue;
    if (book.apply(row) === undefined) continue;
    while (pending.length > 0 && row.E > pending[0]!) {
      out.set(pending.shift()!, { bid: book.sorted('bid')[0]!, ask: book.sorted('ask')[0]! });
    }
  }
  return out;
}

interface Judged {
  readonly fillsOf: Map<string, FillEvent[]>;
  /** clientOrderId → the trade id whose input triggered it. */
  readonly triggeredBy: Map<string, number>;
  readonly counts: { stopFills: number; takes: number; crossFills: number; queueChecks: number; heldPrints: number; queueMoves: number };
}

/**
 * Replays the recording with `orders` (as `papertrade replay` merges them) and `lateOrders` (placed
 * right after the depth update whose u is the key), asserting rules 1–3 at every input.
 */
function judgeRun(raw: readonly Raw[], orders: readonly Order[], lateOrders: ReadonlyMap<number, Order> = new Map()): Judged {
  const recording = loadRecording(DIR);
  const fillsOf = new Map<string, FillEvent[]>();
  const engine = new Kernel({ instruments: [instrumentForRecording(recording)] });
  const kernel = {
    handle: (input: Parameters<Kernel['handle']>[0]) => {
      const events = engine.handle(input);
      for (const e of events) if (e.type === 'FILL') fillsOf.set(e.clientOrderId, [...(fillsOf.get(e.clientOrderId) ?? []), e]);
      return events;
    },
    openOrders: (account: string) => engine.openOrders(account),
    checkInvariants: () => engine.checkInvariants(),
  };
  const commands = [...orders].sort((x, y) => x.time - y.time).map((o): PlaceOrderInput => ({ kind: 'order.place', symbol: 'BTCUSDT', ...o }));
  const byClientId = new Map(orders.map((o) => [o.clientOrderId, o]));

  const book = new RawBook();
  const view = new FreeLiquidity(book);
  let cursor = 0;
  const placedAt = new Map<string, number>(); // clientOrderId → position in the raw rows when placed
  // Rule 3: per resting order, the judge's queue; per side and price, the exchange time that dates the level.
  const queues = new Map<string, { side: Side; price: bigint; queue: bigint }>();
  const datedAt = { bid: new Map<bigint, number>(), ask: new Map<bigint, number>() };
  const triggeredBy = new Map<string, number>();
  const counts = { stopFills: 0, takes: 0, crossFills: 0, queueChecks: 0, heldPrints: 0, queueMoves: 0 };

  const engineQueue = (clientOrderId: string): bigint | undefined => {
    const o = kernel.openOrders(byClientId.get(clientOrderId)!.account).find((x) => x.clientOrderId === clientOrderId);
    return o === undefined || o.price === undefined ? undefined : units(formatFixed(o.queueAhead));
  };
  const restingAt = (side: Side, price: bigint) => [...queues.entries()].filter(([, q]) => q.side === side && q.price === price);
  const tracked = { bid: new Set<bigint>(), ask: new Set<bigint>() };
  const track = (id: string, q: { side: Side; price: bigint; queue: bigint }) => {
    queues.set(id, q);
    tracked[q.side].add(q.price);
  };
  /** Orders that closed in these events leave the judge's queues; a level with none left loses its date. */
  const dropClosed = (events: readonly KernelEvent[]) => {
    for (const e of events) {
      const id = 'clientOrderId' in e ? e.clientOrderId : undefined;
      if (id === undefined || !queues.has(id) || !['FILL', 'ORDER_CANCELED', 'ORDER_EXPIRED'].includes(e.type)) continue;
      if (engineQueue(id) !== undefined) continue;
      const { side, price } = queues.get(id)!;
      queues.delete(id);
      if (restingAt(side, price).length === 0) {
        tracked[side].delete(price);
        datedAt[side].delete(price);
      }
    }
  };

  /** Judges the fills of one input that take displayed liquidity: exact best-first walks for takers, a bound for crosses. */
  const judgeTakes = (events: readonly KernelEvent[], context: string) => {
    const fills = events.filter((e): e is FillEvent => e.type === 'FILL');
    const takers = new Map<string, FillEvent[]>();
    for (const f of fills) if (f.liquidity === 'TAKER') takers.set(f.clientOrderId, [...(takers.get(f.clientOrderId) ?? []), f]);
    for (const [id, slices] of takers) {
      const side: Side = slices[0]!.side === 'BUY' ? 'ask' : 'bid';
      const order = byClientId.get(id)!;
      const limit = order.type === 'LIMIT' || order.type === 'STOP_LOSS_LIMIT' ? units(order.price!) : undefined;
      const ladder = view.ladder(side, limit);
      slices.forEach((slice, k) => {
        const [price, free] = ladder[k] ?? [undefined, 0n];
        const q = units(slice.quantity);
        expect(units(slice.price), `${context}: ${id} slice ${k} took ${slice.price}, the best free level is ${price === undefined ? 'none' : show(price)}`).toBe(price);
        if (k < slices.length - 1) expect(q, `${context}: ${id} took ${slice.quantity} at ${slice.price} where ${show(free)} was free, then went on to the next level`).toBe(free);
        else expect(q <= free, `${context}: ${id} took ${slice.quantity} at ${slice.price} where ${show(free)} was free`).toBe(true);
        view.take(side, price!, q);
        counts.takes += 1;
      });
    }
    for (const f of fills) {
      if (f.liquidity !== 'MAKER' || !context.startsWith('depth')) continue;
      // A crossing book: the resting order took the crossing levels best first, at its own price.
      const side: Side = f.side === 'BUY' ? 'ask' : 'bid';
      let left = units(f.quantity);
      const total = view.ladder(side, units(f.price)).reduce((sum, [, free]) => sum + free, 0n);
      expect(left <= total, `${context}: ${f.clientOrderId} crossed for ${f.quantity} where ${show(total)} was free`).toBe(true);
      for (const [price, free] of view.ladder(side, units(f.price))) {
        if (left === 0n) break;
        const q = free < left ? free : left;
        view.take(side, price, q);
        left -= q;
      }
      counts.crossFills += 1;
    }
  };

  const balances = { USDT: '100000000', BTC: '1000' };
  const place = (input: PlaceOrderInput) => {
    placedAt.set(input.clientOrderId!, cursor);
    const events = kernel.handle(input);
    judgeTakes(events, `order ${input.clientOrderId}`);
    if (input.type !== 'LIMIT') return;
    const queue = engineQueue(input.clientOrderId!);
    if (queue === undefined) return;
    const side: Side = input.side === 'BUY' ? 'bid' : 'ask';
    const price = units(input.price!);
    const own = { side, price, queue: book.size(side, price) };
    expect(queue, `${input.clientOrderId}: queue on arrival`).toBe(own.queue);
    track(input.clientOrderId!, own);
    datedAt[side].set(price, book.lastE!);
  };

  for (const input of replayInputs(recording, commands, balances)) {
    if (input.kind === 'account.open') {
      kernel.handle(input);
      continue;
    }
    if (input.kind === 'order.place') {
      place(input);
      continue;
    }
    // A market input: it must be the next raw row.
    const row = raw[cursor]!;
    cursor += 1;
    if (input.kind === 'book.snapshot') {
      expect(row).toMatchObject({ kind: 'snapshot', lastUpdateId: input.lastUpdateId });
      book.snapshot(row as RawSnapshot);
      view.restatedAll();
      judgeTakes(kernel.handle(input), 'depth snapshot');
      continue;
    }
    if (input.kind === 'book.delta') {
      expect(row).toMatchObject({ kind: 'delta', U: input.firstUpdateId, u: input.finalUpdateId, E: input.time });
      const stated = book.apply(row as RawDelta);
      for (const [side, price, size] of stated ?? []) {
        view.stated(side, price, size);
        if (!tracked[side].has(price)) continue;
        for (const [, q] of restingAt(side, price)) if (q.queue > size) q.queue = size;
        datedAt[side].set(price, (row as RawDelta).E);
      }
      const events = kernel.handle(input);
      judgeTakes(events, `depth ${input.finalUpdateId}`);
      dropClosed(events);
      const late = lateOrders.get(input.finalUpdateId);
      if (late !== undefined) {
        kernel.handle({ kind: 'account.open', time: input.time, account: late.account, balances });
        byClientId.set(late.clientOrderId, late);
        place({ kind: 'order.place', symbol: 'BTCUSDT', ...late, time: input.time });
      }
      continue;
    }
    if (input.kind !== 'trade') throw new Error(`unexpected input ${input.kind}`);
    expect(row).toMatchObject({ kind: 'trade', id: input.tradeId });
    const trade = row as RawTrade;
    const hit: Side = trade.buyerMaker ? 'bid' : 'ask';
    // Rule 3, before: the engine's queues at the print's price equal the judge's.
    const here = tracked[hit].has(trade.price) ? restingAt(hit, trade.price) : [];
    const held = datedAt[hit].has(trade.price) && trade.T <= datedAt[hit].get(trade.price)!;
    for (const [id, q] of here) {
      expect(engineQueue(id), `${id}: queue before trade ${trade.id}`).toBe(q.queue);
      counts.queueChecks += 1;
    }
    const events = kernel.handle(input);
    // Rule 1: a print that reaches a waiting stop's price triggers it here.
    const triggered = events.filter((e) => e.type === 'ORDER_TRIGGERED').map((e) => (e as { clientOrderId: string }).clientOrderId);
    for (const id of triggered) {
      triggeredBy.set(id, trade.id);
      const order = byClientId.get(id)!;
      const stop = units(order.stopPrice!);
      const first = raw.slice(placedAt.get(id)!, cursor).find((r): r is RawTrade => r.kind === 'trade' && (order.side === 'SELL' ? r.price <= stop : r.price >= stop));
      expect(first?.id, `${id} triggered by trade ${trade.id}`).toBe(trade.id);
    }
    for (const id of triggered) {
      const queue = engineQueue(id);
      if (queue === undefined || byClientId.get(id)!.type !== 'STOP_LOSS_LIMIT') continue;
      const order = byClientId.get(id)!;
      const side: Side = order.side === 'BUY' ? 'bid' : 'ask';
      const price = units(order.price!);
      expect(queue, `${id}: queue when it came to rest`).toBe(book.size(side, price));
      track(id, { side, price, queue });
      datedAt[side].set(price, book.lastE!);
    }
    // The print's market effect comes first: resting orders it reaches fill on its volume.
    const makerHere = events.filter((e): e is FillEvent => e.type === 'FILL' && e.liquidity === 'MAKER' && units(e.price) === trade.price);
    for (const [id, q] of here) {
      const before = q.queue;
      if (!held) q.queue = before > trade.qty ? before - trade.qty : 0n;
      const mine = makerHere.filter((f) => f.clientOrderId === id).reduce((sum, f) => sum + units(f.quantity), 0n);
      const excess = held ? 0n : trade.qty > before ? trade.qty - before : 0n;
      expect(mine <= excess, `${id}: filled ${show(mine)} on trade ${trade.id} (T=${trade.T}) with ${show(excess)} past its queue${held ? ', a print the depth already held' : ''}`).toBe(true);
      if (held) counts.heldPrints += 1;
      else if (q.queue !== before) counts.queueMoves += 1;
    }
    view.printed(hit, trade.price, trade.qty);
    // Takers the print triggered meet the book after it.
    judgeTakes(
      events.filter((e) => e.type === 'FILL' && (e as FillEvent).liquidity === 'TAKER'),
      `trade ${trade.id}`,
    );
    for (const [id, q] of here) {
      const after = engineQueue(id);
      if (after !== undefined) expect(after, `${id}: queue after trade ${trade.id}`).toBe(q.queue);
    }
    dropClosed(events);
  }
  expect(cursor).toBe(raw.length);
  kernel.checkInvariants();

  // Rule 1 over every stop: each fill at or worse than the first print after placement that reached it.
  for (const order of orders.filter((o) => o.stopPrice !== undefined)) {
    const stop = units(order.stopPrice!);
    const sell = order.side === 'SELL';
    const from = placedAt.get(order.clientOrderId)!;
    const print = raw.slice(from).find((r): r is RawTrade => r.kind === 'trade' && (sell ? r.price <= stop : r.price >= stop));
    const own = fillsOf.get(order.clientOrderId) ?? [];
    if (print === undefined) {
      expect(own, order.clientOrderId).toEqual([]);
      continue;
    }
    for (const fill of own) {
      const price = units(fill.price);
      expect(sell ? price <= print.price : price >= print.price, `${order.clientOrderId} filled at ${fill.price}, its print ${show(print.price)}`).toBe(true);
      counts.stopFills += 1;
    }
  }

  return { fillsOf, triggeredBy, counts };
}

describe('the whole spot recording with many paper orders, judged from the raw files', () => {
  it('stops fill no better than their triggering print, no displayed liquidity is used twice, no queue moves on a trade the depth already held', () => {
    const raw = readRaw(DIR);
    const tick = units('0.01');

    const orders: Order[] = [];
    for (let i = 0; i < 23; i += 1) {
      const stop = units('61600') + units('10') * BigInt(i);
      const time = 1723161300000 + i * 1000;
      orders.push({ time, account: `s${i}`, side: 'SELL', type: 'STOP_LOSS', quantity: '0.05', stopPrice: show(stop), clientOrderId: `sell-stop-${i}` });
      orders.push({ time, account: `s${i}`, side: 'SELL', type: 'STOP_LOSS_LIMIT', quantity: '0.02', stopPrice: show(stop), price: show(stop - units('30')), clientOrderId: `sell-stop-limit-${i}` });
    }
    for (let i = 0; i < 12; i += 1) {
      const stop = units('61780') + units('10') * BigInt(i);
      orders.push({ time: 1723161280000 + i * 500, account: `b${i}`, side: 'BUY', type: 'STOP_LOSS', quantity: '0.05', stopPrice: show(stop), clientOrderId: `buy-stop-${i}` });
    }
    orders.push({ time: 1723161300000, account: 'bl', side: 'BUY', type: 'STOP_LOSS_LIMIT', quantity: '0.01', stopPrice: '61850.00', price: '61860.00', clientOrderId: 'buy-stop-limit' });
    for (let i = 0; i < 100; i += 1) {
      const time = 1723161262000 + i * 3_300;
      const side = i % 3 === 2 ? 'SELL' : 'BUY';
      orders.push({ time, account: `t${i % 4}`, side, type: 'MARKET', quantity: i % 5 === 0 ? '3.5' : '0.9', clientOrderId: `taker-${i}` });
      orders.push({ time: time + 40, account: `u${i % 3}`, side, type: 'MARKET', quantity: '1.3', clientOrderId: `taker-late-${i}` });
    }
    for (const [account, time, quantity] of [['x', 1723161400000, '4.70563'], ['y', 1723161400300, '1'], ['z', 1723161400500, '4.70563']] as const) {
      orders.push({ time, account, side: 'BUY', type: 'MARKET', quantity, clientOrderId: `market-${account}` });
    }
    orders.push({ time: 1723161309718, account: 'c', side: 'BUY', type: 'MARKET', quantity: '0.01', clientOrderId: 'market-c' });
    // Resting limits, one account each, at the touch or a tick or two from it, over the whole tape.
    const restTimes = Array.from({ length: 48 }, (_, i) => 1723161265000 + i * 11_700);
    const touch = touchAt(raw, restTimes);
    restTimes.forEach((time, i) => {
      const side = i % 2 === 0 ? 'BUY' : 'SELL';
      const best = side === 'BUY' ? touch.get(time)!.bid : touch.get(time)!.ask;
      const away = BigInt(i % 3) * tick;
      const price = side === 'BUY' ? best - away : best + away;
      orders.push({ time, account: `r${i}`, side, type: 'LIMIT', quantity: i % 4 < 2 ? '0.8' : '2.5', price: show(price), clientOrderId: `rest-${i}` });
    });

    // Orders that arrive right after a depth update, before trades it already holds (stamped at or
    // before its E, at a level it stated, on the side they hit) arrive: as a live order may.
    const lateOrders = new Map<number, Order>();
    {
      const applied = new RawBook();
      let lastLate = 0;
      raw.forEach((row, i) => {
        if (row.kind === 'snapshot') applied.snapshot(row);
        if (row.kind !== 'delta' || applied.apply(row) === undefined || row.E < lastLate + 8_000) return;
        const next = raw[i + 1];
        if (next?.kind !== 'trade' || next.T > row.E) return;
        const hit: Side = next.buyerMaker ? 'bid' : 'ask';
        const stated = (hit === 'bid' ? row.b : row.a).find(([p, q]) => p === next.price && q > 0n);
        if (stated === undefined) return;
        lastLate = row.E;
        const n = lateOrders.size;
        lateOrders.set(row.u, { time: row.E, account: `late${n}`, side: hit === 'bid' ? 'BUY' : 'SELL', type: 'LIMIT', quantity: n % 2 === 0 ? '0.5' : '1.5', price: show(next.price), clientOrderId: `late-${n}` });
      });
    }
    const { counts } = judgeRun(raw, orders, lateOrders);
    expect(counts.stopFills).toBeGreaterThan(40);
    expect(counts.takes).toBeGreaterThan(400);
    expect(counts.crossFills).toBeGreaterThan(5);
    expect(counts.queueChecks).toBeGreaterThan(100);
    expect(counts.heldPrints).toBeGreaterThan(10);
    expect(counts.queueMoves).toBeGreaterThan(20);
  });
});

describe("the issue's examples, judged from the raw files", () => {
  const raw = readRaw(DIR);
  const trade = (id: number) => raw.find((r): r is RawTrade => r.kind === 'trade' && r.id === id)!;
  const fills = (judged: Judged, id: string) => (judged.fillsOf.get(id) ?? []).map((f) => [f.price, f.quantity]);

  it('a sell stop at 61650 placed at 1723161300000 fills at its triggering print, 61650.00, not 61686.03', () => {
    // From the rows: the first print at or below 61650.00 after 1723161300000 is trade 3735688993,
    // 0.00159 at 61650.00 (T=1723161502330), a seller's sweep from 61687.71; every bid above it was
    // printed through, and 0.03808 − 0.00159 = 0.03649 remain at 61650.00 for the stop's 0.01.
    const print = raw.find((r): r is RawTrade => r.kind === 'trade' && r.T > 1723161300000 && r.price <= units('61650'))!;
    expect([print.id, show(print.price), show(print.qty), print.T]).toEqual([3735688993, '61650.00000000', '0.00159000', 1723161502330]);
    const judged = judgeRun(raw, [{ time: 1723161300000, account: 'a', side: 'SELL', type: 'STOP_LOSS', quantity: '0.01', stopPrice: '61650.00', clientOrderId: 'stop' }]);
    expect(judged.triggeredBy.get('stop')).toBe(3735688993);
    expect(fills(judged, 'stop')).toEqual([['61650', '0.01']]);
    expect(units('61686.03') > trade(3735688993).price).toBe(true);
  });

  it('a buy stop-limit 61850/61860 and a market buy at 1723161309718 pay 61850.00, the print that lifted every ask below it', () => {
    // Trade 3735684443, 0.00105 at 61850.00 (T=1723161309718), is the first print at or above 61850
    // after 1723161300000; asks under it were lifted, and 0.26284 − 0.00105 = 0.26179 remain at 61850.00.
    const print = raw.find((r): r is RawTrade => r.kind === 'trade' && r.T > 1723161300000 && r.price >= units('61850'))!;
    expect([print.id, show(print.price), print.T]).toEqual([3735684443, '61850.00000000', 1723161309718]);
    const judged = judgeRun(raw, [
      { time: 1723161300000, account: 'b', side: 'BUY', type: 'STOP_LOSS_LIMIT', quantity: '0.01', stopPrice: '61850.00', price: '61860.00', clientOrderId: 'stop-limit' },
      { time: 1723161309718, account: 'c', side: 'BUY', type: 'MARKET', quantity: '0.01', clientOrderId: 'market' },
    ]);
    expect(judged.triggeredBy.get('stop-limit')).toBe(3735684443);
    expect(fills(judged, 'stop-limit')).toEqual([['61850', '0.01']]);
    expect(fills(judged, 'market')).toEqual([['61850', '0.01']]);
  });

  it('x, y and z buy at market around a restatement of 4.70563 at 61747.28: z never takes it again', () => {
    // Ask 61747.28 is stated at 4.70563 (E=1723161399876) and restated at 4.70563 (E=1723161400476)
    // with no print at 61747.28 in between: x's take stands; y and z walk the asks above it.
    const restated = raw.filter((r): r is RawDelta => r.kind === 'delta' && r.E >= 1723161399800 && r.E <= 1723161400500 && r.a.some(([p]) => p === units('61747.28')));
    expect(restated.map((d) => [d.E, show(d.a.find(([p]) => p === units('61747.28'))![1])])).toEqual([
      [1723161399876, '4.70563000'],
      [1723161400476, '4.70563000'],
    ]);
    expect(raw.some((r) => r.kind === 'trade' && r.T >= 1723161399876 && r.T <= 1723161400600 && r.price === units('61747.28'))).toBe(false);
    const judged = judgeRun(raw, [
      { time: 1723161400000, account: 'x', side: 'BUY', type: 'MARKET', quantity: '4.70563', clientOrderId: 'x' },
      { time: 1723161400300, account: 'y', side: 'BUY', type: 'MARKET', quantity: '1', clientOrderId: 'y' },
      { time: 1723161400500, account: 'z', side: 'BUY', type: 'MARKET', quantity: '4.70563', clientOrderId: 'z' },
    ]);
    expect(fills(judged, 'x')).toEqual([['61747.28', '4.70563']]);
    for (const id of ['y', 'z']) {
      const own = fills(judged, id);
      expect(own.reduce((sum, [, q]) => sum + units(q!), 0n), id).toBe(units(id === 'y' ? '1' : '4.70563'));
      expect(own.filter(([p]) => p === '61747.28'), id).toEqual([]);
    }
  });
});
