/** The selected symbol's book: asks above, bids below, the spread between; a click picks a price. */
import type { Depth, Level } from '../api-client.js';
import { decimalsOf, fmt, fmtQty } from '../decimal.js';

const ROWS = 10;

export function OrderBook(props: { depth: Depth | undefined; tickSize: string; base: string; quote: string; onPick(price: string): void }) {
  const decimals = decimalsOf(props.tickSize);
  const asks = (props.depth?.asks ?? []).slice(0, ROWS);
  const bids = (props.depth?.bids ?? []).slice(0, ROWS);
  const cumulative = (levels: readonly Level[]) => {
    let sum = 0;
    return levels.map((l) => (sum += Number(l[1])));
  };
  const askCum = cumulative(asks);
  const bidCum = cumulative(bids);
  const max = Math.max(askCum[askCum.length - 1] ?? 0, bidCum[bidCum.length - 1] ?? 0, 1e-12);
  const bestAsk = asks[0];
  const bestBid = bids[0];
  const spread = bestAsk !== undefined && bestBid !== undefined ? Number(bestAsk[0]) - Number(bestBid[0]) : undefined;
  const row = (level: Level, cum: number, side: 'ask' | 'bid') => (
    <button type="button" class={`book-row ${side}`} key={`${side}${level[0]}`} onClick={() => props.onPick(level[0])} title="Use this price in the order form">
      <span class="bar" style={{ width: `${(cum / max) * 100}%` }} />
      <span class="num price">{fmt(level[0], decimals)}</span>
      <span class="num">{fmtQty(level[1])}</span>
      <span class="num dim">{fmt(cum, 4)}</span>
    </button>
  );
  return (
    <section class="panel book" data-testid="order-book" aria-label="Order book">
      <header class="panel-head">
        <h2>Order book</h2>
      </header>
      <div class="book-cols">
        <span>Price ({props.quote})</span>
        <span>Size ({props.base})</span>
        <span>Total</span>
      </div>
      <div class="book-side asks">{[...asks.map((l, i) => row(l, askCum[i]!, 'ask'))].reverse()}</div>
      <div class="book-spread">
        {spread === undefined ? <span class="dim">Waiting for the book…</span> : (
          <>
            <strong class="num">{fmt(((Number(bestAsk![0]) + Number(bestBid![0])) / 2), decimals)}</strong>
            <span class="dim">spread {fmt(spread, decimals)}</span>
          </>
        )}
      </div>
      <div class="book-side bids">{bids.map((l, i) => row(l, bidCum[i]!, 'bid'))}</div>
    </section>
  );
}
