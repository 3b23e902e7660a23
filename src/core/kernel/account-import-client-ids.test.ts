/**
 * An imported account's client ids: the document's map names each client id once, the open order
 * that holds it, and no two open orders share one. Accepted otherwise, the copy refused a client id
 * no order held (409 "in use by an open order") and let a second open order take one an open order
 * held, two open orders then answering to one client id.
 */
import { describe, expect, it } from 'vitest';
import { SPOT_RECORDING } from '../../test-kit/data-paths.js';
import { loadRecording, RecordingStepper } from '../../test-kit/recording-stepper.js';
import type { KernelEvent } from './events.js';

const recording = loadRecording(SPOT_RECORDING);
type Doc = { orders: { id: string; clientOrderId: string }[]; clientIds: [string, string][] };

/** Account `a` with two resting buys, c1 and c2, exported. */
function exported(): { s: RecordingStepper; doc: Doc } {
  const s = new RecordingStepper(recording);
  s.advanceTo(1723161310000);
  s.handle({ kind: 'account.open', time: s.kernel.now, account: 'a', balances: { USDT: '10000' } });
  for (const clientOrderId of ['c1', 'c2']) {
    expect(s.handle({ kind: 'order.place', time: s.kernel.now, account: 'a', symbol: s.symbol, side: 'BUY', type: 'LIMIT', quantity: '0.001', price: '50000', clientOrderId }).map((e) => e.type)).toEqual(['ORDER_NEW']);
  }
  return { s, doc: JSON.parse(s.kernel.exportAccount('a')!) as Doc };
}

const importing = (s: RecordingStepper, doc: Doc): KernelEvent[] => s.handle({ kind: 'account.import', time: s.kernel.now, document: JSON.stringify(doc), account: 'copy' });
const refusal = (events: readonly KernelEvent[]) => {
  expect(events.map((e) => e.type)).toEqual(['ACCOUNT_REJECTED']);
  return (events[0] as { code: string; message: string });
};

describe('an imported account keeps one open order per client id', () => {
  it('the export as written imports, and its client ids stay taken and free as in the original', () => {
    const { s, doc } = exported();
    expect(doc.clientIds).toEqual([['c1', doc.orders[0]!.id], ['c2', doc.orders[1]!.id]]);
    expect(importing(s, doc).map((e) => e.type)).toEqual(['ACCOUNT_IMPORTED', 'EQUITY']);
    const place = (clientOrderId: string) => s.handle({ kind: 'order.place', time: s.kernel.now, account: 'copy', symbol: s.symbol, side: 'BUY', type: 'LIMIT', quantity: '0.001', price: '50000', clientOrderId });
    expect(place('c1')).toEqual([expect.objectContaining({ type: 'ORDER_REJECTED', code: 'DUPLICATE_CLIENT_ORDER_ID' })]);
    expect(place('c3').map((e) => e.type)).toEqual(['ORDER_NEW']);
  });

  it('refuses a client id mapped twice', () => {
    const { s, doc } = exported();
    doc.clientIds = [['c1', doc.orders[0]!.id], ['c1', doc.orders[1]!.id]];
    expect(refusal(importing(s, doc))).toMatchObject({ code: 'INVALID_DOCUMENT', message: expect.stringContaining('clientIds[1][0]: "c1" is mapped twice') });
  });

  it('refuses a client id mapped to an order that holds another', () => {
    const { s, doc } = exported();
    doc.clientIds = [['same', doc.orders[0]!.id], ['c2', doc.orders[1]!.id]];
    expect(refusal(importing(s, doc)).message).toContain(`clientIds[0]: order ${doc.orders[0]!.id}'s client id is "c1", not "same"`);
  });

  it('an open order left out of the map still holds its client id in the copy', () => {
    const { s, doc } = exported();
    doc.clientIds = [['c2', doc.orders[1]!.id]];
    expect(importing(s, doc).map((e) => e.type)).toEqual(['ACCOUNT_IMPORTED', 'EQUITY']);
    const place = (clientOrderId: string) => s.handle({ kind: 'order.place', time: s.kernel.now, account: 'copy', symbol: s.symbol, side: 'BUY', type: 'LIMIT', quantity: '0.001', price: '50000', clientOrderId });
    expect(place('c1')).toEqual([expect.objectContaining({ type: 'ORDER_REJECTED', code: 'DUPLICATE_CLIENT_ORDER_ID' })]);
  });

  it('refuses two open orders holding one client id', () => {
    const { s, doc } = exported();
    doc.orders[1]!.clientOrderId = 'c1';
    doc.clientIds = [['c1', doc.orders[0]!.id]];
    expect(refusal(importing(s, doc)).message).toContain('orders[1].clientOrderId: "c1" is also the client id of open order orders[0]');
    expect(s.kernel.balances('copy')).toBeUndefined();
  });
});
