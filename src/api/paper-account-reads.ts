/**
 * The paper side of the read port (execution/account-read-port.ts): the kernel's state and the
 * read tables the engine projects. Answers are current when given (`asOf` is the wall clock).
 *
 * Guarantees: an account reads only its own rows and events; nothing here contacts an exchange.
 */
import { formatFixed } from '../core/money/fixed.js';
import { positionView } from '../core/accounts/position-events.js';
import type { AccountMessage, AccountReadPort, FillQuery, HistoryQuery, ReadResult } from '../execution/account-read-port.js';
import { accountFills, accountOrders } from './dialect-kit/account-history.js';
import type { MarketTape } from './dialect-kit/market-tape.js';
import { fillsWithRealizedPnl } from './fills-with-pnl.js';
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
    let query = this.deps.db.selectFrom('orders').selectAll().where('accountId', '=', accountId);
    if (q.symbol !== undefined) query = query.where('symbol', '=', q.symbol);
    const rows = await query.orderBy('createdAt', 'desc').orderBy('id', 'desc').limit(q.limit + 1).offset(q.offset).execute();
    return this.fresh(rows.map((r) => ({ ...r, createdAt: Number(r.createdAt), updatedAt: Number(r.updatedAt) })));
  }

  async tradeHistory(accountId: string, q: HistoryQuery) {
    let query = this.deps.db.selectFrom('trades').selectAll().where('accountId', '=', accountId);
    if (q.symbol !== undefined) query = query.where('symbol', '=', q.symbol);
    const rows = await query.orderBy('timestamp', 'desc').orderBy('id', 'desc').limit(q.limit + 1).offset(q.offset).execute();
    return this.fresh(rows.map((r) => ({ ...r, timestamp: Number(r.timestamp) })));
  }

  async orders(accountId: string, symbol: string, start: number | undefined, end: number | undefined) {
    return this.fresh(accountOrders(this.deps, accountId, symbol, start, end));
  }

  async fills(accountId: string, q: FillQuery) {
    const kernel = this.deps.hub.kernel;
    const fills = await accountFills(this.deps, this.tape, accountId, q);
    return this.fresh(fills.map((f) => ({ ...f, clientOrderId: kernel.order(f.orderId)?.clientOrderId ?? null })));
  }

  async fillsWithPnl(accountId: string) {
    return this.fresh(await fillsWithRealizedPnl(this.deps, accountId));
  }

  async summary(accountId: string) {
    const kernel = this.deps.hub.kernel;
    const state = kernel.account(accountId);
    const equity = kernel.equity(accountId);
    return this.fresh({
      halted: kernel.isHalted(accountId),
      equity: equity === undefined ? null : formatFixed(equity),
      ...(state?.kind === 'futures' ? { marginUsed: formatFixed(state.marginUsed()), availableMargin: formatFixed(state.available((s) => kernel.markPrice(s))) } : {}),
      balances: kernel.balances(accountId) ?? {},
    });
  }

  async positions(accountId: string) {
    const kernel = this.deps.hub.kernel;
    const state = kernel.account(accountId);
    if (state?.kind !== 'futures') return this.fresh([]);
    return this.fresh(
      state.openPositions().map((p) => positionView(accountId, p, kernel.instrument(p.symbol)!, kernel.markPrice(p.symbol), { account: state, instrumentOf: (symbol) => kernel.instrument(symbol), markOf: (symbol) => kernel.markPrice(symbol) })),
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

  async ledger(accountId: string) {
    // Futures: the kernel's ledger holds fees and funding exactly; spot fees are valued from the fills.
    const state = this.deps.hub.kernel.account(accountId);
    return this.fresh(state?.kind === 'futures' ? { fees: formatFixed(state.ledger.fees), funding: formatFixed(state.ledger.funding) } : { fees: null, funding: '0' });
  }

  async equityCurve(accountId: string) {
    const rows = await this.deps.db.selectFrom('equity_points').select(['at', 'equity']).where('accountId', '=', accountId).orderBy('at', 'asc').execute();
    return this.fresh(rows.map((r) => ({ at: Number(r.at), equity: r.equity })));
  }

  watchAccount(accountId: string, send: (message: AccountMessage) => void): () => void {
    return this.deps.hub.subscribe((events) => {
      const mine = events.filter((e) => 'account' in e && e.account === accountId);
      for (const event of mine) send({ event });
      if (mine.some((e) => BALANCE_CHANGES.has(e.type))) send({ balances: this.deps.hub.kernel.balances(accountId) ?? {} });
    });
  }
}

/**
 * The read port the routes use: the service's own (live) when it has one, else the paper one over
 * the kernel. `tape` serves the dialects' myTrades before the read tables catch up.
 */
export function accountReads(deps: ServiceDeps, tape?: MarketTape): AccountReadPort {
  return deps.reads ?? new PaperAccountReads(deps, tape);
}
