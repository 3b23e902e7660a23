/**
 * Admin inputs are checked at the edge: each bad one answers 400 with a message naming its field,
 * and nothing is journaled (the engine's sequence does not move) or created.
 */
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { USDM_RECORDING } from '../test-kit/data-paths.js';
import { ADMIN_KEY, startTestService, type TestService } from '../test-kit/service-kit.js';
import { createAccount, importAccount, resetAccount, type NewAccount } from './account-service.js';
import { HttpError } from './http-errors.js';

const admin = { authorization: `Bearer ${ADMIN_KEY}` };
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

/** Expects a 400 naming `field`, with no input journaled and no account created. */
async function refusedUnchanged(service: TestService, request: InjectOptions, field: RegExp, code = 'INVALID_REQUEST'): Promise<void> {
  const seq = service.engine.seq;
  const accounts = service.deps.credentials.list().length;
  const res = await service.app.inject(request);
  expect(res.statusCode, res.body).toBe(400);
  expect(res.json()).toEqual({ code, message: expect.stringMatching(field) });
  expect(service.engine.seq).toBe(seq);
  expect(service.deps.credentials.list().length).toBe(accounts);
}

describe('admin inputs on a spot engine', () => {
  let service: TestService;
  let alice: { id: string; apiKey: string };
  let exported: Record<string, any>;

  beforeAll(async () => {
    service = await startTestService({ until: 1723161300000 });
    alice = (await service.app.inject({ method: 'POST', url: '/api/accounts', headers: admin, payload: { name: 'alice', balances: { USDT: '100000', BTC: '1' } } })).json();
    const k = bearer(alice.apiKey);
    await service.app.inject({ method: 'POST', url: '/api/orders', headers: k, payload: { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.01', price: '50000.00' } });
    await service.app.inject({ method: 'POST', url: '/api/orders', headers: k, payload: { symbol: 'BTCUSDT', side: 'SELL', type: 'STOP_LOSS_LIMIT', quantity: '0.01', price: '50000.00', stopPrice: '50001.00' } });
    await service.app.inject({ method: 'POST', url: '/api/orders', headers: k, payload: { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.01' } });
    exported = (await service.app.inject({ url: '/api/account/export', headers: k })).json();
  });
  afterAll(async () => service.close());

  const create = (payload: Record<string, unknown>): InjectOptions => ({ method: 'POST', url: '/api/accounts', headers: admin, payload });

  it('refuses fee rates beyond 1 % and a rebate larger than the taker fee, naming the field', async () => {
    await refusedUnchanged(service, create({ name: 'x', balances: { USDT: '1000' }, fees: { taker: '2' } }), /^fees\.taker: /);
    await refusedUnchanged(service, create({ name: 'x', balances: { USDT: '1000' }, fees: { maker: '2' } }), /^fees\.maker: /);
    await refusedUnchanged(service, create({ name: 'x', balances: { USDT: '1000' }, fees: { maker: '0.0101' } }), /^fees\.maker: /);
    // The bundled Binance spot taker fee is 0.1 %: a 0.2 % rebate would pay more than it charges.
    await refusedUnchanged(service, create({ name: 'x', balances: { USDT: '1000' }, fees: { maker: '-0.002' } }), /^fees\.maker: .*rebate/);
    await refusedUnchanged(service, create({ name: 'x', balances: { USDT: '1000' }, fees: { taker: '-0.001' } }), /fees\/taker/);
  });

  it('accepts rates within the bounds, a rebate included', async () => {
    const res = await service.app.inject(create({ name: 'maker', balances: { USDT: '1000' }, fees: { maker: '-0.0001', taker: '0.01' } }));
    expect(res.statusCode, res.body).toBe(201);
  });

  it('refuses negative or malformed balances and asset names that are not short upper-case codes', async () => {
    await refusedUnchanged(service, create({ name: 'x', balances: { USDT: '-5' } }), /balances\/USDT/);
    await refusedUnchanged(service, create({ name: 'x', balances: { USDT: '1e9' } }), /balances\/USDT/);
    await refusedUnchanged(service, create({ name: 'x', balances: { USDT: '0.0000000000000000001' } }), /balances\/USDT/);
    await refusedUnchanged(service, create({ name: 'x', balances: { usdt: '5' } }), /balances/);
    await refusedUnchanged(service, create({ name: 'x', balances: { 'US DT': '5' } }), /balances/);
    await refusedUnchanged(service, create({ name: 'x', balances: { ABCDEFGHIJKLMNOPQRSTU: '5' } }), /balances/);
    await refusedUnchanged(service, { method: 'POST', url: `/api/accounts/${alice.id}/reset`, headers: admin, payload: { balances: { USDT: '-1' } } }, /balances\/USDT/);
  });

  it('refuses the same balances and fees through the account service, as `papertrade accounts` calls it', async () => {
    const seq = service.engine.seq;
    const specs: NewAccount[] = [{ name: 'x', balances: { usdt: '1' } }, { name: 'x', balances: { USDT: '-1' } }, { name: 'x', balances: { USDT: '1' }, fees: { taker: '2' } }];
    for (const spec of specs) {
      await expect(createAccount(service.deps, spec, 'test')).rejects.toMatchObject({ status: 400, body: { message: expect.stringMatching(/^(balances|fees)/) } });
    }
    await expect(resetAccount(service.deps, alice.id, { USDT: '-1' }, 'test')).rejects.toMatchObject({ status: 400, body: { message: expect.stringMatching(/^balances\.USDT: /) } });
    expect(service.engine.seq).toBe(seq);
  });

  it('refuses a leverage on a spot account, and any futures leverage where no perpetual is traded', async () => {
    await refusedUnchanged(service, create({ name: 'x', balances: { USDT: '1000' }, leverage: 5 }), /^leverage: /);
    // The spot replay trades no perpetual: the refusal says so, and where a perpetual's data is, rather than "from 1 to 1".
    await refusedUnchanged(service, create({ name: 'x', type: 'futures', balances: { USDT: '1000' }, leverage: 2 }), /^leverage: must be 1: this server trades no perpetual \(its market data is BTCUSDT spot\).*REPLAY_RECORDING=data\/recordings\/binance_usdm_btcusdt_20240808T2354Z$/, 'INVALID_LEVERAGE');
    const one = await service.app.inject(create({ name: 'x', type: 'futures', balances: { USDT: '1000' }, leverage: 1 }));
    expect(one.statusCode, one.body).toBe(201);
  });

  const importing = (document: unknown): InjectOptions => ({ method: 'POST', url: '/api/accounts/import', headers: admin, payload: { document } });
  const edited = (edit: (d: Record<string, any>) => void) => {
    const copy = structuredClone(exported);
    edit(copy);
    return copy;
  };

  it('refuses the issue\'s import documents, naming the field', async () => {
    await refusedUnchanged(service, importing({ format: 'papertrade.account', version: 1 }), /document/);
    await refusedUnchanged(service, importing(edited((d) => delete d.health)), /document.*health/);
    await refusedUnchanged(service, importing(edited((d) => (d.account.kind = 'futures'))), /document\/account/);
    await refusedUnchanged(service, importing(edited((d) => (d.account.kind = 'margin'))), /document\/account/);
    await refusedUnchanged(service, importing(edited((d) => (d.account.balances[0][1].free = { $n: '-1000000000000000000' }))), /document\/account/);
  });

  it('refuses documents whose fields contradict each other', async () => {
    // 1 USDT more than the ledger accounts for.
    await refusedUnchanged(service, importing(edited((d) => {
      const usdt = d.account.balances.find(([a]: [string]) => a === 'USDT')[1];
      usdt.free = { $n: (BigInt(usdt.free.$n) + 10n ** 18n).toString() };
    })), /^document\.account\.balances\[\d\]: USDT: free \+ locked/);
    await refusedUnchanged(service, importing(edited((d) => (d.placements['999'] = 'resting'))), /^document\.placements\.999: /);
    await refusedUnchanged(service, importing(edited((d) => (d.account.fees = { taker: { $n: '20000000000000000' } }))), /^document\.account\.fees\.taker: /);
    await refusedUnchanged(service, importing(edited((d) => {
      const limit = d.orders.find((o: { type: string }) => o.type === 'LIMIT');
      delete limit.price;
    })), /^document\.placements\.\d+: .*cannot rest/);
    await refusedUnchanged(service, importing(edited((d) => (d.orders[0].status = 'FILLED'))), /^document\.orders\[0\]\.locked: |^document\.placements/);
    await refusedUnchanged(service, importing(edited((d) => (d.extra = true))), /document/);
  });

  it('refuses the same documents through the account service, as `papertrade accounts import` calls it', async () => {
    for (const [document, field] of [
      ['{"format":"papertrade.account","version":1}', /^document: /],
      [JSON.stringify(edited((d) => delete d.health)), /^document: .*health|^document\.health/],
      [JSON.stringify(edited((d) => (d.account.kind = 'futures'))), /^document\.account/],
      [JSON.stringify(edited((d) => (d.account.balances[0][1].free = { $n: '-1' }))), /^document\.account/],
      ['not json', /^document: is not JSON/],
    ] as const) {
      const seq = service.engine.seq;
      const refused = importAccount(service.deps, document, undefined, 'test');
      await expect(refused).rejects.toBeInstanceOf(HttpError);
      await expect(refused).rejects.toMatchObject({ status: 400, body: { code: 'INVALID_REQUEST', message: expect.stringMatching(field) } });
      expect(service.engine.seq).toBe(seq);
    }
  });

  it('imports the document as exported, and the engine still trades', async () => {
    const res = await service.app.inject(importing(exported));
    expect(res.statusCode, res.body).toBe(201);
    const copy = res.json();
    const original = (await service.app.inject({ url: '/api/account/balances', headers: bearer(alice.apiKey) })).json();
    expect((await service.app.inject({ url: '/api/account/balances', headers: bearer(copy.apiKey) })).json()).toEqual(original);
    const order = await service.app.inject({ method: 'POST', url: '/api/orders', headers: bearer(copy.apiKey), payload: { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.001' } });
    expect(order.json()).toMatchObject({ status: 'FILLED' });
  });
});

describe('admin inputs on a futures engine', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService({ recording: USDM_RECORDING, until: 1723161300000 });
  });
  afterAll(async () => service.close());

  it('takes leverage within the perpetual\'s range (Binance USD-M BTCUSDT: 125) and refuses beyond it', async () => {
    await refusedUnchanged(service, { method: 'POST', url: '/api/accounts', headers: admin, payload: { name: 'f', type: 'futures', balances: { USDT: '1000' }, leverage: 126 } }, /^leverage: .*1 to 125/, 'INVALID_LEVERAGE');
    const created = await service.app.inject({ method: 'POST', url: '/api/accounts', headers: admin, payload: { name: 'f', type: 'futures', balances: { USDT: '1000' }, leverage: 125 } });
    expect(created.statusCode, created.body).toBe(201);
    const key = bearer(created.json().apiKey);
    await refusedUnchanged(service, { method: 'POST', url: '/api/account/leverage', headers: key, payload: { symbol: 'BTCUSDT', leverage: 500 } }, /^leverage: .*1 to 125 on BTCUSDT/, 'INVALID_LEVERAGE');
    await refusedUnchanged(service, { method: 'POST', url: '/api/account/leverage', headers: key, payload: { symbol: 'BTCUSDT', leverage: 2.5 } }, /leverage/);
    await refusedUnchanged(service, { method: 'POST', url: '/api/account/leverage', headers: key, payload: { symbol: 'ETHUSDT', leverage: 5 } }, /^symbol: /, 'UNKNOWN_SYMBOL');
    expect((await service.app.inject({ method: 'POST', url: '/api/account/leverage', headers: key, payload: { symbol: 'BTCUSDT', leverage: 20 } })).json()).toEqual({ symbol: 'BTCUSDT', leverage: 20 });
  });
});

describe('an account reset without a body', () => {
  it('resets to the opening balances, as `{}` does, with or without a JSON content type; a body that is not an object is still refused', async () => {
    const service = await startTestService({ until: 1723161300000 });
    try {
      const bob = (await service.app.inject({ method: 'POST', url: '/api/accounts', headers: admin, payload: { name: 'bob', balances: { USDT: '5000' } } })).json() as { id: string; apiKey: string };
      const bought = async () => {
        const order = await service.app.inject({ method: 'POST', url: '/api/orders', headers: bearer(bob.apiKey), payload: { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.01' } });
        expect(order.json()).toMatchObject({ status: 'FILLED' });
        expect(service.engine.kernel.balances(bob.id)!.BTC).toBeDefined();
      };
      const opening = { id: bob.id, balances: { USDT: { free: '5000', locked: '0' } } };
      await bought();
      const bare = await service.app.inject({ method: 'POST', url: `/api/accounts/${bob.id}/reset`, headers: admin });
      expect(bare.statusCode, bare.body).toBe(200);
      expect(bare.json()).toEqual(opening);
      await bought();
      const emptyJson = await service.app.inject({ method: 'POST', url: `/api/accounts/${bob.id}/reset`, headers: { ...admin, 'content-type': 'application/json' }, payload: '' });
      expect(emptyJson.statusCode, emptyJson.body).toBe(200);
      expect(emptyJson.json()).toEqual(opening);
      await refusedUnchanged(service, { method: 'POST', url: `/api/accounts/${bob.id}/reset`, headers: { ...admin, 'content-type': 'application/json' }, payload: '"all"' }, /body/);
    } finally {
      await service.close();
    }
  });
});
