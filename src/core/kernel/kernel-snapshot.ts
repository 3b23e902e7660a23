/**
 * The kernel's state as one JSON document, for snapshots and restarts.
 *
 * Guarantees: `decodeState(encodeState(s))` gives back `s` exactly, bigints included (encoded as
 * `{"$n":"…"}`, an object no input or event ever contains); encoding is deterministic, because every
 * collection is written in its insertion order and restored in the same order.
 */
import { SpotAccount, type AssetLedger, type Balance, type FeeSchedule } from '../accounts/spot-account.js';
import { FuturesAccount, type FuturesLedger } from '../accounts/futures-account.js';
import { DrawdownTracker } from '../accounts/metrics.js';
import type { Account, HealthState } from './account-health.js';
import type { KernelState } from './kernel-state.js';
import type { MarginMode, Position } from '../accounts/position.js';
import type { SynchronizerState } from '../book/book-synchronizer.js';
import type { Fixed } from '../money/fixed.js';
import type { AveragePriceState } from '../matching/average-price.js';
import type { LevelUseEntry } from '../matching/book-view.js';
import type { Order, Side } from '../orders/order.js';
import { isOpenStatus } from '../orders/order-status.js';
import type { OrderCommandInput } from './inputs.js';

export const SNAPSHOT_VERSION = 1;

export interface MarketState {
  readonly symbol: string;
  readonly sync: SynchronizerState;
  /** The book view's level uses: [side, price, paper, traded, swept]; older snapshots hold [side, price, paper]. */
  readonly own: readonly LevelUseEntry[];
  readonly resting: readonly string[];
  readonly waiting: readonly string[];
  readonly conditionals: readonly string[];
  readonly mark: Fixed | undefined;
  readonly markFromInput: boolean;
  readonly lastTradePrice: string | undefined;
  /** Exchange time of the last book update applied; absent in older snapshots (the book counts as fresh). */
  readonly lastBookAt?: number;
  /** Exchange time of the latest book update applied (dates new queues, ADR 0026); absent in older snapshots. */
  readonly bookStatedAt?: number;
  /** Present and true while the book is a quote derived from trade prints (ADR 0041). */
  readonly tradesOnly?: boolean;
  /** Present while a bar paused (pauseOnFill) waits for its resume. */
  readonly barPause?: { readonly time: number; readonly leg: 1 | 2 | 3; readonly price: Fixed; readonly bar?: string; readonly first?: Fixed };
  /** Where paper orders rest: [side, price, exchange time of the latest update stating the level]; absent in older snapshots. */
  readonly queueStatedAt?: ReadonlyArray<readonly [Side, Fixed, number]>;
  /** Absent in snapshots written before the price bands: the average starts afresh. */
  readonly averagePrice?: AveragePriceState;
}

export type AccountState =
  | { readonly kind: 'spot'; readonly id: string; readonly fees: FeeSchedule; readonly balances: [string, Balance][]; readonly ledger: [string, AssetLedger][] }
  | {
      readonly kind: 'futures';
      readonly id: string;
      readonly fees: FeeSchedule;
      readonly settleAsset: string;
      readonly marginMode: MarginMode;
      readonly defaultLeverage: number;
      readonly cash: Fixed;
      readonly reserved: Fixed;
      readonly positions: Position[];
      readonly leverage: [string, number][];
      readonly ledger: FuturesLedger;
      readonly positionSeq: number;
    };

export interface HealthSnapshot {
  readonly tracker: readonly [Fixed, Fixed, Fixed, Fixed] | undefined;
  readonly limit: Fixed | undefined;
  readonly closeOnHalt: boolean;
  readonly halted: boolean;
  readonly lastEquity: Fixed;
  /** Exchange time of the account's last change; absent in older snapshots and in account documents. */
  readonly changedAt?: number;
  /** Present when a sample waits for a price (HealthState.awaitingPrice, awaitingPriceSince); never in account documents. */
  readonly awaitingPrice?: true;
  readonly awaitingPriceSince?: number;
  /** Present once the account's wait for a price is over (HealthState.priceWaitOver); never in account documents. */
  readonly priceWaitOver?: true;
}

export interface KernelSnapshot {
  readonly version: number;
  /** The kernel configuration's fingerprint; restoring under another one is refused. */
  readonly config: string;
  readonly clock: number;
  readonly started: boolean;
  readonly sequence: number;
  readonly orderSeq: number;
  readonly tradeSeq: number;
  readonly nextSampleAt: number;
  readonly nextFundingAt: number;
  readonly markets: readonly MarketState[];
  readonly accounts: readonly AccountState[];
  readonly health: ReadonlyArray<readonly [string, HealthSnapshot]>;
  readonly orders: readonly Order[];
  readonly clientIds: ReadonlyArray<readonly [string, ReadonlyArray<readonly [string, string]>]>;
  readonly pending: ReadonlyArray<{ readonly arrivesAt: number; readonly seq: number; readonly input: OrderCommandInput }>;
  /** Closed futures accounts' last position numbers (KernelState.positionSeqs); absent when there are none and in older snapshots. */
  readonly positionSeqs?: ReadonlyArray<readonly [string, number]>;
}

/**
 * JSON with bigints as `{"$n":"…"}`: the text `JSON.stringify` gives with a replacer that boxes
 * each bigint, byte for byte. The bigints are boxed by a walk that copies only the objects and
 * arrays on a path to one, then the copy goes through `JSON.stringify` without a replacer: a
 * replacer is a call per value and keeps V8 off its fast serializer, which a book of thousands of
 * levels paid in every snapshot (ADR 0036, 2026-12-02).
 */
function stringify(value: unknown, indent?: number): string {
  return JSON.stringify(boxed(value, ''), undefined, indent);
}

/** `value` with every bigint in it as `{ $n: text }`, and each `toJSON` applied as JSON.stringify would; shares what holds none. */
function boxed(value: unknown, key: string): unknown {
  if (typeof value === 'bigint') return { $n: value.toString() };
  if (value === null || typeof value !== 'object') return value;
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return boxed((value as { toJSON(key: string): unknown }).toJSON(key), key);
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i += 1) {
      const item: unknown = value[i];
      const out = boxed(item, String(i));
      if (out !== item) (copy ??= value.slice())[i] = out;
    }
    return copy ?? value;
  }
  let copy: Record<string, unknown> | undefined;
  for (const k of Object.keys(value)) {
    const item = (value as Record<string, unknown>)[k];
    const out = boxed(item, k);
    if (out !== item) (copy ??= { ...(value as Record<string, unknown>) })[k] = out;
  }
  return copy ?? value;
}

/** The inverse of `stringify`: every object whose one key is `$n` becomes a bigint, as a reviver would make it, by a walk after a plain `JSON.parse`. */
function parse(text: string): unknown {
  return unboxed(JSON.parse(text) as unknown);
}

function unboxed(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i += 1) {
      const item: unknown = value[i];
      if (item !== null && typeof item === 'object') value[i] = unboxed(item);
    }
    return value;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  for (const k of keys) {
    const item = record[k];
    if (item !== null && typeof item === 'object') record[k] = unboxed(item);
  }
  if (keys.length === 1 && keys[0] === '$n') return BigInt(record.$n as string);
  return value;
}

export function encodeState(state: KernelSnapshot): string {
  return stringify(state);
}

export function decodeState(text: string): KernelSnapshot {
  const state = parse(text) as KernelSnapshot;
  if (state.version !== SNAPSHOT_VERSION) throw new Error(`snapshot version ${String(state.version)} is not ${SNAPSHOT_VERSION}`);
  return state;
}

export const ACCOUNT_DOCUMENT_FORMAT = 'papertrade.account';

/** One account, exported: its state, health, its open orders with where they wait, and their client ids. */
export interface AccountDocument {
  readonly format: typeof ACCOUNT_DOCUMENT_FORMAT;
  readonly version: number;
  readonly exportedAt: number;
  readonly account: AccountState;
  readonly health: HealthSnapshot;
  readonly orders: readonly Order[];
  /** Open orders only: order id → where it waits. */
  readonly placements: Readonly<Record<string, 'resting' | 'waiting' | 'conditional'>>;
  readonly clientIds: ReadonlyArray<readonly [string, string]>;
}

export function encodeDocument(document: AccountDocument): string {
  return stringify(document, 2);
}

/** A document's JSON, bigints restored; its shape is checked by account-document-check.ts. */
export function parseDocument(text: unknown): unknown {
  if (typeof text !== 'string') throw new Error('a document is JSON text');
  return parse(text);
}

export function decodeDocument(text: string): AccountDocument {
  const document = parse(text) as AccountDocument | null;
  if (document?.format !== ACCOUNT_DOCUMENT_FORMAT || document.version !== 1) throw new Error(`not a ${ACCOUNT_DOCUMENT_FORMAT} version 1 document`);
  return document;
}

/** The whole state as one deterministic JSON document. */
export function snapshotOf(s: KernelState): string {
  const ids = (orders: readonly Order[]) => orders.map((o) => o.id);
  return encodeState({
    version: SNAPSHOT_VERSION,
    config: s.fingerprint,
    clock: s.clock,
    started: s.started,
    sequence: s.sequence,
    orderSeq: s.orderSeq,
    tradeSeq: s.tradeSeq,
    nextSampleAt: s.nextSampleAt,
    nextFundingAt: s.nextFundingAt,
    markets: [...s.markets.values()].map((m) => ({
      symbol: m.instrument.symbol,
      sync: m.sync.exportState(),
      own: m.view.entries(),
      resting: ids([...m.bids.all(), ...m.asks.all()]),
      waiting: ids(m.waiting),
      conditionals: ids(m.conditionals),
      mark: m.mark,
      markFromInput: m.markFromInput,
      lastTradePrice: m.lastTradePrice,
      ...(m.lastBookAt !== undefined ? { lastBookAt: m.lastBookAt } : {}),
      ...(m.bookStatedAt !== undefined ? { bookStatedAt: m.bookStatedAt } : {}),
      ...(m.tradesOnly ? { tradesOnly: true } : {}),
      ...(m.barPause !== undefined ? { barPause: m.barPause } : {}),
      queueStatedAt: (['BUY', 'SELL'] as const).flatMap((side) => [...m.resting(side).statedAt].map(([price, at]) => [side, price, at] as const)),
      averagePrice: m.averagePrice.exportState(),
    })),
    accounts: [...s.accountsById.values()].map(accountToState),
    health: [...s.health].map(([id, h]) => [id, healthToSnapshot(h)]),
    orders: [...s.ordersById.values()].filter((o) => isOpenStatus(o.status)),
    clientIds: [...s.clientIds].map(([account, map]) => [account, [...map].filter(([, id]) => isOpen(s.ordersById.get(id)))]),
    pending: s.pending,
    ...(s.positionSeqs.size > 0 ? { positionSeqs: [...s.positionSeqs] } : {}),
  });
}

/** A snapshot cannot be restored under this configuration (other instruments, latency, …). */
export class SnapshotConfigError extends Error {
  override readonly name = 'SnapshotConfigError';
  constructor(
    readonly snapshotConfig: string,
    readonly currentConfig: string,
  ) {
    super(`snapshot taken under another configuration:\n  snapshot: ${snapshotConfig}\n  now:      ${currentConfig}`);
  }
}

/** Puts a fresh state (same configuration) into exactly the state `snapshotOf` recorded. */
export function restoreInto(s: KernelState, snapshot: string): void {
  const state = decodeState(snapshot);
  if (state.config !== s.fingerprint) throw new SnapshotConfigError(state.config, s.fingerprint);
  Object.assign(s, {
    clock: state.clock, started: state.started, sequence: state.sequence, orderSeq: state.orderSeq,
    tradeSeq: state.tradeSeq, nextSampleAt: state.nextSampleAt, nextFundingAt: state.nextFundingAt,
  });
  // Snapshots written before closed orders left the kernel hold them too: they are skipped.
  for (const order of state.orders) if (isOpenStatus(order.status)) s.ordersById.set(order.id, withFeeState(order));
  const order = (id: string): Order => s.ordersById.get(id) ?? fail(`snapshot names unknown order ${id}`);
  for (const m of state.markets) {
    const market = s.markets.get(m.symbol) ?? fail(`snapshot has market ${m.symbol}, which is not configured`);
    market.sync.importState(m.sync);
    market.view.restore(m.own);
    for (const id of m.resting) market.resting(order(id).side).insert(order(id));
    market.waiting.push(...m.waiting.map(order));
    market.conditionals.push(...m.conditionals.map(order));
    market.mark = m.mark;
    market.markFromInput = m.markFromInput;
    market.lastTradePrice = m.lastTradePrice;
    market.lastBookAt = m.lastBookAt;
    market.bookStatedAt = m.bookStatedAt;
    market.tradesOnly = m.tradesOnly === true;
    market.barPause = m.barPause;
    for (const [side, price, at] of m.queueStatedAt ?? []) market.resting(side).statedAt.set(price, at);
    if (m.averagePrice !== undefined) market.averagePrice.importState(m.averagePrice);
  }
  for (const a of state.accounts) s.accountsById.set(a.id, accountFromState(a));
  for (const [id, h] of state.health) s.health.set(id, healthFromSnapshot(h));
  for (const [account, entries] of state.clientIds) s.clientIds.set(account, new Map(entries.filter(([, id]) => s.ordersById.has(id))));
  s.pending.push(...state.pending);
  for (const [id, seq] of state.positionSeqs ?? []) s.positionSeqs.set(id, seq);
  s.rebuildIndexes();
  s.recomputeNextExpireTime();
}

export function accountToState(a: Account): AccountState {
  return a.kind === 'spot'
    ? { kind: 'spot', id: a.id, fees: a.fees, ...a.exportState() }
    : {
        kind: 'futures', id: a.id, fees: a.fees, settleAsset: a.settleAsset, marginMode: a.marginMode, defaultLeverage: a.defaultLeverage,
        cash: a.cash, reserved: a.reserved, positions: [...a.positions.values()], leverage: [...a.leverage], ledger: a.ledger, positionSeq: a.positionSeq,
      };
}

export function accountFromState(a: AccountState): Account {
  if (a.kind === 'spot') {
    const spot = new SpotAccount(a.id, a.fees);
    spot.importState(a);
    return spot;
  }
  const futures = new FuturesAccount(a.id, a.settleAsset, a.marginMode, a.fees, a.defaultLeverage);
  Object.assign(futures, { cash: a.cash, reserved: a.reserved, positionSeq: a.positionSeq });
  Object.assign(futures.ledger, a.ledger);
  for (const p of a.positions) futures.positions.set(p.symbol, { ...p });
  for (const [symbol, leverage] of a.leverage) futures.leverage.set(symbol, leverage);
  return futures;
}

export function healthToSnapshot(h: HealthState): HealthSnapshot {
  return { tracker: h.tracker?.exportState(), limit: h.limit, closeOnHalt: h.closeOnHalt, halted: h.halted, lastEquity: h.lastEquity, ...(h.changedAt !== undefined ? { changedAt: h.changedAt } : {}), ...(h.awaitingPrice === true ? { awaitingPrice: true } : {}), ...(h.awaitingPriceSince !== undefined ? { awaitingPriceSince: h.awaitingPriceSince } : {}), ...(h.priceWaitOver === true ? { priceWaitOver: true } : {}) };
}

export function healthFromSnapshot(h: HealthSnapshot): HealthState {
  return { tracker: h.tracker && DrawdownTracker.fromState(h.tracker), limit: h.limit, closeOnHalt: h.closeOnHalt, halted: h.halted, lastEquity: h.lastEquity, ...(h.changedAt !== undefined ? { changedAt: h.changedAt } : {}), ...(h.awaitingPrice === true ? { awaitingPrice: true } : {}), ...(h.awaitingPriceSince !== undefined ? { awaitingPriceSince: h.awaitingPriceSince } : {}), ...(h.priceWaitOver === true ? { priceWaitOver: true } : {}) };
}

/**
 * An order as stored, its fields in the order `placeOrder` creates them: a field that was undefined
 * is absent from the JSON, and set again later (a trailing stop's peak and trigger) it would
 * otherwise come last, so a restored kernel would serialize its state differently from one that
 * never restored. Snapshots and documents written before the fee model kept no fee state: such an
 * order starts its rounding afresh (its reservation still covers its remainder's fees).
 * `imported`: whether the copy carries `Order.imported` (default: as `o` does; an import decides it).
 */
export function withFeeState(o: Order, imported: boolean = o.imported === true): Order {
  const stored = o as Order & { feeExact?: bigint; feeCharged?: bigint };
  return {
    id: o.id,
    clientOrderId: o.clientOrderId,
    account: o.account,
    symbol: o.symbol,
    side: o.side,
    type: o.type,
    price: o.price,
    quantity: o.quantity,
    quoteOrderQty: o.quoteOrderQty,
    submittedAt: o.submittedAt,
    arrivesAt: o.arrivesAt,
    arrivalSeq: o.arrivalSeq,
    ...(imported ? { imported: true as const } : {}),
    status: o.status,
    executedQty: o.executedQty,
    cumulativeQuoteQty: o.cumulativeQuoteQty,
    locked: o.locked,
    lockedAsset: o.lockedAsset,
    queueAhead: o.queueAhead,
    updatedAt: o.updatedAt,
    leverage: o.leverage,
    reduceOnly: o.reduceOnly,
    stopPrice: o.stopPrice,
    activationPrice: o.activationPrice,
    callbackRate: o.callbackRate,
    trailPeak: o.trailPeak,
    triggered: o.triggered,
    triggeredAt: o.triggeredAt,
    ocoGroup: o.ocoGroup,
    ...(o.bracket !== undefined ? { bracket: o.bracket } : {}),
    ...(o.maxSlippage !== undefined ? { maxSlippage: o.maxSlippage } : {}),
    ...(o.triggerSource !== undefined ? { triggerSource: o.triggerSource } : {}),
    ...(o.expireTime !== undefined ? { expireTime: o.expireTime } : {}),
    feeExact: stored.feeExact ?? 0n,
    feeCharged: stored.feeCharged ?? 0n,
    // Set after creation (a trailing stop's activation, then a waiting order reaching the book): last, in
    // that order, as on an order that never restored.
    ...(o.activatedAt !== undefined ? { activatedAt: o.activatedAt } : {}),
    ...(o.workingTime !== undefined ? { workingTime: o.workingTime } : {}),
  };
}

function isOpen(order: Order | undefined): boolean {
  return order !== undefined && isOpenStatus(order.status);
}

function fail(message: string): never {
  throw new Error(message);
}
