/**
 * The live side of the read port (account-read-port.ts): every read comes from the venue, through
 * ccxt, with the account's own keys (LiveExecutionService.venueRead: the same retries, error
 * mapping and per-account halt as orders).
 *
 * Guarantees:
 * - an account reads only what the venue shows for its own keys; without keys the answer is
 *   EXCHANGE_CREDENTIALS_MISSING, halted it is EXCHANGE_AUTH_FAILED (its summary says `halted`
 *   and why, without contacting the venue);
 * - answers are cached per account and query for `cacheMs` (default 2,000 ms: MEXC allows 20
 *   signed requests/s per endpoint) and dropped when the account places or cancels an order, so
 *   a read after a write sees it (an answer to a read sent before the write is not kept);
 *   `asOf` is when the venue answered;
 * - amounts stay decimal strings (MEXC's raw fields) and are summed in fixed point;
 * - equity is valued in USDT: each balance × its `<ASSET>USDT` last price on the venue; null when
 *   a held asset has no such ticker. The equity curve is the equity this process read, oldest first.
 * Not modelled: history beyond what one venue page returns per symbol (MEXC: 1,000 orders, 100
 * trades); futures positions, leverage and funding are read with ccxt's unified calls and
 * shaped minimally.
 */
import type { Exchange, Order as CcxtOrder, Trade as CcxtTrade } from 'ccxt';
import { realizedPnlByFill } from '../core/accounts/realized-pnl-view.js';
import { formatFixed, mul, parseFixed } from '../core/money/fixed.js';
import { extend } from '../core/objects.js';
import type { AccountMessage, AccountReadPort, AccountSummary, FillQuery, FuturesAccountFigures, FuturesPositionFigures, HistoryQuery, LedgerView, LeverageView, OrderRow, ReadResult, TimeRange, TradeRow, TradeRowWithPnl, VenueFill } from './account-read-port.js';
import { ccxtBalancesToView, ccxtOrderToView, ccxtTradeToFill, decimal, exchangeSymbolOf } from './ccxt-mapping.js';
import type { LiveExecutionService } from './live-execution-service.js';
import { ok, type BalancesView, type ExecutionResult, type OrderView } from './order-execution-service.js';

export interface LiveAccountReadsOptions {
  /**
   * The symbols of the account's own market the service trades, exchange form (BTCUSDT): spot for
   * a spot account, perpetuals for a futures account. History without a symbol reads each.
   */
  symbols(accountId: string): readonly string[];
  /** The symbol's base asset (BTC for BTCUSDT), for fees paid in it. */
  baseOf(symbol: string): string | undefined;
  /** The account's kind; futures accounts read positions, leverage and funding. */
  accountType(accountId: string): 'spot' | 'futures' | undefined;
  readonly cacheMs?: number;
  /** How often the account channel asks the venue for the open orders while someone listens (default 5,000 ms). */
  readonly pollMs?: number;
  readonly wallClock?: () => number;
}

const VALUATION = 'USDT';
const ORDERS_PAGE = 1_000;
const TRADES_PAGE = 100;

export class LiveAccountReads implements AccountReadPort {
  readonly mode = 'live' as const;
  private readonly cache = new Map<string, { value: unknown; asOf: number }>();
  /** How many times each account's answers were dropped (its own order or cancel, new keys). */
  private readonly forgotten = new Map<string, number>();
  private readonly curves = new Map<string, { at: number; equity: string }[]>();
  private readonly cacheMs: number;
  private readonly pollMs: number;
  private readonly clock: () => number;

  constructor(
    private readonly live: LiveExecutionService,
    private readonly options: LiveAccountReadsOptions,
  ) {
    this.cacheMs = options.cacheMs ?? 2_000;
    this.pollMs = options.pollMs ?? 5_000;
    this.clock = options.wallClock ?? Date.now;
    live.onOrderUpdate((accountId) => this.forget(accountId));
    live.clients.onChange?.((accountId) => this.forget(accountId));
  }

  async orderHistory(accountId: string, q: HistoryQuery): Promise<ReadResult<OrderRow[]>> {
    const all = await this.across(accountId, q.symbol, (symbol) => this.venueOrders(accountId, symbol));
    if (!all.ok) return all;
    const rows = all.value.value.map((o) => orderRow(accountId, o)).sort((a, b) => b.createdAt - a.createdAt || byId(b.id, a.id));
    return fresh(rows.slice(q.offset, q.offset + q.limit + 1), all.value.asOf);
  }

  async tradeHistory(accountId: string, q: HistoryQuery): Promise<ReadResult<TradeRow[]>> {
    const all = await this.across(accountId, q.symbol, (symbol) => this.venueFills(accountId, symbol));
    if (!all.ok) return all;
    const rows = all.value.value.map((f) => tradeRow(accountId, f)).sort((a, b) => b.timestamp - a.timestamp || byId(b.id, a.id));
    return fresh(rows.slice(q.offset, q.offset + q.limit + 1), all.value.asOf);
  }

  async orders(accountId: string, symbol: string, start: number | undefined, end: number | undefined): Promise<ReadResult<OrderView[]>> {
    const orders = await this.venueOrders(accountId, symbol);
    if (!orders.ok) return orders;
    const chosen = orders.value.value.filter((o) => (start === undefined || o.createdAt >= start) && (end === undefined || o.createdAt <= end));
    return fresh(chosen.sort((a, b) => byId(a.orderId, b.orderId)), orders.value.asOf);
  }

  /** Live the venue's answer is the whole order: no engine record stands beside it. */
  async orderDetail(): Promise<undefined> {
    return undefined;
  }

  async fills(accountId: string, q: FillQuery): Promise<ReadResult<VenueFill[]>> {
    const fills = await this.venueFills(accountId, q.symbol);
    if (!fills.ok) return fills;
    const chosen = fills.value.value.filter(
      (f) =>
        (q.orderId === undefined || f.orderId === q.orderId) &&
        (q.start === undefined || f.time >= q.start) &&
        (q.end === undefined || f.time <= q.end) &&
        (q.fromId === undefined || byId(f.id, q.fromId) >= 0),
    );
    return fresh(chosen.sort((a, b) => a.time - b.time || byId(a.id, b.id)), fills.value.asOf);
  }

  async fillsWithPnl(accountId: string): Promise<ReadResult<TradeRowWithPnl[]>> {
    const all = await this.across(accountId, undefined, (symbol) => this.venueFills(accountId, symbol));
    if (!all.ok) return all;
    const rows = all.value.value.map((f) => tradeRow(accountId, f)).sort((a, b) => a.timestamp - b.timestamp || byId(a.id, b.id));
    const pnl = realizedPnlByFill(
      rows.map((r) => ({ symbol: r.symbol, side: r.orderSide, quantity: parseFixed(r.size), price: parseFixed(r.price), fee: parseFixed(r.fee), feeInBase: r.feeAsset === this.options.baseOf(r.symbol) })),
      this.options.accountType(accountId) === 'futures' ? 'futures' : 'spot',
    );
    return fresh(rows.map((r, i) => (extend(r, { realizedPnl: pnl[i] === null || pnl[i] === undefined ? null : formatFixed(pnl[i]) }))), all.value.asOf);
  }

  async summary(accountId: string): Promise<ReadResult<AccountSummary>> {
    const haltReason = this.live.haltReasonOf(accountId);
    if (haltReason !== undefined) return fresh({ halted: true, haltReason, equity: null, balances: {} }, this.clock());
    const balances = await this.cached(accountId, 'balances', () => this.live.balances(accountId));
    if (!balances.ok) return balances;
    const equity = await this.cached(accountId, 'equity', () => this.valued(accountId, balances.value.value));
    if (!equity.ok) return equity;
    const curve = this.curves.get(accountId) ?? [];
    if (equity.value.value !== null && curve.at(-1)?.at !== equity.value.asOf) curve.push({ at: equity.value.asOf, equity: equity.value.value });
    this.curves.set(accountId, curve);
    return fresh({ halted: false, equity: equity.value.value, balances: balances.value.value }, Math.min(balances.value.asOf, equity.value.asOf));
  }

  async positions(accountId: string): Promise<ReadResult<readonly unknown[]>> {
    if (this.options.accountType(accountId) !== 'futures') return fresh([], this.clock());
    return this.cached(accountId, 'positions', async () => {
      const positions = await this.live.venueRead(accountId, 'fetchPositions', undefined, (exchange) => exchange.fetchPositions());
      if (!positions.ok) return positions;
      return ok(
        positions.value.map((p) => ({
          symbol: (p.symbol ?? '').split(':')[0]!.replace('/', ''),
          side: p.side === 'short' ? 'SHORT' : 'LONG',
          size: decimal(undefined, p.contracts ?? undefined) ?? '0',
          entryPrice: decimal(undefined, p.entryPrice ?? undefined) ?? null,
          markPrice: decimal(undefined, p.markPrice ?? undefined) ?? null,
          unrealizedPnl: decimal(undefined, p.unrealizedPnl ?? undefined) ?? null,
          leverage: p.leverage ?? null,
          liquidationPrice: decimal(undefined, p.liquidationPrice ?? undefined) ?? null,
        })),
      );
    });
  }

  async leverage(accountId: string): Promise<ReadResult<LeverageView>> {
    if (this.options.accountType(accountId) !== 'futures') return fresh({ items: [] }, this.clock());
    return this.cached(accountId, 'leverage', async () => {
      const items: { symbol: string; leverage: number }[] = [];
      for (const symbol of this.options.symbols(accountId)) {
        const leverage = await this.live.venueRead(accountId, 'fetchLeverage', symbol, (exchange, unified) => exchange.fetchLeverage(unified!));
        if (!leverage.ok) return leverage;
        // A venue answer without either side's leverage lists nothing for the symbol rather than fail the read.
        const value = leverage.value?.longLeverage ?? leverage.value?.shortLeverage;
        if (typeof value === 'number' && Number.isFinite(value)) items.push({ symbol, leverage: value });
      }
      return ok({ items });
    });
  }

  /**
   * A futures account's figures from the venue: ccxt's unified positions (fetchPositions) and the
   * settlement asset's swap balance (fetchBalance: total is the wallet, free what new orders may use).
   * Each position's figures are the venue's own fields where ccxt's `info` carries Binance's names
   * (positionAmt, unRealizedProfit, notional, initialMargin, maintMargin), else ccxt's unified ones.
   */
  async futuresFigures(accountId: string): Promise<ReadResult<FuturesAccountFigures | undefined>> {
    if (this.options.accountType(accountId) !== 'futures') return fresh(undefined, this.clock());
    return this.cached(accountId, 'futures', async () => {
      const positions = await this.live.venueRead(accountId, 'fetchPositions', undefined, (exchange) => exchange.fetchPositions());
      if (!positions.ok) return positions;
      // ccxt's `type: 'swap'` asks for the futures wallet on exchanges whose one client serves spot and swap (mexc).
      const balance = await this.live.venueRead(accountId, 'fetchBalance', undefined, (exchange) => exchange.fetchBalance({ type: 'swap' }));
      if (!balance.ok) return balance;
      const now = this.clock();
      const rows: FuturesPositionFigures[] = positions.value.map((p) => {
        const info = (p.info ?? {}) as Record<string, unknown>;
        const contracts = decimal(info.positionAmt, p.contracts ?? undefined) ?? '0';
        const short = p.side === 'short' && !contracts.startsWith('-');
        const signed = (v: string) => (short && v !== '0' && !v.startsWith('-') ? `-${v}` : v);
        return {
          symbol: exchangeSymbolOf(p.symbol ?? ''),
          size: signed(contracts),
          entryPrice: decimal(info.entryPrice, p.entryPrice ?? undefined) ?? '0',
          markPrice: decimal(info.markPrice, p.markPrice ?? undefined) ?? '0',
          unrealizedPnl: decimal(info.unRealizedProfit, p.unrealizedPnl ?? undefined) ?? '0',
          notional: signed(decimal(info.notional, p.notional ?? undefined) ?? '0'),
          margin: decimal(info.positionInitialMargin, p.initialMargin ?? undefined) ?? '0',
          maintenanceMargin: decimal(info.maintMargin, p.maintenanceMargin ?? undefined) ?? '0',
          openOrderMargin: decimal(info.openOrderInitialMargin, undefined) ?? '0',
          leverage: p.leverage ?? 1,
          liquidationPrice: decimal(info.liquidationPrice, p.liquidationPrice ?? undefined) ?? null,
          updateTime: p.timestamp ?? now,
          ...(p.id !== undefined ? { positionId: String(p.id) } : {}),
          ...(p.realizedPnl !== undefined ? { realizedPnl: decimal(undefined, p.realizedPnl) ?? '0' } : {}),
        };
      });
      const settleAsset = 'USDT';
      const total = (balance.value.total as unknown as Record<string, number | undefined>)[settleAsset];
      const free = (balance.value.free as unknown as Record<string, number | undefined>)[settleAsset];
      const used = (balance.value.used as unknown as Record<string, number | undefined>)[settleAsset];
      const sum = (pick: (r: FuturesPositionFigures) => string) => rows.reduce((total, r) => total + parseFixed(pick(r)), 0n);
      // Open orders' margin: the venue's per position when it states it, else what is used beyond the positions' margin.
      const usedMargin = parseFixed(decimal(undefined, used) ?? '0');
      const orderMargin = sum((r) => r.openOrderMargin);
      const positionMargin = sum((r) => r.margin);
      const reserved = orderMargin !== 0n ? orderMargin : usedMargin > positionMargin ? usedMargin - positionMargin : 0n;
      return ok({
        settleAsset,
        marginMode: positions.value.some((p) => p.marginMode === 'isolated') ? 'isolated' : 'cross',
        wallet: decimal(undefined, total) ?? '0',
        unrealizedPnl: formatFixed(sum((r) => r.unrealizedPnl)),
        available: decimal(undefined, free) ?? '0',
        reserved: formatFixed(reserved),
        positions: rows,
        updateTime: now,
      } satisfies FuturesAccountFigures);
    });
  }

  async ledger(accountId: string): Promise<ReadResult<LedgerView>> {
    if (this.options.accountType(accountId) !== 'futures') return fresh({ fees: null, funding: '0' }, this.clock());
    return this.cached(accountId, 'funding', async () => {
      const history = await this.live.venueRead(accountId, 'fetchFundingHistory', undefined, (exchange) => exchange.fetchFundingHistory());
      if (!history.ok) return history;
      // ccxt's amount is what the account received: funding paid is its negation.
      const received = history.value.reduce((sum, h) => sum + parseFixed(decimal((h.info as Record<string, unknown> | undefined)?.funding, h.amount) ?? '0'), 0n);
      return ok({ fees: null, funding: formatFixed(-received) });
    });
  }

  async equityCurve(accountId: string): Promise<ReadResult<{ at: number; equity: string }[]>> {
    const now = await this.summary(accountId);
    if (!now.ok) return now;
    return fresh([...(this.curves.get(accountId) ?? [])], now.value.asOf);
  }

  /** Not known: the venue reports no opening equity; the metrics measure from the first sample. */
  async openingEquity(): Promise<ReadResult<{ at: number; equity: string } | null>> {
    return fresh(null, this.clock());
  }

  async tradeExport(accountId: string, range: TimeRange, symbol: string | undefined): Promise<ReadResult<AsyncIterable<TradeRowWithPnl>>> {
    const all = await this.fillsWithPnl(accountId);
    if (!all.ok) return all;
    const chosen = all.value.value.filter((r) => (symbol === undefined || r.symbol === symbol) && (range.from === undefined || r.timestamp >= range.from) && (range.to === undefined || r.timestamp < range.to));
    return fresh(iterate(chosen), all.value.asOf);
  }

  async orderExport(accountId: string, range: TimeRange, symbol: string | undefined): Promise<ReadResult<AsyncIterable<OrderRow>>> {
    const all = await this.across(accountId, symbol, (s) => this.venueOrders(accountId, s));
    if (!all.ok) return all;
    const rows = all.value.value
      .map((o) => orderRow(accountId, o))
      .filter((r) => (range.from === undefined || r.createdAt >= range.from) && (range.to === undefined || r.createdAt < range.to))
      .sort((a, b) => a.createdAt - b.createdAt || byId(a.id, b.id));
    return fresh(iterate(rows), all.value.asOf);
  }

  /**
   * The account channel live: each order this service places or cancels at once, then the venue's
   * balances; and, every `pollMs` while someone listens, the venue's open orders, so that an order
   * placed elsewhere with the account's keys, or one that fills or is cancelled at the venue (a
   * resting order), is told too, with its state then. Each change is told once: what the service
   * told while a poll read (the first poll included) stands over that poll's reads.
   */
  watchAccount(accountId: string, send: (message: AccountMessage) => void): () => void {
    const tell = (order: OrderView) => {
      send({ event: { type: 'ORDER_UPDATE', account: accountId, mode: 'live', order } });
      void this.live.balances(accountId).then((balances) => {
        if (balances.ok) send({ balances: balances.value });
      });
    };
    let open: Map<string, OrderView> | undefined;
    // Orders the service told while a poll ran, as last told: the poll's reads may predate them.
    let touched: Map<string, OrderView> | undefined;
    const stopUpdates = this.live.onOrderUpdate((id, order) => {
      if (id !== accountId) return;
      touched?.set(order.orderId, order);
      if (open !== undefined) {
        if (isOpen(order)) open.set(order.orderId, order);
        else open.delete(order.orderId);
      }
      tell(order);
    });
    let polling = false;
    const poll = async () => {
      if (polling) return;
      polling = true;
      const toldMeanwhile = new Map<string, OrderView>();
      touched = toldMeanwhile;
      try {
        const now = new Map<string, OrderView>();
        for (const symbol of this.options.symbols(accountId)) {
          const orders = await this.live.openOrders(accountId, symbol);
          if (!orders.ok) return; // the venue is away or refuses: the next poll tries again
          for (const o of orders.value) now.set(o.orderId, o);
        }
        if (open !== undefined) {
          for (const [id, was] of open) {
            if (now.has(id) || toldMeanwhile.has(id)) continue;
            const ended = await this.live.getOrder(accountId, { orderId: id, symbol: was.symbol });
            if (!ended.ok) now.set(id, was); // unread: kept, so that the next poll asks again and its end is told
            else if (!toldMeanwhile.has(id)) tell(ended.value); // told while it was read: that stands
          }
          // New at the venue (placed elsewhere with the same keys), or filled further since the last look.
          for (const [id, o] of now) if (!toldMeanwhile.has(id) && (!open.has(id) || open.get(id)!.executedQty !== o.executedQty)) tell(o);
        }
        // What was told meanwhile is newer than the reads: kept as told (open, or gone). On the first
        // poll too, which tells nothing itself: kept as read, an order placed or cancelled while it
        // read would differ from the next poll's reads and be told a second time.
        for (const [id, told] of toldMeanwhile) {
          if (isOpen(told)) now.set(id, told);
          else now.delete(id);
        }
        open = now;
      } finally {
        touched = undefined;
        polling = false;
      }
    };
    void poll();
    const timer = setInterval(() => void poll(), this.pollMs);
    timer.unref?.();
    return () => {
      stopUpdates();
      clearInterval(timer);
    };
  }

  // ---- internals ----

  private forget(accountId: string): void {
    this.forgotten.set(accountId, (this.forgotten.get(accountId) ?? 0) + 1);
    for (const key of [...this.cache.keys()]) if (key.startsWith(`${accountId}\u0000`)) this.cache.delete(key);
  }

  private async cached<T>(accountId: string, key: string, load: () => Promise<ExecutionResult<T>>): Promise<ReadResult<T>> {
    const full = `${accountId}\u0000${key}`;
    const hit = this.cache.get(full);
    if (hit !== undefined && this.clock() - hit.asOf < this.cacheMs) return fresh(hit.value as T, hit.asOf);
    const since = this.forgotten.get(accountId) ?? 0;
    const result = await load();
    if (!result.ok) return result;
    const asOf = this.clock();
    // Read before the account's own order, cancel or new keys, answered after: told to its caller, not
    // kept, or the next read would be served what the venue held before the write.
    if ((this.forgotten.get(accountId) ?? 0) === since) this.cache.set(full, { value: result.value, asOf });
    return fresh(result.value, asOf);
  }

  private venueOrders(accountId: string, symbol: string): Promise<ReadResult<OrderView[]>> {
    return this.cached(accountId, `orders:${symbol}`, async () => {
      const orders = await this.live.venueRead(accountId, 'fetchOrders', symbol, (exchange, unified) => exchange.fetchOrders(unified, undefined, ORDERS_PAGE));
      return orders.ok ? ok(orders.value.map((o: CcxtOrder) => ccxtOrderToView(o))) : orders;
    });
  }

  private venueFills(accountId: string, symbol: string): Promise<ReadResult<VenueFill[]>> {
    return this.cached(accountId, `fills:${symbol}`, async () => {
      const trades = await this.live.venueRead(accountId, 'fetchMyTrades', symbol, (exchange, unified) => exchange.fetchMyTrades(unified, undefined, TRADES_PAGE));
      return trades.ok ? ok(trades.value.map((t: CcxtTrade) => ccxtTradeToFill(t))) : trades;
    });
  }

  /** One read per symbol (the given one, or each the service trades), concatenated; the oldest `asOf` stands. */
  private async across<T>(accountId: string, symbol: string | undefined, read: (symbol: string) => Promise<ReadResult<T[]>>): Promise<ReadResult<T[]>> {
    const out: T[] = [];
    let asOf = this.clock();
    for (const s of symbol !== undefined ? [symbol] : this.options.symbols(accountId)) {
      const part = await read(s);
      if (!part.ok) return part;
      out.push(...part.value.value);
      asOf = Math.min(asOf, part.value.asOf);
    }
    return fresh(out, asOf);
  }

  /** The balances valued in USDT at the venue's last prices; null when a held asset has no USDT ticker. */
  private async valued(accountId: string, balances: BalancesView): Promise<ExecutionResult<string | null>> {
    let total = 0n;
    for (const [asset, b] of Object.entries(balances)) {
      const held = parseFixed(b.free) + parseFixed(b.locked);
      if (held === 0n) continue;
      if (asset === VALUATION) {
        total += held;
        continue;
      }
      const symbol = `${asset}${VALUATION}`;
      if (!this.options.symbols(accountId).includes(symbol)) return ok(null);
      const ticker = await this.live.venueRead(accountId, 'fetchTicker', symbol, (exchange: Exchange, unified) => exchange.fetchTicker(unified!));
      if (!ticker.ok) return ticker;
      const last = decimal((ticker.value.info as Record<string, unknown> | undefined)?.lastPrice, ticker.value.last ?? undefined);
      // No trade yet in the venue's window: no price to value the asset at.
      if (last === undefined || parseFixed(last) === 0n) return ok(null);
      total += mul(held, parseFixed(last), 'half-up');
    }
    return ok(formatFixed(total));
  }
}

async function* iterate<T>(rows: readonly T[]): AsyncGenerator<T> {
  yield* rows;
}

function fresh<T>(value: T, asOf: number): ReadResult<T> {
  return { ok: true, value: { value, asOf } };
}

/** Venue ids compared as numbers when both are digits (MEXC's are), else as text. */
function byId(a: string, b: string): number {
  if (/^\d+$/.test(a) && /^\d+$/.test(b)) return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
  return a < b ? -1 : a > b ? 1 : 0;
}

function orderRow(accountId: string, o: OrderView): OrderRow {
  return {
    id: o.orderId, accountId, clientOrderId: o.clientOrderId, symbol: o.symbol, side: o.side, type: o.type, price: o.price ?? null, quantity: o.quantity,
    quoteOrderQty: o.quoteOrderQty ?? null, status: o.status, executedQty: o.executedQty, cumulativeQuoteQty: o.cumulativeQuoteQty, reason: null, createdAt: o.createdAt, updatedAt: o.updatedAt,
  };
}

function tradeRow(accountId: string, f: VenueFill): TradeRow {
  return {
    id: f.id, accountId, orderId: f.orderId, positionId: null, symbol: f.symbol, side: null, orderSide: f.side, size: f.quantity, price: f.price, quoteQty: f.quoteQuantity,
    pnl: null, fee: f.fee, feeAsset: f.feeAsset, liquidity: f.liquidity, reason: null, timestamp: f.time,
  };
}

/** Resting at the venue: the account channel's poll looks for its end. */
function isOpen(order: OrderView): boolean {
  return order.status === 'NEW' || order.status === 'PARTIALLY_FILLED';
}
