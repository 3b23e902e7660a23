/**
 * `papertrade accounts create --maker-fee` takes a maker rebate, as the fee bounds it is checked
 * against define it (core/instruments/fee-bounds.ts: "the maker rate may be negative (a rebate)", the
 * refusal's own words "from -0.01 to 0.01") and as POST /api/accounts takes it: -0.0001 with the
 * default taker rate (0.1 % on BTCUSDT) is a valid schedule. A rebate past the bounds is still bad
 * input, refused before the database is opened.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runAccountsCommand } from '../test-kit/accounts-cli.js';

describe('papertrade accounts create with a negative --maker-fee', () => {
  const dir = mkdtempSync(join(tmpdir(), 'papertrade-rebate-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('creates the account with a rebate of 0.0001 (-100000000000000 × 10^-18 in its export)', { timeout: 60_000 }, async () => {
    const env = { DATABASE_URL: `sqlite:${join(dir, 'papertrade.db')}`, LOG_LEVEL: 'silent' };
    const created = await runAccountsCommand(['create', '--name', 'rebate', '--maker-fee', '-0.0001', '--json'], env);
    expect(created.err).toBe('');
    expect(created.code).toBe(0);
    const { id } = JSON.parse(created.out) as { id: string };
    const exported = await runAccountsCommand(['export', id], env);
    expect((JSON.parse(exported.out) as { account: { fees: { maker: { $n: string } } } }).account.fees.maker).toEqual({ $n: '-100000000000000' });
  });

  it('refuses a rebate of 2 % (past the 1 % bound) as bad input, before the database is opened', async () => {
    const untouched = join(dir, 'never.db');
    const result = await runAccountsCommand(['create', '--name', 'x', '--maker-fee', '-0.02'], { DATABASE_URL: `sqlite:${untouched}`, LOG_LEVEL: 'silent' });
    expect(result).toEqual({ code: 2, out: '', err: 'papertrade accounts: --maker-fee: maker fee must be a fraction from -0.01 to 0.01 (at most 1 % either way), got -0.02\n' });
    expect(existsSync(untouched)).toBe(false);
  });
});
