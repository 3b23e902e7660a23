import { spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { gunzipSync } from 'node:zlib';
import { candlesFile, PROJECT_ROOT, SPOT_RECORDING } from '../test-kit/data-paths.js';
import { parseCandlesCsv } from '../strategy/candles.js';
import { BinanceStandIn, type BinanceAggTrade, type BinanceKline } from './download-command-stand-in.js';
import { sourceScript } from '../test-kit/source-script.js';

/** The CLI as a child process runs it (test-kit/source-script.ts). */
const CLI = await sourceScript('src/cli/main.ts');

const HOUR = 3_600_000;

/** What JSON.parse says of `text` (Node's own wording, which the refusal quotes). */
function jsonError(text: string): string {
  try {
    JSON.parse(text);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error(`${text} is JSON`);
}

/** Binance BTCUSDT 1h bars (bundled), in the row shape of Binance's klines endpoint. */
function servedBars(): BinanceKline[] {
  const lines = readFileSync(candlesFile('binance_btcusdt_1h.csv'), 'utf8').trim().split('\n').slice(1);
  const bars = lines.map((line): BinanceKline => {
    const [t, o, h, l, c, v] = line.split(',') as [string, string, string, string, string, string];
    return [Number(t), o, h, l, c, v, Number(t) + HOUR - 1, '0', 1, '0', '0', '0'];
  });
  // The bar of the current hour is still open: the exchange serves it, a download must not keep it.
  const open = Math.floor(Date.now() / HOUR) * HOUR;
  bars.push([open, '90000.5', '90001', '89999', '90000', '1.5', open + HOUR - 1, '0', 1, '0', '0', '0']);
  return bars;
}

interface Run {
  readonly code: number | null;
  readonly signal: string | null;
  readonly stdout: string;
  readonly stderr: string;
}

const running = new Set<ReturnType<typeof spawn>>();

function runDownload(args: readonly string[], api: string, onSpawn: (kill: () => void) => void = () => {}): Promise<Run> {
  const child = spawn(process.execPath, [CLI, 'download', ...args], {
    cwd: PROJECT_ROOT,
    env: {
      ...process.env,
      EXCHANGE_URLS_BINANCE: JSON.stringify({ api: { public: api } }),
      EXCHANGE_OPTIONS_BINANCE: JSON.stringify({ options: { fetchMarkets: { types: ['spot'] }, fetchCurrencies: false } }),
    },
  });
  running.add(child);
  child.on('exit', () => running.delete(child));
  onSpawn(() => child.kill('SIGKILL'));
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
}

describe('papertrade download (candles through ccxt against a local stand-in of Binance)', () => {
  let dir: string | undefined;
  let standIn: BinanceStandIn | undefined;
  afterEach(async () => {
    for (const child of running) child.kill('SIGKILL'); // a test that timed out leaves no download behind
    await standIn?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('pages through the bars, waits out a 429, resumes after being killed, and ends with exactly the closed bars served', async () => {
    const bars = servedBars();
    let kill: () => void = () => {};
    standIn = new BinanceStandIn({
      klines: bars,
      rateLimited: new Set([2]),
      onKlines: (n) => {
        if (n === 4) kill(); // the first run dies while asking for its third page
      },
    });
    const api = await standIn.start();
    dir = mkdtempSync(join(tmpdir(), 'download-'));
    const out = join(dir, 'btcusdt_1h.csv');
    const since = bars[9]![0];
    const args = ['--exchange', 'binance', '--symbol', 'BTC/USDT', '--timeframe', '1h', '--since', String(since), '--limit', '20', '--out', out];

    const first = await runDownload(args, api, (k) => (kill = k));
    expect(first.signal).toBe('SIGKILL');
    expect(standIn.rateLimitedAnswers).toBe(1);
    // The 429 said Retry-After: 1; the retry waited for it.
    expect(standIn.klinesAt[2]! - standIn.klinesAt[1]!).toBeGreaterThanOrEqual(990);
    const partial = parseCandlesCsv(readFileSync(out, 'utf8'));
    expect(partial.map((c) => c.openTime)).toEqual(bars.slice(9, 9 + 40).map((b) => b[0])); // pages 1 and 2
    // The process may die in the middle of a write: a torn last line.
    appendFileSync(out, `${bars[49]![0]},7`);
    const before = standIn.klinesRequests;

    const second = await runDownload(args, api);
    expect(second.stderr).toBe('');
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/71 candles written \(resumed after/);
    // The resumed run asks from the bar after the last complete one, never again for what it has.
    expect(standIn.startTimes[standIn.startTimes.length - (standIn.klinesRequests - before)]).toBe(bars[49]![0]);

    const expected = bars.filter((b) => b[0] >= since && b[0] + HOUR <= Date.now());
    expect(expected).toHaveLength(111);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('open_time_ms,open,high,low,close,volume');
    expect(lines.slice(1)).toEqual(expected.map((b) => b.slice(0, 6).join(',')));
  }, 120_000);

  it('--trades pages through the tape by time, keeps every trade once at page edges sharing a millisecond, crosses empty hours, and writes them in the columns of a recording', async () => {
    // Real Binance spot trades (bundled recording), many of them sharing a millisecond, then two trades three hours later.
    const rows = gunzipSync(readFileSync(`${SPOT_RECORDING}/trades.csv.gz`)).toString('utf8').trim().split('\n').slice(1, 251);
    const tape: BinanceAggTrade[] = rows.map((line) => {
      const [id, p, q, t, , m] = line.split(',') as [string, string, string, string, string, string];
      return { a: Number(id), p, q, f: Number(id), l: Number(id), T: Number(t), m: m === 'true', M: true };
    });
    const last = tape[tape.length - 1]!;
    tape.push({ ...last, a: last.a + 1, f: last.a + 1, l: last.a + 1, T: last.T + 3 * HOUR, p: '61900.00000000' }, { ...last, a: last.a + 2, f: last.a + 2, l: last.a + 2, T: last.T + 3 * HOUR, m: !last.m });
    expect(new Set(tape.map((t) => t.T)).size).toBeLessThan(tape.length - 20);
    standIn = new BinanceStandIn({ klines: [], aggTrades: tape });
    const api = await standIn.start();
    dir = mkdtempSync(join(tmpdir(), 'download-'));
    const out = join(dir, 'rec');
    const run = await runDownload(['--symbol', 'BTC/USDT', '--trades', '--since', String(tape[0]!.T), '--until', String(tape[tape.length - 1]!.T + 1), '--limit', '100', '--out', out], api);
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain('252 trades written');
    const lines = readFileSync(join(out, 'trades.csv'), 'utf8').trim().split('\n');
    expect(lines[0]).toBe('trade_id,price,qty,trade_time_ms,is_buyer_maker,local_ts_ns');
    expect(lines.slice(1)).toEqual(tape.map((t) => `${t.a},${t.p},${t.q},${t.T},${t.m},${BigInt(t.T) * 1_000_000n}`));
    expect(standIn.tradeWindows.length).toBeGreaterThan(4); // pages, then the empty hours crossed one window at a time
    expect(JSON.parse(readFileSync(join(out, 'recording.json'), 'utf8'))).toMatchObject({ source: 'download', exchange: 'binance', symbol: 'BTCUSDT', market: 'spot' });
  }, 120_000);

  it('refuses a timeframe, an --out, a date or a resume it cannot do before asking the exchange anything', async () => {
    const bars = servedBars();
    standIn = new BinanceStandIn({ klines: bars });
    const api = await standIn.start();
    dir = mkdtempSync(join(tmpdir(), 'download-'));
    const notes = join(dir, 'notes.txt');
    writeFileSync(notes, 'not candles\n');
    // A candle file an earlier download left, ending with the bar of bars[5]: resuming from bars[9] would leave a hole.
    const earlier = join(dir, 'earlier.csv');
    const earlierText = `open_time_ms,open,high,low,close,volume\n${bars.slice(0, 6).map((b) => b.slice(0, 6).join(',')).join('\n')}\n`;
    writeFileSync(earlier, earlierText);
    const tradesFile = join(dir, 'trades-file');
    writeFileSync(tradesFile, '');
    const base = ['--symbol', 'BTC/USDT', '--since', '2024-01-01'];
    const cases: [readonly string[], string][] = [
      [['--timeframe', '7x', '--out', join(dir, 'a.csv')], '--timeframe 7x: binance offers 1s, 1m, 3m, 5m, 15m, 30m, 1h, 2h, 4h, 6h, 8h, 12h, 1d, 3d, 1w, 1M'],
      [['--out', join(dir, 'missing', 'a.csv')], `--out ${join(dir, 'missing', 'a.csv')}: the directory ${join(dir, 'missing')} does not exist`],
      [['--out', dir], `--out ${dir} is a directory: give the candle CSV file to write`],
      [['--out', join(notes, 'a.csv')], `--out ${join(notes, 'a.csv')}: ${notes} is not a directory`],
      [['--out', notes], `--out ${notes} exists and is not a candle CSV (its first line is not open_time_ms,open,high,low,close,volume): give a new one or one an earlier download wrote`],
      [['--trades', '--out', tradesFile], `--out ${tradesFile} is not a directory: with --trades, --out is the recording directory to write trades.csv in`],
      [['--timeframe', '1h', '--out', earlier, '--since', String(bars[9]![0])], `${earlier} ends with the bar of ${new Date(bars[5]![0]).toISOString()}; --since ${new Date(bars[9]![0]).toISOString()} would leave a hole: give an earlier --since or another --out`],
      // 1700000000 s is 2023-11-14T22:13:20Z; taken as ms it would be 1970-01-20.
      [['--since', '1700000000', '--out', join(dir, 'b.csv')], '--since 1700000000 is before 1973-03-03: --since is in Unix milliseconds; it looks like Unix seconds (1700000000 s is 2023-11-14T22:13:20.000Z): write 1700000000000'],
      [['--since', '2024-02-30', '--out', join(dir, 'b.csv')], '--since: 2024-02-30 is not a day of the calendar'],
      [['--since', '2999-01-01', '--out', join(dir, 'b.csv')], '--since 2999-01-01 is in the future: there is nothing to download yet'],
      // A date in the machine's own format (here month/day) would be read in its local time zone.
      [['--since', '8/8/2024', '--out', join(dir, 'b.csv')], '--since: expected a date (2024-08-08, 2024-08-08T12:00:00Z) or Unix ms, got "8/8/2024"'],
      [['--since', '-5', '--out', join(dir, 'b.csv')], '--since must be a date or Unix ms of 0 or more, got "-5"'],
      [['--until', '-1723161300000', '--out', join(dir, 'b.csv')], '--until must be a date or Unix ms of 0 or more, got "-1723161300000"'],
      [['--until', '2024-08-08T25:00', '--out', join(dir, 'b.csv')], '--until: expected a date (2024-08-08, 2024-08-08T12:00:00Z) or Unix ms, got "2024-08-08T25:00"'],
    ];
    // Later flags win in commander: each case's --since replaces the base's.
    const runs = await Promise.all(cases.map(([args]) => runDownload([...base, ...args], api)));
    for (const [i, run] of runs.entries()) {
      expect(run.stderr, cases[i]![0].join(' ')).toBe(`papertrade: ${cases[i]![1]}\n`);
      expect(run.code).toBe(2);
      expect(run.stdout).toBe('');
    }
    // Not one request reached the exchange, and nothing was written.
    expect(standIn.requests).toBe(0);
    expect(readFileSync(notes, 'utf8')).toBe('not candles\n');
    expect(readFileSync(earlier, 'utf8')).toBe(earlierText);
    expect(readdirSync(dir).sort()).toEqual(['earlier.csv', 'notes.txt', 'trades-file']);
    // The same stand-in answers a command whose flags are good: the count above is not a dead line.
    const good = await runDownload([...base, '--timeframe', '1h', '--since', String(bars[6]![0]), '--until', String(bars[9]![0]), '--out', earlier], api);
    expect(good.stderr).toBe('');
    expect(good.stdout).toMatch(/3 candles written \(resumed after/);
    expect(standIn.requests).toBeGreaterThan(0);
  }, 120_000);

  it('--trades refuses a recording directory whose recording.json it could not add to, or whose trades.csv.gz it would shadow, before asking the exchange anything', async () => {
    const tape: BinanceAggTrade[] = [{ a: 7, p: '61700.5', q: '0.25', f: 7, l: 7, T: Date.UTC(2024, 7, 8, 23, 55), m: true, M: true }];
    standIn = new BinanceStandIn({ klines: [], aggTrades: tape });
    const api = await standIn.start();
    dir = mkdtempSync(join(tmpdir(), 'download-'));
    const made = (name: string, files: Record<string, string>): string => {
      const d = join(dir!, name);
      mkdirSync(d);
      for (const [file, text] of Object.entries(files)) writeFileSync(join(d, file), text);
      return d;
    };
    // What each directory holds, byte for byte, so that a refusal is seen to leave it as it was.
    const torn = made('torn', { 'recording.json': '{"source":"import","symbol":"BTCUSDT",' });
    const list = made('list', { 'recording.json': '["BTCUSDT"]\n' });
    const eth = made('eth', { 'recording.json': '{"source":"import","symbol":"ETHUSDT","market":"spot"}\n' });
    const kraken = made('kraken', { 'recording.json': '{"source":"download","exchange":"kraken","symbol":"XBTUSD","ccxtSymbol":"BTC/USD"}\n' });
    const recorded = made('recorded', { 'trades.csv.gz': 'a recording\'s own trades' });
    const before = (d: string) => Object.fromEntries(readdirSync(d).map((f) => [f, readFileSync(join(d, f), 'utf8')]));
    const dirs = [torn, list, eth, kraken, recorded];
    const held = dirs.map(before);
    const base = ['--symbol', 'BTC/USDT', '--trades', '--since', String(tape[0]!.T), '--until', String(tape[0]!.T + 1)];
    const cases: [string, string][] = [
      [torn, `--out ${torn}: its recording.json is not JSON (${jsonError('{"source":"import","symbol":"BTCUSDT",')}): give another --out, or mend or remove that file`],
      [list, `--out ${list}: its recording.json is not a JSON object: give another --out, or mend or remove that file`],
      [eth, `--out ${eth} holds symbol "ETHUSDT" (its recording.json), not BTC/USDT: one directory holds one symbol of one exchange; give another --out`],
      [kraken, `--out ${kraken} holds exchange "kraken" (its recording.json), not binance: one directory holds one symbol of one exchange; give another --out`],
      [recorded, `--out ${recorded} already holds trades.csv.gz (a recording's trades), which a downloaded trades.csv beside it would replace in a replay: give another --out`],
    ];
    const runs = await Promise.all(cases.map(([out]) => runDownload([...base, '--out', out], api)));
    for (const [i, run] of runs.entries()) {
      expect(run.stderr, cases[i]![0]).toBe(`papertrade: ${cases[i]![1]}\n`);
      expect(run.code).toBe(2);
      expect(run.stdout).toBe('');
    }
    // Not one request reached the exchange, and every directory holds what it held.
    expect(standIn.requests).toBe(0);
    expect(dirs.map(before)).toEqual(held);

    // Spot or perpetual is known only from the markets: an import of the perpetual is refused once
    // they are loaded, still before the first request for trades.
    const perpetual = made('perpetual', { 'recording.json': '{"source":"import","symbol":"BTCUSDT","market":"perpetual"}\n' });
    const mixed = await runDownload([...base, '--out', perpetual], api);
    expect(mixed.stderr).toBe(`papertrade: --out ${perpetual} holds market "perpetual" (its recording.json), not spot: one directory holds one symbol of one exchange; give another --out\n`);
    expect(standIn.tradeWindows).toEqual([]);
    expect(readdirSync(perpetual)).toEqual(['recording.json']);

    // The other half of the same symbol (an import of its book) is added to: its fields are kept.
    const half = made('half', { 'recording.json': '{"source":"import","symbol":"BTCUSDT","market":"spot","imports":[{"format":"binance-bookticker"}]}\n' });
    const good = await runDownload([...base, '--out', half], api);
    expect(good.stderr).toBe('');
    expect(good.stdout).toContain('1 trades written');
    expect(JSON.parse(readFileSync(join(half, 'recording.json'), 'utf8'))).toEqual({ source: 'download', symbol: 'BTCUSDT', market: 'spot', imports: [{ format: 'binance-bookticker' }], exchange: 'binance', ccxtSymbol: 'BTC/USDT' });
  }, 120_000);

  it('refuses an exchange ccxt does not know, and a --until before --since', async () => {
    const unknown = await runDownload(['--exchange', 'nosuchexchange', '--symbol', 'BTC/USDT', '--since', '2024-01-01'], 'http://127.0.0.1:9/api/v3');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/ccxt has no exchange "nosuchexchange"/);
    const backwards = await runDownload(['--symbol', 'BTC/USDT', '--since', '2024-01-02', '--until', '2024-01-01'], 'http://127.0.0.1:9/api/v3');
    expect(backwards.code).toBe(2);
    expect(backwards.stderr).toMatch(/--until must be after --since/);
  }, 60_000);
});
