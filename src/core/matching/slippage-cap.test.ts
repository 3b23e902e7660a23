/**
 * The slippage cap of orders that execute at the market (`maxSlippage`): the walk stops at the best
 * opposite price × (1 ± cap), rounded to the tick toward the best, and the rest expires with
 * SLIPPAGE_CAP. Every expected fill is worked out by hand from the book the test states.
 */
import { describe, expect, it } from 'vitest';
import { findBundledInstrument } from '../instruments/bundled-instruments.js';
import type { KernelEvent } from '../kernel/events.js';
import type { LevelInput, PlaceOrderInput } from '../kernel/inputs.js';
import { Kernel, type KernelConfig } from '../kernel/kernel.js';

const symbol = 'BTCUSDT';
const config: KernelConfig = { instruments: [findBundledInstrument('binance', 'spot', symbol)!] };

function kernelWith(bids: LevelInput[], asks: LevelInput[]): Kernel {
  const kernel = new Kernel(config);
  kernel.handle({ kind: 'book.snapshot', time: 1_000, symbol, lastUpdateId: 10, bids, asks });
  kernel.handle({ kind: 'account.open', time: 1_000, account: 'a', balances: { USDT: '1000000', BTC: '10' } });
  return kernel;
}

const order = (fields: Partial<PlaceOrderInput>): PlaceOrderInput => ({ kind: 'order.place', time: 1_000, account: 'a', symbol, side: 'BUY', type: 'MARKET', clientOrderId: 'o', ...fields });

/** [price, quantity] of each fill, and how the order ended (status, executed, reason). */
function outcome(events: readonly KernelEvent[]) {
  const fills = events.flatMap((e) => (e.type === 'FILL' ? [[e.price, e.quantity]] : []));
  const done = events.find((e) => e.type === 'ORDER_EXPIRED');
  const end = done?.type === 'ORDER_EXPIRED' ? ['EXPIRED', done.executedQty, done.reason] : undefined;
  return { fills, end };
}

describe('a market order with a slippage cap', () => {
  it('buys up to the best ask × 1.01 and expires the rest: 60000 × 1.01 = 60600, so 60600.01 is past the cap', () => {
    const kernel = kernelWith([['59990.00', '1']], [['60000.00', '1'], ['60300.00', '1'], ['60600.00', '1'], ['60600.01', '1'], ['61000.00', '5']]);
    const { fills, end } = outcome(kernel.handle(order({ quantity: '4', maxSlippage: '0.01' })));
    expect(fills).toEqual([['60000', '1'], ['60300', '1'], ['60600', '1']]);
    expect(end).toEqual(['EXPIRED', '3', 'SLIPPAGE_CAP']);
    // USDT paid: 60000 + 60300 + 60600 = 180900, and the taker fee (0.1 %) in BTC: 3 × 0.001 = 0.003.
    expect(kernel.balances('a')).toEqual({ USDT: { free: '819100', locked: '0' }, BTC: { free: '12.997', locked: '0' } });
  });

  it('without the cap the same order takes the fourth level too', () => {
    const kernel = kernelWith([['59990.00', '1']], [['60000.00', '1'], ['60300.00', '1'], ['60600.00', '1'], ['60600.01', '1'], ['61000.00', '5']]);
    expect(outcome(kernel.handle(order({ quantity: '4' }))).fills).toEqual([['60000', '1'], ['60300', '1'], ['60600', '1'], ['60600.01', '1']]);
  });

  it('sells down to the best bid × 0.995 rounded up to the tick: 60000.01 × 0.995 = 59700.00995 → 59700.01', () => {
    const kernel = kernelWith([['60000.01', '1'], ['59700.01', '1'], ['59700.00', '1']], [['60010.00', '1']]);
    const { fills, end } = outcome(kernel.handle(order({ side: 'SELL', quantity: '3', maxSlippage: '0.005' })));
    expect(fills).toEqual([['60000.01', '1'], ['59700.01', '1']]);
    expect(end).toEqual(['EXPIRED', '2', 'SLIPPAGE_CAP']);
  });

  it('a cap the book stays within changes nothing: the order fills whole', () => {
    const kernel = kernelWith([['60000.00', '1'], ['59990.00', '2']], [['60010.00', '1']]);
    const events = kernel.handle(order({ side: 'SELL', quantity: '3', maxSlippage: '0.001' }));
    expect(outcome(events)).toEqual({ fills: [['60000', '1'], ['59990', '2']], end: undefined });
    expect(events.filter((e) => e.type === 'FILL').at(-1)).toMatchObject({ status: 'FILLED' });
  });

  it('a cap of 0 takes the best level only', () => {
    const kernel = kernelWith([['59990.00', '1']], [['60000.00', '0.5'], ['60000.01', '1']]);
    expect(outcome(kernel.handle(order({ quantity: '1', maxSlippage: '0' })))).toEqual({ fills: [['60000', '0.5']], end: ['EXPIRED', '0.5', 'SLIPPAGE_CAP'] });
  });

  it('a quote-sized buy stops at the cap with budget left: 60000 + 60300 of 200000 USDT', () => {
    const kernel = kernelWith([['59990.00', '1']], [['60000.00', '1'], ['60300.00', '1'], ['60700.00', '10']]);
    const { fills, end } = outcome(kernel.handle(order({ quoteOrderQty: '200000', maxSlippage: '0.01' })));
    expect(fills).toEqual([['60000', '1'], ['60300', '1']]);
    expect(end).toEqual(['EXPIRED', '2', 'SLIPPAGE_CAP']);
  });

  it('a stop takes its cap from the book when it triggers, and keeps it across a snapshot', () => {
    const kernel = kernelWith([['60000.00', '1'], ['59800.00', '1'], ['59700.00', '1']], [['60010.00', '1']]);
    const placed = kernel.handle(order({ side: 'SELL', type: 'STOP_LOSS', quantity: '3', stopPrice: '59900.00', maxSlippage: '0.002' }));
    expect(placed.find((e) => e.type === 'ORDER_NEW')).toMatchObject({ maxSlippage: '0.002', status: 'NEW' });
    const restored = Kernel.restore(config, kernel.snapshot());
    expect(restored.snapshot()).toBe(kernel.snapshot());
    // The bids move down to 59900 / 59790 / 59780, a seller's print of 0.01 at 59900 triggers the stop and
    // leaves 0.99 there: cap 59900 × 0.998 = 59780.2, so 59780 is past it; 3 − 0.99 − 1 = 1.01 expires.
    restored.handle({ kind: 'book.snapshot', time: 2_000, symbol, lastUpdateId: 20, bids: [['59900.00', '1'], ['59790.00', '1'], ['59780.00', '1']], asks: [['59910.00', '1']] });
    const { fills, end } = outcome(restored.handle({ kind: 'trade', time: 2_001, symbol, tradeId: 1, price: '59900.00', quantity: '0.01', buyerMaker: true }));
    expect(fills).toEqual([['59900', '0.99'], ['59790', '1']]);
    expect(end).toEqual(['EXPIRED', '1.99', 'SLIPPAGE_CAP']);
  });

  it('travels with an exported account and comes back on import', () => {
    const kernel = kernelWith([['60000.00', '1']], [['60010.00', '1']]);
    kernel.handle(order({ side: 'SELL', type: 'STOP_LOSS', quantity: '1', stopPrice: '59000.00', maxSlippage: '0.003' }));
    const document = kernel.exportAccount('a')!;
    // Amounts in a document are Fixed units (10^-18): 0.003 is 3 × 10^15.
    expect(JSON.parse(document).orders[0].maxSlippage).toEqual({ $n: '3000000000000000' });
    const other = new Kernel(config);
    other.handle({ kind: 'book.snapshot', time: 1_000, symbol, lastUpdateId: 10, bids: [['60000.00', '1']], asks: [['60010.00', '1']] });
    expect(other.handle({ kind: 'account.import', time: 1_000, document }).map((e) => e.type)).toContain('ACCOUNT_IMPORTED');
    expect(other.orders('a')[0]).toMatchObject({ type: 'STOP_LOSS', maxSlippage: 3_000_000_000_000_000n });
  });

  it.each([
    [{ type: 'LIMIT', quantity: '1', price: '60000.00', maxSlippage: '0.01' }, 'a LIMIT order takes no maxSlippage'],
    [{ type: 'STOP_LOSS_LIMIT', quantity: '1', price: '59000.00', stopPrice: '59100.00', maxSlippage: '0.01' }, 'a STOP_LOSS_LIMIT order takes no maxSlippage'],
    [{ quantity: '1', maxSlippage: '1' }, 'maxSlippage must be a fraction from 0 to below 1'],
    [{ quantity: '1', maxSlippage: '-0.01' }, 'maxSlippage must be a fraction from 0 to below 1'],
    [{ quantity: '1', maxSlippage: 'abc' }, 'maxSlippage:'],
    [{ quantity: '1', maxSlippage: 0.01 as unknown as string }, 'maxSlippage must be a decimal string'],
  ] as const)('refuses %j, changing nothing', (fields, words) => {
    const kernel = kernelWith([['59990.00', '1']], [['60000.00', '1']]);
    const before = kernel.snapshot();
    const events = kernel.handle(order(fields as Partial<PlaceOrderInput>));
    expect(events.map((e) => e.type)).toEqual(['ORDER_REJECTED']);
    expect(events[0]).toMatchObject({ code: 'INVALID_ORDER' });
    expect((events[0] as { message: string }).message).toContain(words);
    // Only the input count moves: no order, id, balance or market changed.
    const state = (text: string) => ({ ...JSON.parse(text), sequence: 0 });
    expect(state(kernel.snapshot())).toEqual(state(before));
  });
});
