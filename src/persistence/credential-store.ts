/**
 * Paper accounts' API credentials and profiles (`account_credentials`).
 *
 * Guarantees: an API key maps to at most one account, and a deleted account's key stops working;
 * lookups by key are served from memory after `load()` and kept in step with every write.
 * Cost: one row per account; O(1) key lookups.
 */
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { extend } from '../core/objects.js';
import type { Database } from './schema.js';

export interface AccountProfile {
  readonly accountId: string;
  readonly name: string;
  readonly type: 'spot' | 'futures';
  readonly apiKey: string;
  readonly apiSecret: string;
  readonly settings: Readonly<Record<string, unknown>>;
  readonly createdAt: number;
}

export function newApiKey(): string {
  return `pt_${randomBytes(18).toString('base64url')}`;
}

export function newApiSecret(): string {
  return randomBytes(32).toString('hex');
}

export class CredentialStore {
  private readonly byKey = new Map<string, AccountProfile>();
  private readonly byId = new Map<string, AccountProfile>();

  constructor(private readonly db: Kysely<Database>) {}

  async load(): Promise<void> {
    const rows = await this.db.selectFrom('account_credentials').selectAll().where('deletedAt', 'is', null).execute();
    this.byKey.clear();
    this.byId.clear();
    for (const row of rows) {
      this.remember({ accountId: row.accountId, name: row.name, type: row.type, apiKey: row.apiKey, apiSecret: row.apiSecret, settings: JSON.parse(row.settings) as Record<string, unknown>, createdAt: Number(row.createdAt) });
    }
  }

  byApiKey(apiKey: string): AccountProfile | undefined {
    return this.byKey.get(apiKey);
  }

  byAccount(accountId: string): AccountProfile | undefined {
    return this.byId.get(accountId);
  }

  list(): AccountProfile[] {
    return [...this.byId.values()].sort((a, b) => a.createdAt - b.createdAt || (a.accountId < b.accountId ? -1 : 1));
  }

  async create(profile: Omit<AccountProfile, 'apiKey' | 'apiSecret'>): Promise<AccountProfile> {
    const full: AccountProfile = extend(profile, { apiKey: newApiKey(), apiSecret: newApiSecret() });
    await this.db
      .insertInto('account_credentials')
      .values({ accountId: full.accountId, name: full.name, type: full.type, apiKey: full.apiKey, apiSecret: full.apiSecret, settings: JSON.stringify(full.settings), createdAt: full.createdAt, deletedAt: null })
      .execute();
    this.remember(full);
    return full;
  }

  async delete(accountId: string, at: number): Promise<void> {
    await this.db.updateTable('account_credentials').set({ deletedAt: at }).where('accountId', '=', accountId).execute();
    const profile = this.byId.get(accountId);
    if (profile !== undefined) {
      this.byId.delete(accountId);
      this.byKey.delete(profile.apiKey);
    }
  }

  private remember(profile: AccountProfile): void {
    this.byKey.set(profile.apiKey, profile);
    this.byId.set(profile.accountId, profile);
  }
}
