/**
 * A MEXC contract private request signed by an unmodified ccxt `mexc` client (`sign`, contract
 * branch: the ApiKey, Request-Time and Signature headers, the body as JSON for a POST, the query for
 * a GET), pointed at the server's own paths and injected into an in-process Fastify app.
 */
import { createHmac } from 'node:crypto';
import ccxt from 'ccxt';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import type WebSocket from 'ws';
import { connect, until, type Frame } from './ws-client.js';

/** An account's credentials, as POST /api/accounts answers them. */
export interface MexcKey {
  readonly apiKey: string;
  readonly apiSecret: string;
}

/** The request ccxt would send for `path` (e.g. `order/create`, `position/list/history_positions`), as inject options. */
export function mexcContractRequest(key: MexcKey, method: 'GET' | 'POST', path: string, params: unknown = {}): InjectOptions & { url: string } {
  const exchange = new ccxt.mexc({ apiKey: key.apiKey, secret: key.apiSecret });
  exchange.urls.api.contract = { public: '/api/v1/contract', private: '/api/v1/private' };
  const request = exchange.sign(path, ['contract', 'private'] as unknown as string, method, params as Record<string, unknown>) as { url: string; body?: string; headers: Record<string, string> };
  return { method, url: request.url, headers: request.headers, ...(request.body !== undefined ? { payload: request.body } : {}) };
}

/** `mexcContractRequest` injected into `app`. */
export function injectMexcContract(app: FastifyInstance, key: MexcKey, method: 'GET' | 'POST', path: string, params?: unknown): Promise<LightMyRequestResponse> {
  return app.inject(mexcContractRequest(key, method, path, params));
}

/** MEXC's contract WebSocket login frame for `key` (`{method:'login',param:{apiKey,reqTime,signature}}`, signature HMAC-SHA256 of apiKey + reqTime). */
export function contractLoginFrame(key: MexcKey, reqTime = String(Date.now())): string {
  const signature = createHmac('sha256', key.apiSecret).update(key.apiKey + reqTime).digest('hex');
  return JSON.stringify({ method: 'login', param: { apiKey: key.apiKey, reqTime, signature } });
}

/** A WebSocket on the server at `base` (http://…) `/mexc/contract/edge`, logged in as `key` (its `rs.login` answer received); every frame it hears in `frames`. */
export async function loggedInContractSocket(base: string, key: MexcKey): Promise<{ ws: WebSocket; frames: Frame[]; closed: Promise<number> }> {
  const socket = await connect(`${base.replace(/^http/, 'ws')}/mexc/contract/edge`);
  socket.ws.send(contractLoginFrame(key));
  await until(() => socket.frames.some((f) => f.channel === 'rs.login'), 'the login answer');
  return socket;
}
