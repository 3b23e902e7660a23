/**
 * Tactics executor: turns a decision to open or close a position into kernel orders, and keeps
 * the protective orders (stop, take-profits, trailing stop) in step with the position by reacting
 * to the kernel's events. Everything goes through kernel inputs (`order.place`, `order.cancel`):
 * live, replay and backtests share this code path.
 *
 * Guarantees:
 * - one trade plan per (account, symbol); entries are refused when the account is halted, when
 *   `maxOpenPositions` is reached, when a risk-sized entry's equity is unknown (the kernel waits for
 *   a price for something the account holds, `Kernel.awaitedPrices`: its equity would count that
 *   holding as zero), when the risk size is below the instrument's minimum, or when the
 *   kernel's rules on the order alone (`SPEC_RULES`) would refuse the stop, a take-profit or the
 *   trailing stop placed once the entry fills;
 * - a risk-sized entry is lowered (reported, ENTRY_REDUCED) so that its position, every DCA order
 *   on the entry's side of the stop filled, stays within the instrument's largest market order (`maxMarketQty`): its stop is one
 *   reduce-only market order; refused when not even the minimum fits;
 * - a market entry carries the slippage cap asked (the request's, else the tactics'); what the cap
 *   leaves unfilled expires and the exits are sized from the position its fills opened;
 * - the entry and its DCA ladder are sized as one trade (strategy/risk.ts): every DCA order filled,
 *   then the stop, loses at most `maxRiskPerTrade`, and the ladder resting at once fits the margin;
 * - after every entry or DCA fill: a reduce-only STOP_LOSS for the whole position (refused as
 *   already passed, WOULD_TRIGGER_IMMEDIATELY: the position is closed at market instead), one reduce-only
 *   TAKE_PROFIT per level not yet reached (its share × the position), and the trailing stop; each, above
 *   the instrument's largest market order (`maxMarketQty`, a fixed-quantity entry's position), as several
 *   orders of its kind within it that together cover it; after one of the exits fills, the parts the
 *   position no longer needs are cancelled; a stop's or trailing stop's part that leaves a rest closes all
 *   the position left (docs/adr/0075-exits-in-parts.md);
 * - after the first take-profit fills and `breakEvenAfterFirstTarget`: the stop moves to the
 *   average entry price, rounded to the tick against a loss (long: up, short: down);
 * - when the position closes, every remaining order of the plan is cancelled;
 * - the stop, take-profits and trailing stop trigger on the tactics' `exit.triggerSource` ('last' or
 *   'mark', ADR 0066; absent: the kernel's setting);
 * - the exits that execute at the market (stop, take-profits, trailing stop, a close) carry the
 *   tactics' `exit.maxSlippage` (a close: the cap asked, else the plan's). What the cap leaves unfilled
 *   (ORDER_EXPIRED, SLIPPAGE_CAP) goes again at the symbol's next market move (`onMarket`), capped from
 *   the best price then, until it fills or the position is closed: a take-profit's rest as that
 *   target; a stop's or trailing stop's ends the plan (its other orders are cancelled) and closes the
 *   rest of the position, as a close's rest does (docs/adr/0065-slippage-cap-on-exits.md). An exit that
 *   ran out of depth (DEPTH_EXHAUSTED, NO_LIQUIDITY) leaves its rest the same way;
 * - a take-profit's rest never realizes worse than its level: it waits until the best price is at or
 *   through the level, then goes as an IMMEDIATE_OR_CANCEL at the level (or at the cap's bound, where
 *   nearer), what it leaves waiting again; a rest waits, sending nothing, while the book is synced and
 *   the side it takes from is empty; a close or rest above the instrument's largest market order
 *   (`maxMarketQty`) goes as orders within it (docs/adr/0071-when-and-how-a-rest-goes.md);
 * - one exit works a position in a market move: the move in which one of its exits filled or expired
 *   sends none of its waiting rests (docs/adr/0069-what-an-exit-leaves.md);
 * - an exit the kernel refuses is reported (`TradeVenue.report`: EXIT_DUST below the instrument's
 *   minimum, else EXIT_REFUSED), never dropped in silence;
 * - a reversal whose close left a rest waits for the position to close (`openAfterClose`), then opens.
 * Not modelled: re-entering a partially filled limit entry; the trailing stop's peak restarts
 * when a DCA fill re-sizes it.
 */
import type { KernelEvent, OrderDoneEvent, OrderRejectedEvent } from '../core/kernel/events.js';
import { maxNotionalAt } from '../core/accounts/position.js';
import type { Instrument } from '../core/instruments/instrument.js';
import type { Kernel } from '../core/kernel/kernel.js';
import type { KernelInput, PlaceOrderInput } from '../core/kernel/inputs.js';
import { divRound, formatFixed, mul, ONE, parseFixed, roundToIncrement, type Fixed } from '../core/money/fixed.js';
import { SPEC_RULES } from '../core/matching/exchange-rules.js';
import { extend } from '../core/objects.js';
import type { TriggerSource } from '../core/orders/order.js';
import { worstFeeRate } from '../core/matching/fee-model.js';
import { maxSlippageProblem, type OrderRequest } from '../core/orders/order-validation.js';
import { isOpenStatus } from '../core/orders/order-status.js';
import { PRICE_RANGE_WORDS, type Rejection } from '../core/orders/rejection.js';
import { exitParts, largestMarketOrder } from './exit-parts.js';
import { dcaQuantities, sizeFromStop } from './risk.js';
import type { TacticsSet } from './tactics.js';

export type Direction = 'LONG' | 'SHORT';

export interface TradeVenue {
  readonly kernel: Kernel;
  /** Hands an input to the kernel and dispatches its events (this manager's `onEvent` included). */
  submit(input: KernelInput): KernelEvent[];
  /** Tells the user what the manager could not do (an exit the kernel refused, a reversal that cannot follow its close). */
  report?(report: ManagerReport): void;
}

/**
 * Something the user must know and no kernel event says: `EXIT_DUST`, an exit refused because what is
 * left of the position is below what one order may close (MIN_QUANTITY, MIN_NOTIONAL); `EXIT_REFUSED`,
 * an exit refused for another reason; `ENTRY_REFUSED`, a reversal's entry that waited for its close;
 * `ENTRY_REDUCED`, a risk-sized entry lowered so that its position, every DCA order filled, stays within
 * the instrument's largest market order (`maxMarketQty`), which its stop must close in one order.
 */
export interface ManagerReport {
  readonly at: number;
  readonly account: string;
  readonly symbol: string;
  readonly code: 'EXIT_DUST' | 'EXIT_REFUSED' | 'ENTRY_REFUSED' | 'ENTRY_REDUCED';
  readonly message: string;
}

export interface RiskLimits {
  /** Percent of equity risked per trade (1 = 1 %). */
  readonly maxRiskPerTrade: Fixed;
  readonly maxOpenPositions: number;
}

export interface OpenRequest {
  readonly account: string;
  readonly symbol: string;
  readonly direction: Direction;
  readonly tactics: TacticsSet;
  readonly limits: RiskLimits;
  /** Current price: the entry reference of a market entry. */
  readonly price: Fixed;
  readonly time: number;
  /** ATR at the signal, for ATR stops. */
  readonly atr?: number | null;
  /** A fixed quantity instead of the risk size. */
  readonly quantity?: Fixed;
  /**
   * The market entry's slippage cap (ADR 0061), a fraction of the best opposite price from 0 to below
   * 1, in place of the tactics' `entry.maxSlippage`; refused with a limit entry.
   */
  readonly maxSlippage?: Fixed;
}

export interface TradePlan {
  readonly id: string;
  readonly account: string;
  readonly symbol: string;
  readonly direction: Direction;
  readonly tactics: TacticsSet;
  readonly reference: Fixed;
  stop: Fixed;
  readonly quantity: Fixed;
  readonly dcaPrices: readonly Fixed[];
  readonly takeProfitPrices: readonly Fixed[];
  readonly targetsHit: boolean[];
  /**
   * The clientOrderIds of the plan's orders; an exit above the largest market order is several orders
   * (docs/adr/0075-exits-in-parts.md): `stop`, `targets[i]` or `trailing` names its first, and `parts`,
   * by that first id, the others, in the order they went (absent in plans written before).
   */
  readonly orders: { entry: string; dca: string[]; stop?: string; targets: (string | undefined)[]; trailing?: string; parts?: Record<string, string[]> };
  opened: boolean;
  breakEven: boolean;
  barsWaiting: number;
  version: number;
}

export type OpenOutcome = { readonly ok: true; readonly plan: TradePlan } | { readonly ok: false; readonly reason: string };

/**
 * What an order of the manager's is for: its plan's entry, DCA order or exits, or a close at market
 * (`plan` '' then: a close outlives the plan it ends). `quantity` is the order's base quantity and
 * `maxSlippage` its cap, for the rest a capped exit leaves (absent in roles written before the cap);
 * `part`: one of the orders of an exit in parts (docs/adr/0075-exits-in-parts.md).
 */
type Role = {
  readonly plan: string;
  readonly role: 'entry' | 'dca' | 'stop' | 'target' | 'trailing' | 'close';
  readonly index: number;
  readonly quantity?: Fixed;
  readonly maxSlippage?: Fixed;
  readonly part?: true;
};

/**
 * The rest of an exit the slippage cap or the book's depth stopped (ADR 0065, 0069), sent again at a
 * later market move of the symbol: the rest of plan `plan`'s take-profit `index` (once the market is at
 * or through its level, as an IMMEDIATE_OR_CANCEL there), or (`plan` '') of a stop, a trailing stop or a
 * close, closed at market (in parts above the largest market order); none while the book's side it takes
 * from is empty (ADR 0071). `quantity` in base units, never more than the position then; `maxSlippage`
 * the exit's cap (absent: an uncapped exit that ran out of depth).
 */
export interface ExitRest {
  readonly account: string;
  readonly symbol: string;
  readonly plan: string;
  readonly index: number;
  readonly quantity: Fixed;
  readonly maxSlippage?: Fixed;
}

/** Why a market exit's remainder expired that the next market move may fill: its cap, or a book without enough depth (matching-engine.ts). */
const REST_REASONS: ReadonlySet<string> = new Set(['SLIPPAGE_CAP', 'DEPTH_EXHAUSTED', 'NO_LIQUIDITY']);

/** The refusals no order of any price can get past: what is left is below the instrument's minimum (exchange-rules.ts). */
const DUST_CODES: ReadonlySet<string> = new Set(['MIN_QUANTITY', 'MIN_NOTIONAL']);

/** A reversal's entry waiting for the close of the position it reverses (ADR 0069); `price` the close's last fill. */
interface WaitingEntry {
  readonly request: OpenRequest;
  price: Fixed | undefined;
}

const HUNDRED = 100n * ONE;

export class TradeManager {
  private readonly plans = new Map<string, TradePlan>();
  /** The same plans by id (an order's role names its plan by id). */
  private readonly plansById = new Map<string, TradePlan>();
  private readonly roles = new Map<string, Role>();
  /** Rests of capped exits waiting for their symbol's next market move, in the order they were left. */
  private rests: ExitRest[] = [];
  /** Reversals' entries waiting for their close to complete, by plan key. */
  private readonly waiting = new Map<string, WaitingEntry>();
  private seq = 0;
  /** The plan key of each (account, symbol), made once: a lookup then hashes a string it has hashed before, not a new concatenation. */
  private readonly keys = new Map<string, Map<string, string>>();

  constructor(private readonly venue: TradeVenue) {}

  /** The last key made and what it was made of: a backtest asks for one (account, symbol) several times a candle. */
  private lastKey = { account: '', symbol: '', key: '' };

  private key(account: string, symbol: string): string {
    const last = this.lastKey;
    if (account === last.account && symbol === last.symbol && last.key !== '') return last.key;
    let bySymbol = this.keys.get(account);
    if (bySymbol === undefined) this.keys.set(account, (bySymbol = new Map()));
    let k = bySymbol.get(symbol);
    if (k === undefined) bySymbol.set(symbol, (k = `${account}\u0000${symbol}`));
    this.lastKey = { account, symbol, key: k };
    return k;
  }

  /** Plans, order roles, the rests of capped exits and the reversals waiting for their close as plain data (bigints kept; see library snapshots). */
  exportState(): { seq: number; plans: TradePlan[]; roles: [string, Role][]; rests?: ExitRest[]; waiting?: WaitingEntry[] } {
    return { seq: this.seq, plans: [...this.plans.values()], roles: [...this.roles], rests: [...this.rests], waiting: [...this.waiting.values()].map((w) => ({ request: w.request, price: w.price })) };
  }

  /** Puts back what `exportState` gave; a state written before the exits' cap has no `rests`, one written before ADR 0069 no `waiting`. */
  importState(state: { seq: number; plans: TradePlan[]; roles: [string, Role][]; rests?: ExitRest[]; waiting?: WaitingEntry[] }): void {
    this.seq = state.seq;
    this.plans.clear();
    this.plansById.clear();
    this.roles.clear();
    this.rests = [...(state.rests ?? [])];
    this.waiting.clear();
    for (const w of state.waiting ?? []) this.waiting.set(this.key(w.request.account, w.request.symbol), { request: w.request, price: w.price });
    for (const plan of state.plans) {
      this.plans.set(this.key(plan.account, plan.symbol), plan);
      this.plansById.set(plan.id, plan);
    }
    for (const [k, role] of state.roles) this.roles.set(k, role);
  }

  plan(account: string, symbol: string): TradePlan | undefined {
    return this.plans.get(this.key(account, symbol));
  }

  /** Position side on the symbol, or the side of a waiting entry. */
  exposure(account: string, symbol: string): Direction | 'FLAT' {
    const size = this.positionSize(account, symbol);
    if (size !== 0n) return size > 0n ? 'LONG' : 'SHORT';
    return this.plan(account, symbol)?.direction ?? 'FLAT';
  }

  positionSize(account: string, symbol: string): Fixed {
    const a = this.venue.kernel.account(account);
    return a?.kind === 'futures' ? (a.positions.get(symbol)?.size ?? 0n) : 0n;
  }

  open(req: OpenRequest): OpenOutcome {
    const kernel = this.venue.kernel;
    const instrument = kernel.instrument(req.symbol);
    const account = kernel.account(req.account);
    if (instrument === undefined || account === undefined) return { ok: false, reason: 'unknown account or symbol' };
    if (kernel.isHalted(req.account)) return { ok: false, reason: 'account halted: max drawdown reached' };
    if (this.plans.has(this.key(req.account, req.symbol)) || this.positionSize(req.account, req.symbol) !== 0n) return { ok: false, reason: 'a position or entry is already open on this symbol' };
    const open = new Set<string>();
    if (account.kind === 'futures') for (const p of account.openPositions()) open.add(p.symbol);
    for (const p of this.plans.values()) if (p.account === req.account) open.add(p.symbol);
    if (open.size >= req.limits.maxOpenPositions) return { ok: false, reason: `max open positions (${req.limits.maxOpenPositions}) reached` };
    // The risk size is a share of the equity: while the kernel waits for a price for something the
    // account holds, `kernel.equity` counts that holding as zero, and the size would be wrong.
    const unpriced = req.quantity === undefined ? kernel.awaitedPrices(req.account) : [];
    if (unpriced.length > 0) return { ok: false, reason: `equity unknown: no price yet for ${unpriced.join(', ')}; a risk-sized entry waits for it` };

    const long = req.direction === 'LONG';
    const tick = instrument.tickSize;
    const t = req.tactics;
    const maxSlippage = req.maxSlippage ?? (t.entry.type === 'market' ? t.entry.maxSlippage : undefined);
    const capProblem = maxSlippage === undefined ? undefined : maxSlippageProblem(t.entry.type === 'market' ? 'MARKET' : 'LIMIT', maxSlippage);
    if (capProblem !== undefined) return { ok: false, reason: `the ${t.entry.type} entry: ${capProblem}` };
    // Prices against us round away from the reference; prices in our favour round toward it.
    const shift = (base: Fixed, pct: Fixed, up: boolean, rounding: 'floor' | 'ceil'): Fixed =>
      roundToIncrement(mul(base, up ? ONE + divRound(pct * ONE, HUNDRED, 'down') : ONE - divRound(pct * ONE, HUNDRED, 'down'), 'down'), tick, rounding);
    const reference = t.entry.type === 'limit' ? shift(req.price, t.entry.offsetPercent, !long, long ? 'floor' : 'ceil') : req.price;
    let stop: Fixed;
    if (t.stopLoss.type === 'percent') stop = shift(reference, t.stopLoss.percent, !long, long ? 'floor' : 'ceil');
    else if (t.stopLoss.type === 'price') stop = t.stopLoss.price;
    else {
      if (req.atr === undefined || req.atr === null) return { ok: false, reason: 'ATR stop: the ATR is still warming up' };
      const distance = mul(parseFixed(req.atr.toFixed(8)), t.stopLoss.multiple, 'up');
      stop = roundToIncrement(long ? reference - distance : reference + distance, tick, long ? 'floor' : 'ceil');
    }
    if (stop <= 0n || (long ? stop >= reference : stop <= reference)) return { ok: false, reason: `stop ${formatFixed(stop)} is on the wrong side of the entry ${formatFixed(reference)}` };
    const takeProfitPrices = t.takeProfits.map((tp) => shift(reference, tp.percent, long, long ? 'ceil' : 'floor'));
    // An exit the exchange refuses would leave the position open without it: each is put to the kernel's rules as
    // protect() places it once the entry fills, before any order goes out.
    const exitProblem = this.exitProblem(req, instrument, reference, stop, takeProfitPrices);
    if (exitProblem !== undefined) return { ok: false, reason: exitProblem };
    const dcaPrices = this.ladderPrices(req, instrument, reference, long, shift);
    const leverage = account.kind === 'futures' ? account.leverageOf(req.symbol) : 1;
    // The bracket: the position, its resting orders counted (position-limit.ts), stays below what the leverage allows.
    const maxNotional = account.kind === 'futures' ? maxNotionalAt(instrument, leverage) : undefined;
    // The position's stop is one reduce-only market order: the ladder, every DCA order filled, stays within the
    // largest market order (MARKET_LOT_SIZE), down to the step, or the stop would be refused (docs/adr/0071).
    const largest = largestMarketOrder(instrument);
    // The risk budget and the margin cover the whole ladder: the entry and every DCA order (risk.ts).
    const sizing =
      req.quantity !== undefined ? undefined :
      sizeFromStop({
        equity: kernel.equity(req.account) ?? 0n, riskPercent: req.limits.maxRiskPerTrade, entry: reference, stop, stepSize: instrument.stepSize, leverage,
        // The margin comes from what the account's other positions and orders leave (the kernel's check),
        // and every resting order reserves its fee at the worst rate besides its margin (futures-settlement.ts).
        ...(account.kind === 'futures' ? { funds: account.available((symbol) => kernel.markPrice(symbol)) } : {}),
        feeRate: worstFeeRate(account.fees, instrument),
        ...(maxNotional !== undefined ? { maxNotional } : {}),
        ...(t.dca !== undefined ? { dca: { prices: dcaPrices, sizeMultiplier: t.dca.sizeMultiplier } } : {}),
        ...(largest !== undefined ? { maxPosition: largest } : {}),
      });
    const quantity = req.quantity ?? sizing!.quantity;
    // The DCA orders the position can take before its stop (risk.ts): one past the stop never fills.
    const filling = dcaPrices.filter((price) => (long ? price > stop : price < stop)).length;
    const ladder = filling === 0 ? 'the position' : `the position, its ${filling} DCA order${filling === 1 ? '' : 's'} filled,`;
    const within = `${ladder} must stay within the largest market order, ${formatFixed(largest ?? 0n)}, for its stop to close it`;
    if (quantity < instrument.minQty || mul(quantity, reference, 'up') < instrument.minNotional) return { ok: false, reason: `size ${formatFixed(quantity)} is below the instrument's minimum${sizing?.positionCapped === true ? `: ${within}` : ''}` };
    if (sizing?.positionCapped === true) {
      const size = sizing.position;
      this.venue.report?.({ at: req.time, account: req.account, symbol: req.symbol, code: 'ENTRY_REDUCED', message: `the ${req.direction} entry of ${req.symbol} is reduced from ${formatFixed(sizing.fundedQuantity)} to ${formatFixed(quantity)} (a position of ${formatFixed(size)} at most): ${within}` });
    }
    const plan: TradePlan = {
      id: `${req.account}:${req.symbol}:${++this.seq}`,
      account: req.account, symbol: req.symbol, direction: req.direction, tactics: t, reference, stop, quantity, dcaPrices,
      takeProfitPrices,
      targetsHit: t.takeProfits.map(() => false),
      orders: { entry: '', dca: [], targets: t.takeProfits.map(() => undefined) },
      opened: false, breakEven: false, barsWaiting: 0, version: 0,
    };
    this.plans.set(this.key(req.account, req.symbol), plan);
    this.plansById.set(plan.id, plan);
    const side = long ? 'BUY' : 'SELL';
    plan.orders.entry = this.place(plan, 'entry', 0, req.time, t.entry.type === 'market' ? { side, type: 'MARKET', quantity, ...(maxSlippage !== undefined ? { maxSlippage } : {}) } : { side, type: 'LIMIT', quantity, price: reference });
    if (this.plans.get(this.key(req.account, req.symbol)) !== plan) return { ok: false, reason: 'the entry order was refused' };
    const sizes = t.dca === undefined ? [] : dcaQuantities(quantity, t.dca.sizeMultiplier, dcaPrices.length, instrument.stepSize);
    for (const [i, price] of dcaPrices.entries()) {
      if (this.plans.get(this.key(req.account, req.symbol)) !== plan) break; // closed at once (its stop already passed)
      // A DCA order below the instrument's minimum (a sizeMultiplier below 1 rounds it down, to 0 at worst) is not placed, as a target's share is not.
      const size = sizes[i]!;
      const small = size < instrument.minQty || size === 0n || mul(size, price, 'up') < instrument.minNotional;
      plan.orders.dca.push(small ? '' : this.place(plan, 'dca', i, req.time, { side, type: 'LIMIT', quantity: size, price }));
    }
    return { ok: true, plan };
  }

  /**
   * Why the exchange would refuse one of the plan's exits (the stop, a take-profit, the trailing
   * stop, as protect() places them), or undefined. The kernel answers (`Kernel.exchangeRuleRefusal`)
   * with the rules on the order alone, `SPEC_RULES` (PRICE_FILTER's tick and range, TRAILING_DELTA's
   * callback bounds): the exits go out only once the entry fills, so the rules on the market at that
   * moment (a stop's side of the price, STOP_TRIGGER; TRAILING_ACTIVATION) cannot be asked now. The
   * quantity is left out: the exits are sized from the position the fills leave.
   */
  private exitProblem(req: OpenRequest, instrument: Instrument, reference: Fixed, stop: Fixed, takeProfitPrices: readonly Fixed[]): string | undefined {
    const kernel = this.venue.kernel;
    const side = req.direction === 'LONG' ? 'SELL' : 'BUY';
    // Each request one literal: a spread of a template that then gains keys is built on a slow path (docs/adr/0062).
    const refusal = (type: OrderRequest['type'], stopPrice: Fixed | undefined, activationPrice?: Fixed, callbackRate?: Fixed) =>
      kernel.exchangeRuleRefusal(req.account, req.symbol, { side, type, quantity: undefined, quoteOrderQty: undefined, price: undefined, stopPrice, activationPrice, callbackRate }, true, SPEC_RULES);
    const said = (what: string, price: Fixed, r: Rejection): string =>
      r.code === 'INVALID_PRICE' && r.message.startsWith(PRICE_RANGE_WORDS)
        ? `${what} ${formatFixed(price)} is outside the price range ${formatFixed(instrument.minPrice ?? 0n)} … ${instrument.maxPrice === undefined ? '∞' : formatFixed(instrument.maxPrice)} of ${req.symbol}`
        : `${what} ${formatFixed(price)} is refused on ${req.symbol}: ${r.message}`;
    const stopRefused = refusal('STOP_LOSS', stop);
    if (stopRefused !== undefined) return said('stop', stop, stopRefused);
    for (const target of takeProfitPrices) {
      const targetRefused = refusal('TAKE_PROFIT', target);
      if (targetRefused !== undefined) return said('take-profit', target, targetRefused);
    }
    const trailing = req.tactics.trailingStop;
    if (trailing === undefined) return undefined;
    // As protect() places it (the callback as a fraction).
    const activation = trailingActivation(reference, req.direction, trailing.activationPercent, instrument.tickSize);
    const callbackRate = trailing.callbackPercent / 100n;
    const trailingRefused = refusal('TRAILING_STOP_MARKET', undefined, activation, callbackRate);
    if (trailingRefused === undefined) return undefined;
    if (trailingRefused.code !== 'TRAILING_DELTA') return said('trailing stop activation', activation, trailingRefused);
    const bounds = instrument.trailingBounds;
    const within = bounds === undefined ? '' : ` ${formatFixed(bounds.min * 100n)} … ${formatFixed(bounds.max * 100n)} %`;
    return `trailing stop callback ${formatFixed(trailing.callbackPercent)} % is outside${within} on ${req.symbol}: ${trailingRefused.message}`;
  }

  /**
   * The DCA ladder's prices: `dca.count` levels `dca.stepPercent`·i against the position from
   * `reference`, ending at the first level no order can rest at: at or below zero (a long's, for
   * stepPercent × i ≥ 100; it would turn the size negative, risk.ts), where the kernel's exchange
   * rules would refuse a limit (its price limits, its band about the mark or average: PERCENT_PRICE;
   * `Kernel.exchangeRuleRefusal`, so the ladder follows the rules placement applies); or where the cap on open orders
   * (MAX_NUM_ORDERS) would leave no room for the plan's stop, targets and trailing stop (the stop placed
   * after a fill would otherwise be refused), each in as many parts as a fixed quantity above the largest
   * market order needs (docs/adr/0075-exits-in-parts.md).
   */
  private ladderPrices(req: OpenRequest, instrument: Instrument, reference: Fixed, long: boolean, shift: (base: Fixed, pct: Fixed, up: boolean, rounding: 'floor' | 'ceil') => Fixed): Fixed[] {
    const kernel = this.venue.kernel;
    const t = req.tactics;
    const prices: Fixed[] = [];
    if (t.dca === undefined) return prices;
    let room = Number.MAX_SAFE_INTEGER;
    if (instrument.maxNumOrders !== undefined) {
      const exits = 1 + t.takeProfits.length + (t.trailingStop !== undefined ? 1 : 0);
      // A fixed quantity above the largest market order: each exit goes in as many parts as the entry's position needs.
      const largest = largestMarketOrder(instrument) ?? 0n;
      const parts = req.quantity === undefined ? 1 : Math.max(1, exitParts(req.quantity, largest, instrument.stepSize, instrument.minQty).length);
      room = instrument.maxNumOrders - exits * parts;
      for (const o of kernel.orders(req.account)) if (o.symbol === req.symbol && isOpenStatus(o.status)) room -= 1;
    }
    const side = long ? 'BUY' : 'SELL';
    for (let i = 1; i <= t.dca.count && prices.length < room; i += 1) {
      const price = shift(reference, t.dca.stepPercent * BigInt(i), !long, long ? 'floor' : 'ceil');
      if (price <= 0n) break;
      // The kernel's own rules on a limit's price (PRICE_FILTER, PERCENT_PRICE); its quantity is not sized yet.
      const request = { side, type: 'LIMIT', price, quantity: undefined, quoteOrderQty: undefined, stopPrice: undefined, activationPrice: undefined, callbackRate: undefined } as const;
      if (kernel.exchangeRuleRefusal(req.account, req.symbol, request) !== undefined) break;
      prices.push(price);
    }
    return prices;
  }

  /**
   * Cancels the plan's orders and closes the position at market (reduce-only MARKET), with the
   * slippage cap `maxSlippage` (a fraction, ADR 0061; default the plan's tactics' `exit.maxSlippage`,
   * else none). What the cap leaves unfilled goes again at the symbol's next market move (`onMarket`);
   * a rest still waiting from an earlier exit is replaced by this close.
   */
  close(account: string, symbol: string, time: number, maxSlippage?: Fixed): void {
    const plan = this.plans.get(this.key(account, symbol));
    const cap = maxSlippage ?? plan?.tactics.exit?.maxSlippage;
    if (plan !== undefined) this.finish(plan, time);
    this.dropRests(account, symbol);
    this.waiting.delete(this.key(account, symbol));
    const size = this.positionSize(account, symbol);
    this.closeAtMarket(account, symbol, size > 0n ? size : -size, cap, time);
  }

  /** Forgets the reversal waiting on (account, symbol), if any: a newer signal decides. */
  dropWaiting(account: string, symbol: string): void {
    if (this.waiting.size > 0) this.waiting.delete(this.key(account, symbol));
  }

  /** Forgets every reversal waiting on `account`'s positions: auto-trading stopped, so no signal's entry opens after it (ADR 0069). */
  dropWaitingOf(account: string): void {
    for (const [k, w] of this.waiting) if (w.request.account === account) this.waiting.delete(k);
  }

  /**
   * A reversal's entry (a signal to the side opposite the position, after `close`): opened now when the
   * position is closed, else it waits for the close's rest, or for the close itself while it waits for
   * the book (a book still syncing), (ADR 0069) and goes once the position is
   * closed, at the close's last fill price as its reference; `undefined` then. A later close or
   * reversal replaces it; a close that cannot complete (EXIT_DUST, EXIT_REFUSED) refuses it, reported
   * as ENTRY_REFUSED.
   */
  openAfterClose(req: OpenRequest): OpenOutcome | undefined {
    const k = this.key(req.account, req.symbol);
    this.waiting.delete(k);
    const size = this.positionSize(req.account, req.symbol);
    const closing = size !== 0n && (size > 0n ? req.direction === 'SHORT' : req.direction === 'LONG') && !this.plans.has(k) && (this.rests.some((r) => r.account === req.account && r.symbol === req.symbol) || this.closeWorking(req.account, req.symbol));
    if (!closing) return this.open(req);
    this.waiting.set(k, { request: req, price: undefined });
    return undefined;
  }

  /** A close of the position is still open in the kernel (accepted, waiting for a book that is syncing). */
  private closeWorking(account: string, symbol: string): boolean {
    return this.venue.kernel.openOrders(account).some((o) => o.symbol === symbol && this.roles.get(`${account}\u0000${o.clientOrderId}`)?.role === 'close');
  }

  /**
   * The symbol's market moved (a book update, a print, a bar): the rests of capped exits left before
   * this move go again, capped from the best price now, each no larger than the position. Called
   * after the move's inputs are applied and before its events (`moved`) reach `onEvent`, so that a
   * rest the move itself leaves waits for the next one (the cap is never stretched within one book).
   * One exit works a position in a move (ADR 0069): where another of the position's exits filled or
   * expired in this move (a stop triggered while a take-profit's rest waits), the rests wait too,
   * and a stop's or close's rest, once `onEvent` holds it, replaces them; of two take-profits' rests,
   * the older goes and the other waits for the move after.
   */
  onMarket(symbol: string, time: number, moved: readonly KernelEvent[] = []): void {
    if (this.rests.length === 0) return;
    let busy: Set<string> | undefined;
    for (let i = 0; i < moved.length; i += 1) {
      const e = moved[i]!;
      if ((e.type !== 'FILL' && e.type !== 'ORDER_EXPIRED') || e.symbol !== symbol) continue;
      const role = this.roles.get(`${e.account}\u0000${e.clientOrderId}`);
      if (role !== undefined && role.role !== 'entry' && role.role !== 'dca') (busy ??= new Set()).add(e.account);
    }
    // One rest per position in a move, the oldest first: a second one, capped from the bids the first took, would stretch the cap.
    const due: ExitRest[] = [];
    const keep: ExitRest[] = [];
    for (const r of this.rests) {
      if (r.symbol !== symbol || busy?.has(r.account) === true || due.some((d) => d.account === r.account) || !this.restCanGo(r)) keep.push(r);
      else due.push(r);
    }
    if (due.length === 0) return;
    this.rests = keep;
    for (const rest of due) {
      const size = this.positionSize(rest.account, symbol);
      const whole = size > 0n ? size : -size;
      const quantity = rest.quantity < whole ? rest.quantity : whole;
      const plan = rest.plan === '' ? undefined : this.plansById.get(rest.plan);
      const level = plan?.takeProfitPrices[rest.index];
      if (plan !== undefined && level !== undefined && quantity > 0n) {
        // A take-profit's rest never realizes worse than its level: an IMMEDIATE_OR_CANCEL at the level, or at the cap's
        // bound from the best price now where that is nearer (docs/adr/0071-when-and-how-a-rest-goes.md).
        const side = size > 0n ? 'SELL' : 'BUY';
        const price = this.targetBound(symbol, side, level, rest.maxSlippage);
        plan.orders.targets[rest.index] = this.place(plan, 'target', rest.index, time, { side, type: 'IMMEDIATE_OR_CANCEL', quantity, price, reduceOnly: true, maxSlippage: rest.maxSlippage });
      } else this.closeAtMarket(rest.account, symbol, quantity, rest.maxSlippage, time);
    }
  }

  /**
   * Whether a rest can go in this move: the side it takes from has something to take (no order into a
   * synced book without it, where it would expire NO_LIQUIDITY at once), and a take-profit's market
   * is at or through its level (a long's best bid at or above it, a short's best ask at or below; the
   * last trade while the book is not synced). A rest that cannot go waits, sending nothing.
   */
  private restCanGo(rest: ExitRest): boolean {
    const size = this.positionSize(rest.account, rest.symbol);
    if (size === 0n) return true; // nothing to close: it goes, and sends nothing
    const side = size > 0n ? 'SELL' : 'BUY';
    const kernel = this.venue.kernel;
    const best = kernel.takerPrice(rest.symbol, side);
    if (best === null) return false;
    const level = rest.plan === '' ? undefined : this.plansById.get(rest.plan)?.takeProfitPrices[rest.index];
    if (level === undefined) return true;
    const price = best ?? kernel.triggerPrice(rest.symbol, 'last');
    return price !== undefined && (side === 'SELL' ? price >= level : price <= level);
  }

  /**
   * The limit price of a take-profit's rest: its level; with a cap, the cap's bound from the best price
   * now when that is nearer (a sell: the higher of the two), rounded to the tick as the kernel rounds a
   * cap (a sell's up, a buy's down: matching-engine.ts `slippageCap`).
   */
  private targetBound(symbol: string, side: 'BUY' | 'SELL', level: Fixed, maxSlippage: Fixed | undefined): Fixed {
    const best = maxSlippage === undefined ? undefined : this.venue.kernel.takerPrice(symbol, side);
    if (best === undefined || best === null || maxSlippage === undefined) return level;
    const tick = this.venue.kernel.instrument(symbol)!.tickSize;
    const sell = side === 'SELL';
    const bound = divRound(best * (sell ? ONE - maxSlippage : ONE + maxSlippage), tick * ONE, sell ? 'up' : 'down') * tick;
    return sell ? (bound > level ? bound : level) : bound < level ? bound : level;
  }

  /**
   * Reduce-only MARKET orders for `quantity` of the position (nothing for 0), capped when `maxSlippage`
   * is given. Each order's role is known before it goes: its rest is held when the cap or the depth
   * stops it, now or (on a book still syncing) later, and a refusal is reported.
   * A quantity above the instrument's largest market order (MARKET_LOT_SIZE, `maxMarketQty`, down to
   * the step) goes as several orders, each within it, as a Binance user must send them (`exitParts`: a
   * last part below the minimum quantity takes what it lacks from the ones before): one after the
   * other while each fills whole; with a cap, only while the best price is the one the first order's
   * cap was measured from (a later one would stretch it). What is not sent waits as the close's rest
   * for the next move (docs/adr/0071-when-and-how-a-rest-goes.md).
   */
  private closeAtMarket(account: string, symbol: string, quantity: Fixed, maxSlippage: Fixed | undefined, time: number): void {
    const size = this.positionSize(account, symbol);
    if (size === 0n || quantity <= 0n) return;
    const side = size > 0n ? 'SELL' : 'BUY';
    const kernel = this.venue.kernel;
    const instrument = kernel.instrument(symbol);
    const largest = instrument === undefined ? undefined : largestMarketOrder(instrument);
    if (largest === undefined || quantity <= largest || largest <= 0n) {
      this.sendClose(account, symbol, side, quantity, maxSlippage, time);
      return;
    }
    const from = kernel.takerPrice(symbol, side);
    let left = quantity;
    for (const part of exitParts(quantity, largest, instrument!.stepSize, instrument!.minQty)) {
      left -= part;
      const whole = this.sendClose(account, symbol, side, part, maxSlippage, time);
      if (left === 0n || this.positionSize(account, symbol) === 0n) return;
      if (!whole || (maxSlippage !== undefined && kernel.takerPrice(symbol, side) !== from)) {
        this.addRest(maxSlippage === undefined ? { account, symbol, plan: '', index: 0, quantity: left } : { account, symbol, plan: '', index: 0, quantity: left, maxSlippage });
        return;
      }
    }
  }

  /** One reduce-only MARKET close of `quantity`; true when it filled whole in this input. */
  private sendClose(account: string, symbol: string, side: 'BUY' | 'SELL', quantity: Fixed, maxSlippage: Fixed | undefined, time: number): boolean {
    const clientOrderId = `${account}:${symbol}:${++this.seq}:close`;
    const input: { -readonly [K in keyof PlaceOrderInput]: PlaceOrderInput[K] } = {
      kind: 'order.place', time, account, symbol, side, type: 'MARKET', quantity: formatFixed(quantity), reduceOnly: true, clientOrderId,
    };
    if (maxSlippage !== undefined) input.maxSlippage = formatFixed(maxSlippage);
    this.roles.set(`${account}\u0000${clientOrderId}`, maxSlippage === undefined ? { plan: '', role: 'close', index: 0, quantity } : { plan: '', role: 'close', index: 0, quantity, maxSlippage });
    const events = this.venue.submit(input);
    return events.some((e) => e.type === 'FILL' && e.clientOrderId === clientOrderId && e.status === 'FILLED');
  }

  /** Holds a rest; one already held for the same exit of the same position (an order's rest and what was not sent of it) takes its quantity. */
  private addRest(rest: ExitRest): void {
    const i = this.rests.findIndex((r) => r.account === rest.account && r.symbol === rest.symbol && r.plan === rest.plan && r.index === rest.index);
    if (i < 0) {
      this.rests.push(rest);
      return;
    }
    const held = this.rests[i]!;
    const quantity = held.quantity + rest.quantity;
    this.rests[i] = held.maxSlippage === undefined ? { account: held.account, symbol: held.symbol, plan: held.plan, index: held.index, quantity } : { account: held.account, symbol: held.symbol, plan: held.plan, index: held.index, quantity, maxSlippage: held.maxSlippage };
  }

  /** Forgets the rests waiting on (account, symbol). */
  private dropRests(account: string, symbol: string): void {
    if (this.rests.length > 0) this.rests = this.rests.filter((r) => r.account !== account || r.symbol !== symbol);
  }

  /**
   * An exit expired with a reason the next move may lift (REST_REASONS: its cap, the book's depth): its
   * rest (its quantity less what filled) is held for the symbol's next move. A take-profit's rest stays
   * the plan's target; a stop's or a trailing stop's ends the plan as a close does, and its rest closes
   * what is left of the position.
   */
  private holdRest(plan: TradePlan | undefined, role: Role, event: OrderDoneEvent): void {
    if (role.quantity === undefined) return; // a role written before ADR 0065
    // A part of a stop or trailing stop in parts: the plan ends here, and with it the roles of the other parts,
    // triggered in the same move; what none of them closed is the position left, which the rest closes.
    const size = role.part === true && role.role !== 'target' ? this.positionSize(event.account, event.symbol) : 0n;
    const quantity = size !== 0n ? (size > 0n ? size : -size) : role.quantity - parseFixed(event.executedQty);
    if (plan !== undefined && role.role !== 'target') {
      this.finish(plan, event.at);
      this.dropRests(plan.account, plan.symbol);
    }
    if (quantity <= 0n || this.positionSize(event.account, event.symbol) === 0n) return;
    const rest = { account: event.account, symbol: event.symbol, plan: role.role === 'target' && plan !== undefined ? plan.id : '', index: role.index, quantity };
    this.addRest(role.maxSlippage === undefined ? rest : extend(rest, { maxSlippage: role.maxSlippage }));
  }

  /**
   * The kernel refused one of the position's exits (a rest below the instrument's minimum, a stop over
   * the open-order cap): reported, never dropped in silence (ADR 0069). A reversal waiting for a close
   * that cannot complete is refused with it.
   */
  private refused(role: Role, event: OrderRejectedEvent): void {
    const report = this.venue.report;
    const size = this.positionSize(event.account, event.symbol);
    const left = formatFixed(size > 0n ? size : -size);
    const what = role.role === 'target' ? `take-profit ${role.index + 1}` : role.role === 'trailing' ? 'trailing stop' : role.role;
    const quantity = role.quantity === undefined ? '' : ` of ${formatFixed(role.quantity)}`;
    const dust = DUST_CODES.has(event.code);
    report?.call(this.venue, {
      at: event.at, account: event.account, symbol: event.symbol, code: dust ? 'EXIT_DUST' : 'EXIT_REFUSED',
      message: `the ${what}${quantity} ${event.symbol} was refused (${event.code}: ${event.message}); ${left} of the position stays open${dust ? ', below what one order may close' : ''}`,
    });
    const k = this.key(event.account, event.symbol);
    const waiting = this.waiting.get(k);
    if (waiting === undefined || role.role === 'target' || size === 0n) return;
    this.waiting.delete(k);
    report?.call(this.venue, { at: event.at, account: event.account, symbol: event.symbol, code: 'ENTRY_REFUSED', message: `the ${waiting.request.direction} entry waited for the close of the position, which cannot complete: ${event.code}` });
  }

  /** The position closed: a reversal waiting for it opens now, at the close's last fill price (else the last trade). */
  private openWaiting(event: { readonly at: number; readonly account: string; readonly symbol: string }): void {
    const k = this.key(event.account, event.symbol);
    const waiting = this.waiting.get(k);
    if (waiting === undefined) return;
    this.waiting.delete(k);
    const price = waiting.price ?? this.venue.kernel.triggerPrice(event.symbol, 'last') ?? waiting.request.price;
    const outcome = this.open({ ...waiting.request, price, time: event.at });
    if (!outcome.ok) this.venue.report?.({ at: event.at, account: event.account, symbol: event.symbol, code: 'ENTRY_REFUSED', message: outcome.reason });
  }

  /** A bar closed: unfilled limit entries expire after `validBars`. */
  onBarClosed(account: string, symbol: string, time: number): void {
    const plan = this.plans.get(this.key(account, symbol));
    if (plan === undefined || plan.opened || plan.tactics.entry.type !== 'limit') return;
    plan.barsWaiting += 1;
    if (plan.barsWaiting >= plan.tactics.entry.validBars) this.finish(plan, time);
  }

  onEvent(event: KernelEvent): void {
    if (event.type === 'POSITION_CLOSED') {
      this.dropRests(event.account, event.symbol);
      const plan = this.plans.get(this.key(event.account, event.symbol));
      if (plan !== undefined && plan.opened) this.finish(plan, event.at);
      if (this.waiting.size > 0) this.openWaiting(event);
      return;
    }
    if (event.type !== 'FILL' && event.type !== 'ORDER_EXPIRED' && event.type !== 'ORDER_REJECTED' && event.type !== 'ORDER_CANCELED') return;
    const roleKey = `${event.account}\u0000${event.clientOrderId}`;
    const role = this.roles.get(roleKey);
    if (role === undefined) return;
    if (role.role === 'close') {
      if (event.type !== 'FILL' || event.status === 'FILLED') this.roles.delete(roleKey);
      if (event.type === 'FILL' && this.waiting.size > 0) {
        const waiting = this.waiting.get(this.key(event.account, event.symbol));
        if (waiting !== undefined) waiting.price = parseFixed(event.price);
      }
      if (event.type === 'ORDER_EXPIRED' && REST_REASONS.has(event.reason)) this.holdRest(undefined, role, event);
      else if (event.type === 'ORDER_REJECTED') this.refused(role, event);
      return;
    }
    const plan = this.plansById.get(role.plan);
    if (plan === undefined) return;
    if (event.type === 'ORDER_EXPIRED' && (REST_REASONS.has(event.reason) || (role.role === 'target' && event.reason === 'IMMEDIATE_OR_CANCEL')) && (role.role === 'stop' || role.role === 'trailing' || role.role === 'target')) {
      this.holdRest(plan, role, event);
      return;
    }
    if (event.type === 'ORDER_REJECTED' && role.role !== 'entry' && role.role !== 'dca' && !(role.role === 'stop' && event.code === 'WOULD_TRIGGER_IMMEDIATELY')) this.refused(role, event);
    if (event.type !== 'FILL') {
      if (role.role === 'entry' && !plan.opened && this.positionSize(plan.account, plan.symbol) === 0n) this.finish(plan, event.at);
      // The price has passed the stop before it could be placed (a bar that opened beyond both the DCA
      // order and the stop fills the one and triggers the old stop in the same step): without a stop
      // the loss would have no bound, so close at market, as the stop would have.
      else if (role.role === 'stop' && event.type === 'ORDER_REJECTED' && event.code === 'WOULD_TRIGGER_IMMEDIATELY' && this.positionSize(plan.account, plan.symbol) !== 0n) this.close(plan.account, plan.symbol, event.at);
      return;
    }
    if (this.positionSize(plan.account, plan.symbol) === 0n) return;
    if (role.role === 'entry' || role.role === 'dca') {
      plan.opened = true;
      this.protect(plan, event.at, true);
      return;
    }
    this.trimParts(plan, event.at);
    if (role.role === 'target') {
      plan.targetsHit[role.index] = true;
      if (event.status !== 'FILLED') return;
      if (plan.tactics.breakEvenAfterFirstTarget && !plan.breakEven) {
        plan.breakEven = true;
        const instrument = this.venue.kernel.instrument(plan.symbol)!;
        const position = this.venue.kernel.account(plan.account);
        const entry = position?.kind === 'futures' ? position.positions.get(plan.symbol)!.entryPrice : plan.reference;
        plan.stop = roundToIncrement(entry, instrument.tickSize, plan.direction === 'LONG' ? 'ceil' : 'floor');
        this.protect(plan, event.at, false);
      }
    }
  }

  /** (Re)places the stop; with `all`, also the take-profits not yet reached and the trailing stop. */
  private protect(plan: TradePlan, time: number, all: boolean): void {
    const size = this.positionSize(plan.account, plan.symbol);
    const qty = size > 0n ? size : -size;
    const side = size > 0n ? 'SELL' : 'BUY';
    const instrument = this.venue.kernel.instrument(plan.symbol)!;
    this.cancel(plan, plan.orders.stop, time);
    const maxSlippage = plan.tactics.exit?.maxSlippage;
    const triggerSource = plan.tactics.exit?.triggerSource;
    plan.orders.stop = this.placeExit(plan, 'stop', 0, time, { side, type: 'STOP_LOSS', quantity: qty, stopPrice: plan.stop, reduceOnly: true, maxSlippage, triggerSource });
    if (!all || this.plansById.get(plan.id) !== plan) return; // closed: the stop was refused as already passed
    for (const [i, tp] of plan.tactics.takeProfits.entries()) {
      if (plan.targetsHit[i]) continue;
      this.cancel(plan, plan.orders.targets[i], time);
      const share = roundToIncrement(mul(qty, tp.share, 'down'), instrument.stepSize, 'floor');
      plan.orders.targets[i] = share < instrument.minQty ? undefined : this.placeExit(plan, 'target', i, time, { side, type: 'TAKE_PROFIT', quantity: share, stopPrice: plan.takeProfitPrices[i]!, reduceOnly: true, maxSlippage, triggerSource });
    }
    const trailing = plan.tactics.trailingStop;
    if (trailing !== undefined) {
      this.cancel(plan, plan.orders.trailing, time);
      const activation = trailingActivation(plan.reference, plan.direction, trailing.activationPercent, instrument.tickSize);
      // An activation the price has already reached would be refused (Binance USD-M -2021): the stop then trails from the current price, which is what it meant.
      const now = this.venue.kernel.triggerPrice(plan.symbol, triggerSource);
      const reached = now !== undefined && (side === 'SELL' ? now >= activation : now <= activation);
      plan.orders.trailing = this.placeExit(plan, 'trailing', 0, time, { side, type: 'TRAILING_STOP_MARKET', quantity: qty, ...(reached ? {} : { activationPrice: activation }), callbackRate: trailing.callbackPercent / 100n, reduceOnly: true, maxSlippage, triggerSource });
    }
  }

  private finish(plan: TradePlan, time: number): void {
    this.plans.delete(this.key(plan.account, plan.symbol));
    this.plansById.delete(plan.id);
    const ids = [plan.orders.entry, ...plan.orders.dca, plan.orders.stop, ...plan.orders.targets, plan.orders.trailing];
    for (const id of ids) this.cancel(plan, id, time);
    // The parts of an exit whose first order a later one replaced (a take-profit's rest): all of them go.
    const parts = plan.orders.parts;
    if (parts !== undefined) for (const first of Object.keys(parts)) this.cancel(plan, first, time);
    for (const [k, role] of this.roles) if (role.plan === plan.id) this.roles.delete(k);
  }

  /** Cancels the order `clientOrderId` if open, and the other parts of the exit it is the first of. */
  private cancel(plan: TradePlan, clientOrderId: string | undefined, time: number): void {
    if (clientOrderId === undefined || clientOrderId === '') return;
    this.cancelOne(plan, clientOrderId, time);
    const parts = plan.orders.parts?.[clientOrderId];
    if (parts === undefined) return;
    delete plan.orders.parts![clientOrderId];
    for (const id of parts) this.cancelOne(plan, id, time);
  }

  private cancelOne(plan: TradePlan, clientOrderId: string, time: number): void {
    // The order the cancel would find, by its clientOrderId: no copy of the account's orders per cancel.
    if (this.venue.kernel.openOrderByClientId(plan.account, clientOrderId) !== undefined) this.venue.submit({ kind: 'order.cancel', time, account: plan.account, clientOrderId });
  }

  /**
   * Places one of the position's conditional exits (stop, take-profit, trailing stop) and returns its
   * clientOrderId. Above the instrument's largest market order (`maxMarketQty`, down to the step) it goes
   * as several orders of the same kind and prices that together cover `order.quantity`, each within it
   * (`exitParts`), as a Binance user protects such a position; the first is returned, the others are
   * kept in `plan.orders.parts` under it (docs/adr/0075-exits-in-parts.md). Stops placing when the plan
   * ends meanwhile (a stop refused as already passed closes the position).
   */
  private placeExit(plan: TradePlan, role: 'stop' | 'target' | 'trailing', index: number, time: number, order: PlanOrder): string {
    const instrument = this.venue.kernel.instrument(plan.symbol)!;
    const largest = largestMarketOrder(instrument) ?? 0n;
    const parts = exitParts(order.quantity, largest, instrument.stepSize, instrument.minQty);
    if (parts.length <= 1) return this.place(plan, role, index, time, order);
    let first = '';
    for (const quantity of parts) {
      if (this.plansById.get(plan.id) !== plan) break;
      const id = this.place(plan, role, index, time, extend(order, { quantity }), true);
      if (first === '') {
        first = id;
        (plan.orders.parts ??= {})[first] = [];
      } else plan.orders.parts?.[first]?.push(id);
    }
    return first;
  }

  /**
   * After one of the position's exits filled and the position is still open: the orders of an exit in
   * parts that the position no longer needs (those after the first ones whose open quantity covers it)
   * are cancelled, so that what rests for an exit stays close to the position (docs/adr/0075-exits-in-parts.md).
   */
  private trimParts(plan: TradePlan, time: number): void {
    const all = plan.orders.parts;
    if (all === undefined) return;
    const size = this.positionSize(plan.account, plan.symbol);
    const position = size > 0n ? size : -size;
    const kernel = this.venue.kernel;
    for (const first of [plan.orders.stop, ...plan.orders.targets, plan.orders.trailing]) {
      const parts = first === undefined ? undefined : all[first];
      if (first === undefined || parts === undefined) continue;
      let covered = 0n;
      const kept: string[] = [];
      for (const id of [first, ...parts]) {
        const open = kernel.openOrderByClientId(plan.account, id);
        if (open === undefined) continue;
        if (covered >= position) this.cancelOne(plan, id, time);
        else {
          covered += open.quantity - open.executedQty;
          if (id !== first) kept.push(id);
        }
      }
      all[first] = kept;
    }
  }

  private place(plan: TradePlan, role: Role['role'], index: number, time: number, order: PlanOrder, part = false): string {
    plan.version += 1;
    const clientOrderId = `${plan.id}:${role}${role === 'dca' || role === 'target' ? index + 1 : ''}:${plan.version}`;
    const r: Role = { plan: plan.id, role, index, quantity: order.quantity, maxSlippage: order.maxSlippage };
    this.roles.set(`${plan.account}\u0000${clientOrderId}`, part ? extend(r, { part: true as const }) : r);
    // The optional fields in the same order as before, assigned instead of spread (no object per field).
    const input: { -readonly [K in keyof PlaceOrderInput]: PlaceOrderInput[K] } = {
      kind: 'order.place', time, account: plan.account, symbol: plan.symbol, side: order.side, type: order.type, quantity: formatFixed(order.quantity), clientOrderId,
    };
    if (order.price !== undefined) input.price = formatFixed(order.price);
    if (order.stopPrice !== undefined) input.stopPrice = formatFixed(order.stopPrice);
    if (order.activationPrice !== undefined) input.activationPrice = formatFixed(order.activationPrice);
    if (order.callbackRate !== undefined) input.callbackRate = formatFixed(order.callbackRate);
    if (order.reduceOnly) input.reduceOnly = true;
    // A limit's bound is its price: the cap of a take-profit's rest stays in its role (for its own rest), not in the order.
    if (order.maxSlippage !== undefined && order.type !== 'IMMEDIATE_OR_CANCEL') input.maxSlippage = formatFixed(order.maxSlippage);
    if (order.triggerSource !== undefined) input.triggerSource = order.triggerSource;
    this.venue.submit(input);
    return clientOrderId;
  }
}

/** An order of a plan, as `place` sends it. */
interface PlanOrder {
  readonly side: 'BUY' | 'SELL';
  readonly type: PlaceOrderInput['type'];
  readonly quantity: Fixed;
  readonly price?: Fixed;
  readonly stopPrice?: Fixed;
  readonly activationPrice?: Fixed;
  readonly callbackRate?: Fixed;
  readonly reduceOnly?: boolean;
  readonly maxSlippage?: Fixed | undefined;
  readonly triggerSource?: TriggerSource | undefined;
}

/** A trailing stop's activation: `activationPercent` beyond the reference in the position's favour, rounded to the tick away from it. */
function trailingActivation(reference: Fixed, direction: Direction, activationPercent: Fixed, tickSize: Fixed): Fixed {
  const long = direction === 'LONG';
  return roundToIncrement(mul(reference, long ? ONE + activationPercent / 100n : ONE - activationPercent / 100n, 'down'), tickSize, long ? 'ceil' : 'floor');
}
