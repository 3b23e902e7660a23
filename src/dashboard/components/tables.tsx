/**
 * Positions (with Close), open orders (with Cancel; an order list's orders together under one
 * header with Cancel group) and trade history (with realized PnL).
 *
 * Every table fits its panel without a horizontal scroll: columns of lesser use step aside as the
 * panel narrows (container queries on `.p2`, `.p3`), and below ~520 px a row becomes a card of
 * label/value pairs. The action cell is never hidden.
 */
import { useState } from 'preact/hooks';
import { ApiError, type Api, type Fill, type Order, type Position } from '../api-client.js';
import { fmt, fmtQty, fmtTime } from '../decimal.js';

const TYPE_LABEL: Record<string, string> = {
  MARKET: 'Market', LIMIT: 'Limit', LIMIT_MAKER: 'Post-only', IMMEDIATE_OR_CANCEL: 'IOC', FILL_OR_KILL: 'FOK',
  STOP_LOSS: 'Stop', STOP_LOSS_LIMIT: 'Stop limit', TAKE_PROFIT: 'Take-profit', TAKE_PROFIT_LIMIT: 'TP limit', TRAILING_STOP_MARKET: 'Trailing stop',
};

const sideClass = (side: string) => (side === 'BUY' || side === 'LONG' ? 'pos' : 'neg');
const pnlClass = (v: string | null | undefined) => (v === null || v === undefined || Number(v) === 0 ? '' : Number(v) > 0 ? 'pos' : 'neg');
/** A PnL with its sign; amounts under one unit keep four decimals, so a small loss never reads -0.00. */
const signed = (v: string | null | undefined) => (v === null || v === undefined ? '—' : `${Number(v) > 0 ? '+' : ''}${fmt(v, Math.abs(Number(v)) < 1 ? 4 : 2)}`);
const errorText = (err: unknown) => (err instanceof ApiError ? `${err.body.code}: ${err.body.message}` : String(err));

/** One action at a time per table, its error shown above the table. */
function useAction() {
  const [busy, setBusy] = useState<string>();
  const [error, setError] = useState<string>();
  const run = async (id: string, action: () => Promise<unknown>, done: () => void) => {
    setBusy(id);
    setError(undefined);
    try {
      await action();
      done();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(undefined);
    }
  };
  return { busy, error, run };
}

/** Decimals to show a symbol's prices at (its tick's). */
export type PriceDecimals = (symbol: string) => number;

export function PositionsTable(props: { api: Api; positions: readonly Position[]; futures: boolean; onChanged(): void; priceDecimals: PriceDecimals }) {
  const action = useAction();
  const pd = props.priceDecimals;
  return (
    <section class="panel table-panel" data-testid="positions" aria-label="Positions">
      <header class="panel-head"><h2>Positions <span class="count">{props.positions.length}</span></h2></header>
      {action.error !== undefined && <p class="notice bad" role="alert">{action.error}</p>}
      {!props.futures ? <p class="empty">Spot accounts hold balances, not positions.</p> : props.positions.length === 0 ? <p class="empty">No open positions.</p> : (
        <table class="data-table">
          <thead><tr><th>Symbol</th><th>Side</th><th class="r">Size</th><th class="r p2">Entry</th><th class="r">Mark</th><th class="r p3">Liq. price</th><th class="r">Unrealized PnL</th><th class="r p3">Margin</th><th class="r p2">Lev.</th><th class="act"><span class="sr">Action</span></th></tr></thead>
          <tbody>
            {props.positions.map((p) => (
              <tr key={p.positionId} data-symbol={p.symbol}>
                <td data-label="Symbol"><strong>{p.symbol}</strong></td>
                <td data-label="Side" class={sideClass(p.direction)}>{p.direction}</td>
                <td data-label="Size" class="r num">{fmtQty(p.totalSize)}</td>
                <td data-label="Entry" class="r num p2">{fmt(p.entryPrice, pd(p.symbol))}</td>
                <td data-label="Mark" class="r num">{fmt(p.currentPrice, pd(p.symbol))}</td>
                <td data-label="Liq. price" class="r num warn p3">{fmt(p.liquidationPrice, pd(p.symbol))}</td>
                <td data-label="Unrealized PnL" class={`r num ${pnlClass(p.unrealizedPnl)}`}>{signed(p.unrealizedPnl)}</td>
                <td data-label="Margin" class="r num p3">{fmt(p.marginUsed)}</td>
                <td data-label="Leverage" class="r num p2">{p.leverage}×</td>
                <td class="act">
                  <button type="button" class="ghost small-btn close-btn" disabled={action.busy === p.symbol} aria-label={`Close position ${p.symbol}`} onClick={() => action.run(p.symbol, () => props.api.closePosition(p.symbol), props.onChanged)}>
                    {action.busy === p.symbol ? '…' : 'Close'}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** Open orders in their lists: lone orders as they came, an order list's orders together under one header. */
function inGroups(orders: readonly Order[]): Array<{ group?: string; orders: Order[] }> {
  const out: Array<{ group?: string; orders: Order[] }> = [];
  const byGroup = new Map<string, Order[]>();
  for (const o of orders) {
    if (o.ocoGroup === undefined) {
      out.push({ orders: [o] });
      continue;
    }
    let members = byGroup.get(o.ocoGroup);
    if (members === undefined) {
      members = [];
      byGroup.set(o.ocoGroup, members);
      out.push({ group: o.ocoGroup, orders: members });
    }
    members.push(o);
  }
  return out;
}

/** Bracket (an entry carrying its exits) or OCO, and what the list holds in words. */
function groupLabel(orders: readonly Order[], pd: PriceDecimals): { kind: string; detail: string } {
  const entry = orders.find((o) => o.takeProfit !== undefined || o.stopLoss !== undefined);
  if (entry !== undefined) {
    const exits = [entry.takeProfit && `TP ${fmt(entry.takeProfit.stopPrice, pd(entry.symbol))}`, entry.stopLoss && `SL ${fmt(entry.stopLoss.stopPrice, pd(entry.symbol))}`].filter(Boolean).join(' · ');
    return { kind: 'Bracket', detail: `entry waiting · ${exits}` };
  }
  return { kind: 'OCO', detail: orders.length === 1 ? '1 order left' : 'one cancels the other' };
}

export function OpenOrdersTable(props: { api: Api; orders: readonly Order[]; onChanged(): void; priceDecimals: PriceDecimals }) {
  const action = useAction();
  const pd = props.priceDecimals;
  const triggers = props.orders.some((o) => o.stopPrice);
  const columns = 7 + (triggers ? 1 : 0);
  const row = (o: Order, member: boolean) => (
    <tr key={o.orderId} data-order-id={o.orderId} class={member ? 'group-member' : undefined}>
      <td data-label="Time" class="num dim p3">{fmtTime(o.createdAt)}</td>
      <td data-label="Symbol" class="p2">{o.symbol}</td>
      <td data-label="Type">{member && <span class="dim" aria-hidden="true">↳ </span>}{TYPE_LABEL[o.type] ?? o.type}</td>
      <td data-label="Side" class={sideClass(o.side)}>{o.side}</td>
      <td data-label="Price" class="r num">{o.price ? fmt(o.price, pd(o.symbol)) : 'Market'}</td>
      {triggers && <td data-label="Trigger" class="r num">{o.stopPrice ? fmt(o.stopPrice, pd(o.symbol)) : '—'}</td>}
      <td data-label="Filled / Qty" class="r num">{fmtQty(o.executedQty)} / {fmtQty(o.quantity)}</td>
      <td data-label="Status" class="p3"><span class="tag">{o.status}</span></td>
      <td class="act">
        <button type="button" class="ghost small-btn cancel-btn" disabled={action.busy === o.orderId} onClick={() => action.run(o.orderId, () => props.api.cancel(o.orderId), props.onChanged)} aria-label={`Cancel order ${o.orderId}`}>
          {action.busy === o.orderId ? '…' : 'Cancel'}
        </button>
      </td>
    </tr>
  );
  return (
    <section class="panel table-panel" data-testid="open-orders" aria-label="Open orders">
      <header class="panel-head"><h2>Open orders <span class="count">{props.orders.length}</span></h2></header>
      {action.error !== undefined && <p class="notice bad" role="alert">{action.error}</p>}
      {props.orders.length === 0 ? <p class="empty">No open orders.</p> : (
        <table class="data-table">
          <thead><tr><th class="p3">Time</th><th class="p2">Symbol</th><th>Type</th><th>Side</th><th class="r">Price</th>{triggers && <th class="r">Trigger</th>}<th class="r">Filled / Qty</th><th class="p3">Status</th><th class="act"><span class="sr">Action</span></th></tr></thead>
          {inGroups(props.orders).map(({ group, orders }) => {
            if (group === undefined) return <tbody key={orders[0]!.orderId}>{row(orders[0]!, false)}</tbody>;
            const label = groupLabel(orders, pd);
            const id = `group:${group}`;
            return (
              <tbody key={id} class="order-group" data-group={group} data-testid="order-group">
                <tr class="group-head">
                  <td colSpan={columns} class="group-title">
                    <span class="tag">{label.kind}</span> <strong class="num">{group}</strong> <span class="dim small">{label.detail}</span>
                  </td>
                  <td class="act">
                    <button type="button" class="ghost small-btn cancel-group-btn" disabled={action.busy === id} onClick={() => action.run(id, () => props.api.cancelGroup(group), props.onChanged)} aria-label={`Cancel group ${group}`}>
                      {action.busy === id ? '…' : 'Cancel group'}
                    </button>
                  </td>
                </tr>
                {orders.map((o) => row(o, true))}
              </tbody>
            );
          })}
        </table>
      )}
    </section>
  );
}

export function TradeHistoryTable(props: { trades: readonly Fill[]; api?: Api; priceDecimals: PriceDecimals }) {
  return (
    <section class="panel table-panel" data-testid="trade-history" aria-label="Trade history">
      <header class="panel-head">
        <h2>Trade history <span class="count">{props.trades.length}</span></h2>
        <span class="dim small" title="Realized PnL: closed quantity × (price − average price of the position), fees not included">Realized PnL at average price, before fees</span>
        {props.api !== undefined && <button type="button" class="ghost small-btn" data-testid="trades-csv" title="Every fill as CSV (GET /api/trades.csv)" onClick={() => void props.api?.download('/api/trades.csv', 'trades.csv').catch((error: unknown) => console.error(error))}>CSV</button>}
      </header>
      {props.trades.length === 0 ? <p class="empty">No trades yet.</p> : (
        <table class="data-table">
          <thead><tr><th>Time</th><th class="p2">Symbol</th><th>Side</th><th class="r">Price</th><th class="r">Qty</th><th class="r p3">Value</th><th class="r p2">Fee</th><th class="p3">Role</th><th class="r">Realized PnL</th></tr></thead>
          <tbody>
            {props.trades.map((t) => (
              <tr key={t.id} data-trade-id={t.id}>
                <td data-label="Time" class="num dim">{fmtTime(t.timestamp)}</td>
                <td data-label="Symbol" class="p2">{t.symbol}</td>
                <td data-label="Side" class={sideClass(t.orderSide)}>{t.orderSide}{t.side !== null ? ` · ${t.side}` : ''}</td>
                <td data-label="Price" class="r num">{fmt(t.price, props.priceDecimals(t.symbol))}</td>
                <td data-label="Qty" class="r num">{fmtQty(t.size)}</td>
                <td data-label="Value" class="r num p3">{fmt(t.quoteQty)}</td>
                <td data-label="Fee" class="r num p2">{fmtQty(t.fee)} {t.feeAsset}</td>
                <td data-label="Role" class="dim p3">{t.liquidity === 'MAKER' ? 'Maker' : 'Taker'}</td>
                <td data-label="Realized PnL" class={`r num ${pnlClass(t.realizedPnl)}`} data-testid="realized-pnl">{signed(t.realizedPnl)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
