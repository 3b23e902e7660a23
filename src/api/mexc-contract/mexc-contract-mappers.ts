/**
 * Our views in MEXC contract response shapes (MEXC futures API docs): contract detail, orders,
 * deals, positions and assets. Sizes are in contracts (`vol`), prices and amounts in the quote;
 * numbers are JSON numbers as MEXC sends them (each the shortest decimal that reads back as the same
 * double: the exact decimal up to 15 significant digits), ids are strings.
 *
 * MEXC's sides: 1 open long, 2 close short, 3 open short, 4 close long; in one-way mode a buy is
 * 1 and a reduce-only buy 2, a sell 3 and a reduce-only sell 4. Order types: 1 limit, 2 post-only,
 * 3 IOC, 4 FOK, 5 market (6, market at the current price, is answered as 5). States: 2 open
 * (partially filled included), 3 filled, 4 cancelled (expired and partially cancelled included).
 */
import { decimalsOf, div, formatFixed, mul, ONE, parseFixed, type Fixed } from '../../core/money/fixed.js';
import { executionType, type OrderType, type Side } from '../../core/orders/order.js';
import { unmarked, type FuturesAccountFigures, type FuturesPositionFigures } from '../../execution/account-read-port.js';
import type { AccountFill } from '../dialect-kit/account-history.js';
import type { OrderView } from '../service-deps.js';
import { volOf, type Contract } from './mexc-contract-symbols.js';

/** A decimal string as the JSON number MEXC sends. */
export const num = (text: string | Fixed): number => Number(typeof text === 'string' ? text : formatFixed(text));

export const ORDER_TYPE_OF_CODE: Readonly<Record<number, OrderType>> = { 1: 'LIMIT', 2: 'LIMIT_MAKER', 3: 'IMMEDIATE_OR_CANCEL', 4: 'FILL_OR_KILL', 5: 'MARKET', 6: 'MARKET' };
const CODE_OF_ORDER_TYPE: Readonly<Partial<Record<OrderType, number>>> = { LIMIT: 1, LIMIT_MAKER: 2, IMMEDIATE_OR_CANCEL: 3, FILL_OR_KILL: 4, MARKET: 5 };

export function sideCodeOf(side: Side, reduceOnly: boolean): 1 | 2 | 3 | 4 {
  if (side === 'BUY') return reduceOnly ? 2 : 1;
  return reduceOnly ? 4 : 3;
}

export function stateOf(status: string): 2 | 3 | 4 {
  if (status === 'NEW' || status === 'PARTIALLY_FILLED') return 2;
  return status === 'FILLED' ? 3 : 4;
}

/** One entry of `GET /api/v1/contract/detail`. */
export function contractDetail(c: Contract): Record<string, unknown> {
  const i = c.instrument;
  const volUnit = div(i.stepSize, c.contractSize, 'half-up');
  const firstTier = i.marginTiers?.[0];
  const band = i.priceBand;
  return {
    symbol: c.symbol,
    displayName: `${c.symbol} PERPETUAL`,
    displayNameEn: `${c.symbol} PERPETUAL`,
    positionOpenType: 3,
    baseCoin: i.base,
    quoteCoin: i.quote,
    settleCoin: i.quote,
    contractSize: num(c.contractSize),
    minLeverage: 1,
    maxLeverage: i.maxLeverage ?? 1,
    priceScale: decimalsOf(i.tickSize),
    volScale: decimalsOf(volUnit),
    amountScale: i.quoteCommissionPrecision,
    priceUnit: num(i.tickSize),
    volUnit: num(volUnit),
    minVol: num(volOf(c, i.minQty)),
    maxVol: num(volOf(c, i.maxQty)),
    ...(band !== undefined ? { bidLimitPriceRate: num(band.bidUp - ONE), askLimitPriceRate: num(ONE - band.askDown) } : {}),
    takerFeeRate: num(i.takerFee),
    makerFeeRate: num(i.makerFee),
    ...(firstTier !== undefined ? { maintenanceMarginRate: num(firstTier.maintenanceMarginRate), initialMarginRate: num(div(ONE, BigInt(firstTier.maxLeverage) * ONE, 'up')) } : {}),
    state: 0,
    isNew: false,
    isHot: false,
    isHidden: false,
    apiAllowed: true,
  };
}

/** What an order's fills add up to: fees by liquidity and realized profit. */
export interface OrderFillTotals {
  readonly takerFee: Fixed;
  readonly makerFee: Fixed;
  readonly profit: Fixed;
  readonly feeAsset: string | undefined;
}

export function fillTotals(fills: readonly AccountFill[]): OrderFillTotals {
  let takerFee = 0n;
  let makerFee = 0n;
  let profit = 0n;
  for (const f of fills) {
    if (f.liquidity === 'TAKER') takerFee += parseFixed(f.fee);
    else makerFee += parseFixed(f.fee);
    if (f.realizedPnl !== undefined) profit += parseFixed(f.realizedPnl);
  }
  return { takerFee, makerFee, profit, feeAsset: fills[0]?.feeAsset };
}

/**
 * `GET /api/v1/private/order/get/{order_id}` and the order lists. `orderMargin` is what the order
 * still reserves; the position an order opened is not tracked per order, so `positionId` is absent.
 * `triggeredAt`, for the order a trigger order placed, is its `createTime`: MEXC creates that order
 * when the trigger fires (docs/adr/0079-mexc-trigger-order-change.md), and it changed no earlier
 * (`updateTime`); any other order's is its arrival.
 */
export function contractOrder(
  o: OrderView,
  c: Contract,
  terms: { readonly reduceOnly: boolean; readonly leverage: number; readonly openType: 1 | 2; readonly orderMargin: Fixed; readonly triggeredAt?: number | undefined },
  totals: OrderFillTotals,
): Record<string, unknown> {
  const executed = parseFixed(o.executedQty);
  const average = executed > 0n ? formatFixed(div(parseFixed(o.cumulativeQuoteQty), executed, 'half-up')) : '0';
  return {
    orderId: o.orderId,
    symbol: c.symbol,
    price: num(o.price ?? '0'),
    vol: num(volOf(c, o.quantity)),
    leverage: terms.leverage,
    side: sideCodeOf(o.side, terms.reduceOnly),
    category: 1,
    // A trigger order that triggered is the order it placed: STOP_LOSS a market order (5), STOP_LOSS_LIMIT a limit (1).
    orderType: CODE_OF_ORDER_TYPE[executionType(o.type)] ?? 1,
    dealAvgPrice: num(average),
    dealVol: num(volOf(c, o.executedQty)),
    orderMargin: num(terms.orderMargin),
    takerFee: num(totals.takerFee),
    makerFee: num(totals.makerFee),
    profit: num(totals.profit),
    feeCurrency: totals.feeAsset ?? c.instrument.quote,
    openType: terms.openType,
    state: stateOf(o.status),
    externalOid: o.clientOrderId,
    errorCode: 0,
    createTime: terms.triggeredAt ?? o.createdAt,
    // The kernel does not touch a trigger order's updatedAt at its trigger: the placed order changed no earlier than its creation.
    updateTime: Math.max(o.updatedAt, terms.triggeredAt ?? o.updatedAt),
    positionMode: 2,
    reduceOnly: terms.reduceOnly,
  };
}

/** One entry of `GET /api/v1/private/order/list/order_deals` and `order/deal_details/{order_id}`. */
export function contractDeal(f: AccountFill, c: Contract, reduceOnly: boolean): Record<string, unknown> {
  return {
    id: f.id,
    symbol: c.symbol,
    side: sideCodeOf(f.side, reduceOnly),
    vol: num(volOf(c, f.quantity)),
    price: num(f.price),
    feeCurrency: f.feeAsset,
    fee: num(f.fee),
    timestamp: f.time,
    profit: num(f.realizedPnl ?? '0'),
    category: 1,
    orderId: f.orderId,
    positionMode: 2,
    taker: f.liquidity === 'TAKER',
  };
}

/** The numeric MEXC position id of one of the kernel's (`<account>:<symbol>:<seq>`): its sequence number. */
export function positionNumber(kernelPositionId: string): number {
  return Number(kernelPositionId.slice(kernelPositionId.lastIndexOf(':') + 1));
}

/**
 * One entry of `GET /api/v1/private/account/assets` (and the `push.personal.asset` body):
 * cash = wallet − position margins − open orders' reservations; equity = wallet + unrealized PnL,
 * both null while a held position has no mark (`unmarked`): its PnL is not known.
 */
export function contractAsset(a: FuturesAccountFigures): Record<string, unknown> {
  const positionMargin = a.positions.reduce((sum, x) => sum + parseFixed(x.margin), 0n);
  const wallet = parseFixed(a.wallet);
  const cash = wallet - positionMargin - parseFixed(a.reserved);
  const marked = !a.positions.some(unmarked);
  return {
    currency: a.settleAsset,
    positionMargin: num(positionMargin),
    availableBalance: num(a.available),
    cashBalance: num(cash),
    frozenBalance: num(a.reserved),
    equity: marked ? num(wallet + parseFixed(a.unrealizedPnl)) : null,
    unrealized: marked ? num(a.unrealizedPnl) : null,
    bonus: 0,
    availableCash: num(cash),
    availableOpen: num(a.available),
  };
}

/** A fill of a position as the `trades` read table holds it (the columns the closed part needs). */
export interface PositionFill {
  /** The fill's effect on the position (read-model.ts `positionEffect`); null for spot. */
  readonly side: 'OPEN' | 'CLOSE' | 'PARTIAL_CLOSE' | null;
  /** Base units. */
  readonly size: string;
  readonly price: string;
  readonly quoteQty: string;
  /** Realized PnL in the quote, on a fill that closed something (else null). */
  readonly pnl: string | null;
  readonly fee: string;
}

/** What a position has closed so far: base units, their quote value, and realized PnL less fees. */
export interface ClosedPart {
  readonly qty: Fixed;
  readonly quote: Fixed;
  readonly realised: Fixed;
}

/**
 * What closed part of a position, from its fills in execution order: the size closed, its quote
 * value (closeVol and closeAvgPrice), and realized PnL less fees. A fill that flipped the position
 * closed only what was held (the rest opened the next one, and is not this position's closeVol); its
 * realized PnL and whole fee are this position's (docs/adr/0028). With no opening fill on record (an
 * imported position) a close counts in full. The one count of the REST positions and the
 * `push.personal.position` stream.
 */
export function positionClosedPart(fills: readonly PositionFill[]): ClosedPart {
  let held = 0n;
  let qty = 0n;
  let quote = 0n;
  let realised = 0n;
  for (const f of fills) {
    realised += parseFixed(f.pnl ?? '0') - parseFixed(f.fee);
    const size = parseFixed(f.size);
    if (f.side === 'OPEN') held += size;
    else if (f.side === 'CLOSE' || f.side === 'PARTIAL_CLOSE') {
      const part = held > 0n && held < size ? held : size;
      held = held > part ? held - part : 0n;
      qty += part;
      quote += part === size ? parseFixed(f.quoteQty) : mul(part, parseFixed(f.price));
    }
  }
  return { qty, quote, realised };
}

/**
 * A position as MEXC states it, whatever it was read from: the REST figures (contractOpenPosition)
 * or a kernel position event (the `push.personal.position` body). Prices and amounts in the quote;
 * `held` in base units, unsigned.
 */
export interface ContractPositionState {
  readonly positionId: string;
  /** 1 long, 2 short. */
  readonly positionType: 1 | 2;
  /** 1 isolated, 2 cross. */
  readonly openType: 1 | 2;
  /** 1 held, 3 closed. */
  readonly state: 1 | 3;
  readonly held: Fixed;
  readonly entryPrice: string;
  readonly liquidationPrice: string | null | undefined;
  readonly margin: string;
  /** Funding the position paid (negative: received); MEXC's holdFee is its opposite. */
  readonly fundingPaid: string;
  /** Realized PnL less fees. */
  readonly realised: string;
  /** Unrealized PnL at the mark, where a mark is known. */
  readonly unrealised?: string;
  readonly leverage: number;
  readonly createTime: number;
  readonly updateTime: number;
}

/**
 * One position in MEXC's shape (`position/open_positions` entry and `push.personal.position` body;
 * MEXC futures docs, "Get the user's current holding position": closeVol "close volume",
 * closeAvgPrice "close average price"). `closed`: what the position has closed so far
 * (positionClosedPart); closeAvgPrice = quote / qty, 0 with nothing closed.
 */
export function contractPosition(p: ContractPositionState, c: Contract, closed: Pick<ClosedPart, 'qty' | 'quote'>): Record<string, unknown> {
  return {
    positionId: positionNumber(p.positionId),
    symbol: c.symbol,
    positionType: p.positionType,
    openType: p.openType,
    state: p.state,
    holdVol: num(volOf(c, p.held)),
    frozenVol: 0,
    closeVol: num(volOf(c, closed.qty)),
    holdAvgPrice: num(p.entryPrice),
    openAvgPrice: num(p.entryPrice),
    closeAvgPrice: closed.qty > 0n ? num(div(closed.quote, closed.qty, 'half-up')) : 0,
    liquidatePrice: num(p.liquidationPrice ?? '0'),
    oim: num(p.margin),
    im: num(p.margin),
    holdFee: num(-parseFixed(p.fundingPaid)),
    realised: num(p.realised),
    ...(p.unrealised !== undefined ? { unrealised: num(p.unrealised) } : {}),
    leverage: p.leverage,
    createTime: p.createTime,
    updateTime: p.updateTime,
    autoAddIm: false,
    positionMode: 2,
  };
}

/**
 * One open position of `GET /api/v1/private/position/open_positions`: the read port's figures through
 * contractPosition. `closed`: what it has closed so far (zeros without it: live, the venue's).
 */
export function contractOpenPosition(a: FuturesAccountFigures, p: FuturesPositionFigures, c: Contract, closed?: Pick<ClosedPart, 'qty' | 'quote'>): Record<string, unknown> {
  const size = parseFixed(p.size);
  const state: ContractPositionState = {
    positionId: p.positionId ?? '0',
    positionType: size > 0n ? 1 : 2,
    openType: a.marginMode === 'cross' ? 2 : 1,
    state: 1,
    held: size < 0n ? -size : size,
    entryPrice: p.entryPrice,
    liquidationPrice: p.liquidationPrice,
    margin: p.margin,
    fundingPaid: p.fundingPaid ?? '0',
    realised: p.realizedPnl ?? '0',
    ...(unmarked(p) ? {} : { unrealised: p.unrealizedPnl }),
    leverage: p.leverage,
    createTime: p.updateTime,
    updateTime: a.updateTime,
  };
  return contractPosition(state, c, closed ?? { qty: 0n, quote: 0n });
}
