/**
 * Creating, resetting and deleting paper accounts: the kernel input (journaled), the credentials
 * row and the audit entry, in that order. A refused input leaves no credentials behind.
 */
import { randomUUID } from 'node:crypto';
import type { OpenAccountInput } from '../core/kernel/inputs.js';
import type { AccountProfile } from '../persistence/credential-store.js';
import type { ExchangeCredentials } from '../persistence/exchange-key-store.js';
import { documentTextProblem } from './account-document-schema.js';
import { checkBalances, checkDefaultLeverage, checkFees } from './admin-input-checks.js';
import { HttpError } from './http-errors.js';
import type { ServiceDeps } from './service-deps.js';

/** What account management needs: the server's deps, or an engine opened by `papertrade accounts`. */
export type AccountDeps = Pick<ServiceDeps, 'hub' | 'credentials' | 'audit' | 'mode' | 'wallClock' | 'exchangeKeys'>;

export interface NewAccount {
  readonly name: string;
  readonly type?: 'spot' | 'futures';
  readonly balances: Readonly<Record<string, string>>;
  readonly fees?: { readonly maker?: string; readonly taker?: string };
  readonly risk?: { readonly maxDrawdown?: string; readonly closeOnMaxDrawdown?: boolean };
  readonly leverage?: number;
  readonly marginMode?: 'isolated' | 'cross';
  /** Live trading: the account's own exchange keys (stored sealed, never answered back). */
  readonly exchangeCredentials?: ExchangeCredentials;
}

/** Refuses credentials the server cannot seal (no CREDENTIALS_KEY), before anything is created. */
export function checkExchangeKeysStorable(deps: Pick<AccountDeps, 'exchangeKeys'>): void {
  if (deps.exchangeKeys?.available !== true) {
    throw HttpError.of({ code: 'CREDENTIALS_KEY_MISSING', message: 'exchangeCredentials cannot be stored: the server has no CREDENTIALS_KEY to encrypt them with (32 bytes, e.g. `openssl rand -hex 32`)' });
  }
}

export async function createAccount(deps: AccountDeps, spec: NewAccount, actor: string): Promise<AccountProfile> {
  // Checked here, so every caller (the admin route, `papertrade accounts create`) refuses the same.
  checkBalances(spec.balances);
  checkFees(deps.hub.kernel, spec.fees);
  checkDefaultLeverage(deps.hub.kernel, spec.type, spec.leverage);
  if (spec.exchangeCredentials !== undefined) checkExchangeKeysStorable(deps);
  const id = `acc_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
  const type = spec.type ?? 'spot';
  const input: OpenAccountInput = {
    kind: 'account.open',
    time: deps.hub.now(),
    account: id,
    balances: spec.balances,
    type,
    ...(spec.marginMode !== undefined ? { marginMode: spec.marginMode } : {}),
    ...(spec.leverage !== undefined ? { leverage: spec.leverage } : {}),
    ...(spec.fees !== undefined ? { fees: spec.fees } : {}),
    ...(spec.risk !== undefined ? { risk: spec.risk } : {}),
  };
  const events = await deps.hub.submit(input);
  const refused = events.find((e) => e.type === 'ACCOUNT_REJECTED');
  if (refused !== undefined && refused.type === 'ACCOUNT_REJECTED') throw HttpError.of({ code: refused.code, message: refused.message });
  const profile = await deps.credentials.create({
    accountId: id,
    name: spec.name,
    type,
    settings: { balances: spec.balances, fees: spec.fees ?? {}, risk: spec.risk ?? {}, leverage: spec.leverage ?? 1, marginMode: spec.marginMode ?? 'isolated' },
    createdAt: (deps.wallClock ?? Date.now)(),
  });
  if (spec.exchangeCredentials !== undefined) await deps.exchangeKeys!.set(id, spec.exchangeCredentials, (deps.wallClock ?? Date.now)());
  const keys = spec.exchangeCredentials !== undefined ? { exchangeCredentials: 'set' } : {};
  await deps.audit.append({ at: (deps.wallClock ?? Date.now)(), actor, mode: deps.mode.mode, action: 'account.create', accountId: id, details: { name: spec.name, type, balances: spec.balances, ...keys } });
  return profile;
}

export async function resetAccount(deps: AccountDeps, accountId: string, balances: Readonly<Record<string, string>> | undefined, actor: string): Promise<void> {
  checkBalances(balances);
  const events = await deps.hub.submit({ kind: 'account.reset', time: deps.hub.now(), account: accountId, ...(balances !== undefined ? { balances } : {}) });
  const refused = events.find((e) => e.type === 'ACCOUNT_REJECTED');
  if (refused !== undefined && refused.type === 'ACCOUNT_REJECTED') throw HttpError.of({ code: refused.code, message: refused.message });
  if (!events.some((e) => e.type === 'ACCOUNT_RESET')) throw HttpError.of({ code: 'INVALID_ORDER', message: 'the new balances were refused' });
  await deps.audit.append({ at: (deps.wallClock ?? Date.now)(), actor, mode: deps.mode.mode, action: 'account.reset', accountId, details: { balances: balances ?? 'as opened' } });
}

export async function deleteAccount(deps: AccountDeps, accountId: string, actor: string): Promise<void> {
  await deps.hub.submit({ kind: 'account.close', time: deps.hub.now(), account: accountId });
  await deps.credentials.delete(accountId, (deps.wallClock ?? Date.now)());
  await deps.exchangeKeys?.delete(accountId);
  await deps.audit.append({ at: (deps.wallClock ?? Date.now)(), actor, mode: deps.mode.mode, action: 'account.delete', accountId, details: {} });
}

/** Imports an exported account document under a new id, with new credentials. */
export async function importAccount(deps: AccountDeps, document: string, name: string | undefined, actor: string): Promise<AccountProfile> {
  // Checked here too, so every caller (the admin route, `papertrade accounts import`) refuses a
  // malformed or edited document before anything is journaled.
  const problem = documentTextProblem(document, (symbol) => deps.hub.kernel.instrument(symbol)?.maxLeverage);
  if (problem !== undefined) throw new HttpError(400, { code: 'INVALID_REQUEST', message: `${problem.field}: ${problem.message}` });
  const id = `acc_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
  const events = await deps.hub.submit({ kind: 'account.import', time: deps.hub.now(), document, account: id });
  const refused = events.find((e) => e.type === 'ACCOUNT_REJECTED');
  if (refused !== undefined && refused.type === 'ACCOUNT_REJECTED') throw HttpError.of({ code: refused.code, message: refused.message });
  const type = deps.hub.kernel.account(id)?.kind ?? 'spot';
  const profile = await deps.credentials.create({ accountId: id, name: name ?? `imported ${id}`, type, settings: { importedFrom: 'document' }, createdAt: (deps.wallClock ?? Date.now)() });
  await deps.audit.append({ at: (deps.wallClock ?? Date.now)(), actor, mode: deps.mode.mode, action: 'account.import', accountId: id, details: {} });
  return profile;
}
