/**
 * The signed-in view: loads the account over REST, then keeps it current from the WebSocket
 * (account events refresh the affected lists; equity points, balances, the book and trades are
 * applied as they come). No polling of account data; feed status is asked every few seconds.
 *
 * The stream only carries events from its subscription on, so the account is loaded again once
 * the server has confirmed each subscription (the first and every reconnect): an order filled
 * between the first load and the subscription still reaches the screen. Of two loads of the same
 * list, only the later-asked answer is shown; equity points that arrive while the curve is being
 * loaded again are merged into its answer by time (one point per time), not dropped by it.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { AccountView, Api, Depth, EquityPoint, FeedStatus, Fill, Instrument, Order, Position } from '../api-client.js';
import { fmt, fmtQty, priceDecimals } from '../decimal.js';
import { openStream, type StreamMessage } from '../live-stream.js';
import { EquityChart, PriceChart, type FillMark, type PriceFeed, type PriceTick } from './charts.js';
import { FeedBadge } from './feed-status.js';
import { OrderBook } from './order-book.js';
import { OrderForm } from './order-form.js';
import { AccountSummary } from './summary.js';
import { OpenOrdersTable, PositionsTable, TradeHistoryTable } from './tables.js';

function createPriceFeed(): PriceFeed & { push(tick: PriceTick): void } {
  const listeners = new Set<(t: PriceTick) => void>();
  return {
    subscribe(l) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    push(t) {
      for (const l of listeners) l(t);
    },
  };
}

/**
 * `base` and `extra` as one curve by time, one point per `at` (`extra`'s when both have one, as the
 * read tables keep the last equity recorded at a time), oldest first.
 */
function mergeEquity(base: readonly EquityPoint[], extra: readonly EquityPoint[]): EquityPoint[] {
  const byTime = new Map<number, EquityPoint>();
  for (const p of base) byTime.set(p.at, p);
  for (const p of extra) byTime.set(p.at, p);
  return [...byTime.values()].sort((a, b) => a.at - b.at);
}

export function DashboardView(props: { api: Api; apiKey: string; instruments: readonly Instrument[]; onAccountGone(): void }) {
  const { api } = props;
  const [symbol, setSymbol] = useState(props.instruments[0]?.symbol ?? '');
  const instrument = props.instruments.find((i) => i.symbol === symbol) ?? props.instruments[0];
  const [account, setAccount] = useState<AccountView>();
  const [openOrders, setOpenOrders] = useState<Order[]>([]);
  const [trades, setTrades] = useState<Fill[]>([]);
  const [leverages, setLeverages] = useState<ReadonlyMap<string, number>>(new Map());
  const [positions, setPositions] = useState<Position[]>([]);
  const [equity, setEquity] = useState<EquityPoint[]>([]);
  const [drawdown, setDrawdown] = useState<{ current: string; max: string }>();
  const [depth, setDepth] = useState<Depth>();
  const [last, setLast] = useState<{ price: string; side: string }>();
  const [feeds, setFeeds] = useState<FeedStatus[]>([]);
  const [stream, setStream] = useState<'connecting' | 'open' | 'closed'>('connecting');
  const [lastMarketAt, setLastMarketAt] = useState<number>();
  const [now, setNow] = useState(Date.now());
  const [picked, setPicked] = useState<{ price: string; n: number }>();
  const [toast, setToast] = useState<{ text: string; tone: 'ok' | 'bad'; n: number }>();
  const priceFeed = useMemo(createPriceFeed, []);
  const futures = account?.type === 'futures';
  const pd = (s: string) => priceDecimals(props.instruments.find((i) => i.symbol === s)?.tickSize);
  const futuresRef = useRef(futures);
  futuresRef.current = futures;

  // Loads can overlap (the first load and the one after the subscription): an answer is shown
  // only if no later load of the same list was asked since, so an older one never lands last.
  const asked = useRef(new Map<string, number>());
  const latest = <T,>(list: string, read: () => Promise<T>, show: (value: T) => void): Promise<void> => {
    const n = (asked.current.get(list) ?? 0) + 1;
    asked.current.set(list, n);
    return read().then((value) => { if (asked.current.get(list) === n) show(value); }).catch(() => undefined);
  };
  const loadAccount = () => latest('account', api.account, setAccount);
  const loadOrders = () => latest('orders', api.openOrders, setOpenOrders);
  const loadTrades = () => latest('trades', () => api.fills(), setTrades);
  const loadLeverage = () => latest('leverage', api.leverages, (items) => setLeverages(new Map(items.map((i) => [i.symbol, i.leverage]))));
  const loadPositions = () => latest('positions', api.positions, setPositions);
  const refreshAll = () => Promise.all([loadAccount(), loadOrders(), loadTrades(), loadPositions(), loadLeverage()]);

  // One refresh for a burst of account events.
  const pending = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const scheduleRefresh = () => {
    if (pending.current !== undefined) return;
    pending.current = setTimeout(() => {
      pending.current = undefined;
      void refreshAll();
    }, 120);
  };
  // Marks move equity and PnL: refresh the figures at most once a second while the market moves.
  const lastMarkRefresh = useRef(0);
  // The market can send hundreds of updates a second: keep the latest and draw them once a frame.
  const market = useRef<{ depth?: Depth; last?: { price: string; side: string }; at?: number; frame?: number }>({});
  const showMarket = () => {
    const m = market.current;
    m.frame = undefined;
    if (m.depth !== undefined) setDepth(m.depth);
    if (m.last !== undefined) setLast(m.last);
    if (m.at !== undefined) setLastMarketAt(m.at);
    market.current = {};
  };
  const marketMoved = (update: { depth?: Depth; last?: { price: string; side: string } }) => {
    const m = market.current;
    Object.assign(m, update, { at: Date.now() });
    m.frame ??= requestAnimationFrame(showMarket);
  };

  // Equity points the stream brought since a reload of the curve was asked: the answer may have
  // been read before them, so they are merged into it rather than replaced by it. Kept from the
  // first reload asked until one is shown (a later reload supersedes an earlier one's answer).
  const arrivedDuringReload = useRef<EquityPoint[] | undefined>(undefined);
  const loadHistory = () => {
    arrivedDuringReload.current ??= [];
    void latest('equity', () => api.equity(), (curve) => {
      const arrived = arrivedDuringReload.current ?? [];
      arrivedDuringReload.current = undefined;
      setEquity(mergeEquity(curve, arrived));
    });
    void latest('metrics', api.metrics, (m) => m && setDrawdown({ current: String(m.currentDrawdown ?? '0'), max: String(m.maxDrawdown ?? '0') }));
  };

  useEffect(() => {
    void refreshAll();
    loadHistory();
  }, [api]);

  useEffect(() => {
    if (symbol === '') return;
    setLast(undefined);
    api.depth(symbol).then(setDepth).catch(() => undefined);
    const onMessage = (m: StreamMessage) => {
      if (m.channel === 'account' && ('event' in m || 'balances' in m)) {
        if ('balances' in m) {
          setAccount((a) => (a === undefined ? a : { ...a, balances: m.balances }));
          return;
        }
        const e = m.event;
        if (e.type === 'EQUITY') {
          const point = { at: e.at as number, equity: e.equity as string };
          arrivedDuringReload.current?.push(point);
          setEquity((pts) => mergeEquity(pts, [point]));
          setDrawdown({ current: e.currentDrawdown as string, max: e.maxDrawdown as string });
          setAccount((a) => (a === undefined ? a : { ...a, equity: e.equity as string }));
          return;
        }
        if (e.type === 'FILL') {
          setToast({ tone: 'ok', n: Date.now(), text: `Filled: ${e.side === 'BUY' ? 'bought' : 'sold'} ${fmtQty(e.quantity as string)} ${String(e.symbol).replace(/USDT$/, '')} at ${fmt(e.price as string, pd(String(e.symbol)))}` });
        } else if (e.type === 'ORDER_REJECTED') {
          setToast({ tone: 'bad', n: Date.now(), text: `Rejected: ${String(e.code)} — ${String(e.message)}` });
        } else if (e.type === 'LIQUIDATION') {
          setToast({ tone: 'bad', n: Date.now(), text: `Liquidated: ${String(e.symbol)} ${String(e.direction)} ${fmtQty(e.size as string)}` });
        } else if (e.type === 'MAX_DRAWDOWN_REACHED') {
          setToast({ tone: 'bad', n: Date.now(), text: 'Maximum drawdown reached: the account is halted.' });
        }
        scheduleRefresh();
        return;
      }
      if (m.channel === `market:${symbol}` && 'type' in m) {
        if (m.type === 'trade') {
          marketMoved({ last: { price: m.price, side: m.side } });
          priceFeed.push({ at: m.at, price: m.price, quantity: m.quantity });
        } else {
          marketMoved({});
        }
        if (Date.now() - lastMarkRefresh.current > 1000) {
          lastMarkRefresh.current = Date.now();
          void loadAccount();
          if (futuresRef.current) void loadPositions();
        }
        return;
      }
      if (m.channel === `depth:${symbol}` && 'bids' in m) {
        marketMoved({ depth: { bids: m.bids, asks: m.asks } });
      }
    };
    // Events sent before the subscription (between the first load and the subscribe, or while the
    // stream was down: a restart, a dropped network) are not sent again: each confirmed
    // subscription reloads what they would have changed.
    const onSubscribed = () => {
      void refreshAll();
      loadHistory();
    };
    const close = openStream(props.apiKey, symbol, { onMessage, onState: setStream, onSubscribed, onAccountGone: props.onAccountGone });
    return () => {
      close();
      if (market.current.frame !== undefined) cancelAnimationFrame(market.current.frame);
      market.current = {};
    };
  }, [api, symbol]);

  useEffect(() => {
    const tick = () => {
      setNow(Date.now());
      api.feeds().then(setFeeds).catch(() => undefined);
    };
    tick();
    const id = setInterval(tick, 3000);
    return () => clearInterval(id);
  }, [api]);

  useEffect(() => {
    if (toast === undefined) return;
    const id = setTimeout(() => setToast(undefined), 6000);
    return () => clearTimeout(id);
  }, [toast?.n]);

  const marks = useMemo<FillMark[]>(
    () => trades.filter((t) => t.symbol === symbol).map((t) => ({ id: t.id, at: t.timestamp, side: t.orderSide, price: t.price, quantity: t.size })),
    [trades, symbol],
  );

  if (instrument === undefined) return <main class="empty">The server lists no instruments.</main>;
  const bestBid = depth?.bids[0]?.[0];
  const bestAsk = depth?.asks[0]?.[0];
  const free = { base: account?.balances[instrument.base]?.free ?? '0', quote: account?.balances[instrument.quote]?.free ?? '0' };
  const leverage = futures ? leverages.get(instrument.symbol) : undefined;

  return (
    <main class="layout">
      <div class="market-bar">
        {props.instruments.length > 1 ? (
          <select class="symbol-select" value={symbol} onChange={(e) => setSymbol((e.target as HTMLSelectElement).value)} aria-label="Symbol">
            {props.instruments.map((i) => <option key={i.symbol} value={i.symbol}>{i.symbol}</option>)}
          </select>
        ) : (
          <strong class="symbol">{instrument.base}/{instrument.quote}</strong>
        )}
        <span class="tag">{instrument.market === 'perpetual' ? 'Perpetual' : 'Spot'}</span>
        {leverage !== undefined && <span class="tag lev-tag" title="Leverage for new positions on this symbol, from the server">Leverage <strong data-testid="leverage-current">{leverage}×</strong></span>}
        <strong class={`last num ${last?.side === 'SELL' ? 'neg' : last?.side === 'BUY' ? 'pos' : ''}`} data-testid="last-price">{last ? fmt(last.price, pd(symbol)) : '—'}</strong>
        <span class="dim small num">Bid {fmt(bestBid, pd(symbol))} · Ask {fmt(bestAsk, pd(symbol))}</span>
        <FeedBadge feed={feeds.find((f) => f.symbol === symbol)} stream={stream} lastMarketAt={lastMarketAt} now={now} />
      </div>
      <AccountSummary account={account} quote={instrument.quote} drawdown={drawdown} />
      <section class="panel charts">
        <header class="panel-head"><h2>{instrument.base}/{instrument.quote} · candles from the feed</h2><span class="dim small">your fills marked</span></header>
        <PriceChart api={api} feed={priceFeed} symbol={symbol} fills={marks} onHistory={(price) => setLast((l) => l ?? { price, side: '' })} />
        <header class="panel-head"><h2>Equity</h2><span class="dim small">{instrument.quote}</span></header>
        <EquityChart points={equity} />
      </section>
      <OrderBook depth={depth} tickSize={instrument.tickSize} base={instrument.base} quote={instrument.quote} onPick={(price) => setPicked({ price, n: Date.now() })} />
      <OrderForm api={api} instrument={instrument} futures={futures} leverage={leverage} onLeverageSet={() => void loadLeverage()} bestBid={bestBid} bestAsk={bestAsk} pickedPrice={picked} free={free} disabled={account?.halted === true} />
      <div class="tables">
        <PositionsTable api={api} positions={positions} futures={futures} onChanged={() => void refreshAll()} priceDecimals={pd} />
        <OpenOrdersTable api={api} orders={openOrders} onChanged={() => void refreshAll()} priceDecimals={pd} />
        <TradeHistoryTable trades={trades} api={api} priceDecimals={pd} />
      </div>
      {toast !== undefined && <div class={`toast ${toast.tone}`} role="status" data-testid="toast">{toast.text}</div>}
    </main>
  );
}
