/**
 * `order/test` (Binance Spot and MEXC Spot v3): "creates and validates a new order but does not send
 * it into the matching engine". The order is checked as its placement would be — its shape, then the
 * instrument's filters (tick, step, sizes, notional, the band around the average price, a stop the
 * last trade has reached, the account's open-order caps) against the market as it stands — and
 * nothing is placed or journaled. Not checked, as on the exchanges: the balance.
 */
import type { Kernel } from '../../core/kernel/kernel.js';
import { checkExchangeRules } from '../../core/matching/exchange-rules.js';
import { isConditional } from '../../core/orders/order.js';
import { parseOrderRequest, validateOrder } from '../../core/orders/order-validation.js';
import type { Rejection } from '../../core/orders/rejection.js';
import type { PlaceOrderRequest } from '../service-deps.js';

/** The refusal the order would meet at placement, or undefined when it would be taken. */
export function testOrder(kernel: Kernel, accountId: string, request: PlaceOrderRequest): Rejection | undefined {
  const instrument = kernel.instrument(request.symbol);
  if (instrument === undefined) return undefined;
  const parsed = parseOrderRequest(request);
  if (!parsed.ok) return parsed.error;
  const shaped = validateOrder(parsed.value);
  if (!shaped.ok) return shaped.error;
  const open = kernel.openOrders(accountId).filter((o) => o.symbol === request.symbol);
  const checked = checkExchangeRules(shaped.value, instrument, {
    reduceOnly: request.reduceOnly === true,
    averagePrice: kernel.averagePrice(request.symbol),
    markPrice: kernel.markPrice(request.symbol),
    triggerPrice: kernel.triggerPrice(request.symbol),
    openOrders: open.length,
    openAlgoOrders: open.filter((o) => isConditional(o.type) && !o.triggered).length,
  });
  return checked.ok ? undefined : checked.error;
}
