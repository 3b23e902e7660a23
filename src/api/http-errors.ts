/**
 * The one mapper from domain rejection codes to HTTP statuses. Every error body has the same
 * shape: `{ "code": "INSUFFICIENT_BALANCE", "message": "…", "mexcCode": 10101 }`.
 */
import { boundedText } from '../core/bounded-text.js';
import { extend } from '../core/objects.js';

export interface ApiError {
  readonly code: string;
  readonly message: string;
  readonly mexcCode?: number;
}

const STATUS: Readonly<Record<string, number>> = {
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  ACCOUNT_HALTED: 403,
  LIVE_TRADING_REFUSED: 403,
  EXCHANGE_CREDENTIALS_MISSING: 403,
  UNKNOWN_ORDER: 404,
  UNKNOWN_ACCOUNT: 404,
  NOT_FOUND: 404,
  ORDER_NOT_OPEN: 409,
  DUPLICATE_CLIENT_ORDER_ID: 409,
  DUPLICATE_ACCOUNT: 409,
  EXCHANGE_UNAVAILABLE: 503,
  ENGINE_UNAVAILABLE: 503,
  // The engine's own (EngineUnavailableError), when a step answers them as one order's outcome.
  UNAVAILABLE: 503,
  OVERLOADED: 503,
  EXCHANGE_AUTH_FAILED: 502,
  EXCHANGE_ERROR: 502,
  INTERNAL: 500,
};

/** HTTP status for a domain code: business rejections and bad input are 400 unless listed. */
export function httpStatusOf(code: string): number {
  return STATUS[code] ?? 400;
}

/**
 * A refusal answered with `status` and `body`. A value of the request the message echoes is cut
 * when absurdly long, as the kernel's and the dialects' refusals cut it (core/bounded-text.ts).
 */
export class HttpError extends Error {
  readonly body: ApiError;

  constructor(
    readonly status: number,
    body: ApiError,
  ) {
    const message = boundedText(body.message);
    super(message);
    this.body = message === body.message ? body : extend(body, { message });
  }

  static of(error: ApiError): HttpError {
    return new HttpError(httpStatusOf(error.code), error);
  }
}
