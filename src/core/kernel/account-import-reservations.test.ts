/**
 * An imported account's open orders must hold what they can still spend, by the settlement's own
 * rules (spot-settlement.ts `requiredLock`): a document whose order was made larger, or dearer,
 * without its lock must be refused before anything changes. Accepted, such an order filled past
 * its lock, its account's balance went negative inside a fill, and the kernel answered the market
 * input that filled it with INTERNAL, not applied: a book delta left out, the book out of sequence
 * for every account, and the same again after a restart, which replays the same journal.
 * A futures order is reserved again as its position changes (open-order-margin.ts) and its fills
 * are checked against the cash: one imported with too little margin fills what the cash covers and
 * expires (INSUFFICIENT_BALANCE), the market untouched; the last case keeps it so.
 */
import { describe, expect, it } from 'vitest';
import { SPOT_RECORDING, USDM_RECORDING } from '../../test-kit/data-paths.js';
import { loadRecording, RecordingStepper } from '../../test-kit/recording-stepper.js';
import type { KernelEvent } from './events.js';

const recording = loadRecording(SPOT_RECORDING);
const E18 = 10n ** 18n;
type Amount = { $n: string };
type DocOrder = { side: string; type: string; status: string; price?: Amount; stopPrice?: Amount; quantity: Amount; locked: Amount; executedQty: Amount; triggered: boolean; ocoGroup?: string };
type Doc = { account: { balances: [string, { free: Amount; locked: Amount }][] }; orders: DocOrder[] };

const n = (v: bigint): Amount => ({ $n: String(v) });
const refusalOf = (events: readonly KernelEvent[]): { code: string; message: string } => {
  expect(events.map((e) => e.type)).toEqual(['ACCOUNT_REJECTED']);
  return events[0] as unknown as { code: string; message: string };
};
const rejections = (events: readonly KernelEvent[]) => events.filter((e) => e.type === 'ACCOUNT_REJECTED' || e.type === 'INPUT_REJECTED');

/** An account `a` with 10,000 USDT and 1 BTC holding one resting order, exported; the stepper at 23:55:10. */
function exported(order: { side: 'BUY' | 'SELL'; price: string; quantity: string }): { s: RecordingStepper; doc: Doc } {
  const s = new RecordingStepper(recording);
  s.advanceTo(1723161310000);
  s.handle({ kind: 'account.open', time: s.kernel.now, account: 'a', balances: { USDT: '10000', BTC: '1' } });
  const placed = s.handle({ kind: 'order.place', time: s.kernel.now, account: 'a', symbol: s.symbol, type: 'LIMIT', ...order });
  expect(placed.map((e) => e.type)).toEqual(['ORDER_NEW']);
  return { s, doc: JSON.parse(s.kernel.exportAccount('a')!) as Doc };
}

function importing(s: RecordingStepper, doc: Doc): KernelEvent[] {
  return s.handle({ kind: 'account.import', time: s.kernel.now, document: JSON.stringify(doc), account: 'copy' });
}

describe('an imported open order must hold what it can still spend', () => {
  it('a buy made 1,000 times larger and priced through the ask, its 50 USDT lock kept, is refused; the market goes on for everyone', () => {
    const { s, doc } = exported({ side: 'BUY', price: '50000', quantity: '0.001' });
    const order = doc.orders[0]!;
    // 50,000 × 0.001 = 50 USDT held (the fee is in BTC on a spot buy: nothing more).
    expect(order.locked).toEqual(n(50n * E18));
    order.quantity = n(E18);
    order.price = n(70_000n * E18);
    const refused = importing(s, doc);
    expect(refused).toEqual([expect.objectContaining({ type: 'ACCOUNT_REJECTED', account: 'copy', code: 'INVALID_DOCUMENT' })]);
    expect((refused[0] as { message: string }).message).toMatch(/\(orders\[0\]\.locked: .*70000 USDT/);
    expect(s.kernel.balances('copy')).toBeUndefined();
    // The rest of the recording: no input refused, the book in sequence, the original order intact.
    const rest = s.advanceTo(recording.lastTime);
    expect(rejections(rest)).toEqual([]);
    expect(s.kernel.bookStatus(s.symbol)?.status).toBe('synced');
    s.kernel.checkInvariants();
  });

  it('a buy whose lock was cut below price × quantity (the unit moved to free) is refused; the lock at exactly price × quantity imports', () => {
    const { s, doc } = exported({ side: 'BUY', price: '50000', quantity: '0.001' });
    const order = doc.orders[0]!;
    const short = structuredClone(doc);
    short.orders[0]!.locked = n(50n * E18 - 1n);
    const usdt = short.account.balances.find(([asset]) => asset === 'USDT')![1];
    usdt.locked = n(BigInt(usdt.locked.$n) - 1n);
    usdt.free = n(BigInt(usdt.free.$n) + 1n);
    const refused = importing(s, short);
    expect((refused[0] as { message?: string }).message).toMatch(/\(orders\[0\]\.locked: /);
    expect(refused.map((e) => e.type)).toEqual(['ACCOUNT_REJECTED']);
    expect(order.locked).toEqual(n(50n * E18));
    expect(importing(s, doc).map((e) => e.type)).toEqual(['ACCOUNT_IMPORTED', 'EQUITY']);
    s.kernel.checkInvariants();
  });

  it('a sell made larger than the BTC it holds is refused', () => {
    const { s, doc } = exported({ side: 'SELL', price: '90000', quantity: '0.5' });
    const order = doc.orders[0]!;
    expect(order.locked).toEqual(n(E18 / 2n));
    order.quantity = n(E18);
    const refused = importing(s, doc);
    expect(refused.map((e) => e.type)).toEqual(['ACCOUNT_REJECTED']);
    expect((refused[0] as { message: string }).message).toMatch(/\(orders\[0\]\.locked: .*1 BTC/);
  });

  describe('the legs of an OCO group share one lock only while none of them has acted', () => {
    /** Two buys of 0.001 at 50,000 in group G: the first holds the 50 USDT, the second shares it (holds 0). */
    function group(): { s: RecordingStepper; doc: Doc } {
      const s = new RecordingStepper(recording);
      s.advanceTo(1723161310000);
      s.handle({ kind: 'account.open', time: s.kernel.now, account: 'a', balances: { USDT: '100' } });
      for (const clientOrderId of ['g1', 'g2']) {
        expect(s.handle({ kind: 'order.place', time: s.kernel.now, account: 'a', symbol: s.symbol, side: 'BUY', type: 'LIMIT', quantity: '0.001', price: '50000', clientOrderId, ocoGroup: 'G' }).map((e) => e.type)).toEqual(['ORDER_NEW']);
      }
      const doc = JSON.parse(s.kernel.exportAccount('a')!) as Doc;
      expect(doc.orders.map((o) => o.locked)).toEqual([n(50n * E18), n(0n)]);
      return { s, doc };
    }

    it('as exported, the group imports', () => {
      const { s, doc } = group();
      expect(importing(s, doc).map((e) => e.type)).toEqual(['ACCOUNT_IMPORTED', 'EQUITY']);
      s.kernel.checkInvariants();
    });

    it('a leg marked partly filled holds its own: with 0 held and 70 USDT to spend it is refused', () => {
      const { s, doc } = group();
      const leg = doc.orders[1]!;
      leg.price = n(70_000n * E18);
      leg.executedQty = n(E18 / 10_000n);
      leg.status = 'PARTIALLY_FILLED';
      // 0.0009 left at 70,000: 63 USDT, the group's 50 not shared with it.
      expect((refusalOf(importing(s, doc))).message).toMatch(/\(orders\[1\]\.locked: holds 0 USDT; what it can still spend needs 63 USDT/);
      expect(rejections(s.advanceTo(recording.lastTime))).toEqual([]);
    });

    it('a leg made a triggered stop-limit holds its own: refused', () => {
      const { s, doc } = group();
      const leg = doc.orders[1]!;
      leg.type = 'STOP_LOSS_LIMIT';
      leg.stopPrice = n(65_000n * E18);
      leg.triggered = true;
      leg.price = n(70_000n * E18);
      expect((refusalOf(importing(s, doc))).message).toMatch(/\(orders\[1\]\.locked: holds 0 USDT; what it can still spend needs 70 USDT/);
    });
  });

  it('a futures buy made 500 times larger with its margin kept fills what the cash covers and expires; the market goes on', () => {
    const usdm = loadRecording(USDM_RECORDING);
    const s = new RecordingStepper(usdm);
    s.advanceTo(1723161310000);
    s.handle({ kind: 'account.open', time: s.kernel.now, account: 'f', type: 'futures', marginMode: 'cross', leverage: 10, balances: { USDT: '1000' } });
    expect(s.handle({ kind: 'order.place', time: s.kernel.now, account: 'f', symbol: s.symbol, type: 'LIMIT', side: 'BUY', price: '59000', quantity: '0.002' }).map((e) => e.type)).toEqual(['ORDER_NEW']);
    const doc = JSON.parse(s.kernel.exportAccount('f')!) as Doc;
    doc.orders[0]!.quantity = n(E18);
    doc.orders[0]!.price = n(70_000n * E18);
    expect(importing(s, doc).map((e) => e.type)).toEqual(['ACCOUNT_IMPORTED', 'EQUITY']);
    const rest = s.advanceTo(usdm.lastTime);
    expect(rejections(rest)).toEqual([]);
    const copy = rest.filter((e) => 'account' in e && e.account === 'copy' && e.type !== 'EQUITY');
    expect(copy.map((e) => e.type)).toEqual(['FILL', 'POSITION_OPENED', 'ORDER_EXPIRED']);
    expect(copy[2]).toMatchObject({ reason: 'INSUFFICIENT_BALANCE' });
    expect(s.kernel.bookStatus(s.symbol)?.status).toBe('synced');
    s.kernel.checkInvariants();
  });
});
