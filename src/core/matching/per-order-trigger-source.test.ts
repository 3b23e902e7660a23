import { describe, expect, it } from 'vitest';
import { findBundledInstrument } from '../instruments/bundled-instruments.js';
import type { FillEvent, KernelEvent, OrderNewEvent } from '../kernel/events.js';
import { Kernel } from '../kernel/kernel.js';
import type { KernelConfig } from '../kernel/kernel-state.js';

const symbol = 'BTCUSDT';
const PERP = findBundledInstrument('binance', 'perpetual', symbol)!;
const SPOT = findBundledInstrument('binance', 'spot', symbol)!;
const types = (events: readonly KernelEvent[]) => events.filter((e) => e.type !== 'EQUITY').map((e) => e.type);
const fillsOf = (events: readonly KernelEvent[]) =>
  events.filter((e): e is FillEvent => e.type === 'FILL').map((f) => [f.clientOrderId, f.price, f.quantity] as const);
/** Each refusal's code and the words in its message's brackets ("Invalid parameter (…)"). */
const rejected = (events: readonly KernelEvent[]) => events.flatMap((e) => (e.type === 'ORDER_REJECTED' ? [[e.code, /\((.*)\)$/.exec(e.message)?.[1] ?? e.message]] : []));

/**
 * Each conditional order watches its own price stream (ADR 0066): a 'mark' order the mark price
 * (Binance workingType MARK_PRICE), a 'last' order the prints (CONTRACT_PRICE), in one market
 * whose marks and prints move apart. The book: bids 59,890.0 × 5, asks 60,010.0 × 5, so the
 * prints below stay inside the spread and a triggered market sell fills at 59,890.0.
 */
describe('a conditional order triggers on its own price stream only', () => {
  const config: KernelConfig = { instruments: [PERP], equityIntervalMs: 0 };

  function kernel(options: Partial<KernelConfig> = {}): Kernel {
    const k = new Kernel({ ...config, ...options });
    k.handle({ kind: 'book.snapshot', time: 1_000, symbol, lastUpdateId: 10, bids: [['59890.0', '5']], asks: [['60010.0', '5']] });
    k.handle({ kind: 'account.open', time: 1_000, account: 'a', type: 'futures', balances: { USDT: '100000' }, leverage: 10 });
    k.handle({ kind: 'mark', time: 1_000, symbol, price: '59990.0' });
    k.handle({ kind: 'trade', tradeId: 1, time: 1_000, symbol, price: '59990.0', quantity: '0.1', buyerMaker: true });
    k.handle({ kind: 'clock', time: 1_100 });
    return k;
  }

  /** A sell stop at 59,920.0 on the mark, and one at 59,950.0 on the prints (the kernel's default, 'last'). */
  function placeBoth(k: Kernel): readonly KernelEvent[] {
    return [
      ...k.handle({ kind: 'order.place', time: 1_100, account: 'a', symbol, side: 'SELL', type: 'STOP_LOSS', quantity: '0.5', stopPrice: '59920.0', triggerSource: 'mark', clientOrderId: 'markStop' }),
      ...k.handle({ kind: 'order.place', time: 1_100, account: 'a', symbol, side: 'SELL', type: 'STOP_LOSS', quantity: '0.3', stopPrice: '59950.0', clientOrderId: 'lastStop' }),
    ];
  }

  it('by hand: a mark of 59,930.0 passes the print stop (59,950.0); a print of 59,910.0 triggers it alone; a mark of 59,915.0 then the mark stop', () => {
    const k = kernel();
    const placed = placeBoth(k);
    expect(types(placed)).toEqual(['ORDER_NEW', 'ORDER_NEW']);
    // The order event says which stream the order watches; the default one stays unstated.
    expect(placed.filter((e): e is OrderNewEvent => e.type === 'ORDER_NEW').map((e) => e.triggerSource)).toEqual(['mark', undefined]);
    // Mark 59,930.0 ≤ 59,950.0 but the print stop does not watch the mark; > 59,920.0: the mark stop waits.
    expect(types(k.handle({ kind: 'mark', time: 1_200, symbol, price: '59930.0' }))).toEqual([]);
    // Print 59,910.0 ≤ 59,950.0: the print stop triggers; ≤ 59,920.0 too, but the mark stop watches the mark (59,930.0).
    const print = k.handle({ kind: 'trade', tradeId: 2, time: 1_300, symbol, price: '59910.0', quantity: '0.1', buyerMaker: true });
    expect(types(print)).toEqual(['ORDER_TRIGGERED', 'FILL', 'POSITION_OPENED']);
    expect(fillsOf(print)).toEqual([['lastStop', '59890', '0.3']]);
    expect(k.openOrders('a').map((o) => [o.clientOrderId, o.triggered])).toEqual([['markStop', false]]);
    // Mark 59,915.0 ≤ 59,920.0: the mark stop triggers, a market sell of 0.5 on the 4.7 left at 59,890.0.
    const mark = k.handle({ kind: 'mark', time: 1_400, symbol, price: '59915.0' });
    expect(types(mark)).toEqual(['ORDER_TRIGGERED', 'FILL', 'POSITION_UPDATED']);
    expect(fillsOf(mark)).toEqual([['markStop', '59890', '0.5']]);
    expect(mark.find((e) => e.type === 'ORDER_TRIGGERED')).toMatchObject({ clientOrderId: 'markStop', stopPrice: '59920', triggerPrice: '59915' });
  });

  it('by hand: restored from a snapshot taken between the two, the mark stop still watches the mark', () => {
    const k = kernel();
    placeBoth(k);
    k.handle({ kind: 'trade', tradeId: 3, time: 1_300, symbol, price: '59910.0', quantity: '0.1', buyerMaker: true });
    const restored = Kernel.restore(config, k.snapshot());
    // A print of 59,900.0 ≤ 59,920.0 does not trigger it: prints are not its stream.
    expect(types(restored.handle({ kind: 'trade', tradeId: 4, time: 1_350, symbol, price: '59900.0', quantity: '0.1', buyerMaker: true }))).toEqual([]);
    const mark = restored.handle({ kind: 'mark', time: 1_400, symbol, price: '59915.0' });
    expect(fillsOf(mark)).toEqual([['markStop', '59890', '0.5']]);
  });

  it('by hand: with no mark input the book mid stands for the mark: a mid of 59,945.0 passes the print stop and a mid of 59,915.0 triggers the mark stop', () => {
    const k = new Kernel(config);
    k.handle({ kind: 'book.snapshot', time: 1_000, symbol, lastUpdateId: 10, bids: [['59890.0', '5']], asks: [['60090.0', '5']] });
    k.handle({ kind: 'account.open', time: 1_000, account: 'a', type: 'futures', balances: { USDT: '100000' }, leverage: 10 });
    k.handle({ kind: 'trade', tradeId: 5, time: 1_000, symbol, price: '59990.0', quantity: '0.1', buyerMaker: true });
    k.handle({ kind: 'clock', time: 1_100 });
    // Mid (59,890.0 + 60,090.0) / 2 = 59,990.0.
    placeBoth(k);
    // Asks 60,000.0: mid (59,890.0 + 60,000.0) / 2 = 59,945.0 ≤ 59,950.0, but the print stop watches prints.
    expect(types(k.handle({ kind: 'book.delta', time: 1_200, symbol, firstUpdateId: 11, finalUpdateId: 11, previousFinalUpdateId: 10, bids: [], asks: [['60090.0', '0'], ['60000.0', '5']] }))).toEqual([]);
    // Asks 59,940.0: mid (59,890.0 + 59,940.0) / 2 = 59,915.0 ≤ 59,920.0: the mark stop fills at the bid.
    const events = k.handle({ kind: 'book.delta', time: 1_300, symbol, firstUpdateId: 12, finalUpdateId: 12, previousFinalUpdateId: 11, bids: [], asks: [['60000.0', '0'], ['59940.0', '5']] });
    expect(fillsOf(events)).toEqual([['markStop', '59890', '0.5']]);
    expect(k.openOrders('a').map((o) => o.clientOrderId)).toEqual(['lastStop']);
  });

  it('by hand: in a kernel set to the mark, an order asking for the last price watches the prints', () => {
    const k = kernel({ triggerSource: 'mark' });
    const placed = k.handle({ kind: 'order.place', time: 1_100, account: 'a', symbol, side: 'SELL', type: 'STOP_LOSS', quantity: '0.3', stopPrice: '59950.0', triggerSource: 'last', clientOrderId: 'lastStop' });
    expect(placed.find((e) => e.type === 'ORDER_NEW')).toMatchObject({ triggerSource: 'last' });
    expect(types(k.handle({ kind: 'mark', time: 1_200, symbol, price: '59930.0' }))).toEqual([]);
    expect(fillsOf(k.handle({ kind: 'trade', tradeId: 6, time: 1_300, symbol, price: '59940.0', quantity: '0.1', buyerMaker: true }))).toEqual([['lastStop', '59890', '0.3']]);
  });

  it('a mark stop is refused when the mark has passed its trigger already, a print stop by the last price', () => {
    const k = kernel();
    // Mark 59,990.0 ≤ 59,995.0: a sell stop there would trigger at once on the mark (-2021 on Binance); the last price is also 59,990.0.
    const mark = k.handle({ kind: 'order.place', time: 1_100, account: 'a', symbol, side: 'SELL', type: 'STOP_LOSS', quantity: '0.1', stopPrice: '59995.0', triggerSource: 'mark' });
    expect(rejected(mark).map(([code]) => code)).toEqual(['WOULD_TRIGGER_IMMEDIATELY']);
    k.handle({ kind: 'mark', time: 1_150, symbol, price: '60005.0' });
    // Mark 60,005.0 above it now: the mark stop is taken, while the last price (59,990.0) still refuses a print stop.
    expect(types(k.handle({ kind: 'order.place', time: 1_150, account: 'a', symbol, side: 'SELL', type: 'STOP_LOSS', quantity: '0.1', stopPrice: '59995.0', triggerSource: 'mark' }))).toEqual(['ORDER_NEW']);
    expect(rejected(k.handle({ kind: 'order.place', time: 1_150, account: 'a', symbol, side: 'SELL', type: 'STOP_LOSS', quantity: '0.1', stopPrice: '59995.0', triggerSource: 'last' })).map(([code]) => code)).toEqual(['WOULD_TRIGGER_IMMEDIATELY']);
  });

  it('refuses a trigger source on an order that does not trigger, one it does not know, and the mark on spot', () => {
    const k = kernel();
    const limit = k.handle({ kind: 'order.place', time: 1_100, account: 'a', symbol, side: 'BUY', type: 'LIMIT', quantity: '0.1', price: '59000.0', triggerSource: 'mark' });
    expect(rejected(limit)).toEqual([['INVALID_ORDER', 'a LIMIT order has no trigger: triggerSource applies to conditional orders']]);
    const unknown = k.handle({ kind: 'order.place', time: 1_100, account: 'a', symbol, side: 'SELL', type: 'STOP_LOSS', quantity: '0.1', stopPrice: '59000.0', triggerSource: 'index' as never });
    expect(rejected(unknown)).toEqual([['INVALID_ORDER', 'triggerSource must be last or mark, got "index"']]);
    const spot = new Kernel({ instruments: [SPOT], equityIntervalMs: 0 });
    spot.handle({ kind: 'book.snapshot', time: 1_000, symbol, lastUpdateId: 10, bids: [['59890.00', '5']], asks: [['60010.00', '5']] });
    spot.handle({ kind: 'account.open', time: 1_000, account: 's', balances: { BTC: '1' } });
    const onSpot = spot.handle({ kind: 'order.place', time: 1_000, account: 's', symbol, side: 'SELL', type: 'STOP_LOSS', quantity: '0.1', stopPrice: '59000.00', triggerSource: 'mark' });
    expect(rejected(onSpot)).toEqual([['INVALID_ORDER', 'spot orders trigger on the last price: triggerSource mark applies to perpetuals']]);
  });

  it('by hand: an account document carries the mark stop to another engine, where it still watches the mark', () => {
    const k = kernel();
    placeBoth(k);
    const copy = kernel();
    copy.handle({ kind: 'account.import', time: 1_200, document: k.exportAccount('a')!, account: 'b' });
    // Print 59,910.0: the print stop (59,950.0) triggers; the mark stop (59,920.0) does not watch prints.
    expect(fillsOf(copy.handle({ kind: 'trade', tradeId: 7, time: 1_300, symbol, price: '59910.0', quantity: '0.1', buyerMaker: true }))).toEqual([['lastStop', '59890', '0.3']]);
    expect(fillsOf(copy.handle({ kind: 'mark', time: 1_400, symbol, price: '59915.0' }))).toEqual([['markStop', '59890', '0.5']]);
  });
  it('by hand: a bracket exit on the mark triggers on the mark, its take-profit on the prints', () => {
    const k = kernel();
    // A market buy of 0.4 fills at the ask 60,010.0; its exits: a take-profit at 60,100.0 on the prints, a stop-loss at 59,920.0 on the mark.
    const entry = k.handle({
      kind: 'order.place', time: 1_100, account: 'a', symbol, side: 'BUY', type: 'MARKET', quantity: '0.4', clientOrderId: 'entry', ocoGroup: 'b',
      takeProfit: { stopPrice: '60100.0' }, stopLoss: { stopPrice: '59920.0', triggerSource: 'mark' },
    });
    expect(fillsOf(entry)).toEqual([['entry', '60010', '0.4']]);
    expect(k.openOrders('a').map((o) => [o.type, o.triggerSource])).toEqual([['TAKE_PROFIT', undefined], ['STOP_LOSS', 'mark']]);
    // Print 59,910.0 ≤ 59,920.0: the stop-loss does not watch prints.
    expect(types(k.handle({ kind: 'trade', tradeId: 20, time: 1_200, symbol, price: '59910.0', quantity: '0.1', buyerMaker: true }))).toEqual([]);
    // Mark 59,915.0 ≤ 59,920.0: it triggers and sells 0.4 at the bid 59,890.0; the take-profit is cancelled with it (OCO).
    const mark = k.handle({ kind: 'mark', time: 1_300, symbol, price: '59915.0' });
    expect(fillsOf(mark)).toEqual([['b-sl', '59890', '0.4']]);
    expect(k.openOrders('a')).toEqual([]);
  });

  it('refuses an exit leg whose trigger source it does not know', () => {
    const k = kernel();
    const bad = k.handle({ kind: 'order.place', time: 1_100, account: 'a', symbol, side: 'BUY', type: 'MARKET', quantity: '0.1', ocoGroup: 'b', stopLoss: { stopPrice: '59000.0', triggerSource: 'index' as never } });
    expect(rejected(bad)).toEqual([['INVALID_ORDER', 'stopLoss.triggerSource must be last or mark, got "index"']]);
  });
});
