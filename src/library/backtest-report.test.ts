/**
 * The backtest report page in real Chromium, opened from disk (file://) as a user opens it: what
 * its charts hold is read back from the charting library itself and compared with the backtest.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRecording } from '../market-data/recording-reader.js';
import { readCandlesFile, type Candle } from '../strategy/candles.js';
import { chromiumOrSkip, launchChromium, type TestBrowser } from '../test-kit/chromium.js';
import { candlesFile, PROJECT_ROOT, USDM_RECORDING } from '../test-kit/data-paths.js';
import { runBacktest, runRecordingBacktest, type BacktestReport } from './backtest.js';
import { BacktestRecorder, candlesOfRecording, renderBacktestHtml, type BacktestDetail } from './backtest-report.js';
import { scratchDir } from '../test-kit/scratch-dir.js';

const OUTPUT = join(PROJECT_ROOT, 'test-output');
const runs = chromiumOrSkip('backtest report');
const TACTICS = {
  name: 'report', entry: { type: 'market' }, stopLoss: { type: 'percent', percent: 0.4 },
  takeProfits: [{ percent: 0.4, share: 0.5 }, { percent: 0.8, share: 0.5 }], breakEvenAfterFirstTarget: true,
};

interface Shown {
  candles: number;
  markers: number;
  entryMarkers: number;
  equity: number;
  drawdown: number;
  lowestDrawdown: number;
  tradeRows: number;
  openRows: number;
  firstCandle: { time: number; open: number; close: number };
  firstTrade: string[];
}

function backtestOverCandles(): { report: BacktestReport; detail: BacktestDetail; candles: Candle[] } {
  const candles = readCandlesFile(candlesFile('coinbase_btcusd_1m_20171217.csv'));
  const recorder = new BacktestRecorder();
  const report = runBacktest(candles, { strategy: 'rsi-reversal', tactics: TACTICS, leverage: 3, feeBps: 4, onEvent: recorder.observe });
  return { report, detail: recorder.detail(candles), candles };
}

/** By hand: the seconds the equity curve covers (the chart's resolution), and the worst fall from a running peak there. */
function expectedCurve(report: BacktestReport): { points: number; worst: number } {
  const last = new Map<number, number>();
  for (const p of report.equityCurve) last.set(Math.floor(p.at / 1000), Number(p.equity));
  let peak = -Infinity;
  let worst = 0;
  for (const [, e] of [...last.entries()].sort((a, b) => a[0] - b[0])) {
    peak = Math.max(peak, e);
    worst = Math.min(worst, (e / peak - 1) * 100);
  }
  return { points: last.size, worst };
}

describe.skipIf(!runs)('the backtest report page in Chromium', () => {
  let browser: TestBrowser;
  const dir = scratchDir('papertrade-report-');
  beforeAll(async () => {
    mkdirSync(OUTPUT, { recursive: true });
    browser = await launchChromium({ width: 1280, height: 900 });
  }, 60_000);
  afterAll(async () => browser?.close());

  async function open(name: string, html: string): Promise<{ shown: Shown; problems: string[] }> {
    const file = join(dir, `${name}.html`);
    writeFileSync(file, html);
    const page = await browser.context.newPage();
    const problems: string[] = [];
    page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('request', (r) => !r.url().startsWith('file:') && !r.url().startsWith('data:') && problems.push(`fetched ${r.url()}`));
    await page.goto(pathToFileURL(file).href);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
    // The page's own code runs in the browser; a string keeps the DOM out of this Node-typed file.
    const shown = (await page.evaluate(`(() => {
      const r = window.backtestReport;
      const markers = r.markers.markers();
      const dd = r.drawdown.data();
      const first = r.price.data()[0];
      return {
        candles: r.price.data().length,
        markers: markers.length,
        entryMarkers: markers.filter((m) => m.shape !== 'circle').length,
        equity: r.equity.data().length,
        drawdown: dd.length,
        lowestDrawdown: Math.min(0, ...dd.map((p) => p.value)),
        tradeRows: document.querySelectorAll('#trades tbody tr').length,
        openRows: [...document.querySelectorAll('#trades tbody tr')].filter((tr) => tr.textContent.includes('open')).length,
        firstCandle: { time: first.time, open: first.open, close: first.close },
        firstTrade: [...(document.querySelector('#trades tbody tr')?.children ?? [])].map((td) => td.textContent).filter((_, i) => [0, 1, 3, 5, 6, 7, 9].includes(i)),
      };
    })()`)) as Shown;
    await page.screenshot({ path: join(OUTPUT, `backtest-report-${name}.png`), fullPage: true });
    await page.close();
    return { shown, problems };
  }

  it('over candles: every candle, a marker per entry and exit, equity and drawdown point by point, a row per trade', async () => {
    const { report, detail, candles } = backtestOverCandles();
    expect(report.fills).toBeGreaterThan(4);
    const { shown, problems } = await open('candles', renderBacktestHtml(report, detail));
    expect(problems).toEqual([]);
    expect(shown.candles).toBe(candles.length);
    expect(shown.firstCandle).toEqual({ time: candles[0]!.openTime / 1000, open: Number(candles[0]!.open), close: Number(candles[0]!.close) });
    // Each fill of the backtest is an entry or an exit, and has its marker.
    expect(shown.markers).toBe(report.fills);
    expect(shown.entryMarkers).toBeGreaterThanOrEqual(report.positionsOpened);
    const curve = expectedCurve(report);
    expect(shown.equity).toBe(curve.points);
    expect(shown.drawdown).toBe(curve.points);
    expect(shown.lowestDrawdown).toBeCloseTo(curve.worst, 3);
    // One row per position opened: the closed ones the metrics count, and any still open.
    expect(shown.tradeRows).toBe(report.positionsOpened);
    expect(shown.tradeRows - shown.openRows).toBe(report.metrics.tradeCount);
  });

  it('over a recording: candles of its trades at the strategy interval, fills marked on them', async () => {
    const recording = readRecording(USDM_RECORDING);
    const recorder = new BacktestRecorder();
    const report = runRecordingBacktest(recording, { strategy: 'ema-crossover', strategyParams: { fast: 2, slow: 4 }, tactics: TACTICS, candleIntervalMs: 15_000, onEvent: recorder.observe });
    const candles = candlesOfRecording(recording, 15_000);
    // By hand: one candle per 15 s interval that had a trade.
    const intervals = new Set(recording.inputs.filter((i) => i.kind === 'trade').map((i) => Math.floor(i.time / 15_000)));
    expect(candles).toHaveLength(intervals.size);
    expect(report.fills).toBeGreaterThan(0);
    const { shown, problems } = await open('recording', renderBacktestHtml(report, recorder.detail(candles)));
    expect(problems).toEqual([]);
    expect(shown.candles).toBe(intervals.size);
    expect(shown.markers).toBe(report.fills);
    expect(shown.tradeRows).toBe(report.positionsOpened);
    // The first round trip by hand, from its fills: a long of 0.158 at 61694.5, closed by 0.006 at
    // 61667.8, 0.019 at 61667.7 and 0.133 at 61667.1; fees 4.8738655 + 0.1850034 + 0.58584315 +
    // 4.10086215 = 9.7455792; PnL 0.158 × (61667.1987… − 61694.5) − 9.7455792 = −14.0591792.
    expect(shown.firstTrade).toEqual(['1', 'LONG', '61694.5', '61667.20', '0.158', '-14.06', '9.75']);
  });

  it('is the same page for the same backtest, byte for byte', () => {
    const a = backtestOverCandles();
    const b = backtestOverCandles();
    expect(renderBacktestHtml(a.report, a.detail)).toBe(renderBacktestHtml(b.report, b.detail));
  });
});
