import { afterEach, beforeEach, expect, it } from 'vitest';
import type { KernelInput } from '../core/kernel/inputs.js';
import { Kernel } from '../core/kernel/kernel.js';
import { findBundledInstrument } from '../core/instruments/bundled-instruments.js';
import { formatFixed } from '../core/money/fixed.js';
import { ReadModel } from '../persistence/read-model.js';
import { describeEachDialect, type Harness } from '../test-kit/test-databases.js';
import { accountOrder, accountOrders, type OrderRecordSource } from './order-records.js';
import { PaperExecutionService, viewFromEvents } from './paper-execution-service.js';

const T0 = 1_723_161_240_000;
const CONFIG = { instruments: [findBundledInstrument('binance', 'spot', 'BTCUSDT')!] };
const OPEN: KernelInput = { kind: 'account.open', time: T0, account: 'alice', balances: { USDT: '100000', BTC: '1' } };
const SCENARIO: readonly KernelInput[] = [
  OPEN,
  { kind: 'book.snapshot', time: T0 + 1, symbol: 'BTCUSDT', lastUpdateId: 100, bids: [['61837.62', '2']], asks: [['61837.63', '1.5']] },
  // 1: filled at once (0.01 × 61,837.63 = 618.3763).
  { kind: 'order.place', time: T0 + 2, account: 'alice', symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.01', clientOrderId: 'mkt' },
  // 2, 3: an OCO pair, each leg cancelled below.
  { kind: 'order.place', time: T0 + 3, account: 'alice', symbol: 'BTCUSDT', side: 'SELL', type: 'LIMIT', price: '63000.00', quantity: '0.1', clientOrderId: 'g1-limit', ocoGroup: 'g1' },
  { kind: 'order.place', time: T0 + 4, account: 'alice', symbol: 'BTCUSDT', side: 'SELL', type: 'STOP_LOSS', stopPrice: '61000.00', quantity: '0.1', clientOrderId: 'g1-stop', ocoGroup: 'g1' },
  // 4: a trailing stop, activated by the print at 62,500 (stop 62,500 × 0.99 = 61,875), then cancelled.
  { kind: 'order.place', time: T0 + 5, account: 'alice', symbol: 'BTCUSDT', side: 'SELL', type: 'TRAILING_STOP_MARKET', quantity: '0.1', activationPrice: '62000.00', callbackRate: '0.01', clientOrderId: 'trail' },
  { kind: 'trade', time: T0 + 6, symbol: 'BTCUSDT', tradeId: 1, price: '62500.00', quantity: '0.001', buyerMaker: false },
  { kind: 'order.cancel', time: T0 + 7, account: 'alice', clientOrderId: 'trail' },
  { kind: 'order.cancel', time: T0 + 8, account: 'alice', clientOrderId: 'g1-limit' },
  { kind: 'order.cancel', time: T0 + 9, account: 'alice', clientOrderId: 'g1-stop' },
];

describeEachDialect((name) => `closed orders read from the orders table on ${name}`, (dialect) => {
  let harness: Harness;
  let source: OrderRecordSource;
  /** A kernel that holds none of the scenario's orders, as after it dropped them (closed). */
  let bare: Kernel;
  beforeEach(async () => {
    harness = await dialect.open();
    const kernel = new Kernel(CONFIG);
    const readModel = new ReadModel(harness.opened.db);
    for (const [i, input] of SCENARIO.entries()) await readModel.apply([{ seq: i + 1, at: input.time, events: kernel.handle(input) }]);
    source = { db: harness.opened.db, caughtUp: async () => undefined };
    bare = new Kernel(CONFIG);
    bare.handle(OPEN);
  });
  afterEach(async () => harness.cleanup());

  it("an account's closed orders, with their list, trigger, trailing terms and armed stop", async () => {
    const orders = await accountOrders(bare, source, 'alice');
    expect(orders.map((o) => [o.id, o.clientOrderId, o.type, o.status, o.ocoGroup ?? null, o.stopPrice === undefined ? null : formatFixed(o.stopPrice)])).toEqual([
      ['1', 'mkt', 'MARKET', 'FILLED', null, null],
      ['2', 'g1-limit', 'LIMIT', 'CANCELED', 'g1', null],
      ['3', 'g1-stop', 'STOP_LOSS', 'CANCELED', 'g1', '61000'],
      ['4', 'trail', 'TRAILING_STOP_MARKET', 'CANCELED', null, '61875'],
    ]);
    const trail = orders[3]!;
    expect([formatFixed(trail.activationPrice!), formatFixed(trail.callbackRate!), trail.triggered]).toEqual(['62000', '0.01', false]);
    expect((await accountOrders(bare, source, 'alice', { ocoGroup: 'g1' })).map((o) => o.id)).toEqual(['2', '3']);
    expect(await accountOrder(bare, source, 'bob', '1')).toBeUndefined();
  });

  it('the paper service finds a closed order by id and by clientOrderId, and a cancel of it answers ORDER_NOT_OPEN', async () => {
    const service = new PaperExecutionService({ kernel: bare, submit: async (input) => bare.handle(input), now: () => bare.now, records: source });
    const expected = {
      orderId: '1', clientOrderId: 'mkt', symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', status: 'FILLED', quantity: '0.01',
      executedQty: '0.01', cumulativeQuoteQty: '618.3763', createdAt: T0 + 2, updatedAt: T0 + 2, mode: 'paper',
    };
    expect(await service.getOrder('alice', { orderId: '1' })).toEqual({ ok: true, value: expected });
    expect(await service.getOrder('alice', { clientOrderId: 'mkt' })).toEqual({ ok: true, value: expected });
    expect(await service.getOrder('bob', { orderId: '1' })).toMatchObject({ ok: false, error: { code: 'UNKNOWN_ORDER' } });
    expect(await service.getOrder('alice', { orderId: '4' })).toMatchObject({
      ok: true,
      value: { type: 'TRAILING_STOP_MARKET', status: 'CANCELED', stopPrice: '61875', activationPrice: '62000', callbackRate: '0.01' },
    });
    expect(await service.cancelOrder('alice', { orderId: '2' })).toMatchObject({ ok: false, error: { code: 'ORDER_NOT_OPEN', mexcCode: -2011 } });
    expect(await service.cancelOrder('alice', { clientOrderId: 'g1-stop' })).toMatchObject({ ok: false, error: { code: 'ORDER_NOT_OPEN' } });
    expect(await service.cancelOrder('alice', { orderId: '99' })).toMatchObject({ ok: false, error: { code: 'UNKNOWN_ORDER' } });
  });

  it('a closed futures order keeps the leverage it was placed at (5, set after the account opened at 10); a spot order reads 1', async () => {
    const perp = findBundledInstrument('binance', 'perpetual', 'BTCUSDT')!;
    const kernel = new Kernel({ instruments: [perp] });
    const own = await dialect.open();
    const readModel = new ReadModel(own.opened.db);
    const futures: KernelInput[] = [
      { kind: 'account.open', time: T0, account: 'fut', type: 'futures', leverage: 10, balances: { USDT: '20000' } },
      { kind: 'leverage.set', time: T0 + 1, account: 'fut', symbol: 'BTCUSDT', leverage: 5 },
      { kind: 'order.place', time: T0 + 2, account: 'fut', symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', price: '50000.00', quantity: '0.01', clientOrderId: 'lev5' },
      { kind: 'order.cancel', time: T0 + 3, account: 'fut', clientOrderId: 'lev5' },
    ];
    try {
      for (const [i, input] of futures.entries()) await readModel.apply([{ seq: i + 1, at: input.time, events: kernel.handle(input) }]);
      const empty = new Kernel({ instruments: [perp] });
      empty.handle(futures[0]!);
      const [closed] = await accountOrders(empty, { db: own.opened.db, caughtUp: async () => undefined }, 'fut');
      expect(closed).toMatchObject({ clientOrderId: 'lev5', status: 'CANCELED', leverage: 5 });
    } finally {
      await own.cleanup();
    }
    expect((await accountOrders(bare, source, 'alice')).every((o) => o.leverage === 1)).toBe(true);
  });
});

it("a placement's answer from its input's events: the market buy filled in the same input", () => {
  const kernel = new Kernel(CONFIG);
  for (const input of SCENARIO.slice(0, 2)) kernel.handle(input);
  const events = kernel.handle(SCENARIO[2]!);
  expect(viewFromEvents('1', events)).toEqual({
    orderId: '1', clientOrderId: 'mkt', symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', status: 'FILLED', quantity: '0.01',
    executedQty: '0.01', cumulativeQuoteQty: '618.3763', createdAt: T0 + 2, updatedAt: T0 + 2, mode: 'paper',
  });
  expect(viewFromEvents('2', events)).toBeUndefined();
});
