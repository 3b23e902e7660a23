/**
 * `order/test` (Binance Spot and MEXC Spot v3): "creates and validates a new order but does not send
 * it into the matching engine". The order is checked as its placement would be — the account
 * (halted, a futures account on a spot pair), its shape, then the instrument's filters (tick, step,
 * sizes, notional, the band around the average price, a stop the last trade has reached, the
 * account's open-order caps) against the market as it stands — and nothing is placed or journaled. Not checked, as on the exchanges: the balance.
 */
import type { Kernel } from '../../core/kernel/kernel.js';
import { checkExchangeRules } from '../../core/matching/exchange-rules.js';
import { parseOrderRequest, validateOrder } from '../../core/orders/order-validation.js';
import { rejection, type Rejection } from '../../core/orders/rejection.js';
import { accountMarketProblem, openOrderCounts } from '../../core/kernel/order-commands.js';
import type { PlaceOrderRequest } from '../service-deps.js';

/** The refusal the order would meet at placement, or undefined when it would be taken. */
export function testOrder(kernel: Kernel, accountId: string, request: PlaceOrderRequest): Rejection | undefined {
  const instrument = kernel.instrument(request.symbol);
  if (instrument === undefined) return undefined;
  // The account's own refusals first, as placement checks them (an account the kernel does not hold, live, has none here).
  const account = kernel.account(accountId);
  if (account !== undefined) {
    if (kernel.isHalted(accountId)) return rejection('ACCOUNT_HALTED', 'max drawdown reached');
    const mismatch = accountMarketProblem(account.kind === 'futures', instrument.market, request.symbol, request.reduceOnly === true);
    if (mismatch !== undefined) return mismatch;
  }
  const parsed = parseOrderRequest(request);
  if (!parsed.ok) return parsed.error;
  const shaped = validateOrder(parsed.value);
  if (!shaped.ok) return shaped.error;
  const { openOrders, openAlgoOrders } = openOrderCounts(kernel.openOrders(accountId).filter((o) => o.symbol === request.symbol), request.ocoGroup);
  const checked = checkExchangeRules(shaped.value, instrument, {
    reduceOnly: request.reduceOnly === true,
    averagePrice: kernel.averagePrice(request.symbol),
    markPrice: kernel.markPrice(request.symbol),
    triggerPrice: kernel.triggerPrice(request.symbol),
    openOrders,
    openAlgoOrders,
  });
  return checked.ok ? undefined : checked.error;
}
