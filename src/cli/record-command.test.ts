import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../test-kit/data-paths.js';
import { sourceScript } from '../test-kit/source-script.js';
import { BinanceStandIn } from './download-command-stand-in.js';
import { registerRecordCommand, runRecordCommand } from './record-command.js';

describe('papertrade record', () => {
  it('registers the record command with its options', () => {
    const program = new Command();
    registerRecordCommand(program);
    const record = program.commands.find((c) => c.name() === 'record')!;
    expect(record.options.map((o) => o.long)).toEqual(['--symbols', '--out', '--exchange', '--minutes', '--market-cache', '--exchange-urls', '--exchange-options', '--start-timeout']);
  });

  it('refuses a duration that is not a positive number and an empty symbol list before contacting anything', async () => {
    const print = () => undefined;
    await expect(runRecordCommand({ exchange: 'binance', symbols: 'BTCUSDT', minutes: 'soon', out: '/tmp/x' }, print)).rejects.toThrow(/--minutes/);
    await expect(runRecordCommand({ exchange: 'binance', symbols: ' , ', minutes: '1', out: '/tmp/x' }, print)).rejects.toThrow(/--symbols/);
    await expect(runRecordCommand({ exchange: 'binance', symbols: 'BTCUSDT', minutes: '1', out: '/tmp/x', exchangeUrls: '[1]' }, print)).rejects.toThrow(/--exchange-urls must be a JSON object/);
    await expect(runRecordCommand({ exchange: 'binance', symbols: 'BTCUSDT', minutes: '1', out: '/tmp/x', startTimeout: '0' }, print)).rejects.toThrow('--start-timeout must be a positive number of seconds, got "0"');
  });

  it('refuses an --out it could not write the recording in before asking the exchange anything', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'record-'));
    try {
      const file = join(dir, 'notes.txt');
      writeFileSync(file, 'not a recording\n');
      const asked: string[] = [];
      // A factory that would be the first thing to reach the exchange: it must not even be called.
      const factory = (id: string): never => {
        asked.push(id);
        throw new Error('the exchange was asked');
      };
      const lines: string[] = [];
      const run = (out: string) => runRecordCommand({ exchange: 'binance', symbols: 'BTCUSDT', minutes: '1', out }, (l) => lines.push(l), undefined, { factory });
      await expect(run(file)).rejects.toThrow(`--out ${file} is not a directory: the recording directory (several symbols: one sub-directory each)`);
      await expect(run(join(file, 'rec'))).rejects.toThrow(`--out ${join(file, 'rec')}: ${file} is not a directory`);
      expect(asked).toEqual([]);
      expect(lines).toEqual([]);
      expect(readFileSync(file, 'utf8')).toBe('not a recording\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses an --out that already holds a recording, itself or in a sub-directory, before asking the exchange anything, and takes an empty one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'record-'));
    try {
      const made = (path: string, files: Record<string, string>): string => {
        mkdirSync(path, { recursive: true });
        for (const [file, text] of Object.entries(files)) writeFileSync(join(path, file), text);
        return path;
      };
      // An earlier recording of one symbol, of several (one sub-directory each), and a downloaded tape.
      const one = made(join(dir, 'one'), { 'depth_snapshot.json': 'hours of book', 'depth_updates.jsonl.gz': 'hours of deltas', 'trades.csv.gz': 'hours of trades', 'recording.json': '{}' });
      const several = join(dir, 'several');
      made(join(several, 'binance_ethusdt'), { 'notes.txt': 'not a recording' });
      made(join(several, 'binance_btcusdt'), { 'depth_updates.jsonl.gz': 'hours of deltas', 'recording.json': '{}' });
      const tape = made(join(dir, 'tape'), { 'trades.csv': 'trade_id,price,qty,trade_time_ms,is_buyer_maker,local_ts_ns\n', 'recording.json': '{"source":"download"}' });
      const asked: string[] = [];
      const factory = (id: string): never => {
        asked.push(id);
        throw new Error('the exchange was asked');
      };
      const lines: string[] = [];
      const run = (out: string, symbols = 'BTCUSDT') => runRecordCommand({ exchange: 'binance', symbols, minutes: '1', out }, (l) => lines.push(l), undefined, { factory });
      const snapshot = () => readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort().map((f) => [f, statSync(join(dir, f)).isFile() ? readFileSync(join(dir, f), 'utf8') : '']);
      const before = snapshot();
      await expect(run(one)).rejects.toThrow(`--out ${one} already holds a recording (depth_snapshot.json, depth_updates.jsonl.gz, trades.csv.gz, recording.json), which recording into it would replace: give another --out, or move that recording away first`);
      await expect(run(several, 'BTCUSDT,ETHUSDT')).rejects.toThrow(`--out ${several} already holds a recording in ${join(several, 'binance_btcusdt')} (depth_updates.jsonl.gz, recording.json), which recording into it would replace: give another --out, or move that recording away first`);
      await expect(run(tape)).rejects.toThrow(`--out ${tape} already holds a recording (trades.csv, recording.json), which recording into it would replace: give another --out, or move that recording away first`);
      expect(asked).toEqual([]);
      expect(lines).toEqual([]);
      expect(snapshot()).toEqual(before);
      // An empty directory, or one of other files, is recorded into as before: the exchange is asked.
      const empty = made(join(dir, 'empty'), {});
      await expect(run(empty)).rejects.toThrow('the exchange was asked');
      await expect(run(join(several, 'binance_ethusdt'))).rejects.toThrow('the exchange was asked');
      // One symbol is recorded in --out itself: a recording in one of its sub-directories is not in its way.
      await expect(run(several)).rejects.toThrow('the exchange was asked');
      expect(asked).toEqual(['binance', 'binance', 'binance']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  /** `papertrade record` of Binance BTCUSDT for 10 minutes, with a 3 s start, against `port`; killed if a test times out. */
  async function recordAgainst(port: number, out: string): Promise<{ code: number | null; stdout: string; stderr: string; elapsed: number }> {
    const cli = await sourceScript('src/cli/main.ts');
    const urls = { api: { public: `http://127.0.0.1:${port}/api/v3`, ws: { spot: `ws://127.0.0.1:${port}/ws` } } };
    const options = { options: { fetchMarkets: { types: ['spot'] }, fetchCurrencies: false } };
    const began = Date.now();
    const child = spawn(process.execPath, [cli, 'record', '--exchange', 'binance', '--symbols', 'BTCUSDT', '--minutes', '10', '--start-timeout', '3', '--out', out, '--exchange-urls', JSON.stringify(urls), '--exchange-options', JSON.stringify(options)], { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const guard = setTimeout(() => child.kill('SIGKILL'), 50_000);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    clearTimeout(guard);
    return { code, stdout, stderr, elapsed: Date.now() - began };
  }

  /** The retries said on stderr, checked, and the last line (the refusal). */
  function startRefusal(run: { code: number | null; stderr: string; elapsed: number }): { retries: string[]; last: string } {
    expect(run.code).toBe(2);
    // 3 s of start, and the process's own start and stop around it: far from the 10 minutes asked.
    expect(run.elapsed).toBeLessThan(30_000);
    const lines = run.stderr.trim().split('\n');
    const retries = lines.filter((l) => l.startsWith('papertrade: binance BTC/USDT: no order book yet ('));
    expect(lines.slice(0, -1)).toEqual(retries);
    // Each retry is said, its delay doubling from 250 ms (ADR 0010's backoff): at most a few fit in 3 s.
    expect(retries.length).toBeGreaterThanOrEqual(2);
    expect(retries.length).toBeLessThanOrEqual(5);
    expect(retries[0]).toMatch(/; retrying in 250 ms, for at most 3 s from the start$/);
    expect(retries[1]).toMatch(/; retrying in 500 ms, for at most 3 s from the start$/);
    return { retries, last: lines.at(-1)! };
  }

  it('without a reachable exchange, retries with a back-off said on stderr and exits 2 at the start timeout, not after --minutes, leaving nothing written', { timeout: 60_000 }, async () => {
    // A stand-in of Binance that fails everything: REST answers 503, every WebSocket upgrade is cut.
    let rest = 0;
    let upgrades = 0;
    const server = createServer((_req, res) => {
      rest += 1;
      res.statusCode = 503;
      res.end('{"code":-1,"msg":"unavailable"}');
    });
    server.on('upgrade', (_req, socket) => {
      upgrades += 1;
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const dir = mkdtempSync(join(tmpdir(), 'record-'));
    const out = join(dir, 'rec');
    try {
      const run = await recordAgainst((server.address() as AddressInfo).port, out);
      const { retries, last } = startRefusal(run);
      expect(last).toMatch(/^papertrade: the recording did not start, nothing was written: binance BTC\/USDT: no order book within 3 s of the start \(last failure: error: ExchangeError: binance \{"code":-1,"msg":"unavailable"\}\)$/);
      // Each attempt asks the exchange again (ccxt's failed loadMarkets is not handed back as it is):
      // the start's loadMarkets, then one at least per watch of the book (the trades' watch asks
      // too), each failing before any WebSocket is opened.
      expect(rest).toBeGreaterThan(retries.length + 1);
      expect(upgrades).toBe(0);
      expect(existsSync(out)).toBe(false);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a start timeout past 2^31 − 1 ms (about 24.8 days) is waited out, not taken for 1 ms', { timeout: 60_000 }, async () => {
    // A stand-in of Binance that fails everything: the start keeps retrying until the timeout.
    const server = createServer((_req, res) => {
      res.statusCode = 503;
      res.end('{"code":-1,"msg":"unavailable"}');
    });
    server.on('upgrade', (_req, socket) => socket.destroy());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const dir = mkdtempSync(join(tmpdir(), 'record-'));
    try {
      const cli = await sourceScript('src/cli/main.ts');
      const urls = { api: { public: `http://127.0.0.1:${port}/api/v3`, ws: { spot: `ws://127.0.0.1:${port}/ws` } } };
      const options = { options: { fetchMarkets: { types: ['spot'] }, fetchCurrencies: false } };
      // 30 days of recording, 25 days of start: 2,160,000,000 ms, past Node's timer limit of 2,147,483,647.
      const child = spawn(process.execPath, [cli, 'record', '--symbols', 'BTCUSDT', '--minutes', '43200', '--start-timeout', '2160000', '--out', join(dir, 'rec'), '--exchange-urls', JSON.stringify(urls), '--exchange-options', JSON.stringify(options)], { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
      const early = await Promise.race([closed, new Promise<'running'>((resolve) => setTimeout(() => resolve('running'), 12_000))]);
      child.kill('SIGKILL');
      await closed;
      // Still retrying 12 s on, with neither a timer overflow nor a refusal of a start that timed out.
      expect(stderr).not.toMatch(/TimeoutOverflowWarning|did not start/);
      expect(early).toBe('running');
      expect(stderr).toMatch(/no order book yet \(.*\); retrying in 250 ms, for at most 2160000 s from the start/);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('with the markets loaded but no stream, fails the same way, on the stream\'s own failure', { timeout: 60_000 }, async () => {
    // Binance's REST stand-in answers exchangeInfo; it takes no WebSocket (Node's server cuts an upgrade nobody handles).
    const standIn = new BinanceStandIn({ klines: [] });
    const api = await standIn.start();
    const dir = mkdtempSync(join(tmpdir(), 'record-'));
    const out = join(dir, 'rec');
    try {
      const run = await recordAgainst(Number(new URL(api).port), out);
      const { last } = startRefusal(run);
      expect(last).toMatch(/^papertrade: the recording did not start, nothing was written: binance BTC\/USDT: no order book within 3 s of the start \(last failure: disconnect: NetworkError: .+\)$/);
      expect(run.stdout).not.toMatch(/loadMarkets failed/);
      expect(existsSync(out)).toBe(false);
    } finally {
      await standIn.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
