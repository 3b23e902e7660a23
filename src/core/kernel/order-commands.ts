/**
 * Order commands as they reach the venue: check the request's shape and the exchange's rules
 * (matching/exchange-rules.ts), build the order, hand it to the matching engine; cancel one. Refusals are ORDER_REJECTED / CANCEL_REJECTED events with MEXC's codes.
 */
import { FuturesOrderSettlement } from '../accounts/futures-settlement.js';
import { checkPositionLimit } from '../accounts/position-limit.js';
import { SpotOrderSettlement } from '../accounts/spot-order-settlement.js';
import { lockedAssetOf } from '../accounts/spot-settlement.js';
import { checkExchangeRules, checkListCaps, RULE_NAMES, type PlacementContext, type RuleName } from '../matching/exchange-rules.js';
import type { Market } from '../matching/market.js';
import type { Fixed } from '../money/fixed.js';
import type { Settlement } from '../matching/settlement.js';
import { isConditional, ORDER_TYPES, type Order, type TriggerSource } from '../orders/order.js';
import { isOpenStatus } from '../orders/order-status.js';
import { parseOrderRequest, validateOrder, type OrderRequest } from '../orders/order-validation.js';
import { fail, ok, PRICE_RANGE_WORDS, rejection, type Rejection, type Result } from '../orders/rejection.js';
import { bracketOf } from './bracket-exits.js';
import type { CancelOrderInput, PlaceOrderInput, PlaceOrderListInput } from './inputs.js';
import type { KernelCore, KernelState } from './kernel-state.js';
import { extend } from '../objects.js';

export function settlementFor(s: KernelState, accountId: string, market: Market): Settlement {
  // Two lookups by strings the maps have hashed before, not a key concatenated per order and per fill.
  let bySymbol = s.settlements.get(accountId);
  if (bySymbol === undefined) s.settlements.set(accountId, (bySymbol = new Map()));
  let settlement = bySymbol.get(market.instrument.symbol);
  if (settlement === undefined) {
    const account = s.accountsById.get(accountId)!;
    const lastTrade = (): Fixed | undefined => market.lastTradeValue();
    settlement =
      account.kind === 'futures'
        ? new FuturesOrderSettlement(account, market.instrument, () => s.clock, (symbol) => s.markets.get(symbol)?.mark, () => market.mark ?? lastTrade(), (symbol) => s.markets.get(symbol)?.instrument, () => s.openOrdersOn(accountId, market.instrument.symbol))
        : new SpotOrderSettlement(account, market.instrument, () => market.book.bids.bestPrice(), () => lastTrade() ?? market.book.asks.bestPrice());
    bySymbol.set(market.instrument.symbol, settlement);
  }
  return settlement;
}

/** Why an account of this kind may not place an order on this market (spot against perpetual, reduceOnly on spot), or undefined. */
export function accountMarketProblem(futures: boolean, market: 'spot' | 'perpetual', symbol: string, reduceOnly: boolean): Rejection | undefined {
  if (futures !== (market === 'perpetual')) return futures ? rejection('INVALID_ORDER', 'a futures account trades perpetuals only') : rejection('NOT_A_FUTURES_ACCOUNT', symbol);
  if (reduceOnly && !futures) return rejection('INVALID_ORDER', 'reduceOnly applies to futures only');
  return undefined;
}

/** Places one order; the order when the venue took it, undefined when it was refused (an ORDER_REJECTED). */
export function placeOrder(core: KernelCore, input: PlaceOrderInput, internal: boolean): Order | undefined {
  const { s } = core;
  const clientOrderId = input.clientOrderId ?? `papertrade-${s.orderSeq + 1}`;
  const account = s.accountsById.get(input.account);
  if (account === undefined) return refused(s, input, clientOrderId, rejection('UNKNOWN_ACCOUNT', input.account));
  if (!internal && s.health.get(input.account)!.halted) return refused(s, input, clientOrderId, rejection('ACCOUNT_HALTED', 'max drawdown reached'));
  const market = s.markets.get(input.symbol);
  if (market === undefined) return refused(s, input, clientOrderId, rejection('UNKNOWN_SYMBOL', input.symbol));
  const futures = account.kind === 'futures';
  const mismatch = accountMarketProblem(futures, market.instrument.market, input.symbol, input.reduceOnly === true);
  if (mismatch !== undefined) return refused(s, input, clientOrderId, mismatch);
  const parsed = parseOrderRequest(input);
  if (!parsed.ok) return refused(s, input, clientOrderId, parsed.error);
  const shaped = validateOrder(parsed.value);
  if (!shaped.ok) return refused(s, input, clientOrderId, shaped.error);
  const source = triggerSourceOf(s, input, market);
  if (!source.ok) return refused(s, input, clientOrderId, source.error);
  const validity = expireAfterOf(input);
  if (validity !== undefined) return refused(s, input, clientOrderId, validity);
  const context = placementContext(s, market, input.account, input.reduceOnly === true, input.ocoGroup, source.value);
  const valid = checkExchangeRules(shaped.value, market.instrument, context);
  if (!valid.ok) return refused(s, input, clientOrderId, valid.error);
  const entryPrice = valid.value.price ?? valid.value.stopPrice ?? (valid.value.side === 'BUY' ? market.book.asks.bestPrice() : market.book.bids.bestPrice());
  const bracket = bracketOf(input, market.instrument, valid.value.side, entryPrice);
  if (!bracket.ok) return refused(s, input, clientOrderId, bracket.error);
  if (bracket.value !== undefined) {
    // The entry and its exits count against the caps together, as an OTOCO does: exits that could not be placed refuse the bracket now.
    const exits = (bracket.value.takeProfit !== undefined ? 1 : 0) + (bracket.value.stopLoss !== undefined ? 1 : 0);
    const over = checkListCaps(market.instrument, context, 1 + exits, (isConditional(valid.value.type) ? 1 : 0) + exits);
    if (over !== undefined) return refused(s, input, clientOrderId, over);
  }
  if (bracket.value !== undefined && s.orders(input.account).some((o) => o.ocoGroup === input.ocoGroup && isOpenStatus(o.status))) {
    return refused(s, input, clientOrderId, rejection('INVALID_ORDER', `group ${input.ocoGroup} already has open orders`));
  }
  const ids = s.clientIds.get(input.account)!;
  const previous = ids.get(clientOrderId);
  if (previous !== undefined && isOpenStatus(s.ordersById.get(previous)!.status)) return refused(s, input, clientOrderId, rejection('DUPLICATE_CLIENT_ORDER_ID', clientOrderId));
  // A bracket's exits take the client ids `<group>-tp`, `<group>-sl` (later pairs `-tp-n`, `-sl-n`:
  // bracket-exits.ts) when its entry fills; an open order holding one would have that exit refused
  // then, and what the entry filled left without it. So a bracket is refused while an open order
  // holds an id of its first pair, and no order but the bracket's own takes an exit's id while its
  // entry is open.
  if (bracket.value !== undefined) {
    const held = [`${input.ocoGroup}-tp`, `${input.ocoGroup}-sl`].find((id) => {
      const holder = ids.get(id);
      return holder !== undefined && isOpenStatus(s.ordersById.get(holder)!.status);
    });
    if (held !== undefined) return refused(s, input, clientOrderId, rejection('DUPLICATE_CLIENT_ORDER_ID', `${held}, the client id of this bracket's exit`));
  }
  const exitGroup = /^(.+)-(?:tp|sl)(?:-[0-9]+)?$/.exec(clientOrderId)?.[1];
  if (exitGroup !== undefined && exitGroup !== input.ocoGroup && s.orders(input.account).some((o) => o.ocoGroup === exitGroup && o.bracket !== undefined && isOpenStatus(o.status))) {
    return refused(s, input, clientOrderId, rejection('DUPLICATE_CLIENT_ORDER_ID', `${clientOrderId}, the client id of an exit of the open bracket ${exitGroup}`));
  }
  const request = valid.value;
  const leverage = futures ? account.leverageOf(input.symbol) : 1;
  if (futures) {
    // The account's open orders on the symbol from the kernel's index: the check sums them, so their
    // order does not matter, and a walk of the market's lists would cost every account's orders there.
    const opposite = request.side === 'BUY' ? market.book.asks : market.book.bids;
    const over = checkPositionLimit(account, request, leverage, input.reduceOnly === true, { instrument: market.instrument, mark: market.mark, opposite, openOrders: s.openOrdersOn(input.account, input.symbol) });
    if (over !== undefined) return refused(s, input, clientOrderId, over);
  }
  const order: Order = {
    id: String(s.orderSeq + 1),
    clientOrderId,
    account: input.account,
    symbol: input.symbol,
    side: request.side,
    type: request.type,
    price: request.price,
    quantity: request.quantity ?? 0n,
    quoteOrderQty: request.quoteOrderQty,
    submittedAt: input.time,
    arrivesAt: s.clock,
    arrivalSeq: s.sequence,
    status: 'NEW',
    executedQty: 0n,
    cumulativeQuoteQty: 0n,
    locked: 0n,
    lockedAsset: futures ? account.settleAsset : lockedAssetOf(request.side, market.instrument),
    queueAhead: 0n,
    updatedAt: s.clock,
    leverage,
    reduceOnly: input.reduceOnly === true,
    stopPrice: request.stopPrice,
    activationPrice: request.activationPrice,
    callbackRate: request.callbackRate,
    trailPeak: undefined,
    triggered: !isConditional(request.type),
    triggeredAt: undefined,
    ocoGroup: input.ocoGroup,
    ...(bracket.value !== undefined ? { bracket: bracket.value } : {}),
    ...(request.maxSlippage !== undefined ? { maxSlippage: request.maxSlippage } : {}),
    // Explicit whenever it is the mark or not the kernel's setting: absent, the kernel's setting (ADR 0066).
    ...(source.value !== undefined && (source.value === 'mark' || source.value !== s.triggerSource) ? { triggerSource: source.value } : {}),
    ...(input.expireAfterMs !== undefined ? { expireTime: s.clock + input.expireAfterMs } : {}),
    feeExact: 0n,
    feeCharged: 0n,
  };
  s.orderSeq += 1;
  s.addOrder(order);
  const refusal = core.engine.arrive(order, market);
  if (refusal !== undefined) {
    s.removeLastOrder(order);
    s.orderSeq -= 1;
    return refused(s, input, clientOrderId, refusal);
  }
  s.trackPlaced(order);
  if (order.expireTime !== undefined && order.expireTime < s.nextExpireTime) s.nextExpireTime = order.expireTime;
  ids.set(clientOrderId, order.id);
  return order;
}

/**
 * Emits the ORDER_REJECTED a placement ends in; undefined, for `placeOrder` to return. A function of
 * its own, not a closure made per placement.
 */
function refused(s: KernelState, input: PlaceOrderInput, clientOrderId: string, why: Rejection): undefined {
  s.out.push({ type: 'ORDER_REJECTED', at: s.clock, account: input.account, clientOrderId, symbol: input.symbol, status: 'REJECTED', code: why.code, mexcCode: why.mexcCode, message: why.message });
  return undefined;
}

/**
 * An order list: every leg placed, in order, or none. A leg is checked and placed as a single
 * order is (so the exchange rules see the earlier legs as open, and on spot the legs share one
 * reservation); when one is refused, the legs placed before it are taken back (detached, their
 * reservation released, their ids, events and sequence numbers undone) and the input's only event
 * is the failing leg's ORDER_REJECTED. Legs are limited to kinds that cannot fill as they arrive,
 * so nothing a leg did can outlive the take-back.
 */
export function placeOrderList(core: KernelCore, input: PlaceOrderListInput): void {
  const { s } = core;
  const eventsBefore = s.out.length;
  const seqBefore = s.orderSeq;
  const placed: { order: Order; previous: string | undefined }[] = [];
  for (let i = 0; i < input.orders.length; i += 1) {
    const leg = input.orders[i]!;
    const single: PlaceOrderInput = extend(leg, { kind: 'order.place', time: input.time, account: input.account });
    const clientOrderId = single.clientOrderId ?? `papertrade-${s.orderSeq + 1}`;
    const misfit = listLegProblem(single, i);
    const previous = s.clientIds.get(input.account)?.get(clientOrderId);
    const order = misfit === undefined ? placeOrder(core, single, false) : undefined;
    if (order !== undefined) {
      if (!isOpenStatus(order.status) || order.executedQty !== 0n) throw new Error(`list leg ${order.id} acted as it arrived`);
      placed.push({ order, previous });
      continue;
    }
    const refusal =
      misfit === undefined
        ? s.out[s.out.length - 1]!
        : { type: 'ORDER_REJECTED' as const, at: s.clock, account: input.account, clientOrderId, symbol: single.symbol, status: 'REJECTED' as const, code: misfit.code, mexcCode: misfit.mexcCode, message: misfit.message };
    const ids = s.clientIds.get(input.account);
    for (let j = placed.length - 1; j >= 0; j -= 1) {
      const taken = placed[j]!;
      core.engine.cancel(taken.order, s.market(taken.order.symbol), 'CANCELED_BY_USER');
      s.removeLastOrder(taken.order);
      if (taken.previous === undefined) ids!.delete(taken.order.clientOrderId);
      else ids!.set(taken.order.clientOrderId, taken.previous);
    }
    s.orderSeq = seqBefore;
    s.out.length = eventsBefore;
    s.out.push(refusal);
    return;
  }
}

/** Why a leg cannot be part of a list, or undefined. */
function listLegProblem(leg: PlaceOrderInput, index: number): Rejection | undefined {
  if (leg.takeProfit !== undefined || leg.stopLoss !== undefined) return rejection('INVALID_ORDER', `list leg ${index + 1} carries no exits`);
  if (typeof leg.type === 'string' && leg.type !== 'LIMIT_MAKER' && !isConditional(leg.type)) return rejection('INVALID_ORDER', `list leg ${index + 1} is LIMIT_MAKER or a stop order, not ${String(leg.type)}`);
  return undefined;
}

/**
 * The refusal `request` from `account` would meet from the exchange rules (exchange-rules.ts:
 * PRICE_FILTER … MAX_NUM_ALGO_ORDERS) were it placed now, in no order list, with the placement's
 * own context; undefined when every rule passes. `rules` asks only those rules (`SPEC_RULES`: the
 * ones that answer the same before the order is due). A rule whose field the request leaves
 * undefined (a quantity, say) passes. No effect on the state. Bad input is refused, never thrown:
 * UNKNOWN_ACCOUNT, UNKNOWN_SYMBOL, INVALID_ORDER (a side, type or rule name not known, a field not
 * a fixed-point amount), INVALID_PRICE or INVALID_ORDER for an amount at or below 0, as placement
 * answers it.
 */
export function exchangeRuleRefusal(s: KernelState, account: string, symbol: string, request: OrderRequest, reduceOnly: boolean, rules?: readonly RuleName[]): Rejection | undefined {
  if (!s.accountsById.has(account)) return rejection('UNKNOWN_ACCOUNT', String(account));
  const market = s.markets.get(symbol);
  if (market === undefined) return rejection('UNKNOWN_SYMBOL', String(symbol));
  const only = ruleSelection(rules);
  if (!only.ok) return only.error;
  const malformed = requestProblem(request);
  if (malformed !== undefined) return malformed;
  const checked = checkExchangeRules(request, market.instrument, placementContext(s, market, account, reduceOnly === true, undefined), only.value);
  return checked.ok ? undefined : checked.error;
}

/** The rules a query names, as a set; undefined (every rule) when it names none. */
function ruleSelection(rules: unknown): Result<ReadonlySet<RuleName> | undefined> {
  if (rules === undefined) return ok(undefined);
  if (!Array.isArray(rules)) return fail('INVALID_ORDER', `rules must be a list of rule names (${RULE_NAMES.join(', ')})`);
  for (const name of rules) {
    if (!(RULE_NAMES as readonly unknown[]).includes(name)) return fail('INVALID_ORDER', `${JSON.stringify(name)} is not an exchange rule (${RULE_NAMES.join(', ')})`);
  }
  return ok(new Set(rules as RuleName[]));
}

/** What placement's shape check would refuse in a request's own fields, with the fields a query may leave out left out. */
function requestProblem(request: OrderRequest): Rejection | undefined {
  if (typeof request !== 'object' || request === null) return rejection('INVALID_ORDER', 'the request must be an order request');
  if (request.side !== 'BUY' && request.side !== 'SELL') return rejection('INVALID_ORDER', `side must be BUY or SELL, got ${String(request.side)}`);
  if (!(ORDER_TYPES as readonly unknown[]).includes(request.type)) return rejection('INVALID_ORDER', `type must be one of ${ORDER_TYPES.join(', ')}, got ${String(request.type)}`);
  for (const field of ['quantity', 'quoteOrderQty', 'price', 'stopPrice', 'activationPrice', 'callbackRate'] as const) {
    const value: unknown = request[field];
    if (value === undefined) continue;
    if (typeof value !== 'bigint') return rejection('INVALID_ORDER', `${field} must be a fixed-point amount`);
    if (value > 0n) continue;
    // As validateOrder answers: a price or activation at or below 0 is outside any price range; a stop, a size or a callback is not valid.
    if (field === 'price' || field === 'activationPrice') return rejection('INVALID_PRICE', `${field} must be positive`, PRICE_RANGE_WORDS);
    return rejection('INVALID_ORDER', `${field} must be positive`);
  }
  if (request.callbackRate !== undefined && request.callbackRate >= 10n ** 18n) return rejection('INVALID_ORDER', 'callbackRate must be a fraction between 0 and 1 (e.g. "0.01" for 1 %)');
  return undefined;
}

/**
 * The price stream a placed conditional order watches (ADR 0066): the input's `triggerSource`, else
 * the kernel's setting; undefined for an order that is not conditional. Refused (INVALID_ORDER): a
 * value other than 'last' or 'mark', one on an order that does not trigger, 'mark' on a spot market
 * (Binance's workingType MARK_PRICE is a futures parameter).
 */
function triggerSourceOf(s: KernelState, input: PlaceOrderInput, market: Market): Result<TriggerSource | undefined> {
  const given: unknown = input.triggerSource;
  if (given === undefined) return ok(isConditional(input.type) ? s.triggerSource : undefined);
  if (given !== 'last' && given !== 'mark') return fail('INVALID_ORDER', `triggerSource must be last or mark, got ${JSON.stringify(given)}`);
  if (!isConditional(input.type)) return fail('INVALID_ORDER', `a ${input.type} order has no trigger: triggerSource applies to conditional orders`);
  if (given === 'mark' && market.instrument.market !== 'perpetual') return fail('INVALID_ORDER', 'spot orders trigger on the last price: triggerSource mark applies to perpetuals');
  return ok(given);
}

/**
 * Why the input's `expireAfterMs` is refused (INVALID_ORDER), or undefined: it must be a whole
 * number of ms above 0 (at most 10 years, so that arrival + validity stays a safe integer), on a
 * conditional order (the validity is its trigger's).
 */
function expireAfterOf(input: PlaceOrderInput): Rejection | undefined {
  const given: unknown = input.expireAfterMs;
  if (given === undefined) return undefined;
  if (typeof given !== 'number' || !Number.isSafeInteger(given) || given <= 0 || given > MAX_EXPIRE_AFTER_MS) return rejection('INVALID_ORDER', `expireAfterMs must be a whole number of ms from 1 to ${MAX_EXPIRE_AFTER_MS}, got ${JSON.stringify(given)}`);
  if (!isConditional(input.type)) return rejection('INVALID_ORDER', `a ${input.type} order has no trigger: expireAfterMs applies to conditional orders`);
  return undefined;
}
const MAX_EXPIRE_AFTER_MS = 10 * 366 * 24 * 60 * 60 * 1000;

/**
 * The market and the account as the exchange rules see them when an order arrives (the caps'
 * counts: `openOrderCounts`); the trigger price is that of the stream `source` (default: the kernel's).
 */
function placementContext(s: KernelState, market: Market, account: string, reduceOnly: boolean, group: string | undefined, source: TriggerSource = s.triggerSource): PlacementContext {
  const { openOrders, openAlgoOrders } = openOrderCountsOn(s, account, market.instrument.symbol, group);
  const triggerPrice = source === 'mark' ? market.mark : market.lastTradeValue();
  return new Placement(reduceOnly, market, s.clock, market.mark, triggerPrice, openOrders, openAlgoOrders);
}

/**
 * The open orders and open conditional orders an arriving order of order list `group` counts
 * against the caps (MAX_NUM_ORDERS, MAX_NUM_ALGO_ORDERS), from the account's open orders on its
 * symbol: a resting bracket entry's exits not placed yet count as open stop orders (an OTOCO's
 * pending pair), except those of the arriving order's own group.
 */
export function openOrderCounts(open: readonly Readonly<Order>[], group: string | undefined): { openOrders: number; openAlgoOrders: number } {
  let openOrders = 0;
  let openAlgoOrders = 0;
  // An index loop: a for-of over the list left an iterator result per order on the heap (about
  // 4 KB per placement at 200 open orders, sampling heap profile).
  for (let i = 0; i < open.length; i += 1) {
    const order = open[i]!;
    const pending = pendingExits(order, group);
    openOrders += 1 + pending;
    openAlgoOrders += (isConditional(order.type) && !order.triggered ? 1 : 0) + pending;
  }
  return { openOrders, openAlgoOrders };
}

/**
 * `openOrderCounts` over `s.openOrdersOn(account, symbol)`, in one walk of the index's list that
 * also drops the orders closed since it was last read, as `openOrdersOn` would have first.
 */
function openOrderCountsOn(s: KernelState, account: string, symbol: string, group: string | undefined): { openOrders: number; openAlgoOrders: number } {
  const list = s.openIndexOn(account, symbol);
  let openOrders = 0;
  let openAlgoOrders = 0;
  if (list === undefined) return { openOrders, openAlgoOrders };
  let kept = 0;
  for (let i = 0; i < list.length; i += 1) {
    const order = list[i]!;
    if (!isOpenStatus(order.status)) continue;
    list[kept++] = order;
    const pending = pendingExits(order, group);
    openOrders += 1 + pending;
    openAlgoOrders += (isConditional(order.type) && !order.triggered ? 1 : 0) + pending;
  }
  if (kept !== list.length) list.length = kept;
  return { openOrders, openAlgoOrders };
}

/** The exits of a resting bracket entry not placed yet, which count as open stop orders, unless it is of the arriving order's group. */
function pendingExits(order: Readonly<Order>, group: string | undefined): number {
  const bracket = order.bracket;
  if (bracket === undefined || bracket.pairs !== 0 || order.ocoGroup === group) return 0;
  return (bracket.takeProfit !== undefined ? 1 : 0) + (bracket.stopLoss !== undefined ? 1 : 0);
}

/**
 * A placement's context whose average price is summed only when a rule reads it (a band on the
 * average, a market order's notional), once. A class: its getter is on the prototype, where an
 * object literal's getter makes every context a slow object.
 */
class Placement implements PlacementContext {
  private average: { readonly value: Fixed | undefined } | undefined;

  constructor(
    readonly reduceOnly: boolean,
    private readonly market: Market,
    private readonly clock: number,
    readonly markPrice: Fixed | undefined,
    readonly triggerPrice: Fixed | undefined,
    readonly openOrders: number,
    readonly openAlgoOrders: number,
  ) {}

  get averagePrice(): Fixed | undefined {
    return (this.average ??= { value: this.market.averagePrice.at(this.clock) }).value;
  }
}

export function cancelOrder(core: KernelCore, input: CancelOrderInput): void {
  const { s } = core;
  const reject = (why: Rejection): void => {
    s.out.push({
      type: 'CANCEL_REJECTED',
      at: s.clock,
      account: input.account,
      ...(input.orderId !== undefined ? { orderId: input.orderId } : {}),
      ...(input.clientOrderId !== undefined ? { clientOrderId: input.clientOrderId } : {}),
      code: why.code,
      mexcCode: why.mexcCode,
      message: why.message,
    });
  };
  const orderId = input.orderId ?? s.clientIds.get(input.account)?.get(input.clientOrderId ?? '');
  const order = orderId === undefined ? undefined : s.ordersById.get(orderId);
  // Another account's order is indistinguishable from a missing one.
  if (order === undefined || order.account !== input.account) return reject(rejection('UNKNOWN_ORDER'));
  if (!isOpenStatus(order.status)) return reject(rejection('ORDER_NOT_OPEN'));
  core.engine.cancel(order, s.market(order.symbol), 'CANCELED_BY_USER');
}
