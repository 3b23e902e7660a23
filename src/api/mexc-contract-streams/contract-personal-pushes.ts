/**
 * The personal pushes of one logged-in connection on MEXC's contract WebSocket
 * (contract-stream-session.ts), from the kernel's events for its account, in order:
 * `push.personal.order` per order event of a regular order on a perpetual (not conditional, or a
 * trigger order once it triggered: the order it placed), `push.personal.plan.order` when a trigger
 * order is placed (state 1), triggers (3), or is cancelled (2) or ends otherwise (4) before it triggers,
 * `push.personal.order.deal` per fill, `push.personal.position` per position event, and one
 * `push.personal.asset` after each batch of events that changed the asset. `personal.filter`
 * narrows each kind to some contracts (the asset to some currencies) or drops it.
 *
 * Shapes are the contract REST dialect's (mexc-contract-mappers.ts): the order push is
 * `order/get`'s order with the event's status and executed amounts and the fees and profit of the
 * order's fills up to the event; the asset push is `account/assets`' entry.
 * A position push's closeVol and closeAvgPrice count the position's fills as `position/open_positions`
 * does (mexc-contract-mappers.ts `positionClosedPart`): those the market tape keeps, with those the
 * `trades` table held at login (`seed`); the session answers the login and starts the pushes once
 * that read answers, so closes the tape does not hold (before this process started) are counted
 * from the first push (if the read fails, only the tape's are).
 * Not modelled: live (venue) accounts, whose figures the kernel does not hold.
 */
import type { FillEvent, KernelEvent, LiquidationEvent, OrderDoneEvent, OrderNewEvent, OrderTriggeredEvent, PositionEvent } from '../../core/kernel/events.js';
import { mul, parseFixed } from '../../core/money/fixed.js';
import type { Kernel } from '../../core/kernel/kernel.js';
import { isConditional, type Order } from '../../core/orders/order.js';
import { paperOrderView } from '../../execution/paper-execution-service.js';
import { OrderTermsTracker } from '../../execution/order-records.js';
import { fillOfEvent } from '../dialect-kit/account-history.js';
import type { FillPositionEffect, MarketTape } from '../dialect-kit/market-tape.js';
import { paperFuturesFigures } from '../futures-account-figures.js';
import { contractAsset, contractOrder, fillTotals, positionClosedPart, type ClosedPart, type PositionFill } from '../mexc-contract/mexc-contract-mappers.js';
import { positionEffect } from '../../persistence/read-model.js';
import { contractOfSymbol, type Contract } from '../mexc-contract/mexc-contract-symbols.js';
import type { PositionFillRow } from '../mexc-contract/mexc-contract-account-routes.js';
import { contractPlanOrder, isPlanOrder } from '../mexc-contract/mexc-contract-plan-routes.js';
import { personalDeal, personalPosition, type PushFrame } from './contract-push-frames.js';

/** The kinds of personal push `personal.filter` names. */
export const PERSONAL_FILTERS: ReadonlySet<string> = new Set(['order', 'order.deal', 'position', 'asset', 'plan.order']);
/** Events after which the asset may have moved. */
const ASSET_MOVES = new Set(['ORDER_NEW', 'FILL', 'ORDER_CANCELED', 'ORDER_EXPIRED', 'FUNDING', 'LIQUIDATION', 'ACCOUNT_RESET', 'ACCOUNT_IMPORTED', 'LEVERAGE_SET', 'POSITION_OPENED', 'POSITION_UPDATED', 'POSITION_CLOSED']);

/** Every kind of push, to every contract. */
export const allPersonalPushes = (): Map<string, ReadonlySet<string>> => new Map([...PERSONAL_FILTERS].map((f) => [f, new Set<string>()] as const));

export class PersonalPushes {
  /** Per kind of push, the contracts (the asset: currencies) it is narrowed to (empty: all); absent: not pushed. */
  filters: Map<string, ReadonlySet<string>>;
  private asset: string;
  /** The terms of the account's orders, kept while the reader may meet their events after the kernel dropped them. */
  private readonly terms: OrderTermsTracker;
  /**
   * Trigger orders whose placed order ended at their trigger with nothing filled: MEXC's "execution
   * failed" (state 5), pushed as such at the trigger; the order it could not place is not pushed.
   */
  private readonly failedAtTrigger = new Set<string>();
  /** The side of each position seen, for the push that closes it (its event says FLAT). */
  private readonly sides = new Map<string, 1 | 2>();
  /** The fills of the account's open positions as the `trades` table held them at login, by position id (seed). */
  private recorded: ReadonlyMap<string, readonly PositionFillRow[]> = new Map();

  constructor(
    readonly account: string,
    filters: Map<string, ReadonlySet<string>>,
    private readonly kernel: () => Kernel,
    private readonly tape: MarketTape,
    private readonly send: (frame: PushFrame) => void,
  ) {
    this.filters = filters;
    this.asset = this.assetKey();
    this.terms = new OrderTermsTracker(kernel().openOrders(account));
  }

  private wants(kind: string, contract: Contract): boolean {
    const rules = this.filters.get(kind);
    return rules !== undefined && (rules.size === 0 || rules.has(contract.symbol));
  }

  /** The account's events of one hub batch, in order. */
  onEvents(mine: readonly KernelEvent[]): void {
    const kernel = this.kernel();
    const account = kernel.account(this.account);
    const openType: 1 | 2 = account?.kind === 'futures' && account.marginMode === 'cross' ? 2 : 1;
    let assetMoved = false;
    for (const [index, event] of mine.entries()) {
      if (ASSET_MOVES.has(event.type)) assetMoved = true;
      // Every order event moves the tracker on, pushed or not.
      const order = this.terms.orderOf(kernel, event);
      const plan = 'orderType' in event && isPlanOrder({ type: event.orderType, ocoGroup: event.ocoGroup });
      if (plan && order !== undefined && (event.type === 'ORDER_NEW' || event.type === 'ORDER_TRIGGERED' || event.type === 'ORDER_CANCELED' || event.type === 'ORDER_EXPIRED')) {
        const contract = contractOfSymbol(kernel, event.symbol);
        // Before it triggers a trigger order is MEXC's plan order; then it is the order it placed, which MEXC pushes as an order from its creation.
        const waiting = event.type === 'ORDER_NEW' || event.type === 'ORDER_TRIGGERED' || !order.triggered;
        // As the list states it (mexc-contract-plan-routes.ts): ended at its trigger, nothing filled, in the same batch.
        const failed =
          event.type === 'ORDER_TRIGGERED' &&
          mine.slice(index + 1).some((e) => e.type === 'ORDER_EXPIRED' && e.orderId === event.orderId && e.at === event.at && parseFixed(e.executedQty) === 0n);
        if (failed) this.failedAtTrigger.add(event.orderId);
        if (contract !== undefined && waiting && this.wants('plan.order', contract)) {
          const state = event.type === 'ORDER_NEW' ? 1 : event.type === 'ORDER_TRIGGERED' ? (failed ? 5 : 3) : event.status === 'CANCELED' ? 2 : 4;
          this.send({ channel: 'push.personal.plan.order', data: contractPlanOrder(order, contract, openType, state), ts: event.at });
        }
        if (contract !== undefined && event.type === 'ORDER_TRIGGERED' && !failed && this.wants('order', contract)) this.pushOrder(event, order, contract, openType);
      }
      if (event.type === 'ORDER_EXPIRED' && this.failedAtTrigger.delete(event.orderId)) continue;
      if (event.type === 'ORDER_NEW' || event.type === 'FILL' || event.type === 'ORDER_CANCELED' || event.type === 'ORDER_EXPIRED') {
        const contract = contractOfSymbol(kernel, event.symbol);
        if (contract === undefined) continue;
        const regular = !isConditional(event.orderType) || (plan && event.type !== 'ORDER_NEW' && order?.triggered === true);
        if (order !== undefined && this.wants('order', contract) && regular) this.pushOrder(event, order, contract, openType);
        if (event.type === 'FILL' && this.wants('order.deal', contract)) {
          const reduceOnly = order?.reduceOnly ?? false;
          this.send({ channel: 'push.personal.order.deal', data: personalDeal(fillOfEvent(event), contract, reduceOnly, event.clientOrderId), ts: event.at });
        }
      } else if (event.type === 'POSITION_OPENED' || event.type === 'POSITION_UPDATED' || event.type === 'POSITION_CLOSED') {
        const contract = contractOfSymbol(kernel, event.symbol);
        if (contract === undefined) continue;
        const side = this.positionSide(event, mine.slice(0, index + 1));
        if (event.type === 'POSITION_CLOSED') this.sides.delete(event.positionId);
        else this.sides.set(event.positionId, side);
        if (this.wants('position', contract)) {
          const closed = this.closedOf(event, mine.slice(0, index + 1));
          this.send({ channel: 'push.personal.position', data: personalPosition(event, contract, openType, side, closed), ts: event.at });
        }
      }
    }
    if (!assetMoved || !this.filters.has('asset')) return;
    const figures = paperFuturesFigures(kernel, this.account);
    if (figures === undefined) return;
    const asset = contractAsset(figures);
    const key = JSON.stringify(asset);
    if (key === this.asset) return;
    this.asset = key;
    const rules = this.filters.get('asset')!;
    if (rules.size === 0 || rules.has(figures.settleAsset)) this.send({ channel: 'push.personal.asset', data: asset, ts: mine.at(-1)?.at ?? kernel.now });
  }

  /**
   * The fills of one position up to a position event, in execution order, as the `trades` table
   * holds them (so that the push counts the closes `position/open_positions` counts): the kept fills
   * of earlier batches with the effect the tape recorded, then this batch's up to the event (`upTo`:
   * its events so far) with the effect read the same way (read-model.ts `positionEffect`).
   */
  private fillsOfPosition(positionId: string, upTo: readonly KernelEvent[]): PositionFill[] {
    const batch = new Set<KernelEvent>(upTo);
    const out: PositionFill[] = [];
    const ids = new Set<string>();
    const add = (f: FillEvent, effect: FillPositionEffect | undefined) => {
      if (effect?.positionId !== positionId) return;
      ids.add(f.tradeId);
      out.push({ side: effect.side, size: f.quantity, price: f.price, quoteQty: f.quoteQuantity, pnl: effect.side === 'OPEN' ? null : (f.realizedPnl ?? null), fee: f.fee });
    };
    for (const f of this.tape.fillsOf(this.account)) if (!batch.has(f)) add(f, this.tape.positionOf(f));
    for (const [i, e] of upTo.entries()) if (e.type === 'FILL') add(e, positionEffect(e, upTo.slice(i + 1)));
    // Recorded fills the tape does not hold (before this process started, or out of its ring) came first.
    const earlier = (this.recorded.get(positionId) ?? []).filter((row) => !ids.has(row.id));
    return earlier.length === 0 ? out : [...earlier, ...out];
  }

  /**
   * What the position has closed up to its event (`upTo`: the batch's events so far): its fills
   * (positionClosedPart) and, once a liquidation closed it, the size liquidated at the bankruptcy
   * price, which no fill carries, as `history_positions` counts it (docs/adr/0060).
   */
  private closedOf(event: PositionEvent, upTo: readonly KernelEvent[]): ClosedPart {
    const part = positionClosedPart(this.fillsOfPosition(event.positionId, upTo));
    if (event.type !== 'POSITION_CLOSED') return part;
    const liquidation = upTo.find((e): e is LiquidationEvent => e.type === 'LIQUIDATION' && e.positionId === event.positionId);
    if (liquidation === undefined) return part;
    const size = parseFixed(liquidation.size);
    return { qty: part.qty + size, quote: part.quote + mul(size, parseFixed(liquidation.bankruptcyPrice)), realised: part.realised };
  }

  /**
   * What the `trades` table held of the account's open positions (mexc-contract-account-routes.ts
   * `positionFillRows`), read once at login: position pushes count those fills too where the tape no
   * longer holds them, so that they state the closes `position/open_positions` states.
   */
  seed(recorded: ReadonlyMap<string, readonly PositionFillRow[]>): void {
    this.recorded = recorded;
  }

  /**
   * A position's side: its event's direction while held; for one closed (FLAT), the side it was
   * seen with, else the opposite of the fill that closed it, else the side its liquidation names.
   */
  private positionSide(event: PositionEvent, before: readonly KernelEvent[]): 1 | 2 {
    if (event.direction === 'LONG') return 1;
    if (event.direction === 'SHORT') return 2;
    const seen = this.sides.get(event.positionId);
    if (seen !== undefined) return seen;
    for (let i = before.length - 1; i >= 0; i -= 1) {
      const e = before[i]!;
      if (e.type === 'LIQUIDATION' && e.positionId === event.positionId) return e.direction === 'LONG' ? 1 : 2;
      if (e.type === 'FILL' && e.symbol === event.symbol) return e.side === 'SELL' ? 1 : 2;
    }
    return 1;
  }

  /**
   * `push.personal.order` for one order event: the event's status and executed amounts, the order's
   * terms from the kernel (kept by the tracker once the kernel has dropped a closed order), fees and profit from the order's fills up to this event.
   */
  private pushOrder(event: OrderNewEvent | OrderTriggeredEvent | FillEvent | OrderDoneEvent, order: Readonly<Order>, contract: Contract, openType: 1 | 2): void {
    const current = paperOrderView(order);
    const fills = [];
    for (const f of this.tape.fillsOf(this.account)) {
      if (f.orderId !== event.orderId) continue;
      fills.push(fillOfEvent(f));
      if (event.type === 'FILL' && f.tradeId === event.tradeId) break;
    }
    const view = {
      ...current,
      status: event.status,
      // A trigger order's ORDER_TRIGGERED is the creation of the order it places: nothing executed yet.
      executedQty: event.type === 'ORDER_NEW' || event.type === 'ORDER_TRIGGERED' ? '0' : event.executedQty,
      cumulativeQuoteQty: event.type === 'ORDER_NEW' || event.type === 'ORDER_TRIGGERED' ? '0' : event.type === 'FILL' ? event.cumulativeQuoteQty : current.cumulativeQuoteQty,
      updatedAt: event.at,
    };
    // The order a trigger order placed was created at its trigger (the ORDER_TRIGGERED event's time).
    const triggeredAt = event.type === 'ORDER_TRIGGERED' ? event.at : isPlanOrder(order) && order.triggered ? order.triggeredAt : undefined;
    const data = contractOrder(view, contract, { reduceOnly: order.reduceOnly, leverage: order.leverage, openType, orderMargin: order.locked, triggeredAt }, fillTotals(fills));
    this.send({ channel: 'push.personal.order', data, ts: event.at });
  }

  private assetKey(): string {
    const figures = paperFuturesFigures(this.kernel(), this.account);
    return figures === undefined ? '' : JSON.stringify(contractAsset(figures));
  }
}
