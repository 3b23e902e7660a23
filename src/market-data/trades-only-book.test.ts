/**
 * A trades-only replay of the bundled recording's real tape (its trades.csv, without the depth files),
 * judged by a separate model of ADR 0041's rules written here in integer cents from the CSV rows:
 * a MARKET order fills whole at the next print ± (spread / 2 + slippage), a marketable LIMIT takes at
 * that quote, a resting LIMIT fills only on prints strictly through its price, at its price, at most
 * each print's quantity — never on a print at its price.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { KernelEvent } from '../core/kernel/events.js';
import type { OrderCommand } from './orders-file.js';
import { readRecording } from './recording-reader.js';
import { tradesOnlyModelProblem } from './trades-only-book.js';
import { runReplay } from './replay-session.js';
import { PROJECT_ROOT, SPOT_RECORDING } from '../test-kit/data-paths.js';
import { sourceScript } from '../test-kit/source-script.js';
import { scratchDir } from '../test-kit/scratch-dir.js';

/** The CLI as a child process runs it (test-kit/source-script.ts). */
const CLI = await sourceScript('src/cli/main.ts');

interface Print {
  readonly time: number;
  readonly cents: bigint;
  /** Quantity in units of 1e-8 BTC (the CSV's 8 decimals). */
  readonly sats: bigint;
  /** The seller was the aggressor: the print hit the bids, where a resting buy waits. */
  readonly buyerMaker: boolean;
}

function tradesOnlyCopy(): string {
  const dir = scratchDir('papertrade-trades-only-');
  copyFileSync(join(SPOT_RECORDING, 'trades.csv.gz'), join(dir, 'trades.csv.gz'));
  writeFileSync(join(dir, 'recording.json'), JSON.stringify({ symbol: 'BTCUSDT', market: 'spot' }));
  return dir;
}

/** A decimal string in integer units of 10^-decimals (exact; the text must have no more decimals). */
function toUnits(text: string, decimals: number): bigint {
  const [whole, frac = ''] = text.split('.');
  if (frac.replace(/0+$/, '').length > decimals) throw new Error(`${text} has more than ${decimals} decimals`);
  return BigInt(whole!) * 10n ** BigInt(decimals) + BigInt((frac + '0'.repeat(decimals)).slice(0, decimals));
}

/** The tape in arrival order (the CSV's local_ts_ns), parsed without the project's decimal code. */
function tape(): Print[] {
  const rows = gunzipSync(readFileSync(join(SPOT_RECORDING, 'trades.csv.gz'))).toString('utf8').trim().split(/\r?\n/);
  const header = rows[0]!.split(',');
  const at = (name: string) => header.indexOf(name);
  return rows
    .slice(1)
    .map((r) => r.split(','))
    .map((f) => ({ local: BigInt(f[at('local_ts_ns')]!), time: Number(f[at('trade_time_ms')]), cents: toUnits(f[at('price')]!, 2), sats: toUnits(f[at('qty')]!, 8), buyerMaker: f[at('is_buyer_maker')] === 'true' }))
    .sort((a, b) => (a.local < b.local ? -1 : a.local > b.local ? 1 : 0));
}

// 2 bp spread, 1 bp slippage: k = 0.0002, so ask = ceil(P × 10002 / 10000), bid = floor(P × 9998 / 10000), in cents.
const askOf = (p: Print) => (p.cents * 10002n + 9999n) / 10000n;
const bidOf = (p: Print) => (p.cents * 9998n) / 10000n;
const dollars = (cents: bigint) => `${cents / 100n}.${String(cents % 100n).padStart(2, '0')}`;
const btc = (sats: bigint) => `${sats / 100_000_000n}.${String(sats % 100_000_000n).padStart(8, '0')}`;
const cents = (text: string) => toUnits(text, 2);
const sats = (text: string) => toUnits(text, 8);

describe('a trades-only recording replays on the tape alone (ADR 0041)', () => {
  const prints = tape();
  const start = prints[0]!.time;
  /** The first print a command stamped `at` meets: commands come after every input stamped at or before them. */
  const nextPrint = (at: number) => prints.findIndex((p) => p.time > at);

  const tMarket = start + 60_000;
  const tRest = start + 120_000;
  const tCross = start + 180_000;
  const restIndex = nextPrint(tRest);
  // A buy at exactly the price of the first sell-aggressor print it meets: a print at its price, on its side.
  const limit = prints.slice(restIndex).find((p) => p.buyerMaker)!;
  const crossIndex = nextPrint(tCross);
  const crossLimitCents = (prints[crossIndex]!.cents * 1001n) / 1000n;

  const commands: OrderCommand[] = [
    { kind: 'order.place', time: tMarket, account: 'mb', symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.01', clientOrderId: 'mb' },
    { kind: 'order.place', time: tMarket, account: 'ms', symbol: 'BTCUSDT', side: 'SELL', type: 'MARKET', quantity: '0.01', clientOrderId: 'ms' },
    { kind: 'order.place', time: tRest, account: 'lr', symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', quantity: '5', price: dollars(limit.cents), clientOrderId: 'lr' },
    { kind: 'order.place', time: tCross, account: 'lx', symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.01', price: dollars(crossLimitCents), clientOrderId: 'lx' },
  ] as OrderCommand[];

  const recording = readRecording(tradesOnlyCopy());
  const events: KernelEvent[] = [];
  const result = runReplay(recording, commands, { balances: { USDT: '1000000', BTC: '2' }, onEvent: (e) => events.push(e) });
  const fills = (account: string) => events.flatMap((e) => (e.type === 'FILL' && e.account === account ? [e] : []));

  it('reads a directory with trades and no depth as a trades-only recording, and says so in the result', () => {
    expect(recording.fidelity).toBe('trades-only');
    expect(recording.inputs.every((i) => i.kind === 'trade')).toBe(true);
    expect(recording.inputs).toHaveLength(prints.length);
    expect(result.fidelity).toMatch(/^trades-only replay \(lower fidelity/);
  });

  it('fills a MARKET order whole at the next print plus half the spread and the slippage', () => {
    const next = prints[nextPrint(tMarket)]!;
    const shape = (f: ReturnType<typeof fills>[number]) => [f.at, cents(f.price), sats(f.quantity), f.liquidity];
    expect(fills('mb').map(shape)).toEqual([[next.time, askOf(next), 1_000_000n, 'TAKER']]);
    expect(fills('ms').map(shape)).toEqual([[next.time, bidOf(next), 1_000_000n, 'TAKER']]);
    expect(askOf(next)).toBeGreaterThan(next.cents);
  });

  it('fills a marketable LIMIT as a taker at the derived quote, not at its limit', () => {
    const next = prints[crossIndex]!;
    const got = fills('lx');
    expect(got).toHaveLength(1);
    expect(cents(got[0]!.price)).toBe(askOf(next));
    expect(askOf(next)).toBeLessThan(crossLimitCents);
    expect(got[0]!.liquidity).toBe('TAKER');
    expect(got[0]!.at).toBe(next.time);
  });

  it('fills a resting LIMIT only on prints strictly through it, at its price, at most each print’s quantity', () => {
    // The model: walk the prints after the one the order first met; every print below the limit fills min(left, its quantity).
    let left = 500_000_000n;
    let quotedThrough = 0;
    const expected: Array<[number, string]> = [];
    let atPrice = 0;
    for (const p of prints.slice(restIndex)) {
      if (left === 0n) break;
      if (p.cents === limit.cents && p.buyerMaker) atPrice += 1;
      if (askOf(p) <= limit.cents) quotedThrough += 1;
      if (p.cents >= limit.cents) continue;
      const fill = p.sats < left ? p.sats : left;
      left -= fill;
      expected.push([p.time, btc(fill)]);
    }
    expect(atPrice, 'sellers print at the limit while it rests (the rule is exercised)').toBeGreaterThan(0);
    expect(expected.length, 'the tape goes through the limit (the order fills)').toBeGreaterThan(0);
    expect(quotedThrough, 'the derived ask reaches the limit while it rests (its levels would cross it)').toBeGreaterThan(0);
    const got = fills('lr');
    expect(got.map((f) => [f.at, btc(sats(f.quantity))])).toEqual(expected);
    for (const f of got) {
      expect(cents(f.price)).toBe(limit.cents);
      expect(f.liquidity).toBe('MAKER');
    }
  });

  it('keeps every account exact: the kernel reconciles every balance at the end', () => {
    expect(() => result.kernel.checkInvariants()).not.toThrow();
  });
});

describe('papertrade replay of a trades-only recording', () => {
  it('labels its output: the first line and stderr say lower fidelity, with the spread and slippage used', () => {
    const orders = join(scratchDir('papertrade-orders-'), 'orders.jsonl');
    writeFileSync(orders, '{"at":1723161300000,"account":"a1","symbol":"BTCUSDT","side":"BUY","type":"MARKET","quantity":"0.01"}\n');
    const run = spawnSync(process.execPath, [CLI, 'replay', '--recording', tradesOnlyCopy(), '--orders', orders, '--spread-bps', '4', '--slippage-bps', '0.5'], { cwd: PROJECT_ROOT, encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    const lines = run.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines[0]).toMatchObject({ type: 'REPLAY_FIDELITY', fidelity: 'trades-only', spreadBps: '4', slippageBps: '0.5' });
    expect(run.stderr).toMatch(/trades-only replay \(lower fidelity: no depth; fills on the trade tape with a 4 bp spread and 0.5 bp slippage/);
    expect(lines.some((l) => l.type === 'FILL')).toBe(true);
  });

  it('refuses a spread that is not a decimal number of basis points', () => {
    const orders = join(scratchDir('papertrade-orders-'), 'orders.jsonl');
    writeFileSync(orders, '');
    const run = spawnSync(process.execPath, [CLI, 'replay', '--recording', tradesOnlyCopy(), '--orders', orders, '--spread-bps', '-1'], { cwd: PROJECT_ROOT, encoding: 'utf8' });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/--spread-bps\/--slippage-bps: spread must be a non-negative decimal number of basis points, got "-1"/);
  });

  it('names a spread or slippage finer than 18 decimals as a problem instead of throwing on it', () => {
    expect(tradesOnlyModelProblem({ spreadBps: '2', slippageBps: '0.0000000000000000001' })).toBe('slippage has more than 18 decimal places, got "0.0000000000000000001"');
    expect(tradesOnlyModelProblem({ spreadBps: '0.000000000000000001', slippageBps: '1' })).toBeUndefined();
  });

  it('names a trades.csv.gz that is not gzip, rather than passing on zlib\'s bare "incorrect header check"', () => {
    const dir = scratchDir('papertrade-trades-only-not-gzip-');
    writeFileSync(join(dir, 'trades.csv.gz'), 'trade_id,price\n');
    writeFileSync(join(dir, 'recording.json'), JSON.stringify({ symbol: 'BTCUSDT', market: 'spot' }));
    expect(() => readRecording(dir)).toThrow(`${join(dir, 'trades.csv.gz')}: not a gzip file (incorrect header check)`);
  });
});

