/**
 * ADR 0084 against a hostile user: no order/cancel/account answer, push or audit entry may run ahead
 * of the WAL's fdatasync, on any dialect. The oracle is the process's own fdatasyncs, held or failed
 * at the file handle (test-kit/held-syncs.ts).
 */
import { createHmac } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { KernelEvent } from '../core/kernel/events.js';
import type { KernelInput } from '../core/kernel/inputs.js';
import { eventWaiterOn, paperExecutionPort } from '../service/paper-port.js';
import { PaperExecutionService } from '../execution/paper-execution-service.js';
import { USDM_RECORDING } from '../test-kit/data-paths.js';
import { watchSyncs, type SyncWatch } from '../test-kit/held-syncs.js';
import { ADMIN_KEY, startTestService, type TestService, type TestServiceOptions } from '../test-kit/service-kit.js';
import { injectSigned } from '../test-kit/signed-inject.js';
import { sleep, until } from '../test-kit/wait.js';
import { describePostgres } from '../test-kit/test-databases.js';
import { registerBinanceApi } from './binance/binance-api.js';
import { registerBinanceUsdmApi } from './binance-usdm/usdm-api.js';
import { registerMexcContractApi } from './mexc-contract/mexc-contract-api.js';
import { contractSignature } from './mexc-contract/mexc-contract-signature.js';
import { registerMexcApi } from './mexc/mexc-api.js';
import { mexcSignature } from './mexc/mexc-signature.js';
import type { ServiceDeps } from './service-deps.js';

const admin = { authorization: `Bearer ${ADMIN_KEY}` };
const UNTIL = 1723161300000;
type Account = { id: string; apiKey: string; apiSecret: string };
type Answer = { status: number; body: string; json: () => unknown };

const eio = () => Object.assign(new Error('EIO: i/o error, fdatasync (injected)'), { code: 'EIO' });
const wrap = (r: LightMyRequestResponse): Answer => ({ status: r.statusCode, body: r.body, json: () => JSON.parse(r.body) as unknown });

/** A success answer in any dialect: 2xx, and not MEXC contract's `success:false`. */
function succeeded(a: Answer): boolean {
  if (a.status < 200 || a.status >= 300) return false;
  if (a.body === '') return true;
  try {
    const body = a.json() as { success?: boolean };
    return body?.success !== false;
  } catch {
    return true;
  }
}

// Every request a dialect sends, signed as its clients sign it.
const native = (s: TestService, a: Account, method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object) =>
  s.app.inject({ method, url, headers: { authorization: `Bearer ${a.apiKey}` }, ...(payload !== undefined ? { payload } : {}) }).then(wrap);
const nativeAdmin = (s: TestService, method: 'POST' | 'DELETE', url: string, payload?: object) =>
  s.app.inject({ method, url, headers: admin, ...(payload !== undefined ? { payload } : {}) }).then(wrap);
const binance = (s: TestService, a: Account, method: 'POST' | 'DELETE', url: string, params: Record<string, string>) => injectSigned(s.app, a, { method, url, params }).then(wrap);
const usdm = (s: TestService, a: Account, method: 'POST' | 'DELETE', path: string, query: string) => {
  const total = `${query}&timestamp=${Date.now()}`;
  const signature = createHmac('sha256', a.apiSecret).update(total).digest('hex');
  return s.app.inject({ method, url: `/binance/fapi${path}?${total}&signature=${signature}`, headers: { 'x-mbx-apikey': a.apiKey } }).then(wrap);
};
const mexc = (s: TestService, a: Account, method: 'POST' | 'DELETE', path: string, params: string) => {
  const total = `${params}&timestamp=${Date.now()}`;
  return s.app.inject({ method, url: `${path}?${total}&signature=${mexcSignature(a.apiSecret, total)}`, headers: { 'x-mexc-apikey': a.apiKey } }).then(wrap);
};
const contract = (s: TestService, a: Account, path: string, body: unknown) => {
  const time = String(Date.now());
  const text = JSON.stringify(body);
  return s.app
    .inject({
      method: 'POST',
      url: `/api/v1/private/${path}`,
      headers: { apikey: a.apiKey, 'request-time': time, signature: contractSignature(a.apiSecret, a.apiKey, time, text), 'content-type': 'application/json' },
      payload: text,
    })
    .then(wrap);
};

const createAccount = async (s: TestService, name: string, futures = false): Promise<Account> => {
  const r = await nativeAdmin(s, 'POST', '/api/accounts', { name, ...(futures ? { type: 'futures', leverage: 5 } : {}), balances: { USDT: '1000000' } });
  expect(r.status, r.body).toBe(201);
  return r.json() as Account;
};

const orderIdOf = (a: Answer): string => {
  const body = a.json() as { orderId?: string | number; data?: unknown };
  if (body.orderId !== undefined) return String(body.orderId);
  const data = body.data as { orderId?: string } | string | undefined;
  return typeof data === 'string' ? data : String(data?.orderId);
};

/** One request of every kind the brief names: `setup` makes what it needs (an order to cancel), `send` the request itself. */
interface Case {
  readonly name: string;
  readonly futures: boolean;
  setup(s: TestService, a: Account, tag: string): Promise<unknown>;
  send(s: TestService, a: Account, tag: string, made: unknown): Promise<Answer>;
}

const SPOT_LIMIT = { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.001', price: '50000.00' };
const none = async () => undefined;
const nativeOrder = (s: TestService, a: Account, tag: string) => native(s, a, 'POST', '/api/orders', { ...SPOT_LIMIT, clientOrderId: tag });

const CASES: Case[] = [
  { name: 'native POST /api/orders', futures: false, setup: none, send: (s, a, tag) => nativeOrder(s, a, tag) },
  {
    name: 'native POST /api/orders with a bracket',
    futures: false,
    setup: none,
    send: (s, a, tag) => native(s, a, 'POST', '/api/orders', { ...SPOT_LIMIT, clientOrderId: tag, takeProfit: { stopPrice: '70000' }, stopLoss: { stopPrice: '40000' } }),
  },
  {
    name: 'native DELETE /api/orders/:id',
    futures: false,
    setup: async (s, a, tag) => orderIdOf(await nativeOrder(s, a, `${tag}-c`)),
    send: (s, a, _tag, id) => native(s, a, 'DELETE', `/api/orders/${id as string}`),
  },
  {
    name: 'native POST /api/orders/oco',
    futures: false,
    setup: async (s, a) => (await native(s, a, 'POST', '/api/orders', { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.02' })).status,
    send: (s, a, tag) => native(s, a, 'POST', '/api/orders/oco', { symbol: 'BTCUSDT', side: 'SELL', quantity: '0.01', takeProfit: { stopPrice: '70000.00' }, stopLoss: { stopPrice: '50000.00' }, listClientOrderId: tag.replace(/-/g, '_') }),
  },
  {
    name: 'native DELETE /api/orders/:id of an OCO leg (cancels the list)',
    futures: false,
    setup: async (s, _a, tag) => {
      const own = await createAccount(s, `${tag}-oco`);
      await native(s, own, 'POST', '/api/orders', { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.02' });
      const r = await native(s, own, 'POST', '/api/orders/oco', { symbol: 'BTCUSDT', side: 'SELL', quantity: '0.01', takeProfit: { stopPrice: '70000.00' }, stopLoss: { stopPrice: '50000.00' }, listClientOrderId: `${tag.replace(/-/g, '_')}_l` });
      expect(r.status, r.body).toBe(201);
      const body = r.json() as { orders?: { orderId: string }[] };
      return [own, body.orders![0]!.orderId] as const;
    },
    send: (s, _a, _tag, made) => {
      const [own, id] = made as readonly [Account, string];
      return native(s, own, 'DELETE', `/api/orders/${id}`);
    },
  },
  {
    name: 'Binance POST /binance/api/v3/order',
    futures: false,
    setup: none,
    send: (s, a, tag) => binance(s, a, 'POST', '/binance/api/v3/order', { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.001', price: '50000.00', newClientOrderId: tag, newOrderRespType: 'FULL' }),
  },
  {
    name: 'Binance DELETE /binance/api/v3/order',
    futures: false,
    setup: async (s, a, tag) => orderIdOf(await nativeOrder(s, a, `${tag}-c`)),
    send: (s, a, _tag, id) => binance(s, a, 'DELETE', '/binance/api/v3/order', { symbol: 'BTCUSDT', orderId: id as string }),
  },
  {
    name: 'Binance POST /binance/api/v3/orderList/oco',
    futures: false,
    setup: none,
    send: (s, a, tag) =>
      binance(s, a, 'POST', '/binance/api/v3/orderList/oco', { symbol: 'BTCUSDT', side: 'BUY', quantity: '0.001', aboveType: 'STOP_LOSS', aboveStopPrice: '90000.00', belowType: 'LIMIT_MAKER', belowPrice: '30000.00', listClientOrderId: tag.replace(/-/g, '_') }),
  },
  {
    name: 'Binance DELETE /binance/api/v3/openOrders',
    futures: false,
    setup: async (s, a, tag) => orderIdOf(await nativeOrder(s, a, `${tag}-c`)),
    send: (s, a) => binance(s, a, 'DELETE', '/binance/api/v3/openOrders', { symbol: 'BTCUSDT' }),
  },
  {
    name: 'MEXC POST /api/v3/order',
    futures: false,
    setup: none,
    send: (s, a, tag) => mexc(s, a, 'POST', '/api/v3/order', `symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=0.001&price=50000&newClientOrderId=${tag}`),
  },
  {
    name: 'MEXC DELETE /api/v3/order',
    futures: false,
    setup: async (s, a, tag) => orderIdOf(await nativeOrder(s, a, `${tag}-c`)),
    send: (s, a, _tag, id) => mexc(s, a, 'DELETE', '/api/v3/order', `symbol=BTCUSDT&orderId=${id as string}`),
  },
  {
    name: 'USD-M POST /binance/fapi/v1/order',
    futures: true,
    setup: none,
    send: (s, a, tag) => usdm(s, a, 'POST', '/v1/order', `symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01&price=55000&newClientOrderId=${tag}`),
  },
  {
    name: 'USD-M DELETE /binance/fapi/v1/order',
    futures: true,
    setup: async (s, a, tag) => orderIdOf(await usdm(s, a, 'POST', '/v1/order', `symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01&price=55000&newClientOrderId=${tag}-c`)),
    send: (s, a, _tag, id) => usdm(s, a, 'DELETE', '/v1/order', `symbol=BTCUSDT&orderId=${id as string}`),
  },
  {
    name: 'MEXC contract order/submit',
    futures: true,
    setup: none,
    send: (s, a) => contract(s, a, 'order/submit', { symbol: 'BTC_USDT', side: 1, type: 1, openType: 1, vol: 20, price: 55000, leverage: 5 }),
  },
  {
    name: 'MEXC contract order/cancel',
    futures: true,
    setup: async (s, a) => orderIdOf(await contract(s, a, 'order/submit', { symbol: 'BTC_USDT', side: 1, type: 1, openType: 1, vol: 20, price: 55000, leverage: 5 })),
    send: (s, a, _tag, id) => contract(s, a, 'order/cancel', [id]),
  },
  { name: 'native POST /api/account/leverage', futures: true, setup: none, send: (s, a) => native(s, a, 'POST', '/api/account/leverage', { symbol: 'BTCUSDT', leverage: 7 }) },
  { name: 'USD-M POST /binance/fapi/v1/leverage', futures: true, setup: none, send: (s, a) => usdm(s, a, 'POST', '/v1/leverage', 'symbol=BTCUSDT&leverage=9') },
  { name: 'admin POST /api/accounts', futures: false, setup: none, send: (s, _a, tag) => nativeAdmin(s, 'POST', '/api/accounts', { name: tag, balances: { USDT: '10' } }) },
  {
    name: 'admin POST /api/accounts/:id/reset',
    futures: false,
    setup: async (s, _a, tag) => (await createAccount(s, `${tag}-r`)).id,
    send: (s, _a, _tag, id) => nativeAdmin(s, 'POST', `/api/accounts/${id as string}/reset`, { balances: { USDT: '5' } }),
  },
  {
    name: 'admin DELETE /api/accounts/:id',
    futures: false,
    setup: async (s, _a, tag) => (await createAccount(s, `${tag}-d`)).id,
    send: (s, _a, _tag, id) => nativeAdmin(s, 'DELETE', `/api/accounts/${id as string}`),
  },
];

const SPOT_OPTIONS: TestServiceOptions = { until: UNTIL, plugins: [registerBinanceApi, registerMexcApi] };
const FUTURES_OPTIONS: TestServiceOptions = { recording: USDM_RECORDING, until: UNTIL, plugins: [registerBinanceUsdmApi, registerMexcContractApi] };

/** Unhandled rejections seen while this file runs (none may appear). */
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
beforeAll(() => void process.on('unhandledRejection', onUnhandled));
afterAll(() => {
  process.off('unhandledRejection', onUnhandled);
  expect(unhandled).toEqual([]);
});

describe('held fdatasync: no route of any dialect answers before its input is on disk', () => {
  let spot: TestService;
  let futures: TestService;
  let spotAccount: Account;
  let futuresAccount: Account;
  let syncs: SyncWatch;
  beforeAll(async () => {
    spot = await startTestService(SPOT_OPTIONS);
    futures = await startTestService(FUTURES_OPTIONS);
    await futures.feedUntil(UNTIL + 10_000);
    spotAccount = await createAccount(spot, 'spot');
    futuresAccount = await createAccount(futures, 'futures', true);
    syncs = await watchSyncs();
  });
  afterEach(() => syncs.release());
  afterAll(async () => {
    syncs?.restore();
    await spot?.close();
    await futures?.close();
  });

  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const s = c.futures ? futures : spot;
    const a = c.futures ? futuresAccount : spotAccount;
    const tag = `h-${CASES.indexOf(c)}`;
    const made = await c.setup(s, a, tag);
    const seqBefore = s.engine.seq;
    syncs.hold();
    let answered: Answer | undefined;
    const answer = c.send(s, a, tag, made).then((r) => (answered = r));
    // The input is handled (the kernel moved on), an fdatasync is held, and nothing is answered.
    await until(() => s.engine.seq > seqBefore && syncs.held > 0, 'the input handled and its fdatasync held');
    await sleep(40);
    expect(s.engine.seq).toBeGreaterThan(seqBefore);
    expect(syncs.held).toBeGreaterThan(0);
    expect(answered, answered?.body).toBeUndefined();
    syncs.release();
    const r = await answer;
    expect(succeeded(r), `${r.status} ${r.body}`).toBe(true);
  });
});

/** Each audited order outcome (`order.place` with an orderId, `order.cancel` that succeeded) against the order as the restarted service holds it. */
async function auditDisagreements(s: TestService, account: Account): Promise<string[]> {
  const problems: string[] = [];
  const entries = await s.deps.audit.query({ accountId: account.id, limit: 10_000 });
  for (const e of entries) {
    const result = e.details['result'] as { orderId?: string; status?: string; code?: string } | undefined;
    if (e.action === 'order.place' && result?.orderId !== undefined) {
      const r = await native(s, account, 'GET', `/api/orders/${result.orderId}`);
      if (r.status !== 200) problems.push(`audited order ${result.orderId} (${result.status}) is unknown after the restart: ${r.status} ${r.body}`);
    }
    if (e.action === 'order.cancel' && result?.status === 'CANCELED') {
      const id = String(e.details['orderId']);
      const r = await native(s, account, 'GET', `/api/orders/${id}`);
      if (r.status !== 200 || (r.json() as { status: string }).status !== 'CANCELED') problems.push(`audited cancel of ${id} not reproduced after the restart: ${r.status} ${r.body}`);
    }
  }
  return problems;
}

describe('a failed fdatasync: no route of any dialect answers success, and the audit log agrees with the restart', () => {
  let syncs: SyncWatch;
  beforeAll(async () => {
    syncs = await watchSyncs();
  });
  afterAll(() => syncs?.restore());

  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    let s = await startTestService({ ...(c.futures ? FUTURES_OPTIONS : SPOT_OPTIONS), engine: { onError: () => undefined } });
    try {
      if (c.futures) await s.feedUntil(UNTIL + 10_000);
      const a = await createAccount(s, 'eio', c.futures);
      const tag = `f-${CASES.indexOf(c)}`;
      const made = await c.setup(s, a, tag);
      await s.engine.readModelCaughtUp();
      syncs.failNext(eio());
      const r = await c.send(s, a, tag, made);
      expect(succeeded(r), `${r.status} ${r.body}`).toBe(false);
      expect(r.status === 503 || r.status >= 500 || (r.json() as { success?: boolean }).success === false, r.body).toBe(true);
      expect(s.engine.status.state).toBe('failed');
      s = await s.restart();
      expect(await auditDisagreements(s, a)).toEqual([]);
    } finally {
      await s.close().catch(() => undefined);
    }
  });
});

/**
 * An oracle independent of the engine's bookkeeping: each fdatasync, once it returns, covers every
 * input the kernel had handled (so committed) when it started. Installed over held-syncs' patch.
 */
async function durableOracle(engine: () => number): Promise<{ readonly upTo: number; restore(): void }> {
  const { open } = await import('node:fs/promises');
  const { fileURLToPath } = await import('node:url');
  const handle = await open(fileURLToPath(import.meta.url), 'r');
  const proto = Object.getPrototypeOf(handle) as { datasync: (this: unknown) => Promise<void> };
  await handle.close();
  const inner = proto.datasync;
  let upTo = 0;
  proto.datasync = async function datasync(this: unknown): Promise<void> {
    const covered = engine();
    await inner.call(this);
    upTo = Math.max(upTo, covered);
  };
  return {
    get upTo() {
      return upTo;
    },
    restore: () => void (proto.datasync = inner),
  };
}

/** The service with the real EventWaiter (as start-service.ts wires it), so that with latency an answer comes from a later input. */
function withEventWaiter(s: TestService): void {
  (s.deps as { execution: ServiceDeps['execution'] }).execution = new PaperExecutionService(paperExecutionPort(s.engine, s.deps.hub, eventWaiterOn(s.deps.hub)));
}

/** Every input the engine handles, with its seq, and the seq of the input whose events answered each clientOrderId (ORDER_NEW) or orderId (ORDER_CANCELED). */
function trackHandled(s: TestService) {
  const seqOf = new Map<KernelInput, number>();
  const placedAt = new Map<string, number>();
  const arrivedAt = new Map<string, number>();
  const canceledAt = new Map<string, number>();
  const cancelAt = new Map<string, number>();
  const engine = s.engine;
  const original = engine.submitHandled.bind(engine);
  engine.submitHandled = async (input: KernelInput) => {
    const handled = await original(input);
    seqOf.set(input, handled.seq);
    if (input.kind === 'order.place' && input.clientOrderId !== undefined) placedAt.set(input.clientOrderId, handled.seq);
    if (input.kind === 'order.cancel' && input.orderId !== undefined) cancelAt.set(input.orderId, handled.seq);
    for (const e of handled.events as KernelEvent[]) {
      if (e.type === 'ORDER_NEW') arrivedAt.set(e.clientOrderId, handled.seq);
      if (e.type === 'ORDER_CANCELED') canceledAt.set(e.orderId, handled.seq);
    }
    return handled;
  };
  return { seqOf, placedAt, arrivedAt, canceledAt, cancelAt };
}

describe('latency > 0: answers and pushes that come from later inputs wait for the disk too', () => {
  it('orders and cancels on three dialects, market data flowing, fdatasyncs held and released at random: no answer or push runs ahead of the disk, pushes keep journal order, the read tables agree', async () => {
    const s = await startTestService({ ...SPOT_OPTIONS, latencyMs: 150 });
    let syncs: SyncWatch | undefined;
    let oracle: Awaited<ReturnType<typeof durableOracle>> | undefined;
    try {
      withEventWaiter(s);
      const track = trackHandled(s);
      const a = await createAccount(s, 'latent');
      syncs = await watchSyncs();
      oracle = await durableOracle(() => s.engine.seq);
      const o = oracle;
      const violations: string[] = [];
      const pushed: number[] = [];
      s.deps.hub.subscribe((_events, input) => {
        const seq = track.seqOf.get(input);
        if (seq === undefined) return;
        if (seq > o.upTo) violations.push(`push of seq ${seq} while the disk holds up to ${o.upTo}`);
        pushed.push(seq);
      });
      let feeding = true;
      const feeder = (async () => {
        while (feeding) await s.feedFor(50, 50);
      })();
      const w = syncs;
      let toggling = true;
      const toggler = (async () => {
        for (let i = 0; toggling; i += 1) {
          w.hold();
          await sleep(5 + ((i * 7) % 23));
          w.release();
          await sleep(3 + ((i * 5) % 11));
        }
      })();
      const checkAnswer = (what: string, ownSeq: number | undefined, answerSeq: number | undefined) => {
        if (ownSeq === undefined) violations.push(`${what}: answered, but its input was never handled`);
        else if (ownSeq > o.upTo) violations.push(`${what}: answered with its input (seq ${ownSeq}) not on disk (disk up to ${o.upTo})`);
        if (answerSeq !== undefined && answerSeq > o.upTo) violations.push(`${what}: answered from seq ${answerSeq}, not on disk (disk up to ${o.upTo})`);
      };
      const placers = [
        (tag: string) => nativeOrder(s, a, tag),
        (tag: string) => binance(s, a, 'POST', '/binance/api/v3/order', { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.001', price: '50000.00', newClientOrderId: tag }),
        (tag: string) => mexc(s, a, 'POST', '/api/v3/order', `symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=0.001&price=50000&newClientOrderId=${tag}`),
      ];
      const cancelers = [
        (id: string) => native(s, a, 'DELETE', `/api/orders/${id}`),
        (id: string) => binance(s, a, 'DELETE', '/binance/api/v3/order', { symbol: 'BTCUSDT', orderId: id }),
        (id: string) => mexc(s, a, 'DELETE', '/api/v3/order', `symbol=BTCUSDT&orderId=${id}`),
      ];
      const answers: Answer[] = [];
      const work: Promise<void>[] = [];
      for (let i = 0; i < 24; i += 1) {
        const tag = `lat${i}`;
        work.push(
          (async () => {
            const placed = await placers[i % 3]!(tag);
            answers.push(placed);
            checkAnswer(`place ${tag}`, track.placedAt.get(tag), track.arrivedAt.get(tag));
            if (!succeeded(placed) || i % 2 === 1) return;
            const id = orderIdOf(placed);
            const canceled = await cancelers[(i / 2) % 3]!(id);
            answers.push(canceled);
            checkAnswer(`cancel ${id}`, track.cancelAt.get(id), track.canceledAt.get(id));
          })(),
        );
        await sleep(7);
      }
      await Promise.all(work);
      toggling = false;
      await toggler;
      syncs.release();
      feeding = false;
      await feeder;
      expect(violations).toEqual([]);
      for (const r of answers) expect(succeeded(r), `${r.status} ${r.body}`).toBe(true);
      // Answers came from later inputs (latency), not from the order's own.
      expect([...track.arrivedAt.entries()].filter(([tag, seq]) => tag.startsWith('lat') && seq > track.placedAt.get(tag)!).length).toBeGreaterThan(12);
      for (let i = 1; i < pushed.length; i += 1) expect(pushed[i]!).toBeGreaterThan(pushed[i - 1]!);
      expect(pushed.length).toBeGreaterThan(50);
    } finally {
      oracle?.restore();
      syncs?.restore();
      await s.close();
    }
  });
});

describe("the engine's lifecycle while fdatasyncs are held or fail", () => {
  let syncs: SyncWatch | undefined;
  afterEach(() => syncs?.restore());

  it('close() with orders handled and their fdatasync held waits for the disk, answers them, and neither hangs nor loses them', async () => {
    const s = await startTestService(SPOT_OPTIONS);
    const a = await createAccount(s, 'closing');
    syncs = await watchSyncs();
    syncs.hold();
    const answers = Array.from({ length: 6 }, (_, i) => nativeOrder(s, a, `close-${i}`));
    await until(() => syncs!.held > 0, 'an fdatasync held');
    expect(syncs.held).toBeGreaterThan(0);
    let closed = false;
    // The engine's close, not the app's (which would wait for the requests it serves).
    const closing = s.engine.close().then(() => (closed = true));
    await sleep(50);
    expect(closed).toBe(false);
    syncs.release();
    await closing;
    const results = await Promise.all(answers);
    // Each either placed (on disk) or refused as the engine closed; never a success left unjournaled.
    const placed = results.filter((r) => r.status === 201).map((r) => orderIdOf(r));
    for (const r of results) expect([201, 503], r.body).toContain(r.status);
    const again = await DurableEngineReopen(s);
    try {
      for (const id of placed) expect(again.kernel.order(id)?.status).toBe('NEW');
    } finally {
      await again.close();
    }
    await s.close().catch(() => undefined);
  });

  it('restoreAccounts() while an input is handled but not on disk waits for the disk, and the kernel it rebuilds holds the input', async () => {
    const s = await startTestService(SPOT_OPTIONS);
    try {
      const a = await createAccount(s, 'restoring');
      syncs = await watchSyncs();
      syncs.hold();
      const answer = nativeOrder(s, a, 'restore-1');
      await until(() => syncs!.held > 0, 'an fdatasync held');
      let restored = false;
      const restore = s.engine.restoreAccounts().then(() => (restored = true));
      await sleep(40);
      expect(restored).toBe(false);
      syncs.release();
      await restore;
      const r = await answer;
      expect(r.status, r.body).toBe(201);
      expect(s.engine.kernel.order(orderIdOf(r))?.status).toBe('NEW');
      expect((await nativeOrder(s, a, 'restore-2')).status).toBe(201);
    } finally {
      await s.close();
    }
  });

  it('snapshots taken (in a worker and in-process) between commits and their fdatasyncs: a restart from them agrees with every answer and audit entry', async () => {
    let s = await startTestService({ ...SPOT_OPTIONS, engine: { snapshotAfterInputs: 5, snapshotIntervalMs: 20 } });
    const a = await createAccount(s, 'snapshots');
    syncs = await watchSyncs();
    const w = syncs;
    const placed: string[] = [];
    const canceled: string[] = [];
    for (let round = 0; round < 6; round += 1) {
      w.hold();
      const batch = Array.from({ length: 5 }, (_, i) => nativeOrder(s, a, `snap-${round}-${i}`));
      const feeding = s.feedFor(100, 50);
      await sleep(15);
      w.release();
      await feeding;
      for (const r of await Promise.all(batch)) {
        expect(r.status, r.body).toBe(201);
        placed.push(orderIdOf(r));
      }
      w.hold();
      const id = placed[round]!;
      const cancel = native(s, a, 'DELETE', `/api/orders/${id}`);
      const snapshot = s.engine.saveSnapshot().catch(() => undefined);
      await sleep(10);
      w.release();
      expect((await cancel).status).toBe(200);
      canceled.push(id);
      await snapshot;
    }
    s = await s.restart({ snapshot: false });
    try {
      for (const id of placed) expect(s.engine.kernel.order(id)?.status ?? 'gone', id).toBe(canceled.includes(id) ? 'gone' : 'NEW');
      expect(await auditDisagreements(s, a)).toEqual([]);
      const audited = await s.deps.audit.query({ accountId: a.id, action: 'order.place', limit: 1000 });
      expect(audited.map((e) => (e.details['result'] as { orderId: string }).orderId)).toEqual(placed);
    } finally {
      await s.close();
    }
  });

  it('an fdatasync that fails under concurrent orders, cancels and market data: nothing after it is answered success, nothing is pushed for it, no rejection goes unhandled, and close() returns', async () => {
    let s = await startTestService({ ...SPOT_OPTIONS, engine: { onError: () => undefined } });
    const a = await createAccount(s, 'storm');
    const resting: string[] = [];
    for (let i = 0; i < 6; i += 1) resting.push(orderIdOf(await nativeOrder(s, a, `storm-rest-${i}`)));
    const pushedAfter: string[] = [];
    let failedAt: number | undefined;
    s.deps.hub.subscribe((_events, input) => {
      if (failedAt !== undefined && s.engine.status.state === 'failed') pushedAfter.push(input.kind);
    });
    syncs = await watchSyncs();
    syncs.hold();
    const requests: Promise<Answer>[] = [];
    for (let i = 0; i < 10; i += 1) requests.push(nativeOrder(s, a, `storm-${i}`));
    for (const id of resting) requests.push(native(s, a, 'DELETE', `/api/orders/${id}`));
    const feeding = s.feedFor(200, 50).catch(() => undefined);
    await until(() => syncs!.held > 0, 'an fdatasync held');
    const seqAtFailure = s.engine.seq;
    // The held fdatasync returns, then the next one fails: everything handled after it is unknown.
    syncs.failNext(eio());
    syncs.release();
    await feeding;
    const results = await Promise.all(requests);
    failedAt = s.engine.seq;
    expect(s.engine.status.state).toBe('failed');
    await sleep(20);
    expect(pushedAfter).toEqual([]);
    // What was answered success must be in the journal a restart replays.
    const ok = results.filter((r) => succeeded(r));
    const bad = results.filter((r) => !succeeded(r));
    for (const r of bad) expect(r.status, r.body).toBe(503);
    expect(ok.length + bad.length).toBe(16);
    expect(seqAtFailure).toBeGreaterThan(0);
    s = await s.restart();
    try {
      for (const r of ok) {
        const body = r.json() as { orderId: string; status: string };
        const now = await native(s, a, 'GET', `/api/orders/${body.orderId}`);
        expect(now.status, now.body).toBe(200);
        expect((now.json() as { status: string }).status).toBe(body.status);
      }
      expect(await auditDisagreements(s, a)).toEqual([]);
    } finally {
      await s.close();
    }
  });
});

/** The engine of `s` (closed) opened again on its database, as a restart would. */
async function DurableEngineReopen(s: TestService) {
  const { DurableEngine } = await import('../engine/durable-engine.js');
  const { instrumentForRecording } = await import('../market-data/replay-session.js');
  return DurableEngine.open({ databaseUrl: s.databaseUrl, snapshotIntervalMs: 0, kernelConfig: { instruments: [instrumentForRecording(s.recording)], latencyMs: 0 } });
}

describePostgres('PostgreSQL: a commit is durable when it returns', (pg) => {
  it('orders, cancels and latency answers on every spot dialect make no fdatasync, answer once committed, push in journal order, and a restart agrees with the audit log', async () => {
    const target = pg.create();
    let s = await startTestService({ ...SPOT_OPTIONS, latencyMs: 100, engine: { databaseUrl: target.url, database: target.options } });
    let syncs: SyncWatch | undefined;
    try {
      withEventWaiter(s);
      const track = trackHandled(s);
      const a = await createAccount(s, 'pg');
      syncs = await watchSyncs();
      const pushed: number[] = [];
      s.deps.hub.subscribe((_events, input) => {
        const seq = track.seqOf.get(input);
        if (seq !== undefined) pushed.push(seq);
      });
      // Held fdatasyncs change nothing on PostgreSQL: there are none.
      syncs.hold();
      let feeding = true;
      const feeder = (async () => {
        while (feeding) await s.feedFor(50, 50);
      })();
      const results = await Promise.all(
        Array.from({ length: 9 }, (_, i) =>
          i % 3 === 0
            ? nativeOrder(s, a, `pg${i}`)
            : i % 3 === 1
              ? binance(s, a, 'POST', '/binance/api/v3/order', { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.001', price: '50000.00', newClientOrderId: `pg${i}` })
              : mexc(s, a, 'POST', '/api/v3/order', `symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=0.001&price=50000&newClientOrderId=pg${i}`),
        ),
      );
      for (const r of results) expect(succeeded(r), r.body).toBe(true);
      const ids = results.map(orderIdOf);
      const cancels = await Promise.all(ids.slice(0, 4).map((id) => native(s, a, 'DELETE', `/api/orders/${id}`)));
      for (const r of cancels) expect(r.status, r.body).toBe(200);
      feeding = false;
      await feeder;
      expect(syncs.count).toBe(0);
      for (let i = 1; i < pushed.length; i += 1) expect(pushed[i]!).toBeGreaterThan(pushed[i - 1]!);
      syncs.restore();
      syncs = undefined;
      s = await s.restart({ snapshot: false });
      for (const [i, id] of ids.entries()) {
        const held = s.engine.kernel.order(id);
        if (i < 4) expect(held?.status ?? 'CANCELED').toBe('CANCELED');
        else expect(held?.status).toBe('NEW');
      }
      expect(await auditDisagreements(s, a)).toEqual([]);
      expect((await s.deps.audit.query({ accountId: a.id, action: 'order.place', limit: 100 })).length).toBe(9);
    } finally {
      syncs?.restore();
      await s.close();
      await target.cleanup();
    }
  });
});
