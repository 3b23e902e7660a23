/**
 * The requests that used to stop the engine for every account, each answered as data: a 4xx with a
 * code and a message, or an order whose reservation covers it (the amounts computed here from ADR
 * 0020's rule). After all of them the engine is ready, a normal order fills, balances reconcile, and
 * a restart on the same database works — on SQLite and PostgreSQL. Also on both: limit buys spending
 * the whole balance under the bundled MEXC specs (fee in USDT, rounded to cents) against fees
 * recomputed here, with a restart that replays the journal; and a journal holding an input that
 * throws, set aside at the start, logged and listed by the admin route.
 */
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { findBundledInstrument } from '../../src/core/instruments/bundled-instruments.js';
import type { FillEvent, KernelEvent } from '../../src/core/kernel/events.js';
import { MatchingEngine } from '../../src/core/matching/matching-engine.js';
import { DurableEngine } from '../../src/engine/durable-engine.js';
import { openAndMigrate } from '../../src/persistence/database.js';
import { formatFixed, parseFixed } from '../../src/core/money/fixed.js';
import { SPOT_RECORDING, USDM_RECORDING } from '../../src/test-kit/data-paths.js';
import { mulberry32 } from '../../src/test-kit/mulberry32.js';
import { loadRecording } from '../../src/test-kit/recording-stepper.js';
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

const ONE = 10n ** 18n;
const CENT = 10n ** 16n;
const MEXC_BTC = findBundledInstrument('mexc', 'spot', 'BTCUSDT')!;

/** ceil to cents of Σ notional × rate, summed exactly (scale 10^36), written apart from the engine's fee model. */
function ceilCents(parts: ReadonlyArray<readonly [notional: bigint, rate: bigint]>): bigint {
  const exact = parts.reduce((sum, [notional, rate]) => sum + notional * rate, 0n);
  const unit = 10n ** 34n;
  return ((exact + unit - 1n) / unit) * CENT;
}

/** The last trade of a recording at or before `time`, read from its data. */
function lastTradeBefore(recording: string, time: number): bigint {
  const trade = loadRecording(recording).inputs.filter((i) => i.kind === 'trade' && i.time <= time).at(-1);
  if (trade?.kind !== 'trade') throw new Error(`no trade before ${time}`);
  return parseFixed(trade.price);
}

function expectWithin(actual: bigint, expected: bigint, tolerance: bigint, what: string): void {
  const off = actual > expected ? actual - expected : expected - actual;
  expect(off <= tolerance, `${what}: ${formatFixed(actual)}, expected ${formatFixed(expected)} ± ${formatFixed(tolerance)}`).toBe(true);
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

    // The stop-market buys, each placed (a TAKE_PROFIT buy triggers below the market, so its
    // stop is put there). Binance spot charges a buy's fee in BTC, so each reserves quantity × stop
    // (ADR 0020): 0.001 × 70,000 = 70, 0.001 × 61,000 = 61, and the trailing stop 0.001 × last trade
    // × 1.01, within a tick of the stop's rounding.
    const last = lastTradeBefore(SPOT_RECORDING, T);
    for (const [type, stop] of [['STOP_LOSS', '70000.00'], ['TAKE_PROFIT', '61000.00'], ['TRAILING_STOP_MARKET', undefined]] as const) {
      const payload = { symbol: 'BTCUSDT', side: 'BUY', type, quantity: '0.001', ...(stop === undefined ? { callbackRate: '0.01' } : { stopPrice: stop }) };
      const res = await inject({ method: 'POST', url: '/api/orders', headers: bearer(alice.apiKey), payload });
      expect(res.statusCode, `${type}: ${res.body}`).toBe(201);
      expect(res.json(), type).toMatchObject({ type, side: 'BUY', status: 'NEW', executedQty: '0' });
    }
    const trailing = (parseFixed('0.001') * last * parseFixed('1.01')) / 10n ** 36n;
    expectWithin(parseFixed(service.engine.kernel.balances(alice.id)!.USDT!.locked), parseFixed('131') + trailing, (parseFixed('0.001') * parseFixed('0.01')) / 10n ** 18n, 'alice USDT locked');
    // The whole balance: 70 USDT buys the 70,000 stop exactly; 69.99 is refused, as data.
    for (const [name, usdt, status] of [['exact', '70', 201], ['short', '69.99', 400]] as const) {
      const who = (await inject({ method: 'POST', url: '/api/accounts', headers: admin, payload: { name, balances: { USDT: usdt } } })).json();
      const res = await inject({ method: 'POST', url: '/api/orders', headers: bearer(who.apiKey), payload: { symbol: 'BTCUSDT', side: 'BUY', type: 'STOP_LOSS', quantity: '0.001', stopPrice: '70000.00' } });
      expect(res.statusCode, `${name}: ${res.body}`).toBe(status);
      expectDataAnswer(res, name);
      expect(service.engine.kernel.balances(who.id)!.USDT, name).toEqual(status === 201 ? { free: '0', locked: '70' } : { free: '69.99', locked: '0' });
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
    expect((await inject({ url: '/api/accounts', headers: admin })).json().total).toBe(3);
    // Nothing was contained as a bug: no input set aside.
    expect((await inject({ url: '/api/admin/quarantine', headers: admin })).json().total).toBe(0);

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
    // Each placed, on the side where it does not trigger at once. Not reduce-only, at leverage 1:
    // margin quantity × stop plus the fee reserve at the worst rate, 0.05 % taker (ADR 0020), so
    // 0.01 × stop × 1.0005; a trailing stop at the last trade × (1 ± 0.01), within a tick.
    const last = lastTradeBefore(USDM_RECORDING, T);
    const stops: Array<[string, string, string | undefined]> = [
      ['BUY', 'STOP_LOSS', '61900.0'], ['BUY', 'TAKE_PROFIT', '61000.0'], ['BUY', 'TRAILING_STOP_MARKET', undefined],
      ['SELL', 'STOP_LOSS', '61500.0'], ['SELL', 'TAKE_PROFIT', '62500.0'], ['SELL', 'TRAILING_STOP_MARKET', undefined],
    ];
    let reserved = 0n;
    for (const [side, type, stop] of stops) {
      const payload = { symbol: 'BTCUSDT', side, type, quantity: '0.01', ...(stop === undefined ? { callbackRate: '0.01' } : { stopPrice: stop }) };
      const res = await inject({ method: 'POST', url: '/api/orders', headers: bearer(bob.apiKey), payload });
      expect(res.statusCode, `${side} ${type}: ${res.body}`).toBe(201);
      expect(res.json(), `${side} ${type}`).toMatchObject({ type, side, status: 'NEW' });
      const at = stop !== undefined ? parseFixed(stop) : (last * parseFixed(side === 'BUY' ? '1.01' : '0.99')) / 10n ** 18n;
      reserved += (parseFixed('0.01') * at * parseFixed('1.0005')) / 10n ** 36n;
    }
    // Two trailing stops, each within a 0.1 tick of 0.01 BTC, fee included.
    expectWithin(parseFixed(service.engine.kernel.balances(bob.id)!.USDT!.locked), reserved, parseFixed('0.0021'), 'bob USDT locked');
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
  it('MEXC specs: limit buys that spend the whole free balance never overdraw, and a restart replaying the journal gives the same balances', async () => {
    // The bundled MEXC BTCUSDT spec charges fees in USDT rounded to cents (taker 0.05 %, maker 0, or
    // an account's maker rate up to 0.05 %). Each account holds exactly notional + ceil_cents(notional
    // × worst rate) and buys at one of the five best asks or rests below them; per order the fills
    // must cost ceil_cents(Σ notional_j × rate_j), computed here.
    const recording = loadRecording(SPOT_RECORDING);
    const open = () => DurableEngine.open({ databaseUrl: target.url, database: target.options, kernelConfig: { instruments: [MEXC_BTC], latencyMs: 0 }, snapshotIntervalMs: 0 });
    const engine = await open();
    let next = 0;
    const feedUntil = async (time: number) => {
      while (next < recording.inputs.length && recording.inputs[next]!.time <= time) {
        const wave: Promise<unknown>[] = [];
        while (wave.length < 256 && next < recording.inputs.length && recording.inputs[next]!.time <= time) wave.push(engine.submit(recording.inputs[next++]!).then((e) => events.push(...e)));
        await Promise.all(wave);
      }
    };
    const events: KernelEvent[] = [];
    const random = mulberry32(7);
    const first = recording.inputs[0]!.time + 5_000;
    const end = first + Math.floor((recording.lastTime - first) / 2);
    const plans = Array.from({ length: 200 }, (_, i) => ({ account: `m${i}`, at: first + Math.floor(random() * (end - first)), usdt: BigInt(10 + Math.floor(random() * 20_000)) * ONE + BigInt(Math.floor(random() * 100)) * CENT, level: random() < 0.5 ? -1 - Math.floor(random() * 100) : Math.floor(random() * 5), maker: [undefined, '0.0002', '0.0005'][Math.floor(random() * 3)] })).sort((a, b) => a.at - b.at);
    const budgets = new Map<string, bigint>();
    const makerRates = new Map<string, bigint>();
    let balances = new Map<string, unknown>();
    try {
      for (const plan of plans) {
        await feedUntil(plan.at);
        const ask = engine.kernel.depth('BTCUSDT', 5)?.asks[plan.level < 0 ? 0 : plan.level];
        if (ask === undefined) continue;
        const price = parseFixed(ask[0]) + (plan.level < 0 ? BigInt(plan.level) * MEXC_BTC.tickSize : 0n);
        const quantity = ((plan.usdt * ONE) / price / MEXC_BTC.stepSize) * MEXC_BTC.stepSize;
        const notional = (price * quantity) / ONE;
        if (notional < MEXC_BTC.minNotional) continue;
        const maker = plan.maker === undefined ? MEXC_BTC.makerFee : parseFixed(plan.maker);
        const budget = notional + ceilCents([[notional, maker > MEXC_BTC.takerFee ? maker : MEXC_BTC.takerFee]]);
        events.push(...(await engine.submit({ kind: 'account.open', time: engine.kernel.now, account: plan.account, balances: { USDT: formatFixed(budget) }, ...(plan.maker === undefined ? {} : { fees: { maker: plan.maker } }) })));
        const placed = await engine.submit({ kind: 'order.place', time: engine.kernel.now, account: plan.account, symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', price: formatFixed(price), quantity: formatFixed(quantity), clientOrderId: 'all-in' });
        expect(placed.filter((e) => e.type === 'ORDER_REJECTED' || e.type === 'INPUT_REJECTED'), plan.account).toEqual([]);
        events.push(...placed);
        budgets.set(plan.account, budget);
        makerRates.set(plan.account, maker);
      }
      await feedUntil(end + 180_000);
      expect(budgets.size).toBeGreaterThan(180);
      expect(events.filter((e) => e.type === 'INPUT_REJECTED')).toEqual([]);
      expect(engine.ready).toBe(true);
      engine.kernel.checkInvariants();
      const fills = events.filter((e): e is FillEvent => e.type === 'FILL');
      let multiFill = 0;
      let overdrawnPerFill = 0;
      for (const [account, budget] of budgets) {
        const own = fills.filter((f) => f.account === account);
        if (own.length > 1) multiFill += 1;
        const notional = own.reduce((sum, f) => sum + (parseFixed(f.price) * parseFixed(f.quantity)) / ONE, 0n);
        const fee = ceilCents(own.map((f) => [(parseFixed(f.price) * parseFixed(f.quantity)) / ONE, f.liquidity === 'MAKER' ? makerRates.get(account)! : MEXC_BTC.takerFee] as const));
        const perFill = own.reduce((sum, f) => sum + ceilCents([[(parseFixed(f.price) * parseFixed(f.quantity)) / ONE, f.liquidity === 'MAKER' ? makerRates.get(account)! : MEXC_BTC.takerFee]]), 0n);
        if (notional + perFill > budget) overdrawnPerFill += 1;
        const usdt = engine.kernel.balances(account)!.USDT!;
        expect(parseFixed(usdt.free) >= 0n && parseFixed(usdt.locked) >= 0n, `${account} ${JSON.stringify(usdt)}`).toBe(true);
        expect(formatFixed(parseFixed(usdt.free) + parseFixed(usdt.locked)), account).toBe(formatFixed(budget - notional - fee));
        expect(engine.kernel.balances(account)!.BTC?.free ?? '0', account).toBe(formatFixed(own.reduce((sum, f) => sum + parseFixed(f.quantity), 0n)));
      }
      // The cases reach what overdrew: orders in several fills, some of which rounding per fill would have overdrawn.
      expect(multiFill).toBeGreaterThan(20);
      expect(overdrawnPerFill).toBeGreaterThan(0);

      // A normal order still fills, at ceil_cents(notional × 0.05 %).
      await engine.submit({ kind: 'account.open', time: engine.kernel.now, account: 'normal', balances: { USDT: '1000' } });
      const bought = await engine.submit({ kind: 'order.place', time: engine.kernel.now, account: 'normal', symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.001' });
      const fill = bought.find((e) => e.type === 'FILL');
      expect(fill).toMatchObject({ quantity: '0.001', feeAsset: 'USDT' });
      if (fill?.type === 'FILL') expect(fill.fee).toBe(formatFixed(ceilCents([[(parseFixed(fill.price) * parseFixed('0.001')) / ONE, MEXC_BTC.takerFee]])));
    } finally {
      balances = new Map([...budgets.keys(), 'normal'].map((a) => [a, engine.kernel.balances(a)]));
      await engine.close({ snapshot: false });
    }
    // A restart with no snapshot replays every input journaled above.
    const again = await open();
    try {
      expect(again.ready).toBe(true);
      for (const [account, b] of balances) expect(again.kernel.balances(account), account).toEqual(b);
      again.kernel.checkInvariants();
      const sold = await again.submit({ kind: 'order.place', time: again.kernel.now, account: 'normal', symbol: 'BTCUSDT', side: 'SELL', type: 'MARKET', quantity: '0.001' });
      expect(sold.map((e) => e.type)).toContain('FILL');
    } finally {
      await again.close();
    }
  }, 180_000);
  it('a journal holding an input that throws and text that is not an input: the service starts, each is set aside, listed by the admin route and logged', async () => {
    service = await start(SPOT_RECORDING, T);
    const alice = (await service.app.inject({ method: 'POST', url: '/api/accounts', headers: admin, payload: { name: 'alice', balances: { USDT: '10000' } } })).json();
    await service.close();
    service = undefined;

    // Rows written past the engine after its last snapshot: text that is not JSON, an order whose
    // matching throws in this build (a defect, injected below), and an ordinary order after them.
    const raw = await openAndMigrate(target.url, target.options);
    const head = Number((await raw.db.selectFrom('journal').select((eb) => eb.fn.max('seq').as('m')).executeTakeFirstOrThrow()).m);
    const order = (clientOrderId: string) => JSON.stringify({ kind: 'order.place', time: T, account: alice.id, symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.01', clientOrderId });
    await raw.db.insertInto('journal').values([
      { seq: head + 1, at: T, input: '{"kind":"order.place","time":' },
      { seq: head + 2, at: T, input: order('boom') },
      { seq: head + 3, at: T, input: order('after') },
    ]).execute();
    await raw.close();

    const original = MatchingEngine.prototype.arrive;
    const fault = vi.spyOn(MatchingEngine.prototype, 'arrive').mockImplementation(function (this: MatchingEngine, ...args) {
      const result = original.apply(this, args);
      if (args[0].clientOrderId === 'boom') throw new Error('injected matching fault');
      return result;
    });
    const warned: string[] = [];
    const warn = vi.spyOn(console, 'warn').mockImplementation((...args: unknown[]) => void warned.push(args.map(String).join(' ')));
    try {
      service = await start(SPOT_RECORDING, 0);
    } finally {
      warn.mockRestore();
    }
    try {
      const inject = (o: InjectOptions) => service!.app.inject(o);
      expect((await inject({ url: '/ready' })).statusCode).toBe(200);
      expect(service.engine.seq).toBe(head + 3);
      // The log says which input and why.
      expect(warned.filter((l) => l.includes('input set aside'))).toEqual([
        expect.stringMatching(new RegExp(`seq ${head + 1} INVALID_INPUT`)),
        expect.stringMatching(new RegExp(`seq ${head + 2} INTERNAL: .*injected matching fault`)),
      ]);
      // The admin route says which, when (the engine's clock: the recording's last input fed before T) and why, with the journaled text.
      const when = loadRecording(SPOT_RECORDING).inputs.filter((i) => i.time <= T).at(-1)!.time;
      await service.engine.readModelCaughtUp();
      expect((await inject({ url: '/api/admin/quarantine', headers: bearer(alice.apiKey) })).statusCode).toBe(401);
      const listed = (await inject({ url: '/api/admin/quarantine', headers: admin })).json();
      expect(listed.total).toBe(2);
      expect(listed.items).toEqual([
        expect.objectContaining({ seq: head + 2, at: when, kind: 'order.place', code: 'INTERNAL', accountId: alice.id, reason: expect.stringContaining('injected matching fault'), input: order('boom') }),
        expect.objectContaining({ seq: head + 1, at: when, code: 'INVALID_INPUT', reason: expect.stringContaining('JSON object'), input: '{"kind":"order.place","time":' }),
      ]);
      // The order set aside changed nothing; the one after it filled; a new one fills.
      const orders = (await inject({ url: '/api/orders', headers: bearer(alice.apiKey) })).json().items as Array<{ clientOrderId: string; status: string }>;
      expect(orders.map((o) => [o.clientOrderId, o.status])).toEqual([['after', 'FILLED']]);
      const fresh = await inject({ method: 'POST', url: '/api/orders', headers: bearer(alice.apiKey), payload: { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.001' } });
      expect(fresh.json()).toMatchObject({ status: 'FILLED', executedQty: '0.001' });
    } finally {
      fault.mockRestore();
    }
    const balances = service.engine.kernel.balances(alice.id);
    await service.close();
    // Without the injected defect, a later start restores and lists the same two, once.
    service = await start(SPOT_RECORDING, 0);
    expect((await service.app.inject({ url: '/ready' })).statusCode).toBe(200);
    expect(service.engine.kernel.balances(alice.id)).toEqual(balances);
    expect((await service.app.inject({ url: '/api/admin/quarantine', headers: admin })).json().total).toBe(2);
  });
});
