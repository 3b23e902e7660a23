import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { candlesFile, PROJECT_ROOT, SPOT_RECORDING, USDM_RECORDING } from '../test-kit/data-paths.js';
import { sourceScript } from '../test-kit/source-script.js';
import { registerBacktestCommand } from './backtest-command.js';
import { scratchDir } from '../test-kit/scratch-dir.js';

const CANDLES = candlesFile('coinbase_btcusd_1m_20171217.csv');

async function cli(args: string[]): Promise<string> {
  const program = new Command().name('papertrade').exitOverride();
  registerBacktestCommand(program);
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  try {
    await program.parseAsync(['node', 'papertrade', 'backtest', ...args]);
  } finally {
    spy.mockRestore();
  }
  return out;
}

describe('papertrade backtest', () => {
  afterEach(() => vi.restoreAllMocks());

  it('prints a metrics table and writes report.json and a self-contained report.html', async () => {
    const dir = scratchDir('papertrade-bt-');
    const tactics = join(dir, 'tactics.json');
    writeFileSync(tactics, JSON.stringify({ name: 'cli', stopLoss: { type: 'percent', percent: 1 }, takeProfits: [{ percent: 1, share: 0.5 }, { percent: 2, share: 0.5 }], breakEvenAfterFirstTarget: true }));
    const out = await cli(['--strategy', 'bollinger-breakout', '--candles', CANDLES, '--tactics', tactics, '--balance', '20000', '--fee-bps', '5', '--out', join(dir, 'a')]);
    expect(out).toMatch(/\| Strategy +\| +bollinger-breakout \|/);
    expect(out).toMatch(/\| Max drawdown \(intrabar\) +\|/);
    const report = JSON.parse(readFileSync(join(dir, 'a', 'report.json'), 'utf8')) as { metrics: { initialEquity: string }; signals: number };
    expect(report.metrics.initialEquity).toBe('20000');
    expect(report.signals).toBeGreaterThan(0);
    const html = readFileSync(join(dir, 'a', 'report.html'), 'utf8');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('TradingView Lightweight Charts™');
    // Self-contained: nothing loaded from elsewhere (what the page shows: src/library/backtest-report.test.ts).
    expect(html).not.toMatch(/<link|<script[^>]*\ssrc=|<img|@import/);
    // Determinism through the CLI: a second run writes the same bytes.
    await cli(['--strategy', 'bollinger-breakout', '--candles', CANDLES, '--tactics', tactics, '--balance', '20000', '--fee-bps', '5', '--out', join(dir, 'b')]);
    expect(readFileSync(join(dir, 'b', 'report.json'), 'utf8')).toBe(readFileSync(join(dir, 'a', 'report.json'), 'utf8'));
    expect(readFileSync(join(dir, 'b', 'report.html'), 'utf8')).toBe(html);
  });

  it('refuses an invalid tactics file with the field named', async () => {
    const dir = scratchDir('papertrade-bt-');
    writeFileSync(join(dir, 't.json'), JSON.stringify({ stopLoss: { type: 'percent', percent: 'x' } }));
    await expect(cli(['--strategy', 'rsi-reversal', '--candles', CANDLES, '--tactics', join(dir, 't.json')])).rejects.toThrow(/stopLoss.percent/);
  });

  it('refuses built-in strategy parameters it could not trade on, before any candle is read', async () => {
    const write = vi.spyOn(process.stdout, 'write');
    // Each refusal names the flag and the value given, then the strategy's own words.
    await expect(cli(['--strategy', 'rsi-reversal', '--candles', CANDLES, '--params', '{"period":-5}'])).rejects.toThrow(/^--params \{"period":-5\}: rsi-reversal: period must be a whole number from 2 to 100000, got -5$/);
    await expect(cli(['--strategy', 'ema-crossover', '--candles', CANDLES, '--params', '{"fast":30,"slow":10}'])).rejects.toThrow(/^--params \{"fast":30,"slow":10\}: ema-crossover: fast must be shorter than slow, got fast 30 and slow 10$/);
    await expect(cli(['--strategy', 'bollinger-breakout', '--candles', CANDLES, '--params', '{"deviations":0}'])).rejects.toThrow(/^--params \{"deviations":0\}: bollinger-breakout: deviations must be a number above 0 and below/);
    await expect(cli(['--strategy', 'rsi-reversal', '--candles', CANDLES, '--params', '[14]'])).rejects.toThrow(/^--params \[14\]: rsi-reversal: strategy parameters must be an object, got \[14\]$/);
    await expect(cli(['--strategy', 'rsi-reversal', '--candles', CANDLES, '--params', '{"speed":3}'])).rejects.toThrow(/^--params \{"speed":3\}: rsi-reversal: unknown parameter speed \(its parameters: /);
    expect(write).not.toHaveBeenCalled();
  });

  it('needs exactly one data source', async () => {
    await expect(cli(['--strategy', 'rsi-reversal'])).rejects.toThrow(/exactly one of --candles and --recording/);
  });

  it('names the option in a refusal of a value that is not a number or not JSON', async () => {
    const badTactics = join(scratchDir('papertrade-bt-'), 'tactics.json');
    writeFileSync(badTactics, '{"stopLoss": {"type": "percent", "percent": 2},');
    const cases: [string[], RegExp][] = [
      [['--balance', 'abc'], /^--balance must be a decimal number such as 10000, got "abc"$/],
      [['--fee-bps', 'abc'], /^--fee-bps must be a decimal number such as 7.5, got "abc"$/],
      [['--fee-bps', '1e-3'], /^--fee-bps must be a decimal number such as 7.5, got "1e-3"$/],
      [['--risk', 'abc'], /^--risk must be a decimal number such as 1, got "abc"$/],
      [['--leverage', 'abc'], /^--leverage must be a whole number from 1 such as 5, got "abc"$/],
      [['--leverage', '2.5'], /^--leverage must be a whole number from 1 such as 5, got "2.5"$/],
      [['--leverage', '0'], /^--leverage must be a whole number from 1 such as 5, got "0"$/],
      [['--interval', '1m'], /^--interval must be a whole number from 1 such as 60000, got "1m"$/],
      [['--params', '{bad'], /^--params must be a JSON object such as \{"period":14\}: /],
      [['--tactics', badTactics], /^--tactics .*tactics\.json: not JSON: /],
      [['--tactics', join(dirname(badTactics), 'missing.json')], /^--tactics .*missing\.json: ENOENT/],
    ];
    for (const [flags, message] of cases) {
      await expect(cli(['--strategy', 'rsi-reversal', '--candles', CANDLES, ...flags]), flags.join(' ')).rejects.toThrow(message);
    }
  });

  it('names the option, the value and what is accepted in a refusal of a value the backtest cannot trade with, before making --out', async () => {
    const dir = scratchDir('papertrade-bt-');
    const tactics = join(dir, 'tactics.json');
    writeFileSync(tactics, JSON.stringify({ stopLoss: { type: 'percent', percent: '2' }, takeProfits: [{ percent: '2', share: '1.5' }] }));
    const out = join(dir, 'out');
    // The backtest trades the bundled Binance USDT-margined perpetuals; Binance allows BTCUSDT up to
    // 125x; an account's fee is at most 1 % (100 basis points); --risk is a percent of equity.
    const cases: [string[], string][] = [
      [['--symbol', 'NOPE'], '--symbol NOPE: the backtest trades the candles as one of BTCUSDT, ETHUSDT (Binance USDT-margined perpetuals)'],
      [['--symbol', 'btcusdt'], '--symbol btcusdt: the backtest trades the candles as one of BTCUSDT, ETHUSDT (Binance USDT-margined perpetuals)'],
      [['--balance', '0'], '--balance must be above 0, got "0"'],
      [['--balance', '-5'], '--balance must be above 0, got "-5"'],
      [['--risk', '0'], '--risk must be a percent above 0 and at most 100, got "0"'],
      [['--risk', '100.5'], '--risk must be a percent above 0 and at most 100, got "100.5"'],
      [['--leverage', '126'], '--leverage must be a whole number from 1 to 125 on BTCUSDT, got "126"'],
      [['--fee-bps', '-0.5'], '--fee-bps must be from 0 to 100 basis points (1 %), got "-0.5"'],
      [['--fee-bps', '100.01'], '--fee-bps must be from 0 to 100 basis points (1 %), got "100.01"'],
      [['--tactics', tactics], `--tactics ${tactics}: takeProfits[0].share must be at most 1, got "1.5"`],
    ];
    for (const [flags, message] of cases) {
      await expect(cli(['--strategy', 'rsi-reversal', '--candles', CANDLES, '--out', out, ...flags]), flags.join(' ')).rejects.toThrow(message);
    }
    // A recording holds one symbol: a --symbol given must be it.
    await expect(cli(['--strategy', 'rsi-reversal', '--recording', USDM_RECORDING, '--symbol', 'ETHUSDT', '--out', out])).rejects.toThrow(`--symbol ETHUSDT: the recording ${USDM_RECORDING} holds BTCUSDT only: give --symbol BTCUSDT or leave it out`);
    await expect(cli(['--strategy', 'rsi-reversal', '--recording', join(dir, 'missing'), '--out', out])).rejects.toThrow(`--recording ${join(dir, 'missing')}: recording directory not found: ${join(dir, 'missing')}`);
    expect(existsSync(out)).toBe(false);
    // The bounds themselves are accepted: a 100 bp fee, 125x on BTCUSDT, ETHUSDT for the candles.
    const edge = await cli(['--strategy', 'rsi-reversal', '--candles', CANDLES, '--fee-bps', '100', '--leverage', '125', '--symbol', 'ETHUSDT', '--risk', '100']);
    expect(edge).toMatch(/\| Strategy +\| +rsi-reversal \|/);
  });

  it('refuses an --out that is a file, naming the option', async () => {
    const file = join(scratchDir('papertrade-bt-'), 'notes.txt');
    writeFileSync(file, 'not a directory\n');
    await expect(cli(['--strategy', 'rsi-reversal', '--candles', CANDLES, '--out', file])).rejects.toThrow(/^--out .*notes\.txt: EEXIST/);
    expect(readFileSync(file, 'utf8')).toBe('not a directory\n');
  });
});

describe('papertrade backtest as a user runs it', () => {
  function papertrade(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      void sourceScript('src/cli/main.ts').then((cli) => {
        const child = spawn(process.execPath, [cli, ...args], { cwd: PROJECT_ROOT, env: { ...process.env, LOG_LEVEL: 'silent' }, stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.on('exit', (code) => resolve({ code, stdout, stderr }));
      });
    });
  }

  it('fails, with the strategy\'s own message, when the strategy throws or answers a signal that is not one', { timeout: 120_000 }, async () => {
    const dir = scratchDir('papertrade-bt-');
    writeFileSync(join(dir, 'throws.mjs'), "export default () => ({ id: 'throws', onCandle: () => { throw new Error('indicator not ready'); } });\n");
    writeFileSync(join(dir, 'moon.mjs'), "export default () => ({ id: 'moon', onCandle: () => ({ action: 'MOON', reason: 'up' }) });\n");
    const [throws, moon] = await Promise.all([
      papertrade(['backtest', '--strategy', join(dir, 'throws.mjs'), '--candles', CANDLES, '--out', join(dir, 'throws')]),
      papertrade(['backtest', '--strategy', join(dir, 'moon.mjs'), '--candles', CANDLES]),
    ]);
    // The file has 1,440 one-minute candles; the strategy sees each as it closes.
    expect(throws.code).toBe(2);
    expect(throws.stderr).toMatch(/^papertrade: the strategy failed on 1440 candles, the first closing at 2017-12-17T00:00:59\.999Z: indicator not ready\n$/);
    expect(throws.stdout).toBe('');
    expect(existsSync(join(dir, 'throws', 'report.json'))).toBe(false);
    expect(moon.code).toBe(2);
    expect(moon.stderr).toMatch(/^papertrade: the strategy failed on 1440 candles, the first closing at 2017-12-17T00:00:59\.999Z: bad signal action "MOON"\n$/);
  });

  it('fails on candles the engine cannot hold, and says on stderr why entries were refused', { timeout: 120_000 }, async () => {
    const dir = scratchDir('papertrade-bt-');
    writeFileSync(join(dir, 'long.mjs'), "export default () => ({ id: 'long', onCandle: () => ({ action: 'LONG', reason: 'always' }) });\n");
    const candles = (name: string, prices: string[]) => {
      const file = join(dir, name);
      writeFileSync(file, `open_time_ms,open,high,low,close,volume\n${prices.map((p, i) => `${1_700_000_000_000 + i * 60_000},${p},${p},${p},${p},1`).join('\n')}\n`);
      return file;
    };
    // 10^23 has more digits than a book level holds: the kernel refuses those bars' books.
    const spike = candles('spike.csv', ['60000', '60000', '60000', '100000000000000000000000', '60000']);
    // Prices under the tick (0.1): a 2 % stop rounds to 0, and each entry is refused.
    const tiny = candles('tiny.csv', ['0.05', '0.06', '0.07', '0.08']);
    const [huge, small] = await Promise.all([
      papertrade(['backtest', '--strategy', join(dir, 'long.mjs'), '--candles', spike]),
      papertrade(['backtest', '--strategy', join(dir, 'long.mjs'), '--candles', tiny]),
    ]);
    expect(huge.code).toBe(2);
    expect(huge.stderr).toMatch(/^papertrade: the engine refused the candles' market data \d+ times?, the first at 2023-11-14T22:1\d:20\.000Z: a book level with more significant digits than a book holds exactly/);
    expect(huge.stdout).toBe('');
    expect(small.code).toBe(0);
    // Signals at the closes of bars 0, 1 and 2 trade at the opens of bars 1, 2 and 3.
    expect(small.stderr).toBe('papertrade: 3 entries refused, the first at 2023-11-14T22:14:20.000Z: stop 0 is on the wrong side of the entry 0.06\n');
    expect(small.stdout).toMatch(/\| Fills +\| +0 \|/);
    expect(small.stdout).toMatch(/\| Errors +\| +ENTRY_REFUSED 3 \|/);
  });

  it('lists on stderr, and counts in the table and report.json, the entries lowered to the largest market order', { timeout: 120_000 }, async () => {
    const dir = scratchDir('papertrade-bt-');
    // 10,000,000 USDT at 1 % risk over a 2 % stop near 19,500: about 256 BTC a position, above BTCUSDT's largest market
    // order (120), which the stop must close in one order: each entry is lowered to 120, ENTRY_REDUCED, and no exit is refused.
    writeFileSync(join(dir, 'big.json'), JSON.stringify({ name: 'big', entry: { type: 'limit', offsetPercent: 0.05, validBars: 3 }, stopLoss: { type: 'percent', percent: 2 } }));
    const run = await papertrade(['backtest', '--strategy', 'ema-crossover', '--candles', CANDLES, '--balance', '10000000', '--tactics', join(dir, 'big.json'), '--out', join(dir, 'out')]);
    expect(run.code).toBe(0);
    const report = JSON.parse(readFileSync(join(dir, 'out', 'report.json'), 'utf8')) as { positionsOpened: number; errors: Record<string, number> };
    expect(report.positionsOpened).toBeGreaterThan(1);
    const reduced = report.errors['ENTRY_REDUCED']!;
    expect(report.errors).toEqual({ ENTRY_REDUCED: reduced });
    expect(reduced).toBeGreaterThanOrEqual(report.positionsOpened);
    expect(run.stderr).toMatch(new RegExp(`^papertrade: ${reduced} entries reduced to the largest market order \\(ENTRY_REDUCED\\), the first at 2017-12-17T\\S+Z: the (LONG|SHORT) entry of BTCUSDT is reduced from 2\\d\\d\\.\\d+ to 120 \\(a position of 120 at most\\)[^\\n]*\\n$`));
    expect(run.stdout).toMatch(new RegExp(`\\| Errors +\\| +ENTRY_REDUCED ${reduced} \\|`));
  });

  it('refuses a candle file in Unix seconds or with a negative volume, naming the option and the line, before making --out', { timeout: 120_000 }, async () => {
    const dir = scratchDir('papertrade-bt-');
    const rows = (times: readonly number[], volumes: readonly string[]) => `open_time_ms,open,high,low,close,volume\n${times.map((t, i) => `${t},60000,60100,59900,60050,${volumes[i]}`).join('\n')}\n`;
    // 1700000000 s is 2023-11-14T22:13:20Z; read as ms it would be 1970-01-20T16:13:20Z.
    writeFileSync(join(dir, 'seconds.csv'), rows([1_700_000_000, 1_700_000_060, 1_700_000_120], ['1', '1', '1']));
    writeFileSync(join(dir, 'negative.csv'), rows([1_700_000_000_000, 1_700_000_060_000, 1_700_000_120_000], ['1', '-2', '1']));
    const [seconds, negative] = await Promise.all([
      papertrade(['backtest', '--strategy', 'rsi-reversal', '--candles', join(dir, 'seconds.csv'), '--out', join(dir, 'out-seconds')]),
      papertrade(['backtest', '--strategy', 'rsi-reversal', '--candles', join(dir, 'negative.csv'), '--out', join(dir, 'out-negative')]),
    ]);
    expect(seconds.code).toBe(2);
    expect(seconds.stderr).toBe(`papertrade: --candles ${join(dir, 'seconds.csv')}: line 2: open_time_ms 1700000000 is before 1973-03-03: open_time_ms is in Unix milliseconds; it looks like Unix seconds (1700000000 s is 2023-11-14T22:13:20.000Z): write 1700000000000\n`);
    expect(seconds.stdout).toBe('');
    expect(negative.code).toBe(2);
    expect(negative.stderr).toBe(`papertrade: --candles ${join(dir, 'negative.csv')}: line 3: candle at 1700000060000 has a negative volume: -2\n`);
    expect(negative.stdout).toBe('');
    expect(existsSync(join(dir, 'out-seconds'))).toBe(false);
    expect(existsSync(join(dir, 'out-negative'))).toBe(false);
  });

  it('refuses a spot recording, whose book the perpetual it trades cannot follow, naming --recording, before --out is made', { timeout: 120_000 }, async () => {
    const dir = scratchDir('papertrade-bt-');
    const result = await papertrade(['backtest', '--strategy', 'ema-crossover', '--params', '{"fast":2,"slow":4}', '--recording', SPOT_RECORDING, '--interval', '15000', '--out', join(dir, 'out')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(`papertrade: --recording ${SPOT_RECORDING}: a backtest trades a USDT-margined perpetual: BTCUSDT of this recording is spot, and a spot book does not chain as a perpetual's (use a perpetual recording, or the recording's candles)\n`);
    expect(result.stdout).toBe('');
    // Data refused leaves no directory behind, as for refused candles.
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });
});
