/**
 * Binance listenKeys: the names of user data streams. A key names one account and one market
 * (spot or USD-M futures), lives 60 minutes from its creation or last keep-alive, and is closed by
 * its owner. As on Binance, creating a key for an account that already has a live one of that market
 * returns the same key and extends it (spot: `POST /api/v3/userDataStream`,
 * https://developers.binance.com/docs/binance-spot-api-docs/user-data-stream; futures:
 * `POST /fapi/v1/listenKey`).
 *
 * The keys themselves are the MEXC streams' store (one per market: the same lifetime, the same
 * owner checks); this book adds Binance's one-key-per-account answer and tells connections of a
 * closed key. It belongs to one server (its plugin registration), not to the module.
 */
import { ListenKeyStore } from '../mexc-streams/mexc-listen-keys.js';

export type StreamMarket = 'spot' | 'futures';

const MARKETS: readonly StreamMarket[] = ['spot', 'futures'];

export class ListenKeyBook {
  private readonly stores: Readonly<Record<StreamMarket, ListenKeyStore>>;
  private readonly closedListeners = new Set<(key: string) => void>();

  constructor(clock: () => number) {
    this.stores = { spot: new ListenKeyStore(clock), futures: new ListenKeyStore(clock) };
  }

  /** The account's live key for the market, extended; a new one when it has none. */
  open(accountId: string, market: StreamMarket): string {
    return this.extend(accountId, market) ?? this.stores[market].create(accountId);
  }

  /** The account's live key for the market, extended; undefined when it has none. */
  extend(accountId: string, market: StreamMarket): string | undefined {
    const store = this.stores[market];
    const live = store.keysOf(accountId)[0];
    return live !== undefined && store.keepAlive(accountId, live) ? live : undefined;
  }

  /** Extends a live key of the account by 60 minutes; false when it names no live key of it. */
  keepAlive(key: string, accountId: string, market: StreamMarket): boolean {
    return this.stores[market].keepAlive(accountId, key);
  }

  /** Closes a key of the account; false when it names no live key of it. */
  close(key: string, accountId: string, market: StreamMarket): boolean {
    if (!this.stores[market].close(accountId, key)) return false;
    for (const listener of this.closedListeners) listener(key);
    return true;
  }

  /** Ends every key of the account, in both markets (it was deleted: its keys must not name a stream again). */
  forget(accountId: string): void {
    for (const market of MARKETS) this.stores[market].forget(accountId);
  }

  /** Tells `listener` of each key its owner closes (connections on it end at once); returns the unsubscribe. */
  onClosed(listener: (key: string) => void): () => void {
    this.closedListeners.add(listener);
    return () => this.closedListeners.delete(listener);
  }

  /** The account and market a live key names. */
  resolve(key: string): { readonly accountId: string; readonly market: StreamMarket } | undefined {
    for (const market of MARKETS) {
      const accountId = this.stores[market].accountOf(key);
      if (accountId !== undefined) return { accountId, market };
    }
    return undefined;
  }

  /** Whether the key is still live (a connection on it ends when it is not). */
  isLive(key: string): boolean {
    return this.resolve(key) !== undefined;
  }
}
