/**
 * The signed-request helper against Binance's own worked example ("SIGNED Endpoint Examples for POST
 * /api/v3/order", HMAC-SHA256 keys): with the docs' secret, the docs' query string signs to the
 * docs' signature, and the request the helper injects carries exactly that query, that signature
 * last, and the key in `X-MBX-APIKEY`.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, expect, it, vi } from 'vitest';
import { binanceSignature, injectSigned } from './signed-inject.js';

const DOCS_KEY = { apiKey: 'vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A', apiSecret: 'NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j' };
const DOCS_QUERY = 'symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559';
const DOCS_SIGNATURE = 'c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71';

let app: FastifyInstance;
let seen: { method: string; url: string; key: string | undefined } | undefined;

beforeAll(async () => {
  app = Fastify();
  app.all('/binance/*', async (request) => {
    seen = { method: request.method, url: request.raw.url!, key: request.headers['x-mbx-apikey'] as string | undefined };
    return {};
  });
  await app.ready();
});
afterEach(() => {
  vi.restoreAllMocks();
  seen = undefined;
});
afterAll(async () => {
  await app?.close();
});

it("signs Binance's example query to Binance's example signature", () => {
  expect(binanceSignature(DOCS_KEY.apiSecret, DOCS_QUERY)).toBe(DOCS_SIGNATURE);
  expect(binanceSignature(DOCS_KEY.apiSecret, DOCS_QUERY.replace('quantity=1', 'quantity=2'))).not.toBe(DOCS_SIGNATURE);
});

it("injects Binance's example order: the params in order, then timestamp, then the signature; the key in X-MBX-APIKEY", async () => {
  vi.spyOn(Date, 'now').mockReturnValue(1499827319559);
  const params = { symbol: 'LTCBTC', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '1', price: '0.1', recvWindow: '5000' };
  const res = await injectSigned(app, DOCS_KEY, { method: 'POST', url: '/binance/api/v3/order', params });
  expect(res.statusCode).toBe(200);
  expect(seen).toEqual({ method: 'POST', url: `/binance/api/v3/order?${DOCS_QUERY}&signature=${DOCS_SIGNATURE}`, key: DOCS_KEY.apiKey });
});

it('is a GET by default and, without params, signs the timestamp alone', async () => {
  vi.spyOn(Date, 'now').mockReturnValue(1499827319559);
  await injectSigned(app, DOCS_KEY, { url: '/binance/fapi/v2/balance' });
  expect(seen).toEqual({ method: 'GET', url: `/binance/fapi/v2/balance?timestamp=1499827319559&signature=${binanceSignature(DOCS_KEY.apiSecret, 'timestamp=1499827319559')}`, key: DOCS_KEY.apiKey });
});
