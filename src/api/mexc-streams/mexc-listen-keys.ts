/**
 * MEXC's listen keys for the user data streams (MEXC Spot v3 "Listen Key": create, keep alive,
 * close, list; https://www.mexc.com/api-docs/spot-v3/websocket-user-data-streams): a key names one
 * account and opens its private channels on `/mexc/ws?listenKey=…`.
 *
 * Guarantees: a key is 64 random hex characters, valid for 60 minutes after its creation or last
 * keep-alive (wall clock); at most 60 keys per account (MEXC's limit), the oldest dropped first; a
 * key only ever resolves to the account that created it, and keep-alive and close work only for
 * that account; `forget` ends every key of an account (when it is deleted). Keys live in memory: a restart closes them (clients create new ones, as after
 * MEXC's own expiry). Not modelled: MEXC's limit of 5 connections per key.
 */
import { randomBytes } from 'node:crypto';

export const LISTEN_KEY_VALIDITY_MS = 60 * 60_000;
export const MAX_LISTEN_KEYS_PER_ACCOUNT = 60;

interface Entry {
  readonly account: string;
  expiresAt: number;
}

export class ListenKeyStore {
  private readonly keys = new Map<string, Entry>();

  constructor(private readonly wallClock: () => number) {}

  /** A new key for `account`. */
  create(account: string): string {
    const mine = this.keysOf(account);
    for (const old of mine.slice(0, Math.max(0, mine.length - MAX_LISTEN_KEYS_PER_ACCOUNT + 1))) this.keys.delete(old);
    const key = randomBytes(32).toString('hex');
    this.keys.set(key, { account, expiresAt: this.wallClock() + LISTEN_KEY_VALIDITY_MS });
    return key;
  }

  /** Extends the key by another 60 minutes; false if it is not `account`'s live key. */
  keepAlive(account: string, key: string): boolean {
    const entry = this.live(key);
    if (entry === undefined || entry.account !== account) return false;
    entry.expiresAt = this.wallClock() + LISTEN_KEY_VALIDITY_MS;
    return true;
  }

  /** Closes the key; false if it is not `account`'s live key. */
  close(account: string, key: string): boolean {
    const entry = this.live(key);
    if (entry === undefined || entry.account !== account) return false;
    this.keys.delete(key);
    return true;
  }

  /** Ends every key of `account` (it was deleted: its keys must not open its channels again). */
  forget(account: string): void {
    for (const [key, entry] of this.keys) if (entry.account === account) this.keys.delete(key);
  }

  /** The account a live key belongs to, else undefined. */
  accountOf(key: string): string | undefined {
    return this.live(key)?.account;
  }

  /** The account's live keys, oldest first. */
  keysOf(account: string): string[] {
    return [...this.keys.keys()].filter((key) => this.live(key)?.account === account);
  }

  private live(key: string): Entry | undefined {
    const entry = this.keys.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= this.wallClock()) {
      this.keys.delete(key);
      return undefined;
    }
    return entry;
  }
}
