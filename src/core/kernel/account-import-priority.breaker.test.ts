import { describe, expect, it } from 'vitest';
import { findBundledInstrument } from '../instruments/bundled-instruments.js';
import { Kernel } from './kernel.js';
import type { KernelEvent } from './events.js';

// An exported account's resting orders rejoin the back of their queues on import, and among
// themselves keep the priority they had: a stop-limit triggered earlier (it started resting
// earlier) stays ahead of one placed before it but triggered later.
const SPOT = findBundledInstrument('binance', 'spot', 'BTCUSDT')!;
const T = 1723161300000;
const fillsOf = (events: readonly KernelEvent[]) => events.flatMap((e) => (e.type === 'FILL' ? [`${e.clientOrderId} ${e.quantity}@${e.price}`] : []));
const print = (tradeId: number, price: string, quantity: string, buyerMaker: boolean) => ({ kind: 'trade', time: T + tradeId, symbol: 'BTCUSDT', tradeId, price, quantity, buyerMaker }) as const;

function withBook(): Kernel {
  const k = new Kernel({ instruments: [SPOT], equityIntervalMs: 0 });
  k.handle({ kind: 'book.snapshot', time: T, symbol: 'BTCUSDT', lastUpdateId: 1, bids: [['61800.00', '5']], asks: [['61900.00', '5']] });
  return k;
}

describe('account import keeps the priority among the account\'s own triggered orders', () => {
  it('the stop triggered first is filled first after export and import', () => {
    const k = withBook();
    k.handle({ kind: 'account.open', time: T, account: 'a', balances: { USDT: '0', BTC: '1' } });
    // Placed first, triggers last: stop 61,700. Placed second, triggers first: stop 61,790. Both limit 61,850.
    k.handle({ kind: 'order.place', time: T, account: 'a', symbol: 'BTCUSDT', side: 'SELL', type: 'STOP_LOSS_LIMIT', quantity: '0.1', stopPrice: '61700.00', price: '61850.00', clientOrderId: 'late' });
    k.handle({ kind: 'order.place', time: T, account: 'a', symbol: 'BTCUSDT', side: 'SELL', type: 'STOP_LOSS_LIMIT', quantity: '0.1', stopPrice: '61790.00', price: '61850.00', clientOrderId: 'early' });
    expect(k.handle(print(1, '61790.00', '0.01', true)).filter((e) => e.type === 'ORDER_TRIGGERED').map((e) => e.clientOrderId)).toEqual(['early']);
    expect(k.handle(print(2, '61700.00', '0.01', true)).filter((e) => e.type === 'ORDER_TRIGGERED').map((e) => e.clientOrderId)).toEqual(['late']);
    // In the exporting engine: 'early' fills first.
    const twin = Kernel.restore({ instruments: [SPOT], equityIntervalMs: 0 }, k.snapshot());
    expect(fillsOf(twin.handle(print(3, '61860.00', '0.1', false)))).toEqual(['early 0.1@61850']);

    const copy = withBook();
    // Imported at T + 2, before the prints stamped T + 3 and T + 4 (a print stamped before an import happened without the orders).
    const imported = copy.handle({ kind: 'account.import', time: T + 2, document: k.exportAccount('a')! });
    expect(imported.find((e) => e.type === 'ACCOUNT_IMPORTED')).toBeDefined();
    expect(fillsOf(copy.handle(print(3, '61860.00', '0.1', false)))).toEqual(['early 0.1@61850']);
    expect(fillsOf(copy.handle(print(4, '61860.00', '0.1', false)))).toEqual(['late 0.1@61850']);
    copy.checkInvariants();
  });
});
