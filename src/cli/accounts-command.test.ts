import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServeProcess, stopServeProcess, type ServeProcess } from '../test-kit/serve-process.js';
import { runAccountsCommand } from '../test-kit/accounts-cli.js';


async function json<T>(args: readonly string[], env: Record<string, string>): Promise<T> {
  const result = await runAccountsCommand([...args, '--json'], env);
  expect(result.err, result.err).toBe('');
  expect(result.code).toBe(0);
  return JSON.parse(result.out) as T;
}

interface Row {
  id: string;
  name: string;
  type: string;
  apiKey: string;
  halted: boolean;
  balances: Record<string, { free: string; locked: string }>;
}
interface Created extends Row {
  apiSecret: string;
}

/** The exported document with what an import is meant to change (the id, the export time) blanked. */
function comparable(document: string, id: string): unknown {
  const parsed = JSON.parse(document.replaceAll(id, '<id>')) as Record<string, unknown>;
  return { ...parsed, exportedAt: '<time>' };
}

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'papertrade-accounts-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('papertrade accounts on the database', () => {
  const dir = tempDir();
  const env = { DATABASE_URL: `sqlite:${join(dir, 'papertrade.db')}`, LOG_LEVEL: 'silent' };

  it('round trip: create, list, export, delete, import, show give back the account as it was', { timeout: 120_000 }, async () => {
    const created = await json<Created>(['create', '--name', 'alice', '--balances', 'USDT=5000,BTC=0.5', '--maker-fee', '0.0005', '--taker-fee', '0.001'], env);
    expect(created).toMatchObject({ name: 'alice', type: 'spot', balances: { BTC: { free: '0.5', locked: '0' }, USDT: { free: '5000', locked: '0' } } });
    expect(created.apiKey).toMatch(/^pt_/);
    expect(created.apiSecret).toMatch(/^[0-9a-f]{64}$/);
    await json<Created>(['create', '--name', 'bob', '--type', 'futures', '--balances', 'USDT=1000'], env);

    const listed = await json<Row[]>(['list'], env);
    expect(listed.map((r) => [r.name, r.type])).toEqual([['alice', 'spot'], ['bob', 'futures']]);
    expect(listed[0]).toMatchObject({ id: created.id, apiKey: created.apiKey, halted: false, balances: { BTC: { free: '0.5', locked: '0' }, USDT: { free: '5000', locked: '0' } } });
    const table = await runAccountsCommand(['list'], env);
    expect(table.out.split('\n')[0]).toMatch(/^ID\s+NAME\s+TYPE\s+CREATED\s+HALTED\s+BALANCES$/);
    expect(table.out).toContain('0.5 BTC, 5000 USDT');

    const file = join(dir, 'alice.json');
    expect((await runAccountsCommand(['export', created.id, '--out', file], env)).code).toBe(0);
    const exported = readFileSync(file, 'utf8');
    const document = JSON.parse(exported) as { format: string; account: { id: string; kind: string; fees: Record<string, unknown> } };
    expect(document.format).toBe('papertrade.account');
    expect(document.account).toMatchObject({ id: created.id, kind: 'spot' });
    expect(JSON.stringify(document.account.fees)).toContain('500000000000000'); // 0.0005 at 18 decimals
    expect((await runAccountsCommand(['export', created.id], env)).out).toBe(exported);

    expect(await runAccountsCommand(['delete', created.id], env)).toMatchObject({ code: 0, out: `deleted ${created.id}\n` });
    expect((await json<Row[]>(['list'], env)).map((r) => r.name)).toEqual(['bob']);
    const gone = await runAccountsCommand(['show', created.id], env);
    expect(gone.code).toBe(1);
    expect(gone.err).toContain(`no account ${created.id}`);

    const imported = await json<Created>(['import', file, '--name', 'alice again'], env);
    expect(imported.id).not.toBe(created.id);
    expect(imported.apiKey).not.toBe(created.apiKey);
    const shown = await json<Row>(['show', imported.id], env);
    expect(shown).toMatchObject({ name: 'alice again', type: 'spot', halted: false, balances: { BTC: { free: '0.5', locked: '0' }, USDT: { free: '5000', locked: '0' } } });
    const again = (await runAccountsCommand(['export', imported.id], env)).out;
    expect(comparable(again, imported.id)).toEqual(comparable(exported, created.id));
  });

  it('resets an account to the balances it is given', { timeout: 60_000 }, async () => {
    const created = await json<Created>(['create', '--name', 'carol', '--balances', 'USDT=100'], env);
    const reset = await json<Row>(['reset', created.id, '--balances', 'USDT=250,ETH=2'], env);
    expect(reset.balances).toEqual({ ETH: { free: '2', locked: '0' }, USDT: { free: '250', locked: '0' } });
    expect((await json<Row>(['show', created.id], env)).balances).toEqual(reset.balances);
  });

  it('refuses bad input with a message naming it and a non-zero exit, before touching the database', async () => {
    const untouched = join(tempDir(), 'never.db');
    const env = { DATABASE_URL: `sqlite:${untouched}`, LOG_LEVEL: 'silent' };
    const cases: [string[], number, string][] = [
      [['create', '--name', 'x', '--balances', 'USDT=-5'], 2, 'papertrade accounts: --balances: USDT amount must be 0 or more, got "-5"\n'],
      [['reset', 'acc_x', '--balances', 'BTC=1,USDT=-0.1'], 2, 'papertrade accounts: --balances: USDT amount must be 0 or more, got "-0.1"\n'],
      [['create', '--name', 'x', '--type', 'margin'], 2, '--type must be spot or futures (got "margin")'],
      [['create', '--name', 'x', '--type', 'futures', '--leverage', '500'], 2, '--leverage must be a whole number from 1 to 125'],
      [['create', '--name', 'x', '--maker-fee', '1e-3'], 2, '--maker-fee must be a decimal number'],
      // 1 % is the largest rate any schedule may carry (fee-bounds.ts): 0.5 is fifty times it.
      [['create', '--name', 'x', '--maker-fee', '0.5'], 2, 'papertrade accounts: --maker-fee: maker fee must be a fraction from -0.01 to 0.01 (at most 1 % either way), got 0.5\n'],
      [['create', '--name', 'x', '--taker-fee', '0.0101'], 2, 'papertrade accounts: --taker-fee: taker fee must be a fraction from 0 to 0.01 (1 %), got 0.0101\n'],
      [['create', '--balances', 'USDT=1'], 2, "required option '--name <name>' not specified"],
      [['list', '--colour'], 2, "unknown option '--colour'"],
      [['import', join(dir, 'missing.json')], 2, 'cannot read'],
      [['reset', 'acc_x', '--balances', 'USDT'], 2, '--balances: expected ASSET=amount'],
    ];
    for (const [args, code, message] of cases) {
      const result = await runAccountsCommand(args, env);
      expect(result.code, args.join(' ')).toBe(code);
      expect(result.err).toContain(message);
    }
    const notJson = join(dir, 'not.json');
    writeFileSync(notJson, 'hello');
    expect(await runAccountsCommand(['import', notJson], env)).toMatchObject({ code: 2, err: expect.stringContaining('is not a JSON document') as unknown });
    expect(existsSync(untouched)).toBe(false);
  });

  it('refuses a document that is not an account export, saying why', { timeout: 60_000 }, async () => {
    const bogus = join(dir, 'bogus.json');
    writeFileSync(bogus, JSON.stringify({ format: 'something-else' }));
    const result = await runAccountsCommand(['import', bogus], env);
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/^papertrade accounts: .*document.*\n$/);
  });

  it('has --help for every subcommand', async () => {
    for (const sub of ['create', 'list', 'show', 'export', 'import', 'reset', 'delete']) {
      const result = await runAccountsCommand([sub, '--help'], env);
      expect(result.code, sub).toBe(0);
      expect(result.out).toContain(`Usage: papertrade accounts ${sub}`);
      expect(result.out).toContain('--json');
    }
  });
});

describe('papertrade accounts while a server runs on the database', () => {
  const ADMIN = 'accounts-test-admin-key-0123456789';
  const dir = tempDir();
  const env = { DATABASE_URL: `sqlite:${join(dir, 'papertrade.db')}`, LOG_LEVEL: 'silent', ADMIN_API_KEY: ADMIN };
  let server: ServeProcess;
  const api = async (path: string, key: string, init: RequestInit = {}) => {
    const response = await fetch(`${server.url}${path}`, { ...init, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...init.headers } });
    return (await response.json()) as Record<string, unknown>;
  };

  beforeAll(async () => {
    server = await startServeProcess(0, { ...env, REPLAY_SPEED: 'max', LOG_LEVEL: 'warn' });
  }, 60_000);
  afterAll(async () => {
    if (server !== undefined) await stopServeProcess(server);
  });

  it('goes through the server: the round trip keeps an open order, and the server sees every change', { timeout: 120_000 }, async () => {
    const created = await json<Created>(['create', '--name', 'dave', '--balances', 'USDT=5000'], env);
    // The server itself knows the account: the command went through its API.
    const onServer = (await api('/api/accounts', ADMIN)) as { items: { id: string; name: string }[] };
    expect(onServer.items.map((i) => [i.id, i.name])).toContainEqual([created.id, 'dave']);

    const order = await api('/api/orders', created.apiKey, { method: 'POST', body: JSON.stringify({ symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', price: '30000', quantity: '0.01' }) });
    expect(order.status).toBe('NEW');
    const balancesBefore = (await api('/api/account/balances', created.apiKey)).balances;

    const file = join(dir, 'dave.json');
    expect((await runAccountsCommand(['export', created.id, '--out', file], env)).code).toBe(0);
    // The market moves on between the two reads; everything but the export time is the same.
    const exported = readFileSync(file, 'utf8');
    expect(comparable(exported, created.id)).toEqual(comparable(JSON.stringify(await api('/api/account/export', created.apiKey)), created.id));
    expect((await runAccountsCommand(['delete', created.id], env)).code).toBe(0);
    expect(((await api('/api/accounts', ADMIN)) as { items: { id: string }[] }).items.map((i) => i.id)).not.toContain(created.id);

    const imported = await json<Created>(['import', file], env);
    const shown = await json<Row>(['show', imported.id], env);
    expect(shown.balances).toEqual(balancesBefore);
    const open = (await api('/api/orders/open', imported.apiKey)) as { items: { side: string; type: string; price: string; quantity: string; status: string }[] };
    expect(open.items.map((o) => [o.side, o.type, o.price, o.quantity, o.status])).toEqual([['BUY', 'LIMIT', '30000', '0.01', 'NEW']]);
  });

  it('without the admin key it says which server runs on the database and how to reach it', { timeout: 60_000 }, async () => {
    const result = await runAccountsCommand(['list'], { DATABASE_URL: env.DATABASE_URL, LOG_LEVEL: 'silent' });
    expect(result.code).toBe(2);
    expect(result.err).toContain(`papertrade server (pid ${server.child.pid}, ${server.url}`);
    expect(result.err).toContain('--admin-key or ADMIN_API_KEY');
  });
});
