/**
 * Charts through lightweight-charts (TradingView): the selected
 * symbol's candles with volume and the account's fills as markers, and the equity curve (area).
 *
 * The price chart opens with the server's candles of the feed since it started
 * (`GET /api/market/candles/:symbol`) for the chosen timeframe, then grows with each trade from
 * the WebSocket (the last candle forms, a new interval opens a new one). Times are UTC.
 *
 * Attribution: the library's own logo injects a <style> element, which the dashboard's
 * Content-Security-Policy (style-src 'self') refuses; each chart links to TradingView from our
 * stylesheet instead, as the library's licence (NOTICE) allows, and the footer names it.
 */
import {
  AreaSeries,
  CandlestickSeries,
  ColorType,
  createChart,
  createSeriesMarkers,
  HistogramSeries,
  type IChartApi,
  type ISeriesApi,
  type ISeriesMarkersPluginApi,
  type SeriesMarker,
  type Time,
  type UTCTimestamp,
} from 'lightweight-charts';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Api, EquityPoint } from '../api-client.js';
import { fmtQty } from '../decimal.js';

export const TIMEFRAMES: ReadonlyArray<{ readonly id: string; readonly seconds: number }> = [
  { id: '1m', seconds: 60 },
  { id: '5m', seconds: 300 },
  { id: '15m', seconds: 900 },
  { id: '1h', seconds: 3_600 },
  { id: '4h', seconds: 14_400 },
];
const TIMEFRAME_KEY = 'papertrade.timeframe';

function cssVar(name: string, fallback: string): string {
  return getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;
}

/** The TradingView attribution each chart carries (see the header). */
function Attribution() {
  return <a class="tv-attr" href="https://www.tradingview.com/" target="_blank" rel="noreferrer" title="Charting by TradingView Lightweight Charts™">TradingView</a>;
}

function themed(el: HTMLElement, secondsVisible: boolean): IChartApi {
  return createChart(el, {
    autoSize: true,
    layout: { background: { type: ColorType.Solid, color: 'transparent' }, textColor: cssVar('--muted', '#8a94a6'), fontFamily: 'Inter, system-ui, sans-serif', fontSize: 11, attributionLogo: false },
    grid: { vertLines: { color: cssVar('--grid', '#1f2633') }, horzLines: { color: cssVar('--grid', '#1f2633') } },
    rightPriceScale: { borderColor: cssVar('--line', '#2a3242') },
    timeScale: { borderColor: cssVar('--line', '#2a3242'), timeVisible: true, secondsVisible, rightOffset: 4, barSpacing: 8 },
    crosshair: { mode: 0 },
  });
}

/** One point per second (the chart's resolution): the latest value of each second wins. */
export function equitySeries(points: readonly EquityPoint[]): Array<{ time: UTCTimestamp; value: number }> {
  const bySecond = new Map<number, number>();
  for (const p of points) bySecond.set(Math.floor(p.at / 1000), Number(p.equity));
  return [...bySecond.entries()].sort((a, b) => a[0] - b[0]).map(([t, value]) => ({ time: t as UTCTimestamp, value }));
}

export function EquityChart(props: { points: readonly EquityPoint[] }) {
  const host = useRef<HTMLDivElement>(null);
  const series = useRef<ISeriesApi<'Area'> | undefined>(undefined);
  const chart = useRef<IChartApi | undefined>(undefined);
  useEffect(() => {
    const el = host.current;
    if (el === null) return;
    const c = themed(el, true);
    const accent = cssVar('--accent', '#f5b83d');
    series.current = c.addSeries(AreaSeries, { lineColor: accent, topColor: `${accent}55`, bottomColor: `${accent}05`, lineWidth: 2, priceLineVisible: false });
    chart.current = c;
    return () => c.remove();
  }, []);
  const data = equitySeries(props.points);
  useEffect(() => {
    series.current?.setData(data);
    if (data.length > 0) chart.current?.timeScale().fitContent();
  }, [props.points]);
  return (
    <div class="chart-wrap" data-testid="equity-chart" data-points={data.length}>
      <div ref={host} class="chart chart-equity" />
      <Attribution />
      {data.length === 0 && <div class="chart-empty">No equity points yet</div>}
    </div>
  );
}

export interface PriceTick {
  readonly at: number;
  readonly price: string;
  readonly quantity: string;
}

export interface PriceFeed {
  subscribe(listener: (tick: PriceTick) => void): () => void;
}

/** A fill of the account, drawn on its candle. */
export interface FillMark {
  readonly id: string;
  readonly at: number;
  readonly side: 'BUY' | 'SELL';
  readonly price: string;
  readonly quantity: string;
}

interface Bar {
  time: UTCTimestamp;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

/** The markers of `fills` on the bars `times` (sorted): each on the bar of its interval, or the nearest before. */
export function fillMarkers(fills: readonly FillMark[], times: readonly number[], seconds: number, colors: { buy: string; sell: string }): SeriesMarker<Time>[] {
  if (times.length === 0) return [];
  const out: SeriesMarker<Time>[] = [];
  for (const f of [...fills].sort((a, b) => a.at - b.at)) {
    const bucket = Math.floor(f.at / 1000 / seconds) * seconds;
    let lo = 0;
    let hi = times.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (times[mid]! <= bucket) lo = mid;
      else hi = mid - 1;
    }
    const buy = f.side === 'BUY';
    out.push({ time: times[lo] as UTCTimestamp, position: buy ? 'belowBar' : 'aboveBar', shape: buy ? 'arrowUp' : 'arrowDown', color: buy ? colors.buy : colors.sell, text: `${buy ? 'B' : 'S'} ${fmtQty(f.quantity)}` });
  }
  return out;
}

export function PriceChart(props: { api: Api; symbol: string; feed: PriceFeed; fills: readonly FillMark[]; onHistory?(lastClose: string): void }) {
  const host = useRef<HTMLDivElement>(null);
  const [timeframe, setTimeframe] = useState(() => {
    const saved = localStorage.getItem(TIMEFRAME_KEY);
    return TIMEFRAMES.some((t) => t.id === saved) ? saved! : '1m';
  });
  const [state, setState] = useState<{ candles: number; markers: number; loaded: boolean; error?: string }>({ candles: 0, markers: 0, loaded: false });
  const markersApi = useRef<ISeriesMarkersPluginApi<Time> | undefined>(undefined);
  const barTimes = useRef<number[]>([]);
  const fills = useRef(props.fills);
  fills.current = props.fills;
  const seconds = TIMEFRAMES.find((t) => t.id === timeframe)?.seconds ?? 60;
  const colors = () => ({ buy: cssVar('--buy', '#22c55e'), sell: cssVar('--sell', '#ef4444') });

  const drawMarkers = () => {
    const markers = fillMarkers(fills.current, barTimes.current, seconds, colors());
    markersApi.current?.setMarkers(markers);
    setState((s) => (s.markers === markers.length ? s : { ...s, markers: markers.length }));
  };

  useEffect(() => {
    const el = host.current;
    if (el === null) return;
    const { buy, sell } = colors();
    const c = themed(el, false);
    const candles = c.addSeries(CandlestickSeries, { upColor: buy, downColor: sell, wickUpColor: buy, wickDownColor: sell, borderVisible: false, priceLineVisible: true });
    const volume = c.addSeries(HistogramSeries, { priceScaleId: 'volume', priceFormat: { type: 'volume' }, lastValueVisible: false, priceLineVisible: false });
    c.priceScale('volume').applyOptions({ scaleMargins: { top: 0.82, bottom: 0 } });
    candles.priceScale().applyOptions({ scaleMargins: { top: 0.08, bottom: 0.22 } });
    markersApi.current = createSeriesMarkers(candles, []);
    barTimes.current = [];
    setState({ candles: 0, markers: 0, loaded: false });
    const volumeOf = (b: Bar) => ({ time: b.time, value: b.volume, color: b.close >= b.open ? `${buy}55` : `${sell}55` });
    let last: Bar | undefined;
    let held: PriceTick[] | undefined = [];
    const apply = (tick: PriceTick) => {
      const time = (Math.floor(tick.at / 1000 / seconds) * seconds) as UTCTimestamp;
      const price = Number(tick.price);
      const qty = Number(tick.quantity);
      if (last !== undefined && time < last.time) return;
      const opened = last === undefined || time > last.time;
      last = opened ? { time, open: price, high: price, low: price, close: price, volume: qty } : { ...last!, high: Math.max(last!.high, price), low: Math.min(last!.low, price), close: price, volume: last!.volume + qty };
      candles.update(last);
      volume.update(volumeOf(last));
      if (opened) {
        barTimes.current.push(time);
        setState((s) => ({ ...s, candles: barTimes.current.length }));
        drawMarkers();
      }
    };
    const unsubscribe = props.feed.subscribe((tick) => (held !== undefined ? held.push(tick) : apply(tick)));
    let alive = true;
    props.api
      .candles(props.symbol, timeframe, 500)
      .then((items) => {
        if (!alive) return;
        const bars: Bar[] = items.map((k) => ({ time: (k.openTime / 1000) as UTCTimestamp, open: Number(k.open), high: Number(k.high), low: Number(k.low), close: Number(k.close), volume: Number(k.volume) }));
        candles.setData(bars);
        volume.setData(bars.map(volumeOf));
        barTimes.current = bars.map((b) => b.time);
        last = bars[bars.length - 1];
        const newest = items[items.length - 1];
        if (newest !== undefined) props.onHistory?.(newest.close);
        setState({ candles: bars.length, markers: 0, loaded: true });
        drawMarkers();
        c.timeScale().scrollToRealTime();
      })
      .catch((err: unknown) => alive && setState((s) => ({ ...s, loaded: true, error: err instanceof Error ? err.message : String(err) })))
      .finally(() => {
        const ticks = held ?? [];
        held = undefined;
        if (alive) for (const t of ticks) apply(t);
      });
    return () => {
      alive = false;
      unsubscribe();
      markersApi.current = undefined;
      c.remove();
    };
  }, [props.feed, props.symbol, timeframe]);

  useEffect(drawMarkers, [props.fills]);

  const choose = (id: string) => {
    localStorage.setItem(TIMEFRAME_KEY, id);
    setTimeframe(id);
  };
  return (
    <div class="chart-wrap" data-testid="price-chart" data-candles={state.candles} data-markers={state.markers} data-loaded={state.loaded} data-timeframe={timeframe}>
      <div class="timeframes" role="radiogroup" aria-label="Timeframe">
        {TIMEFRAMES.map((t) => (
          <button type="button" role="radio" key={t.id} aria-checked={t.id === timeframe} class={t.id === timeframe ? 'on' : ''} onClick={() => choose(t.id)}>{t.id}</button>
        ))}
        <span class="dim small legend"><span class="pos">▲</span> buy <span class="neg">▼</span> sell · UTC</span>
      </div>
      <div ref={host} class="chart chart-price" />
      <Attribution />
      {state.loaded && state.candles === 0 && <div class="chart-empty">{state.error ?? 'No trades yet'}</div>}
    </div>
  );
}
