/**
 * A candle bar as one kernel input (ADR 0042): the market moves along the bar's price path inside
 * the kernel, with no book snapshot or trade written as text and parsed back.
 *
 * The path: open → first extreme → second extreme → close; the low first when the bar closed at or
 * above its open, the high first when it closed down, unless the input says `highFirst` (a
 * backtest passes the extreme adverse to its exposure first, ADR 0009). Between two anchors the
 * path also stops at every open order's trigger price on the way and one tick through every resting
 * limit's price (the first print that fills it), nearest first, so that orders meet the path in price
 * order, each fill in a step of its own, and a trailing stop follows each step.
 * Each step of the path, at price p (ADR 0042 has the rules with their sources):
 * - the clock moves to the step's time: funding times and equity samples it crosses happen first;
 * - the quote is p − tick / p + tick (p when p − tick ≤ 0), deep enough never to run out: orders
 *   waiting for the market execute on it, market orders pay the tick, a triggered stop pays the tick
 *   beyond its trigger, or beyond the open when the bar gapped through it (the worse of the two).
 *   It is written to the book only when something executes on it;
 * - a print at p: resting limit orders fill at their own price only when p is through it (a touch
 *   does not fill: the quote is trades-only, `Market.tradesOnly`), stops and take-profits reached
 *   trigger, trailing stops follow p;
 * - the mark (perpetuals without a mark input) is the quote's mid, so liquidations are checked at
 *   both extremes, and the orders triggering on the mark (ADR 0066) meet it at every step, quote
 *   written or not; accounts with a drawdown limit are checked.
 * After the close, the bar's close and volume enter the average price once, and the market waits
 * for the next bar: the book is left unsynced, so an order placed between bars waits and executes
 * at the next bar's open (a signal at bar t trades at the open of bar t + 1). With `pauseOnFill`
 * the input ends after a step that filled, triggered, liquidated, funded or halted (BAR_PAUSED),
 * with the quote at that step's price, and a `resume` input goes on from there: only from where the
 * last bar on the symbol paused (the same bar — time, open, high, low, close and interval — leg and
 * price, and past the first leg the same extreme first: a resume that turns `highFirst` there would
 * skip the extreme the path has not reached); a resume without that pause is refused (INPUT_REJECTED,
 * `resumeProblem`) and changes nothing, as the path it would walk was never stopped there. A bar without `resume` abandons a pause.
 * With `pauseAtOpen` as well, the bar pauses after the open's step even when nothing acted there:
 * what rested has met the open's print, and the caller's orders meet the open's quote after it.
 * Totality: `parseBar` checks and parses every field once; a malformed bar changes nothing.
 * Not modelled: the bar's volume as a bound on fills (the depth is not the volume, as in ADR 0009).
 * Cost: four steps a bar plus one per order price on the way; a step is O(conditional orders on
 * the symbol) plus a one-level book replace when something executes.
 */
import { DecimalFormatError, formatFixed, parseFixed, type Fixed } from '../money/fixed.js';
import type { Market } from '../matching/market.js';
import type { MatchingEngine } from '../matching/matching-engine.js';
import { isOpenStatus } from '../orders/order-status.js';
import type { BarInput } from './inputs.js';
import type { KernelState } from './kernel-state.js';

/** A bar's fields, parsed once. */
export interface ParsedBar extends BarValues {
  /** The first extreme, the second, the close. */
  readonly anchors: readonly [Fixed, Fixed, Fixed];
  /** When each anchor is reached. */
  readonly times: readonly [number, number, number];
  /** Where the walk starts: leg 0 trades the open first. */
  readonly leg: 0 | 1 | 2 | 3;
  readonly from: Fixed;
}

/**
 * A bar's values as its caller already parsed them from the texts (the library parses a candle
 * once, when it reads it): a bar input may carry them under `BAR_VALUES`, and `parseBar` then takes
 * each value whose text is the input's own instead of parsing the text again (a text that differs
 * is parsed). The caller vouches that each value is `parseFixed` of its text. Not part of the
 * input's JSON: a journaled bar is parsed.
 */
export interface BarValues {
  readonly open: Fixed;
  readonly high: Fixed;
  readonly low: Fixed;
  readonly close: Fixed;
  readonly volume: Fixed;
  /** The texts the values were parsed from. */
  readonly texts: { readonly open: string; readonly high: string; readonly low: string; readonly close: string; readonly volume: string };
}

/** The key of a bar input's `BarValues`. */
export const BAR_VALUES: unique symbol = Symbol('bar values');

/** What a caller may react to: a bar with `pauseOnFill` stops after the step that did one of these. */
const ACTED: ReadonlySet<string> = new Set(['FILL', 'ORDER_TRIGGERED', 'LIQUIDATION', 'FUNDING', 'MAX_DRAWDOWN_REACHED']);

/** Base units each side of the quote: deep enough never to run out (ADR 0009). */
const DEPTH: Fixed = 1_000_000n * 10n ** 18n;

function decimal(text: unknown, field: string): Fixed | string {
  if (typeof text !== 'string') return `bar ${field} must be a decimal string, got ${JSON.stringify(text)}`;
  try {
    return parseFixed(text);
  } catch (error) {
    if (error instanceof DecimalFormatError) return `bar ${field}: ${error.message}`;
    throw error;
  }
}

/** `text`'s value: `known` when `text` is the text it was parsed from, else parsed. */
function reuse(text: unknown, field: string, knownText: string | undefined, known: Fixed | undefined): Fixed | string {
  return known !== undefined && text === knownText ? known : decimal(text, field);
}

/**
 * The bar parsed, or why it cannot be applied (the same answer `inputProblem` gives). `previous`:
 * the bar parsed before, whose values are taken for the texts it shares (a resumed bar repeats all
 * five; a bar often opens at the text the previous one closed at).
 */
export function parseBar(input: BarInput, before?: ParsedBar): ParsedBar | string {
  const given = (input as { readonly [BAR_VALUES]?: BarValues })[BAR_VALUES];
  const previous: BarValues | undefined = given ?? before;
  const p = previous?.texts;
  let open: Fixed | string, high: Fixed | string, low: Fixed | string, close: Fixed | string, volume: Fixed | string;
  if (p !== undefined && input.open === p.open && input.high === p.high && input.low === p.low && input.close === p.close && input.volume === p.volume) {
    // Every text is the one its value was parsed from (the library's candle, a resumed bar).
    ({ open, high, low, close, volume } = previous!);
  } else {
    open = p !== undefined && input.open === p.close ? previous!.close : reuse(input.open, 'open', p?.open, previous?.open);
    if (typeof open === 'string') return open;
    high = reuse(input.high, 'high', p?.high, previous?.high);
    if (typeof high === 'string') return high;
    low = reuse(input.low, 'low', p?.low, previous?.low);
    if (typeof low === 'string') return low;
    close = reuse(input.close, 'close', p?.close, previous?.close);
    if (typeof close === 'string') return close;
    volume = reuse(input.volume, 'volume', p?.volume, previous?.volume);
    if (typeof volume === 'string') return volume;
  }
  if (low <= 0n) return 'bar prices must be positive';
  if (volume < 0n) return 'bar volume must not be negative';
  if (low > open || low > close || high < open || high < close) return 'a bar has low ≤ open, close ≤ high';
  const interval = input.intervalMs;
  if (interval !== undefined && (typeof interval !== 'number' || !Number.isSafeInteger(interval) || interval < 1)) return 'bar intervalMs must be a whole number of ms ≥ 1';
  // The close's time must stay Unix ms: past 2^53 the clock and every time after it lose exactness.
  if (interval !== undefined && input.time + Math.max(interval, 4) - 1 > Number.MAX_SAFE_INTEGER) return 'bar time + intervalMs is past the largest Unix ms';
  if (input.highFirst !== undefined && typeof input.highFirst !== 'boolean') return 'bar highFirst must be true or false';
  if (input.pauseOnFill !== undefined && typeof input.pauseOnFill !== 'boolean') return 'bar pauseOnFill must be true or false';
  if (input.pauseAtOpen !== undefined && typeof input.pauseAtOpen !== 'boolean') return 'bar pauseAtOpen must be true or false';
  const highFirst = input.highFirst ?? close < open;
  const anchors: [Fixed, Fixed, Fixed] = highFirst ? [high, low, close] : [low, high, close];
  const t = input.time;
  const span = interval === undefined ? 0 : Math.max(interval, 4);
  const times: [number, number, number] = interval === undefined ? [t, t, t] : [t + Math.floor(span / 4), t + Math.floor(span / 2), t + span - 1];
  let leg: ParsedBar['leg'] = 0;
  let from = open;
  const resume: unknown = input.resume;
  if (resume !== undefined) {
    if (typeof resume !== 'object' || resume === null || Array.isArray(resume)) return 'bar resume is { leg, price }';
    const r = resume as Record<string, unknown>;
    if (r.leg !== 1 && r.leg !== 2 && r.leg !== 3) return 'bar resume leg is 1, 2 or 3';
    const price = decimal(r.price, 'resume price');
    if (typeof price === 'string') return price;
    const start = r.leg === 1 ? open : anchors[r.leg - 2]!;
    const end = anchors[r.leg - 1]!;
    if (start < end ? price < start || price > end : price > start || price < end) return `bar resume price ${formatFixed(price)} is not on leg ${r.leg} of the path`;
    leg = r.leg;
    from = price;
  }
  const texts =
    p !== undefined && p.open === input.open && p.high === input.high && p.low === input.low && p.close === input.close && p.volume === input.volume
      ? p
      : { open: input.open, high: input.high, low: input.low, close: input.close, volume: input.volume };
  return { open, high, low, close, volume, anchors, times, leg, from, texts };
}

export interface BarContext {
  readonly s: KernelState;
  readonly engine: MatchingEngine;
  /** The kernel's mark update (trigger on mark, liquidations). */
  setMark(market: Market, mark: Fixed): void;
  /** The kernel's drawdown guard. */
  guardDrawdowns(): void;
  /** The kernel's clock: funding times and equity samples the path's times cross happen on the way. */
  advanceClock(time: number): void;
}

/**
 * Walks the bar's path through the market (see the header). True when the drawdown guard the kernel
 * runs after the input would see what the path's last guard saw (`quietPath`); false otherwise.
 */
export function applyBar(ctx: BarContext, market: Market, input: BarInput, bar: ParsedBar): boolean {
  const { s } = ctx;
  market.tradesOnly = true;
  market.barPause = undefined;
  let current = bar.from;
  let previous = current;
  const pause = input.pauseOnFill === true;
  let leg = bar.leg;
  if (quiet(s, market)) return quietPath(ctx, market, input, bar, pause);
  if (leg === 0) {
    const acted = step(ctx, market, current, current, input.time);
    leg = 1;
    // Paused at the open even when the rest of the path is flat: the caller may trade at the open's quote.
    if (pause && (acted || input.pauseAtOpen === true)) {
      paused(ctx, market, input.time, bar, leg, current);
      return false;
    }
  }
  for (; leg <= 3; leg += 1) {
    const target = bar.anchors[leg - 1]!;
    const time = bar.times[leg - 1]!;
    while (current !== target) {
      const next = nextStop(market, current, target) ?? target;
      const acted = step(ctx, market, next, previous, time);
      previous = current = next;
      if (pause && acted && !(leg === 3 && current === target)) {
        // On an anchor, the walk goes on with the next leg.
        paused(ctx, market, input.time, bar, current === target ? ((leg + 1) as 2 | 3) : (leg as 1 | 2 | 3), current);
        return false;
      }
    }
  }
  closeBar(s, market, input, bar);
  return false;
}

function closeBar(s: KernelState, market: Market, input: BarInput, bar: ParsedBar): void {
  market.averagePrice.addLater(s.clock, bar.close, bar.volume);
  market.lastTradePrice = input.close;
  // Between bars the market has no price: what arrives now waits for the next bar's open.
  market.sync.invalidate('between candle bars');
}

/**
 * True when no step of the path can touch anything on this market: no order waits, rests or waits
 * for a trigger on it, and no account holds a position on the symbol (its mark then values nothing
 * and liquidates nothing). None can appear during the bar: orders arrive only between inputs.
 */
function quiet(s: KernelState, market: Market): boolean {
  if (market.waiting.length > 0 || market.conditionals.length > 0 || market.bids.size > 0 || market.asks.size > 0) return false;
  const symbol = market.instrument.symbol;
  for (const account of s.accountsById.values()) {
    if (account.kind !== 'futures') continue;
    const position = account.positions.get(symbol);
    if (position !== undefined && position.size !== 0n) return false;
  }
  return true;
}

/**
 * The path of a quiet bar (see `quiet`): the same steps and the same events as `step`, without what
 * cannot act. The clock crosses each step's time (funding, equity samples); the mark, which nothing
 * reads until the bar ends or pauses, is set once, to the mid of the last step's price. The path stops
 * at the anchors only (no order price lies on the way).
 * The drawdown guard runs after the first step, as in `step`, and after each later step only when it
 * can see an equity the last guard did not: the step made an event (funding, a sample's halt), or an
 * account's valuation waits for a price (it then depends on the clock, `PRICE_WAIT_MS`). Otherwise no
 * account's equity has moved since — no position on this symbol is valued at the step, no other
 * market moves in this input — and the guard would observe each account's last equity again, which
 * changes nothing (`guardDrawdowns` skips an equity equal to `lastEquity`).
 * True (the guard after the input would repeat the last one) when the path stepped, ended on a
 * perpetual with the bar's close, and nothing was emitted from the start of its last guard on: a
 * guard that emitted nothing changed nothing, later steps only moved the clock, and what the path
 * does after its last step — the mark of a symbol nobody holds, the close as the last price —
 * values nothing (a futures equity reads marks of held symbols only, a spot equity spot prices only).
 */
function quietPath(ctx: BarContext, market: Market, input: BarInput, bar: ParsedBar, pause: boolean): boolean {
  const { s } = ctx;
  let current = bar.from;
  let guardedAt = -1;
  let leg = bar.leg;
  if (leg === 0) {
    guardedAt = quietStep(ctx, market, input.time, true);
    leg = 1;
    if (pause && (acted(s, guardedAt) || input.pauseAtOpen === true)) {
      markAt(ctx, market, current);
      paused(ctx, market, input.time, bar, leg, current);
      return false;
    }
  }
  for (; leg <= 3; leg += 1) {
    const target = bar.anchors[leg - 1]!;
    if (current === target) continue;
    const at = quietStep(ctx, market, bar.times[leg - 1]!, guardedAt < 0);
    if (at >= 0) guardedAt = at;
    current = target;
    // A step that ran no guard emitted nothing.
    if (pause && leg !== 3 && at >= 0 && acted(s, at)) {
      markAt(ctx, market, current);
      paused(ctx, market, input.time, bar, (leg + 1) as 2 | 3, current);
      return false;
    }
  }
  if (guardedAt >= 0) markAt(ctx, market, current);
  closeBar(s, market, input, bar);
  return guardedAt === s.out.length && market.instrument.market === 'perpetual';
}

/**
 * One step of a quiet path; `first`: the path's first step, after which the guard always runs.
 * Returns the events' count when its guard started (what the step acted on is emitted from there),
 * or −1 when it ran none (it then emitted nothing).
 */
function quietStep(ctx: BarContext, market: Market, time: number, first: boolean): number {
  const { s } = ctx;
  const start = s.out.length;
  ctx.advanceClock(time);
  const before = s.out.length;
  if (market.usable) market.sync.invalidate('between candle bars');
  if (!first && before === start && s.health.awaiting.size === 0) return -1;
  ctx.guardDrawdowns();
  return before;
}

/** What `step` does to the mark at `price`. */
function markAt(ctx: BarContext, market: Market, price: Fixed): void {
  if (market.instrument.market !== 'perpetual' || market.markFromInput) return;
  const mid = midOf(price, market.instrument.tickSize);
  if (mid !== market.mark) ctx.setMark(market, mid);
}

/**
 * The mid of the quote around `price`, as the book would give it: with bid = price − tick the mid
 * is the price itself, down to the tick (one division); the price itself when it lies on the tick
 * grid, as candle prices do (no second bigint made).
 */
function midOf(price: Fixed, tick: Fixed): Fixed {
  if (price <= tick) return ((2n * price + tick) / 2n / tick) * tick;
  const off = price % tick;
  return off === 0n ? price : price - off;
}

/** True when an event from `before` on is one a paused bar stops for (ACTED). */
function acted(s: KernelState, before: number): boolean {
  for (let i = before; i < s.out.length; i += 1) if (ACTED.has(s.out[i]!.type)) return true;
  return false;
}

function paused(ctx: BarContext, market: Market, time: number, bar: ParsedBar, leg: 1 | 2 | 3, price: Fixed): void {
  // The one point a resume may go on from: the same bar (its time and path), leg and price.
  market.barPause = { time, leg, price, bar: pathOf(bar), first: bar.anchors[0] };
  // What the caller sends now meets the quote at the price the path stopped at.
  if (!market.usable) quote(ctx, market, price, ctx.s.clock);
  const text = formatFixed(price);
  market.lastTradePrice = text;
  ctx.s.out.push({ type: 'BAR_PAUSED', at: ctx.s.clock, symbol: market.instrument.symbol, leg, price: text });
}

/** The one-level quote around `price`: the market is usable, and what waited executes on it. */
function quote(ctx: BarContext, market: Market, price: Fixed, time: number): void {
  const tick = market.instrument.tickSize;
  const bid = price - tick > 0n ? price - tick : price;
  const outcome = market.sync.onSnapshot({ lastUpdateId: market.sync.updateId + 1, bids: [[bid, DEPTH]], asks: [[price + tick, DEPTH]] });
  if (outcome.kind !== 'applied') throw new Error(`bar quote ${formatFixed(price)} not applied to ${market.instrument.symbol}: ${outcome.kind}`);
  market.lastBookAt = ctx.s.clock;
  ctx.engine.onBookChanged(market, outcome.changed, outcome.resynced, time);
}

/**
 * One step of the path at `price`; true when it did something a caller may react to (ACTED).
 * The quote is set only when something can execute on it: orders waiting, a resting order the
 * print goes through, or orders the step triggered (they wait for the quote while the market is
 * unusable, then execute on it in trigger order). Otherwise the market stays unusable and no book
 * is written.
 */
function step(ctx: BarContext, market: Market, price: Fixed, previous: Fixed, time: number): boolean {
  const { s, engine } = ctx;
  ctx.advanceClock(time);
  const before = s.out.length;
  const bestBid = market.bids.best();
  const bestAsk = market.asks.best();
  if (market.waiting.length > 0 || (bestBid !== undefined && price < bestBid.price!) || (bestAsk !== undefined && price > bestAsk.price!)) {
    quote(ctx, market, price, time);
    engine.onTrade(market, price, DEPTH, price < previous, time);
  } else if (market.usable) {
    market.sync.invalidate('between candle bars');
  }
  if (market.instrument.market === 'perpetual' && !market.markFromInput) {
    const mid = midOf(price, market.instrument.tickSize);
    const moved = mid !== market.mark;
    if (moved) ctx.setMark(market, mid);
    // The mark's conditional orders meet every step, as the last-price ones meet its print below:
    // setMark reaches them only on a usable market, and a step that writes no quote leaves it unusable
    // (a mark-triggered stop would otherwise never fire on a bar path, ADR 0066).
    if (!moved || !market.usable) engine.onTriggerPrice(market, mid, undefined, 'mark');
  }
  engine.onTriggerPrice(market, price, undefined, 'last');
  ctx.guardDrawdowns();
  if (market.waiting.length > 0) quote(ctx, market, price, time);
  for (let i = before; i < s.out.length; i += 1) {
    const type = s.out[i]!.type;
    if (ACTED.has(type)) return true;
  }
  return false;
}

/**
 * The nearest price strictly between `from` and `to` where an open order acts: a waiting trigger's
 * price, or one tick through a resting limit's (asks when the path rises, bids when it falls). A
 * resting limit fills only when a print goes through its price, so the path stops at the first
 * price that does: its fill is then a step of its own, and a bar with `pauseOnFill` pauses there
 * before the path reaches the next order (a stop sized before that fill, ADR 0042).
 */
function nextStop(market: Market, from: Fixed, to: Fixed): Fixed | undefined {
  const up = to > from;
  let best: Fixed | undefined;
  for (const order of market.conditionals) {
    const p = order.stopPrice;
    if (p !== undefined && isOpenStatus(order.status) && (up ? p > from && p < to && (best === undefined || p < best) : p < from && p > to && (best === undefined || p > best))) best = p;
  }
  const tick = market.instrument.tickSize;
  for (const order of (up ? market.asks : market.bids).all()) {
    const p = up ? order.price! + tick : order.price! - tick;
    if (up ? p > from && p < to && (best === undefined || p < best) : p < from && p > to && (best === undefined || p > best)) best = p;
  }
  return best;
}

/**
 * The last path written for a bar's texts object: a pause writes it and the resume that follows
 * checks it, for the same texts (the library's candle) and times. Its values are those of the
 * texts, so the same texts and times give the same path.
 */
const PATHS = new WeakMap<object, { readonly times: readonly [number, number, number]; readonly path: string }>();

/** A bar's path as a resume must repeat it: open, high, low, close and the times of its anchors. */
function pathOf(bar: ParsedBar): string {
  const known = PATHS.get(bar.texts);
  const t = bar.times;
  if (known !== undefined && known.times[0] === t[0] && known.times[1] === t[1] && known.times[2] === t[2]) return known.path;
  const path = `${formatFixed(bar.open)}/${formatFixed(bar.high)}/${formatFixed(bar.low)}/${formatFixed(bar.close)} at ${t.join(', ')}`;
  PATHS.set(bar.texts, { times: t, path });
  return path;
}

/** Why a parsed bar's `resume` cannot go on in this market, or undefined (no resume, or the market paused there). */
export function resumeProblem(input: BarInput, bar: ParsedBar, market: Market | undefined): string | undefined {
  if (input.resume === undefined || market === undefined) return undefined;
  const pause = market.barPause;
  // Written only for a refusal: a resume that goes on formats nothing.
  const asked = () => `${input.symbol} at ${input.time}, leg ${bar.leg}, price ${formatFixed(bar.from)}`;
  if (pause === undefined) return `bar resume: no bar paused on ${asked()} (nothing is paused on ${input.symbol})`;
  if (pause.time !== input.time || pause.leg !== bar.leg || pause.price !== bar.from) {
    return `bar resume: no bar paused on ${asked()}; the bar at ${pause.time} paused on leg ${pause.leg} at ${formatFixed(pause.price)}`;
  }
  // A snapshot from before the path was kept has none: the time, leg and price are then all there is to check.
  if (pause.bar !== undefined && pause.bar !== pathOf(bar)) {
    return `bar resume: the bar at ${input.time} that paused was ${pause.bar}, not ${pathOf(bar)}`;
  }
  // Past its first leg the path has been to one extreme: the other one first (`highFirst` turned) is a path never stopped there.
  if (pause.first !== undefined && bar.leg > 1 && pause.first !== bar.anchors[0]) {
    return `bar resume: the bar at ${input.time} paused on leg ${bar.leg} after going to ${formatFixed(pause.first)} first, not ${formatFixed(bar.anchors[0])}`;
  }
  return undefined;
}
