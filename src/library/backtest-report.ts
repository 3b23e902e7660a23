/**
 * Presenting a backtest: a metrics table for the terminal, the JSON report, the full HTML report
 * (price with entries and exits, equity, drawdown, metrics, trades: backtest-report-page.ts, with
 * its data from backtest-report-data.ts), and the equity curve alone as inline SVG without scripts.
 * Deterministic: the same report gives the same bytes.
 */
import type { BacktestReport } from './backtest.js';

export { renderBacktestHtml, equityAndDrawdown } from './backtest-report-page.js';
export { BacktestRecorder, candlesOfRecording, type BacktestDetail, type ReportFill, type ReportTrade } from './backtest-report-data.js';

const ROWS: readonly [key: string, label: string][] = [
  ['initialEquity', 'Initial equity'], ['finalEquity', 'Final equity'], ['return', 'Return'], ['totalPnl', 'Total PnL'],
  ['tradeCount', 'Trades'], ['winRate', 'Win rate'], ['profitFactor', 'Profit factor'], ['averageWin', 'Average win'],
  ['averageLoss', 'Average loss'], ['expectancy', 'Expectancy'], ['maxDrawdown', 'Max drawdown (intrabar)'], ['sharpe', 'Sharpe'],
  ['sortino', 'Sortino'], ['feesPaid', 'Fees paid'], ['fundingPaid', 'Funding paid'],
];

const PERCENT = new Set(['return', 'winRate', 'maxDrawdown']);

function show(key: string, value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '—';
  if (PERCENT.has(key)) return `${(Number(value) * 100).toFixed(2)} %`;
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : value.toFixed(3);
  const n = Number(value);
  return Number.isFinite(n) && /\./.test(value) ? n.toFixed(4).replace(/\.?0+$/, '') : value;
}

export function metricsRows(report: BacktestReport): [string, string][] {
  const rows: [string, string][] = [
    ['Strategy', report.strategy], ['Symbol', report.symbol], ['Source', `${report.source} (${report.inputs} ${report.source === 'candles' ? 'candles' : 'inputs'})`],
    ['Signals', String(report.signals)], ['Orders', String(report.orders)], ['Fills', String(report.fills)],
    ['Errors', Object.entries(report.errors).map(([code, n]) => `${code} ${n}`).join(', ') || '0'],
  ];
  for (const [key, label] of ROWS) rows.push([label, show(key, report.metrics[key])]);
  return rows;
}

export function renderMetricsTable(report: BacktestReport): string {
  const rows = metricsRows(report);
  const w = Math.max(...rows.map(([k]) => k.length));
  const v = Math.max(...rows.map(([, x]) => x.length));
  const line = `+${'-'.repeat(w + 2)}+${'-'.repeat(v + 2)}+`;
  return [line, ...rows.map(([k, x]) => `| ${k.padEnd(w)} | ${x.padStart(v)} |`), line].join('\n');
}

export function renderReportJson(report: BacktestReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Equity curve page: one inline SVG polyline, axis labels, and the metrics table. */
export function renderEquityHtml(report: BacktestReport): string {
  const W = 960;
  const H = 360;
  const pad = 48;
  const points = report.equityCurve.map((p) => ({ at: p.at, equity: Number(p.equity) }));
  let svgBody = '<text x="480" y="180" text-anchor="middle">no equity points</text>';
  if (points.length > 0) {
    const t0 = points[0]!.at;
    const t1 = Math.max(points[points.length - 1]!.at, t0 + 1);
    const lo = Math.min(...points.map((p) => p.equity));
    const hi = Math.max(Math.max(...points.map((p) => p.equity)), lo + 1e-9);
    const x = (at: number) => (pad + ((at - t0) / (t1 - t0)) * (W - 2 * pad)).toFixed(1);
    const y = (e: number) => (H - pad - ((e - lo) / (hi - lo)) * (H - 2 * pad)).toFixed(1);
    const path = points.map((p) => `${x(p.at)},${y(p.equity)}`).join(' ');
    const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
    svgBody = [
      `<rect x="${pad}" y="${pad}" width="${W - 2 * pad}" height="${H - 2 * pad}" fill="#fafafa" stroke="#ccc"/>`,
      `<polyline fill="none" stroke="#1f6feb" stroke-width="1.5" points="${path}"/>`,
      `<text x="${pad}" y="${pad - 8}" font-size="12">${hi.toFixed(2)}</text>`,
      `<text x="${pad}" y="${H - pad + 16}" font-size="12">${lo.toFixed(2)}</text>`,
      `<text x="${pad}" y="${H - 8}" font-size="12">${iso(t0)}</text>`,
      `<text x="${W - pad}" y="${H - 8}" font-size="12" text-anchor="end">${iso(t1)}</text>`,
    ].join('\n');
  }
  const rows = metricsRows(report).map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Backtest ${esc(report.strategy)} ${esc(report.symbol)}</title>
<style>body{font-family:system-ui,sans-serif;margin:24px;color:#222}table{border-collapse:collapse}th,td{padding:4px 12px;border-bottom:1px solid #eee;text-align:left}td{text-align:right;font-variant-numeric:tabular-nums}</style>
</head><body>
<h1>Backtest: ${esc(report.strategy)} on ${esc(report.symbol)}</h1>
<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="equity curve">
${svgBody}
</svg>
<table>
${rows}
</table>
</body></html>
`;
}
