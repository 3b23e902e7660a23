/**
 * Cancels of many orders at once (ADR 0085: `cancelOrders`, `cancelTogether`), against a hostile
 * user and a demanding trader. Every oracle is independent of the answer under test: balances
 * computed by hand from the book as it stood before the orders, the orders' records read back after
 * the cancel (GET by id, Binance's GET order), the journal's rows and the audit log as stored.
 *
 * Among the rules held here:
 * - with latency on a live clock, the cancels of one step carry one time, so they arrive at the
 *   simulated venue together and the market (a fill) cannot get between them;
 * - one cancel of a step that the kernel sets aside (INTERNAL) is that order's refusal: the other
 *   cancels stand, each audited, and the answer does not say that nothing changed;
 * - an engine stopped after a failed fdatasync writes no `group.cancel` audit entry for a list it
 *   refused to cancel;
 * - two cancels of all orders at once never both answer the same order list's orders;
 * - a bracket whose entry fills while the cancel of all orders runs is answered by the exits this
 *   request cancelled, not by the entry the print filled.
 */
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MatchingEngine } from '../core/matching/matching-engine.js';
import { formatFixed, parseFixed } from '../core/money/fixed.js';
import { watchSyncs, type SyncWatch } from '../test-kit/held-syncs.js';
import { journalAfter, journalHead } from '../test-kit/journal-rows.js';
import { watchedService } from '../test-kit/watched-service.js';
import { ADMIN_KEY, startTestService, type TestService } from '../test-kit/service-kit.js';
import { injectSigned } from '../test-kit/signed-inject.js';
import { sleep, until } from '../test-kit/wait.js';
import { EngineHub } from './engine-hub.js';
import { buildServer } from './server.js';
import { PaperExecutionService } from '../execution/paper-execution-service.js';
import { eventWaiterOn, paperExecutionPort } from '../service/paper-port.js';
import { registerBinanceApi } from './binance/binance-api.js';
import { registerMexcApi } from './mexc/mexc-api.js';
import { mexcSignature } from './mexc/mexc-signature.js';
import { registerBinanceUsdmApi } from './binance-usdm/usdm-api.js';
import { registerMexcContractApi } from './mexc-contract/mexc-contract-api.js';
import { USDM_RECORDING } from '../test-kit/data-paths.js';
import { injectMexcContract } from '../test-kit/mexc-contract-signed.js';

const admin = { authorization: `Bearer ${ADMIN_KEY}` };
const UNTIL = 1723161300000;
const ONE = 10n ** 18n;

interface Account {
  readonly id: string;
  readonly apiKey: string;
  readonly apiSecret: string;
}
type View = { orderId: string; clientOrderId: string; status: string; executedQty: string; cumulativeQuoteQty: string; ocoGroup?: string };

async function openAccount(service: TestService, name: string, balances: Record<string, string>): Promise<Account> {
  const created = await service.app.inject({ method: 'POST', url: '/api/accounts', headers: admin, payload: { name, balances } });
  expect(created.statusCode, created.body).toBe(201);
  return created.json<Account>();
}

const as = (account: Account) => ({ authorization: `Bearer ${account.apiKey}` });

function native(service: TestService, account: Account) {
  const inject = (options: InjectOptions) => service.app.inject({ ...options, headers: { ...as(account), ...(options.headers ?? {}) } });
  return {
    inject,
    place: async (payload: Record<string, unknown>): Promise<View> => {
      const res = await inject({ method: 'POST', url: '/api/orders', payload: { symbol: 'BTCUSDT', ...payload } });
      expect(res.statusCode, res.body).toBe(201);
      return res.json<View>();
    },
    oco: async (group: string, quantity = '0.01'): Promise<View[]> => {
      const res = await inject({ method: 'POST', url: '/api/orders/oco', payload: { symbol: 'BTCUSDT', side: 'SELL', quantity, takeProfit: { stopPrice: '65000.00' }, stopLoss: { stopPrice: '60000.00' }, listClientOrderId: group } });
      expect(res.statusCode, res.body).toBe(201);
      return res.json<{ orders: View[] }>().orders;
    },
    cancelAll: () => inject({ method: 'DELETE', url: '/api/orders?symbol=BTCUSDT' }),
    get: async (orderId: string): Promise<View> => {
      const res = await inject({ method: 'GET', url: `/api/orders/${orderId}` });
      expect(res.statusCode, res.body).toBe(200);
      return res.json<View>();
    },
    balances: async () => (await inject({ method: 'GET', url: '/api/account/balances' })).json<{ balances: Record<string, { free: string; locked: string }> }>().balances,
    open: async () => (await inject({ method: 'GET', url: '/api/orders/open' })).json<{ items: View[] }>().items,
  };
}

const audits = async (service: TestService, account: Account, action?: string): Promise<Record<string, unknown>[]> =>
  (await service.deps.audit.query({ accountId: account.id, ...(action !== undefined ? { action } : {}), limit: 10_000 })).map((e) => ({ action: e.action, ...e.details }));

/** a × b of two decimals, as a decimal (exact). */
const mul = (a: string, b: string) => formatFixed((parseFixed(a) * parseFixed(b)) / ONE);
const add = (...xs: string[]) => formatFixed(xs.reduce((s, x) => s + parseFixed(x), 0n));
const sub = (a: string, b: string) => formatFixed(parseFixed(a) - parseFixed(b));
/** The 0.1 % fee on `amount`, rounded up to the instrument's 8 commission decimals. */
const fee = (amount: string) => {
  const exact = parseFixed(amount) / 1000n;
  const unit = 10n ** 10n;
  return formatFixed(((exact + unit - 1n) / unit) * unit);
};

describe('DELETE /api/orders?symbol=: partially filled orders, plain orders and order lists in one cancel', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService({ until: UNTIL, plugins: [registerBinanceApi] });
  }, 60_000);
  afterAll(async () => service.close());

  it('answers in the listing order, each answer equal to the order as read back, the balances back to the hand-computed figures, and so after a restart', async () => {
    const account = await openAccount(service, 'mixed', { USDT: '1000000', BTC: '10' });
    const a = native(service, account);
    // The book before any of our orders: the best ask and bid, which a marketable limit for more than their size takes whole.
    const book = service.engine.kernel.depth('BTCUSDT', 1)!;
    const [askPrice, askSize] = book.asks[0]!;
    const [bidPrice, bidSize] = book.bids[0]!;
    const plain1 = await a.place({ side: 'BUY', type: 'LIMIT', quantity: '0.001', price: '30000.00', clientOrderId: 'plain1' });
    const partialBuy = await a.place({ side: 'BUY', type: 'LIMIT', quantity: add(askSize, '1'), price: askPrice, clientOrderId: 'pbuy' });
    const [tp, sl] = await a.oco('list1');
    const plain2 = await a.place({ side: 'SELL', type: 'LIMIT', quantity: '0.002', price: '90000.00', clientOrderId: 'plain2' });
    const entry = await a.place({ side: 'BUY', type: 'LIMIT', quantity: '0.001', price: '31000.00', clientOrderId: 'bracket1', takeProfit: { stopPrice: '70000.00' }, stopLoss: { stopPrice: '29000.00' } });
    const partialSell = await a.place({ side: 'SELL', type: 'LIMIT', quantity: add(bidSize, '1'), price: bidPrice, clientOrderId: 'psell' });
    const plain3 = await a.place({ side: 'BUY', type: 'LIMIT', quantity: '0.003', price: '30001.00', clientOrderId: 'plain3' });
    expect(partialBuy.status).toBe('PARTIALLY_FILLED');
    expect(partialSell.status).toBe('PARTIALLY_FILLED');
    expect(partialBuy.executedQty).toBe(askSize);
    expect(partialSell.executedQty).toBe(bidSize);

    const head = await journalHead(service);
    const res = await a.cancelAll();
    expect(res.statusCode, res.body).toBe(200);
    const items = res.json<{ items: View[] }>().items;
    // The listing order (by id), a list's orders where its first open order was.
    expect(items.map((o) => o.clientOrderId)).toEqual([plain1, partialBuy, tp!, sl!, plain2, entry, partialSell, plain3].map((o) => o.clientOrderId));
    // MEXC's status names: a partly filled order cancelled is PARTIALLY_CANCELED.
    expect(items.map((o) => o.status)).toEqual(['CANCELED', 'PARTIALLY_CANCELED', 'CANCELED', 'CANCELED', 'CANCELED', 'CANCELED', 'PARTIALLY_CANCELED', 'CANCELED']);
    // Each answer is the order as its record reads afterwards.
    for (const item of items) expect(await a.get(item.orderId)).toEqual(item);
    // What was filled stays filled: the cancel kept the executed quantity.
    expect(items.find((o) => o.orderId === partialBuy.orderId)!.executedQty).toBe(askSize);
    expect(items.find((o) => o.orderId === partialSell.orderId)!.executedQty).toBe(bidSize);
    expect(await a.open()).toEqual([]);

    // Balances by hand: bought askSize at askPrice (fee 0.1 % of the BTC received), sold bidSize at bidPrice (fee 0.1 % of the USDT
    // received), each fee rounded up to 8 decimals.
    const boughtCost = mul(askSize, askPrice);
    const soldProceeds = mul(bidSize, bidPrice);
    const usdt = sub(add('1000000', sub(soldProceeds, fee(soldProceeds))), boughtCost);
    const btc = sub(add('10', sub(askSize, fee(askSize))), bidSize);
    const expected = { USDT: { free: usdt, locked: '0' }, BTC: { free: btc, locked: '0' } };
    expect(await a.balances()).toEqual(expected);

    // The journal: the five orders in no list as one run, in the listing order; the lists after; nothing else of this account's.
    const rows = (await journalAfter(service, head)).filter((r) => r.account === account.id);
    const singles = [plain1, partialBuy, plain2, partialSell, plain3].map((o) => o.orderId);
    expect(rows.slice(0, 5).map((r) => [r.kind, r.orderId])).toEqual(singles.map((id) => ['order.cancel', id]));
    expect(rows[4]!.seq - rows[0]!.seq).toBe(4);
    expect(rows.slice(5).map((r) => r.kind).every((k) => k === 'order.cancel')).toBe(true);
    expect(new Set(rows.slice(5).map((r) => r.orderId))).toEqual(new Set([tp!.orderId, sl!.orderId, entry.orderId]));
    // The audit log: one order.cancel per order in no list, in the listing order, each CANCELED; one group.cancel per list.
    const entries = (await audits(service, account)).filter((e) => e.action === 'order.cancel' || e.action === 'group.cancel');
    const statuses = ['CANCELED', 'PARTIALLY_CANCELED', 'CANCELED', 'PARTIALLY_CANCELED', 'CANCELED'];
    expect(entries.map((e) => (e.action === 'order.cancel' ? [e.action, e['orderId'], (e['result'] as { status: string }).status] : [e.action, e['ocoGroup']]))).toEqual([
      ...singles.map((id, i) => ['order.cancel', id, statuses[i]]),
      ['group.cancel', 'list1'],
      ['group.cancel', 'bracket1'],
    ]);

    // Nothing lost on a restart: the same records, the same balances.
    service = await service.restart();
    const b = native(service, account);
    for (const item of items) expect(await b.get(item.orderId)).toEqual(item);
    expect(await b.balances()).toEqual(expected);
    expect(await b.open()).toEqual([]);
  });
});

describe('with latency, on a live clock (the hub carries the market time forward by the wall time, as start-service does with live data)', () => {
  // On a live clock each read of the time differs by the wall time passed: were each cancel stamped on its own, with
  // LATENCY_MS > 0 the cancels would arrive one or a few at a time, and a market input released between them would
  // fill an order the cancel of all orders was meant to cancel. cancelOrders stamps the whole step with one time.
  it('every cancel of one step is stamped with one time, so all arrive together: no market input, and no fill, between two of them', async () => {
    const LATENCY = 50;
    const service = await startTestService({ until: UNTIL, latencyMs: LATENCY });
    // The service's own wiring (start-service.ts): a hub with a wall clock, and the paper facade with an EventWaiter on it.
    // The wall clock ticks 1 ms at every read: the run of cancels takes wall time, as 100 cancels take ~10 ms live (ADR 0085).
    let wall = 5_000_000;
    const hub = new EngineHub(service.engine, () => (wall += 1));
    const app = await buildServer({ ...service.deps, hub, execution: new PaperExecutionService(paperExecutionPort(service.engine, hub, eventWaiterOn(hub))) });
    /** Per input that carried any of them, the ORDER_CANCELED and CANCEL_REJECTED events of `account`. */
    const carriers: { kind: string; time: number; orderIds: string[] }[] = [];
    hub.subscribe((events, input) => {
      const ids = events.filter((e) => (e.type === 'ORDER_CANCELED' || e.type === 'CANCEL_REJECTED') && e.account === account.id).map((e) => (e as { orderId: string }).orderId);
      if (ids.length > 0) carriers.push({ kind: input.kind, time: input.time, orderIds: ids });
    });
    let account!: Account;
    try {
      account = await openAccount(service, 'latency', { USDT: '1000000' });
      const a = native(service, account);
      // 12 resting BUYs far below the market, then one at the best bid (placed last: its cancel is the run's last).
      const bestBid = service.engine.kernel.depth('BTCUSDT', 1)!.bids[0]![0];
      for (let i = 0; i < 12; i += 1) await a.inject({ method: 'POST', url: '/api/orders', payload: { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.001', price: `${30_000 + i}.00` } });
      await a.inject({ method: 'POST', url: '/api/orders', payload: { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.001', price: bestBid, clientOrderId: 'near' } });
      await service.feedFor(LATENCY * 4, 50);
      const listed = service.engine.kernel.openOrders(account.id).map((o) => o.id);
      expect(listed).toHaveLength(13);
      const near = service.engine.kernel.openOrders(account.id).find((o) => o.clientOrderId === 'near')!.id;
      // The hub learns the market time from one market input of its own.
      const inputs = service.recording.inputs;
      await hub.submit(inputs.find((x) => x.time > service.fedUntil)!);

      const head = await journalHead(service);
      const answer = app.inject({ method: 'DELETE', url: '/api/orders?symbol=BTCUSDT', headers: as(account) });
      await until(async () => (await journalAfter(service, head)).filter((r) => r.kind === 'order.cancel').length === 13, 'the 13 cancels journaled');
      const stamps = (await service.engine.db.selectFrom('journal').select(['input']).where('seq', '>', head).orderBy('seq').execute())
        .map((r) => JSON.parse(r.input) as { kind: string; time: number })
        .filter((x) => x.kind === 'order.cancel')
        .map((x) => x.time);
      const first = Math.min(...stamps);
      const last = Math.max(...stamps);
      // The market goes on: a print through the best bid just before the last cancel could arrive, then time passes.
      await hub.submit({ kind: 'trade', time: Math.max(first, last - 2) + LATENCY, symbol: 'BTCUSDT', tradeId: 9_000_000_001, price: '61000.00', quantity: '5', buyerMaker: true });
      await hub.submit({ kind: 'clock', time: last + LATENCY + 10 });
      const res = await answer;
      expect(res.statusCode, res.body).toBe(200);

      // Oracle 1, the journal: one step is one moment, as a venue's cancel of all open orders.
      expect.soft(new Set(stamps).size, `the cancels of one step are stamped ${JSON.stringify([...new Set(stamps)])}`).toBe(1);
      // Oracle 2, the events as the hub handed them out: every cancel of the step handled in one input, back to back.
      expect.soft(carriers.map((c) => [c.kind, c.time, c.orderIds.length]), 'inputs that carried the step’s cancels').toHaveLength(1);
      // Oracle 3, the records: no listed order filled between the first and the last cancel of the step.
      const rows = await service.engine.db.selectFrom('orders').select(['id', 'status', 'updatedAt']).where('accountId', '=', account.id).execute();
      const canceledAt = rows.filter((r) => r.status === 'CANCELED').map((r) => Number(r.updatedAt));
      const fills = await service.engine.db.selectFrom('trades').select(['orderId', 'timestamp']).where('accountId', '=', account.id).execute();
      const between = fills.filter((f) => Number(f.timestamp) > Math.min(...canceledAt) && Number(f.timestamp) < Math.max(...canceledAt));
      expect.soft(between, `order ${near} filled while the cancel of all orders was under way`).toEqual([]);
      // Whatever the market did, the answer holds only orders cancelled, each as its record reads.
      for (const item of res.json<{ items: View[] }>().items) expect(await a.get(item.orderId)).toEqual(item);
    } finally {
      await app.close();
      await service.close();
    }
  });
});

describe('one cancel of a step that the kernel cannot apply (a defect it contains: INPUT_REJECTED INTERNAL, ADR 0082)', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService({ until: UNTIL });
  }, 60_000);
  afterAll(async () => service.close());

  // A cancel the kernel sets aside (INPUT_REJECTED, journaled) is that order's refusal, audited as such; only an
  // engine stop is the step's error. Raised as the step's error, it would answer 500 "the engine could not apply this
  // request and changed nothing" although four cancels were applied.
  it('the other cancels stand on their own: each has its audit entry, and the answer does not say that nothing changed', async () => {
    const account = await openAccount(service, 'fault', { USDT: '1000000' });
    const a = native(service, account);
    const ids: string[] = [];
    for (let i = 0; i < 5; i += 1) ids.push((await a.place({ side: 'BUY', type: 'LIMIT', quantity: '0.001', price: `${30_000 + i}.00` })).orderId);
    // The third cancel meets a defect in the matching engine, once: the kernel rolls it back and sets it aside.
    const original = MatchingEngine.prototype.cancel;
    let armed = true;
    const spy = vi.spyOn(MatchingEngine.prototype, 'cancel').mockImplementation(function (this: MatchingEngine, ...args) {
      if (armed && args[0].id === ids[2]) {
        armed = false;
        throw new Error('injected defect in a cancel');
      }
      return original.apply(this, args);
    });
    let res: LightMyRequestResponse;
    try {
      res = await a.cancelAll();
    } finally {
      spy.mockRestore();
    }
    // The records: the four other orders are cancelled, the third is still open.
    const records = await Promise.all(ids.map((id) => a.get(id)));
    expect(records.map((o) => o.status)).toEqual(['CANCELED', 'CANCELED', 'NEW', 'CANCELED', 'CANCELED']);
    // Every cancel applied has its audit entry (ADR 0085: "each cancel is its own journal input, refused or applied on its own, and its own audit entry").
    const entries = await audits(service, account, 'order.cancel');
    expect.soft(entries.filter((e) => (e['result'] as { status?: string }).status === 'CANCELED').map((e) => e['orderId'])).toEqual([ids[0], ids[1], ids[3], ids[4]]);
    // The answer must not tell the trader that nothing changed when four orders were cancelled.
    expect.soft(`${res.statusCode} ${res.body}`).not.toMatch(/changed nothing/);
  });
});

describe('cancels of many orders racing other requests', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService({ until: UNTIL, plugins: [registerBinanceApi, registerMexcApi] });
  }, 60_000);
  afterAll(async () => service.close());

  /** `count` resting BUYs far under the market; their ids in placing order. */
  const rest = async (account: Account, count: number, from = 30_000): Promise<string[]> => {
    const a = native(service, account);
    const ids: string[] = [];
    for (let i = 0; i < count; i += 1) ids.push((await a.place({ side: 'BUY', type: 'LIMIT', quantity: '0.001', price: `${from + i}.00` })).orderId);
    return ids;
  };

  it('two cancels of all orders at once: each order cancelled once, in exactly one answer, each answer as its record reads; the other cancel audited as refused', async () => {
    const account = await openAccount(service, 'twice', { USDT: '1000000' });
    const a = native(service, account);
    const ids = await rest(account, 20);
    const [r1, r2] = await Promise.all([a.cancelAll(), a.cancelAll()]);
    expect(r1.statusCode, r1.body).toBe(200);
    expect(r2.statusCode, r2.body).toBe(200);
    const i1 = r1.json<{ items: View[] }>().items;
    const i2 = r2.json<{ items: View[] }>().items;
    expect([...i1, ...i2].map((o) => o.orderId).sort()).toEqual([...ids].sort());
    for (const item of [...i1, ...i2]) expect(await a.get(item.orderId)).toEqual(item);
    // The journal: each order named by two cancels; the audit log: one CANCELED per order, and one refusal (not open).
    const entries = await audits(service, account, 'order.cancel');
    for (const id of ids) {
      const mine = entries.filter((e) => e['orderId'] === id).map((e) => (e['result'] as { status?: string; code?: string }).status ?? (e['result'] as { code: string }).code);
      expect(mine.sort(), `order ${id}`).toEqual(['CANCELED', 'ORDER_NOT_OPEN']);
    }
    expect(await a.balances()).toEqual({ USDT: { free: '1000000', locked: '0' } });
  });

  // A list's orders are answered by the cancels this request applied (cancelGroup's `canceled`), not by which of them
  // were open before and are not now: by that measure both requests would claim the list.
  it('two cancels of all orders at once with order lists among the orders: each order in exactly one answer', async () => {
    const account = await openAccount(service, 'twice-lists', { USDT: '1000000', BTC: '1' });
    const a = native(service, account);
    const ids = await rest(account, 3);
    const legs = [...(await a.oco('tw_a')), ...(await a.oco('tw_b'))].map((o) => o.orderId);
    const [r1, r2] = await Promise.all([a.cancelAll(), a.cancelAll()]);
    expect(r1.statusCode, r1.body).toBe(200);
    expect(r2.statusCode, r2.body).toBe(200);
    const answered = [...r1.json<{ items: View[] }>().items, ...r2.json<{ items: View[] }>().items].map((o) => o.orderId);
    expect(answered.sort()).toEqual([...ids, ...legs].sort());
    expect(await a.open()).toEqual([]);
  });

  it('a cancel by id racing the cancel of all orders: the order is in exactly one answer, and no answer holds an order that is open', async () => {
    const account = await openAccount(service, 'by-id', { USDT: '1000000' });
    const a = native(service, account);
    const ids = await rest(account, 10);
    const [all, one, two] = await Promise.all([a.cancelAll(), a.inject({ method: 'DELETE', url: `/api/orders/${ids[9]}` }), a.inject({ method: 'DELETE', url: `/api/orders/${ids[0]}` })]);
    expect(all.statusCode, all.body).toBe(200);
    const items = all.json<{ items: View[] }>().items;
    const byId = [one, two].filter((r) => r.statusCode === 200).map((r) => r.json<View>());
    // Each of the two orders: cancelled by exactly one of the requests that asked.
    for (const id of [ids[0]!, ids[9]!]) expect([...items, ...byId].filter((o) => o.orderId === id), `order ${id}`).toHaveLength(1);
    for (const r of [one, two]) if (r.statusCode !== 200) expect(r.json()).toMatchObject({ code: 'ORDER_NOT_OPEN' });
    expect(items.map((o) => o.orderId)).toEqual(ids.filter((id) => !byId.some((o) => o.orderId === id)));
    for (const item of [...items, ...byId]) expect(await a.get(item.orderId)).toEqual(item);
    expect(await a.open()).toEqual([]);
  });

  it('orders placed while the cancel of all orders runs: each is either in its answer (cancelled) or still open, never both, never lost', async () => {
    const account = await openAccount(service, 'placing', { USDT: '1000000' });
    const a = native(service, account);
    const ids = await rest(account, 10);
    const placing = Array.from({ length: 6 }, (_, i) => a.inject({ method: 'POST', url: '/api/orders', payload: { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.001', price: `${31_000 + i}.00`, clientOrderId: `late-${i}` } }));
    const [all, ...placed] = await Promise.all([a.cancelAll(), ...placing]);
    expect(all.statusCode, all.body).toBe(200);
    const items = all.json<{ items: View[] }>().items;
    const late = placed.map((r) => {
      expect(r.statusCode, r.body).toBe(201);
      return r.json<View>().orderId;
    });
    const open = (await a.open()).map((o) => o.orderId);
    const answered = items.map((o) => o.orderId);
    expect(answered.filter((id) => open.includes(id))).toEqual([]);
    expect([...answered, ...open].sort()).toEqual([...ids, ...late].sort());
    // The answer keeps the listing order (by id).
    expect(answered).toEqual([...answered].sort((x, y) => Number(x) - Number(y)));
    for (const item of items) expect(await a.get(item.orderId)).toEqual(item);
    // Locked: exactly the orders still open, 0.001 × their price each.
    const locked = add('0', ...(await a.open()).map((o) => mul('0.001', (o as View & { price: string }).price)));
    expect(await a.balances()).toEqual({ USDT: { free: sub('1000000', locked), locked } });
  });

  it("Binance's DELETE /api/v3/openOrders: every report equals the order as GET /api/v3/order reads it afterwards; an OCO list is one entry, where its first order was", async () => {
    const account = await openAccount(service, 'binance', { USDT: '1000000', BTC: '1' });
    const a = native(service, account);
    const first = await rest(account, 3);
    const [tp, sl] = await a.oco('bn_list');
    const [askPrice, askSize] = service.engine.kernel.depth('BTCUSDT', 1)!.asks[0]!;
    const partial = await a.place({ side: 'BUY', type: 'LIMIT', quantity: add(askSize, '0.5'), price: askPrice, clientOrderId: 'bn-partial' });
    expect(partial.status).toBe('PARTIALLY_FILLED');
    const last = await rest(account, 2, 32_000);
    const res = await injectSigned(service.app, account, { method: 'DELETE', url: '/binance/api/v3/openOrders', params: { symbol: 'BTCUSDT' } });
    expect(res.statusCode, res.body).toBe(200);
    const reports = res.json<Record<string, unknown>[]>();
    expect(reports.map((r) => (r['orderListId'] !== undefined && r['contingencyType'] !== undefined ? `list ${String(r['listClientOrderId'])}` : String(r['orderId'])))).toEqual([...first, 'list bn_list', partial.orderId, ...last]);
    for (const report of reports.filter((r) => r['contingencyType'] === undefined)) {
      const read = await injectSigned(service.app, account, { url: '/binance/api/v3/order', params: { symbol: 'BTCUSDT', orderId: String(report['orderId']) } });
      const order = read.json<Record<string, unknown>>();
      for (const field of ['orderId', 'clientOrderId', 'price', 'origQty', 'executedQty', 'cummulativeQuoteQty', 'status', 'timeInForce', 'type', 'side', 'origQuoteOrderQty']) {
        expect(report[field], `${String(report['orderId'])}.${field}`).toEqual(order[field]);
      }
      expect(report['transactTime']).toBe(order['updateTime']);
    }
    expect(reports.find((r) => String(r['orderId']) === partial.orderId)).toMatchObject({ status: 'CANCELED', executedQty: askSize });
    expect((await a.get(tp!.orderId)).status).toBe('CANCELED');
    expect((await a.get(sl!.orderId)).status).toBe('CANCELED');
    expect(await a.open()).toEqual([]);
  });

  it("MEXC's DELETE /api/v3/openOrders: one report per order, in the listing order, each equal to the order as GET /api/v3/order reads it afterwards", async () => {
    const account = await openAccount(service, 'mexc', { USDT: '1000000', BTC: '10' });
    const a = native(service, account);
    const signed = async (method: 'GET' | 'DELETE', path: string, params: string) => {
      const total = `${params}&timestamp=${Date.now()}`;
      const r = await service.app.inject({ method, url: `${path}?${total}&signature=${mexcSignature(account.apiSecret, total)}`, headers: { 'x-mexc-apikey': account.apiKey } });
      expect(r.statusCode, r.body).toBe(200);
      return r.json();
    };
    const [bidPrice, bidSize] = service.engine.kernel.depth('BTCUSDT', 1)!.bids[0]!;
    const ids = [
      (await a.place({ side: 'BUY', type: 'LIMIT', quantity: '0.001', price: '30000.00' })).orderId,
      (await a.place({ side: 'SELL', type: 'LIMIT', quantity: add(bidSize, '0.25'), price: bidPrice })).orderId,
      // An OCO pair sharing one reservation of 0.01 BTC: MEXC knows no lists, each leg is an order of its own here.
      ...(await a.oco('mx_list')).map((o) => o.orderId),
      (await a.place({ side: 'SELL', type: 'LIMIT', quantity: '0.002', price: '90000.00' })).orderId,
    ];
    const reports = (await signed('DELETE', '/api/v3/openOrders', 'symbol=BTCUSDT')) as Record<string, unknown>[];
    expect(reports.map((r) => String(r['orderId']))).toEqual(ids);
    expect(reports.map((r) => r['status'])).toEqual(['CANCELED', 'PARTIALLY_CANCELED', 'CANCELED', 'CANCELED', 'CANCELED']);
    for (const report of reports) {
      const order = (await signed('GET', '/api/v3/order', `symbol=BTCUSDT&orderId=${String(report['orderId'])}`)) as Record<string, unknown>;
      for (const field of ['symbol', 'orderId', 'clientOrderId', 'price', 'origQty', 'executedQty', 'cummulativeQuoteQty', 'status', 'type', 'side']) expect(report[field], field).toEqual(order[field]);
    }
    expect(reports[1]).toMatchObject({ executedQty: bidSize });
    expect(await a.open()).toEqual([]);
    // By hand: sold bidSize at bidPrice (the fee, 0.1 % of the USDT received, rounded up to 8 decimals); nothing locked.
    const proceeds = mul(bidSize, bidPrice);
    expect(await a.balances()).toEqual({ USDT: { free: sub(add('1000000', proceeds), fee(proceeds)), locked: '0' }, BTC: { free: sub('10', bidSize), locked: '0' } });
  });
});

describe('futures: MEXC contract cancels of many ids, and USD-M cancels of all open orders', () => {
  const T0 = 1723161330000;
  const watched = watchedService({ recording: USDM_RECORDING, until: T0, plugins: [registerMexcContractApi, registerBinanceUsdmApi] });
  let service: TestService;
  let syncs: SyncWatch;
  beforeAll(() => ({ service, syncs } = watched));

  const futures = async (name: string) => {
    const created = await service.app.inject({ method: 'POST', url: '/api/accounts', headers: admin, payload: { name, type: 'futures', marginMode: 'cross', leverage: 10, balances: { USDT: '100000' } } });
    expect(created.statusCode, created.body).toBe(201);
    return created.json<Account>();
  };
  const contract = async (account: Account, path: string, body: unknown) => (await injectMexcContract(service.app, account, 'POST', path, body)).json<{ success: boolean; code: number; message?: string; data?: unknown }>();
  /** A resting long limit of `vol` contracts (0.0001 BTC each) at `price`: its id. */
  const limit = async (account: Account, price: number, vol = 20) => {
    const placed = await contract(account, 'order/create', { symbol: 'BTC_USDT', side: 1, type: 1, openType: 2, vol, price });
    expect(placed, JSON.stringify(placed)).toMatchObject({ success: true });
    return (placed.data as { orderId: string }).orderId;
  };
  const wallet = (account: Account) => service.engine.kernel.balances(account.id)!['USDT']!;
  const status = (account: Account, id: string) => native(service, account).get(id).then((o) => o.status);
  /** Initial margin at 10x and the worst fee (0.05 %) of a long of `vol` contracts at `price`, by hand. */
  const reserve = (vol: number, price: number) => {
    const notional = mul(mul(String(vol), '0.0001'), String(price));
    return add(mul(notional, '0.1'), mul(notional, '0.0005'));
  };

  it('order/cancel with a duplicate, an unknown id, a trigger order, another account’s order and a closed one: one answer per id in the order given, only open orders cancelled, margins released to the figure by hand', async () => {
    const account = await futures('ids');
    const other = await futures('ids-other');
    const trigger = await contract(account, 'planorder/place', { symbol: 'BTC_USDT', side: 1, vol: 20, openType: 2, triggerPrice: 62000, triggerType: 1, executeCycle: 1, trend: 1, orderType: 5 });
    expect(trigger).toMatchObject({ success: true });
    const triggerId = trigger.data as string;
    const closed = await limit(account, 56_000);
    expect(await contract(account, 'order/cancel', [closed])).toMatchObject({ success: true });
    const o1 = await limit(account, 60_000);
    const o2 = await limit(account, 59_000, 30);
    const o3 = await limit(account, 58_000, 30);
    const theirs = await limit(other, 60_000);
    // Locked by hand: the trigger order's reserve at its trigger price, and the three limits'.
    expect(wallet(account).locked).toBe(add(reserve(20, 62_000), reserve(20, 60_000), reserve(30, 59_000), reserve(30, 58_000)));
    const before = await journalHead(service);
    const ids = [o1, o2, o1, '999999', triggerId, theirs, o3, closed];
    const answer = await contract(account, 'order/cancel', ids);
    expect(answer.success, JSON.stringify(answer)).toBe(true);
    const data = answer.data as { orderId: string; errorCode: number; errorMsg: string }[];
    expect(data.map((d) => d.orderId)).toEqual(ids);
    expect(data.map((d) => d.errorCode === 0)).toEqual([true, true, false, false, false, false, true, false]);
    // The records: the three open ones cancelled; the trigger order waits on; the other account's order is untouched.
    expect([await status(account, o1), await status(account, o2), await status(account, o3), await status(account, closed)]).toEqual(['CANCELED', 'CANCELED', 'CANCELED', 'CANCELED']);
    expect(service.engine.kernel.order(triggerId)?.status).toBe('NEW');
    expect(service.engine.kernel.order(theirs)?.status).toBe('NEW');
    expect(wallet(account)).toEqual({ free: sub('100000', reserve(20, 62_000)), locked: reserve(20, 62_000) });
    // The journal: the three open orders' cancels as one run; nothing ever names the other account's order, the unknown id or the trigger order.
    const rows = (await journalAfter(service, before)).filter((r) => r.kind === 'order.cancel');
    expect(rows.slice(0, 4).map((r) => r.orderId)).toEqual([o1, o2, o1, o3]);
    expect(rows.slice(0, 4).map((r) => r.seq - rows[0]!.seq)).toEqual([0, 1, 2, 3]);
    expect(rows.map((r) => r.orderId).filter((id) => id === theirs || id === '999999' || id === triggerId)).toEqual([]);
    // The audit log: one entry per id sent to the engine, in the order given, each with what became of it.
    const entries = (await audits(service, account, 'order.cancel')).slice(1);
    const outcome = (e: Record<string, unknown>) => (e['result'] as { status?: string; code?: string }).status ?? (e['result'] as { code: string }).code;
    expect(entries.map((e) => [e['orderId'], outcome(e)])).toEqual([
      [o1, 'CANCELED'],
      [o2, 'CANCELED'],
      [o1, 'ORDER_NOT_OPEN'],
      ['999999', 'UNKNOWN_ORDER'],
      [theirs, 'UNKNOWN_ORDER'],
      [o3, 'CANCELED'],
      [closed, 'ORDER_NOT_OPEN'],
    ]);
  });

  it('order/cancel of 50 ids is one fdatasync, cancels every one; 51 ids cancel nothing', async () => {
    const account = await futures('fifty');
    const ids: string[] = [];
    for (let i = 0; i < 50; i += 1) ids.push(await limit(account, 55_000 + 10 * i));
    expect(await contract(account, 'order/cancel', [...ids, ids[0]])).toMatchObject({ success: false, code: 600 });
    expect(service.engine.kernel.openOrders(account.id)).toHaveLength(50);
    const syncsBefore = syncs.count;
    const answer = await contract(account, 'order/cancel', ids.map(Number));
    expect(syncs.count - syncsBefore).toBe(1);
    expect((answer.data as { orderId: string; errorCode: number }[]).map((d) => [d.orderId, d.errorCode])).toEqual(ids.map((id) => [id, 0]));
    expect(service.engine.kernel.openOrders(account.id)).toEqual([]);
    expect(wallet(account)).toEqual({ free: '100000', locked: '0' });
  });

  it('with the fdatasync held, order/cancel and USD-M allOpenOrders answer nothing; released, they answer success', async () => {
    const account = await futures('held');
    const other = await futures('held-usdm');
    const ids = [await limit(account, 60_000), await limit(account, 59_000)];
    const usdm = [await limit(other, 58_000), await limit(other, 57_000)];
    syncs.hold();
    let answered = 0;
    const pending = [
      injectMexcContract(service.app, account, 'POST', 'order/cancel', ids),
      injectSigned(service.app, other, { method: 'DELETE', url: '/binance/fapi/v1/allOpenOrders', params: { symbol: 'BTCUSDT' } }),
    ].map((p) => p.then((r) => ((answered += 1), r)));
    // The first run handled (the second is journaled behind the first's held commit): neither answers.
    const open = () => [service.engine.kernel.openOrders(account.id).length, service.engine.kernel.openOrders(other.id).length];
    await until(() => open().includes(0), 'the first run of cancels handled');
    await until(() => syncs.held > 0, 'an fdatasync held');
    await sleep(30);
    expect(syncs.held).toBeGreaterThan(0);
    await sleep(30);
    expect(answered).toBe(0);
    syncs.release();
    const [mexc, binance] = await Promise.all(pending);
    expect(mexc!.json()).toMatchObject({ success: true, data: ids.map((orderId) => ({ orderId, errorCode: 0 })) });
    expect(binance!.statusCode, binance!.body).toBe(200);
    for (const id of ids) expect(await status(account, id)).toBe('CANCELED');
    for (const id of usdm) expect(await status(other, id)).toBe('CANCELED');
    expect(wallet(account)).toEqual({ free: '100000', locked: '0' });
    expect(wallet(other)).toEqual({ free: '100000', locked: '0' });
  });

  it('each kind of cancel-all cancels its own kind only; stoporder/cancel and planorder/cancel with duplicates cancel each order once; the wallet ends as it was before the orders', async () => {
    const account = await futures('kinds');
    const a = native(service, account);
    const book = service.engine.kernel.depth('BTCUSDT', 1)!;
    // Two brackets: market entries of 0.002 BTC each, with exits 2,000 USDT either side of the book (on the 0.1 tick).
    const takeProfit = (Math.ceil(Number(book.asks[0]![0]) + 2000) + 0.5).toFixed(1);
    const stopLoss = (Math.floor(Number(book.bids[0]![0]) - 2000) + 0.5).toFixed(1);
    for (const group of ['k1', 'k2']) await a.place({ side: 'BUY', type: 'MARKET', quantity: '0.002', clientOrderId: group, takeProfit: { stopPrice: takeProfit }, stopLoss: { stopPrice: stopLoss } });
    const exits = () => service.engine.kernel.openOrders(account.id).filter((o) => o.ocoGroup !== undefined).map((o) => o.clientOrderId).sort();
    expect(exits()).toEqual(['k1-sl', 'k1-tp', 'k2-sl', 'k2-tp']);
    // The wallet with the position and its exits, before any other order.
    const before = { ...wallet(account) };
    const trigger = (await contract(account, 'planorder/place', { symbol: 'BTC_USDT', side: 1, vol: 20, openType: 2, triggerPrice: 64000, triggerType: 1, executeCycle: 1, trend: 1, orderType: 5 })).data as string;
    const short = async (price: number) => {
      const placed = await contract(account, 'order/create', { symbol: 'BTC_USDT', side: 3, type: 1, openType: 2, vol: 30, price });
      expect(placed, JSON.stringify(placed)).toMatchObject({ success: true });
      return (placed.data as { orderId: string }).orderId;
    };
    // Book orders on both sides of the long position: sells against it (the position offsets their margin) and buys.
    const limits = [await limit(account, 60_000), await short(63_000), await limit(account, 59_500), await short(63_500)];
    const algo = await injectSigned(service.app, account, { method: 'POST', url: '/binance/fapi/v1/algoOrder', params: { symbol: 'BTCUSDT', side: 'BUY', algoType: 'CONDITIONAL', type: 'STOP_MARKET', triggerPrice: '64500', quantity: '0.002' } });
    expect(algo.statusCode, algo.body).toBe(200);
    const head = await journalHead(service);
    const cancelsSince = async () => (await journalAfter(service, head)).filter((r) => r.kind === 'order.cancel' && r.account === account.id).map((r) => r.orderId);
    const k2 = service.engine.kernel.openOrders(account.id).filter((o) => o.ocoGroup === 'k2').map((o) => o.id);

    // stoporder/cancel, one group named twice: its two legs, each cancelled once.
    expect(await contract(account, 'stoporder/cancel', [{ stopPlanOrderId: 'k2' }, { stopPlanOrderId: 'k2' }])).toEqual({ success: true, code: 0 });
    expect(exits()).toEqual(['k1-sl', 'k1-tp']);
    expect((await cancelsSince()).sort()).toEqual(k2.sort());
    // planorder/cancel, one trigger order named as text and as a number: cancelled once.
    expect(await contract(account, 'planorder/cancel', [{ symbol: 'BTC_USDT', orderId: trigger }, { symbol: 'BTC_USDT', orderId: Number(trigger) }])).toEqual({ success: true, code: 0 });
    expect((await cancelsSince()).filter((id) => id === trigger)).toEqual([trigger]);
    // order/cancel_all: the book orders only (the two limits); the exits and the USD-M algo order wait on.
    expect(await contract(account, 'order/cancel_all', { symbol: 'BTC_USDT' })).toEqual({ success: true, code: 0 });
    expect(exits()).toEqual(['k1-sl', 'k1-tp']);
    expect(service.engine.kernel.openOrders(account.id).filter((o) => o.ocoGroup === undefined).map((o) => [o.type, o.side, o.triggered])).toEqual([['STOP_LOSS', 'BUY', false]]);
    for (const id of limits) expect(await status(account, id)).toBe('CANCELED');
    // USD-M allOpenOrders: nothing of the waiting kind; algoOpenOrders: the waiting ones, the exits among them.
    expect((await injectSigned(service.app, account, { method: 'DELETE', url: '/binance/fapi/v1/allOpenOrders', params: { symbol: 'BTCUSDT' } })).statusCode).toBe(200);
    expect(exits()).toEqual(['k1-sl', 'k1-tp']);
    expect((await injectSigned(service.app, account, { method: 'DELETE', url: '/binance/fapi/v1/algoOpenOrders', params: { symbol: 'BTCUSDT' } })).statusCode).toBe(200);
    expect(service.engine.kernel.openOrders(account.id)).toEqual([]);
    // Every order cancelled once: no id twice among the cancels journaled.
    const all = await cancelsSince();
    expect(all.length).toBe(new Set(all).size);
      // The wallet: as it was before the other orders (the exits, reduce-only, hold no reserve of their own).
    expect(wallet(account)).toEqual(before);
    expect(await contract(account, 'stoporder/cancel_all', {})).toEqual({ success: true, code: 0 });
  });
});

describe('spot, with the fdatasync held: order lists, and a list whose entry fills while the cancel of all orders waits', () => {
  const watched = watchedService({ until: UNTIL });
  let service: TestService;
  let syncs: SyncWatch;
  beforeAll(() => ({ service, syncs } = watched));

  it('DELETE /api/orders/oco/:group with the fdatasync held: both legs handled, no answer; released, the list ALL_DONE and the BTC free', async () => {
    const account = await openAccount(service, 'group-held', { USDT: '0', BTC: '1' });
    const a = native(service, account);
    const [tp, sl] = await a.oco('held_list');
    syncs.hold();
    let answered = false;
    const answer = a.inject({ method: 'DELETE', url: '/api/orders/oco/held_list' }).then((r) => ((answered = true), r));
    await until(() => service.engine.kernel.openOrders(account.id).length === 0, 'both legs cancelled');
    await sleep(30);
    expect(answered).toBe(false);
    syncs.release();
    const res = await answer;
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ listOrderStatus: 'ALL_DONE', orders: [{ orderId: tp!.orderId, status: 'CANCELED' }, { orderId: sl!.orderId, status: 'CANCELED' }] });
    expect(await a.balances()).toEqual({ BTC: { free: '1', locked: '0' }, USDT: { free: '0', locked: '0' } });
    expect((await audits(service, account, 'group.cancel')).map((e) => e['ocoGroup'])).toEqual(['held_list']);
  });

  it('orders that fill between the listing and their cancel (the print journaled first): the filled one is left out, the partly filled one answered as its record reads', async () => {
    const account = await openAccount(service, 'fill-between', { USDT: '100000' });
    const a = native(service, account);
    const far = await a.place({ side: 'BUY', type: 'LIMIT', quantity: '0.001', price: '30000.00', clientOrderId: 'far' });
    const bestBid = service.engine.kernel.depth('BTCUSDT', 1)!.bids[0]![0];
    // Two bids at the best bid, the small one first in time: a print of 0.2 through them fills it and 0.199 of the other.
    const small = await a.place({ side: 'BUY', type: 'LIMIT', quantity: '0.001', price: bestBid, clientOrderId: 'small' });
    const big = await a.place({ side: 'BUY', type: 'LIMIT', quantity: '0.5', price: bestBid, clientOrderId: 'big' });
    // A commit on its way to the disk, held: whatever is journaled next waits behind it, unhandled.
    const head = await journalHead(service);
    syncs.hold();
    const tick = service.deps.hub.submit({ kind: 'clock', time: service.engine.kernel.now });
    await until(() => syncs.held > 0, 'a commit held at its fdatasync');
    const trade = service.deps.hub.submit({ kind: 'trade', time: service.engine.kernel.now, symbol: 'BTCUSDT', tradeId: 9_000_000_003, price: '61000.00', quantity: '0.2', buyerMaker: true });
    const answer = a.cancelAll();
    await sleep(50);
    // The print is journaled, not handled: the listing saw all three orders open.
    expect(service.engine.kernel.order(small.orderId)?.status).toBe('NEW');
    syncs.release();
    await Promise.all([tick, trade]);
    const res = await answer;
    expect(res.statusCode, res.body).toBe(200);
    const items = res.json<{ items: View[] }>().items;
    for (const item of items) expect(await a.get(item.orderId)).toEqual(item);
    const records = { far: await a.get(far.orderId), small: await a.get(small.orderId), big: await a.get(big.orderId) };
    const fills = await service.engine.db.selectFrom('trades').select(['orderId', 'size']).where('accountId', '=', account.id).execute();
    const filled = (id: string) => add('0', ...fills.filter((f) => f.orderId === id).map((f) => String(f.size)));
    expect(records.small).toMatchObject({ status: 'FILLED', executedQty: '0.001' });
    expect(records.big).toMatchObject({ status: 'PARTIALLY_CANCELED', executedQty: filled(big.orderId) });
    expect(items.map((o) => [o.clientOrderId, o.status, o.executedQty])).toEqual([
      ['far', 'CANCELED', '0'],
      ['big', 'PARTIALLY_CANCELED', filled(big.orderId)],
    ]);
    expect(filled(big.orderId)).toBe('0.199');
    // The journal: the print, then the cancel of every order listed, the one it filled included (refused by the kernel).
    const rows = (await journalAfter(service, head)).filter((r) => r.kind === 'trade' || r.account === account.id);
    expect(rows.map((r) => [r.kind, r.orderId])).toEqual([['trade', undefined], ...[far, small, big].map((o) => ['order.cancel', o.orderId])]);
    const entries = (await audits(service, account, 'order.cancel')).map((e) => [e['orderId'], (e['result'] as { status?: string; code?: string }).status ?? (e['result'] as { code: string }).code]);
    expect(entries).toEqual([[far.orderId, 'CANCELED'], [small.orderId, 'ORDER_NOT_OPEN'], [big.orderId, 'PARTIALLY_CANCELED']]);
  });

  // The same rule: the entry, FILLED by the print, is not among the orders cancelled; the two exits its fill placed,
  // which this request cancelled, are.
  it('a bracket whose entry fills while the cancel of all orders waits: the answer holds only orders this request cancelled', async () => {
    const account = await openAccount(service, 'entry-fills', { USDT: '100000' });
    const a = native(service, account);
    const single = await a.place({ side: 'BUY', type: 'LIMIT', quantity: '0.001', price: '30000.00', clientOrderId: 'single' });
    const bestBid = service.engine.kernel.depth('BTCUSDT', 1)!.bids[0]![0];
    const entry = await a.place({ side: 'BUY', type: 'LIMIT', quantity: '0.001', price: bestBid, clientOrderId: 'brk', takeProfit: { stopPrice: '70000.00' }, stopLoss: { stopPrice: '29000.00' } });
    syncs.hold();
    const answer = a.cancelAll();
    await until(() => service.engine.kernel.order(single.orderId)?.status === 'CANCELED' || service.engine.kernel.order(single.orderId) === undefined, 'the order in no list cancelled');
    // The market trades through the entry's price while the answer waits for the disk.
    const trade = service.deps.hub.submit({ kind: 'trade', time: service.engine.kernel.now, symbol: 'BTCUSDT', tradeId: 9_000_000_002, price: '61000.00', quantity: '5', buyerMaker: true });
    syncs.release();
    await trade;
    const res = await answer;
    expect(res.statusCode, res.body).toBe(200);
    const items = res.json<{ items: View[] }>().items;
    const records = await Promise.all(items.map((o) => a.get(o.orderId)));
    expect(records).toEqual(items);
    // The entry filled (the trade), its exits were placed and then cancelled by this request.
    expect((await a.get(entry.orderId)).status).toBe('FILLED');
    const group = (await a.inject({ method: 'GET', url: '/api/orders/oco/brk' })).json<{ orders: View[] }>().orders;
    expect(group.map((o) => o.status)).toEqual(['FILLED', 'CANCELED', 'CANCELED']);
    expect(await a.open()).toEqual([]);
    // "Answers the orders it cancelled … an order that ended meanwhile is left out" (order-groups.ts): not the FILLED entry.
    expect.soft(items.filter((o) => o.status !== 'CANCELED' && o.status !== 'PARTIALLY_CANCELED').map((o) => [o.clientOrderId, o.status]), 'answered as cancelled, but not cancelled').toEqual([]);
  });
});

describe('the fdatasync fails under a cancel of many orders (EIO), then the engine is stopped, then restarted', () => {
  it('503, never success; a stopped engine cancels and audits nothing; after a restart every cancel on record has its audit entry and none other has', async () => {
    let service = await startTestService({ until: UNTIL, engine: { onError: () => undefined } });
    const syncs = await watchSyncs();
    try {
      const account = await openAccount(service, 'eio', { USDT: '1000000', BTC: '1' });
      const a = native(service, account);
      const ids: string[] = [];
      for (let i = 0; i < 6; i += 1) ids.push((await a.place({ side: 'BUY', type: 'LIMIT', quantity: '0.001', price: `${30_000 + i}.00` })).orderId);
      const [tp, sl] = await a.oco('eio_list');
      syncs.failNext(Object.assign(new Error('EIO: i/o error, fdatasync (injected)'), { code: 'EIO' }));
      const res = await a.cancelAll();
      expect(res.statusCode, res.body).toBe(503);
      expect(service.engine.status.state).toBe('failed');
      // The failed run's audit entries were on their way when it answered 503 (written before the fdatasync, ADR 0084): all six land.
      await until(async () => (await audits(service, account, 'order.cancel')).length === ids.length, 'the failed run’s audit entries written');
      // Stopped: a cancel of all orders, of a list, of ids refuses at once, journals nothing and audits nothing.
      const head = await journalHead(service);
      const audited = (await audits(service, account)).length;
      for (const r of [await a.cancelAll(), await a.inject({ method: 'DELETE', url: '/api/orders/oco/eio_list' }), await a.inject({ method: 'DELETE', url: `/api/orders/${ids[0]}` })]) {
        expect(r.statusCode, r.body).toBe(503);
      }
      expect(await journalHead(service)).toBe(head);
      // cancelGroup writes its `group.cancel` entry only when a cancel of the group was made: here every one was refused
      // by the stopped engine, so neither the cancel of all orders nor DELETE /api/orders/oco/:group leaves an entry.
      expect.soft((await audits(service, account)).slice(audited), 'audit entries of requests the stopped engine refused').toEqual([]);

      syncs.restore();
      service = await service.restart().catch(async (error: unknown) => {
        throw new Error(`restart failed: ${String(error)}`);
      });
      const b = native(service, account);
      // Whatever the disk kept: each order cancelled on record has exactly one CANCELED audit entry, and no entry says CANCELED of an order still open.
      const records = await Promise.all([...ids, tp!.orderId, sl!.orderId].map((id) => b.get(id)));
      const canceled = records.filter((o) => o.status === 'CANCELED').map((o) => o.orderId);
      const entries = await audits(service, account, 'order.cancel');
      const saidCanceled = entries.filter((e) => (e['result'] as { status?: string }).status === 'CANCELED').map((e) => e['orderId']);
      expect(saidCanceled.filter((id) => !canceled.includes(id as string))).toEqual([]);
      expect(canceled.filter((id) => ids.includes(id)).sort()).toEqual([...saidCanceled].sort());
      // And the balances are those of the orders still open, by hand.
      const open = records.filter((o) => o.status === 'NEW');
      const usdtLocked = add('0', ...open.filter((o) => !o.ocoGroup).map((o) => mul('0.001', (o as View & { price: string }).price)));
      const btcLocked = open.some((o) => o.ocoGroup === 'eio_list') ? '0.01' : '0';
      expect(await b.balances()).toEqual({ USDT: { free: sub('1000000', usdtLocked), locked: usdtLocked }, BTC: { free: sub('1', btcLocked), locked: btcLocked } });
    } finally {
      syncs.restore();
      await service.close().catch(() => undefined);
    }
  });
});

describe('futures: the fdatasync fails under MEXC contract order/cancel (EIO), then the engine is stopped', () => {
  it('answers 503 on every cancel route while an order is open, never success, and journals nothing more', async () => {
    const service = await startTestService({ recording: USDM_RECORDING, until: 1723161330000, plugins: [registerMexcContractApi, registerBinanceUsdmApi], engine: { onError: () => undefined } });
    const syncs = await watchSyncs();
    try {
      const created = await service.app.inject({ method: 'POST', url: '/api/accounts', headers: admin, payload: { name: 'eio-contract', type: 'futures', marginMode: 'cross', leverage: 10, balances: { USDT: '100000' } } });
      const account = created.json<Account>();
      const ids: string[] = [];
      for (const price of [60_000, 59_000, 58_000]) ids.push((await injectMexcContract(service.app, account, 'POST', 'order/create', { symbol: 'BTC_USDT', side: 1, type: 1, openType: 2, vol: 20, price })).json<{ data: { orderId: string } }>().data.orderId);
      syncs.failNext(Object.assign(new Error('EIO: i/o error, fdatasync (injected)'), { code: 'EIO' }));
      const failed = await injectMexcContract(service.app, account, 'POST', 'order/cancel', ids.slice(0, 2));
      expect([failed.statusCode, failed.json<{ success: boolean }>().success]).toEqual([503, false]);
      const head = await journalHead(service);
      // The third order is still open: every way to cancel it refuses, none says success.
      const answers = [
        await injectMexcContract(service.app, account, 'POST', 'order/cancel', [ids[2]]),
        await injectMexcContract(service.app, account, 'POST', 'order/cancel_all', {}),
        await injectSigned(service.app, account, { method: 'DELETE', url: '/binance/fapi/v1/allOpenOrders', params: { symbol: 'BTCUSDT' } }),
      ];
      expect(answers.map((r) => r.statusCode)).toEqual([503, 503, 503]);
      expect(answers.map((r) => (r.json() as { success?: boolean }).success)).toEqual([false, false, undefined]);
      expect(await journalHead(service)).toBe(head);
      expect(service.engine.kernel.order(ids[2]!)?.status).toBe('NEW');
    } finally {
      syncs.restore();
      await service.close().catch(() => undefined);
    }
  });
});
