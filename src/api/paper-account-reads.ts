/**
 * The paper side of the read port (execution/account-read-port.ts): the kernel's state and the
 * read tables the engine projects. Answers are current when given (`asOf` is the wall clock).
 *
 * Guarantees: an account reads only its own rows and events, and its histories (orders, trades,
 * fills, exports) only those of its current life, not an earlier account's under its id (reset, or
 * closed and opened again: persistence/account-life.ts); nothing here contacts an exchange.
 */
import { sql, type Kysely } from 'kysely';
import { realizedPnlTracker } from '../core/accounts/realized-pnl-view.js';
import type { Kernel } from '../core/kernel/kernel.js';
import { formatFixed, parseFixed } from '../core/money/fixed.js';
import { extend } from '../core/objects.js';
import { accountLife, inLifeWhere, type AccountLife } from '../persistence/account-life.js';
import type { Database } from '../persistence/schema.js';
import { positionView } from '../core/accounts/position-events.js';
import type { AccountMessage, AccountReadPort, FillQuery, HistoryQuery, OrderRow, ReadResult, TimeRange, TradeRowWithPnl } from '../execution/account-read-port.js';
import { accountOrder } from '../execution/order-records.js';
import { accountFills, accountOrders } from './dialect-kit/account-history.js';
import { orderRecords } from './order-groups.js';
import type { MarketTape } from './dialect-kit/market-tape.js';
import { fillsWithRealizedPnl, rowRealizedPnl } from './fills-with-pnl.js';
import { paperFuturesFigures } from './futures-account-figures.js';
import type { ServiceDeps } from './service-deps.js';

/** Events after which the account channel also sends the balances. */
const BALANCE_CHANGES = new Set(['FILL', 'ORDER_NEW', 'ORDER_CANCELED', 'ORDER_EXPIRED', 'FUNDING', 'LIQUIDATION', 'ACCOUNT_RESET']);

export class PaperAccountReads implements AccountReadPort {
  readonly mode = 'paper' as const;

  /** `tape`: the fills this process saw before the read tables caught up (the dialects' myTrades). */
  constructor(
    private readonly deps: ServiceDeps,
    private readonly tape?: MarketTape,
  ) {}

  private fresh<T>(value: T): ReadResult<T> {
    return { ok: true, value: { value, asOf: (this.deps.wallClock ?? Date.now)() } };
  }

  async orderHistory(accountId: string, q: HistoryQuery) {
    await this.deps.hub.readModelCaughtUp();
    const life = await accountLife(this.deps.db, accountId);
    let query = this.deps.db.selectFrom('orders').select(ORDER_ROW_COLUMNS).where('accountId', '=', accountId).where(inLifeWhere(life, 'id'));
    if (q.symbol !== undefined) query = query.where('symbol', '=', q.symbol);
    const rows = await query.orderBy('createdAt', 'desc').orderBy('id', 'desc').limit(q.limit + 1).offset(q.offset).execute();
    return this.fresh(rows.map((r) => ({ ...r, createdAt: Number(r.createdAt), updatedAt: Number(r.updatedAt) })));
  }

  async tradeHistory(accountId: string, q: HistoryQuery) {
    await this.deps.hub.readModelCaughtUp();
    const life = await accountLife(this.deps.db, accountId);
    let query = this.deps.db.selectFrom('trades').selectAll().where('accountId', '=', accountId).where(inLifeWhere(life, 'orderId'));
    if (q.symbol !== undefined) query = query.where('symbol', '=', q.symbol);
    const rows = await query.orderBy('timestamp', 'desc').orderBy('id', 'desc').limit(q.limit + 1).offset(q.offset).execute();
    return this.fresh(rows.map((r) => ({ ...r, timestamp: Number(r.timestamp) })));
  }

  async orders(accountId: string, symbol: string, start: number | undefined, end: number | undefined) {
    return this.fresh(await accountOrders(this.deps, accountId, symbol, start, end));
  }

  orderDetail(accountId: string, orderId: string) {
    return accountOrder(this.deps.hub.kernel, orderRecords(this.deps), accountId, orderId);
  }

  async fills(accountId: string, q: FillQuery) {
    const kernel = this.deps.hub.kernel;
    const fills = await accountFills(this.deps, this.tape, accountId, q);
    // The kernel's orders, else (closed ones it no longer holds) their rows.
    const clientIds = new Map<string, string>();
    const missing = new Set<string>();
    for (const f of fills) {
      const order = kernel.order(f.orderId);
      if (order !== undefined) clientIds.set(f.orderId, order.clientOrderId);
      else missing.add(f.orderId);
    }
    if (missing.size > 0) {
      await this.deps.hub.readModelCaughtUp();
      const rows = await this.deps.db.selectFrom('orders').select(['id', 'clientOrderId']).where('accountId', '=', accountId).where('id', 'in', [...missing]).execute();
      for (const row of rows) clientIds.set(row.id, row.clientOrderId);
    }
    return this.fresh(fills.map((f) => (extend(f, { clientOrderId: clientIds.get(f.orderId) ?? null }))));
  }

  async fillsWithPnl(accountId: string) {
    return this.fresh(await fillsWithRealizedPnl(this.deps, accountId));
  }

  async summary(accountId: string) {
    const kernel = this.deps.hub.kernel;
    const state = kernel.account(accountId);
    // While the kernel waits for a price for something the account holds, its equity is not
    // stated: `kernel.equity` would count that holding as zero (core/kernel/account-health.ts).
    const awaiting = kernel.awaitedPrices(accountId);
    const equity = awaiting.length > 0 ? undefined : kernel.equity(accountId);
    return this.fresh({
      halted: kernel.isHalted(accountId),
      equity: equity === undefined ? null : formatFixed(equity),
      ...(awaiting.length > 0 ? { awaitingPrice: awaiting } : {}),
      ...(state?.kind === 'futures' ? { marginUsed: formatFixed(state.marginUsed()), availableMargin: formatFixed(state.available((s) => kernel.markPrice(s))) } : {}),
      balances: kernel.balances(accountId) ?? {},
      updateTime: kernel.accountChangedAt(accountId) ?? 0,
    });
  }

  async positions(accountId: string) {
    const kernel = this.deps.hub.kernel;
    const state = kernel.account(accountId);
    if (state?.kind !== 'futures') return this.fresh([]);
    return this.fresh(
      // A position that cannot be liquidated (1× long, or ample margin) reads `liquidationPrice: null`,
      // as a live account's does (account-read-port.ts), not without the field.
      state.openPositions().map((p) => {
        const view = positionView(accountId, p, kernel.instrument(p.symbol)!, kernel.markPrice(p.symbol), { account: state, instrumentOf: (symbol) => kernel.instrument(symbol), markOf: (symbol) => kernel.markPrice(symbol) });
        return view.liquidationPrice === undefined ? extend(view, { liquidationPrice: null }) : view;
      }),
    );
  }

  async leverage(accountId: string) {
    const kernel = this.deps.hub.kernel;
    const state = kernel.account(accountId);
    if (state?.kind !== 'futures') return this.fresh({ items: [] });
    const items = kernel
      .instruments()
      .filter((i) => i.market === 'perpetual')
      .map((i) => ({ symbol: i.symbol, leverage: state.leverageOf(i.symbol), ...(i.maxLeverage !== undefined ? { maxLeverage: i.maxLeverage } : {}) }));
    return this.fresh({ defaultLeverage: state.defaultLeverage, items });
  }

  async futuresFigures(accountId: string) {
    return this.fresh(paperFuturesFigures(this.deps.hub.kernel, accountId));
  }

  async ledger(accountId: string) {
    // Futures: the kernel's ledger holds fees and funding exactly; spot fees are valued from the fills.
    const state = this.deps.hub.kernel.account(accountId);
    return this.fresh(state?.kind === 'futures' ? { fees: formatFixed(state.ledger.fees), funding: formatFixed(state.ledger.funding) } : { fees: null, funding: '0' });
  }

  /** The points from the account's opening on: those before its last reset belong to the account it was. */
  async equityCurve(accountId: string) {
    await this.deps.hub.readModelCaughtUp();
    const opening = await this.opening(accountId);
    if (opening === undefined) return this.fresh([]);
    const rows = await this.deps.db
      .selectFrom('equity_points')
      .select(['at', 'equity'])
      .where('accountId', '=', accountId)
      .where('at', '>=', opening.at)
      .orderBy('at', 'asc')
      .execute();
    return this.fresh(rows.map((r) => ({ at: Number(r.at), equity: r.equity })));
  }

  /** The account row's opening equity (persistence/read-model.ts) and its opening time: the last reset's, else its creation. */
  async openingEquity(accountId: string) {
    await this.deps.hub.readModelCaughtUp();
    return this.fresh((await this.opening(accountId)) ?? null);
  }

  private async opening(accountId: string): Promise<{ at: number; equity: string } | undefined> {
    const row = await this.deps.db.selectFrom('accounts').select(['initialBalance', 'settings', 'createdAt']).where('id', '=', accountId).executeTakeFirst();
    if (row === undefined) return undefined;
    const openedAt = (JSON.parse(row.settings) as { openedAt?: number }).openedAt ?? Number(row.createdAt);
    return { at: openedAt, equity: row.initialBalance };
  }

  async tradeExport(accountId: string, range: TimeRange, symbol: string | undefined) {
    await this.deps.hub.readModelCaughtUp();
    return this.fresh(tradeRowsInOrder(this.deps.db, this.deps.hub.kernel, accountId, await accountLife(this.deps.db, accountId), range, symbol));
  }

  async orderExport(accountId: string, range: TimeRange, symbol: string | undefined) {
    await this.deps.hub.readModelCaughtUp();
    return this.fresh(orderRowsInOrder(this.deps.db, accountId, await accountLife(this.deps.db, accountId), range, symbol));
  }

  watchAccount(accountId: string, send: (message: AccountMessage) => void): () => void {
    return this.deps.hub.subscribe((events) => {
      const mine = events.filter((e) => 'account' in e && e.account === accountId);
      // A position that cannot be liquidated reads `liquidationPrice: null` here as in `positions`, not without the field.
      for (const event of mine) send({ event: POSITION_EVENTS.has(event.type) && !('liquidationPrice' in event) ? extend(event, { liquidationPrice: null }) : event });
      if (mine.some((e) => BALANCE_CHANGES.has(e.type))) send({ balances: this.deps.hub.kernel.balances(accountId) ?? {} });
    });
  }
}

/** Position events (core/accounts/position-events.ts), whose `liquidationPrice` is left out where there is none. */
const POSITION_EVENTS: ReadonlySet<string> = new Set(['POSITION_OPENED', 'POSITION_UPDATED', 'POSITION_CLOSED']);

/** The `orders` columns the native history and export show (an OrderRow). */
const ORDER_ROW_COLUMNS = ['id', 'accountId', 'clientOrderId', 'symbol', 'side', 'type', 'price', 'quantity', 'quoteOrderQty', 'status', 'executedQty', 'cumulativeQuoteQty', 'reason', 'createdAt', 'updatedAt'] as const;

const BATCH = 1_000;
/** Ids are decimal counters: shorter first, then by text, is their numeric (execution) order. */
const idLength = sql<number>`length(id)`;
type Cursor = { at: number; len: number; id: string };

/**
 * The account's fills in execution order, one keyset batch at a time, each with the PnL it realized
 * as `/api/account/fills` shows it (api/fills-with-pnl.ts `rowRealizedPnl`: the row's own figure, the
 * kernel's for futures; else average price, fees left out: core/accounts/realized-pnl-view.ts).
 * Realized PnL depends on every earlier fill, so the scan starts at the first fill and rows
 * before `from` are read but not yielded.
 */
async function* tradeRowsInOrder(db: Kysely<Database>, kernel: Kernel, accountId: string, life: AccountLife | undefined, range: TimeRange, symbol: string | undefined): AsyncGenerator<TradeRowWithPnl> {
  const realized = realizedPnlTracker(kernel.account(accountId)?.kind === 'futures' ? 'futures' : 'spot');
  let after: Cursor | undefined;
  for (;;) {
    let query = db.selectFrom('trades').selectAll().where('accountId', '=', accountId).where(inLifeWhere(life, 'orderId'));
    if (symbol !== undefined) query = query.where('symbol', '=', symbol);
    if (range.to !== undefined) query = query.where('timestamp', '<', range.to);
    if (after !== undefined) {
      const { at, len, id } = after;
      query = query.where((eb) => eb.or([eb('timestamp', '>', at), eb.and([eb('timestamp', '=', at), eb.or([eb(idLength, '>', len), eb.and([eb(idLength, '=', len), eb('id', '>', id)])])])]));
    }
    const rows = await query.orderBy('timestamp', 'asc').orderBy(idLength, 'asc').orderBy('id', 'asc').limit(BATCH).execute();
    for (const r of rows) {
      const pnl = realized({ symbol: r.symbol, side: r.orderSide, quantity: parseFixed(r.size), price: parseFixed(r.price), fee: parseFixed(r.fee), feeInBase: r.feeAsset === kernel.instrument(r.symbol)?.base });
      if (range.from !== undefined && Number(r.timestamp) < range.from) continue;
      yield extend(r, { timestamp: Number(r.timestamp), realizedPnl: rowRealizedPnl(r, pnl) });
    }
    const last = rows.at(-1);
    if (last === undefined || rows.length < BATCH) return;
    after = { at: Number(last.timestamp), len: last.id.length, id: last.id };
  }
}

/** The account's orders in creation order, one keyset batch at a time. */
async function* orderRowsInOrder(db: Kysely<Database>, accountId: string, life: AccountLife | undefined, range: TimeRange, symbol: string | undefined): AsyncGenerator<OrderRow> {
  let after: Cursor | undefined;
  for (;;) {
    let query = db.selectFrom('orders').select(ORDER_ROW_COLUMNS).where('accountId', '=', accountId).where(inLifeWhere(life, 'id'));
    if (symbol !== undefined) query = query.where('symbol', '=', symbol);
    if (range.from !== undefined) query = query.where('createdAt', '>=', range.from);
    if (range.to !== undefined) query = query.where('createdAt', '<', range.to);
    if (after !== undefined) {
      const { at, len, id } = after;
      query = query.where((eb) => eb.or([eb('createdAt', '>', at), eb.and([eb('createdAt', '=', at), eb.or([eb(idLength, '>', len), eb.and([eb(idLength, '=', len), eb('id', '>', id)])])])]));
    }
    const rows = await query.orderBy('createdAt', 'asc').orderBy(idLength, 'asc').orderBy('id', 'asc').limit(BATCH).execute();
    for (const r of rows) yield { ...r, createdAt: Number(r.createdAt), updatedAt: Number(r.updatedAt) };
    const last = rows.at(-1);
    if (last === undefined || rows.length < BATCH) return;
    after = { at: Number(last.createdAt), len: last.id.length, id: last.id };
  }
}

/**
 * The read port the routes use: the service's own (live) when it has one, else the paper one over
 * the kernel. `tape` serves the dialects' myTrades before the read tables catch up.
 */
export function accountReads(deps: ServiceDeps, tape?: MarketTape): AccountReadPort {
  return deps.reads ?? new PaperAccountReads(deps, tape);
}
