/**
 * `papertrade accounts` against hostile input: a refused account setting is said as a refused
 * setting (a usage error naming the flag, or the admin API's INVALID_REQUEST), never as a refused order.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runAccountsCommand } from '../test-kit/accounts-cli.js';


describe('papertrade accounts refuses a bad account setting as a setting', () => {
  const dir = mkdtempSync(join(tmpdir(), 'papertrade-accounts-hostile-'));
  const env = { DATABASE_URL: `sqlite:${join(dir, 'accounts.db')}`, LOG_LEVEL: 'silent' };
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses --max-drawdown outside (0, 1) as bad input naming the flag, not as INVALID_ORDER', { timeout: 60_000 }, async () => {
    for (const value of ['2', '1', '1.0', '0', '0.0']) {
      const result = await runAccountsCommand(['create', '--name', 'x', '--max-drawdown', value], env);
      expect(result.code, value).toBe(2);
      expect(result.err).toContain(`--max-drawdown must be a fraction between 0 and 1, e.g. 0.2 (got "${value}")`);
      expect(result.err).not.toContain('INVALID_ORDER');
    }
  });

  it("says the kernel's refusal of a drawdown it cannot hold as INVALID_REQUEST, as the admin API does", { timeout: 60_000 }, async () => {
    // 19 decimals: a fraction by the flag's own check, finer than the engine keeps.
    const result = await runAccountsCommand(['create', '--name', 'x', '--max-drawdown', '0.0000000000000000001'], env);
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/maxDrawdown .*\(INVALID_REQUEST\)/);
    expect(result.err).not.toContain('INVALID_ORDER');
  });

  it('refuses an export --out it cannot write as bad input naming the file, without a stack trace', { timeout: 60_000 }, async () => {
    const created = await runAccountsCommand(['create', '--name', 'x', '--json'], env);
    expect(created.code, created.err).toBe(0);
    const id = (JSON.parse(created.out) as { id: string }).id;
    const out = join(dir, 'missing', 'x.json');
    const result = await runAccountsCommand(['export', id, '--out', out], env);
    expect(result.code).toBe(2);
    expect(result.err).toBe(`papertrade accounts: cannot write ${out}: ENOENT: no such file or directory, open '${out}'\n`);
  });
});

describe('papertrade accounts given a server address that is not one', () => {
  it('refuses a --url or PAPERTRADE_URL that is not an http(s) URL as bad input naming it (exit 2), not as a server it cannot reach (exit 1)', { timeout: 60_000 }, async () => {
    const env = { DATABASE_URL: 'sqlite::memory:', LOG_LEVEL: 'silent', ADMIN_API_KEY: 'k'.repeat(32) };
    for (const url of ['notaurl', 'ftp://127.0.0.1:3000', 'file:///tmp/x', 'localhost:3000']) {
      const flag = await runAccountsCommand(['create', '--name', 'x', '--url', url], env);
      expect({ url, flag }).toEqual({ url, flag: { code: 2, out: '', err: `papertrade accounts: --url must be the server's http:// or https:// URL, such as http://127.0.0.1:3000 (got "${url}")\n` } });
      const variable = await runAccountsCommand(['list'], { ...env, PAPERTRADE_URL: url });
      expect({ url, variable }).toEqual({ url, variable: { code: 2, out: '', err: `papertrade accounts: PAPERTRADE_URL must be the server's http:// or https:// URL, such as http://127.0.0.1:3000 (got "${url}")\n` } });
    }
  });
});

describe('papertrade accounts on a database it cannot open', () => {
  it('says why as serve says it, without a stack trace, and exits 2', { timeout: 60_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'papertrade-accounts-nodb-'));
    try {
      // A directory where the SQLite file should be; a PostgreSQL server nobody listens for.
      const sqlite = await runAccountsCommand(['list'], { DATABASE_URL: `sqlite:${dir}`, LOG_LEVEL: 'silent' });
      expect(sqlite).toEqual({ code: 2, out: '', err: `papertrade accounts: cannot open the SQLite database ${dir}: unable to open database file\n` });
      const postgres = await runAccountsCommand(['list'], { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/db', LOG_LEVEL: 'silent' });
      expect(postgres.code).toBe(2);
      expect(postgres.err).toMatch(/^papertrade accounts: .*ECONNREFUSED 127\.0\.0\.1:1\n$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
