/**
 * Account health: equity, drawdown and the max-drawdown guard, for every account.
 *
 * Guarantees:
 * - spot equity = Σ balances valued in the valuation asset at each market's mark (mark input, else
 *   the book's mid, else the last trade); futures equity = wallet + Σ uPnL at the mark;
 * - an EQUITY point is emitted after every input that filled, funded or liquidated an account, and
 *   for every account each time the clock crosses a multiple of the sampling interval;
 * - no account is valued while something it holds has no price: a spot asset whose market in the
 *   valuation asset has no mark, mid or trade yet, a futures position whose market has no mark
 *   (`pricedEquityOf`). A sample due then is held (`awaitingPrice`) and taken after the first input
 *   that prices everything the account holds; an account opened, reset or imported before that
 *   gets its opening equity, the baseline its metrics measure from, at that moment (ADR 0060).
 *   The wait lasts at most `PRICE_WAIT_MS` of event time from the first market-data input after
 *   the sample was held, once: a holding whose market is still silent then counts as zero, as one
 *   with no market does, then and whenever the account is valued later without a price for it
 *   (`priceWaitOver`), so that no account goes unvalued, and its drawdown unwatched, while a feed
 *   stays down;
 * - drawdown is measured from the highest equity seen (starting at the opening equity); accounts
 *   with a limit are valued on every price move, so a crossing between samples is caught; when it
 *   reaches the account's limit the account halts once: its open orders are cancelled, optionally
 *   its positions closed, MAX_DRAWDOWN_REACHED is emitted, and new orders are refused.
 * Not modelled: valuation of assets with no market in the valuation asset (they count as zero).
 */
import { formatFixed, mul, type Fixed } from '../money/fixed.js';
import { DrawdownTracker } from '../accounts/metrics.js';
import type { FuturesAccount } from '../accounts/futures-account.js';
import type { SpotAccount } from '../accounts/spot-account.js';
import type { Market } from '../matching/market.js';
import type { KernelEvent } from './events.js';

export type Account = SpotAccount | FuturesAccount;

export interface HealthState {
  tracker: DrawdownTracker | undefined;
  readonly limit: Fixed | undefined;
  readonly closeOnHalt: boolean;
  halted: boolean;
  lastEquity: Fixed;
  /**
   * Exchange time (ms, the kernel's clock) of the last event that changed the account (ACCOUNT_CHANGES);
   * absent in snapshots written before it was kept.
   */
  changedAt?: number;
  /** The figures of the last EQUITY event as text, reused while they do not change (not part of a snapshot). */
  texts?: EquityTexts;
  /**
   * A sample was due while something the account holds had no price: it is taken after the first
   * input that prices everything (set and cleared through `HealthMap.awaitPrice`), or once the wait
   * is over (`awaitingPriceSince`).
   */
  awaitingPrice?: true;
  /**
   * While `awaitingPrice`: event time (ms) of the first market-data input handled since the sample
   * was held. The wait is over PRICE_WAIT_MS after it: market data flowed that long and still left
   * something the account holds without a price.
   */
  awaitingPriceSince?: number;
  /**
   * The account waited PRICE_WAIT_MS for a price and was then valued with what had none counted as
   * zero: from then on it is valued so whenever something it holds has no price (no second wait).
   */
  priceWaitOver?: true;
}

/**
 * Each account's health by id, counting the accounts that have a drawdown limit: with none, a price
 * move has no drawdown to guard and the kernel does not walk the accounts (O(1) instead of O(accounts)
 * per book change and print).
 */
export class HealthMap extends Map<string, HealthState> {
  /** Accounts whose health has a drawdown limit (halted or not). */
  limited = 0;
  /** Ids of the accounts whose sample waits for a price (`HealthState.awaitingPrice`): none on the usual path. */
  readonly awaiting = new Set<string>();

  override set(id: string, health: HealthState): this {
    if (this.get(id)?.limit !== undefined) this.limited -= 1;
    if (health.limit !== undefined) this.limited += 1;
    if (health.awaitingPrice === true) this.awaiting.add(id);
    else this.awaiting.delete(id);
    return super.set(id, health);
  }

  override delete(id: string): boolean {
    if (this.get(id)?.limit !== undefined) this.limited -= 1;
    this.awaiting.delete(id);
    return super.delete(id);
  }

  override clear(): void {
    this.limited = 0;
    this.awaiting.clear();
    super.clear();
  }

  /** Marks the account's sample as waiting for a price (`on`), or as taken. */
  awaitPrice(id: string, on: boolean): void {
    const health = this.get(id);
    if (health === undefined || (health.awaitingPrice === true) === on) return;
    if (on) {
      health.awaitingPrice = true;
      this.awaiting.add(id);
    } else {
      delete health.awaitingPrice;
      delete health.awaitingPriceSince;
      this.awaiting.delete(id);
    }
  }
}

/** A value and its decimal text. */
interface Formatted {
  value: Fixed;
  text: string;
}

interface EquityTexts {
  equity: Formatted;
  current: Formatted;
  max: Formatted;
}

function textOf(memo: Formatted, value: Fixed): string {
  if (memo.value !== value) {
    memo.value = value;
    memo.text = formatFixed(value);
  }
  return memo.text;
}

export function priceOf(market: Market): Fixed | undefined {
  if (market.mark !== undefined) return market.mark;
  const mid = market.book.mid(market.instrument.tickSize);
  if (mid !== undefined) return mid;
  return market.lastTradeValue();
}

/**
 * How long (event time, ms) an account's valuation waits for a price for something it holds: the
 * first prices of a replay or of a feed just connected arrive within it; a market silent longer
 * counts as zero, as before it was waited for.
 */
export const PRICE_WAIT_MS = 60_000;

/**
 * The account's equity in the valuation asset (as `equityOf`), or undefined while something it
 * holds has no price: a spot asset (free or locked) whose market in the valuation asset has no
 * price (`priceOf`), or a futures position whose market has no mark. An asset with no such market
 * at all is not waited for: it counts as zero, as in `equityOf`.
 */
export function pricedEquityOf(account: Account, markets: ReadonlyMap<string, Market>, valuationAsset: string): Fixed | undefined {
  return valuation(account, markets, valuationAsset, true);
}

/** The account's equity in the valuation asset; what has no price yet counts as zero (see `pricedEquityOf`). */
export function equityOf(account: Account, markets: ReadonlyMap<string, Market>, valuationAsset: string): Fixed {
  return valuation(account, markets, valuationAsset, false)!;
}

/**
 * What the account holds that has no price yet, as `pricedEquityOf` waits for it: spot assets (free
 * or locked, e.g. `BTC`) whose market in the valuation asset has no mark, mid or trade, and futures
 * symbols (e.g. `BTCUSDT`) with an open position and no mark; sorted, empty when everything is priced.
 * An asset with no market in the valuation asset is not listed (it counts as zero, not waited for).
 */
export function unpricedHoldings(account: Account, markets: ReadonlyMap<string, Market>, valuationAsset: string): string[] {
  const unpriced: string[] = [];
  if (account.kind === 'futures') {
    for (const position of account.positions.values()) if (position.size !== 0n && markets.get(position.symbol)?.mark === undefined) unpriced.push(position.symbol);
  } else {
    for (const asset of account.assets()) {
      const b = account.balance(asset);
      if (asset === valuationAsset || b.free + b.locked === 0n) continue;
      const market = spotMarketOf(markets, asset, valuationAsset);
      if (market !== undefined && priceOf(market) === undefined) unpriced.push(asset);
    }
  }
  return unpriced.sort();
}

/** The spot market of `asset` in the valuation asset, if one is configured. */
function spotMarketOf(markets: ReadonlyMap<string, Market>, asset: string, valuationAsset: string): Market | undefined {
  for (const market of markets.values()) if (market.instrument.market === 'spot' && market.instrument.base === asset && market.instrument.quote === valuationAsset) return market;
  return undefined;
}

/** `strict`: undefined when a holding has no price, instead of counting it as zero. */
function valuation(account: Account, markets: ReadonlyMap<string, Market>, valuationAsset: string, strict: boolean): Fixed | undefined {
  if (account.kind === 'futures') {
    if (strict) for (const position of account.positions.values()) if (position.size !== 0n && markets.get(position.symbol)?.mark === undefined) return undefined;
    return account.equity((symbol) => markets.get(symbol)?.mark);
  }
  // A sum of exact terms (each rounded on its own) and an "any unpriced" test: the assets' order does
  // not matter, so they are visited as the account holds them, without a sorted copy per sample.
  let total = 0n;
  let unpriced = false;
  account.forEachBalance((b, asset) => {
    const amount = b.free + b.locked;
    if (amount === 0n || unpriced) return;
    if (asset === valuationAsset) {
      total += amount;
      return;
    }
    const market = spotMarketOf(markets, asset, valuationAsset);
    if (market === undefined) return;
    const price = priceOf(market);
    if (price !== undefined) total += mul(amount, price, 'half-up');
    else if (strict) unpriced = true;
  });
  return unpriced ? undefined : total;
}

/** Records a new equity value; returns the drawdown state and whether the limit was just reached. */
export function observeEquity(health: HealthState, equity: Fixed): { current: Fixed; max: Fixed; breached: boolean } {
  health.lastEquity = equity;
  if (health.tracker === undefined) {
    if (equity <= 0n) return { current: 0n, max: 0n, breached: false };
    health.tracker = new DrawdownTracker(equity);
  }
  const { current, max } = health.tracker.update(equity);
  const breached = !health.halted && health.limit !== undefined && current >= health.limit;
  return { current, max, breached };
}

/**
 * The EQUITY event. `health` keeps the texts of the last one: an account whose equity did not move
 * since (no position, or a position whose mark did not move) formats nothing, and its events share
 * the same strings.
 */
export function equityEvent(account: string, at: number, equity: Fixed, state: { current: Fixed; max: Fixed }, health?: HealthState) {
  const texts = health === undefined ? undefined : (health.texts ??= { equity: { value: 0n, text: '0' }, current: { value: 0n, text: '0' }, max: { value: 0n, text: '0' } });
  return {
    type: 'EQUITY' as const,
    at,
    account,
    equity: texts === undefined ? formatFixed(equity) : textOf(texts.equity, equity),
    currentDrawdown: texts === undefined ? formatFixed(state.current) : textOf(texts.current, state.current),
    maxDrawdown: texts === undefined ? formatFixed(state.max) : textOf(texts.max, state.max),
  };
}

/**
 * The events that change an account: its balances, reservations, positions, settings or standing
 * (Binance's `updateTime`, "the last time the account changed"). Refusals change nothing; an EQUITY
 * sample only values the account; ACCOUNT_CLOSED ends it.
 */
export const ACCOUNT_CHANGES: ReadonlySet<KernelEvent['type']> = new Set<KernelEvent['type']>([
  'ORDER_NEW', 'FILL', 'ORDER_CANCELED', 'ORDER_EXPIRED', 'ORDER_TRIGGERED', 'ACCOUNT_OPENED', 'ACCOUNT_RESET', 'ACCOUNT_IMPORTED',
  'POSITION_OPENED', 'POSITION_UPDATED', 'POSITION_CLOSED', 'LIQUIDATION', 'FUNDING', 'MAX_DRAWDOWN_REACHED', 'LEVERAGE_SET',
]);
