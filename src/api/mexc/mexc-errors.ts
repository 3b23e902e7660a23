/**
 * The MEXC edge's one error mapper: every failure on `/api/v3` leaves as MEXC's own body,
 * `{"code":<int>,"msg":"<text>"}`, with the codes MEXC Spot v3 uses (docs/adr/0003), so that a bot
 * written against MEXC (ccxt's `mexc` class among them) classifies it as it would the exchange's.
 * HTTP 400 for every client and business error, as MEXC answers them; 5xx only when the outcome is
 * unknown or the venue behind the facade is unavailable.
 */
import type { ExecutionResult } from '../service-deps.js';

import { DialectError } from '../dialect-kit/dialect-error.js';

type FacadeError = Extract<ExecutionResult<unknown>, { ok: false }>['error'];

export class MexcError extends DialectError {}

export const mexcErrors = {
  apiKeyRequired: () => new MexcError(400, 'api key required'),
  unknownApiKey: () => new MexcError(10072, 'Api key info invalid'),
  badSignature: () => new MexcError(700002, 'Signature for this request is not valid.'),
  outsideRecvWindow: () => new MexcError(700003, 'Timestamp for this request is outside of the recvWindow.'),
  recvWindowTooLarge: () => new MexcError(700005, 'recvWindow must less than 60000'),
  mandatory: (name: string) => new MexcError(700004, `Mandatory parameter '${name}' was not sent, was empty/null, or malformed.`),
  orderRefMissing: () => new MexcError(700004, "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null"),
  invalidParameter: (detail: string) => new MexcError(700004, `Invalid parameter: ${detail}`),
  invalidSymbol: () => new MexcError(-1121, 'Invalid symbol.'),
  unknownOrderOnCancel: () => new MexcError(-2011, 'Unknown order sent.'),
  orderDoesNotExist: () => new MexcError(-2013, 'Order does not exist.'),
} as const;

/** Facade codes that carry no MEXC code of their own. */
const FACADE_CODES: Readonly<Record<string, { code: number; status: number }>> = {
  // Accepted and journaled, answer delayed by the simulated latency: outcome unknown for now (ccxt: RequestTimeout).
  ORDER_PENDING: { code: 504, status: 504 },
  EXCHANGE_UNAVAILABLE: { code: 503, status: 503 },
  EXCHANGE_AUTH_FAILED: { code: 500, status: 500 },
  EXCHANGE_ERROR: { code: 500, status: 500 },
  UNSUPPORTED_ORDER_TYPE: { code: 700004, status: 400 },
};

/**
 * Refusals whose native message is Binance's filter name: MEXC answers the open-order cap in its own
 * words (MEXC Spot v3 error codes: 30029 "Cannot exceed the maximum order limit").
 */
export const MEXC_WORDS: Readonly<Record<string, string>> = {
  MAX_NUM_ORDERS: 'Cannot exceed the maximum order limit',
  MAX_NUM_ALGO_ORDERS: 'Cannot exceed the maximum order limit',
};

/**
 * A facade rejection as MEXC's error. `on` tells which call failed, because MEXC answers an unknown
 * order differently on query (-2013) and on cancel (-2011).
 */
export function mexcErrorOf(error: FacadeError, on: 'place' | 'query' | 'cancel'): MexcError {
  if (error.code === 'UNKNOWN_ORDER' || error.code === 'ORDER_NOT_OPEN') {
    return on === 'query' ? mexcErrors.orderDoesNotExist() : mexcErrors.unknownOrderOnCancel();
  }
  const facade = FACADE_CODES[error.code];
  if (facade !== undefined && error.mexcCode === undefined) return new MexcError(facade.code, error.message, facade.status);
  return new MexcError(error.mexcCode ?? 700004, MEXC_WORDS[error.code] ?? error.message, facade?.status ?? 400);
}
