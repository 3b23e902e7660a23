/**
 * User data stream payloads in Binance's field names, from the kernel's events for one account.
 * Spot (https://developers.binance.com/docs/binance-spot-api-docs/user-data-stream):
 * `executionReport`, `outboundAccountPosition`, `balanceUpdate`. USD-M futures
 * (https://developers.binance.com/docs/derivatives/usds-margined-futures/user-data-streams):
 * `ORDER_TRADE_UPDATE`, `ACCOUNT_UPDATE`.
 *
 * An order's terms (type, time in force, price, stop price, quantity) come from the REST mappers
 * (binance-mappers.ts, usdm-mappers.ts), so a report says what `GET /api/v3/order` or
 * `GET /fapi/v1/order` says; the execution
 * (`x`), status (`X`), last and cumulative quantities come from the event itself, so several fills
 * in one step each report their own figures. Not modelled: order lists (`g` is -1), self-trade
 * prevention (`V` NONE), iceberg quantities (`F` 0), reject reports (an order the kernel refuses is
 * refused in the REST answer, as Binance does for most refusals).
 */
import type { FillEvent, KernelEvent, OrderDoneEvent, OrderNewEvent, PositionEvent } from '../../core/kernel/events.js';
import type { Kernel } from '../../core/kernel/kernel.js';
import { div, formatFixed, parseFixed, roundToDecimals } from '../../core/money/fixed.js';
import type { Order } from '../../core/orders/order.js';
import { paperOrderView } from '../../execution/paper-execution-service.js';
import { binanceOrder, binanceStatusOf, idNumber } from '../binance/binance-mappers.js';
import { usdmOrder, usdmPrice, usdmTypeOf } from '../binance-usdm/usdm-mappers.js';
import { usdmBreakEvenPrice } from '../binance-usdm/usdm-break-even.js';

export type OrderEvent = OrderNewEvent | FillEvent | OrderDoneEvent;

export function isOrderEvent(e: KernelEvent): e is OrderEvent {
  return e.type === 'ORDER_NEW' || e.type === 'FILL' || e.type === 'ORDER_CANCELED' || e.type === 'ORDER_EXPIRED';
}

const EXECUTION_TYPE: Readonly<Record<OrderEvent['type'], string>> = { ORDER_NEW: 'NEW', FILL: 'TRADE', ORDER_CANCELED: 'CANCELED', ORDER_EXPIRED: 'EXPIRED' };

/** The figures of the event: last fill (zero unless a FILL) and cumulative quantities after it. */
function executionOf(e: OrderEvent): { l: string; L: string; Y: string; z: string | undefined; Z: string | undefined; n: string; N: string | null; t: number | string; m: boolean } {
  if (e.type === 'FILL') {
    return { l: e.quantity, L: e.price, Y: e.quoteQuantity, z: e.executedQty, Z: e.cumulativeQuoteQty, n: e.fee, N: e.feeAsset, t: idNumber(e.tradeId), m: e.liquidity === 'MAKER' };
  }
  return { l: '0', L: '0', Y: '0', z: e.type === 'ORDER_NEW' ? '0' : e.executedQty, Z: undefined, n: '0', N: null, t: -1, m: false };
}

/** Spot `executionReport` for an order event (https://developers.binance.com/docs/binance-spot-api-docs/user-data-stream#order-update). */
export function executionReport(e: OrderEvent, order: Readonly<Order> | undefined): Record<string, unknown> {
  const terms = order !== undefined ? binanceOrder(paperOrderView(order), order) : undefined;
  const x = executionOf(e);
  const status = binanceStatusOf({ type: e.orderType, status: e.status });
  const done = status !== 'NEW' && status !== 'PARTIALLY_FILLED';
  return {
    e: 'executionReport',
    E: e.at,
    s: e.symbol,
    c: e.clientOrderId,
    S: e.side,
    o: terms?.type ?? e.orderType,
    f: terms?.timeInForce ?? 'GTC',
    q: terms?.origQty ?? (e.type === 'ORDER_NEW' ? e.quantity : '0'),
    p: terms?.price ?? '0',
    P: terms?.stopPrice ?? '0',
    ...(terms?.trailingDelta !== undefined ? { d: terms.trailingDelta } : {}),
    F: '0',
    g: -1,
    C: e.type === 'ORDER_CANCELED' ? e.clientOrderId : '',
    x: EXECUTION_TYPE[e.type],
    X: status,
    r: 'NONE',
    i: idNumber(e.orderId),
    l: x.l,
    z: x.z ?? terms?.executedQty ?? '0',
    L: x.L,
    n: x.n,
    N: x.N,
    T: e.at,
    t: x.t,
    I: 0,
    w: !done && (terms?.isWorking ?? true),
    m: x.m,
    M: false,
    O: terms?.time ?? e.at,
    Z: x.Z ?? terms?.cummulativeQuoteQty ?? '0',
    Y: x.Y,
    Q: terms?.origQuoteOrderQty ?? '0',
    W: terms?.workingTime ?? e.at,
    V: 'NONE',
  };
}

/** Spot `outboundAccountPosition`: the given assets' free and locked balances after the step. */
export function accountPosition(at: number, balances: Readonly<Record<string, { free: string; locked: string }>>, assets: Iterable<string>): Record<string, unknown> {
  const B = [...new Set(assets)].sort().map((a) => ({ a, f: balances[a]?.free ?? '0', l: balances[a]?.locked ?? '0' }));
  return { e: 'outboundAccountPosition', E: at, u: at, B };
}

/** Spot `balanceUpdate`: a change of the asset's total not caused by trading (a reset or import of the account). */
export function balanceUpdate(at: number, asset: string, delta: bigint): Record<string, unknown> {
  return { e: 'balanceUpdate', E: at, a: asset, d: formatFixed(delta), T: at };
}

/** USD-M `ORDER_TRADE_UPDATE` (https://developers.binance.com/docs/derivatives/usds-margined-futures/user-data-streams/Event-Order-Update). */
export function orderTradeUpdate(e: OrderEvent, order: Readonly<Order> | undefined): Record<string, unknown> {
  const terms = order !== undefined ? usdmOrder(paperOrderView(order), order) : undefined;
  const x = executionOf(e);
  const { type, timeInForce } = usdmTypeOf(e.orderType);
  const executed = parseFixed(x.z ?? String(terms?.executedQty ?? '0'));
  const quote = parseFixed(x.Z ?? String(terms?.cumQuote ?? '0'));
  return {
    e: 'ORDER_TRADE_UPDATE',
    E: e.at,
    T: e.at,
    o: {
      s: e.symbol,
      c: e.clientOrderId,
      S: e.side,
      o: type,
      f: timeInForce,
      q: terms?.origQty ?? (e.type === 'ORDER_NEW' ? e.quantity : '0'),
      p: terms?.price ?? '0',
      ap: executed === 0n ? '0' : formatFixed(roundToDecimals(div(quote, executed), 8, 'half-up')),
      sp: terms?.stopPrice ?? '0',
      x: EXECUTION_TYPE[e.type],
      X: binanceStatusOf({ type: e.orderType, status: e.status }),
      i: idNumber(e.orderId),
      l: x.l,
      z: formatFixed(executed),
      L: x.L,
      N: x.N ?? 'USDT',
      n: x.n,
      T: e.at,
      t: e.type === 'FILL' ? x.t : 0,
      b: '0',
      a: '0',
      m: x.m,
      R: terms?.reduceOnly ?? false,
      wt: terms?.workingType ?? 'CONTRACT_PRICE',
      ot: type,
      ps: 'BOTH',
      cp: false,
      ...(terms?.activatePrice !== undefined ? { AP: terms.activatePrice, cr: terms.priceRate } : {}),
      rp: e.type === 'FILL' ? (e.realizedPnl ?? '0') : '0',
      pP: false,
      si: 0,
      ss: 0,
      V: 'NONE',
      pm: 'NONE',
      gtd: 0,
    },
  };
}

/** A position event's size, negative for a short, 0 once closed (USD-M `positionAmt`). */
const signedSize = (p: PositionEvent): string => (p.direction === 'SHORT' ? formatFixed(-parseFixed(p.totalSize)) : p.type === 'POSITION_CLOSED' ? '0' : p.totalSize);

/**
 * USD-M `ACCOUNT_UPDATE` (https://developers.binance.com/docs/derivatives/usds-margined-futures/user-data-streams/Event-Balance-and-Position-Update):
 * the settlement asset's wallet (`wb`) and cross wallet (`cw`) balances and the positions the step
 * changed. `m` is the reason: ORDER for fills, FUNDING_FEE, DEPOSIT for a reset or import.
 */
export function accountUpdate(at: number, reason: string, kernel: Kernel, accountId: string, positions: readonly PositionEvent[]): Record<string, unknown> | undefined {
  const account = kernel.account(accountId);
  if (account === undefined || account.kind !== 'futures') return undefined;
  const wallet = account.wallet();
  const isolated = account.marginMode === 'isolated';
  let isolatedMargins = 0n;
  if (isolated) for (const p of account.positions.values()) isolatedMargins += p.margin;
  const P = positions.map((p) => ({
    s: p.symbol,
    pa: signedSize(p),
    // Computed prices at 8 decimals, as USD-M prints them (usdm-mappers.ts `usdmPrice`).
    ep: p.type === 'POSITION_CLOSED' ? '0' : usdmPrice(p.entryPrice),
    // The break-even price as positionRisk states it (usdm-break-even.ts): the fees paid count as a cost.
    bep: p.type === 'POSITION_CLOSED' ? '0' : usdmBreakEvenPrice({ size: signedSize(p), entryPrice: p.entryPrice, realizedPnl: formatFixed(parseFixed(p.realizedPnl) - parseFixed(p.feesPaid)) }),
    cr: p.realizedPnl,
    // No price yet for a held position: null, as positionRisk answers (docs/adr/0064), not a PnL of 0.
    up: p.type === 'POSITION_CLOSED' ? '0' : (p.unrealizedPnl ?? null),
    mt: isolated ? 'isolated' : 'cross',
    iw: isolated ? p.marginUsed : '0',
    ps: 'BOTH',
  }));
  return { e: 'ACCOUNT_UPDATE', E: at, T: at, a: { m: reason, B: [{ a: account.settleAsset, wb: formatFixed(wallet), cw: formatFixed(wallet - isolatedMargins), bc: '0' }], P } };
}

/** USD-M `ACCOUNT_CONFIG_UPDATE` for a leverage change (https://developers.binance.com/docs/derivatives/usds-margined-futures/user-data-streams/Event-User-Data-Stream-Account-Configuration-Update-previous-Leverage-Update). */
export function accountConfigUpdate(at: number, symbol: string, leverage: number): Record<string, unknown> {
  return { e: 'ACCOUNT_CONFIG_UPDATE', E: at, T: at, ac: { s: symbol, l: leverage } };
}
