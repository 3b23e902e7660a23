/**
 * Each account's exchange API credentials for live trading (`account_exchange_keys`), sealed with
 * AES-256-GCM (credential-cipher.ts) before they reach the database.
 *
 * Guarantees: the database never holds a key or secret in clear; `get` opens a row only in memory;
 * nothing here logs. Without a cipher (no CREDENTIALS_KEY) nothing can be stored or read, and each
 * call says so. `describe` answers what may be shown: whether keys are set and when, never the keys.
 * Cost: one row per account; a read opens one row (microseconds).
 */
import type { Kysely } from 'kysely';
import type { CredentialCipher } from './credential-cipher.js';
import type { Database } from './schema.js';

export interface ExchangeCredentials {
  readonly apiKey: string;
  readonly secret: string;
}

export class ExchangeKeysUnavailableError extends Error {
  override readonly name = 'ExchangeKeysUnavailableError';
  constructor() {
    super('exchange credentials cannot be stored or read: CREDENTIALS_KEY is not set (32 bytes, e.g. `openssl rand -hex 32`)');
  }
}

export class ExchangeKeyStore {
  private readonly listeners = new Set<(accountId: string) => void>();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly cipher: CredentialCipher | undefined,
  ) {}

  /** True when a CREDENTIALS_KEY is configured. */
  get available(): boolean {
    return this.cipher !== undefined;
  }

  /** Seals and stores the account's credentials, replacing any before. */
  async set(accountId: string, credentials: ExchangeCredentials, at: number): Promise<void> {
    if (this.cipher === undefined) throw new ExchangeKeysUnavailableError();
    const sealed = this.cipher.seal(JSON.stringify({ apiKey: credentials.apiKey, secret: credentials.secret }), accountId);
    await this.db
      .insertInto('account_exchange_keys')
      .values({ accountId, sealed, updatedAt: at })
      .onConflict((oc) => oc.column('accountId').doUpdateSet({ sealed, updatedAt: at }))
      .execute();
    for (const listener of this.listeners) listener(accountId);
  }

  /** The account's credentials in clear, or undefined when it has none. */
  async get(accountId: string): Promise<ExchangeCredentials | undefined> {
    if (this.cipher === undefined) throw new ExchangeKeysUnavailableError();
    const row = await this.db.selectFrom('account_exchange_keys').select('sealed').where('accountId', '=', accountId).executeTakeFirst();
    if (row === undefined) return undefined;
    const parsed = JSON.parse(this.cipher.open(row.sealed, accountId)) as ExchangeCredentials;
    return { apiKey: parsed.apiKey, secret: parsed.secret };
  }

  /** What may be shown about the account's credentials: whether set, and when. */
  async describe(accountId: string): Promise<{ readonly set: boolean; readonly updatedAt: number | null }> {
    const row = await this.db.selectFrom('account_exchange_keys').select('updatedAt').where('accountId', '=', accountId).executeTakeFirst();
    return { set: row !== undefined, updatedAt: row === undefined ? null : Number(row.updatedAt) };
  }

  /** Accounts holding credentials. */
  async accounts(): Promise<string[]> {
    return (await this.db.selectFrom('account_exchange_keys').select('accountId').orderBy('accountId').execute()).map((r) => r.accountId);
  }

  async delete(accountId: string): Promise<void> {
    await this.db.deleteFrom('account_exchange_keys').where('accountId', '=', accountId).execute();
    for (const listener of this.listeners) listener(accountId);
  }

  /** Called with the account id after its credentials change; returns the unsubscribe. */
  onChange(listener: (accountId: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
