/** Account figures: equity (or what it awaits a price for), available (margin or quote), drawdown, balances. */
import type { AccountView } from '../api-client.js';
import { fmt, fmtPercent, fmtQty } from '../decimal.js';

export function AccountSummary(props: { account: AccountView | undefined; quote: string; drawdown: { current: string; max: string } | undefined }) {
  const a = props.account;
  const futures = a?.type === 'futures';
  const balances = Object.entries(a?.balances ?? {}).filter(([, b]) => Number(b.free) + Number(b.locked) > 0);
  const quoteFree = a?.balances[props.quote]?.free;
  // No figure while the server waits for a price for something the account holds: counting it as zero would be wrong.
  const awaiting = a?.equity === null && a.awaitingPrice !== undefined && a.awaitingPrice.length > 0 ? a.awaitingPrice : undefined;
  return (
    <section class="summary" aria-label="Account" data-testid="summary">
      <div class="stat">
        <span class="label">Equity</span>
        {awaiting !== undefined ? (
          <strong class="value" data-testid="equity" title="The server values the account once everything it holds has a price">Awaiting price <small>{awaiting.join(', ')}</small></strong>
        ) : (
          <strong class="value num" data-testid="equity">{fmt(a?.equity)} <small>{props.quote}</small></strong>
        )}
        {a?.halted && <span class="tag bad">Halted</span>}
      </div>
      <div class="stat">
        <span class="label">{futures ? 'Available margin' : `Available ${props.quote}`}</span>
        <strong class="value num" data-testid="available">{fmt(futures ? a?.availableMargin : quoteFree)} <small>{props.quote}</small></strong>
        {futures && <span class="sub dim">Margin used {fmt(a?.marginUsed)}</span>}
      </div>
      <div class="stat">
        <span class="label">Drawdown</span>
        <strong class="value num" data-testid="drawdown">{fmtPercent(props.drawdown?.current ?? '0')}</strong>
        <span class="sub dim">max {fmtPercent(props.drawdown?.max ?? '0')}</span>
      </div>
      <div class="stat balances" data-testid="balances">
        <span class="label">Balances</span>
        {balances.length === 0 ? <span class="dim">—</span> : (
          <table class="mini">
            <tbody>
              {balances.map(([asset, b]) => (
                <tr key={asset} data-asset={asset}>
                  <th>{asset}</th>
                  <td class="num" data-testid={`balance-${asset}`}>{asset === props.quote ? fmt(b.free) : fmtQty(b.free)}</td>
                  <td class="num dim">{Number(b.locked) > 0 ? `${asset === props.quote ? fmt(b.locked) : fmtQty(b.locked)} locked` : ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
    </section>
  );
}
