/**
 * The shell: the mode banner (PAPER or LIVE, from GET /api/mode, each with its own colours), the
 * header with the account selector (admin key) and settings, and the sign-in. The key comes from
 * the form, `?key=` (removed from the address bar at once) or this browser's storage.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { Api, ApiError, type AccountsPage, type AdminAccount, type Instrument, type ModeView } from './api-client.js';
import { AccountPicker } from './components/account-picker.js';
import { DashboardView } from './components/dashboard-view.js';
import { SettingsDialog } from './components/settings-dialog.js';
import { SignIn } from './components/sign-in.js';
import { keyRefusal } from './key-refusal.js';

const STORAGE_KEY = 'papertrade.key';

interface Session {
  /** The key the user gave (account or admin). */
  readonly key: string;
  /** When `key` is the admin key: the first page of the accounts, and the one on screen. */
  readonly admin?: { readonly first: AccountsPage; readonly account: AdminAccount };
  /** The key of the account on screen. */
  readonly accountKey: string;
  readonly accountName: string;
}

function initialKey(): string | undefined {
  const url = new URL(location.href);
  const fromUrl = url.searchParams.get('key');
  if (fromUrl !== null && fromUrl !== '') {
    url.searchParams.delete('key');
    history.replaceState(null, '', url.pathname + url.search + url.hash);
    return fromUrl;
  }
  return localStorage.getItem(STORAGE_KEY) ?? undefined;
}

async function resolveSession(key: string): Promise<Session> {
  try {
    const account = await new Api(key).account();
    return { key, accountKey: key, accountName: account.name };
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 401) throw err;
  }
  try {
    const page = await new Api(key).accounts();
    const first = page.items[0];
    if (first === undefined) throw new Error('The admin key is right, but there are no accounts yet: create one with POST /api/accounts.');
    return { key, admin: { first: page, account: first }, accountKey: first.apiKey, accountName: first.name };
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) throw new Error('This key is neither an account key nor the admin key.');
    throw err;
  }
}

export function App() {
  const publicApi = useMemo(() => new Api(undefined), []);
  const [mode, setMode] = useState<ModeView>();
  const [instruments, setInstruments] = useState<Instrument[]>([]);
  const [session, setSession] = useState<Session>();
  const [signInError, setSignInError] = useState<string>();
  const [busy, setBusy] = useState(true);
  const [settingsOpen, setSettingsOpen] = useState(false);

  const signIn = async (key: string) => {
    setBusy(true);
    setSignInError(undefined);
    try {
      const s = await resolveSession(key);
      localStorage.setItem(STORAGE_KEY, key);
      setSession(s);
    } catch (err) {
      localStorage.removeItem(STORAGE_KEY);
      setSignInError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };

  // The mode is never assumed: until the server has said it, the banner says so, and the page asks
  // again (a 429 or a proxy's 503 must not show a live server as paper).
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const askMode = () => publicApi.mode().then(setMode).catch(() => { timer = setTimeout(askMode, 2000); });
    void askMode();
    return () => clearTimeout(timer);
  }, []);

  useEffect(() => {
    publicApi.instruments().then(setInstruments).catch(() => undefined);
    const key = initialKey();
    if (key !== undefined) void signIn(key);
    else setBusy(false);
  }, []);

  const live = mode?.mode === 'live';
  const known = mode !== undefined;
  useEffect(() => {
    document.body.dataset.mode = live ? 'live' : known ? 'paper' : 'unknown';
    document.title = `${live ? 'LIVE' : known ? 'PAPER' : 'MODE UNKNOWN'} · papertrade`;
  }, [live, known]);

  // The admin's notice that an account is gone, and the selector's refresh count.
  const [accountNotice, setAccountNotice] = useState<string>();
  const [pickerRefresh, setPickerRefresh] = useState(0);
  const sessionRef = useRef(session);
  sessionRef.current = session;
  // The account key last refused: the requests of one view refused together make one notice.
  const refusedKey = useRef<string | undefined>(undefined);

  // An account the admin chose or had on screen is gone (deleted, or its key replaced): the admin
  // key still works, so the admin stays signed in. Say so and ask the selector's page again; a
  // chosen account leaves the one on screen there, one on screen gives way to the first listed.
  const adminAccountGone = async (s: Session, gone: { name: string; apiKey: string }, stay: boolean) => {
    setAccountNotice(`The account "${gone.name}" no longer exists: it was deleted or its key replaced. Choose another.`);
    setPickerRefresh((n) => n + 1);
    if (stay) return;
    let next: AdminAccount | undefined;
    try {
      next = (await new Api(s.key).accounts()).items.find((a) => a.apiKey !== gone.apiKey);
    } catch (err) {
      // The list could not be read (the server away, or this address waiting after the gone
      // account's refused requests counted as failed keys): that is not "no accounts left".
      return signOut(`The account "${gone.name}" no longer exists, and the accounts could not be listed: ${err instanceof Error ? err.message : String(err)}. Sign in again.`);
    }
    if (next === undefined) return signOut('The admin key is right, but there are no accounts left: create one with POST /api/accounts.');
    setSession({ key: s.key, admin: { first: s.admin!.first, account: next }, accountKey: next.apiKey, accountName: next.name });
  };

  const signOut = (reason: string) => {
    // At once, not at the next render: a refused request answered meanwhile finds no session.
    sessionRef.current = undefined;
    localStorage.removeItem(STORAGE_KEY);
    setSettingsOpen(false);
    setAccountNotice(undefined);
    setSession(undefined);
    setSignInError(reason);
  };

  // A key the server no longer accepts (the account was deleted): back to the sign-in with the
  // reason, rather than the last figures of an account that is gone and more refused requests.
  // Signed in with the admin key, only the account is gone: the admin stays signed in.
  const keyRefused = (key: string | undefined) => {
    const s = sessionRef.current;
    switch (keyRefusal(s, key, refusedKey.current)) {
      case 'stale':
      case 'repeat':
        return;
      case 'account-gone':
        refusedKey.current = s!.accountKey;
        void adminAccountGone(s!, { name: s!.accountName, apiKey: s!.accountKey }, false);
        return;
      case 'sign-out':
        signOut("The server no longer accepts this account's key: the account was deleted or its key replaced. Sign in again.");
    }
  };

  // The admin picks an account: the admin key asks for it first, so an account deleted (or given a
  // new key) since the selector was last filled is reported as gone, rather than shown and refused
  // request by request, and no refused key counts toward the address's back-off.
  const pick = async (s: Session, chosen: AdminAccount) => {
    try {
      const now = await new Api(s.key).adminAccount(chosen.id);
      if (now?.apiKey !== chosen.apiKey) return adminAccountGone(s, chosen, true);
    } catch {
      // The admin key's own failures (the server away, a back-off) surface where the account is read next.
    }
    setAccountNotice(undefined);
    setSession({ key: s.key, admin: { first: s.admin!.first, account: chosen }, accountKey: chosen.apiKey, accountName: chosen.name });
  };
  const accountApi = useMemo(() => (session ? new Api(session.accountKey, keyRefused) : undefined), [session?.accountKey]);
  const adminApi = useMemo(() => (session?.admin !== undefined ? new Api(session.key) : undefined), [session?.key, session?.admin !== undefined]);

  return (
    <>
      <div class="mode-banner" role="banner" data-testid="mode-banner" data-mode={live ? 'live' : known ? 'paper' : 'unknown'}>
        {live ? (
          <><strong>LIVE TRADING</strong><span>Orders go to the real exchange with real money.</span></>
        ) : !known ? (
          <><strong>MODE UNKNOWN</strong><span>The server has not said yet whether it trades paper or live; asking again.</span></>
        ) : (
          <><strong>PAPER TRADING</strong><span>Simulated fills on real market data — no real money moves.</span></>
        )}
      </div>
      <header class="topbar">
        <div class="brand">
          <span class="logo" aria-hidden="true">◆</span> papertrade
          {known && <span class={`mode-chip ${live ? 'live' : 'paper'}`}>{live ? 'LIVE' : 'PAPER'}</span>}
        </div>
        {session !== undefined && (
          <div class="topbar-actions">
            {session.admin !== undefined && adminApi !== undefined ? (
              <AccountPicker
                key={session.key}
                api={adminApi}
                first={session.admin.first}
                current={session.admin.account}
                refresh={pickerRefresh}
                onPick={(chosen) => void pick(session, chosen)}
              />
            ) : (
              <span class="account-name" title="Signed-in account">{session.accountName}</span>
            )}
            <button type="button" class="ghost" data-testid="open-settings" onClick={() => setSettingsOpen(true)}>Settings</button>
            <button type="button" class="ghost" onClick={() => { localStorage.removeItem(STORAGE_KEY); setAccountNotice(undefined); setSession(undefined); }}>Sign out</button>
          </div>
        )}
      </header>
      {session !== undefined && accountNotice !== undefined && (
        <div class="notice bad account-notice" role="alert" data-testid="account-notice">
          <span>{accountNotice}</span>
        </div>
      )}
      {session === undefined || accountApi === undefined ? (
        busy ? <main class="sign-in"><p class="dim">Loading…</p></main> : <SignIn error={signInError} busy={busy} onSubmit={(k) => void signIn(k)} />
      ) : instruments.length === 0 ? (
        <main class="sign-in"><p class="dim">Loading instruments…</p></main>
      ) : (
        <DashboardView key={session.accountKey} api={accountApi} apiKey={session.accountKey} instruments={instruments} onAccountGone={() => keyRefused(session.accountKey)} />
      )}
      {settingsOpen && mode !== undefined && accountApi !== undefined && <SettingsDialog api={accountApi} mode={mode} onClose={() => setSettingsOpen(false)} />}
      <footer class="foot dim small">
        papertrade · {live ? 'live' : known ? 'paper' : 'unknown'} mode · charts by <a href="https://www.tradingview.com/" target="_blank" rel="noreferrer">TradingView Lightweight Charts™</a>
      </footer>
    </>
  );
}
