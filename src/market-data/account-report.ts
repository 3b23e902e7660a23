/**
 * Collects, from the kernel's events, what an account's metrics need — its equity curve and its
 * closed round trips — and reports the metrics as one JSON-friendly event.
 *
 * A round trip is a futures position from opening to close: its PnL is realized PnL − fees −
 * funding. Spot accounts have no positions, so their metrics come from the equity curve alone.
 */
import { computeMetrics, type ClosedTrade, type EquityPoint } from '../core/accounts/metrics.js';
import type { KernelEvent } from '../core/kernel/events.js';
import { formatFixed, mul, parseFixed, type Fixed } from '../core/money/fixed.js';

export interface MetricsEvent {
  readonly type: 'METRICS';
  readonly at: number;
  readonly account: string;
  readonly metrics: Record<string, string | number | null>;
}

export class AccountReport {
  constructor(private readonly valuationAsset = 'USDT') {}

  private readonly curves = new Map<string, EquityPoint[]>();
  private readonly trades = new Map<string, ClosedTrade[]>();
  private readonly fees = new Map<string, Fixed>();
  private readonly funding = new Map<string, Fixed>();

  observe(event: KernelEvent): void {
    switch (event.type) {
      case 'EQUITY':
        list(this.curves, event.account).push({ at: event.at, equity: parseFixed(event.equity) });
        break;
      case 'FILL':
        // Fees in the base asset (Binance spot buys) are valued at the fill's price.
        add(this.fees, event.account, event.feeAsset === this.valuationAsset ? parseFixed(event.fee) : mul(parseFixed(event.fee), parseFixed(event.price), 'half-up'));
        break;
      case 'LIQUIDATION':
        add(this.fees, event.account, parseFixed(event.liquidationFee));
        break;
      case 'FUNDING':
        add(this.funding, event.account, parseFixed(event.amount));
        break;
      case 'POSITION_CLOSED':
        list(this.trades, event.account).push({
          closedAt: event.at,
          pnl: parseFixed(event.realizedPnl) - parseFixed(event.feesPaid) - parseFixed(event.totalFundingPaid),
          fees: parseFixed(event.feesPaid),
        });
        break;
      default:
        break;
    }
  }

  /**
   * The account's equity at the end of the replay. The kernel samples equity each minute, before
   * the input that crosses the minute, so without this point the metrics would stop at the last
   * whole minute while the balances are those of the end.
   */
  close(account: string, at: number, equity: Fixed): void {
    const curve = list(this.curves, account);
    const last = curve[curve.length - 1];
    if (last === undefined || last.equity !== equity || last.at < at) curve.push({ at: Math.max(at, last?.at ?? at), equity });
  }

  metrics(account: string, at: number): MetricsEvent | undefined {
    const curve = this.curves.get(account) ?? [];
    const first = curve[0];
    if (first === undefined || first.equity <= 0n) return undefined;
    const m = computeMetrics({
      initialEquity: first.equity,
      equityCurve: curve,
      trades: this.trades.get(account) ?? [],
      feesPaid: this.fees.get(account) ?? 0n,
      fundingPaid: this.funding.get(account) ?? 0n,
      periodMs: 60_000,
      annualization: 525_600,
    });
    const out: Record<string, string | number | null> = {};
    for (const [key, value] of Object.entries(m)) out[key] = typeof value === 'bigint' ? formatFixed(value) : value;
    return { type: 'METRICS', at, account, metrics: out };
  }
}

function list<T>(map: Map<string, T[]>, key: string): T[] {
  let l = map.get(key);
  if (l === undefined) {
    l = [];
    map.set(key, l);
  }
  return l;
}

/** Adds `amount` to the account's running sum (one function for every event, not a closure per event). */
function add(map: Map<string, Fixed>, account: string, amount: Fixed): void {
  map.set(account, (map.get(account) ?? 0n) + amount);
}
