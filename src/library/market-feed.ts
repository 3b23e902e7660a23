/**
 * Turns prices into kernel market inputs: each price is a one-level book around it (bid = price −
 * tick, ask = price + tick) and a trade at it, deep enough (`depth`) never to run out. This is how
 * `updatePrices` and candle replays move the kernel's market; fills then follow the kernel's own
 * rules (market orders walk the book, resting orders fill on trades, conditionals trigger on the
 * trade). Candle bars are walked along the conservative path of strategy/candle-path.ts.
 * A price's book and trade are one move: whoever reacts to what fills on it (the trade manager
 * placing exits) does so once both are applied, at that price's last trade, book and mark.
 * Cost: two kernel inputs per price; a bar is 4 prices plus one per order price on the way; each
 * step of a walk looks at the open orders only (an index kept from ORDER_NEW / FILL / CANCELED events).
 * With `barInputs` a candle is instead one `bar` input (ADR 0042), plus one per pause after a fill.
 */
import type { KernelEvent } from '../core/kernel/events.js';
import type { BarInput, KernelInput } from '../core/kernel/inputs.js';
import type { Kernel } from '../core/kernel/kernel.js';
import { formatFixed, parseFixed, type Fixed } from '../core/money/fixed.js';
import { isConditional } from '../core/orders/order.js';
import { isOpenStatus } from '../core/orders/order-status.js';
import { nextStop, orderTouchPrice } from '../strategy/candle-path.js';
import type { Candle, CandleValues } from '../strategy/candles.js';
import { BAR_VALUES, type BarValues } from '../core/kernel/bar-input.js';

export class MarketFeed {
  private updateId = 0;
  private tradeId = 0;
  private readonly last = new Map<string, Fixed>();
  /** Open orders by id → symbol, in placement order. */
  private readonly open = new Map<string, string>();

  constructor(
    private readonly kernel: () => Kernel,
    /** Inputs handed over together (`next`: a price's trade after its book) are one move of the market: reactions to their events come after the last. */
    private readonly submit: (input: KernelInput, next?: KernelInput) => KernelEvent[],
    private readonly depth = '1000000',
    /** Candles go to the kernel as one `bar` input each (ADR 0042), not as a walk of prices. */
    readonly barInputs = false,
  ) {}

  exportState(): { updateId: number; tradeId: number; last: [string, Fixed][] } {
    return { updateId: this.updateId, tradeId: this.tradeId, last: [...this.last] };
  }

  importState(state: { updateId: number; tradeId: number; last: [string, Fixed][] }): void {
    this.updateId = state.updateId;
    this.tradeId = state.tradeId;
    this.last.clear();
    for (const [symbol, price] of state.last) this.last.set(symbol, price);
  }

  lastPrice(symbol: string): Fixed | undefined {
    return this.last.get(symbol);
  }

  /** Keeps the index of open orders (id → symbol) the path must stop at, from the kernel's events. */
  track(events: readonly KernelEvent[]): void {
    if (this.barInputs) return; // only the walk stops at order prices; a bar input finds them in the kernel
    for (const event of events) {
      if (event.type === 'ORDER_NEW') this.open.set(event.orderId, event.symbol);
      else if (event.type === 'FILL' || event.type === 'ORDER_CANCELED' || event.type === 'ORDER_EXPIRED') {
        const order = this.kernel().order(event.orderId);
        if (order === undefined || !isOpenStatus(order.status)) this.open.delete(event.orderId);
      }
    }
  }

  /** Rebuilds the open-order index from the kernel (after a restore). */
  rebuild(): void {
    this.open.clear();
    const kernel = this.kernel();
    for (const account of kernel.accountIds()) for (const order of kernel.openOrders(account)) this.open.set(order.id, order.symbol);
  }

  /** A price seen elsewhere (a recorded trade): the reference for manual positions. */
  observe(symbol: string, price: Fixed): void {
    this.last.set(symbol, price);
  }

  /** The market is at `price` now. */
  price(symbol: string, price: Fixed, time: number): void {
    const instrument = this.kernel().instrument(symbol);
    if (instrument === undefined) throw new Error(`unknown symbol ${symbol}`);
    const tick = instrument.tickSize;
    const previous = this.last.get(symbol);
    this.last.set(symbol, price);
    const bid = price - tick > 0n ? price - tick : price;
    this.updateId += 1;
    this.tradeId += 1;
    // The book first (what the trade triggers executes on the new quote), then the print; one move:
    // an entry the new book fills gets its exits once the print and the mark are at the price too.
    this.submit(
      { kind: 'book.snapshot', time, symbol, lastUpdateId: this.updateId, bids: [[formatFixed(bid), this.depth]], asks: [[formatFixed(price + tick), this.depth]] },
      { kind: 'trade', time, symbol, tradeId: this.tradeId, price: formatFixed(price), quantity: this.depth, buyerMaker: previous !== undefined && price < previous },
    );
  }

  /**
   * One candle as one `bar` input (ADR 0042). The bar pauses after each step of its path that
   * filled or triggered an order, so that whoever reacts to fills (the trade manager) places its
   * orders before the path goes on, as between two prices of a walk; `highFirst` is asked at the
   * start and again when the bar paused at its open (`atOpen`: what the open filled may change
   * the exposure, and the caller may send orders there, at the open's quote). With `pauseAtOpen`
   * the bar pauses at its open whatever acted there: the caller's orders then meet the open after
   * what rested met its print, as in a walk.
   */
  bar(
    symbol: string,
    candle: Candle,
    prices: { readonly open: Fixed; readonly close: Fixed } | CandleValues,
    intervalMs: number,
    highFirst: (atOpen: boolean) => boolean,
    pauseAtOpen = false,
  ): void {
    const { openTime: time, open: o, high, low, close, volume } = candle;
    let first = highFirst(false);
    // The candle's values parsed when it was read go with the input: the kernel does not parse the texts again.
    const values = 'texts' in prices ? prices : undefined;
    let input: { -readonly [K in keyof BarInput]: BarInput[K] } & { [BAR_VALUES]?: BarValues } = { kind: 'bar', time, symbol, open: o, high, low, close, volume, intervalMs, highFirst: first, pauseOnFill: true };
    // Assigned, not spread or a computed key in the literal: the literal keeps its fast boilerplate.
    if (pauseAtOpen) input.pauseAtOpen = true;
    if (values !== undefined) input[BAR_VALUES] = values;
    for (let guard = 0; guard < 100_000; guard += 1) {
      const events = this.submit(input);
      let pause: Extract<KernelEvent, { type: 'BAR_PAUSED' }> | undefined;
      for (const event of events) {
        if (event.type === 'BAR_PAUSED') pause = event;
        else if (event.type === 'INPUT_REJECTED') throw new Error(`candle at ${candle.openTime} refused: ${event.message}`);
      }
      if (pause === undefined) break;
      if (pause.leg === 1 && parseFixed(pause.price) === prices.open) first = highFirst(true);
      input = { kind: 'bar', time, symbol, open: o, high, low, close, volume, intervalMs, highFirst: first, pauseOnFill: true, resume: { leg: pause.leg, price: pause.price } };
      if (values !== undefined) input[BAR_VALUES] = values;
    }
    this.last.set(symbol, prices.close);
  }

  /** Moves the price from `from` to `to`, stopping at every trigger price and one tick through every resting limit on the way. */
  walk(symbol: string, from: Fixed, to: Fixed, time: number): void {
    let current = from;
    const tick = this.kernel().instrument(symbol)?.tickSize ?? 0n;
    for (let guard = 0; guard < 10_000; guard += 1) {
      const kernel = this.kernel();
      const prices: Fixed[] = [];
      for (const [id, on] of this.open) {
        if (on !== symbol) continue;
        const order = kernel.order(id);
        if (order === undefined || !isOpenStatus(order.status)) continue;
        const p = orderTouchPrice(order);
        if (p === undefined) continue;
        // A resting limit fills on the first price through it (at its own price the book of the same
        // moment states its level, and a touch fills nothing): the path stops there, one tick
        // through, so that its fill is a move of its own and the exits it brings are placed before
        // the path goes on to them, as a bar's path does (ADR 0042).
        const resting = !isConditional(order.type) || order.triggered;
        prices.push(resting ? (order.side === 'BUY' ? p - tick : p + tick) : p);
      }
      const stop = nextStop(current, to, prices);
      if (stop === undefined) break;
      this.price(symbol, stop, time);
      current = stop;
    }
    if (current !== to || this.last.get(symbol) !== to) this.price(symbol, to, time);
  }
}
