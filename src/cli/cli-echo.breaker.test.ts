/**
 * A command line's refusal echoes a flag's value bounded, as the engine's refusals echo a request's
 * value (core/bounded-text.ts): a run of more than 100 non-space characters becomes its first 40 and
 * its length. A 100,000-character argument fits a command line (Linux takes 131,072 bytes per
 * argument); the oracle is that rule applied by hand.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runAccountsCommand } from '../test-kit/accounts-cli.js';

const A = 'A'.repeat(100_000);
const HUGE = `1${'0'.repeat(100_000)}`;
/** The rule by hand: the first 40 characters of a run, then its length. */
const cut = (run: string) => `${run.slice(0, 40)}…(${run.length} characters)`;

describe('papertrade accounts create with a flag of 100,000 characters', () => {
  const dir = mkdtempSync(join(tmpdir(), 'papertrade-echo-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const env = { DATABASE_URL: `sqlite:${join(dir, 'never.db')}`, LOG_LEVEL: 'silent' };

  it('refuses a maker fee of 100,001 digits, out of the fee bounds, echoing it bounded (exit 2)', async () => {
    const result = await runAccountsCommand(['create', '--name', 'x', '--maker-fee', HUGE], env);
    expect(result.code).toBe(2);
    expect(result.err).toBe(`papertrade accounts: --maker-fee: maker fee must be a fraction from -0.01 to 0.01 (at most 1 % either way), got ${cut(HUGE)}\n`);
  });

  it('refuses a type of 100,000 letters echoing it bounded (exit 2)', async () => {
    const result = await runAccountsCommand(['create', '--name', 'x', '--type', A], env);
    expect(result.code).toBe(2);
    expect(result.err).toBe(`papertrade accounts: --type must be spot or futures (got ${cut(`"${A}")`)}\n`);
  });

  it('refuses a balance of 100,000 letters echoing it bounded (exit 2)', async () => {
    const result = await runAccountsCommand(['create', '--name', 'x', '--balances', `USDT=${A}`], env);
    expect(result.code).toBe(2);
    expect(result.err).toBe(`papertrade accounts: --balances: USDT amount must be a decimal number such as 100 or 0.5, got ${cut(`"${A}"`)}\n`);
  });
});
