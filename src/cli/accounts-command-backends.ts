/**
 * Where `papertrade accounts` does its work (docs/adr/0018-accounts-command-and-writer-lease.md):
 * - a server running on the configured database (its writer lease names its URL), or one given by
 *   `--url` / PAPERTRADE_URL: through that server's admin API, with the admin key;
 * - otherwise the database itself: the engine opened the way `serve` opens it (same kernel
 *   configuration, under the writer lease, so no server can start writing meanwhile).
 *
 * Both give the same views, so the command's output does not depend on the path taken.
 */
import { checkLiveInterlock, type AppConfig } from '../config/index.js';
import { createAccount, deleteAccount, importAccount, resetAccount, type AccountDeps, type NewAccount } from '../api/account-service.js';
import { EngineHub } from '../api/engine-hub.js';
import { HttpError } from '../api/http-errors.js';
import { currentWriter, describeHolder, WriterLeaseHeldError, type LeaseHolder } from '../engine/writer-lease.js';
import { openAndMigrate } from '../persistence/database.js';
import { AuditLog } from '../persistence/audit-log.js';
import { CredentialStore } from '../persistence/credential-store.js';
import { openMarketSource } from '../service/market-source.js';
import { openServiceEngine } from '../service/start-service.js';
import { StartupError } from '../service/startup-error.js';
import { AccountsCommandError } from './accounts-command-error.js';

export { AccountsCommandError };

export type Balances = Record<string, { free: string; locked: string }>;

export interface AccountRow {
  readonly id: string;
  readonly name: string;
  readonly type: 'spot' | 'futures';
  readonly apiKey: string;
  readonly createdAt: number;
  readonly halted: boolean;
  readonly balances: Balances;
}

/** A new account's credentials: the secret is shown this once. */
export interface NewCredentials {
  readonly id: string;
  readonly name: string;
  readonly type: 'spot' | 'futures';
  readonly apiKey: string;
  readonly apiSecret: string;
  readonly balances: Balances;
}

export interface AccountsBackend {
  /** `server http://…` or `database sqlite:…`, for messages. */
  readonly where: string;
  list(): Promise<AccountRow[]>;
  create(spec: NewAccount): Promise<NewCredentials>;
  exportDocument(id: string): Promise<string>;
  importDocument(document: string, name: string | undefined): Promise<NewCredentials>;
  reset(id: string, balances: Record<string, string> | undefined): Promise<AccountRow>;
  remove(id: string): Promise<void>;
  close(): Promise<void>;
}


export interface BackendChoice {
  readonly config: AppConfig;
  /** `--url` or PAPERTRADE_URL. */
  readonly url?: string;
  /** `--admin-key`, else ADMIN_API_KEY. */
  readonly adminKey?: string;
  /** Messages about opening the engine (market source), kept off stdout. */
  readonly log: (line: string) => void;
  /** How long to wait for another writer that has not announced a server (default 15 s). */
  readonly waitMs?: number;
}

export async function openAccountsBackend(choice: BackendChoice): Promise<AccountsBackend> {
  if (choice.url !== undefined) return remoteBackend(choice.url, choice.adminKey);
  const dbUrl = choice.config.databaseUrl;
  const deadline = Date.now() + (choice.waitMs ?? 15_000);
  let source: Awaited<ReturnType<typeof openMarketSource>> | undefined;
  try {
    for (;;) {
      const holder = await writerOf(dbUrl);
      if (holder?.url !== undefined) return remoteBackend(holder.url.replace('//0.0.0.0:', '//127.0.0.1:'), choice.adminKey, holder);
      if (holder === undefined) {
        source ??= await openMarketSource(choice.config, choice.log);
        try {
          const opened = await openServiceEngine(choice.config, source, 'accounts', 0);
          return await localBackend(choice.config, opened);
        } catch (error) {
          if (!(error instanceof Error && error.cause instanceof WriterLeaseHeldError)) throw error;
        }
      } else if (Date.now() >= deadline) {
        throw new AccountsCommandError(`the database is in use by ${describeHolder(holder)}, which is not a server this command can talk to; try again once it has finished`);
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } finally {
    await source?.close();
  }
}

async function writerOf(dbUrl: string): Promise<LeaseHolder | undefined> {
  if (dbUrl === 'sqlite::memory:') return undefined;
  let database: Awaited<ReturnType<typeof openAndMigrate>>;
  try {
    database = await openAndMigrate(dbUrl);
  } catch (error) {
    // A database that does not open is the configuration's fault, said as serve says it: no stack trace.
    throw new StartupError(error instanceof Error ? error.message : String(error), { cause: error });
  }
  try {
    return await currentWriter(database.db);
  } finally {
    await database.close();
  }
}

async function localBackend(config: AppConfig, opened: Awaited<ReturnType<typeof openServiceEngine>>): Promise<AccountsBackend> {
  const { engine } = opened;
  const credentials = new CredentialStore(engine.db);
  await credentials.load();
  const deps: AccountDeps = { hub: new EngineHub(engine), credentials, audit: new AuditLog(engine.db), mode: { mode: checkLiveInterlock(config).mode === 'live' ? 'live' : 'paper', liveRefusedBecause: [] } };
  const kernel = () => engine.kernel;
  const row = (id: string): AccountRow => {
    const p = credentials.byAccount(id);
    if (p === undefined) throw new AccountsCommandError(`no account ${id}`);
    return { id, name: p.name, type: p.type, apiKey: p.apiKey, createdAt: p.createdAt, halted: kernel().isHalted(id), balances: kernel().balances(id) ?? {} };
  };
  const fresh = (p: { accountId: string; name: string; type: 'spot' | 'futures'; apiKey: string; apiSecret: string }): NewCredentials => ({
    id: p.accountId,
    name: p.name,
    type: p.type,
    apiKey: p.apiKey,
    apiSecret: p.apiSecret,
    balances: kernel().balances(p.accountId) ?? {},
  });
  return {
    where: `database ${describeUrl(config.databaseUrl)}`,
    list: async () => credentials.list().map((p) => row(p.accountId)),
    create: async (spec) => fresh(await refusals(createAccount(deps, spec, 'cli'))),
    async exportDocument(id) {
      row(id);
      const document = kernel().exportAccount(id);
      if (document === undefined) throw new AccountsCommandError(`account ${id} has no state in the engine`);
      return document;
    },
    importDocument: async (document, name) => fresh(await refusals(importAccount(deps, document, name, 'cli'))),
    async reset(id, balances) {
      row(id);
      await refusals(resetAccount(deps, id, balances, 'cli'));
      return row(id);
    },
    async remove(id) {
      row(id);
      await refusals(deleteAccount(deps, id, 'cli'));
    },
    close: () => opened.close({ snapshot: true }),
  };
}

async function refusals<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    // The kernel refuses an account's settings with its generic INVALID_ORDER; no accounts command places an order, so the
    // refusal is said as the admin API says a refused setting: INVALID_REQUEST.
    if (error instanceof HttpError) throw new AccountsCommandError(`${error.body.message} (${error.body.code === 'INVALID_ORDER' ? 'INVALID_REQUEST' : error.body.code})`);
    throw error;
  }
}

function remoteBackend(baseUrl: string, adminKey: string | undefined, holder?: LeaseHolder): AccountsBackend {
  const base = baseUrl.replace(/\/+$/, '');
  if (adminKey === undefined) {
    const who = holder !== undefined ? `${describeHolder(holder)} runs on this database` : `the server is ${base}`;
    throw new AccountsCommandError(`${who}; accounts are managed through its admin API: give its admin key with --admin-key or ADMIN_API_KEY`, 2);
  }
  const call = async (method: string, path: string, body?: unknown, key: string = adminKey): Promise<Response> => {
    let response: Response;
    try {
      response = await fetch(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch (error) {
      throw new AccountsCommandError(`cannot reach the server at ${base}: ${error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error)}`);
    }
    if (!response.ok) {
      const text = await response.text();
      let message = text;
      try {
        const parsed = JSON.parse(text) as { code?: string; message?: string };
        if (typeof parsed.message === 'string') message = `${parsed.message}${parsed.code !== undefined ? ` (${parsed.code})` : ''}`;
      } catch {
        // not JSON: the text as it came
      }
      throw new AccountsCommandError(`the server at ${base} answered ${response.status}: ${message}`);
    }
    return response;
  };
  const list = async (): Promise<AccountRow[]> => {
    const rows: AccountRow[] = [];
    for (let offset: number | null = 0; offset !== null; ) {
      const page = (await (await call('GET', `/api/accounts?limit=500&offset=${offset}`)).json()) as { items: (AccountRow & { balances: Balances | null })[]; nextOffset: number | null };
      for (const item of page.items) rows.push({ id: item.id, name: item.name, type: item.type, apiKey: item.apiKey, createdAt: item.createdAt, halted: item.halted, balances: item.balances ?? {} });
      offset = page.nextOffset;
    }
    return rows;
  };
  const find = async (id: string): Promise<AccountRow> => {
    const found = (await list()).find((r) => r.id === id);
    if (found === undefined) throw new AccountsCommandError(`no account ${id}`);
    return found;
  };
  const fresh = async (response: Response): Promise<NewCredentials> => {
    const c = (await response.json()) as NewCredentials & { balances: Balances | null };
    return { id: c.id, name: c.name, type: c.type, apiKey: c.apiKey, apiSecret: c.apiSecret, balances: c.balances ?? {} };
  };
  return {
    where: `server ${base}`,
    list,
    create: async (spec) => fresh(await call('POST', '/api/accounts', spec)),
    exportDocument: async (id) => (await call('GET', '/api/account/export', undefined, (await find(id)).apiKey)).text(),
    importDocument: async (document, name) => fresh(await call('POST', '/api/accounts/import', { document: JSON.parse(document) as unknown, ...(name !== undefined ? { name } : {}) })),
    async reset(id, balances) {
      await find(id);
      await call('POST', `/api/accounts/${encodeURIComponent(id)}/reset`, balances !== undefined ? { balances } : {});
      return find(id);
    },
    async remove(id) {
      await find(id);
      await call('DELETE', `/api/accounts/${encodeURIComponent(id)}`);
    },
    close: async () => undefined,
  };
}

/** The database URL without a password. */
function describeUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}
