/**
 * Everything the kernel remembers, in one place, so that the kernel's concerns (sequencing, account
 * commands, order commands, snapshots) can live in their own modules and share it.
 *
 * Only the kernel and its modules touch this; the edges see the kernel's read-only queries.
 */
import { fundingRateProblem } from '../accounts/funding-rate-bound.js';
import type { FuturesAccount } from '../accounts/futures-account.js';
import type { Instrument } from '../instruments/instrument.js';
import { formatFixed, parseFixed, type Fixed } from '../money/fixed.js';
import { Market } from '../matching/market.js';
import type { MatchingEngine } from '../matching/matching-engine.js';
import type { Settlement } from '../matching/settlement.js';
import type { Order } from '../orders/order.js';
import { isOpenStatus } from '../orders/order-status.js';
import { HealthMap, type Account } from './account-health.js';
import { DeferredBalance } from './deferred-balance.js';
import type { KernelEvent } from './events.js';
import type { OrderCommandInput } from './inputs.js';

export interface KernelConfig {
  readonly instruments: readonly Instrument[];
  /** Delay between a command's submission and its arrival at the venue, in event-time ms. */
  readonly latencyMs?: number;
  /** The tape conditional orders trigger on: last trade price (default) or mark price. */
  readonly triggerSource?: 'last' | 'mark';
  /** Equity sampling interval in ms (default 60,000; 0 turns sampling off). */
  readonly equityIntervalMs?: number;
  /** The asset equity is measured in (default USDT). */
  readonly valuationAsset?: string;
  /**
   * A book with no update for longer than this (exchange time of the inputs, ms) is stale: orders
   * arriving or triggering then wait as on an unsynced book. Undefined (default): books never go stale.
   */
  readonly staleAfterMs?: number;
  /** Funding for perpetuals: interval (default 8 h, epoch-aligned: 00:00, 08:00, 16:00 UTC) and rates per symbol. */
  readonly funding?: { readonly intervalMs?: number; readonly rates?: Readonly<Record<string, string>> };
  /**
   * Value every account at every price move, as accounts with a drawdown limit always are, so that
   * each account's drawdown (`Kernel.drawdown`) includes the troughs between equity samples, such
   * as a bar's low on a long (ADR 0042, 2026-12-02). Default false: only accounts with a limit are
   * valued on each move (O(1) per move otherwise). EQUITY events' drawdown fields follow it.
   */
  readonly equityEveryStep?: boolean;
}

export interface PendingCommand {
  readonly arrivesAt: number;
  readonly seq: number;
  readonly input: OrderCommandInput;
}

const EIGHT_HOURS = 8 * 60 * 60 * 1000;

const balanceTexts = (free: Fixed, locked: Fixed) => ({ free: formatFixed(free), locked: formatFixed(locked) });
const deferredBalance = (free: Fixed, locked: Fixed) => new DeferredBalance(free, locked);
const EMPTY: readonly Order[] = Object.freeze([]);

function indexOpen(index: Map<string, Map<string, Order[]>>, order: Order): void {
  let bySymbol = index.get(order.account);
  if (bySymbol === undefined) index.set(order.account, (bySymbol = new Map()));
  const list = bySymbol.get(order.symbol);
  if (list === undefined) bySymbol.set(order.symbol, [order]);
  else list.push(order);
}

/** What the kernel's command modules work with. */
export interface KernelCore {
  readonly s: KernelState;
  readonly engine: MatchingEngine;
  sampleEquity(accountId: string): void;
}

export class KernelState {
  clock = 0;
  started = false;
  sequence = 0;
  orderSeq = 0;
  tradeSeq = 0;
  nextSampleAt = 0;
  nextFundingAt = 0;
  readonly latencyMs: number;
  readonly staleAfterMs: number | undefined;
  readonly triggerSource: 'last' | 'mark';
  readonly equityIntervalMs: number;
  readonly equityEveryStep: boolean;
  readonly valuationAsset: string;
  readonly fundingIntervalMs: number;
  readonly fundingRates = new Map<string, Fixed>();
  readonly markets = new Map<string, Market>();
  readonly accountsById = new Map<string, Account>();
  readonly health = new HealthMap();
  readonly ordersById = new Map<string, Order>();
  /** account → clientOrderId → latest order id with it. */
  readonly clientIds = new Map<string, Map<string, string>>();
  /** account → symbol → its settlement; rebuilt on demand. */
  readonly settlements = new Map<string, Map<string, Settlement>>();
  readonly pending: PendingCommand[] = [];
  /**
   * Closed futures accounts → the number of their last position: an account opened again under the
   * same id numbers its positions on from there, so that no position id names two positions.
   */
  readonly positionSeqs = new Map<string, number>();
  /**
   * The earliest `expireTime` of a waiting conditional order (Infinity: none), so that the clock's
   * advance looks for expiries only when one is due. Derived from the orders, not snapshotted:
   * placements lower it, `recomputeNextExpireTime` sets it after a restore or an import.
   */
  nextExpireTime = Number.POSITIVE_INFINITY;
  /** Events of the input being handled. */
  out: KernelEvent[] = [];
  /** What the kernel's behaviour depends on; a snapshot only restores under the same. */
  readonly fingerprint: string;

  constructor(config: KernelConfig) {
    const latency = config.latencyMs ?? 0;
    if (!Number.isSafeInteger(latency) || latency < 0) throw new RangeError(`latency must be a whole number of ms ≥ 0, got ${latency}`);
    this.latencyMs = latency;
    if (config.staleAfterMs !== undefined && (!Number.isSafeInteger(config.staleAfterMs) || config.staleAfterMs <= 0)) throw new RangeError(`staleAfterMs must be a whole number of ms > 0, got ${config.staleAfterMs}`);
    this.staleAfterMs = config.staleAfterMs;
    this.triggerSource = config.triggerSource ?? 'last';
    this.equityIntervalMs = config.equityIntervalMs ?? 60_000;
    this.equityEveryStep = config.equityEveryStep === true;
    this.valuationAsset = config.valuationAsset ?? 'USDT';
    this.fundingIntervalMs = config.funding?.intervalMs ?? EIGHT_HOURS;
    if (!Number.isSafeInteger(this.fundingIntervalMs) || this.fundingIntervalMs <= 0) throw new RangeError('funding interval must be a positive number of ms');
    for (const instrument of config.instruments) {
      if (this.markets.has(instrument.symbol)) throw new Error(`instrument ${instrument.symbol} is configured twice`);
      this.markets.set(instrument.symbol, new Market(instrument));
    }
    for (const [symbol, rate] of Object.entries(config.funding?.rates ?? {})) {
      if (this.markets.get(symbol)?.instrument.market !== 'perpetual') throw new Error(`funding rate for ${symbol}, which is not a configured perpetual`);
      const problem = fundingRateProblem(parseFixed(rate));
      if (problem !== undefined) throw new RangeError(`${symbol}: ${problem}`);
      this.fundingRates.set(symbol, parseFixed(rate));
    }
    this.fingerprint = JSON.stringify({
      instruments: config.instruments.map((i) => `${i.exchange}:${i.market}:${i.symbol}`),
      latencyMs: this.latencyMs,
      triggerSource: this.triggerSource,
      equityIntervalMs: this.equityIntervalMs,
      // Only when set, so that the fingerprints of databases made before it stay the same.
      ...(this.equityEveryStep ? { equityEveryStep: true } : {}),
      valuationAsset: this.valuationAsset,
      fundingIntervalMs: this.fundingIntervalMs,
      fundingRates: [...this.fundingRates].map(([symbol, rate]) => `${symbol}=${formatFixed(rate)}`),
      // staleAfterMs is left out, as fee rates are (ADR 0013): databases created before it existed
      // still open, and a live service may change it between starts (ADR 0026).
    });
  }

  /** `nextExpireTime` from the markets' waiting conditional orders. */
  recomputeNextExpireTime(): void {
    let next = Number.POSITIVE_INFINITY;
    for (const market of this.markets.values()) {
      for (const order of market.conditionals) if (order.expireTime !== undefined && order.expireTime < next) next = order.expireTime;
    }
    this.nextExpireTime = next;
  }

  emit(event: KernelEvent): void {
    this.out.push(event);
  }

  market(symbol: string): Market {
    const market = this.markets.get(symbol);
    if (market === undefined) throw new Error(`market data for an unconfigured symbol: ${symbol}`);
    return market;
  }

  *futuresAccounts(): Generator<FuturesAccount> {
    for (const account of this.accountsById.values()) if (account.kind === 'futures') yield account;
  }

  /**
   * Per account and symbol, its orders in that market's lists (resting, waiting, conditional) and,
   * since the index was built, every order placed there; closed ones are dropped when the list is
   * next read. Empty with the state; built again from the lists by `rebuildIndexes` once orders have
   * entered them another way (a restore, an import), while every open order is in them. Never built
   * in the middle of an input: an order may then be out of every list for a moment (the waiting list
   * being drained, a stop triggering), and an index built then would miss it for good.
   */
  private openIndex = new Map<string, Map<string, Order[]>>();

  /**
   * The account's open orders on `symbol` (what the lists of that market hold for it), in no
   * particular order. The index's own list, compacted in place: read it before the next input
   * changes any order, never keep or change it.
   */
  openOrdersOn(accountId: string, symbol: string): readonly Order[] {
    const list = this.openIndexOn(accountId, symbol);
    if (list === undefined) return EMPTY;
    let kept = 0;
    for (const order of list) if (isOpenStatus(order.status)) list[kept++] = order;
    if (kept !== list.length) list.length = kept;
    return list;
  }

  /**
   * The index's own list behind `openOrdersOn`, before its compaction: it may still hold orders
   * closed since it was last read. For a walk that drops them in place as it reads (as `openOrdersOn`
   * does), so that one walk does both (order-commands.ts `openOrderCountsOn`).
   */
  openIndexOn(accountId: string, symbol: string): Order[] | undefined {
    return this.openIndex.get(accountId)?.get(symbol);
  }

  /** A newly placed order (open or already closed). */
  trackPlaced(order: Order): void {
    if (isOpenStatus(order.status)) indexOpen(this.openIndex, order);
  }

  /**
   * After orders entered `ordersById` or the markets' lists another way (a restore, an import), once
   * every open order is in its market's lists: the open index is built from the lists now, the
   * per-account one on its next use.
   */
  rebuildIndexes(): void {
    this.ordersIndex = undefined;
    const index = new Map<string, Map<string, Order[]>>();
    for (const market of this.markets.values()) {
      for (const list of [market.bids.all(), market.asks.all(), market.waiting, market.conditionals]) {
        for (const order of list) indexOpen(index, order);
      }
    }
    this.openIndex = index;
  }

  /** Per account, its orders in the order of `ordersById`; built on first use, then kept by `addOrder`/`removeOrder`. */
  private ordersIndex: Map<string, Order[]> | undefined;

  /** Every order of the account the kernel holds, oldest first. */
  orders(accountId: string): Order[] {
    if (this.ordersIndex === undefined) {
      this.ordersIndex = new Map();
      for (const order of this.ordersById.values()) {
        const list = this.ordersIndex.get(order.account);
        if (list === undefined) this.ordersIndex.set(order.account, [order]);
        else list.push(order);
      }
    }
    return [...(this.ordersIndex.get(accountId) ?? [])];
  }

  /** A new order, with an id above every other. */
  addOrder(order: Order): void {
    this.ordersById.set(order.id, order);
    if (this.ordersIndex === undefined) return;
    const list = this.ordersIndex.get(order.account);
    if (list === undefined) this.ordersIndex.set(order.account, [order]);
    else list.push(order);
  }

  /**
   * Drops the orders the last input closed, with their place in the account's index and their
   * clientOrderId entry: called when the next input starts, so that whoever reads the last input's
   * events still finds their terms in the kernel. Closed orders live in the read tables.
   * The last input's events name every order it closed; an import names its account, whose
   * imported closed orders go too.
   */
  dropClosed(): void {
    for (const event of this.out) {
      if ('orderId' in event && typeof event.orderId === 'string') {
        const order = this.ordersById.get(event.orderId);
        if (order !== undefined && !isOpenStatus(order.status)) this.dropOrder(order);
      } else if (event.type === 'ACCOUNT_IMPORTED') {
        for (const order of this.orders(event.account)) if (!isOpenStatus(order.status)) this.dropOrder(order);
      }
    }
  }

  private dropOrder(order: Order): void {
    this.ordersById.delete(order.id);
    const list = this.ordersIndex?.get(order.account);
    if (list !== undefined) {
      const at = list.indexOf(order);
      if (at >= 0) list.splice(at, 1);
    }
    const ids = this.clientIds.get(order.account);
    if (ids?.get(order.clientOrderId) === order.id) ids.delete(order.clientOrderId);
  }

  /** Takes back the order `addOrder` just added (a placement the engine refused). */
  removeLastOrder(order: Order): void {
    this.ordersById.delete(order.id);
    const list = this.ordersIndex?.get(order.account);
    if (list !== undefined && list[list.length - 1] === order) list.pop();
    else this.ordersIndex = undefined;
  }

  /** Balances as decimal strings, assets sorted (futures: `locked` is the margin in use). */
  balances(accountId: string): Record<string, { free: string; locked: string }> | undefined {
    return this.balancesAs(accountId, balanceTexts);
  }

  /** `balances` whose texts are written when first read (`DeferredBalance`). */
  deferredBalances(accountId: string): Record<string, DeferredBalance> | undefined {
    return this.balancesAs(accountId, deferredBalance);
  }

  /** The account's free and locked amount of each asset, assets sorted, each pair as `make` states it. */
  private balancesAs<T>(accountId: string, make: (free: Fixed, locked: Fixed) => T): Record<string, T> | undefined {
    const account = this.accountsById.get(accountId);
    if (account === undefined) return undefined;
    if (account.kind === 'futures') return { [account.settleAsset]: make(account.cash, account.marginUsed()) };
    const out: Record<string, T> = {};
    for (const asset of account.assets()) {
      const b = account.balance(asset);
      out[asset] = make(b.free, b.locked);
    }
    return out;
  }

  /** Free balances only, for account events. */
  flatBalances(accountId: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [asset, b] of Object.entries(this.balances(accountId) ?? {})) out[asset] = b.free;
    return out;
  }
}
