import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT, USDM_RECORDING } from '../test-kit/data-paths.js';
import { sourceScript } from '../test-kit/source-script.js';
import { scratchDir } from '../test-kit/scratch-dir.js';

/** The CLI as a child process runs it (test-kit/source-script.ts). */
const CLI = await sourceScript('src/cli/main.ts');

const RECORDING = 'data/recordings/binance_spot_btcusdt_20240808T2354Z';

function cli(args: string[]) {
  return spawnSync(process.execPath, [CLI, ...args], { cwd: PROJECT_ROOT, encoding: 'utf8' });
}

function ordersFile(lines: string[]): string {
  const dir = scratchDir('papertrade-orders-');
  const file = join(dir, 'orders.jsonl');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

const good = '{"at":1723161300000,"account":"a1","symbol":"BTCUSDT","side":"BUY","type":"LIMIT","quantity":"0.25","price":"61700.00","clientOrderId":"c1"}';

describe('papertrade replay: bad input is a clear error naming the line, and a non-zero exit', () => {
  const cases: Array<[string, string[], RegExp]> = [
    ['an unknown symbol', [good, '{"at":1723161300001,"account":"a1","symbol":"ETHUSDT","side":"BUY","type":"MARKET","quantity":"1"}'], /line 2: unknown symbol "ETHUSDT"/],
    ['a malformed line', [good, '{"at":1723161300001,"account":'], /line 2: not valid JSON/],
    ['time going backwards', [good, good.replace('1723161300000', '1723161200000')], /line 2: time goes backwards/],
    ['an unknown order type', [good.replace('"LIMIT"', '"STOP"')], /line 1: "type" must be one of/],
    ['a price that is not a decimal string', [good.replace('"61700.00"', '61700')], /line 1: "price" must be a decimal string/],
  ];
  for (const [name, lines, message] of cases) {
    it(`rejects ${name}`, () => {
      const result = cli(['replay', '--recording', RECORDING, '--orders', ordersFile(lines)]);
      expect(result.status).not.toBe(0);
      expect(result.stderr).toMatch(message);
      expect(result.stdout).toBe('');
    });
  }

  it('rejects a missing orders file and a missing recording', () => {
    const noOrders = cli(['replay', '--recording', RECORDING, '--orders', '/nonexistent/orders.jsonl']);
    expect(noOrders.status).not.toBe(0);
    expect(noOrders.stderr).toMatch(/orders file not found: \/nonexistent\/orders.jsonl/);
    const noRecording = cli(['replay', '--recording', '/nonexistent/rec', '--orders', ordersFile([good])]);
    expect(noRecording.status).not.toBe(0);
    expect(noRecording.stderr).toMatch(/recording directory not found/);
  });

  it('checks the flags and the orders file before it reads the recording', () => {
    // A recording that is not there: each refusal below comes before any attempt to read one.
    const missing = '/nonexistent/rec';
    const badLine = cli(['replay', '--recording', missing, '--orders', ordersFile(['{"at":1723161300000,"account":'])]);
    expect(badLine.status).toBe(2);
    expect(badLine.stderr).toMatch(/orders\.jsonl line 1: not valid JSON/);
    const noOrders = cli(['replay', '--recording', missing, '--orders', '/nonexistent/orders.jsonl']);
    expect(noOrders.stderr).toMatch(/orders file not found/);
    const directory = scratchDir('papertrade-orders-dir-');
    const ordersIsDirectory = cli(['replay', '--recording', missing, '--orders', directory]);
    expect(ordersIsDirectory.stderr).toBe(`papertrade: orders file ${directory} cannot be read: it is a directory\n`);
    expect(ordersIsDirectory.status).toBe(2);
    const badRate = cli(['replay', '--recording', missing, '--orders', ordersFile([good]), '--funding-rate', '1e-4']);
    expect(badRate.stderr).toMatch(/--funding-rate must be a decimal/);
    // The kernel's bound on a funding rate is its own, whatever the recording: ±0.03.
    const rateBeyond = cli(['replay', '--recording', missing, '--orders', ordersFile([good]), '--funding-rate', '-0.0301']);
    expect(rateBeyond.stderr).toMatch(/^papertrade: --funding-rate: funding rate -0\.0301 is beyond ±0\.03 /);
    expect(rateBeyond.status).toBe(2);
    const badLeverage = cli(['replay', '--recording', missing, '--orders', ordersFile([good]), '--leverage', 'x']);
    expect(badLeverage.stderr).toMatch(/--leverage must be a whole number ≥ 1/);
    const badModel = cli(['replay', '--recording', missing, '--orders', ordersFile([good]), '--spread-bps', '-1']);
    expect(badModel.stderr).toMatch(/--spread-bps\/--slippage-bps/);
    // The symbol is the recording's to say: a line naming another is refused once it is read.
    const otherSymbol = cli(['replay', '--recording', missing, '--orders', ordersFile([good.replace('BTCUSDT', 'ETHUSDT')])]);
    expect(otherSymbol.stderr).toMatch(/recording directory not found/);
    for (const result of [noOrders, badRate, badLeverage, badModel]) {
      expect(result.status).toBe(2);
      expect(result.stderr).not.toMatch(/recording/);
    }
  });

  it('refuses an --out it cannot write with one line, and leaves an existing --out alone when another option is bad', () => {
    const dir = scratchDir('papertrade-out-');
    const unwritable = cli(['replay', '--recording', RECORDING, '--orders', ordersFile([good]), '--out', join(dir, 'missing', 'events.jsonl')]);
    expect(unwritable.status).toBe(2);
    expect(unwritable.stderr).toMatch(/^papertrade: --out .*missing.*events\.jsonl: ENOENT/);
    expect(unwritable.stderr).not.toMatch(/\n\s+at /);
    const kept = join(dir, 'kept.jsonl');
    writeFileSync(kept, 'earlier results\n');
    const badLeverage = cli(['replay', '--recording', RECORDING, '--orders', ordersFile([good]), '--out', kept, '--leverage', '0']);
    expect(badLeverage.status).toBe(2);
    expect(badLeverage.stderr).toMatch(/--leverage must be a whole number/);
    expect(readFileSync(kept, 'utf8')).toBe('earlier results\n');
  });

  it('refuses an --exchange it has no spec for, listing the exchanges that have one for the recording\'s market and symbol', () => {
    // The bundled specs: Binance and MEXC spot BTCUSDT, Binance USD-M BTCUSDT only.
    const spot = cli(['replay', '--recording', RECORDING, '--orders', ordersFile([good]), '--exchange', 'nope']);
    expect(spot.status).toBe(2);
    expect(spot.stderr).toBe('papertrade: no instrument spec for nope spot BTCUSDT; the exchanges with one: binance, mexc\n');
    const perpetual = cli(['replay', '--recording', USDM_RECORDING, '--orders', ordersFile([good]), '--exchange', 'mexc']);
    expect(perpetual.status).toBe(2);
    expect(perpetual.stderr).toBe('papertrade: no instrument spec for mexc perpetual BTCUSDT; the exchanges with one: binance\n');
  });

  it('writes events to --out, ending with each account\'s balances', () => {
    const out = join(scratchDir('papertrade-out-'), 'events.jsonl');
    const result = cli(['replay', '--recording', RECORDING, '--orders', ordersFile([good]), '--balances', 'USDT=20000', '--out', out]);
    expect(result.status).toBe(0);
    const events = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string });
    expect(events.map((e) => e.type).filter((t) => t !== 'EQUITY')).toEqual(['ACCOUNT_OPENED', 'ORDER_NEW', 'FILL', 'METRICS', 'BALANCES']);
    // An equity point follows the opening, the fill, and every minute of the recording.
    expect(events.filter((e) => e.type === 'EQUITY').length).toBeGreaterThanOrEqual(12);
    expect(events.at(-1)).toEqual({
      type: 'BALANCES',
      at: expect.any(Number),
      account: 'a1',
      balances: { BTC: { free: '0.24975', locked: '0' }, USDT: { free: '4575', locked: '0' } },
    });
  });
});

describe('papertrade replay on a perpetual', () => {
  it('takes leverage, reduce-only stop and take-profit orders and a funding rate; its output has position events', () => {
    const orders = ordersFile([
      '{"at":1723161300000,"account":"f1","symbol":"BTCUSDT","leverage":20}',
      '{"at":1723161300000,"account":"f1","symbol":"BTCUSDT","side":"BUY","type":"MARKET","quantity":"0.5","clientOrderId":"entry"}',
      '{"at":1723161300000,"account":"f1","symbol":"BTCUSDT","side":"SELL","type":"STOP_LOSS","quantity":"0.5","stopPrice":"61650.0","reduceOnly":true,"ocoGroup":"exit","clientOrderId":"sl"}',
      '{"at":1723161300000,"account":"f1","symbol":"BTCUSDT","side":"SELL","type":"TAKE_PROFIT","quantity":"0.5","stopPrice":"61900.0","reduceOnly":true,"ocoGroup":"exit","clientOrderId":"tp"}',
      '{"at":1723161500000,"account":"f2","symbol":"BTCUSDT","side":"SELL","type":"MARKET","quantity":"0.1","clientOrderId":"short"}',
    ]);
    const result = cli(['replay', '--recording', USDM_RECORDING, '--orders', orders, '--balances', 'USDT=10000', '--funding-rate', '0.0001']);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const events = result.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, string>);
    const types = (account: string) => events.filter((e) => e.account === account && e.type !== 'EQUITY').map((e) => e.type);
    expect(types('f1')).toEqual(expect.arrayContaining(['ACCOUNT_OPENED', 'LEVERAGE_SET', 'POSITION_OPENED', 'ORDER_TRIGGERED', 'ORDER_CANCELED', 'POSITION_CLOSED', 'BALANCES']));
    expect(events.find((e) => e.type === 'POSITION_OPENED' && e.account === 'f1')).toMatchObject({ direction: 'LONG', leverage: 20 });
    expect(events.find((e) => e.type === 'ORDER_TRIGGERED')).toMatchObject({ clientOrderId: 'sl' });
    expect(events.find((e) => e.type === 'FUNDING')).toMatchObject({ account: 'f2', at: 1723161600000, rate: '0.0001' });
    expect(Number(events.find((e) => e.type === 'FUNDING')!.amount)).toBeLessThan(0); // a short receives
  });
});

describe('papertrade demo', () => {
  it('refuses a --latency-ms that is not a whole number before printing anything', () => {
    const result = cli(['demo', '--latency-ms', 'abc']);
    expect(result.status).toBe(2);
    expect(result.stderr).toBe('papertrade: --latency-ms must be a whole number of milliseconds, got "abc"\n');
    expect(result.stdout).toBe('');
  });
});

describe('papertrade replay metrics', () => {
  it('value the account at the end of the recording, where its balances are reported', () => {
    // A book 100.00 / 101.00, then 90 s later 110.00 / 111.00, and nothing after: the last equity
    // sample (each minute) is at +60 s, before the move; the replay ends at +90 s.
    const t0 = 1_723_161_600_000;
    const dir = scratchDir('papertrade-rec-');
    // local_ts_ns is a JSON integer past 2^53: written as text.
    writeFileSync(join(dir, 'depth_snapshot.json'), `{"local_ts_ns":${t0 + 1000}000000,"lastUpdateId":10,"bids":[["100.00","1"]],"asks":[["101.00","1"]]}`);
    writeFileSync(join(dir, 'depth_updates.jsonl'), `{"local_ts_ns":${t0 + 90_000}000000,"e":"depthUpdate","E":${t0 + 90_000},"s":"BTCUSDT","U":11,"u":11,"b":[["100.00","0"],["110.00","1"]],"a":[["101.00","0"],["111.00","1"]]}\n`);
    writeFileSync(join(dir, 'trades.csv'), `trade_id,price,qty,trade_time_ms,is_buyer_maker,local_ts_ns\n1,100.50,0.001,${t0 + 1500},true,${t0 + 1500}000000\n`);
    const orders = ordersFile([`{"at":${t0 + 2000},"account":"a","cancel":"nothing"}`]);
    const result = cli(['replay', '--recording', dir, '--orders', orders, '--balances', 'BTC=1']);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const events = result.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; at: number; metrics?: Record<string, unknown>; balances?: unknown });
    expect(events.find((e) => e.type === 'BALANCES')).toMatchObject({ at: t0 + 90_000, balances: { BTC: { free: '1', locked: '0' } } });
    // 1 BTC at the mid of 100.00 / 101.00 when the account opens, at the mid of 110.00 / 111.00 at the end.
    expect(events.find((e) => e.type === 'METRICS')).toMatchObject({ at: t0 + 90_000, metrics: { initialEquity: '100.5', finalEquity: '110.5', totalPnl: '10' } });
  });
});

describe('papertrade replay account settings', () => {
  const order = '{"at":1723161300000,"account":"f1","symbol":"BTCUSDT","side":"BUY","type":"MARKET","quantity":"0.01"}';

  it('opens futures accounts on a perpetual recording with the default balances\' USDT alone', () => {
    const result = cli(['replay', '--recording', USDM_RECORDING, '--orders', ordersFile([order])]);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const events = result.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(events[0]).toEqual({ type: 'ACCOUNT_OPENED', at: 1723161300000, account: 'f1', accountType: 'futures', balances: { USDT: '100000' } });
    expect(events.map((e) => e.type)).toContain('FILL');
  });

  it('refuses balances and a leverage no account can open with, as bad option values, before any output', () => {
    const cases: Array<[string, string[], string]> = [
      ['a coin on a perpetual', ['--recording', USDM_RECORDING, '--balances', 'USDT=10000,BTC=2'], 'papertrade: --balances: a perpetual recording opens futures accounts, which hold USDT only (e.g. --balances USDT=10000)\n'],
      ['a leverage past the instrument\'s', ['--recording', USDM_RECORDING, '--balances', 'USDT=10000', '--leverage', '1000'], 'papertrade: --leverage must be a whole number from 1 to 125 on BTCUSDT, got "1000"\n'],
      ['a balance of 10^24', ['--recording', RECORDING, '--balances', 'USDT=1000000000000000000000000'], 'papertrade: --balances: invalid balance (USDT: must be below 10^20)\n'],
      // A negative amount is a bad amount, said as such, not a list of the wrong shape.
      ['a negative balance', ['--recording', RECORDING, '--balances', 'USDT=-5'], 'papertrade: --balances: USDT amount must be 0 or more, got "-5"\n'],
      ['an amount in exponent form', ['--recording', RECORDING, '--balances', 'BTC=1e5'], 'papertrade: --balances: BTC amount must be a decimal number such as 100 or 0.5, got "1e5"\n'],
    ];
    for (const [name, args, message] of cases) {
      const result = cli(['replay', '--orders', ordersFile([order]), ...args]);
      expect({ name, status: result.status, stderr: result.stderr, stdout: result.stdout }).toEqual({ name, status: 2, stderr: message, stdout: '' });
    }
  });
});
