/**
 * Charts through lightweight-charts (TradingView; its attribution logo stays on): the equity
 * curve (area) and the selected symbol's price as 10-second candles built from the trade stream.
 */
import { AreaSeries, CandlestickSeries, ColorType, createChart, type IChartApi, type ISeriesApi, type UTCTimestamp } from 'lightweight-charts';
import { useEffect, useRef } from 'preact/hooks';
import type { EquityPoint } from '../api-client.js';

const CANDLE_SECONDS = 10;

function themed(el: HTMLElement, height: number): IChartApi {
  const css = getComputedStyle(document.body);
  const v = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
  return createChart(el, {
    height,
    autoSize: true,
    layout: { background: { type: ColorType.Solid, color: 'transparent' }, textColor: v('--muted', '#8a94a6'), fontFamily: 'Inter, system-ui, sans-serif', fontSize: 11, attributionLogo: true },
    grid: { vertLines: { color: v('--grid', '#1f2633') }, horzLines: { color: v('--grid', '#1f2633') } },
    rightPriceScale: { borderColor: v('--line', '#2a3242') },
    timeScale: { borderColor: v('--line', '#2a3242'), timeVisible: true, secondsVisible: true, rightOffset: 3, barSpacing: 9 },
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
    const c = themed(el, 200);
    const accent = getComputedStyle(document.body).getPropertyValue('--accent').trim() || '#f5b83d';
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
      {data.length === 0 && <div class="chart-empty">No equity points yet</div>}
    </div>
  );
}

export interface PriceTick {
  readonly at: number;
  readonly price: string;
}

export interface PriceFeed {
  subscribe(listener: (tick: PriceTick) => void): () => void;
}

export function PriceChart(props: { feed: PriceFeed; symbol: string }) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = host.current;
    if (el === null) return;
    const c = themed(el, 280);
    const css = getComputedStyle(document.body);
    const up = css.getPropertyValue('--buy').trim() || '#22c55e';
    const down = css.getPropertyValue('--sell').trim() || '#ef4444';
    const candles = c.addSeries(CandlestickSeries, { upColor: up, downColor: down, wickUpColor: up, wickDownColor: down, borderVisible: false });
    let last: { time: UTCTimestamp; open: number; high: number; low: number; close: number } | undefined;
    const unsubscribe = props.feed.subscribe((tick) => {
      const time = (Math.floor(tick.at / 1000 / CANDLE_SECONDS) * CANDLE_SECONDS) as UTCTimestamp;
      const price = Number(tick.price);
      if (last !== undefined && time < last.time) return;
      if (last === undefined || time > last.time) last = { time, open: last?.close ?? price, high: Math.max(price, last?.close ?? price), low: Math.min(price, last?.close ?? price), close: price };
      else last = { ...last, high: Math.max(last.high, price), low: Math.min(last.low, price), close: price };
      candles.update(last);
      el.dataset.candles = String(time);
    });
    return () => {
      unsubscribe();
      c.remove();
    };
  }, [props.feed, props.symbol]);
  return (
    <div class="chart-wrap" data-testid="price-chart">
      <div ref={host} class="chart chart-price" />
    </div>
  );
}
