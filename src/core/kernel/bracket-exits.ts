/**
 * Brackets: an entry order with a take-profit and a stop-loss attached (NautilusTrader's bracket
 * order; Binance's OTOCO with the pending pair sized by the fills).
 *
 * Guarantees:
 * - the exits are placed only by the entry's fills, never before: an entry cancelled or expired
 *   unfilled leaves nothing behind;
 * - after every input, the exits of each entry that filled cover what it filled: the first fill
 *   places the pair (`<group>-tp`, `<group>-sl`, an OCO list in the entry's group); a later fill
 *   while that pair still waits replaces it by one sized to the whole (cancelled with reason
 *   BRACKET_RESIZED, placed anew under the same client ids), as NautilusTrader's OrderManager
 *   updates contingent quantities on a partial fill (a pair the trader cut to one leg is placed
 *   whole again: cancel the group to end it); a later fill after a leg acted places a new pair
 *   for the rest (`<group>-tp-2`, …), so that at most one pair of the group waits at a time;
 * - exits close what the entry opened: the opposite side, reduce-only on futures; on spot a buy's
 *   exits sell what the account received (the quantity less a fee taken in the base asset, down to
 *   the step);
 * - a pair is whole or absent: when the venue refuses a leg (its stop already reached, a filter),
 *   the other is cancelled (BRACKET_INCOMPLETE) and the fills stay uncovered, to be tried again at
 *   the next fill; the refusal is the leg's ORDER_REJECTED event;
 * - the exits' client ids are the bracket's (order-commands.ts): a bracket is refused while an open
 *   order holds `<group>-tp` or `<group>-sl`, and no other order takes an exit's id while its entry
 *   is open, so that no exit is refused as a duplicate.
 * Everything here is kernel state (the entry's `bracket`) and kernel inputs' consequences: it
 * survives restarts through snapshots and journal replay like any order.
 * Not modelled: exits placed within the same input as the fill (they are placed after it, so the
 * print that filled the entry does not also trigger an exit); trailing exits.
 * Cost: per input, one pass over its events; per entry fill, at most four orders placed or cancelled.
 */
import type { Instrument } from '../instruments/instrument.js';
import { formatFixed, isMultipleOf, parseFixed, roundToIncrement, type Fixed } from '../money/fixed.js';
import { feeAssetMode, type FeeSchedule } from '../matching/fee-model.js';
import { isOpenStatus } from '../orders/order-status.js';
import type { BracketExits, ExitLeg, Order, Side } from '../orders/order.js';
import { fail, ok, PRICE_RANGE_WORDS, type Result } from '../orders/rejection.js';
import type { ExitLegInput, PlaceOrderInput } from './inputs.js';
import type { KernelCore } from './kernel-state.js';

/**
 * The bracket an order request attaches, checked: undefined when it attaches none. Refusals:
 * INVALID_ORDER (no group, reduce-only entry, a leg not of the shape {stopPrice, price?}, a
 * take-profit not beyond the stop-loss on the profit side, or a leg on the wrong side of the
 * entry's `reference` price — its limit or stop, else the book's best price it would take —
 * which would trigger as soon as the entry filled), INVALID_PRICE (off the tick grid).
 */
export function bracketOf(input: PlaceOrderInput, instrument: Instrument, side: Side, reference?: Fixed): Result<BracketExits | undefined> {
  if (input.takeProfit === undefined && input.stopLoss === undefined) return ok(undefined);
  if (typeof input.ocoGroup !== 'string' || input.ocoGroup === '') return fail('INVALID_ORDER', 'a bracket (takeProfit, stopLoss) needs its group: ocoGroup');
  if (input.reduceOnly === true) return fail('INVALID_ORDER', 'a reduce-only order cannot open a bracket');
  const tp = exitLeg(input.takeProfit, 'takeProfit', instrument);
  if (!tp.ok) return tp;
  const sl = exitLeg(input.stopLoss, 'stopLoss', instrument);
  if (!sl.ok) return sl;
  if (tp.value !== undefined && sl.value !== undefined) {
    // A buy entry exits by selling: profit above, loss below; a sell entry the other way round.
    const ordered = side === 'BUY' ? tp.value.stopPrice > sl.value.stopPrice : tp.value.stopPrice < sl.value.stopPrice;
    if (!ordered) return fail('INVALID_ORDER', `takeProfit.stopPrice must be ${side === 'BUY' ? 'above' : 'below'} stopLoss.stopPrice for a ${side} entry`);
  }
  if (reference !== undefined) {
    // A buy exits by selling: its take-profit above the entry, its stop-loss below; a sell the other way round.
    const ref = formatFixed(reference);
    if (tp.value !== undefined && (side === 'BUY' ? tp.value.stopPrice <= reference : tp.value.stopPrice >= reference)) {
      return fail('INVALID_ORDER', `takeProfit.stopPrice must be ${side === 'BUY' ? 'above' : 'below'} the entry's price ${ref} for a ${side} entry`);
    }
    if (sl.value !== undefined && (side === 'BUY' ? sl.value.stopPrice >= reference : sl.value.stopPrice <= reference)) {
      return fail('INVALID_ORDER', `stopLoss.stopPrice must be ${side === 'BUY' ? 'below' : 'above'} the entry's price ${ref} for a ${side} entry`);
    }
  }
  return ok({ takeProfit: tp.value, stopLoss: sl.value, placed: 0n, pairs: 0 });
}

function exitLeg(raw: ExitLegInput | undefined, name: string, instrument: Instrument): Result<ExitLeg | undefined> {
  const { tickSize } = instrument;
  if (raw === undefined) return ok(undefined);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return fail('INVALID_ORDER', `${name} must be an object {stopPrice, price?}`);
  const price = (field: 'stopPrice' | 'price', text: unknown): Result<Fixed | undefined> => {
    if (text === undefined && field === 'price') return ok(undefined);
    if (typeof text !== 'string') return fail('INVALID_ORDER', `${name}.${field} must be a decimal string`);
    let value: Fixed;
    try {
      value = parseFixed(text);
    } catch {
      return fail('INVALID_ORDER', `${name}.${field} must be a decimal string, got ${JSON.stringify(text)}`);
    }
    if (value <= 0n) return fail('INVALID_ORDER', `${name}.${field} must be positive`);
    if (!isMultipleOf(value, tickSize)) return fail('INVALID_PRICE', `${name}.${field} ${text} is not a multiple of the tick size ${formatFixed(tickSize)}`);
    // PRICE_FILTER's range, as for the exit placed on its own (exchange-rules.ts): an exit the venue
    // would refuse once the entry fills is refused with the entry, not left for then.
    const { minPrice, maxPrice } = instrument;
    if (minPrice !== undefined && value < minPrice) return fail('INVALID_PRICE', `${name}.${field} ${text} is below the minimum ${formatFixed(minPrice)}`, PRICE_RANGE_WORDS);
    if (maxPrice !== undefined && value > maxPrice) return fail('INVALID_PRICE', `${name}.${field} ${text} is above the maximum ${formatFixed(maxPrice)}`, PRICE_RANGE_WORDS);
    return ok(value);
  };
  const stop = price('stopPrice', raw.stopPrice);
  if (!stop.ok) return stop;
  const limit = price('price', raw.price);
  if (!limit.ok) return limit;
  const source: unknown = raw.triggerSource;
  if (source === undefined) return ok({ stopPrice: stop.value!, price: limit.value });
  if (source !== 'last' && source !== 'mark') return fail('INVALID_ORDER', `${name}.triggerSource must be last or mark, got ${JSON.stringify(source)}`);
  if (source === 'mark' && instrument.market !== 'perpetual') return fail('INVALID_ORDER', `${name}: spot orders trigger on the last price: triggerSource mark applies to perpetuals`);
  return ok({ stopPrice: stop.value!, price: limit.value, triggerSource: source });
}

/** Client order ids of pair `n` (1-based) of a group. */
export function exitIds(group: string, n: number): { tp: string; sl: string } {
  return n <= 1 ? { tp: `${group}-tp`, sl: `${group}-sl` } : { tp: `${group}-tp-${n}`, sl: `${group}-sl-${n}` };
}

/** Brings the exits of every bracket entry that filled during this input up to its fills; `placeExit` places one leg. */
export function attachExits(core: KernelCore, placeExit: (input: PlaceOrderInput) => void): void {
  const { s } = core;
  let seen: Set<string> | undefined; // made at the first bracket entry's fill: most inputs fill none
  for (let i = 0; i < s.out.length; i += 1) {
    const event = s.out[i]!;
    if (event.type !== 'FILL' || seen?.has(event.orderId) === true) continue;
    const entry = s.ordersById.get(event.orderId);
    if (entry?.bracket === undefined) continue;
    (seen ??= new Set()).add(entry.id);
    coverFills(core, entry, entry.bracket, placeExit);
  }
}

function coverFills(core: KernelCore, entry: Order, bracket: BracketExits, placeExit: (input: PlaceOrderInput) => void): void {
  const { s } = core;
  const market = s.market(entry.symbol);
  const instrument = market.instrument;
  const futures = s.accountsById.get(entry.account)?.kind === 'futures';
  const covered = exitSize(entry, instrument, futures, s.accountsById.get(entry.account)?.fees);
  const uncovered = covered - bracket.placed;
  if (uncovered <= 0n) return;
  const group = entry.ocoGroup!;
  const ids = s.clientIds.get(entry.account)!;
  const legOf = (clientOrderId: string): Order | undefined => {
    const id = ids.get(clientOrderId);
    const order = id === undefined ? undefined : s.ordersById.get(id);
    return order?.ocoGroup === group ? order : undefined;
  };
  // The current pair's legs that have not acted (both, or the one left when the trader cancelled the other).
  const current = bracket.pairs === 0 ? [] : Object.values(exitIds(group, bracket.pairs)).map(legOf).filter((o): o is Order => o !== undefined);
  const waitingLegs = current.filter((o) => isOpenStatus(o.status) && !o.triggered);
  const waiting = waitingLegs.length > 0;
  let quantity = uncovered;
  let pair = bracket.pairs + 1;
  if (waiting) {
    quantity += waitingLegs[0]!.quantity;
    pair = bracket.pairs;
    for (const leg of waitingLegs) core.engine.cancel(leg, market, 'BRACKET_RESIZED');
  }
  const names = exitIds(group, pair);
  const exitSide: Side = entry.side === 'BUY' ? 'SELL' : 'BUY';
  const placed: Order[] = [];
  const legs = [
    [bracket.takeProfit, names.tp, 'TAKE_PROFIT'] as const,
    [bracket.stopLoss, names.sl, 'STOP_LOSS'] as const,
  ];
  for (const [leg, clientOrderId, kind] of legs) {
    if (leg === undefined) continue;
    const before = s.orderSeq;
    placeExit({
      kind: 'order.place',
      time: s.clock,
      account: entry.account,
      symbol: entry.symbol,
      side: exitSide,
      type: leg.price === undefined ? kind : `${kind}_LIMIT`,
      quantity: formatFixed(quantity),
      stopPrice: formatFixed(leg.stopPrice),
      ...(leg.price !== undefined ? { price: formatFixed(leg.price) } : {}),
      ...(leg.triggerSource !== undefined ? { triggerSource: leg.triggerSource } : {}),
      ...(futures ? { reduceOnly: true } : {}),
      clientOrderId,
      ocoGroup: group,
    });
    const order = s.orderSeq > before ? s.ordersById.get(String(s.orderSeq)) : undefined;
    if (order === undefined || !isOpenStatus(order.status)) {
      for (const other of placed) if (isOpenStatus(other.status)) core.engine.cancel(other, market, 'BRACKET_INCOMPLETE');
      // A pair replaced and not placed again leaves its quantity uncovered too.
      if (waiting) bracket.placed -= waitingLegs[0]!.quantity;
      return;
    }
    placed.push(order);
  }
  bracket.pairs = pair;
  bracket.placed = covered;
}

/**
 * What the entry's fills gave the account to close: the executed quantity; on spot, a buy whose fee
 * is taken from the base asset received that much less (rounded down to the step).
 */
function exitSize(entry: Order, instrument: Instrument, futures: boolean, fees: FeeSchedule | undefined): Fixed {
  if (futures || entry.side === 'SELL' || fees === undefined || feeAssetMode(fees, instrument) !== 'received') return entry.executedQty;
  return roundToIncrement(entry.executedQty - entry.feeCharged, instrument.stepSize, 'down');
}
