/** Positions, open orders (with cancel) and trade history. */
import { useState } from 'preact/hooks';
import { ApiError, type Api, type Order, type Position, type Trade } from '../api-client.js';
import { fmt, fmtQty, fmtTime } from '../decimal.js';

const TYPE_LABEL: Record<string, string> = {
  MARKET: 'Market', LIMIT: 'Limit', LIMIT_MAKER: 'Post-only', IMMEDIATE_OR_CANCEL: 'IOC', FILL_OR_KILL: 'FOK',
  STOP_LOSS: 'Stop', STOP_LOSS_LIMIT: 'Stop limit', TAKE_PROFIT: 'Take-profit', TAKE_PROFIT_LIMIT: 'TP limit', TRAILING_STOP_MARKET: 'Trailing stop',
};

const sideClass = (side: string) => (side === 'BUY' || side === 'LONG' ? 'pos' : 'neg');
const pnlClass = (v: string | null | undefined) => (v === null || v === undefined || Number(v) === 0 ? '' : Number(v) > 0 ? 'pos' : 'neg');

export function PositionsTable(props: { positions: readonly Position[]; futures: boolean }) {
  return (
    <section class="panel table-panel" data-testid="positions" aria-label="Positions">
      <header class="panel-head"><h2>Positions <span class="count">{props.positions.length}</span></h2></header>
      {!props.futures ? <p class="empty">Spot accounts hold balances, not positions.</p> : props.positions.length === 0 ? <p class="empty">No open positions.</p> : (
        <div class="scroll">
          <table>
            <thead><tr><th>Symbol</th><th>Side</th><th class="r">Size</th><th class="r">Entry</th><th class="r">Mark</th><th class="r">Liq. price</th><th class="r">Unrealized PnL</th><th class="r">Margin</th><th class="r">Lev.</th></tr></thead>
            <tbody>
              {props.positions.map((p) => (
                <tr key={p.positionId}>
                  <td>{p.symbol}</td>
                  <td class={sideClass(p.direction)}>{p.direction}</td>
                  <td class="r num">{fmtQty(p.totalSize)}</td>
                  <td class="r num">{fmt(p.entryPrice)}</td>
                  <td class="r num">{fmt(p.currentPrice)}</td>
                  <td class="r num warn">{fmt(p.liquidationPrice)}</td>
                  <td class={`r num ${pnlClass(p.unrealizedPnl)}`}>{fmt(p.unrealizedPnl)}</td>
                  <td class="r num">{fmt(p.marginUsed)}</td>
                  <td class="r num">{p.leverage}×</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

export function OpenOrdersTable(props: { api: Api; orders: readonly Order[]; onChanged(): void }) {
  const [cancelling, setCancelling] = useState<string>();
  const [error, setError] = useState<string>();
  const cancel = async (id: string) => {
    setCancelling(id);
    setError(undefined);
    try {
      await props.api.cancel(id);
      props.onChanged();
    } catch (err) {
      setError(err instanceof ApiError ? `${err.body.code}: ${err.body.message}` : String(err));
    } finally {
      setCancelling(undefined);
    }
  };
  return (
    <section class="panel table-panel" data-testid="open-orders" aria-label="Open orders">
      <header class="panel-head"><h2>Open orders <span class="count">{props.orders.length}</span></h2></header>
      {error !== undefined && <p class="notice bad" role="alert">{error}</p>}
      {props.orders.length === 0 ? <p class="empty">No open orders.</p> : (
        <div class="scroll">
          <table>
            <thead><tr><th>Time</th><th>Symbol</th><th>Type</th><th>Side</th><th class="r">Price</th><th class="r">Trigger</th><th class="r">Filled / Qty</th><th>Status</th><th /></tr></thead>
            <tbody>
              {props.orders.map((o) => (
                <tr key={o.orderId} data-order-id={o.orderId}>
                  <td class="num dim">{fmtTime(o.createdAt)}</td>
                  <td>{o.symbol}</td>
                  <td>{TYPE_LABEL[o.type] ?? o.type}</td>
                  <td class={sideClass(o.side)}>{o.side}</td>
                  <td class="r num">{o.price ? fmt(o.price) : 'Market'}</td>
                  <td class="r num">{o.stopPrice ? fmt(o.stopPrice) : '—'}</td>
                  <td class="r num">{fmtQty(o.executedQty)} / {fmtQty(o.quantity)}</td>
                  <td><span class="tag">{o.status}</span></td>
                  <td class="r"><button type="button" class="ghost small-btn" disabled={cancelling === o.orderId} onClick={() => cancel(o.orderId)} aria-label={`Cancel order ${o.orderId}`}>{cancelling === o.orderId ? '…' : 'Cancel'}</button></td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

export function TradeHistoryTable(props: { trades: readonly Trade[]; futures: boolean }) {
  return (
    <section class="panel table-panel" data-testid="trade-history" aria-label="Trade history">
      <header class="panel-head"><h2>Trade history <span class="count">{props.trades.length}</span></h2></header>
      {props.trades.length === 0 ? <p class="empty">No trades yet.</p> : (
        <div class="scroll">
          <table>
            <thead><tr><th>Time</th><th>Symbol</th><th>Side</th><th class="r">Price</th><th class="r">Qty</th><th class="r">Value</th><th class="r">Fee</th><th>Role</th>{props.futures && <th class="r">Realized PnL</th>}</tr></thead>
            <tbody>
              {props.trades.map((t) => (
                <tr key={t.id}>
                  <td class="num dim">{fmtTime(t.timestamp)}</td>
                  <td>{t.symbol}</td>
                  <td class={sideClass(t.orderSide)}>{t.orderSide}{t.side !== null ? ` · ${t.side}` : ''}</td>
                  <td class="r num">{fmt(t.price)}</td>
                  <td class="r num">{fmtQty(t.size)}</td>
                  <td class="r num">{fmt(t.quoteQty)}</td>
                  <td class="r num">{fmtQty(t.fee)} {t.feeAsset}</td>
                  <td class="dim">{t.liquidity === 'MAKER' ? 'Maker' : 'Taker'}</td>
                  {props.futures && <td class={`r num ${pnlClass(t.pnl)}`}>{fmt(t.pnl)}</td>}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
