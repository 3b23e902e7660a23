/**
 * The USD-M dialect's error mapper: the facade's and kernel's refusals in the codes of Binance's
 * USDⓈ-M Futures error list (https://developers.binance.com/docs/derivatives/usds-margined-futures/error-code),
 * in the `{"code","msg"}` body Binance Spot shares (binance/binance-errors.ts supplies the codes both
 * APIs have: signing -1021/-1022/-2014/-2015, parameters -11xx, unknown orders -2011/-2013).
 *
 * Codes are USD-M's: -2019 margin insufficient, -2027 position above the leverage bracket,
 * -4164 notional below the minimum, -4003/-4004/-4005/-4023 quantity, -4002/-4007/-4013/-4014 price,
 * -4016/-4024 the mark-price band, -2021 a stop that would trigger at once, -2022 a reduce-only
 * order with nothing to reduce, -5021/-5022 FOK and post-only refusals, -4028 leverage out of range,
 * -4046 margin type unchanged, -4061 a position side other than BOTH, -4120 a conditional type
 * sent to the order endpoint, -4031 a workingType other than MARK_PRICE or CONTRACT_PRICE, -1130 a callbackRate out of bounds (the list has no code of its own
 * for it; -2007 is not one of USD-M's codes). Messages are Binance's words; for insufficient margin, Binance's
 * "Account has insufficient balance for requested action." (its wording for the same refusal of
 * new orders), because ccxt reads USD-M's own code table only for Binance's host names and
 * classifies the message on any other host (docs/adr/0030).
 */
import type { Instrument } from '../../core/instruments/instrument.js';
import { formatFixed, mul, parseFixed } from '../../core/money/fixed.js';
import { BinanceError, binanceErrors, binanceErrorOf } from '../binance/binance-errors.js';
import type { ExecutionResult } from '../service-deps.js';

type FacadeError = Extract<ExecutionResult<unknown>, { ok: false }>['error'];

export const usdmErrors = {
  marginInsufficient: () => new BinanceError(-2019, 'Account has insufficient balance for requested action.'),
  maxPosition: () => new BinanceError(-2027, 'Exceeded the maximum allowable position at current leverage.'),
  wouldTrigger: () => new BinanceError(-2021, 'Order would immediately trigger.'),
  reduceOnlyRejected: () => new BinanceError(-2022, 'ReduceOnly Order is rejected.'),
  minNotional: (minimum: string) => new BinanceError(-4164, `Order's notional must be no smaller than ${minimum} (unless you choose reduce only).`),
  quantityNotPositive: () => new BinanceError(-4003, 'Quantity less than or equal to zero.'),
  quantityBelowMin: () => new BinanceError(-4004, 'Quantity less than min quantity.'),
  quantityAboveMax: () => new BinanceError(-4005, 'Quantity greater than max quantity.'),
  quantityStep: () => new BinanceError(-4023, 'Qty not increased by step size.'),
  priceBelowMin: () => new BinanceError(-4013, 'Price less than min price.'),
  priceAboveMax: () => new BinanceError(-4002, 'Price greater than max price.'),
  stopPriceAboveMax: () => new BinanceError(-4007, 'Stop price greater than max price.'),
  priceTick: () => new BinanceError(-4014, 'Price not increased by tick size.'),
  priceAboveBand: (limit: string) => new BinanceError(-4016, `Limit price can't be higher than ${limit}.`),
  priceBelowBand: (limit: string) => new BinanceError(-4024, `Limit price can't be lower than ${limit}.`),
  fokRejected: () => new BinanceError(-5021, 'Due to the order could not be filled immediately, the FOK order has been rejected. The order will not be recorded in the order history'),
  postOnlyRejected: () => new BinanceError(-5022, 'Due to the order could not be executed as maker, the Post Only order will be rejected. The order will not be recorded in the order history'),
  invalidLeverage: (leverage: string) => new BinanceError(-4028, `Leverage ${leverage} is not valid`),
  leverageLocked: (why: string) => new BinanceError(-4161, `Leverage cannot be changed now: ${why}`),
  isolatedLeverageReduction: () => new BinanceError(-4161, 'Leverage reduction is not supported in Isolated Margin Mode with open positions'),
  leverageMarginInsufficient: () => new BinanceError(-2028, 'Leverage is smaller than permitted: insufficient margin balance.'),
  noNeedToChangeMarginType: () => new BinanceError(-4046, 'No need to change margin type.'),
  marginTypeFixed: () => new BinanceError(-4048, "Margin type cannot be changed: a paper account's margin type is set when the account is opened."),
  positionSide: () => new BinanceError(-4061, "Order's position side does not match user's setting."),
  noNeedToChangePositionSide: () => new BinanceError(-4059, 'No need to change position side.'),
  hedgeModeUnsupported: () => new BinanceError(-1020, 'This operation is not supported. Paper futures accounts hold one-way positions (positionSide BOTH).'),
  useAlgoEndpoint: () => new BinanceError(-4120, 'Order type not supported for this endpoint. Please use the Algo Order API endpoints instead.'),
  notFuturesAccount: () => new BinanceError(-2015, 'Invalid API-key, IP, or permissions for action: this key names a spot account, which cannot trade futures.', 401),
  maxStopOrders: () => new BinanceError(-4045, 'Reach max stop order limit.'),
  maxOpenOrders: () => new BinanceError(-2025, 'Reach max open order limit.'),
  accountHalted: () => new BinanceError(-2010, 'This account may not place or cancel orders.'),
  // USD-M's error list has no code of its own for a callback rate: -1130 INVALID_PARAMETER, "Data sent for parameter '%s' is not valid."
  invalidCallbackRate: (detail?: string) => new BinanceError(-1130, `Data sent for parameter 'callbackRate' is not valid${detail === undefined ? '' : `: ${detail}`}.`),
  invalidWorkingType: (value: string) => new BinanceError(-4031, `Invalid parameter working type: ${value}`),
  clientIdInvalid: () => new BinanceError(-4015, 'Client order id is not valid.'),
  duplicateClientId: () => new BinanceError(-4116, 'ClientOrderId is duplicated.'),
} as const;

/**
 * A facade refusal in USD-M's words; `on` tells which call failed (-2013 on query, -2011 on
 * cancel); `instrument` supplies the figures some messages quote (the minimum notional).
 */
export function usdmErrorOf(error: FacadeError, on: 'place' | 'query' | 'cancel', instrument?: Instrument): BinanceError {
  switch (error.code) {
    case 'INSUFFICIENT_BALANCE':
      return usdmErrors.marginInsufficient();
    case 'MAX_POSITION_EXCEEDED':
      return usdmErrors.maxPosition();
    case 'MIN_NOTIONAL':
      return usdmErrors.minNotional(instrument !== undefined ? formatFixed(instrument.minNotional) : 'the minimum');
    case 'MIN_QUANTITY':
      return usdmErrors.quantityBelowMin();
    case 'MAX_QUANTITY':
    case 'MAX_MARKET_QUANTITY':
      return usdmErrors.quantityAboveMax();
    case 'INVALID_QUANTITY':
      return usdmErrors.quantityStep();
    case 'INVALID_PRICE':
      return priceFilterError(error.message);
    case 'PERCENT_PRICE':
      return bandError(error.message);
    case 'WOULD_TRIGGER_IMMEDIATELY':
      return usdmErrors.wouldTrigger();
    case 'REDUCE_ONLY_REJECTED':
      return usdmErrors.reduceOnlyRejected();
    case 'WOULD_TAKE':
      return usdmErrors.postOnlyRejected();
    case 'MAX_NUM_ORDERS':
      return usdmErrors.maxOpenOrders();
    case 'MAX_NUM_ALGO_ORDERS':
      return usdmErrors.maxStopOrders();
    case 'ACCOUNT_HALTED':
      return usdmErrors.accountHalted();
    case 'DUPLICATE_CLIENT_ORDER_ID':
      return usdmErrors.duplicateClientId();
    case 'TRAILING_DELTA':
      return callbackRateError(error.message);
    case 'NOT_A_FUTURES_ACCOUNT':
      return usdmErrors.notFuturesAccount();
    default:
      // Codes both APIs share (unknown orders, the venue's availability, pending answers) read as Spot's.
      return binanceErrorOf(error, on);
  }
}

/** PRICE_FILTER: "<field> <value> is below the minimum …" -4013, "stopPrice <value> is above the maximum …" -4007, "price <value> is above …" -4002, off the tick -4014. */
function priceFilterError(message: string): BinanceError {
  if (/ is below the minimum /.test(message)) return usdmErrors.priceBelowMin();
  if (/ is above the maximum /.test(message)) return /\bstopPrice \S+ is above/.test(message) ? usdmErrors.stopPriceAboveMax() : usdmErrors.priceAboveMax();
  return usdmErrors.priceTick();
}

/**
 * TRAILING_DELTA: the kernel counts a callback rate as a fraction ("callbackRate 0.11 outside
 * 0.001–0.1 (fractions: …)"), the client sent percent: the rate and its bounds are restated in percent.
 */
function callbackRateError(message: string): BinanceError {
  const match = /callbackRate ([\d.]+) outside ([\d.]+)–([\d.]+)/.exec(message);
  if (match === null) return usdmErrors.invalidCallbackRate();
  const percent = (fraction: string) => formatFixed(parseFixed(fraction) * 100n);
  const [, rate, min, max] = match as unknown as [string, string, string, string];
  return usdmErrors.invalidCallbackRate(`callbackRate ${percent(rate)} outside ${percent(min)}–${percent(max)} (percent: 1 = 1 %)`);
}

/** PERCENT_PRICE: "BUY price … outside 0.85×–1.15× the mark price …": above the band -4016, below it -4024, with the bound. */
function bandError(message: string): BinanceError {
  // The kernel's words come wrapped: "Order price exceeds allowed range (SELL price … the mark price 2000)".
  const match = /price ([\d.]+) outside ([\d.]+)×–([\d.]+)× the .* ([\d.]+)\)?$/.exec(message);
  if (match === null) return binanceErrors.filterFailure('PERCENT_PRICE');
  const [, price, down, up, reference] = match as unknown as [string, string, string, string, string];
  const above = parseFixed(price) > parseFixed(reference);
  const bound = formatFixed(mul(parseFixed(reference), parseFixed(above ? up : down), 'half-up'));
  return above ? usdmErrors.priceAboveBand(bound) : usdmErrors.priceBelowBand(bound);
}
