/**
 * One connection's user data stream: the kernel's events of one account, and of no other, as
 * Binance's user data events (user-data-frames.ts), in the order the kernel emitted them.
 *
 * Spot: an `executionReport` per order event, then one `outboundAccountPosition` with the assets
 * the step could have changed (the instruments' base and quote, the fee assets); a reset or import
 * of the account is a `balanceUpdate` per asset whose total changed, then the position.
 * Futures: an `ORDER_TRADE_UPDATE` per order event, then one `ACCOUNT_UPDATE` when the step moved
 * money or positions (fills, funding, liquidation, reset); an `ACCOUNT_CONFIG_UPDATE` per leverage
 * change.
 * The session keeps the account's balances as last reported, to state a reset as deltas.
 */
import type { KernelEvent, PositionEvent } from '../../core/kernel/events.js';
import type { Kernel } from '../../core/kernel/kernel.js';
import { parseFixed } from '../../core/money/fixed.js';
import { OrderTermsTracker } from '../../execution/order-records.js';
import type { StreamMarket } from './listen-keys.js';
import { accountConfigUpdate, accountPosition, accountUpdate, balanceUpdate, executionReport, isOrderEvent, orderTradeUpdate } from './user-data-frames.js';

type Balances = Record<string, { free: string; locked: string }>;

const totalOf = (b: { free: string; locked: string } | undefined): bigint => (b === undefined ? 0n : parseFixed(b.free) + parseFixed(b.locked));

export class UserDataSession {
  private reported: Balances;
  /** The order of each event, also once the kernel has dropped it (closed) before this session heard of it. */
  private readonly orders: OrderTermsTracker;

  constructor(
    readonly accountId: string,
    private readonly market: StreamMarket,
    private readonly kernel: () => Kernel,
    private readonly send: (event: Record<string, unknown>) => void,
  ) {
    this.reported = kernel().balances(accountId) ?? {};
    this.orders = new OrderTermsTracker(kernel().openOrders(accountId));
  }

  /** The hub's listener: the account's events of one step, in Binance's words. */
  onEngine(events: readonly KernelEvent[]): void {
    const mine = events.filter((e) => 'account' in e && e.account === this.accountId);
    if (mine.length === 0) return;
    if (this.market === 'spot') this.spot(mine);
    else this.futures(mine);
  }

  private spot(events: readonly KernelEvent[]): void {
    const kernel = this.kernel();
    const touched = new Set<string>();
    let at = kernel.now;
    for (const e of events) {
      if (e.type === 'ORDER_TRIGGERED') this.orders.orderOf(kernel, e);
      if (!isOrderEvent(e)) continue;
      at = e.at;
      this.send(executionReport(e, this.orders.orderOf(kernel, e)));
      const instrument = kernel.instrument(e.symbol);
      if (instrument !== undefined) touched.add(instrument.base).add(instrument.quote);
      if (e.type === 'FILL') touched.add(e.feeAsset);
    }
    const balances = kernel.balances(this.accountId) ?? {};
    const reset = events.find((e) => e.type === 'ACCOUNT_RESET' || e.type === 'ACCOUNT_IMPORTED');
    if (reset !== undefined) {
      at = reset.at;
      for (const asset of new Set([...Object.keys(this.reported), ...Object.keys(balances)])) {
        const delta = totalOf(balances[asset]) - totalOf(this.reported[asset]);
        if (delta !== 0n) this.send(balanceUpdate(at, asset, delta));
        if (delta !== 0n || this.reported[asset]?.free !== balances[asset]?.free) touched.add(asset);
      }
    }
    if (touched.size > 0) this.send(accountPosition(at, balances, touched));
    this.reported = balances;
  }

  private futures(events: readonly KernelEvent[]): void {
    const kernel = this.kernel();
    let reason: string | undefined;
    let at = kernel.now;
    const positions = new Map<string, PositionEvent>();
    for (const e of events) {
      if (e.type === 'ORDER_TRIGGERED') this.orders.orderOf(kernel, e);
      if (isOrderEvent(e)) {
        this.send(orderTradeUpdate(e, this.orders.orderOf(kernel, e)));
        if (e.type === 'FILL') reason ??= 'ORDER';
      }
      if (e.type === 'POSITION_OPENED' || e.type === 'POSITION_UPDATED' || e.type === 'POSITION_CLOSED') positions.set(e.symbol, e);
      if (e.type === 'LEVERAGE_SET') this.send(accountConfigUpdate(e.at, e.symbol, e.leverage));
      if (e.type === 'FUNDING') reason ??= 'FUNDING_FEE';
      if (e.type === 'LIQUIDATION') reason = 'ORDER';
      if (e.type === 'ACCOUNT_RESET' || e.type === 'ACCOUNT_IMPORTED') reason = 'DEPOSIT';
      if ('at' in e) at = e.at;
    }
    if (reason === undefined && positions.size === 0) return;
    const update = accountUpdate(at, reason ?? 'ORDER', kernel, this.accountId, [...positions.values()]);
    if (update !== undefined) this.send(update);
  }
}
