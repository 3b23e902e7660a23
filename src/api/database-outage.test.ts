/**
 * The service while its PostgreSQL database is unreachable (a proxy between them is cut): liveness
 * stays up, readiness and every write answer 503 in the dialect's shape, and everything comes back
 * by itself once the database does.
 */
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { registerMexcApi } from './mexc/mexc-api.js';
import { mexcSignature } from './mexc/mexc-signature.js';
import { ADMIN_KEY, startTestService, type TestService } from '../test-kit/service-kit.js';
import { startTcpProxy, type TcpProxy } from '../test-kit/tcp-proxy.js';
import { describePostgres, PG_URL, POSTGRES, type TestDatabase } from '../test-kit/test-databases.js';

const admin = { authorization: `Bearer ${ADMIN_KEY}` };

async function eventually<T>(read: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describePostgres('the service on PostgreSQL while the database is unreachable', () => {

  let target: TestDatabase;
  let proxy: TcpProxy;
  let service: TestService;
  let account: { id: string; apiKey: string; apiSecret: string };
  const inject = (options: InjectOptions) => service.app.inject(options);
  const order = (clientOrderId: string) =>
    inject({ method: 'POST', url: '/api/orders', headers: { authorization: `Bearer ${account.apiKey}` }, payload: { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.001', clientOrderId } });
  const mexcOrder = (clientOrderId: string) => {
    const params = `symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.001&newClientOrderId=${clientOrderId}&timestamp=${Date.now()}`;
    return inject({ method: 'POST', url: `/api/v3/order?${params}&signature=${mexcSignature(account.apiSecret, params)}`, headers: { 'x-mexc-apikey': account.apiKey } });
  };

  beforeAll(async () => {
    target = POSTGRES.create();
    proxy = await startTcpProxy({ host: new URL(PG_URL).hostname, port: Number(new URL(PG_URL).port || 5432) });
    service = await startTestService({
      until: 1723161300000,
      plugins: [registerMexcApi],
      engine: {
        databaseUrl: proxy.through(PG_URL),
        database: { ...target.options, connectTimeoutMs: 1_000 },
        snapshotIntervalMs: 0,
        retry: { minMs: 50, maxMs: 300 },
        onStatusChange: () => undefined,
      },
    });
    account = (await inject({ method: 'POST', url: '/api/accounts', headers: admin, payload: { name: 'outage', balances: { USDT: '100000' } } })).json();
  }, 60_000);
  afterAll(async () => {
    await service?.close();
    await proxy?.close();
    await target?.cleanup();
  });

  it('/ready goes 503 and writes answer 503 UNAVAILABLE while the database is cut; both recover when it is back', async () => {
    expect((await inject({ url: '/ready' })).statusCode).toBe(200);
    const before = await order('before-cut');
    expect(before.statusCode).toBe(201);
    expect(before.json()).toMatchObject({ status: 'FILLED', clientOrderId: 'before-cut' });

    proxy.cut();
    // The first write meets the dead connection; every later one is refused at once.
    for (const id of ['cut-1', 'cut-2']) {
      const refused = await order(id);
      expect(refused.statusCode).toBe(503);
      expect(refused.json()).toEqual({ code: 'UNAVAILABLE', message: expect.stringMatching(/database/) });
    }
    const mexc = await mexcOrder('cut-mexc');
    expect(mexc.statusCode).toBe(503);
    expect(mexc.json()).toEqual({ code: 503, msg: expect.stringMatching(/database/) });
    const created = await inject({ method: 'POST', url: '/api/accounts', headers: admin, payload: { name: 'during', balances: { USDT: '1' } } });
    expect(created.statusCode).toBe(503);
    expect(created.json()).toMatchObject({ code: 'UNAVAILABLE' });

    const ready = await inject({ url: '/ready' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toMatchObject({ code: 'UNAVAILABLE', message: expect.stringMatching(/database is unreachable/), ready: false, engine: { state: 'unavailable', ready: false } });
    const health = await inject({ url: '/health' });
    expect(health.statusCode).toBe(200);
    expect(health.json()).toEqual({ status: 'ok' });
    // Queries the kernel answers need no database.
    expect((await inject({ url: '/api/account/balances', headers: { authorization: `Bearer ${account.apiKey}` } })).statusCode).toBe(200);

    proxy.restore();
    const back = await eventually(() => inject({ url: '/ready' }), (r) => r.statusCode === 200);
    expect(back.statusCode).toBe(200);
    expect(back.json()).toMatchObject({ ready: true, engine: { state: 'ready', outages: 1 } });
    const after = await order('after-cut');
    expect(after.statusCode).toBe(201);
    expect((await mexcOrder('after-mexc')).statusCode).toBe(200);

    // The order acknowledged before the cut is there; none refused during it is.
    // Every order placed, closed ones included, is in the read tables (the kernel keeps the open ones).
    await service.engine.readModelCaughtUp();
    const known = (await service.engine.db.selectFrom('orders').select('clientOrderId').where('accountId', '=', account.id).execute()).map((o) => o.clientOrderId);
    expect(known).toEqual(expect.arrayContaining(['before-cut', 'after-cut', 'after-mexc']));
    expect(known).not.toEqual(expect.arrayContaining(['cut-1']));
    expect(known.filter((id) => id.startsWith('cut-'))).toEqual([]);
  }, 60_000);
});
