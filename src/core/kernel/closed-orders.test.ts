import { describe, expect, it } from 'vitest';
import { BUNDLED_RECORDING } from '../../test-kit/data-paths.js';
import { loadRecording, RecordingStepper } from '../../test-kit/recording-stepper.js';
import { parseFixed } from '../money/fixed.js';
import type { KernelEvent } from './events.js';
import { Kernel } from './kernel.js';
import type { KernelSnapshot } from './kernel-snapshot.js';

function orderIdOf(events: readonly KernelEvent[]): string {
  const placed = events.find((e) => e.type === 'ORDER_NEW');
  if (placed?.type !== 'ORDER_NEW') throw new Error(`no ORDER_NEW in ${JSON.stringify(events)}`);
  return placed.orderId;
}

describe('closed orders leave the kernel', () => {
  it('after 10 orders (3 filled, 3 cancelled, 4 resting) the kernel, its snapshot and the account document hold the 4 open ones', () => {
    const s = new RecordingStepper(loadRecording(BUNDLED_RECORDING));
    s.advanceTo(1723161300000);
    s.open('a', { USDT: '100000' });
    const place = (extra: Record<string, string>) => s.handle({ kind: 'order.place', time: s.kernel.now, account: 'a', symbol: s.symbol, side: 'BUY', ...extra } as never);
    const filled = [1, 2, 3].map(() => place({ type: 'MARKET', quantity: '0.01' }));
    for (const events of filled) expect(events.find((e) => e.type === 'FILL' && e.status === 'FILLED')).toBeDefined();
    const kept = [1, 2, 3, 4].map((i) => orderIdOf(place({ type: 'LIMIT', quantity: '0.01', price: '50000.00', clientOrderId: `keep${i}` })));
    const gone = [1, 2, 3].map((i) => orderIdOf(place({ type: 'LIMIT', quantity: '0.01', price: '50000.00', clientOrderId: `gone${i}` })));
    for (const [i, id] of gone.entries()) {
      expect(s.handle({ kind: 'order.cancel', time: s.kernel.now, account: 'a', orderId: id })).toEqual([expect.objectContaining({ type: 'ORDER_CANCELED', clientOrderId: `gone${i + 1}` })]);
    }
    // Until the next input starts, whoever reads the cancel's events still finds the order's terms.
    expect(s.kernel.order(gone[2]!)).toMatchObject({ status: 'CANCELED', clientOrderId: 'gone3', price: parseFixed('50000') });

    s.handle({ kind: 'clock', time: s.kernel.now });
    // 10 placed − 3 filled − 3 cancelled = 4 held, all open.
    expect(s.kernel.orders('a').map((o) => o.id)).toEqual(kept);
    expect(s.kernel.orders('a').every((o) => o.status === 'NEW')).toBe(true);
    for (const id of gone) expect(s.kernel.order(id)).toBeUndefined();

    const snapshot = JSON.parse(s.kernel.snapshot()) as KernelSnapshot;
    expect(snapshot.orders.map((o) => o.id)).toEqual(kept);
    expect(snapshot.clientIds).toEqual([['a', kept.map((id, i) => [`keep${i + 1}`, id])]]);
    const document = JSON.parse(s.kernel.exportAccount('a')!) as { orders: { id: string }[]; clientIds: [string, string][] };
    expect(document.orders.map((o) => o.id)).toEqual(kept);
    expect(document.clientIds).toEqual(kept.map((id, i) => [`keep${i + 1}`, id]));

    // A snapshot of before closed orders left the kernel: its closed orders and their client ids are skipped on restore.
    const older = structuredClone(snapshot) as unknown as { orders: Record<string, unknown>[]; clientIds: [string, [string, string][]][] };
    older.orders.unshift({ ...older.orders[0]!, id: gone[0], clientOrderId: 'gone1', status: 'CANCELED', locked: 0n });
    older.clientIds[0]![1].push(['gone1', gone[0]!]);
    const text = JSON.stringify(older, (_k, v: unknown) => (typeof v === 'bigint' ? { $n: v.toString() } : v));
    const restored = Kernel.restore({ instruments: s.kernel.instruments() }, text);
    expect(restored.snapshot()).toBe(s.kernel.snapshot());

    // The dropped orders' client ids are free: a cancel by one finds nothing, a new order may take it.
    expect(s.handle({ kind: 'order.cancel', time: s.kernel.now, account: 'a', clientOrderId: 'gone1' })).toEqual([expect.objectContaining({ type: 'CANCEL_REJECTED', code: 'UNKNOWN_ORDER' })]);
    expect(place({ type: 'LIMIT', quantity: '0.01', price: '50000.00', clientOrderId: 'gone1' })).toEqual([expect.objectContaining({ type: 'ORDER_NEW', clientOrderId: 'gone1' })]);
    s.kernel.checkInvariants();
  });
});
