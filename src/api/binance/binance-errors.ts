/**
 * The Binance edge's one error mapper: every failure under `/binance/api/v3` leaves as Binance's own
 * body, `{"code":<negative int>,"msg":"<text>"}`, with the codes and words of Binance's Spot API
 * error list, so that a bot written against Binance (ccxt's `binance` class among them) classifies
 * it as it would the exchange's: filter failures -1013 "Filter failure: <FILTER>", refusals by the
 * matching engine -2010 (with "Account has insufficient balance for requested action." for want of
 * funds), unknown orders -2013 on query and -2011 on cancel, signing -1021/-1022/-2014/-2015.
 * HTTP 400 for client and business errors (401 for a key that names no account, as Binance answers
 * it), 429 for request weight beyond the limit, 5xx only when the outcome is unknown or the venue
 * behind the facade is unavailable.
 */
import type { EdgeError } from '../edge-errors.js';
import type { ExecutionResult } from '../service-deps.js';

import { DialectError } from '../dialect-kit/dialect-error.js';

type FacadeError = Extract<ExecutionResult<unknown>, { ok: false }>['error'];

export class BinanceError extends DialectError {}

export const binanceErrors = {
  apiKeyRequired: () => new BinanceError(-2014, 'API-key format invalid.', 401),
  unknownApiKey: () => new BinanceError(-2015, 'Invalid API-key, IP, or permissions for action.', 401),
  badSignature: () => new BinanceError(-1022, 'Signature for this request is not valid.'),
  outsideRecvWindow: () => new BinanceError(-1021, 'Timestamp for this request is outside of the recvWindow.'),
  recvWindowTooLarge: () => new BinanceError(-1131, 'recvWindow must be less than 60000'),
  mandatory: (name: string) => new BinanceError(-1102, `Mandatory parameter '${name}' was not sent, was empty/null, or malformed.`),
  eitherOf: (a: string, b: string) => new BinanceError(-1102, `Param '${a}' or '${b}' must be sent, but both were empty/null!`),
  illegalChars: (name: string, range: string) => new BinanceError(-1100, `Illegal characters found in parameter '${name}'; legal range is '${range}'.`),
  invalidParameter: (detail: string) => new BinanceError(-1100, `Illegal characters found in a parameter: ${detail}`),
  duplicateParam: () => new BinanceError(-1101, 'Duplicate values for a parameter detected.'),
  notRequired: (name: string) => new BinanceError(-1106, `Parameter '${name}' sent when not required.`),
  invalidTimeInForce: () => new BinanceError(-1115, 'Invalid timeInForce.'),
  invalidOrderType: () => new BinanceError(-1116, 'Invalid orderType.'),
  invalidSide: () => new BinanceError(-1117, 'Invalid side.'),
  invalidInterval: () => new BinanceError(-1120, 'Invalid interval.'),
  invalidSymbol: () => new BinanceError(-1121, 'Invalid symbol.'),
  invalidSymbolStatus: () => new BinanceError(-1122, 'Invalid symbolStatus.'),
  invalidTickerType: () => new BinanceError(-1139, 'Invalid ticker type.'),
  symbolStatusMismatch: () => new BinanceError(-1220, "The symbol's status does not match the requested symbolStatus."),
  badStrategyType: () => new BinanceError(-1134, '`strategyType` was less than 1000000.'),
  invalidRespType: () => new BinanceError(-1100, "Illegal characters found in parameter 'newOrderRespType'; legal range is 'ACK, RESULT, FULL'."),
  combination: () => new BinanceError(-1128, 'Combination of optional parameters invalid.'),
  intervalTooLong: (hours: number) => new BinanceError(-1127, `More than ${hours} hours between startTime and endTime.`),
  unsupportedCombination: (detail?: string) => new BinanceError(-1014, detail === undefined ? 'Unsupported order combination.' : `Unsupported order combination: ${detail}`),
  unsupportedOperation: (detail: string) => new BinanceError(-1020, `This operation is not supported. ${detail}`),
  filterFailure: (filter: string) => new BinanceError(-1013, `Filter failure: ${filter}`),
  unknownOrderOnCancel: () => new BinanceError(-2011, 'Unknown order sent.'),
  orderDoesNotExist: () => new BinanceError(-2013, 'Order does not exist.'),
  tooMuchWeight: (limit: number) =>
    new BinanceError(-1003, `Too much request weight used; current limit is ${limit} request weight per 1 MINUTE. Please use WebSocket Streams for live updates to avoid polling the API.`, 429),
  tooManyOrders: (limit: number, per: string) => new BinanceError(-1015, `Too many new orders; current limit is ${limit} orders per ${per}.`, 429),
} as const;

/** The kernel's and the facade's codes in Binance's words; unknown-order codes depend on the call. */
const BY_CODE: Readonly<Record<string, () => BinanceError>> = {
  INSUFFICIENT_BALANCE: () => new BinanceError(-2010, 'Account has insufficient balance for requested action.'),
  MIN_NOTIONAL: () => binanceErrors.filterFailure('NOTIONAL'),
  MAX_NOTIONAL: () => binanceErrors.filterFailure('NOTIONAL'),
  MIN_QUANTITY: () => binanceErrors.filterFailure('LOT_SIZE'),
  MAX_QUANTITY: () => binanceErrors.filterFailure('LOT_SIZE'),
  MAX_MARKET_QUANTITY: () => binanceErrors.filterFailure('MARKET_LOT_SIZE'),
  // Binance spot publishes its band as PERCENT_PRICE_BY_SIDE (exchangeInfo), and names that filter.
  PERCENT_PRICE: () => binanceErrors.filterFailure('PERCENT_PRICE_BY_SIDE'),
  TRAILING_DELTA: () => binanceErrors.filterFailure('TRAILING_DELTA'),
  WOULD_TRIGGER_IMMEDIATELY: () => new BinanceError(-2010, 'Stop price would trigger immediately.'),
  INVALID_QUANTITY: () => binanceErrors.filterFailure('LOT_SIZE'),
  INVALID_PRICE: () => binanceErrors.filterFailure('PRICE_FILTER'),
  WOULD_TAKE: () => new BinanceError(-2010, 'Order would immediately match and take.'),
  UNKNOWN_SYMBOL: () => binanceErrors.invalidSymbol(),
  UNKNOWN_ACCOUNT: () => binanceErrors.unknownApiKey(),
  DUPLICATE_CLIENT_ORDER_ID: () => new BinanceError(-2010, 'Duplicate order sent.'),
  ACCOUNT_HALTED: () => new BinanceError(-2010, 'This account may not place or cancel orders.'),
  MAX_NUM_ORDERS: () => new BinanceError(-2010, 'Filter failure: MAX_NUM_ORDERS'),
  MAX_NUM_ALGO_ORDERS: () => new BinanceError(-2010, 'Filter failure: MAX_NUM_ALGO_ORDERS'),
  MAX_POSITION_EXCEEDED: () => new BinanceError(-2027, 'Exceeded the maximum allowable position at current leverage.'),
  UNSUPPORTED_ORDER_TYPE: () => binanceErrors.unsupportedCombination(),
  // Accepted and journaled, answer delayed by the simulated latency: execution status unknown (ccxt: RequestTimeout).
  ORDER_PENDING: () => new BinanceError(-1007, 'Timeout waiting for response from backend server. Send status unknown; execution status unknown.', 503),
  EXCHANGE_UNAVAILABLE: () => new BinanceError(-1001, 'Internal error; unable to process your request. Please try again.', 503),
  EXCHANGE_AUTH_FAILED: () => new BinanceError(-1000, 'An unknown error occurred while processing the request.', 500),
  EXCHANGE_ERROR: () => new BinanceError(-1000, 'An unknown error occurred while processing the request.', 500),
};

/** A facade rejection as Binance's error; `on` tells which call failed (-2013 on query, -2011 on cancel). */
export function binanceErrorOf(error: FacadeError, on: 'place' | 'query' | 'cancel'): BinanceError {
  if (error.code === 'UNKNOWN_ORDER' || error.code === 'ORDER_NOT_OPEN') {
    return on === 'query' ? binanceErrors.orderDoesNotExist() : binanceErrors.unknownOrderOnCancel();
  }
  const known = BY_CODE[error.code];
  if (known !== undefined) return known();
  // Anything else the kernel refuses (an order it finds malformed): the request did not reach the book.
  return new BinanceError(on === 'place' ? -2010 : -1013, error.message);
}

/** Paths answered in Binance's error shape, by the server's edge as by this API's own routes. */
export function isBinancePath(url: string): boolean {
  return url === '/binance' || url.startsWith('/binance/') || url.startsWith('/binance?');
}

/**
 * Binance's body for an edge error: 429 and -1003 for rate limits (-1034 for too many WebSocket
 * connections from the address), 503 -1008 when new orders wait
 * for the read tables (Binance's "Server is currently overloaded with other requests"), 503 -1001
 * when the engine cannot answer now, a path or method this API does not have -1020 "not supported" with its 404/405,
 * 413/414/415 as they are with -1100, every other client error 400 with -1100.
 */
export function binanceBodyOf(error: EdgeError): { status: number; body: { code: number; msg: string } } {
  // Binance's -1034 TOO_MANY_CONNECTIONS: "Too many concurrent connections; current limit is '%s'."
  if (error.status === 429 && error.code === 'TOO_MANY_CONNECTIONS') return { status: 429, body: { code: -1034, msg: `Too many concurrent connections: ${error.message}` } };
  if (error.status === 429) return { status: 429, body: { code: -1003, msg: `Too many requests: ${error.message}` } };
  if (error.status === 503 && error.code === 'OVERLOADED') return { status: 503, body: { code: -1008, msg: `Server is currently overloaded with other requests. Please try again in a few minutes. (${error.message})` } };
  if (error.status === 503) return { status: 503, body: { code: -1001, msg: error.message } };
  if (error.status === 401) return { status: 401, body: { code: -2015, msg: error.message } };
  if (error.status === 404 || error.status === 405) return { status: error.status, body: { code: -1020, msg: `This operation is not supported. ${error.message}` } };
  if ([413, 414, 415].includes(error.status)) return { status: error.status, body: { code: -1100, msg: error.message } };
  return { status: 400, body: { code: -1100, msg: error.message } };
}
