/**
 * Hostile tests of two changes: `Order.imported` (an import's orders rank by the ids it gives them,
 * in the exporting engine's priority; a56cbdd) and `MatchingEngine.cancelAll` reading the kernel's
 * open-order index instead of walking the market's lists (d532b57).
 *
 * Every expectation is hand-computed or comes from an oracle written here (the exporting engine
 * itself, for what an import must keep; the old walk of the market's lists, for cancelAll), never
 * from the importing kernel's own output.
 *
 * Found, fixed: an imported conditional order that had not triggered when exported kept
 * `imported: true` after it triggered in the importing engine. Its `arrivalSeq` was then the
 * triggering input's, as for any triggered order, but `compareArrival` still ranked it by id, not
 * behind the orders placed as they stand in that input: it went ahead of a plain order the same
 * print released (latency), and ahead of another account's stop that the same print triggered
 * before it. The import now marks only orders placed as they stand or already triggered.
 */
import { describe, expect, it } from 'vitest';
import { findBundledInstrument } from '../instruments/bundled-instruments.js';
import type { KernelEvent } from './events.js';
import type { KernelInput } from './inputs.js';
import { Kernel } from './kernel.js';
import type { KernelConfig } from './kernel-state.js';
import type { Order } from '../orders/order.js';
import { Rng } from '../../test-kit/mulberry32.js';

const SPOT = findBundledInstrument('binance', 'spot', 'BTCUSDT')!;
const USDM = findBundledInstrument('binance', 'perpetual', 'BTCUSDT')!;
const T0 = 1_700_000_000_000;
const SYMBOL = 'BTCUSDT';

/** Fills, triggers, cancels as short lines, other events left out. */
function lines(events: readonly KernelEvent[]): string[] {
  const out: string[] = [];
  for (const e of events) {
    if (e.type === 'FILL') out.push(`FILL ${e.clientOrderId} ${e.quantity}@${e.price}`);
    else if (e.type === 'ORDER_TRIGGERED') out.push(`TRIGGERED ${e.clientOrderId}`);
    else if (e.type === 'ORDER_CANCELED') out.push(`CANCELED ${e.clientOrderId} ${e.reason}`);
  }
  return out;
}
const fills = (events: readonly KernelEvent[]) => lines(events).filter((l) => l.startsWith('FILL'));

/** A spot kernel whose book has no size at 59,985–60,035 (paper orders there have no queue ahead). */
function spot(config: Partial<KernelConfig> = {}): Kernel {
  const k = new Kernel({ instruments: [SPOT], equityIntervalMs: 0, ...config });
  k.handle({ kind: 'book.snapshot', time: T0, symbol: SYMBOL, lastUpdateId: 1, bids: [['59980.00', '1']], asks: [['60040.00', '1']] });
  return k;
}
const openSpot = (k: Kernel, account: string, time = T0) => k.handle({ kind: 'account.open', time, account, balances: { USDT: '1000000', BTC: '10' } });
const limit = (time: number, account: string, cid: string, side: 'BUY' | 'SELL', price: string, quantity = '0.010'): KernelInput => ({ kind: 'order.place', time, account, symbol: SYMBOL, side, type: 'LIMIT', price, quantity, clientOrderId: cid });
const stopLimit = (time: number, account: string, cid: string, side: 'BUY' | 'SELL', stopPrice: string, price: string, quantity = '0.010'): KernelInput => ({ kind: 'order.place', time, account, symbol: SYMBOL, side, type: 'STOP_LOSS_LIMIT', stopPrice, price, quantity, clientOrderId: cid });
const print = (time: number, tradeId: number, price: string, quantity: string, buyerMaker: boolean): KernelInput => ({ kind: 'trade', time, symbol: SYMBOL, tradeId, price, quantity, buyerMaker });

// ---------------------------------------------------------------------------------------------
// Order.imported after the imported order triggers in the importing engine (fixed defect)
// ---------------------------------------------------------------------------------------------

describe('an imported stop-limit that triggers only in the importing engine', () => {
  // The defect: `imported: true` stayed on the order after its trigger set its arrivalSeq to the
  // triggering input's; compareArrival then ranked it by id within that input, ahead of the plain
  // order the same input released. Hand-computed (the rule of claim (d), and what the exporting
  // engine does on the same inputs): the plain order, on the book before the print triggered the
  // stop, fills first.
  it('ranks behind a plain order released by the print that triggers it, as in the exporting engine', () => {
    const run = (k: Kernel, account: string): string[] => {
      // Placed at T0 + 10, arrives at T0 + 15; the print at T0 + 16 releases it, then triggers the stop.
      k.handle(limit(T0 + 10, account, 'plain', 'BUY', '60000.00'));
      k.handle(print(T0 + 16, 2, '60005.00', '0.001', false));
      return fills(k.handle(print(T0 + 30, 3, '59990.00', '0.010', true)));
    };
    const exporter = spot({ latencyMs: 5 });
    openSpot(exporter, 'a');
    exporter.handle(stopLimit(T0, 'a', 'stop', 'BUY', '60005.00', '60000.00'));
    exporter.handle({ kind: 'clock', time: T0 + 6 });
    const copy = spot({ latencyMs: 5 });
    copy.handle({ kind: 'clock', time: T0 + 6 });
    copy.handle({ kind: 'account.import', time: T0 + 6, document: exporter.exportAccount('a')!, account: 'a' });
    // The exporting engine, as the hand-computed rule says:
    expect(run(exporter, 'a')).toEqual(['FILL plain 0.01@60000']);
    // The copy (with the defect: ['FILL stop 0.01@60000']):
    expect(run(copy, 'a')).toEqual(['FILL plain 0.01@60000']);
  });

  // The same defect, across accounts and without latency: two stops at one price triggered by one
  // print trigger in the order of the conditional list (the native one was placed before the
  // import) and rank by id; the imported one ranked ahead of the other account's.
  it('ranks behind another account\'s stop placed before the import that the same print triggers first', () => {
    const source = spot();
    openSpot(source, 'src');
    source.handle(stopLimit(T0, 'src', 'imp', 'BUY', '60005.00', '60000.00'));
    const k = spot();
    openSpot(k, 'n');
    k.handle(stopLimit(T0 + 1, 'n', 'native', 'BUY', '60005.00', '60000.00'));
    k.handle({ kind: 'account.import', time: T0 + 2, document: source.exportAccount('src')!, account: 'i' });
    expect(lines(k.handle(print(T0 + 3, 2, '60005.00', '0.001', false)))).toEqual(['TRIGGERED native', 'TRIGGERED imp']);
    // With the defect: ['FILL imp 0.01@60000'].
    expect(fills(k.handle(print(T0 + 4, 3, '59990.00', '0.010', true)))).toEqual(['FILL native 0.01@60000']);
  });

  it('without an import, the two stops rank in the order the print triggered them', () => {
    const k = spot();
    openSpot(k, 'n');
    openSpot(k, 'i');
    k.handle(stopLimit(T0 + 1, 'n', 'native', 'BUY', '60005.00', '60000.00'));
    k.handle(stopLimit(T0 + 2, 'i', 'other', 'BUY', '60005.00', '60000.00'));
    expect(lines(k.handle(print(T0 + 3, 2, '60005.00', '0.001', false)))).toEqual(['TRIGGERED native', 'TRIGGERED other']);
    expect(fills(k.handle(print(T0 + 4, 3, '59990.00', '0.010', true)))).toEqual(['FILL native 0.01@60000']);
  });
});

// ---------------------------------------------------------------------------------------------
// Claims (a)–(c): the exporting engine as the oracle
// ---------------------------------------------------------------------------------------------

const P = (n: number) => n.toFixed(2);

describe('export and import keep the exporting engine\'s priority (random, the exporter as oracle)', () => {
  // One account trades alone on a book without size where it rests (no queue ahead, here or in the
  // copy). Phase 1: plain orders, stop-limits and take-profit-limits at two prices a side, prints
  // between the sides that trigger some; it is exported with its conditionals not yet triggered
  // (those the defect above moved ahead once they triggered in the copy). The copy, a
  // snapshot-restored copy, and a third engine importing the copy's export then take the same
  // phase 2 (more orders, conditional ones too, prints through the prices) as the exporter and its
  // restored twin: the same fills, in the same order.
  it('200 seeds, spot and USD-M, latency 0 or 5 ms', () => {
    let compared = 0;
    let untriggered = 0;
    for (let seed = 1; seed <= 200; seed += 1) {
      const r = new Rng(seed * 104_729 + 3);
      const usdm = seed % 3 === 0;
      const config: KernelConfig = { instruments: [usdm ? USDM : SPOT], equityIntervalMs: 0, latencyMs: r.pick([0, 0, 5]) };
      const book: KernelInput = { kind: 'book.snapshot', time: T0, symbol: SYMBOL, lastUpdateId: 1, bids: [['59980.00', '3']], asks: [['60040.00', '3']] };
      const open: KernelInput = usdm
        ? { kind: 'account.open', time: T0, account: 'a', type: 'futures', leverage: 20, balances: { USDT: '1000000' } }
        : { kind: 'account.open', time: T0, account: 'a', balances: { USDT: '10000000', BTC: '100' } };
      let t = T0;
      let tradeId = 1;
      let c = 0;
      const market: KernelInput[] = [book];
      const exporter = new Kernel(config);
      exporter.handle(book);
      exporter.handle(open);
      const command = (): KernelInput => {
        t += r.pick([1, 1, 2, 3]);
        const x = r.next();
        const cid = `c${++c}`;
        const side = r.pick(['BUY', 'SELL'] as const);
        const quantity = r.pick(['0.001', '0.002', '0.003']);
        const price = P(side === 'BUY' ? r.pick([60000, 59995]) : r.pick([60020, 60025]));
        if (x < 0.35) return { kind: 'order.place', time: t, account: 'a', symbol: SYMBOL, side, type: r.pick(['LIMIT', 'LIMIT_MAKER'] as const), price, quantity, clientOrderId: cid };
        if (x < 0.6) {
          const type = r.pick(['STOP_LOSS_LIMIT', 'TAKE_PROFIT_LIMIT'] as const);
          const stop = side === 'BUY' ? (type === 'STOP_LOSS_LIMIT' ? r.pick([60005, 60010]) : r.pick([60001, 60002])) : type === 'STOP_LOSS_LIMIT' ? r.pick([60015, 60010]) : r.pick([60018, 60017]);
          return { kind: 'order.place', time: t, account: 'a', symbol: SYMBOL, side, type, stopPrice: P(stop), price, quantity, clientOrderId: cid };
        }
        if (x < 0.85) return print(t, tradeId++, P(r.pick([60001, 60002, 60003, 60005, 60010, 60015, 60017, 60018, 60019])), '0.001', r.next() < 0.5);
        if (x < 0.95) return { kind: 'clock', time: t };
        return { kind: 'order.cancel', time: t, account: 'a', clientOrderId: `c${r.int(1, c)}` };
      };
      for (let i = r.int(5, 25); i > 0; i -= 1) {
        const input = command();
        if (input.kind === 'trade' || input.kind === 'clock') market.push(input);
        exporter.handle(input);
      }
      // Every arrival and cancel in, with the latency (no order may be on its way at the export).
      t += 10;
      const settle: KernelInput = { kind: 'clock', time: t };
      market.push(settle);
      exporter.handle(settle);
      expect(exporter.pendingCount()).toBe(0);
      untriggered += exporter.openOrders('a').filter((o) => o.stopPrice !== undefined && !o.triggered).length;
      const twin = Kernel.restore(config, exporter.snapshot());
      t += 1;
      const copy = new Kernel(config);
      for (const m of market) copy.handle(m);
      expect(copy.handle({ kind: 'account.import', time: t, document: exporter.exportAccount('a')!, account: 'a' }).map((e) => e.type)).toContain('ACCOUNT_IMPORTED');
      const restoredCopy = Kernel.restore(config, copy.snapshot());
      const third = new Kernel(config);
      for (const m of market) third.handle(m);
      expect(third.handle({ kind: 'account.import', time: t, document: copy.exportAccount('a')!, account: 'a' }).map((e) => e.type)).toContain('ACCOUNT_IMPORTED');
      const kernels = { exporter, twin, copy, restoredCopy, third };
      for (const k of Object.values(kernels)) k.handle({ kind: 'clock', time: t });
      const n = r.int(5, 25);
      for (let i = 0; i < n + 6; i += 1) {
        let input: KernelInput;
        if (i >= n || r.next() < 0.25) {
          t += 6;
          const bids = i >= n ? i % 2 === 0 : r.next() < 0.5;
          input = print(t, tradeId++, P(bids ? r.pick([60000, 59995]) : r.pick([60020, 60025])), r.pick(['0.002', '0.004', '0.010']), bids);
        } else input = command();
        const expected = lines(exporter.handle(input));
        for (const [name, k] of Object.entries(kernels)) {
          if (k === exporter) continue;
          expect([seed, i, name, lines(k.handle(input))]).toEqual([seed, i, name, expected]);
        }
        compared += expected.length;
      }
      // (c): the copy that never restored and the one restored from its snapshot, byte for byte.
      expect(restoredCopy.snapshot()).toBe(copy.snapshot());
    }
    expect(compared).toBeGreaterThan(1000);
    expect(untriggered).toBeGreaterThan(200);
  });
});

// ---------------------------------------------------------------------------------------------
// Hostile documents
// ---------------------------------------------------------------------------------------------

describe('hostile account documents and Order.imported', () => {
  // The exporter: a stop-limit placed first and a plain order, both arriving at T0 + 5; the print at
  // T0 + 6 releases both, then triggers the stop: the plain order ranks first (claim (d)).
  function exported(): { document: { orders: Record<string, unknown>[] } & Record<string, unknown>; through: KernelInput } {
    const k = spot({ latencyMs: 5 });
    openSpot(k, 'a');
    k.handle(stopLimit(T0, 'a', 'stop', 'BUY', '60005.00', '60000.00'));
    k.handle(limit(T0, 'a', 'plain', 'BUY', '60000.00'));
    expect(lines(k.handle(print(T0 + 6, 1, '60005.00', '0.001', false)))).toEqual(['TRIGGERED stop']);
    k.handle(stopLimit(T0 + 7, 'a', 'untriggered', 'BUY', '60009.00', '60000.00'));
    k.handle({ kind: 'clock', time: T0 + 20 });
    const through = print(T0 + 30, 2, '59990.00', '0.010', true);
    expect(fills(Kernel.restore({ instruments: [SPOT], equityIntervalMs: 0, latencyMs: 5 }, k.snapshot()).handle(through))).toEqual(['FILL plain 0.01@60000']);
    return { document: JSON.parse(k.exportAccount('a')!) as { orders: Record<string, unknown>[] } & Record<string, unknown>, through };
  }
  function importing(document: unknown): { kernel: Kernel; events: KernelEvent[]; before: string } {
    const kernel = spot({ latencyMs: 5 });
    kernel.handle({ kind: 'clock', time: T0 + 20 });
    const before = kernel.snapshot();
    const events = kernel.handle({ kind: 'account.import', time: T0 + 21, document: typeof document === 'string' ? document : JSON.stringify(document), account: 'b' });
    return { kernel, events, before };
  }

  it('imported false, a document in another order: accepted, the exporter\'s priority', () => {
    const { document, through } = exported();
    for (const variant of [
      document,
      { ...document, orders: document.orders.map((o) => ({ ...o, imported: false })) },
      { ...document, orders: [...document.orders].reverse() },
      { ...document, orders: [document.orders[1]!, document.orders[2]!, document.orders[0]!] },
    ]) {
      const { kernel, events } = importing(variant);
      expect(events.map((e) => e.type)).toContain('ACCOUNT_IMPORTED');
      expect(fills(kernel.handle(through))).toEqual(['FILL plain 0.01@60000']);
    }
  });

  it('imported null, 1, 0, "true", "false", [], {}: refused (INVALID_DOCUMENT), nothing changed but the clock', () => {
    const { document } = exported();
    // What any refused import leaves: the same kernel refused a document that is not JSON.
    const reference = importing('not json').kernel.snapshot();
    for (const bad of [null, 1, 0, 'true', 'false', [], {}]) {
      for (const which of [0, 2]) {
        const orders = document.orders.map((o, i) => (i === which ? { ...o, imported: bad } : o));
        const { kernel, events } = importing({ ...document, orders });
        expect(events.map((e) => e.type)).toEqual(['ACCOUNT_REJECTED']);
        expect(JSON.stringify(events[0])).toContain('INVALID_DOCUMENT');
        expect(JSON.stringify(events[0])).toContain(`orders[${which}].imported: must be true or false`);
        expect(kernel.exportAccount('b')).toBeUndefined();
        expect(kernel.snapshot()).toBe(reference);
      }
    }
  });

  it('duplicated order ids: refused, nothing changed', () => {
    const { document } = exported();
    const reference = importing('not json').kernel.snapshot();
    const orders = document.orders.map((o, i) => (i === 1 ? { ...o, id: document.orders[0]!.id } : o));
    const { kernel, events } = importing({ ...document, orders });
    expect(events.map((e) => e.type)).toEqual(['ACCOUNT_REJECTED']);
    expect(JSON.stringify(events[0])).toContain('INVALID_DOCUMENT');
    expect(kernel.snapshot()).toBe(reference);
  });
});

// ---------------------------------------------------------------------------------------------
// cancelAll: the order of the cancels (hand-computed; random against the old walk of the lists)
// ---------------------------------------------------------------------------------------------

describe('cancelAll (account.reset, account.close) cancels in the old order', () => {
  it('earliest arrival first; within one arrival bids by priority, asks, waiting, conditionals (hand-computed)', () => {
    const k = spot({ latencyMs: 5 });
    openSpot(k, 'a');
    openSpot(k, 'o');
    // Arrive at T0 + 5, in one input (the clock below): ids 1..5 in placement order.
    k.handle(stopLimit(T0, 'a', 'cond1', 'SELL', '59950.00', '59940.00'));
    k.handle(limit(T0, 'a', 'bidLow', 'BUY', '59995.00'));
    k.handle(limit(T0, 'a', 'ask', 'SELL', '60030.00'));
    k.handle(limit(T0, 'o', 'other', 'BUY', '60000.00'));
    k.handle(limit(T0, 'a', 'bidHigh', 'BUY', '60000.00'));
    k.handle({ kind: 'clock', time: T0 + 5 });
    // Next arrival, into the waiting list (the book is invalid): w1 then w2.
    k.handle({ kind: 'book.invalidate', time: T0 + 6, symbol: SYMBOL, reason: 'gap' });
    k.handle(limit(T0 + 6, 'a', 'w1', 'BUY', '59990.00'));
    k.handle(limit(T0 + 6, 'a', 'w2', 'SELL', '60035.00'));
    k.handle({ kind: 'clock', time: T0 + 11 });
    // Reset: the T0 + 5 arrival first (bids by priority: bidHigh before bidLow, not by id; then the
    // ask; then the conditional), then the T0 + 11 arrival (the waiting list's order).
    expect(lines(k.handle({ kind: 'account.reset', time: T0 + 12, account: 'a' }))).toEqual([
      'CANCELED bidHigh ACCOUNT_RESET',
      'CANCELED bidLow ACCOUNT_RESET',
      'CANCELED ask ACCOUNT_RESET',
      'CANCELED cond1 ACCOUNT_RESET',
      'CANCELED w1 ACCOUNT_RESET',
      'CANCELED w2 ACCOUNT_RESET',
    ]);
    // The other account keeps its order.
    expect(k.openOrders('o').map((o) => o.clientOrderId)).toEqual(['other']);
  });

  it('a triggered stop-limit at its trigger\'s arrival, behind a plain order the same input released; an OCO list\'s legs in list order', () => {
    const k = spot({ latencyMs: 5 });
    openSpot(k, 'a');
    // Both arrive at T0 + 5 with the print at T0 + 6, which then triggers the stop (seq N): the plain
    // order (seq N) and the triggered stop (seq N) rest in bids at 60,000, plain first; the OCO list
    // placed at T0 + 7 arrives at T0 + 12 (seq M > N): maker leg in asks, stop leg in conditionals.
    k.handle(stopLimit(T0, 'a', 'stop', 'BUY', '60005.00', '60000.00'));
    k.handle(limit(T0, 'a', 'plain', 'BUY', '60000.00'));
    expect(lines(k.handle(print(T0 + 6, 1, '60005.00', '0.001', false)))).toEqual(['TRIGGERED stop']);
    k.handle({
      kind: 'order.list', time: T0 + 7, account: 'a', orders: [
        { symbol: SYMBOL, side: 'SELL', type: 'STOP_LOSS_LIMIT', stopPrice: '59950.00', price: '59940.00', quantity: '0.010', clientOrderId: 'ocoStop', ocoGroup: 'g' },
        { symbol: SYMBOL, side: 'SELL', type: 'LIMIT_MAKER', price: '60030.00', quantity: '0.010', clientOrderId: 'ocoMaker', ocoGroup: 'g' },
      ],
    });
    k.handle({ kind: 'clock', time: T0 + 12 });
    const balances = k.balances('a')!;
    expect(balances['USDT']!.locked).not.toBe('0');
    expect(lines(k.handle({ kind: 'account.close', time: T0 + 13, account: 'a' }))).toEqual([
      'CANCELED plain ACCOUNT_CLOSED',
      'CANCELED stop ACCOUNT_CLOSED',
      'CANCELED ocoMaker ACCOUNT_CLOSED',
      'CANCELED ocoStop ACCOUNT_CLOSED',
    ]);
  });

  /**
   * The old walk, as the oracle: the account's open orders in bids, asks, waiting, conditionals as
   * the market's lists hold them, stably sorted by arrivalSeq (cd2cec8's cancelAll).
   */
  function oldWalk(k: Kernel, account: string): string[] {
    const market = (k as unknown as { s: { markets: Map<string, { bids: { all(): readonly Order[] }; asks: { all(): readonly Order[] }; waiting: Order[]; conditionals: Order[] }> } }).s.markets.get(SYMBOL)!;
    const open = [...market.bids.all(), ...market.asks.all(), ...market.waiting, ...market.conditionals].filter((o) => o.account === account && ['NEW', 'PARTIALLY_FILLED'].includes(o.status));
    return open.sort((a, b) => a.arrivalSeq - b.arrivalSeq).map((o) => o.clientOrderId);
  }

  it('random: resets and closes cancel what the old walk of the lists would, in its order (300 seeds)', () => {
    let checked = 0;
    let nonTrivial = 0;
    for (let seed = 1; seed <= 300; seed += 1) {
      const r = new Rng(seed * 7_919 + 11);
      const usdm = seed % 2 === 0;
      const config: KernelConfig = { instruments: [usdm ? USDM : SPOT], equityIntervalMs: 0, latencyMs: r.pick([0, 0, 5, 20]), ...(r.next() < 0.3 ? { staleAfterMs: 30 } : {}) };
      let k = new Kernel(config);
      let t = T0;
      let upd = 1;
      let tradeId = 1;
      let c = 0;
      const accounts = ['a', 'b'];
      k.handle({ kind: 'book.snapshot', time: t, symbol: SYMBOL, lastUpdateId: upd, bids: [['60000.00', '2'], ['59995.00', '1']], asks: [['60010.00', '2'], ['60015.00', '1']] });
      for (const account of accounts) {
        k.handle(usdm ? { kind: 'account.open', time: t, account, type: 'futures', leverage: 20, balances: { USDT: '100000' } } : { kind: 'account.open', time: t, account, balances: { USDT: '1000000', BTC: '10' } });
      }
      for (let step = 0; step < 60; step += 1) {
        t += r.pick([0, 1, 2, 5, 10, 40]);
        const account = r.pick(accounts);
        const side = r.pick(['BUY', 'SELL'] as const);
        const price = P(side === 'BUY' ? r.pick([60000, 59995, 59990, 60005]) : r.pick([60010, 60015, 60020, 60005]));
        const quantity = r.pick(['0.001', '0.002', '0.005']);
        const cid = `c${++c}`;
        const x = r.next();
        let input: KernelInput;
        if (x < 0.25) input = { kind: 'order.place', time: t, account, symbol: SYMBOL, side, type: r.pick(['LIMIT', 'LIMIT_MAKER'] as const), price, quantity, clientOrderId: cid, ...(r.next() < 0.2 ? { ocoGroup: `g${r.int(0, 1)}` } : {}) };
        else if (x < 0.4) input = { kind: 'order.place', time: t, account, symbol: SYMBOL, side, type: r.pick(['STOP_LOSS_LIMIT', 'TAKE_PROFIT_LIMIT', 'STOP_LOSS'] as const), stopPrice: P(r.pick([59995, 60000, 60005, 60010])), ...(r.next() < 0.8 ? { price } : {}), quantity, clientOrderId: cid, ...(r.next() < 0.3 ? { ocoGroup: `g${r.int(0, 1)}` } : {}) };
        else if (x < 0.45) input = { kind: 'order.place', time: t, account, symbol: SYMBOL, side, type: 'LIMIT', price, quantity, clientOrderId: cid, ocoGroup: `br${cid}`, takeProfit: { stopPrice: P(side === 'BUY' ? 60010 : 59995), price: P(side === 'BUY' ? 60010 : 59995) }, stopLoss: { stopPrice: P(side === 'BUY' ? 59995 : 60010) } };
        else if (x < 0.65) input = print(t, tradeId++, P(r.pick([59990, 59995, 60000, 60005, 60010, 60015, 60020])), r.pick(['0.001', '0.003', '0.010']), r.next() < 0.5);
        else if (x < 0.72) {
          upd += 1;
          input = { kind: 'book.delta', time: t, symbol: SYMBOL, firstUpdateId: upd, finalUpdateId: upd, previousFinalUpdateId: upd - 1, bids: [[P(r.pick([60000, 59995])), String(r.int(0, 3))]], asks: [[P(r.pick([60010, 60015])), String(r.int(0, 3))]] };
        } else if (x < 0.75) input = { kind: 'book.invalidate', time: t, symbol: SYMBOL, reason: 'gap' };
        else if (x < 0.79) {
          upd += 1;
          input = { kind: 'book.snapshot', time: t, symbol: SYMBOL, lastUpdateId: upd, bids: [['60000.00', '2'], ['59995.00', '1']], asks: [['60010.00', '2'], ['60015.00', '1']] };
        } else if (x < 0.83) input = { kind: 'order.cancel', time: t, account, clientOrderId: `c${r.int(1, c)}` };
        else if (x < 0.86) {
          k = Kernel.restore(config, k.snapshot());
          continue;
        } else if (x < 0.9) {
          // An import of a copy: its orders join the same lists.
          const document = k.exportAccount(account);
          const as = `i${step}`;
          if (document !== undefined && k.handle({ kind: 'account.import', time: t, document, account: as }).some((e) => e.type === 'ACCOUNT_IMPORTED')) accounts.push(as);
          continue;
        } else if (x < 0.94) input = { kind: 'clock', time: t + r.int(0, 40) };
        else {
          // The end of an account: first what its pending arrivals bring, then the walk as the oracle.
          k.handle({ kind: 'clock', time: t });
          const expected = oldWalk(k, account);
          const close = r.next() < 0.3;
          const events = k.handle(close ? { kind: 'account.close', time: t, account } : { kind: 'account.reset', time: t, account });
          const canceled = events.flatMap((e) => (e.type === 'ORDER_CANCELED' ? [e.clientOrderId] : []));
          expect([seed, step, canceled]).toEqual([seed, step, expected]);
          expect(k.openOrders(account) ?? []).toEqual([]);
          checked += 1;
          if (expected.length >= 3) nonTrivial += 1;
          if (close) accounts.splice(accounts.indexOf(account), 1, `r${step}`);
          if (close) k.handle(usdm ? { kind: 'account.open', time: t, account: `r${step}`, type: 'futures', leverage: 20, balances: { USDT: '100000' } } : { kind: 'account.open', time: t, account: `r${step}`, balances: { USDT: '1000000', BTC: '10' } });
          continue;
        }
        k.handle(input);
      }
    }
    expect(checked).toBeGreaterThan(500);
    expect(nonTrivial).toBeGreaterThan(100);
  });
});
