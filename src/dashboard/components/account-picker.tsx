/**
 * The admin's account selector: the accounts a page at a time (`GET /api/accounts`, oldest first,
 * ACCOUNTS_PAGE to a page), with Previous and Next when there are more, so every account can be
 * reached however many there are. The page shown is asked again whenever the selector is focused
 * or clicked, so accounts created or deleted since are seen when the user goes to choose, and
 * again when the shell asks (`refresh`). The account on screen stays in the list while another page is shown.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { ACCOUNTS_PAGE, type AccountsPage, type AdminAccount, type Api } from '../api-client.js';

const label = (a: AdminAccount) => `${a.name} · ${a.type}${a.halted ? ' · halted' : ''}`;

/** `refresh`: the page shown is asked again whenever it changes (e.g. after a chosen account turned out deleted). */
export function AccountPicker(props: { api: Api; first: AccountsPage; current: AdminAccount; refresh?: number; onPick(account: AdminAccount): void }) {
  const [page, setPage] = useState(props.first);
  // Only the last page asked is shown; `done` once it has come (or failed).
  const asked = useRef({ n: 0, done: true });

  const load = (offset: number) => {
    const n = (asked.current = { n: asked.current.n + 1, done: false }).n;
    props.api
      .accounts(offset)
      .finally(() => {
        if (asked.current.n === n) asked.current.done = true;
      })
      .then((p) => {
        if (asked.current.n !== n) return;
        // The page went empty (accounts deleted since): show the last one there is.
        if (p.items.length === 0 && offset > 0 && p.total > 0) load(Math.floor((p.total - 1) / ACCOUNTS_PAGE) * ACCOUNTS_PAGE);
        else setPage(p);
      })
      .catch(() => undefined);
  };
  // A click brings a mousedown and a focus: the page is asked once.
  const refresh = () => {
    if (asked.current.done) load(page.offset);
  };

  useEffect(() => {
    if (props.refresh !== undefined && props.refresh > 0) load(page.offset);
  }, [props.refresh]);

  const current = props.current;
  const options = page.items.some((a) => a.apiKey === current.apiKey) ? page.items : [current, ...page.items];
  const paged = page.total > ACCOUNTS_PAGE || page.offset > 0;
  const last = Math.min(page.offset + page.items.length, page.total);

  return (
    <>
      <select
        class="account-select"
        aria-label="Account"
        data-testid="account-select"
        value={current.apiKey}
        onFocus={refresh}
        onMouseDown={refresh}
        onChange={(e) => {
          const chosen = options.find((a) => a.apiKey === (e.target as HTMLSelectElement).value);
          if (chosen) props.onPick(chosen);
        }}
      >
        {options.map((a) => <option key={a.id} value={a.apiKey}>{label(a)}</option>)}
      </select>
      {paged && (
        <span class="account-pages">
          <button type="button" class="ghost" aria-label="Previous accounts" data-testid="accounts-previous" disabled={page.offset === 0} onClick={() => load(Math.max(0, page.offset - ACCOUNTS_PAGE))}>‹</button>
          <span class="dim small num" data-testid="accounts-range">{page.items.length === 0 ? 0 : page.offset + 1}–{last} of {page.total}</span>
          <button type="button" class="ghost" aria-label="Next accounts" data-testid="accounts-next" disabled={page.nextOffset === null} onClick={() => page.nextOffset !== null && load(page.nextOffset)}>›</button>
        </span>
      )}
    </>
  );
}
