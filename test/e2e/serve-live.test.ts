/**
 * `papertrade serve` in live mode, wired from the environment alone: the interlock asks for
 * CREDENTIALS_KEY; EXCHANGE_API_KEY/SECRET become the default account's sealed keys; the live
 * record is reconciled before the server answers. The venue is a second papertrade instance
 * (its MEXC API over HTTP), and the oracle is that venue's own native API.
 */
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerMexcApi } from '../../src/api/mexc/index.js';
import { buildServer } from '../../src/api/server.js';
import { startService, StartupError, type RunningService } from '../../src/service/start-service.js';
import { freePort } from '../../src/test-kit/serve-process.js';
import { ADMIN_KEY, startTestService, type TestService } from '../../src/test-kit/service-kit.js';
import { scratchDir } from '../../src/test-kit/scratch-dir.js';

describe('serve, live, configured from the environment', () => {
  let venue: TestService;
  let venueApp: FastifyInstance;
  let venueBase: string;
  let venueAccount: { apiKey: string; apiSecret: string };
  let running: RunningService | undefined;

  beforeAll(async () => {
    venue = await startTestService({ until: 1723161300000 });
    venueApp = await buildServer(venue.deps, { plugins: [registerMexcApi] });
    venueBase = await venueApp.listen({ port: 0, host: '127.0.0.1' });
    venueAccount = (await venueApp.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name: 'venue', balances: { USDT: '777', BTC: '0.25' } } })).json();
  });
  afterAll(async () => {
    await running?.stop();
    await venueApp?.close();
    await venue?.close();
  });

  const env = async () => ({
    DATABASE_URL: `sqlite:${join(scratchDir('papertrade-serve-live-'), 'db.sqlite')}`,
    PORT: String(await freePort()),
    HOST: '127.0.0.1',
    REPLAY_SPEED: 'max',
    LOG_LEVEL: 'silent',
    ADMIN_API_KEY: 'serve-live-admin-key-0123456789',
    PAPER_TRADING: 'false',
    LIVE_TRADING_CONFIRM: 'I_UNDERSTAND_REAL_MONEY',
    EXCHANGE_API_KEY: venueAccount.apiKey,
    EXCHANGE_API_SECRET: venueAccount.apiSecret,
    EXCHANGE_OPTIONS: '{"enableRateLimit":false}',
    EXCHANGE_URLS: JSON.stringify({ api: { spot: { public: venueBase, private: venueBase }, contract: { public: `${venueBase}/api/v1/contract`, private: `${venueBase}/api/v1/private` } } }),
  });

  it('refuses to start live without CREDENTIALS_KEY, and says so', async () => {
    const refused = startService(await env(), { print: () => undefined });
    await expect(refused).rejects.toThrow(StartupError);
    await expect(refused).rejects.toThrow(/CREDENTIALS_KEY/);
  });

  it("starts live: the default account trades with EXCHANGE_API_KEY's venue account, reconciled on start, its keys never printed", async () => {
    const lines: string[] = [];
    running = await startService({ ...(await env()), CREDENTIALS_KEY: '7e'.repeat(32) }, { print: (line) => lines.push(line) });
    const text = lines.join('\n');
    expect(text).toContain('LIVE TRADING');
    expect(text).not.toContain(venueAccount.apiSecret);
    expect(text).not.toContain(venueAccount.apiKey);
    const key = /API key: +(\S+)/.exec(text)![1]!;
    type Answer = { balances: unknown; report: unknown; id: string };
    const get = async (path: string, bearer = key) => (await (await fetch(`${running!.url}${path}`, { headers: { authorization: `Bearer ${bearer}` } })).json()) as Answer;
    const venueBalances = (await venueApp.inject({ url: '/api/account/balances', headers: { authorization: `Bearer ${venueAccount.apiKey}` } })).json().balances;
    expect((await get('/api/account/balances')).balances).toEqual(venueBalances);
    expect(await get('/api/account')).toMatchObject({ mode: 'live', halted: false, balances: venueBalances });
    // The first start reconciled before any account existed; a run now covers the default account.
    expect((await get('/api/admin/live/reconciliation', 'serve-live-admin-key-0123456789')).report).toMatchObject({ accounts: [], differences: [] });
    const run = await fetch(`${running.url}/api/admin/live/reconcile`, { method: 'POST', headers: { authorization: 'Bearer serve-live-admin-key-0123456789' } });
    expect(((await run.json()) as Answer).report).toMatchObject({ accounts: [{ accountId: (await get('/api/account')).id, ordersChecked: 0 }], differences: [] });
  }, 60_000);
});
