/**
 * Metrics of one backtest account from the kernel's events (as market-data/account-report.ts
 * does), with the returns sampled at the backtest's own bar interval: Sharpe and Sortino over
 * daily candles use daily returns, over minute candles minute returns, annualised to 365 days.
 * Round trips are futures positions from open to close; PnL net of fees and funding.
 * maxDrawdown and maxDrawdownAmount are the worst fall from the running peak over every equity the
 * kernel valued the account at, when it gives them (`drawdown`: the backtest's kernel values the
 * account at every step of each bar's path, open, extremes, order prices and close, as the
 * account's drawdown halt does; ADR 0042, 2026-12-02); the equity curve, and the returns Sharpe and
 * Sortino read, stay the sampled points, so a fall inside a bar shows in the metric, not in the curve.
 */
import { computeMetrics, type ClosedTrade, type EquityPoint } from '../core/accounts/metrics.js';
import type { KernelEvent } from '../core/kernel/events.js';
import { formatFixed, mul, parseFixed, type Fixed } from '../core/money/fixed.js';

const YEAR_MS = 365 * 86_400_000;

export class BacktestMetrics {
  /**
   * The equity curve without repeats: the first point of each run of one equity; `latestAt`, the
   * time of the last point seen. The metrics are those of the whole curve: a repeat moves no
   * drawdown, the period returns read the last equity at or before each boundary, which the run's
   * first point gives, and the last point bounds the periods. Most points of a backtest repeat.
   */
  private readonly curve: EquityPoint[] = [];
  private latestAt = 0;
  private readonly trades: ClosedTrade[] = [];
  private fees: Fixed = 0n;
  private funding: Fixed = 0n;
  /** The last equity text and its value: the kernel repeats the same text while equity stays put. */
  private equityText = '';
  private equity: Fixed = 0n;

  /** `equityValue`: an EQUITY event's equity as a value without parsing its text, when known (`Kernel.lastEquityValue`). */
  constructor(
    private readonly account: string,
    private readonly valuationAsset = 'USDT',
    private readonly equityValue: (text: string) => Fixed | undefined = () => undefined,
    private readonly drawdown: () => { readonly max: Fixed; readonly maxAmount: Fixed } | undefined = () => undefined,
  ) {}

  observe(event: KernelEvent): void {
    if (!('account' in event) || event.account !== this.account) return;
    switch (event.type) {
      case 'EQUITY':
        if (event.equity !== this.equityText || this.curve.length === 0) {
          const equity = this.equityValue(event.equity) ?? parseFixed(event.equity);
          this.equityText = event.equity;
          if (equity !== this.equity || this.curve.length === 0) this.curve.push({ at: event.at, equity });
          this.equity = equity;
        }
        this.latestAt = event.at;
        break;
      case 'FILL':
        this.fees += event.feeAsset === this.valuationAsset ? parseFixed(event.fee) : mul(parseFixed(event.fee), parseFixed(event.price), 'half-up');
        break;
      case 'LIQUIDATION':
        this.fees += parseFixed(event.liquidationFee);
        break;
      case 'FUNDING':
        this.funding += parseFixed(event.amount);
        break;
      case 'POSITION_CLOSED':
        this.trades.push({ closedAt: event.at, pnl: parseFixed(event.realizedPnl) - parseFixed(event.feesPaid) - parseFixed(event.totalFundingPaid), fees: parseFixed(event.feesPaid) });
        break;
      default:
        break;
    }
  }

  /**
   * The account's equity after the last input. The kernel samples equity when an input crosses a
   * sample boundary, before that input moves prices, so the last sample misses the last prices
   * (a backtest's last close): without this the metrics end at an earlier valuation.
   */
  closeAt(at: number, equity: Fixed): void {
    if (this.curve.length === 0 || equity !== this.equity) this.curve.push({ at: Math.max(at, this.latestAt), equity });
    this.equity = equity;
    this.equityText = '';
    this.latestAt = Math.max(at, this.latestAt);
  }

  /** Metrics as JSON-friendly values (decimal strings, numbers, null). */
  metrics(periodMs: number): Record<string, string | number | null> {
    const first = this.curve[0];
    if (first === undefined || first.equity <= 0n) return {};
    const period = Math.max(1, Math.round(periodMs));
    const kept = this.curve[this.curve.length - 1]!;
    const m = computeMetrics({
      initialEquity: first.equity, equityCurve: kept.at === this.latestAt ? this.curve : [...this.curve, { at: this.latestAt, equity: kept.equity }], trades: this.trades, feesPaid: this.fees, fundingPaid: this.funding,
      periodMs: period, annualization: YEAR_MS / period,
    });
    // Every step's equity, where the kernel valued it: never less than the samples' own fall.
    const steps = this.drawdown();
    const worst = steps === undefined ? m : { ...m, maxDrawdown: steps.max > m.maxDrawdown ? steps.max : m.maxDrawdown, maxDrawdownAmount: steps.maxAmount > m.maxDrawdownAmount ? steps.maxAmount : m.maxDrawdownAmount };
    const out: Record<string, string | number | null> = {};
    for (const [key, value] of Object.entries(worst)) out[key] = typeof value === 'bigint' ? formatFixed(value) : value;
    // What the drawdown figures were read from, in the report itself.
    out['drawdownMeasuredOn'] = steps === undefined ? 'equity samples' : 'every price step';
    return out;
  }
}
