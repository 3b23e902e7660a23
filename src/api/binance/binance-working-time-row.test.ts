/**
 * Binance Spot's `workingTime` of an order read back from its row, once the kernel has dropped it
 * (closed), is the one its live answer gave: "The time when the order started working on the order
 * book" (Spot API glossary, binance-spot-api-docs faqs/spot_glossary.md). An order placed before the
 * kernel had a usable book works from the snapshot that synced it, an imported one from the import;
 * neither is its creation, which is all a row without the working time could show. Oracle: the
 * times the test chooses (placed at T + 1 s, synced at T + 4.25 s, imported at T + 5 s).
 */
import { afterEach, expect, it } from 'vitest';
import { findBundledInstrument } from '../../core/instruments/bundled-instruments.js';
import type { KernelInput } from '../../core/kernel/inputs.js';
import { Kernel } from '../../core/kernel/kernel.js';
import { orderOfRow } from '../../execution/order-records.js';
import { paperOrderView } from '../../execution/paper-execution-service.js';
import { ReadModel, type ImportedOrder, type InputEvents } from '../../persistence/read-model.js';
import { describeEachDialect, type Harness } from '../../test-kit/test-databases.js';
import { binanceOrder } from './binance-mappers.js';

const T = 1_723_161_300_000;
const SYNCED_AT = T + 4_250;
const IMPORTED_AT = T + 5_000;
const SPOT = findBundledInstrument('binance', 'spot', 'BTCUSDT')!;
const snapshot = (time: number): KernelInput => ({ kind: 'book.snapshot', time, symbol: 'BTCUSDT', lastUpdateId: 100, bids: [['60000.00', '2']], asks: [['60010.00', '2']] });

describeEachDialect((name) => `Binance Spot workingTime read back from an order's row (${name})`, (dialect) => {
  const harnesses: Harness[] = [];
  afterEach(async () => {
    for (const h of harnesses.splice(0)) await h.cleanup();
  });

  /** A kernel whose every input's events the read model projects, as the engine does. */
  const projected = async () => {
    const h = await dialect.open();
    harnesses.push(h);
    const readModel = new ReadModel(h.opened.db);
    const kernel = new Kernel({ instruments: [SPOT] });
    let seq = 0;
    const handle = async (input: KernelInput, imported?: InputEvents['imported']) => {
      const events = kernel.handle(input);
      await readModel.apply([{ seq: ++seq, events, ...(imported !== undefined ? { imported } : {}) }]);
      return events;
    };
    const fromRow = async (clientOrderId: string) => {
      const row = await h.opened.db.selectFrom('orders').selectAll().where('clientOrderId', '=', clientOrderId).executeTakeFirstOrThrow();
      const order = orderOfRow(row);
      return binanceOrder(paperOrderView(order), order);
    };
    return { kernel, handle, fromRow };
  };

  it('of an order that waited for a usable book: the sync, live and from its row after a cancel', async () => {
    const { kernel, handle, fromRow } = await projected();
    await handle({ kind: 'account.open', time: T, account: 'a', balances: { USDT: '100000' } });
    await handle({ kind: 'order.place', time: T + 1_000, account: 'a', symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.1', price: '59000.00', clientOrderId: 'waits' });
    await handle(snapshot(SYNCED_AT));
    const held = kernel.orders('a').find((o) => o.clientOrderId === 'waits')!;
    expect(binanceOrder(paperOrderView(held), held)).toMatchObject({ time: T + 1_000, workingTime: SYNCED_AT });
    await handle({ kind: 'order.cancel', time: T + 9_000, account: 'a', clientOrderId: 'waits' });
    expect(await fromRow('waits')).toMatchObject({ status: 'CANCELED', time: T + 1_000, workingTime: SYNCED_AT });
  });

  it('of an imported order: the import, live and from its row after a cancel', async () => {
    const source = new Kernel({ instruments: [SPOT] });
    source.handle(snapshot(T));
    source.handle({ kind: 'account.open', time: T, account: 'a', balances: { USDT: '100000' } });
    source.handle({ kind: 'order.place', time: T + 1_000, account: 'a', symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.1', price: '59000.00', clientOrderId: 'rests' });
    const { kernel, handle, fromRow } = await projected();
    await handle(snapshot(IMPORTED_AT));
    const document = source.exportAccount('a')!;
    const importing = new Kernel({ instruments: [SPOT] });
    importing.handle(snapshot(IMPORTED_AT));
    importing.handle({ kind: 'account.import', time: IMPORTED_AT, document, account: 'b' });
    const brought = importing.orders('b')[0]!;
    // The engine writes an imported account's orders from the kernel (engine/durable-engine.ts): the one order, as it would.
    const order: ImportedOrder = {
      orderId: brought.id, clientOrderId: brought.clientOrderId, symbol: 'BTCUSDT', side: 'BUY', orderType: 'LIMIT', price: '59000', quantity: '0.1', quoteOrderQty: null,
      status: 'NEW', executedQty: '0', cumulativeQuoteQty: '0', createdAt: brought.arrivesAt, updatedAt: brought.updatedAt, ...(brought.workingTime !== undefined ? { workingTime: brought.workingTime } : {}),
    };
    await handle({ kind: 'account.import', time: IMPORTED_AT, document, account: 'b' }, { b: { type: 'spot', orders: [order], positions: [] } });
    const held = kernel.orders('b').find((o) => o.clientOrderId === 'rests')!;
    expect(await fromRow('rests')).toMatchObject({ status: 'NEW', time: T + 1_000, workingTime: IMPORTED_AT });
    expect(binanceOrder(paperOrderView(held), held)).toMatchObject({ time: T + 1_000, workingTime: IMPORTED_AT });
    await handle({ kind: 'order.cancel', time: T + 9_000, account: 'b', clientOrderId: 'rests' });
    expect(await fromRow('rests')).toMatchObject({ status: 'CANCELED', time: T + 1_000, workingTime: IMPORTED_AT });
  });
});
