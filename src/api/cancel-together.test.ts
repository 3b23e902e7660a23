/**
 * A cancel of many orders (DELETE /api/orders, Binance's DELETE /api/v3/openOrders, …) goes as one
 * step (`OrderExecutionService.cancelOrders`, `cancelTogether`): the cancels are one run of the
 * journal with no market input between them, as a venue's cancel of all open orders, and one
 * fdatasync covers them and their audit entries, where each cancel and each entry cost one before.
 * The oracles are independent of the engine's answers: the journal's rows as stored, the process's
 * own fdatasyncs counted at the file handle (test-kit/held-syncs.ts), and the balances computed by
 * hand (every reservation released: the account holds what it was given).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { watchSyncs, type SyncWatch } from '../test-kit/held-syncs.js';
import { journalAfter, journalHead } from '../test-kit/journal-rows.js';
import { watchedService } from '../test-kit/watched-service.js';
import { ADMIN_KEY, startTestService, type TestService } from '../test-kit/service-kit.js';
import { injectSigned } from '../test-kit/signed-inject.js';
import { sleep, until } from '../test-kit/wait.js';
import { registerBinanceApi } from './binance/binance-api.js';

const admin = { authorization: `Bearer ${ADMIN_KEY}` };
const UNTIL = 1723161300000;
const ORDERS = 40;

interface Account {
  readonly id: string;
  readonly apiKey: string;
  readonly apiSecret: string;
}

/** `count` resting LIMIT BUYs far under the market (30,000.00 and up), placed one at a time; their ids in placing order. */
async function rest(service: TestService, account: Account, count: number, tag: string): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const res = await service.app.inject({
      method: 'POST',
      url: '/api/orders',
      headers: { authorization: `Bearer ${account.apiKey}` },
      payload: { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.001', price: `${30_000 + i}.00`, clientOrderId: `${tag}-${i}` },
    });
    expect(res.statusCode, res.body).toBe(201);
    ids.push(res.json<{ orderId: string }>().orderId);
  }
  return ids;
}

const cancelAll = (service: TestService, account: Account) =>
  service.app.inject({ method: 'DELETE', url: '/api/orders?symbol=BTCUSDT', headers: { authorization: `Bearer ${account.apiKey}` } });

async function openAccount(service: TestService, name: string): Promise<Account> {
  const created = await service.app.inject({ method: 'POST', url: '/api/accounts', headers: admin, payload: { name, balances: { USDT: '1000000' } } });
  expect(created.statusCode, created.body).toBe(201);
  return created.json<Account>();
}

describe('cancelling many orders as one step', () => {
  const watched = watchedService({ until: UNTIL, plugins: [registerBinanceApi] });
  let service: TestService;
  let syncs: SyncWatch;
  beforeAll(() => ({ service, syncs } = watched));

  it(`DELETE /api/orders of ${ORDERS} resting orders costs one fdatasync (${2 * ORDERS} before), with an audit entry per cancel, in the listing order`, async () => {
    const account = await openAccount(service, 'one-sync');
    const ids = await rest(service, account, ORDERS, 'one');
    await service.engine.readModelCaughtUp();
    const before = syncs.count;
    const res = await cancelAll(service, account);
    expect(res.statusCode, res.body).toBe(200);
    expect(syncs.count - before).toBe(1);
    const items = res.json<{ items: { orderId: string; status: string }[] }>().items;
    expect(items.map((o) => o.orderId)).toEqual(ids);
    expect(items.every((o) => o.status === 'CANCELED')).toBe(true);
    // Each answer is the order as its record reads (all but the last cancel's order had left the kernel when it was answered).
    await service.engine.readModelCaughtUp();
    for (const item of [items[0]!, items[ORDERS >> 1]!, items.at(-1)!]) {
      const read = await service.app.inject({ method: 'GET', url: `/api/orders/${item.orderId}`, headers: { authorization: `Bearer ${account.apiKey}` } });
      expect(read.json()).toEqual(item);
    }
    const entries = await service.deps.audit.query({ accountId: account.id, action: 'order.cancel', limit: 1000 });
    expect(entries.map((e) => e.details['orderId'])).toEqual(ids);
    expect(entries.every((e) => (e.details['result'] as { status?: string }).status === 'CANCELED')).toBe(true);
    // Every reservation released: the account holds exactly what it was given, nothing locked.
    const balances = await service.app.inject({ method: 'GET', url: '/api/account/balances', headers: { authorization: `Bearer ${account.apiKey}` } });
    expect(balances.json<{ balances: Record<string, unknown> }>().balances['USDT']).toEqual({ free: '1000000', locked: '0' });
    expect(service.engine.kernel.openOrders(account.id)).toEqual([]);
  });

  it('with market data flowing, the cancels are one run of the journal: no market input between them', async () => {
    const account = await openAccount(service, 'no-print-between');
    const ids = await rest(service, account, ORDERS, 'run');
    const head = await journalHead(service);
    // The recording is fed in steps of 100 ms of market time (a depth update each) 5 ms apart while the cancel runs.
    let feeding = true;
    const feed = (async () => {
      while (feeding) await service.feedFor(100, 100);
    })();
    await sleep(20);
    const res = await cancelAll(service, account);
    feeding = false;
    await feed;
    expect(res.statusCode, res.body).toBe(200);
    const rows = await journalAfter(service, head);
    const cancels = rows.filter((r) => r.kind === 'order.cancel');
    expect(cancels.map((r) => r.orderId)).toEqual(ids);
    // Market inputs before and after the run, none inside it.
    expect(rows.some((r) => r.seq < cancels[0]!.seq && r.kind !== 'order.cancel')).toBe(true);
    expect(cancels.at(-1)!.seq - cancels[0]!.seq).toBe(ORDERS - 1);
  });

  it('while the fdatasync is held, every cancel is handled and audited and no answer is given; released, the answer comes', async () => {
    const account = await openAccount(service, 'held');
    const ids = await rest(service, account, ORDERS, 'held');
    syncs.hold();
    let answered = false;
    const answer = cancelAll(service, account).then((r) => ((answered = true), r));
    await until(() => service.engine.kernel.openOrders(account.id).length === 0, 'every cancel handled');
    const audited = async () => (await service.deps.audit.query({ accountId: account.id, action: 'order.cancel', limit: 1000 })).length === ORDERS;
    await until(audited, 'every audit entry written');
    await until(() => syncs.held > 0, 'an fdatasync held');
    await sleep(30);
    expect(answered).toBe(false);
    expect(syncs.held).toBeGreaterThan(0);
    syncs.release();
    const res = await answer;
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json<{ items: { orderId: string }[] }>().items.map((o) => o.orderId)).toEqual(ids);
  });

  it("Binance's DELETE /api/v3/openOrders: one fdatasync for every cancel, the reports in the listing order", async () => {
    const account = await openAccount(service, 'binance');
    const ids = await rest(service, account, 12, 'bn');
    await service.engine.readModelCaughtUp();
    const before = syncs.count;
    const res = await injectSigned(service.app, account, { method: 'DELETE', url: '/binance/api/v3/openOrders', params: { symbol: 'BTCUSDT' } });
    expect(res.statusCode, res.body).toBe(200);
    expect(syncs.count - before).toBe(1);
    const reports = res.json<{ orderId: number; status: string }[]>();
    expect(reports.map((r) => String(r.orderId))).toEqual(ids);
    expect(reports.every((r) => r.status === 'CANCELED')).toBe(true);
  });
});

describe('cancelling many orders when the fdatasync fails', () => {
  it('answers 503 (the outcome unknown), not 200, and the engine stops; a cancel of all orders after that is 503 too, with nothing left open', async () => {
    const service = await startTestService({ until: UNTIL, engine: { onError: () => undefined } });
    const syncs = await watchSyncs();
    try {
      const account = await openAccount(service, 'eio');
      await rest(service, account, 10, 'eio');
      syncs.failNext(Object.assign(new Error('EIO: i/o error, fdatasync (injected)'), { code: 'EIO' }));
      const res = await cancelAll(service, account);
      expect(res.statusCode, res.body).toBe(503);
      expect(res.json()).toMatchObject({ code: 'UNAVAILABLE' });
      expect(service.engine.status.state).toBe('failed');
      // The entries were committed before the answer (their fdatasync failed with the rest): read at once, all ten are there.
      expect(await service.deps.audit.query({ accountId: account.id, action: 'order.cancel', limit: 100 })).toHaveLength(10);
      // The stopped kernel shows no open order (the failed step's cancels were handled): it cannot vouch for that, so no success.
      expect(service.engine.kernel.openOrders(account.id)).toEqual([]);
      const again = await cancelAll(service, account);
      expect(again.statusCode, again.body).toBe(503);
      expect(again.json()).toMatchObject({ code: 'UNAVAILABLE' });
    } finally {
      syncs.restore();
      await service.close().catch(() => undefined);
    }
  });
});
