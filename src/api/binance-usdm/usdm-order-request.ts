/**
 * What a Binance USD-M `POST /fapi/v1/order` or `POST /fapi/v1/algoOrder` asks for, validated as
 * Binance does and turned into the facade's order request
 * (https://developers.binance.com/docs/derivatives/usds-margined-futures/trade/rest-api/New-Order,
 * …/New-Algo-Order).
 *
 * `/fapi/v1/order` takes LIMIT (timeInForce GTC, IOC, FOK or GTX: post-only) and MARKET; the
 * conditional types go to `/fapi/v1/algoOrder` (algoType CONDITIONAL), as on Binance since
 * December 2025 (-4120 on the order endpoint): STOP_MARKET and TAKE_PROFIT_MARKET (`triggerPrice`,
 * or `stopPrice` as before the Algo Service), STOP and TAKE_PROFIT (with `price`, GTC), and
 * TRAILING_STOP_MARKET (`callbackRate` in percent, 1 = 1 %; `activatePrice` or `activationPrice`
 * optional). `reduceOnly=true` never opens or grows a position. `workingType` (conditional types)
 * says which price the trigger watches: CONTRACT_PRICE (default), the last trade price, or
 * MARK_PRICE, the mark price (the engine's `triggerSource` 'last' / 'mark', ADR 0066); any other
 * value is -4031. On LIMIT and MARKET it is accepted and has no effect.
 * Not modelled, refused rather than approximated: hedge mode (positionSide LONG/SHORT, -4061),
 * `closePosition=true`, `priceProtect`, `priceMatch`, GTD (-1014 "Unsupported order combination").
 */
import { extend } from '../../core/objects.js';
import type { OrderType } from '../../core/orders/order.js';
import { binanceErrors } from '../binance/binance-errors.js';
import type { PlaceOrderRequest } from '../service-deps.js';
import { usdmErrors } from './usdm-errors.js';
import { USDM_CONDITIONAL_TYPES, USDM_ORDER_TYPES, type UsdmOrderType } from './usdm-mappers.js';

const DECIMAL = /^\d{1,20}(\.\d{1,20})?$/;
const CLIENT_ID = /^[.A-Za-z0-9:/_-]{1,36}$/;
const LIMIT_TIMES: Readonly<Record<string, OrderType>> = { GTC: 'LIMIT', IOC: 'IMMEDIATE_OR_CANCEL', FOK: 'FILL_OR_KILL', GTX: 'LIMIT_MAKER' };

export type UsdmRespType = 'ACK' | 'RESULT';

/** Reads `p` for `/fapi/v1/order` (`endpoint` 'order') or `/fapi/v1/algoOrder` ('algo'); throws BinanceError. */
export function usdmOrderRequest(p: Readonly<Record<string, string>>, endpoint: 'order' | 'algo'): { order: PlaceOrderRequest; respType: UsdmRespType } {
  const given = (name: string): string | undefined => (p[name] === undefined || p[name] === '' ? undefined : p[name]);
  const needs = (name: string): string => {
    const v = given(name);
    if (v === undefined) throw binanceErrors.mandatory(name);
    return v;
  };
  if (endpoint === 'algo' && needs('algoType') !== 'CONDITIONAL') throw binanceErrors.illegalChars('algoType', 'CONDITIONAL');
  for (const name of ['symbol', 'side', 'type'] as const) needs(name);
  const side = p.side!;
  const type = p.type! as UsdmOrderType;
  if (side !== 'BUY' && side !== 'SELL') throw binanceErrors.invalidSide();
  if (!(USDM_ORDER_TYPES as readonly string[]).includes(type)) throw binanceErrors.invalidOrderType();
  const conditional = USDM_CONDITIONAL_TYPES.includes(type);
  if (endpoint === 'order' && conditional) throw usdmErrors.useAlgoEndpoint();
  if (endpoint === 'algo' && !conditional) throw binanceErrors.invalidOrderType();

  const trigger = given('triggerPrice') ?? given('stopPrice');
  const activation = given('activatePrice') ?? given('activationPrice');
  for (const [name, value] of [['quantity', given('quantity')], ['price', given('price')], ['triggerPrice', trigger], ['activatePrice', activation], ['callbackRate', given('callbackRate')]] as const) {
    if (value !== undefined && !DECIMAL.test(value)) throw binanceErrors.illegalChars(name, '^([0-9]{1,20})(\\.[0-9]{1,20})?$');
  }
  const quantity = given('quantity');
  // Read as text: Binance's pattern admits 20 decimals, more than a Fixed holds (the kernel refuses those as -2010).
  if (quantity !== undefined && /^0*(\.0*)?$/.test(quantity)) throw usdmErrors.quantityNotPositive();

  const positionSide = given('positionSide') ?? 'BOTH';
  if (positionSide !== 'BOTH') throw usdmErrors.positionSide();
  if (given('closePosition') === 'true') throw binanceErrors.unsupportedCombination('closePosition is not simulated; send the quantity with reduceOnly=true');
  const workingType = given('workingType');
  if (workingType !== undefined && workingType !== 'CONTRACT_PRICE' && workingType !== 'MARK_PRICE') throw usdmErrors.invalidWorkingType(workingType);
  if ((given('priceProtect') ?? 'false').toLowerCase() !== 'false') throw binanceErrors.unsupportedCombination('priceProtect is not simulated');
  if ((given('priceMatch') ?? 'NONE') !== 'NONE') throw binanceErrors.unsupportedCombination('priceMatch is not simulated');
  const reduce = given('reduceOnly') ?? 'false';
  if (reduce !== 'true' && reduce !== 'false') throw binanceErrors.illegalChars('reduceOnly', 'true, false');
  const respText = given('newOrderRespType') ?? 'ACK';
  if (respText !== 'ACK' && respText !== 'RESULT') throw binanceErrors.illegalChars('newOrderRespType', 'ACK, RESULT');
  const clientOrderId = given(endpoint === 'algo' ? 'clientAlgoId' : 'newClientOrderId');
  if (clientOrderId !== undefined && !CLIENT_ID.test(clientOrderId)) throw usdmErrors.clientIdInvalid();

  const refuses = (...names: string[]): void => {
    for (const name of names) if (given(name) !== undefined) throw binanceErrors.notRequired(name);
  };
  const timeInForce = given('timeInForce');
  const common = { symbol: p.symbol!, side, reduceOnly: reduce === 'true', ...(clientOrderId !== undefined ? { clientOrderId } : {}) } as const;
  // Sent on a conditional type: the stream its trigger watches; unsent, the engine's setting.
  const source = conditional && workingType !== undefined ? { triggerSource: workingType === 'MARK_PRICE' ? ('mark' as const) : ('last' as const) } : {};
  const watched = extend(common, source);
  const order = ((): PlaceOrderRequest => {
    switch (type) {
      case 'LIMIT': {
        const executionType = LIMIT_TIMES[needs('timeInForce')];
        if (executionType === undefined) throw timeInForce === 'GTD' ? binanceErrors.unsupportedCombination('GTD orders are not simulated') : binanceErrors.invalidTimeInForce();
        return extend(common, { type: executionType, quantity: needs('quantity'), price: needs('price') });
      }
      case 'MARKET':
        refuses('price');
        return extend(common, { type: 'MARKET', quantity: needs('quantity') });
      case 'STOP_MARKET':
      case 'TAKE_PROFIT_MARKET':
        refuses('price');
        if (trigger === undefined) throw binanceErrors.mandatory('triggerPrice');
        return extend(watched, { type: type === 'STOP_MARKET' ? 'STOP_LOSS' : 'TAKE_PROFIT', quantity: needs('quantity'), stopPrice: trigger });
      case 'STOP':
      case 'TAKE_PROFIT':
        if ((timeInForce ?? 'GTC') !== 'GTC') throw binanceErrors.unsupportedCombination('stop-limit orders rest as GTC');
        if (trigger === undefined) throw binanceErrors.mandatory('triggerPrice');
        return extend(watched, { type: type === 'STOP' ? 'STOP_LOSS_LIMIT' : 'TAKE_PROFIT_LIMIT', quantity: needs('quantity'), price: needs('price'), stopPrice: trigger });
      case 'TRAILING_STOP_MARKET': {
        refuses('price');
        // USD-M's callbackRate is in percent (1 = 1 %); papertrade's is a fraction.
        const rate = percentToFraction(needs('callbackRate'));
        if (/^0*(\.0*)?$/.test(rate)) throw usdmErrors.invalidCallbackRate();
        return extend(watched, { type: 'TRAILING_STOP_MARKET', quantity: needs('quantity'), callbackRate: rate, ...(activation !== undefined ? { activationPrice: activation } : {}) });
      }
    }
  })();
  return { order, respType: respText };
}

/**
 * A percentage as a fraction, exactly, by moving the decimal point of the text two places left
 * ("1.5" → "0.015", "10" → "0.1"): a rate of any length the request pattern admits (20 + 20 digits)
 * stays a decimal string, and one finer than 18 decimals is the kernel's -2010, never an exception.
 */
export function percentToFraction(percent: string): string {
  const [whole = '', fraction = ''] = percent.split('.');
  const digits = whole.padStart(3, '0');
  const shifted = `${digits.slice(0, -2).replace(/^0+(?=\d)/, '')}.${digits.slice(-2)}${fraction}`.replace(/0+$/, '');
  return shifted.endsWith('.') ? shifted.slice(0, -1) : shifted;
}
