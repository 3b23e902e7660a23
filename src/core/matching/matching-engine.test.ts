import { describe, expect, it } from 'vitest';
import { formatFixed, mul, parseFixed, type Fixed } from '../money/fixed.js';
import type { FillEvent, KernelEvent } from '../kernel/events.js';
import type { PlaceOrderInput } from '../kernel/inputs.js';
import { BUNDLED_RECORDING } from '../../test-kit/data-paths.js';
import { loadRecording, RecordingStepper } from '../../test-kit/recording-stepper.js';

const T0 = 1723161300000; // 2024-08-08 23:55:00 UTC, inside the recording
const RICH = { USDT: '100000000', BTC: '1000' };

const fills = (events: readonly KernelEvent[], clientOrderId?: string): FillEvent[] =>
  events.filter((e): e is FillEvent => e.type === 'FILL' && (clientOrderId === undefined || e.clientOrderId === clientOrderId));

function stepperAt(time: number, options: ConstructorParameters<typeof RecordingStepper>[1] = {}) {
  const s = new RecordingStepper(loadRecording(BUNDLED_RECORDING), options);
  s.advanceTo(time);
  return s;
}

function place(s: RecordingStepper, order: Omit<PlaceOrderInput, 'kind' | 'time' | 'symbol'> & { time?: number }) {
  return s.handle({ kind: 'order.place', time: order.time ?? s.kernel.now, symbol: s.symbol, ...order });
}

/** Walks displayed ask levels the way a taker would: [price, qty] per level until `qty` is met. */
function depthWalk(levels: readonly [string, string][], qty: Fixed): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  let left = qty;
  for (const [price, size] of levels) {
    if (left === 0n) break;
    const take = parseFixed(size) < left ? parseFixed(size) : left;
    out.push([price, formatFixed(take)]);
    left -= take;
  }
  return out;
}

describe('market orders on the real book', () => {
  it("fill level by level exactly as a depth walk of the book at the order's arrival", () => {
    const s = stepperAt(T0);
    s.open('a', RICH);
    const book = s.kernel.depth(s.symbol, 50)!;
    const events = place(s, { account: 'a', side: 'BUY', type: 'MARKET', quantity: '3.5', clientOrderId: 'm1' });
    const got = fills(events, 'm1').map((f) => [f.price, f.quantity]);
    const expected = depthWalk(book.asks.map(([p, q]) => [formatFixed(parseFixed(p)), q]), parseFixed('3.5'));
    expect(expected.length).toBeGreaterThan(1);
    expect(got).toEqual(expected);
    expect(fills(events, 'm1').every((f) => f.liquidity === 'TAKER')).toBe(true);
    expect(fills(events, 'm1').at(-1)!.status).toBe('FILLED');
  });

  it('fills partially when larger than the whole book, and the rest expires', () => {
    const s = stepperAt(T0, { instrument: { maxMarketQty: parseFixed('100000'), maxQty: parseFixed('100000') } });
    s.open('a', { USDT: '100000000000' });
    const book = s.kernel.depth(s.symbol, 100_000)!;
    // Orders trade in whole steps: a level's size below one step (Binance shows a few) cannot be taken.
    const step = parseFixed('0.00001');
    const takeable = book.asks.map(([, q]) => (parseFixed(q) / step) * step).filter((q) => q > 0n);
    const total = takeable.reduce((sum, q) => sum + q, 0n);
    const events = place(s, { account: 'a', side: 'BUY', type: 'MARKET', quantity: '50000', clientOrderId: 'big' });
    const taken = fills(events, 'big').reduce((sum, f) => sum + parseFixed(f.quantity), 0n);
    expect(taken).toBe(total);
    expect(fills(events, 'big').length).toBe(takeable.length);
    const expired = events.find((e) => e.type === 'ORDER_EXPIRED');
    expect(expired).toMatchObject({ status: 'PARTIALLY_CANCELED', executedQty: formatFixed(total), reason: 'DEPTH_EXHAUSTED' });
    s.kernel.checkInvariants();
  });

  it('two market orders at the same instant never use the same liquidity', () => {
    const s = stepperAt(T0);
    s.open('a', RICH);
    s.open('b', RICH);
    const displayed = new Map(s.kernel.depth(s.symbol, 200)!.asks.map(([p, q]) => [formatFixed(parseFixed(p)), parseFixed(q)]));
    const first = fills(place(s, { account: 'a', side: 'BUY', type: 'MARKET', quantity: '2', clientOrderId: 'x' }));
    const second = fills(place(s, { account: 'b', side: 'BUY', type: 'MARKET', quantity: '2', clientOrderId: 'y' }));
    const used = new Map<string, Fixed>();
    for (const f of [...first, ...second]) used.set(f.price, (used.get(f.price) ?? 0n) + parseFixed(f.quantity));
    for (const [price, qty] of used) expect(qty <= displayed.get(price)!, `level ${price}`).toBe(true);
    // The second order starts where the first one stopped: it pays at least the first one's worst price.
    expect(parseFixed(second[0]!.price) >= parseFixed(first.at(-1)!.price)).toBe(true);
    const bothWalk = depthWalk([...displayed].map(([p, q]) => [p, formatFixed(q)]), parseFixed('4'));
    const merged = new Map<string, Fixed>();
    for (const [p, q] of bothWalk) merged.set(p, parseFixed(q));
    expect(used).toEqual(merged);
  });

  it('taken liquidity comes back only as the exchange shows more than was left, or real trades consume it', () => {
    const s = stepperAt(T0);
    s.open('a', RICH);
    const bestAsk = s.kernel.depth(s.symbol, 1)!.asks[0]!;
    const size = parseFixed(bestAsk[1]);
    place(s, { account: 'a', side: 'BUY', type: 'IMMEDIATE_OR_CANCEL', quantity: formatFixed(size), price: bestAsk[0], clientOrderId: 'i1' });
    const again = place(s, { account: 'a', side: 'BUY', type: 'IMMEDIATE_OR_CANCEL', quantity: formatFixed(size), price: bestAsk[0], clientOrderId: 'i2' });
    expect(fills(again, 'i2')).toEqual([]);
    // Step until a delta names that price on the ask side, counting what buyers printed there meanwhile.
    const price = parseFixed(bestAsk[0]);
    let traded = 0n;
    let through = false;
    for (;;) {
      const { input } = s.step()!;
      if (input.kind === 'trade' && !input.buyerMaker) {
        if (parseFixed(input.price) === price) traded += parseFixed(input.quantity);
        if (parseFixed(input.price) > price) through = true;
      }
      if (input.kind === 'book.delta' && input.asks.some(([p]) => parseFixed(p) === price)) break;
    }
    const stated = parseFixed(s.kernel.depth(s.symbol, 1000)!.asks.find(([p]) => parseFixed(p) === price)?.[1] ?? '0');
    // What paper took stays taken, less what real buyers took at that price since, never more than is shown.
    const claim = through ? 0n : size > traded ? size - traded : 0n;
    const free = stated - (claim < stated ? claim : stated);
    const third = place(s, { account: 'a', side: 'BUY', type: 'IMMEDIATE_OR_CANCEL', quantity: formatFixed(size), price: bestAsk[0], clientOrderId: 'i3' });
    expect(fills(third, 'i3').reduce((sum, f) => sum + parseFixed(f.quantity), 0n)).toBe(free);
  });
});

describe('order types', () => {
  it("rejects a LIMIT_MAKER that would take, with MEXC's error, and changes nothing", () => {
    const s = stepperAt(T0);
    s.open('a', RICH);
    const before = s.kernel.balances('a');
    const ask = s.kernel.depth(s.symbol, 1)!.asks[0]![0];
    const events = place(s, { account: 'a', side: 'BUY', type: 'LIMIT_MAKER', quantity: '0.1', price: ask, clientOrderId: 'pm' });
    expect(events).toEqual([
      expect.objectContaining({ type: 'ORDER_REJECTED', status: 'REJECTED', code: 'WOULD_TAKE', mexcCode: 30010, clientOrderId: 'pm' }),
    ]);
    expect(s.kernel.balances('a')).toEqual(before);
    expect(s.kernel.openOrders('a')).toEqual([]);
  });

  it('a FILL_OR_KILL that cannot fill changes nothing: balances, orders and the liquidity left', () => {
    const twin = (withFok: boolean) => {
      const s = stepperAt(T0);
      s.open('a', RICH);
      const book = s.kernel.depth(s.symbol, 5)!;
      const available = book.asks.slice(0, 3).reduce((sum, [, q]) => sum + parseFixed(q), 0n);
      const before = s.kernel.balances('a');
      if (withFok) {
        const events = place(s, { account: 'a', side: 'BUY', type: 'FILL_OR_KILL', quantity: formatFixed(available + parseFixed('0.00001')), price: book.asks[2]![0], clientOrderId: 'fok' });
        expect(events.map((e) => e.type)).toEqual(['ORDER_NEW', 'ORDER_EXPIRED']);
        expect(events[1]).toMatchObject({ status: 'EXPIRED', executedQty: '0' });
        expect(s.kernel.balances('a')).toEqual(before);
      }
      return fills(place(s, { account: 'a', side: 'BUY', type: 'MARKET', quantity: '1', clientOrderId: 'after' })).map((f) => [f.price, f.quantity]);
    };
    expect(twin(true)).toEqual(twin(false));
  });

  it('IMMEDIATE_OR_CANCEL takes what crosses its price and expires the rest', () => {
    const s = stepperAt(T0);
    s.open('a', RICH);
    const bid = s.kernel.depth(s.symbol, 1)!.bids[0]!;
    const qty = parseFixed(bid[1]) + parseFixed('5');
    const events = place(s, { account: 'a', side: 'SELL', type: 'IMMEDIATE_OR_CANCEL', quantity: formatFixed(qty), price: bid[0], clientOrderId: 'ioc' });
    expect(fills(events, 'ioc').map((f) => [f.price, f.quantity])).toEqual([[formatFixed(parseFixed(bid[0])), formatFixed(parseFixed(bid[1]))]]);
    expect(events.filter((e) => e.type !== 'EQUITY').at(-1)).toMatchObject({ type: 'ORDER_EXPIRED', status: 'PARTIALLY_CANCELED' });
    expect(s.kernel.balances('a')!.BTC!.locked).toBe('0');
  });

  it('rejects what breaks the exchange rules with its codes, and changes nothing', () => {
    const s = stepperAt(T0);
    s.open('a', { USDT: '100', BTC: '0' });
    const cases: Array<[Omit<PlaceOrderInput, 'kind' | 'time' | 'symbol' | 'account'>, string, number]> = [
      [{ side: 'BUY', type: 'LIMIT', quantity: '0.001', price: '61000.005' }, 'INVALID_PRICE', 30010],
      [{ side: 'BUY', type: 'LIMIT', quantity: '0.000015', price: '61000.00' }, 'INVALID_QUANTITY', 10096],
      [{ side: 'BUY', type: 'LIMIT', quantity: '0.0001', price: '61000.00' }, 'MIN_NOTIONAL', 30002],
      [{ side: 'BUY', type: 'LIMIT', quantity: '0.01', price: '61000.00' }, 'INSUFFICIENT_BALANCE', 10101],
      [{ side: 'SELL', type: 'MARKET', quantity: '0.01' }, 'INSUFFICIENT_BALANCE', 10101],
      [{ side: 'BUY', type: 'MARKET', quantity: '0.01' }, 'INSUFFICIENT_BALANCE', 10101],
      [{ side: 'BUY', type: 'LIMIT', quantity: '0.01' }, 'INVALID_ORDER', 700004],
    ];
    for (const [order, code, mexcCode] of cases) {
      const events = place(s, { account: 'a', ...order });
      expect(events, JSON.stringify(order)).toEqual([expect.objectContaining({ type: 'ORDER_REJECTED', code, mexcCode })]);
    }
    expect(s.kernel.balances('a')).toEqual({ BTC: { free: '0', locked: '0' }, USDT: { free: '100', locked: '0' } });
    expect(s.kernel.orders('a')).toEqual([]);
  });
});

describe('spot accounting', () => {
  it('locks what an order may spend, releases price improvement at once, and a cancel releases exactly what is left', () => {
    const s = stepperAt(T0);
    s.open('a', { USDT: '100000' });
    const [first, second] = s.kernel.depth(s.symbol, 2)!.asks as [[string, string], [string, string]];
    const limit = second[0];
    const qty = parseFixed(first[1]) + parseFixed(second[1]) + parseFixed('0.5');
    const events = place(s, { account: 'a', side: 'BUY', type: 'LIMIT', quantity: formatFixed(qty), price: limit, clientOrderId: 'l' });
    const taken = fills(events, 'l');
    const executed = taken.reduce((sum, f) => sum + parseFixed(f.quantity), 0n);
    expect(taken.map((f) => f.price)).toEqual([first[0], second[0]]);
    const spent = taken.reduce((sum, f) => sum + parseFixed(f.quoteQuantity), 0n);
    const order = s.kernel.openOrders('a')[0]!;
    const restLock = mul(parseFixed(limit), qty - executed);
    expect(s.kernel.balances('a')!.USDT).toEqual({ free: formatFixed(parseFixed('100000') - spent - restLock), locked: formatFixed(restLock) });
    s.handle({ kind: 'order.cancel', time: s.kernel.now, account: 'a', clientOrderId: 'l' });
    expect(s.kernel.balances('a')!.USDT).toEqual({ free: formatFixed(parseFixed('100000') - spent), locked: '0' });
    expect(order.status).toBe('PARTIALLY_CANCELED');
  });

  it('charges fees in the asset received, rounded up to the commission precision', () => {
    const s = stepperAt(T0);
    s.open('a', RICH);
    const [buy] = fills(place(s, { account: 'a', side: 'BUY', type: 'MARKET', quantity: '0.00123', clientOrderId: 'fb' }));
    expect(buy).toMatchObject({ feeAsset: 'BTC', fee: '0.00000123' });
    const [sell] = fills(place(s, { account: 'a', side: 'SELL', type: 'MARKET', quantity: '0.00123', clientOrderId: 'fs' }));
    const notional = parseFixed(sell!.quoteQuantity);
    const fee = parseFixed(sell!.fee);
    expect(sell!.feeAsset).toBe('USDT');
    expect(fee * 1000n >= notional && (fee - parseFixed('0.00000001')) * 1000n < notional).toBe(true);
  });

  it('cancelling another account\'s order is refused as unknown and leaves the order alone', () => {
    const s = stepperAt(T0);
    s.open('a', RICH);
    s.open('b', RICH);
    place(s, { account: 'a', side: 'BUY', type: 'LIMIT', quantity: '0.01', price: '60000.00', clientOrderId: 'mine' });
    const id = s.kernel.openOrders('a')[0]!.id;
    const events = s.handle({ kind: 'order.cancel', time: s.kernel.now, account: 'b', orderId: id });
    expect(events).toEqual([expect.objectContaining({ type: 'CANCEL_REJECTED', code: 'UNKNOWN_ORDER', mexcCode: -2011 })]);
    expect(s.kernel.openOrders('a').length).toBe(1);
  });
});

describe('latency', () => {
  it('an order reaches the venue after the latency, on the book of that moment', () => {
    const s = stepperAt(T0, { latencyMs: 250 });
    s.open('a', RICH);
    const submitted = s.kernel.now;
    const events = place(s, { account: 'a', side: 'BUY', type: 'MARKET', quantity: '0.01', clientOrderId: 'late' });
    expect(events).toEqual([]);
    expect(s.kernel.pendingCount()).toBe(1);
    let arrival: KernelEvent[] = [];
    while (arrival.length === 0) arrival = s.step()!.events.filter((e) => 'clientOrderId' in e && e.clientOrderId === 'late');
    expect(arrival[0]).toMatchObject({ type: 'ORDER_NEW', at: submitted + 250 });
    expect(s.kernel.now).toBeGreaterThan(submitted + 250);
  });
});
