/**
 * What a Binance `POST /api/v3/order` asks for, validated as Binance does and turned into the
 * facade's order request.
 *
 * Types: LIMIT (timeInForce GTC, IOC or FOK), LIMIT_MAKER, MARKET (by `quantity` or
 * `quoteOrderQty`), STOP_LOSS, STOP_LOSS_LIMIT, TAKE_PROFIT, TAKE_PROFIT_LIMIT (limit variants GTC).
 * Trailing stops: `trailingDelta` is in BIPS (100 = 1 %) and becomes papertrade's callback rate
 * (100 BIPS = "0.01"); STOP_LOSS with `trailingDelta` alone trails from the moment it is placed;
 * TAKE_PROFIT with `trailingDelta` and `stopPrice` starts trailing once the price reaches
 * `stopPrice` (at or above it for a sell, at or below for a buy), as on Binance.
 * Units: Binance's `trailingDelta` is in BIPS where papertrade's native `callbackRate` is a fraction
 * (a client's 150 means 1.5 %, native "0.015"); the instrument's TRAILING_DELTA bounds are checked by
 * the kernel (core/matching/exchange-rules.ts), as are stops whose trigger the last trade already
 * reached (-2010 "Stop price would trigger immediately.", mapped in binance-errors.ts).
 * Not modelled, answered -1014 "Unsupported order combination": STOP_LOSS with both `stopPrice`
 * and `trailingDelta` (its activation runs the other way), trailing limit orders, stop-limit
 * orders with IOC or FOK, iceberg quantities.
 */
import { formatFixed } from '../../core/money/fixed.js';
import { extend } from '../../core/objects.js';
import type { PlaceOrderRequest } from '../service-deps.js';
import { binanceErrors } from './binance-errors.js';
import { BIPS_PER_UNIT, isBinanceOrderType, type NewOrderRespType } from './binance-mappers.js';

const DECIMAL = /^\d{1,20}(\.\d{1,20})?$/;
const DECIMAL_RANGE = '^([0-9]{1,20})(\\.[0-9]{1,20})?$';
const CLIENT_ORDER_ID = /^[a-zA-Z0-9_-]{1,36}$/;
const TIMES_IN_FORCE = ['GTC', 'IOC', 'FOK'] as const;
/** Binance's self-trade prevention modes: any other value is refused, as Binance refuses it. */
const STP_MODES = ['NONE', 'EXPIRE_TAKER', 'EXPIRE_MAKER', 'EXPIRE_BOTH', 'DECREMENT'] as const;

export interface BinanceOrderRequest {
  readonly order: PlaceOrderRequest;
  readonly respType: NewOrderRespType;
}

export function binanceOrderRequest(p: Readonly<Record<string, string>>): BinanceOrderRequest {
  const given = (name: string): string | undefined => (p[name] === undefined || p[name] === '' ? undefined : p[name]);
  for (const name of ['symbol', 'side', 'type'] as const) if (given(name) === undefined) throw binanceErrors.mandatory(name);
  const side = p.side!;
  const type = p.type!;
  if (side !== 'BUY' && side !== 'SELL') throw binanceErrors.invalidSide();
  if (!isBinanceOrderType(type)) throw binanceErrors.invalidOrderType();
  for (const name of ['quantity', 'quoteOrderQty', 'price', 'stopPrice', 'icebergQty'] as const) {
    const v = given(name);
    if (v !== undefined && !DECIMAL.test(v)) throw binanceErrors.illegalChars(name, DECIMAL_RANGE);
  }
  const clientOrderId = given('newClientOrderId');
  if (clientOrderId !== undefined && !CLIENT_ORDER_ID.test(clientOrderId)) throw binanceErrors.illegalChars('newClientOrderId', '^[a-zA-Z0-9-_]{1,36}$');
  const respText = given('newOrderRespType');
  if (respText !== undefined && respText !== 'ACK' && respText !== 'RESULT' && respText !== 'FULL') throw binanceErrors.invalidRespType();
  const stp = given('selfTradePreventionMode');
  if (stp !== undefined && !(STP_MODES as readonly string[]).includes(stp)) throw binanceErrors.illegalChars('selfTradePreventionMode', STP_MODES.join(', '));
  const strategyType = given('strategyType');
  if (strategyType !== undefined && !/^\d{1,10}$/.test(strategyType)) throw binanceErrors.illegalChars('strategyType', '^[0-9]{1,10}$');
  if (strategyType !== undefined && Number(strategyType) < 1_000_000) throw binanceErrors.badStrategyType();
  const strategyId = given('strategyId');
  if (strategyId !== undefined && !/^\d{1,20}$/.test(strategyId)) throw binanceErrors.illegalChars('strategyId', '^[0-9]{1,20}$');
  const respType: NewOrderRespType = respText ?? (type === 'MARKET' || type === 'LIMIT' ? 'FULL' : 'ACK');
  const iceberg = given('icebergQty');
  if (iceberg !== undefined && !/^0*(\.0*)?$/.test(iceberg)) throw binanceErrors.unsupportedCombination('iceberg orders are not simulated');

  const timeInForce = given('timeInForce');
  if (timeInForce !== undefined && !(TIMES_IN_FORCE as readonly string[]).includes(timeInForce)) throw binanceErrors.invalidTimeInForce();
  const needs = (name: string): string => {
    const v = given(name);
    if (v === undefined) throw binanceErrors.mandatory(name);
    return v;
  };
  const refuses = (...names: string[]): void => {
    for (const name of names) if (given(name) !== undefined) throw binanceErrors.notRequired(name);
  };
  const trailing = trailingRate(given('trailingDelta'));
  const common = { symbol: p.symbol!, side, ...(clientOrderId !== undefined ? { clientOrderId } : {}) } as const;

  const order = ((): PlaceOrderRequest => {
    switch (type) {
      case 'MARKET': {
        refuses('price', 'stopPrice', 'timeInForce', 'trailingDelta');
        const quantity = given('quantity');
        const quote = given('quoteOrderQty');
        if (quantity !== undefined && quote !== undefined) throw binanceErrors.combination();
        if (quantity === undefined && quote === undefined) throw binanceErrors.eitherOf('quantity', 'quoteOrderQty');
        return extend(common, { type, ...(quantity !== undefined ? { quantity } : { quoteOrderQty: quote! }) });
      }
      case 'LIMIT': {
        refuses('stopPrice', 'trailingDelta', 'quoteOrderQty');
        const tif = needs('timeInForce');
        const limitType = tif === 'IOC' ? 'IMMEDIATE_OR_CANCEL' : tif === 'FOK' ? 'FILL_OR_KILL' : 'LIMIT';
        return extend(common, { type: limitType, quantity: needs('quantity'), price: needs('price') });
      }
      case 'LIMIT_MAKER':
        refuses('stopPrice', 'trailingDelta', 'quoteOrderQty', 'timeInForce');
        return extend(common, { type, quantity: needs('quantity'), price: needs('price') });
      case 'STOP_LOSS':
      case 'TAKE_PROFIT': {
        refuses('price', 'timeInForce', 'quoteOrderQty');
        const quantity = needs('quantity');
        const stopPrice = given('stopPrice');
        if (trailing === undefined) return extend(common, { type, quantity, stopPrice: needs('stopPrice') });
        if (type === 'STOP_LOSS' && stopPrice !== undefined) throw binanceErrors.unsupportedCombination('a trailing STOP_LOSS with an activation price (stopPrice) is not simulated');
        if (type === 'TAKE_PROFIT' && stopPrice === undefined) throw binanceErrors.unsupportedCombination('a trailing TAKE_PROFIT needs its activation price (stopPrice)');
        return extend(common, { type: 'TRAILING_STOP_MARKET', quantity, callbackRate: trailing, ...(stopPrice !== undefined ? { activationPrice: stopPrice } : {}) });
      }
      case 'STOP_LOSS_LIMIT':
      case 'TAKE_PROFIT_LIMIT': {
        refuses('quoteOrderQty');
        if (trailing !== undefined) throw binanceErrors.unsupportedCombination('trailing limit orders are not simulated');
        if (needs('timeInForce') !== 'GTC') throw binanceErrors.unsupportedCombination('stop-limit orders rest as GTC');
        return extend(common, { type, quantity: needs('quantity'), price: needs('price'), stopPrice: needs('stopPrice') });
      }
    }
  })();
  return { order, respType };
}

/** `trailingDelta` (BIPS) as papertrade's callback rate; -1013 TRAILING_DELTA outside 1–9999. */
function trailingRate(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  if (!/^\d{1,9}$/.test(text)) throw binanceErrors.illegalChars('trailingDelta', '^[0-9]{1,9}$');
  const bips = BigInt(text);
  if (bips < 1n || bips >= BIPS_PER_UNIT) throw binanceErrors.filterFailure('TRAILING_DELTA');
  return formatFixed((bips * 10n ** 18n) / BIPS_PER_UNIT);
}
