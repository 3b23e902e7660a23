/**
 * The MEXC contract edge's one error mapper: every failure under `/api/v1/contract` and
 * `/api/v1/private` leaves in MEXC's contract envelope, `{"success":false,"code":<int>,"message":"…"}`,
 * with the codes of MEXC's contract API ("Error code" of the futures API docs), so that ccxt's
 * `mexc` class classifies them as it would the exchange's.
 *
 * Business refusals answer HTTP 200, as MEXC's contract API does; the edge's own refusals (unknown
 * path, wrong method, body too large, rate limit) keep their HTTP status. Where MEXC's contract table
 * has no code that ccxt knows, the code is the kernel's MEXC one (docs/adr/0031): an order below
 * the minimum answers 30002, which ccxt reads as InvalidOrder.
 */
import type { EdgeError } from '../edge-errors.js';
import { MEXC_WORDS } from '../mexc/mexc-errors.js';
import type { ExecutionResult } from '../service-deps.js';

type FacadeError = Extract<ExecutionResult<unknown>, { ok: false }>['error'];

export class MexcContractError extends Error {
  constructor(
    readonly code: number,
    readonly msg: string,
    readonly status = 200,
  ) {
    super(msg);
  }
  get body(): { success: false; code: number; message: string } {
    return { success: false, code: this.code, message: this.msg };
  }
}

export const contractErrors = {
  unauthorized: () => new MexcContractError(401, 'Not logged in or login has expired'),
  badSignature: () => new MexcContractError(602, 'Signature verification failed!'),
  requestTime: () => new MexcContractError(513, 'Invalid request(for open api serves time more or less than 10s)'),
  param: (detail: string) => new MexcContractError(600, `Param error! ${detail}`),
  undecodable: () => new MexcContractError(601, 'Data decoding error'),
  unknownContract: () => new MexcContractError(1001, 'Contract does not exist!'),
  wrongOpenType: (detail: string) => new MexcContractError(2002, `Wrong opening type: ${detail}`),
  leverage: (detail: string) => new MexcContractError(2006, `Leverage ratio error: ${detail}`),
  noPosition: () => new MexcContractError(2009, 'Position is not exists or closed.'),
  unknownCurrency: () => new MexcContractError(10232, 'The currency not exist'),
  unknownOrder: () => new MexcContractError(2011, 'Order does not exist.'),
  notFutures: () => new MexcContractError(600, 'Param error! this account does not trade futures: open a futures account'),
  notSupported: (what: string) => new MexcContractError(600, `Param error! ${what} is not supported here`),
} as const;

/** Kernel and facade codes that have a code of their own in MEXC's contract table. */
const CONTRACT_CODES: Readonly<Record<string, { code: number; message?: string }>> = {
  INSUFFICIENT_BALANCE: { code: 2005, message: 'Insufficient balance!' },
  UNKNOWN_SYMBOL: { code: 1001, message: 'Contract does not exist!' },
  INVALID_LEVERAGE: { code: 2006 },
  REDUCE_ONLY_REJECTED: { code: 2009, message: 'Position is not exists or closed.' },
  UNKNOWN_ORDER: { code: 2011, message: 'Order does not exist.' },
  ORDER_NOT_OPEN: { code: 2011, message: 'Order does not exist.' },
  UNKNOWN_ACCOUNT: { code: 1000, message: 'Account does not exist' },
  // Accepted and journaled, answer delayed by the simulated latency: the outcome is unknown for now.
  ORDER_PENDING: { code: 504 },
  EXCHANGE_UNAVAILABLE: { code: 503 },
  EXCHANGE_AUTH_FAILED: { code: 500 },
  EXCHANGE_ERROR: { code: 500 },
  UNSUPPORTED_ORDER_TYPE: { code: 600 },
};

/** A facade rejection in MEXC contract words: its contract code, else the kernel's MEXC code. */
export function contractErrorOf(error: FacadeError): MexcContractError {
  const known = CONTRACT_CODES[error.code];
  if (known !== undefined) return new MexcContractError(known.code, known.message ?? error.message);
  // 700004 is MEXC Spot's "invalid parameter"; the contract API says the same with 600 (ccxt: BadRequest either way).
  if (error.mexcCode === undefined || error.mexcCode === 700004) return contractErrors.param(error.message);
  return new MexcContractError(error.mexcCode, MEXC_WORDS[error.code] ?? error.message);
}

const PREFIXES = ['/api/v1/contract/', '/api/v1/private/'];

/** Paths answered in MEXC's contract envelope. */
export function isMexcContractPath(url: string): boolean {
  return PREFIXES.some((p) => url.startsWith(p));
}

/**
 * The contract envelope for an edge error, and its HTTP status: 429 and 510 for rate limits
 * (MEXC's "Excessive frequency of requests"), 401 for a key refused by the edge, 404/405/413/415 as
 * they are, 503 when the engine cannot answer; every other client error 600 "Param error!".
 */
export function mexcContractBodyOf(error: EdgeError): { status: number; body: { success: false; code: number; message: string } } {
  const body = (code: number, message: string) => ({ success: false as const, code, message });
  if (error.status === 429) return { status: 429, body: body(510, `Excessive frequency of requests: ${error.message}`) };
  if (error.status === 503) return { status: 503, body: body(503, error.message) };
  if (error.status === 401) return { status: 401, body: body(401, error.message) };
  if ([404, 405, 413, 414, 415].includes(error.status)) return { status: error.status, body: body(error.status, error.message) };
  return { status: 400, body: body(600, `Param error! ${error.message}`) };
}
