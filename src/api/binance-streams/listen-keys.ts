/**
 * Binance listenKeys: the names of user data streams. A key names one account and one market
 * (spot or USD-M futures), lives 60 minutes from its creation or last keep-alive, and is closed by
 * its owner. As on Binance, creating a key for an account that already has a live one of that market
 * returns the same key and extends it (spot: `POST /api/v3/userDataStream`; futures:
 * `POST /fapi/v1/listenKey`).
 *
 * The book belongs to one server (its plugin registration), not to the module: two servers in one
 * process keep separate keys. Keys are 64 random characters, as long as Binance's.
 */
import { randomBytes } from 'node:crypto';

/** Binance: "a User Data Stream will close after 60 minutes" without a keep-alive. */
export const LISTEN_KEY_LIFETIME_MS = 60 * 60_000;

export type StreamMarket = 'spot' | 'futures';

interface Entry {
  readonly accountId: string;
  readonly market: StreamMarket;
  expiresAt: number;
}

export class ListenKeyBook {
  private readonly byKey = new Map<string, Entry>();
  private readonly closedListeners = new Set<(key: string) => void>();

  constructor(private readonly clock: () => number) {}

  /** The account's live key for the market, extended; a new one when it has none. */
  open(accountId: string, market: StreamMarket): string {
    this.sweep();
    const now = this.clock();
    for (const [key, entry] of this.byKey) {
      if (entry.accountId === accountId && entry.market === market) {
        entry.expiresAt = now + LISTEN_KEY_LIFETIME_MS;
        return key;
      }
    }
    const key = randomBytes(48).toString('base64url');
    this.byKey.set(key, { accountId, market, expiresAt: now + LISTEN_KEY_LIFETIME_MS });
    return key;
  }

  /** Extends a live key of the account by 60 minutes; false when it names no live key of it. */
  keepAlive(key: string, accountId: string, market: StreamMarket): boolean {
    const entry = this.live(key);
    if (entry === undefined || entry.accountId !== accountId || entry.market !== market) return false;
    entry.expiresAt = this.clock() + LISTEN_KEY_LIFETIME_MS;
    return true;
  }

  /** Closes a key of the account; false when it names no live key of it. */
  close(key: string, accountId: string, market: StreamMarket): boolean {
    const entry = this.live(key);
    if (entry === undefined || entry.accountId !== accountId || entry.market !== market) return false;
    this.byKey.delete(key);
    for (const listener of this.closedListeners) listener(key);
    return true;
  }

  /** Tells `listener` of each key its owner closes (connections on it end at once); returns the unsubscribe. */
  onClosed(listener: (key: string) => void): () => void {
    this.closedListeners.add(listener);
    return () => this.closedListeners.delete(listener);
  }

  /** The account and market a live key names. */
  resolve(key: string): { readonly accountId: string; readonly market: StreamMarket } | undefined {
    const entry = this.live(key);
    return entry === undefined ? undefined : { accountId: entry.accountId, market: entry.market };
  }

  /** Whether the key is still live (a connection on it ends when it is not). */
  isLive(key: string): boolean {
    return this.live(key) !== undefined;
  }

  private live(key: string): Entry | undefined {
    const entry = this.byKey.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= this.clock()) {
      this.byKey.delete(key);
      return undefined;
    }
    return entry;
  }

  private sweep(): void {
    const now = this.clock();
    for (const [key, entry] of this.byKey) if (entry.expiresAt <= now) this.byKey.delete(key);
  }
}
