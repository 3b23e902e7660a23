import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT, USDM_RECORDING } from '../test-kit/data-paths.js';
import { sourceScript } from '../test-kit/source-script.js';

/** The CLI as a child process runs it (test-kit/source-script.ts). */
const CLI = await sourceScript('src/cli/main.ts');

const RECORDING = 'data/recordings/binance_spot_btcusdt_20240808T2354Z';

function cli(args: string[]) {
  return spawnSync(process.execPath, [CLI, ...args], { cwd: PROJECT_ROOT, encoding: 'utf8' });
}

function ordersFile(lines: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'papertrade-orders-'));
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

  it('refuses an --out it cannot write with one line, and leaves an existing --out alone when another option is bad', () => {
    const dir = mkdtempSync(join(tmpdir(), 'papertrade-out-'));
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
    const out = join(mkdtempSync(join(tmpdir(), 'papertrade-out-')), 'events.jsonl');
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
