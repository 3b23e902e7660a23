/**
 * Account health: equity, drawdown and the max-drawdown guard, for every account.
 *
 * Guarantees:
 * - spot equity = Σ balances valued in the valuation asset at each market's mark (mark input, else
 *   the book's mid, else the last trade); futures equity = wallet + Σ uPnL at the mark;
 * - an EQUITY point is emitted after every input that filled, funded or liquidated an account, and
 *   for every account each time the clock crosses a multiple of the sampling interval;
 * - drawdown is measured from the highest equity seen (starting at the opening equity); accounts
 *   with a limit are valued on every price move, so a crossing between samples is caught; when it
 *   reaches the account's limit the account halts once: its open orders are cancelled, optionally
 *   its positions closed, MAX_DRAWDOWN_REACHED is emitted, and new orders are refused.
 * Not modelled: valuation of assets with no market in the valuation asset (they count as zero).
 */
import { formatFixed, mul, parseFixed, type Fixed } from '../money/fixed.js';
import { DrawdownTracker } from '../accounts/metrics.js';
import type { FuturesAccount } from '../accounts/futures-account.js';
import type { SpotAccount } from '../accounts/spot-account.js';
import type { Market } from '../matching/market.js';

export type Account = SpotAccount | FuturesAccount;

export interface HealthState {
  tracker: DrawdownTracker | undefined;
  readonly limit: Fixed | undefined;
  readonly closeOnHalt: boolean;
  halted: boolean;
  lastEquity: Fixed;
}

export function priceOf(market: Market): Fixed | undefined {
  if (market.mark !== undefined) return market.mark;
  const mid = market.book.mid(market.instrument.tickSize);
  if (mid !== undefined) return mid;
  return market.lastTradePrice === undefined ? undefined : parseFixed(market.lastTradePrice);
}

export function equityOf(account: Account, markets: ReadonlyMap<string, Market>, valuationAsset: string): Fixed {
  if (account.kind === 'futures') return account.equity((symbol) => markets.get(symbol)?.mark);
  let total = 0n;
  for (const asset of account.assets()) {
    const b = account.balance(asset);
    const amount = b.free + b.locked;
    if (amount === 0n) continue;
    if (asset === valuationAsset) {
      total += amount;
      continue;
    }
    for (const market of markets.values()) {
      if (market.instrument.market !== 'spot' || market.instrument.base !== asset || market.instrument.quote !== valuationAsset) continue;
      const price = priceOf(market);
      if (price !== undefined) total += mul(amount, price, 'half-up');
      break;
    }
  }
  return total;
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

export function equityEvent(account: string, at: number, equity: Fixed, state: { current: Fixed; max: Fixed }) {
  return {
    type: 'EQUITY' as const,
    at,
    account,
    equity: formatFixed(equity),
    currentDrawdown: formatFixed(state.current),
    maxDrawdown: formatFixed(state.max),
  };
}
