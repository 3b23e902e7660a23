/**
 * How routes answer from the read port (execution/account-read-port.ts): a refusal becomes the
 * error body through the one code → status mapper; a value is answered with how old it is, as
 * `X-Data-As-Of` (Unix ms) and `Age` (whole seconds, RFC 9111 §5.1).
 */
import type { FastifyReply } from 'fastify';
import type { ReadResult } from '../execution/account-read-port.js';
import type { ExecutionError } from '../execution/order-execution-service.js';
import { HttpError } from './http-errors.js';

/** Says on the reply how old its data is: `X-Data-As-Of` (Unix ms) and `Age` (whole seconds). */
export function setDataAge(reply: FastifyReply, asOf: number, now: number = Date.now()): void {
  reply.header('x-data-as-of', String(asOf));
  reply.header('age', String(Math.max(0, Math.floor((now - asOf) / 1000))));
}

/** The value of a read, with its age set on the reply; throws the mapped HttpError on a refusal. */
export function freshValue<T>(reply: FastifyReply, result: ReadResult<T>, now: number = Date.now()): T {
  if (!result.ok) throw HttpError.of(result.error);
  setDataAge(reply, result.value.asOf, now);
  return result.value.value;
}

/**
 * As freshValue, for the exchange dialects: a refusal becomes the dialect's own error
 * (`refusal`, e.g. Binance's -2013 or MEXC's 2011) instead of the native body.
 */
export function freshValueOr<T>(reply: FastifyReply, result: ReadResult<T>, refusal: (error: ExecutionError) => Error, now: number = Date.now()): T {
  if (!result.ok) throw refusal(result.error);
  setDataAge(reply, result.value.asOf, now);
  return result.value.value;
}
