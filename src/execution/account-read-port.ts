/**
 * The read port: everything the API shows about an account besides the five facade calls —
 * order and trade history, positions, leverage, funding, equity, metrics and the account's
 * WebSocket channel. The paper side implements it over the kernel and its read tables
 * (api/paper-account-reads.ts); the live side over the venue, through ccxt, with the account's
 * own keys (live-account-reads.ts). Routes read only this port, so the same routes give the same
 * shapes in both modes.
 *
 * Every answer says when its data was current: `asOf` (Unix ms). Paper answers are current when
 * given; live answers may come from a short cache kept to spare the venue's rate limits. Routes
 * pass it on as `X-Data-As-Of` (ms) and `Age` (whole seconds, RFC 9111).
 */
import { parseFixed } from '../core/money/fixed.js';
import type { Order } from '../core/orders/order.js';
import type { BalancesView, ExecutionMode, ExecutionResult, OrderView } from './order-execution-service.js';

export interface Fresh<T> {
  readonly value: T;
  /** When the source answered, Unix ms. */
  readonly asOf: number;
}

export type ReadResult<T> = ExecutionResult<Fresh<T>>;

/** An order as the native history lists it (the `orders` read table's columns). */
export interface OrderRow {
  readonly id: string;
  readonly accountId: string;
  readonly clientOrderId: string;
  readonly symbol: string;
  readonly side: 'BUY' | 'SELL';
  readonly type: string;
  readonly price: string | null;
  readonly quantity: string;
  readonly quoteOrderQty: string | null;
  readonly status: string;
  readonly executedQty: string;
  readonly cumulativeQuoteQty: string;
  readonly reason: string | null;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** A fill as the native history lists it (the `trades` read table's columns). */
export interface TradeRow {
  readonly id: string;
  readonly accountId: string;
  readonly orderId: string;
  readonly positionId: string | null;
  readonly symbol: string;
  readonly side: 'OPEN' | 'CLOSE' | 'PARTIAL_CLOSE' | null;
  readonly orderSide: 'BUY' | 'SELL';
  readonly size: string;
  readonly price: string;
  readonly quoteQty: string;
  readonly pnl: string | null;
  readonly fee: string;
  readonly feeAsset: string;
  readonly liquidity: 'MAKER' | 'TAKER';
  readonly reason: string | null;
  readonly timestamp: number;
}

/** A trade row with the PnL it realized (null where it closed nothing; fees left out). */
export type TradeRowWithPnl = TradeRow & { readonly realizedPnl: string | null };

/** A fill as the dialects' `myTrades` shows it. */
export interface VenueFill {
  readonly id: string;
  readonly orderId: string;
  readonly clientOrderId: string | null;
  readonly symbol: string;
  readonly side: 'BUY' | 'SELL';
  readonly price: string;
  readonly quantity: string;
  readonly quoteQuantity: string;
  readonly fee: string;
  readonly feeAsset: string;
  readonly liquidity: 'MAKER' | 'TAKER';
  readonly time: number;
  /** Futures: the PnL the fill realized (fee not included), where the source states it. */
  readonly realizedPnl?: string;
}

export interface FillQuery {
  readonly symbol: string;
  readonly orderId?: string;
  readonly start?: number;
  readonly end?: number;
  /** Fills with an id at or above this one (Binance `fromId`). */
  readonly fromId?: string;
}

export interface HistoryQuery {
  readonly symbol?: string;
  readonly limit: number;
  readonly offset: number;
}

/** `from` ≤ time < `to`, Unix ms. */
export interface TimeRange {
  readonly from?: number;
  readonly to?: number;
}

export interface AccountSummary {
  /** True when the account may not trade: the kernel's risk halt (paper) or refused keys (live). */
  readonly halted: boolean;
  readonly haltReason?: string;
  /**
   * Valued in USDT; null when it cannot be valued, and (paper) while the kernel's valuation waits for
   * a price for something the account holds (`awaitingPrice`): counting that holding as zero would
   * state a figure that is wrong (core/kernel/account-health.ts, ADR 0028).
   */
  readonly equity: string | null;
  /**
   * Present (paper) while the account's equity waits for a price: what it holds that has none yet,
   * spot assets (`BTC`) and futures symbols (`BTCUSDT`), sorted (Kernel.awaitedPrices). Absent once
   * everything is priced, or once the kernel's wait (PRICE_WAIT_MS) is over and it values what is
   * still unpriced as zero.
   */
  readonly awaitingPrice?: readonly string[];
  readonly marginUsed?: string;
  readonly availableMargin?: string;
  readonly balances: BalancesView;
  /**
   * When the account last changed (Unix ms), on the exchange's clock, where the source states it:
   * paper, the kernel's time of the account's last change (a replay's recorded time, not the wall
   * clock; 0 when it is not known); live, absent.
   */
  readonly updateTime?: number;
}

export interface LeverageView {
  readonly defaultLeverage?: number;
  readonly items: readonly { readonly symbol: string; readonly leverage: number; readonly maxLeverage?: number }[];
}

/**
 * A futures position's figures, in the settlement asset, as the futures dialects (Binance USD-M
 * positionRisk/account, https://developers.binance.com/docs/derivatives/usds-margined-futures/trade/rest-api/Position-Information-V3)
 * show them. Decimal strings; `size` and `notional` are signed (negative: short); a flat symbol is zeros.
 */
export interface FuturesPositionFigures {
  readonly symbol: string;
  readonly size: string;
  readonly entryPrice: string;
  /** "0" while a held position has no mark yet (`unmarked`). */
  readonly markPrice: string;
  readonly unrealizedPnl: string;
  readonly notional: string;
  /** The margin the position holds (its initial margin). */
  readonly margin: string;
  readonly maintenanceMargin: string;
  /** What the symbol's open orders reserve. */
  readonly openOrderMargin: string;
  readonly leverage: number;
  readonly liquidationPrice: string | null;
  /** When the position opened (flat: 0). */
  readonly updateTime: number;
  /** The open position's id, where the source states one. */
  readonly positionId?: string;
  /** Realized PnL less fees since the position opened, where the source states it. */
  readonly realizedPnl?: string;
  /** Funding the position paid (negative: received), where the source states it. */
  readonly fundingPaid?: string;
}

/**
 * Whether the position is held with no mark price known: its figures state a mark of 0 (an account
 * imported before any mark or book for its symbol; no venue and no kernel states a mark of 0 for a
 * held position), so nothing computed from the mark is known and the views state none of it
 * (docs/adr/0064).
 */
export function unmarked(x: Pick<FuturesPositionFigures, 'size' | 'markPrice'>): boolean {
  return parseFixed(x.size) !== 0n && parseFixed(x.markPrice) === 0n;
}

/** A futures account's totals and its positions, one per perpetual the service trades. */
export interface FuturesAccountFigures {
  readonly settleAsset: string;
  readonly marginMode: 'cross' | 'isolated';
  /** Cash + position margins + open orders' reservations. */
  readonly wallet: string;
  readonly unrealizedPnl: string;
  /** What new orders may use. */
  readonly available: string;
  /** What open orders reserve, all symbols. */
  readonly reserved: string;
  readonly positions: readonly FuturesPositionFigures[];
  /** When the account last changed (Unix ms): paper, on the kernel's clock (0 when not known); live, when it was read. */
  readonly updateTime: number;
}

/** What the metrics need besides fills and the equity curve; fees null: compute them from the fills. */
export interface LedgerView {
  readonly fees: string | null;
  readonly funding: string;
}

/** A message for the account's WebSocket channel (`{"channel":"account", …}` without the channel). */
export type AccountMessage = { readonly event: unknown } | { readonly balances: BalancesView };

export interface AccountReadPort {
  readonly mode: ExecutionMode;
  /** Native `/api/orders`: newest first, from `offset`, at most `limit + 1` (one more says a next page exists). */
  orderHistory(accountId: string, q: HistoryQuery): Promise<ReadResult<OrderRow[]>>;
  /** Native `/api/trades`: newest first, like orderHistory. */
  tradeHistory(accountId: string, q: HistoryQuery): Promise<ReadResult<TradeRow[]>>;
  /** The dialects' `allOrders`: the account's orders on `symbol` placed within [start, end], by id. */
  orders(accountId: string, symbol: string, start: number | undefined, end: number | undefined): Promise<ReadResult<OrderView[]>>;
  /**
   * The engine's own record of one of the account's orders, for the terms an OrderView leaves out
   * (trailing callback rate, activation price, whether a stop has triggered); undefined when there
   * is none: live, the venue's answer is all there is, so a paper order with the same id is never
   * mistaken for the venue's.
   */
  orderDetail(accountId: string, orderId: string): Promise<Readonly<Order> | undefined>;
  /** The dialects' `myTrades`: fills matching the query, oldest first. */
  fills(accountId: string, q: FillQuery): Promise<ReadResult<VenueFill[]>>;
  /** Every fill in execution order with the PnL each realized (the fills route and the metrics). */
  fillsWithPnl(accountId: string): Promise<ReadResult<TradeRowWithPnl[]>>;
  summary(accountId: string): Promise<ReadResult<AccountSummary>>;
  positions(accountId: string): Promise<ReadResult<readonly unknown[]>>;
  leverage(accountId: string): Promise<ReadResult<LeverageView>>;
  /** A futures account's figures; undefined value for an account that is not a futures one. */
  futuresFigures(accountId: string): Promise<ReadResult<FuturesAccountFigures | undefined>>;
  ledger(accountId: string): Promise<ReadResult<LedgerView>>;
  /** The equity curve since the account was opened or last reset, oldest first. */
  equityCurve(accountId: string): Promise<ReadResult<{ at: number; equity: string }[]>>;
  /**
   * The equity the account was opened or last reset with, valued as the curve's points are, and when
   * (Unix ms); null when not known (the metrics then measure from the curve's first point).
   */
  openingEquity(accountId: string): Promise<ReadResult<{ at: number; equity: string } | null>>;
  /** The CSV export's fills in execution order within the range, each with its realized PnL (counted from the first fill). */
  tradeExport(accountId: string, range: TimeRange, symbol: string | undefined): Promise<ReadResult<AsyncIterable<TradeRowWithPnl>>>;
  /** The CSV export's orders in creation order within the range. */
  orderExport(accountId: string, range: TimeRange, symbol: string | undefined): Promise<ReadResult<AsyncIterable<OrderRow>>>;
  /** Streams the account's events and balances; returns the unsubscribe. */
  watchAccount(accountId: string, send: (message: AccountMessage) => void): () => void;
}
