/**
 * The backtest report as one self-contained HTML page: price candles with the entries and exits
 * marked, equity and drawdown with time axes, the metrics and the list of round trips. Drawn with
 * the dashboard's charting library, TradingView Lightweight Charts™, whose standalone build is
 * inlined with its licence header; the data is JSON in the page. It opens from disk, offline.
 *
 * Guarantees: deterministic (the same report gives the same bytes); nothing is fetched; no text of
 * the report can close a script or inject markup (JSON with `<` escaped, HTML escaped). Chart times
 * are UTC seconds (the library's resolution): equity points within one second keep the last.
 * Cost: the library's ~200 KB plus ~100 bytes per candle, point and fill.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { BacktestReport } from './backtest.js';
import type { BacktestDetail } from './backtest-report-data.js';
import { metricsRows } from './backtest-report.js';

let library: string | undefined;

/** The standalone build of lightweight-charts in node_modules, its licence comment included. */
function chartingLibrary(): string {
  if (library === undefined) {
    const pkg = createRequire(import.meta.url).resolve('lightweight-charts/package.json');
    library = readFileSync(join(dirname(pkg), 'dist', 'lightweight-charts.standalone.production.js'), 'utf8').replace(/<\/(script)/gi, '<\\/$1');
  }
  return library;
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const iso = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace(/:\d\d\.\d{3}Z$/, ' UTC');
const isoShort = (ms: number) => iso(ms).slice(0, 16);
/** A price as its fills had it, an average rounded to the entry's decimals (at least 2). */
const priceText = (value: string, like: string) => {
  const decimals = Math.max(2, (like.split('.')[1] ?? '').length);
  return (value.split('.')[1] ?? '').length <= decimals ? value : Number(value).toFixed(decimals);
};

/** Equity and drawdown (fraction below the running peak), one point per second (the last wins). */
export function equityAndDrawdown(curve: BacktestReport['equityCurve']): { equity: [number, number][]; drawdown: [number, number][] } {
  const bySecond = new Map<number, number>();
  for (const p of curve) bySecond.set(Math.floor(p.at / 1000), Number(p.equity));
  const equity = [...bySecond.entries()].sort((a, b) => a[0] - b[0]);
  let peak = Number.NEGATIVE_INFINITY;
  const drawdown = equity.map(([t, e]): [number, number] => {
    peak = Math.max(peak, e);
    return [t, peak > 0 ? Number(((e / peak - 1) * 100).toFixed(4)) : 0];
  });
  return { equity, drawdown };
}

const STYLE = `
:root{--bg:#0d1117;--panel:#141a23;--line:#252e3c;--grid:#1b222d;--text:#e6e9ef;--muted:#8b95a7;--accent:#f5b83d;--buy:#22c55e;--sell:#f04d5a}
*{box-sizing:border-box}body{margin:0;background:var(--bg);color:var(--text);font:14px/1.45 Inter,system-ui,-apple-system,'Segoe UI',Roboto,sans-serif}
main{max-width:1280px;margin:0 auto;padding:20px}h1{font-size:20px;margin:0 0 4px}h2{font-size:12px;margin:0 0 10px;text-transform:uppercase;letter-spacing:.08em;color:var(--muted);font-weight:600}
.sub{color:var(--muted);margin:0 0 16px}.num{font-family:ui-monospace,'SFMono-Regular',Menlo,Consolas,monospace;font-variant-numeric:tabular-nums}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(140px,1fr));gap:10px;margin-bottom:14px}
.card{background:var(--panel);border:1px solid var(--line);border-radius:10px;padding:10px 12px}.card span{display:block;color:var(--muted);font-size:11px;text-transform:uppercase;letter-spacing:.08em}.card strong{font-size:19px}
.panel{background:var(--panel);border:1px solid var(--line);border-radius:10px;padding:12px 14px;margin-bottom:14px;min-width:0}
.chart{height:420px}.chart.small{height:200px}.chart.tiny{height:150px}.legend{float:right;color:var(--muted);font-size:12px}
.pos{color:var(--buy)}.neg{color:var(--sell)}.cols{display:grid;grid-template-columns:minmax(280px,1fr) minmax(0,2.6fr);gap:14px;align-items:start}
.metrics td{white-space:normal;overflow-wrap:anywhere}
table{width:100%;border-collapse:collapse;font-size:13px}th{color:var(--muted);font-weight:500;text-align:left;font-size:11.5px;text-transform:uppercase;letter-spacing:.05em;padding:6px 8px;border-bottom:1px solid var(--line);white-space:nowrap}
td{padding:6px 8px;border-bottom:1px solid var(--grid);white-space:nowrap}td.r,th.r{text-align:right}.metrics th{text-transform:none;letter-spacing:0;font-size:13px;color:var(--muted)}
.scroll{overflow-x:auto}footer{color:var(--muted);font-size:12px;text-align:center;padding:8px 0 24px}footer a{color:var(--muted)}
@media (max-width:900px){.cols{grid-template-columns:1fr}.chart{height:320px}}
`;

/** Runs in the page: the data from #report-data, drawn with window.LightweightCharts. */
const CLIENT = `
(function () {
  var LWC = window.LightweightCharts;
  var data = JSON.parse(document.getElementById('report-data').textContent);
  var css = { text: '#8b95a7', grid: '#1b222d', line: '#252e3c', buy: '#22c55e', sell: '#f04d5a', accent: '#f5b83d', exit: '#c7d2fe' };
  function chart(id) {
    return LWC.createChart(document.getElementById(id), {
      autoSize: true,
      layout: { background: { type: 'solid', color: 'transparent' }, textColor: css.text, fontSize: 11, attributionLogo: true },
      grid: { vertLines: { color: css.grid }, horzLines: { color: css.grid } },
      rightPriceScale: { borderColor: css.line },
      timeScale: { borderColor: css.line, timeVisible: true, secondsVisible: false },
      crosshair: { mode: 0 }
    });
  }
  var candles = data.candles.map(function (c) { return { time: c[0], open: c[1], high: c[2], low: c[3], close: c[4] }; });
  var times = candles.map(function (c) { return c.time; });
  function barOf(t) {
    var lo = 0, hi = times.length - 1;
    if (hi < 0) return t;
    while (lo < hi) { var mid = (lo + hi + 1) >> 1; if (times[mid] <= t) lo = mid; else hi = mid - 1; }
    return times[lo];
  }
  var price = chart('price-chart');
  var candleSeries = price.addSeries(LWC.CandlestickSeries, { upColor: css.buy, downColor: css.sell, wickUpColor: css.buy, wickDownColor: css.sell, borderVisible: false });
  candleSeries.setData(candles);
  var markers = data.fills.map(function (f) {
    var buy = f.side === 'BUY';
    // Labels only while they stay legible; the legend explains the shapes.
    var label = data.fills.length <= 30;
    if (f.effect === 'entry') return { time: barOf(f.at), position: buy ? 'belowBar' : 'aboveBar', shape: buy ? 'arrowUp' : 'arrowDown', color: buy ? css.buy : css.sell, text: label ? (buy ? 'Long ' : 'Short ') + f.quantity : '' };
    return { time: barOf(f.at), position: buy ? 'belowBar' : 'aboveBar', shape: 'circle', color: css.exit, text: label ? 'Exit ' + f.quantity : '' };
  });
  var markerApi = LWC.createSeriesMarkers(candleSeries, markers);
  price.timeScale().fitContent();

  var equity = chart('equity-chart');
  var equitySeries = equity.addSeries(LWC.AreaSeries, { lineColor: css.accent, topColor: 'rgba(245,184,61,.35)', bottomColor: 'rgba(245,184,61,.02)', lineWidth: 2 });
  equitySeries.setData(data.equity.map(function (p) { return { time: p[0], value: p[1] }; }));
  equity.timeScale().fitContent();

  var drawdown = chart('drawdown-chart');
  var drawdownSeries = drawdown.addSeries(LWC.AreaSeries, { lineColor: css.sell, topColor: 'rgba(240,77,90,.4)', bottomColor: 'rgba(240,77,90,.05)', lineWidth: 1, invertFilledArea: true, priceFormat: { type: 'custom', formatter: function (v) { return v.toFixed(2) + ' %'; } } });
  drawdownSeries.setData(data.drawdown.map(function (p) { return { time: p[0], value: p[1] }; }));
  drawdown.timeScale().fitContent();

  // Scrolling or zooming one chart moves the others to the same time range.
  var all = [price, equity, drawdown], syncing = false;
  all.forEach(function (c) {
    c.timeScale().subscribeVisibleTimeRangeChange(function (range) {
      if (syncing || !range) return;
      syncing = true;
      all.forEach(function (o) { if (o !== c) { try { o.timeScale().setVisibleRange(range); } catch (e) { /* outside the other's data */ } } });
      syncing = false;
    });
  });
  window.backtestReport = { price: candleSeries, markers: markerApi, equity: equitySeries, drawdown: drawdownSeries };
  document.body.dataset.ready = 'true';
})();
`;

const pct = (v: number) => `${v >= 0 ? '+' : ''}${v.toFixed(2)} %`;

export function renderBacktestHtml(report: BacktestReport, detail: BacktestDetail): string {
  const { equity, drawdown } = equityAndDrawdown(report.equityCurve);
  const data = {
    candles: detail.candles.map((c) => [Math.floor(c.openTime / 1000), Number(c.open), Number(c.high), Number(c.low), Number(c.close)]),
    fills: detail.fills.map((f) => ({ at: Math.floor(f.at / 1000), side: f.side, effect: f.effect, price: f.price, quantity: f.quantity })),
    equity,
    drawdown,
  };
  const json = JSON.stringify(data).replace(/</g, '\\u003c');
  const m = report.metrics;
  const card = (label: string, value: string, tone = '') => `<div class="card"><span>${esc(label)}</span><strong class="num ${tone}">${esc(value)}</strong></div>`;
  const ret = m.return === null || m.return === undefined ? undefined : Number(m.return) * 100;
  const cards = [
    card('Return', ret === undefined ? '—' : pct(ret), ret === undefined ? '' : ret >= 0 ? 'pos' : 'neg'),
    card('Final equity', Number(report.finalEquity).toFixed(2)),
    card('Max drawdown', m.maxDrawdown === null || m.maxDrawdown === undefined ? '—' : `${(Number(m.maxDrawdown) * 100).toFixed(2)} %`, 'neg'),
    card('Trades', String(m.tradeCount ?? detail.trades.length)),
    card('Win rate', m.winRate === null || m.winRate === undefined ? '—' : `${(Number(m.winRate) * 100).toFixed(1)} %`),
    card('Profit factor', m.profitFactor === null || m.profitFactor === undefined ? '—' : Number(m.profitFactor).toFixed(2)),
    card('Sharpe', m.sharpe === null || m.sharpe === undefined ? '—' : Number(m.sharpe).toFixed(2)),
  ].join('');
  const metrics = metricsRows(report).map(([k, v]) => `<tr><th>${esc(k)}</th><td class="r num">${esc(v)}</td></tr>`).join('');
  const trades = detail.trades
    .map((t, i) => {
      const pnl = Number(t.pnl);
      const ret = Number(t.entryPrice) > 0 && Number(t.size) > 0 ? (pnl / (Number(t.entryPrice) * Number(t.size))) * 100 : 0;
      return `<tr><td class="num">${i + 1}</td><td class="${t.direction === 'LONG' ? 'pos' : 'neg'}">${t.direction}</td><td class="num">${esc(isoShort(t.openedAt))}</td><td class="r num">${esc(t.entryPrice)}</td><td class="num">${t.closedAt === undefined ? 'open' : esc(isoShort(t.closedAt))}</td><td class="r num">${t.exitPrice === undefined ? '—' : esc(priceText(t.exitPrice, t.entryPrice))}</td><td class="r num">${esc(t.size)}</td><td class="r num ${pnl > 0 ? 'pos' : pnl < 0 ? 'neg' : ''}">${pnl.toFixed(2)}</td><td class="r num">${pct(ret)}</td><td class="r num">${Number(t.fees).toFixed(2)}</td></tr>`;
    })
    .join('');
  const entries = detail.fills.filter((f) => f.effect === 'entry').length;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="color-scheme" content="dark">
<title>Backtest · ${esc(report.strategy)} · ${esc(report.symbol)}</title>
<style>${STYLE}</style>
</head><body>
<main>
<h1>${esc(report.strategy)} on ${esc(report.symbol)}</h1>
<p class="sub">${esc(iso(report.from))} → ${esc(iso(report.to))} · ${esc(report.source)} · ${report.inputs} ${report.source === 'candles' ? 'candles' : 'inputs'} · ${report.fills} fills (${entries} entries, ${report.fills - entries} exits)</p>
<section class="cards">${cards}</section>
<section class="panel"><h2>Price <span class="legend"><span class="pos">▲</span> long entry · <span class="neg">▼</span> short entry · ● exit · UTC</span></h2><div id="price-chart" class="chart" data-candles="${data.candles.length}" data-markers="${data.fills.length}"></div></section>
<section class="panel"><h2>Equity (USDT)</h2><div id="equity-chart" class="chart small" data-points="${equity.length}"></div></section>
<section class="panel"><h2>Drawdown from peak</h2><div id="drawdown-chart" class="chart tiny" data-points="${drawdown.length}"></div></section>
<div class="cols">
<section class="panel"><h2>Metrics</h2><table class="metrics"><tbody>${metrics}</tbody></table></section>
<section class="panel"><h2>Trades <span class="legend">PnL net of fees and funding</span></h2><div class="scroll"><table id="trades"><thead><tr><th>#</th><th>Side</th><th>Opened (UTC)</th><th class="r">Entry</th><th>Closed (UTC)</th><th class="r">Exit</th><th class="r">Size</th><th class="r">PnL</th><th class="r">Return</th><th class="r">Fees</th></tr></thead><tbody>${trades}</tbody></table>${detail.trades.length === 0 ? '<p class="sub">No trades.</p>' : ''}</div></section>
</div>
<footer>papertrade backtest report · charts by <a href="https://www.tradingview.com/">TradingView Lightweight Charts™</a> (Apache License 2.0, inlined below with its notice)</footer>
</main>
<script type="application/json" id="report-data">${json}</script>
<script>${chartingLibrary()}</script>
<script>${CLIENT}</script>
</body></html>
`;
}
