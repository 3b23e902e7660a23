/**
 * Accounts with positions on several perpetuals, for the tests of the close routes: the bundled
 * USD-M recording's BTCUSDT and the same data under `MIRRORS` (startTestService's `mirrors`).
 */
import { expect } from 'vitest';
import { ADMIN_KEY, type TestService } from './service-kit.js';

export const MIRRORS = ['XBTUSDT', 'YBTUSDT'];
/** What each account starts with, in USDT. */
export const INITIAL = '1000000';

export type Headers = { readonly authorization: string };

export interface Account {
  readonly id: string;
  readonly headers: Headers;
}

/** An order as `POST /api/orders` and the close routes answer it. */
export interface Order {
  readonly orderId: string;
  readonly clientOrderId: string;
  readonly symbol: string;
  readonly side: string;
  readonly status: string;
  readonly quantity: string;
  readonly executedQty: string;
  readonly cumulativeQuoteQty: string;
  readonly createdAt: number;
}

/** A new account of `type` with INITIAL USDT (and 1 BTC on spot), created through the admin API. */
export async function openAccount(service: TestService, name: string, type: 'futures' | 'spot' = 'futures'): Promise<Account> {
  const balances = type === 'futures' ? { USDT: INITIAL } : { USDT: INITIAL, BTC: '1' };
  const created = await service.app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name, type, balances } });
  expect(created.statusCode, created.body).toBe(201);
  const { id, apiKey } = created.json<{ id: string; apiKey: string }>();
  return { id, headers: { authorization: `Bearer ${apiKey}` } };
}

export const placeMarket = (service: TestService, headers: Headers, symbol: string, side: 'BUY' | 'SELL', quantity: string) =>
  service.app.inject({ method: 'POST', url: '/api/orders', headers, payload: { symbol, side, type: 'MARKET', quantity } });

/** Opens a position with a market order that must fill; `side` BUY is a long. Answers the order. */
export async function openPosition(service: TestService, headers: Headers, symbol: string, side: 'BUY' | 'SELL', quantity: string): Promise<Order> {
  const res = await placeMarket(service, headers, symbol, side, quantity);
  expect(res.statusCode, res.body).toBe(201);
  expect(res.json<Order>().status).toBe('FILLED');
  return res.json<Order>();
}

/** Long 0.5 BTCUSDT, short 0.3 XBTUSDT, long 0.2 YBTUSDT; the opening orders. */
export async function threePositions(service: TestService, headers: Headers): Promise<Order[]> {
  return [await openPosition(service, headers, 'BTCUSDT', 'BUY', '0.5'), await openPosition(service, headers, 'XBTUSDT', 'SELL', '0.3'), await openPosition(service, headers, 'YBTUSDT', 'BUY', '0.2')];
}

export const closeAll = (service: TestService, headers: Headers) => service.app.inject({ method: 'POST', url: '/api/positions/close-all', headers });
