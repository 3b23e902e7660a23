import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../test-kit/data-paths.js';
import { sourceScript } from '../test-kit/source-script.js';

/** The CLI as a child process runs it (test-kit/source-script.ts). */
const CLI = await sourceScript('src/cli/main.ts');

const FIXTURES = 'src/market-data/importers/fixtures';
const cli = (args: readonly string[]) => spawnSync(process.execPath, [CLI, ...args], { cwd: PROJECT_ROOT, encoding: 'utf8' });

describe('papertrade import', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('imports a Tardis book and its trades into one directory that papertrade replay reads; an order in the gap fills only on the fresh snapshot', () => {
    dir = mkdtempSync(join(tmpdir(), 'import-cli-'));
    const rec = join(dir, 'rec');
    const book = cli(['import', '--format', 'tardis-incremental-book-l2', '--out', rec, `${FIXTURES}/tardis_incremental_book_L2_BTCUSDT_gapped.csv`]);
    expect(book.status).toBe(0);
    expect(book.stdout).toContain('BTCUSDT (spot) 2 snapshots, 3 deltas, 1 gaps');
    expect(book.stdout).toMatch(/gap \(book\) after 2024-08-08T23:54:02.000Z: source restarted its feed/);
    expect(cli(['import', '--format', 'tardis-trades', '--out', rec, `${FIXTURES}/tardis_trades_BTCUSDT.csv`]).status).toBe(0);
    const orders = join(dir, 'orders.jsonl');
    writeFileSync(orders, '{"at":1723161243000,"account":"a1","symbol":"BTCUSDT","side":"BUY","type":"MARKET","quantity":"0.01"}\n');
    const replay = cli(['replay', '--recording', rec, '--orders', orders, '--balances', 'USDT=10000']);
    expect(replay.stderr).toBe('');
    const fills = replay.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; at: number; price?: string }).filter((e) => e.type === 'FILL');
    // Placed at 23:54:03 on a book lost at 23:54:02: it fills at 23:54:10 on the fresh book's best ask.
    expect(fills).toEqual([expect.objectContaining({ at: 1723161250000, price: '61011' })]);
  }, 60_000);

  it('stops on a malformed row with the file and line and exit code 2', () => {
    dir = mkdtempSync(join(tmpdir(), 'import-cli-'));
    const bad = join(dir, 'BTCUSDT-aggTrades-2024-08-09.csv');
    writeFileSync(bad, '3100000001,61700.00000000,0.05000000,3700000010,3700000012,1723161240100,False,True\n3100000002,61699.99,0.12,3700000013,3700000013,1723161240100,maybe,True\n');
    const run = cli(['import', '--format', 'binance-aggtrades', '--out', join(dir, 'rec'), bad]);
    expect(run.status).toBe(2);
    expect(run.stderr).toBe('papertrade: BTCUSDT-aggTrades-2024-08-09.csv line 2: is_buyer_maker must be true or false, got "maybe"\n');
  }, 60_000);

  it('refuses an --out that is a file with one line naming the option, and leaves the file alone', () => {
    dir = mkdtempSync(join(tmpdir(), 'import-cli-'));
    const file = join(dir, 'notes.txt');
    writeFileSync(file, 'not a directory\n');
    const run = cli(['import', '--format', 'tardis-trades', '--out', file, `${FIXTURES}/tardis_trades_BTCUSDT.csv`]);
    expect(run.status).toBe(2);
    expect(run.stderr).toBe(`papertrade: --out ${file}: EEXIST: file already exists, mkdir '${file}'\n`);
    expect(readFileSync(file, 'utf8')).toBe('not a directory\n');
  }, 60_000);
});
