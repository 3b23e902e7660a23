/**
 * The requests that used to stop the engine for every account, each answered as data: a 4xx with a
 * code and a message, or an order whose reservation covers it. After all of them the engine is
 * ready, a normal order fills, balances reconcile, and a restart on the same database works — on
 * SQLite and PostgreSQL.
 */
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { parseFixed } from '../../src/core/money/fixed.js';
import { SPOT_RECORDING, USDM_RECORDING } from '../../src/test-kit/data-paths.js';
import { ADMIN_KEY, startTestService, type TestService } from '../../src/test-kit/service-kit.js';
import { describeEachDialect, type TestDatabase } from '../../src/test-kit/test-databases.js';

const admin = { authorization: `Bearer ${ADMIN_KEY}` };
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const T = 1723161300000;

/** Every answer is either a success or a client error in the documented shape; never a 5xx. */
function expectDataAnswer(res: LightMyRequestResponse, what: string): void {
  expect(res.statusCode, `${what}: ${res.body}`).toBeLessThan(500);
  if (res.statusCode >= 400) expect(res.json(), what).toMatchObject({ code: expect.any(String), message: expect.any(String) });
}

function expectNonNegative(balances: Record<string, { free: string; locked: string }>, what: string): void {
  for (const [asset, b] of Object.entries(balances)) {
    expect(parseFixed(b.free) >= 0n && parseFixed(b.locked) >= 0n, `${what}: ${asset} ${JSON.stringify(b)}`).toBe(true);
  }
}

describeEachDialect((name) => `requests that used to stop the engine, on ${name}`, (dialect) => {
  let target: TestDatabase;
  let service: TestService | undefined;
  const start = (recording: string, until?: number) =>
    startTestService({ recording, ...(until !== undefined ? { until } : {}), engine: { databaseUrl: target.url, database: target.options, snapshotIntervalMs: 0 } });
  beforeEach(() => {
    target = dialect.create();
  });
  afterEach(async () => {
    await service?.close();
    service = undefined;
    await target.cleanup();
  });

  it('spot: stops without a price, fees out of range and broken import documents are answered, and the engine goes on', async () => {
    service = await start(SPOT_RECORDING, T);
    const inject = (o: InjectOptions) => service!.app.inject(o);
    const alice = (await inject({ method: 'POST', url: '/api/accounts', headers: admin, payload: { name: 'alice', balances: { USDT: '100000', BTC: '1' } } })).json();

    for (const type of ['STOP_LOSS', 'TAKE_PROFIT', 'TRAILING_STOP_MARKET']) {
      const payload = { symbol: 'BTCUSDT', side: 'BUY', type, quantity: '0.001', ...(type === 'TRAILING_STOP_MARKET' ? { callbackRate: '0.01' } : { stopPrice: '70000.00' }) };
      expectDataAnswer(await inject({ method: 'POST', url: '/api/orders', headers: bearer(alice.apiKey), payload }), type);
    }
    for (const fees of [{ taker: '2' }, { maker: '2' }, { taker: '-0.5' }]) {
      const res = await inject({ method: 'POST', url: '/api/accounts', headers: admin, payload: { name: 'greedy', balances: { USDT: '1000' }, fees } });
      expect(res.statusCode, JSON.stringify(fees)).toBe(400);
      expectDataAnswer(res, JSON.stringify(fees));
    }
    const exportedRes = await inject({ url: '/api/account/export', headers: bearer(alice.apiKey) });
    expect(exportedRes.statusCode).toBe(200);
    const exported = exportedRes.json();
    expect(exported).toMatchObject({ format: 'papertrade.account', health: expect.any(Object), account: { kind: 'spot' } });
    const broken: Array<[string, unknown]> = [
      ['a bare header', { format: 'papertrade.account', version: 1 }],
      ['no health', (({ health: _h, ...rest }) => rest)(exported)],
      ['another kind', { ...exported, account: { ...exported.account, kind: 'options' } }],
      ['a negative balance', JSON.parse(JSON.stringify(exported).replace(/"free":\{"\$n":"\d+"\}/, '"free":{"$n":"-5"}'))],
    ];
    for (const [what, document] of broken) {
      const res = await inject({ method: 'POST', url: '/api/accounts/import', headers: admin, payload: { document } });
      expect(res.statusCode, what).toBe(400);
      expectDataAnswer(res, what);
    }

    await service.feedUntil(T + 20_000);
    expect((await inject({ url: '/ready' })).statusCode).toBe(200);
    const filled = await inject({ method: 'POST', url: '/api/orders', headers: bearer(alice.apiKey), payload: { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.01' } });
    expect(filled.json()).toMatchObject({ status: 'FILLED', executedQty: '0.01' });
    const balances = service.engine.kernel.balances(alice.id)!;
    expectNonNegative(balances, 'alice');
    service.engine.kernel.checkInvariants();
    expect((await inject({ url: '/api/accounts', headers: admin })).json().total).toBe(1);

    await service.close();
    service = await start(SPOT_RECORDING, 0);
    expect(service.engine.kernel.balances(alice.id)).toEqual(balances);
    service.engine.kernel.checkInvariants();
    const again = await service.app.inject({ method: 'POST', url: '/api/orders', headers: bearer(alice.apiKey), payload: { symbol: 'BTCUSDT', side: 'SELL', type: 'MARKET', quantity: '0.01' } });
    expect(again.json()).toMatchObject({ status: 'FILLED' });
  });

  it('futures: stops without a price on either side, without reduceOnly, are answered, and the engine goes on', async () => {
    service = await start(USDM_RECORDING, T);
    const inject = (o: InjectOptions) => service!.app.inject(o);
    const bob = (await inject({ method: 'POST', url: '/api/accounts', headers: admin, payload: { name: 'bob', type: 'futures', balances: { USDT: '10000' } } })).json();
    for (const side of ['BUY', 'SELL']) {
      for (const type of ['STOP_LOSS', 'TAKE_PROFIT', 'TRAILING_STOP_MARKET']) {
        const payload = { symbol: 'BTCUSDT', side, type, quantity: '0.01', ...(type === 'TRAILING_STOP_MARKET' ? { callbackRate: '0.01' } : { stopPrice: side === 'BUY' ? '61900.0' : '61500.0' }) };
        expectDataAnswer(await inject({ method: 'POST', url: '/api/orders', headers: bearer(bob.apiKey), payload }), `${side} ${type}`);
      }
    }
    await service.feedUntil(T + 20_000);
    expect((await inject({ url: '/ready' })).statusCode).toBe(200);
    const filled = await inject({ method: 'POST', url: '/api/orders', headers: bearer(bob.apiKey), payload: { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.01' } });
    expect(filled.json()).toMatchObject({ status: 'FILLED', executedQty: '0.01' });
    const balances = service.engine.kernel.balances(bob.id)!;
    expectNonNegative(balances, 'bob');
    service.engine.kernel.checkInvariants();

    await service.close();
    service = await start(USDM_RECORDING, 0);
    expect(service.engine.kernel.balances(bob.id)).toEqual(balances);
    service.engine.kernel.checkInvariants();
  });
});
