/**
 * Which ccxt client trades for which account in live mode: each account its own, built from its
 * own exchange credentials (persistence/exchange-key-store.ts) on first use and kept until its
 * keys change.
 *
 * Guarantees: an account without credentials gets no client (`undefined`), never another
 * account's; a change of an account's keys drops its client, so the next call signs with the new
 * ones; the keys live only inside the ccxt client (never logged, never returned).
 */
import type { Exchange } from 'ccxt';
import type { AppConfig } from '../config/config.js';
import { extend } from '../core/objects.js';
import type { ExchangeKeyStore } from '../persistence/exchange-key-store.js';
import { createExchangeClient, type ExchangeFactory } from './exchange-client.js';

/** The ccxt client of an account's exchange keys. */
export interface VenueClients {
  /** The account's client, or undefined when it has no exchange credentials. */
  clientOf(accountId: string): Promise<Exchange | undefined>;
  /** Called with the account id when its client changes (new keys); returns the unsubscribe. */
  onChange?(listener: (accountId: string) => void): () => void;
}

/** Every account trades through the one client given (a single exchange account). */
export function singleVenueClient(exchange: Exchange): VenueClients {
  return { clientOf: async () => exchange };
}

type ClientConfig = Pick<AppConfig, 'exchange' | 'exchangeOptions' | 'exchangeUrls'>;

/** One client per account, from its sealed credentials. */
export class AccountVenueClients implements VenueClients {
  private readonly clients = new Map<string, Promise<Exchange | undefined>>();
  private readonly listeners = new Set<(accountId: string) => void>();

  constructor(
    private readonly config: ClientConfig,
    private readonly keys: ExchangeKeyStore,
    private readonly factory?: ExchangeFactory,
  ) {
    keys.onChange((accountId) => {
      this.clients.delete(accountId);
      for (const listener of this.listeners) listener(accountId);
    });
  }

  clientOf(accountId: string): Promise<Exchange | undefined> {
    let client = this.clients.get(accountId);
    if (client === undefined) {
      client = this.build(accountId);
      this.clients.set(accountId, client);
      // A failed open (a row sealed under another key) is not cached: the operator may fix it.
      client.catch(() => this.clients.delete(accountId));
    }
    return client;
  }

  onChange(listener: (accountId: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private async build(accountId: string): Promise<Exchange | undefined> {
    const credentials = await this.keys.get(accountId);
    if (credentials === undefined) return undefined;
    return createExchangeClient(
      extend(this.config, { exchangeApiKey: credentials.apiKey, exchangeApiSecret: credentials.secret }),
      { authenticated: true, ...(this.factory !== undefined ? { factory: this.factory } : {}) },
    );
  }
}
