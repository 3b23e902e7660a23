/**
 * Binance Spot's `symbolStatus` on `depth`, `ticker/price` and `ticker/bookTicker` (Binance's
 * CHANGELOG of 2025-10-28; errors.md for -1122 and -1220), over the bundled recording: every symbol
 * here is TRADING, as exchangeInfo prints it, so TRADING keeps what the route answers without the
 * parameter, HALT and BREAK keep nothing (a list) or refuse the one symbol asked (-1220), and a
 * status Binance does not take for the parameter is -1122, before the symbol is looked up.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../../test-kit/service-kit.js';
import { buildServer } from '../server.js';
import { registerBinanceApi } from './binance-api.js';

const START = 1723161300000; // 2024-08-08T23:55:00Z: the recording's book is synced by then
const MISMATCH = { code: -1220, msg: "The symbol's status does not match the requested symbolStatus." };
const INVALID = { code: -1122, msg: 'Invalid symbolStatus.' };

describe('Binance Spot symbolStatus on depth, ticker/price and ticker/bookTicker', () => {
  let service: TestService;
  let app: FastifyInstance;
  const get = (path: string, query: string) => app.inject({ url: `/binance/api/v3/${path}${query === '' ? '' : `?${query}`}` });
  const answer = async (path: string, query: string) => {
    const response = await get(path, query);
    return [response.statusCode, response.json()] as const;
  };
  let trading: string[];

  beforeAll(async () => {
    service = await startTestService({ until: START + 60_000 });
    app = await buildServer(service.deps, { plugins: [registerBinanceApi] });
    const info = (await app.inject({ url: '/binance/api/v3/exchangeInfo' })).json() as { symbols: { symbol: string; status: string }[] };
    trading = info.symbols.filter((s) => s.status === 'TRADING').map((s) => s.symbol);
  });

  afterAll(async () => {
    await app?.close();
    await service?.close();
  });

  it('ticker/price and ticker/bookTicker: TRADING keeps every symbol, HALT and BREAK none, of all symbols or of a list', async () => {
    expect(trading).toContain('BTCUSDT');
    for (const path of ['ticker/price', 'ticker/bookTicker']) {
      const all = (await answer(path, ''))[1] as { symbol: string }[];
      expect(all.map((row) => row.symbol)).toEqual(trading);
      expect(await answer(path, 'symbolStatus=TRADING')).toEqual([200, all]);
      expect(await answer(path, 'symbol=BTCUSDT&symbolStatus=TRADING')).toEqual([200, all.find((row) => row.symbol === 'BTCUSDT')]);
      expect(await answer(path, 'symbolStatus=')).toEqual([200, all]);
      for (const status of ['HALT', 'BREAK']) {
        expect(await answer(path, `symbolStatus=${status}`)).toEqual([200, []]);
        expect(await answer(path, `symbols=%5B%22BTCUSDT%22%5D&symbolStatus=${status}`)).toEqual([200, []]);
        expect(await answer(path, `symbol=BTCUSDT&symbolStatus=${status}`)).toEqual([400, MISMATCH]);
      }
    }
  });

  it('depth: TRADING answers the book as without the parameter, HALT and BREAK refuse the symbol with -1220', async () => {
    const [status, book] = await answer('depth', 'symbol=BTCUSDT&limit=5');
    expect(status).toBe(200);
    expect((book as { bids: unknown[] }).bids).toHaveLength(5);
    expect(await answer('depth', 'symbol=BTCUSDT&limit=5&symbolStatus=TRADING')).toEqual([200, book]);
    expect(await answer('depth', 'symbol=BTCUSDT&limit=5&symbolStatus=HALT')).toEqual([400, MISMATCH]);
    expect(await answer('depth', 'symbol=BTCUSDT&symbolStatus=BREAK')).toEqual([400, MISMATCH]);
  });

  it('refuses a status the parameter does not take with -1122, before the symbol is looked up', async () => {
    for (const path of ['depth', 'ticker/price', 'ticker/bookTicker']) {
      // END_OF_DAY is a symbol status Binance lists, not one this parameter takes.
      for (const query of ['symbol=BTCUSDT&symbolStatus=NOPE', 'symbol=NOSUCH&symbolStatus=END_OF_DAY', 'symbolStatus=trading']) {
        expect(await answer(path, query)).toEqual([400, INVALID]);
      }
    }
    // Without the parameter the unknown symbol is the error.
    expect((await answer('ticker/price', 'symbol=NOSUCH'))[1]).toMatchObject({ code: -1121 });
  });
});
