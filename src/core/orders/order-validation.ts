/**
 * Parses an order request and checks its shape before it touches any balance.
 *
 * Guarantees: a request that passes has a positive quantity (or quote amount), a positive price
 * where its type needs one, and exactly the trigger fields its type takes. Failures are
 * `Rejection`s with the exchange's codes. The instrument's filters are matching/exchange-rules.ts.
 */
import { DecimalFormatError, ONE, parseFixed, type Fixed } from '../money/fixed.js';
import { executionType, isConditional, ORDER_TYPES, type OrderType, type Side } from './order.js';
import { fail, ok, PRICE_RANGE_WORDS, type Result } from './rejection.js';

export interface OrderRequest {
  readonly side: Side;
  readonly type: OrderType;
  readonly quantity: Fixed | undefined;
  readonly quoteOrderQty: Fixed | undefined;
  readonly price: Fixed | undefined;
  readonly stopPrice: Fixed | undefined;
  readonly activationPrice: Fixed | undefined;
  readonly callbackRate: Fixed | undefined;
  /** Market execution only: the slippage cap, a fraction of the best opposite price (see PlaceOrderInput). */
  readonly maxSlippage?: Fixed | undefined;
}

/** The answer for an absent field, shared (a Result is never changed). */
const ABSENT: Result<Fixed | undefined> = ok(undefined);

/** A request's optional decimal field (`name` for the message): its Fixed, undefined when absent, or INVALID_ORDER. */
function decimalField(name: string, value: unknown): Result<Fixed | undefined> {
  if (value === undefined || value === null) return ABSENT;
  if (typeof value !== 'string') return fail('INVALID_ORDER', `${name} must be a decimal string`);
  try {
    return ok(parseFixed(value));
  } catch (e) {
    if (e instanceof DecimalFormatError) return fail('INVALID_ORDER', `${name}: ${e.message}`);
    throw e;
  }
}

export function parseOrderRequest(raw: {
  readonly side: unknown;
  readonly type: unknown;
  readonly quantity?: unknown;
  readonly quoteOrderQty?: unknown;
  readonly price?: unknown;
  readonly stopPrice?: unknown;
  readonly activationPrice?: unknown;
  readonly callbackRate?: unknown;
  readonly maxSlippage?: unknown;
}): Result<OrderRequest> {
  if (raw.side !== 'BUY' && raw.side !== 'SELL') return fail('INVALID_ORDER', `side must be BUY or SELL, got ${JSON.stringify(raw.side)}`);
  if (typeof raw.type !== 'string' || !(ORDER_TYPES as readonly string[]).includes(raw.type)) {
    return fail('INVALID_ORDER', `type must be one of ${ORDER_TYPES.join(', ')}, got ${JSON.stringify(raw.type)}`);
  }
  const quantity = decimalField('quantity', raw.quantity);
  if (!quantity.ok) return quantity;
  const quoteOrderQty = decimalField('quoteOrderQty', raw.quoteOrderQty);
  if (!quoteOrderQty.ok) return quoteOrderQty;
  const price = decimalField('price', raw.price);
  if (!price.ok) return price;
  const stopPrice = decimalField('stopPrice', raw.stopPrice);
  if (!stopPrice.ok) return stopPrice;
  const activationPrice = decimalField('activationPrice', raw.activationPrice);
  if (!activationPrice.ok) return activationPrice;
  const callbackRate = decimalField('callbackRate', raw.callbackRate);
  if (!callbackRate.ok) return callbackRate;
  const maxSlippage = decimalField('maxSlippage', raw.maxSlippage);
  if (!maxSlippage.ok) return maxSlippage;
  return ok({
    side: raw.side,
    type: raw.type as OrderType,
    quantity: quantity.value,
    quoteOrderQty: quoteOrderQty.value,
    price: price.value,
    stopPrice: stopPrice.value,
    activationPrice: activationPrice.value,
    callbackRate: callbackRate.value,
    ...(maxSlippage.value !== undefined ? { maxSlippage: maxSlippage.value } : {}),
  });
}

/**
 * Why an order of `type` cannot carry the slippage cap `maxSlippage` (ADR 0061), in words, or
 * undefined: the cap is for orders that execute at the market, a fraction from 0 to below 1.
 * The kernel refuses such an order with INVALID_ORDER; the library and the tactics refuse the entry.
 */
export function maxSlippageProblem(type: OrderType, maxSlippage: Fixed): string | undefined {
  if (executionType(type) !== 'MARKET') return `a ${type} order takes no maxSlippage: it caps orders that execute at the market`;
  if (maxSlippage < 0n || maxSlippage >= ONE) return 'maxSlippage must be a fraction from 0 to below 1 (e.g. "0.005" for 0.5 %)';
  return undefined;
}

/**
 * The fields an order of its type needs, and nothing it must not carry; amounts positive. The
 * instrument's filters (tick, step, sizes, notional, bands, caps) are checked by
 * matching/exchange-rules.ts once the request has this shape.
 */
export function validateOrder(request: OrderRequest): Result<OrderRequest> {
  const conditional = validateTrigger(request);
  if (!conditional.ok) return conditional;
  const type = executionType(request.type);
  const { quantity, quoteOrderQty, price, maxSlippage } = request;
  if (maxSlippage !== undefined) {
    const problem = maxSlippageProblem(request.type, maxSlippage);
    if (problem !== undefined) return fail('INVALID_ORDER', problem);
  }
  if (type === 'MARKET') {
    if (price !== undefined) return fail('INVALID_ORDER', 'a MARKET order takes no price');
    if ((quantity === undefined) === (quoteOrderQty === undefined)) {
      return fail('INVALID_ORDER', 'a MARKET order needs exactly one of quantity and quoteOrderQty');
    }
    if (quoteOrderQty !== undefined) {
      if (quoteOrderQty <= 0n) return fail('INVALID_ORDER', 'quoteOrderQty must be positive');
      return ok(request);
    }
  } else {
    if (quoteOrderQty !== undefined) return fail('INVALID_ORDER', `a ${type} order takes quantity, not quoteOrderQty`);
    if (quantity === undefined) return fail('INVALID_ORDER', `a ${type} order needs a quantity`);
    if (price === undefined) return fail('INVALID_ORDER', `a ${type} order needs a price`);
    if (price <= 0n) return fail('INVALID_PRICE', 'price must be positive', PRICE_RANGE_WORDS);
  }
  if (quantity === undefined || quantity <= 0n) return fail('INVALID_ORDER', 'quantity must be positive');
  return ok(request);
}

/** Trigger fields: required by conditional orders, refused on the others. */
function validateTrigger(request: OrderRequest): Result<OrderRequest> {
  const { type, stopPrice, activationPrice, callbackRate } = request;
  if (!isConditional(type)) {
    if (stopPrice !== undefined || activationPrice !== undefined || callbackRate !== undefined) {
      return fail('INVALID_ORDER', `a ${type} order takes no stopPrice, activationPrice or callbackRate`);
    }
    return ok(request);
  }
  if (request.quoteOrderQty !== undefined) return fail('INVALID_ORDER', `a ${type} order takes quantity, not quoteOrderQty`);
  if (type === 'TRAILING_STOP_MARKET') {
    if (stopPrice !== undefined) return fail('INVALID_ORDER', 'a trailing stop takes callbackRate (and activationPrice), not stopPrice');
    if (callbackRate === undefined || callbackRate <= 0n || callbackRate >= 10n ** 18n) {
      return fail('INVALID_ORDER', 'callbackRate must be a fraction between 0 and 1 (e.g. "0.01" for 1 %)');
    }
    if (activationPrice !== undefined && activationPrice <= 0n) return fail('INVALID_PRICE', 'activationPrice must be positive', PRICE_RANGE_WORDS);
    return ok(request);
  }
  if (callbackRate !== undefined || activationPrice !== undefined) return fail('INVALID_ORDER', `a ${type} order takes stopPrice, not a trailing callback`);
  if (stopPrice === undefined || stopPrice <= 0n) return fail('INVALID_ORDER', `a ${type} order needs a positive stopPrice`);
  return ok(request);
}
