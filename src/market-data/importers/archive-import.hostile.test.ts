/**
 * `import` against bad input: a row no exchange prints, and a symbol no recording can carry, stop
 * the import with a message naming what is wrong (file and line for a row), and write no recording.
 * Rows follow the documented columns (binance-public-data README; docs.tardis.dev trades).
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { importArchive } from './archive-import.js';

let dirs: string[] = [];
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'import-hostile-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs = [];
});

describe('import refuses input no exchange publishes', () => {
  it('refuses Binance klines whose times are Unix seconds with the file and line, instead of candles of 1970', async () => {
    const dir = tempDir();
    const file = join(dir, 'BTCUSDT-1m-2024-08-08.csv');
    // 1723161240 s is 2024-08-08T23:54:00Z; as ms it would be 1970-01-20.
    writeFileSync(file, '1723161240,61700.0,61710.0,61690.0,61705.0,1.5,1723161299,0,1,0,0,0\n1723161300,61705.0,61712.0,61700.0,61710.0,2.0,1723161359,0,1,0,0,0\n');
    const out = join(dir, 'out');
    await expect(importArchive({ format: 'binance-klines', files: [file], out })).rejects.toThrow('BTCUSDT-1m-2024-08-08.csv line 1: open_time 1723161240 is before 1973-03-03 as Unix ms: the archive\'s times are ms, µs or ns, and this looks like seconds');
    expect(existsSync(join(out, 'candles_1m.csv'))).toBe(false);
  });

  it('refuses a Binance trade of size 0 with its file and line, and writes no trades', async () => {
    const dir = tempDir();
    const file = join(dir, 'BTCUSDT-trades-2024-08-08.csv');
    writeFileSync(file, 'id,price,qty,quote_qty,time,is_buyer_maker\n1,61710.10,0.010,617.1010,1723161240500,false\n2,61800.00,0,0,1723161241200,true\n');
    const out = join(dir, 'out');
    await expect(importArchive({ format: 'binance-trades', files: [file], out })).rejects.toThrow('BTCUSDT-trades-2024-08-08.csv line 3: qty must be positive');
    expect(existsSync(join(out, 'recording.json'))).toBe(false);
  });

  it('refuses a Tardis trade of amount 0 with its file and line', async () => {
    const dir = tempDir();
    const file = join(dir, 'trades.csv');
    writeFileSync(file, 'exchange,symbol,timestamp,local_timestamp,id,side,price,amount\nbinance,BTCUSDT,1723161241500000,1723161241500400,3001,buy,61002.00,0.0\n');
    await expect(importArchive({ format: 'tardis-trades', files: [file], out: join(dir, 'out') })).rejects.toThrow('trades.csv line 2: amount must be positive');
  });

  it('refuses Tardis times that are not microseconds (ms or seconds) with the file and line, instead of trades of 1970', async () => {
    const dir = tempDir();
    // 1723161241500 ms is 2024-08-08T23:54:01.5Z; read as µs it would be 1970-01-20T22:39:21.2415Z.
    const ms = join(dir, 'trades.csv');
    writeFileSync(ms, 'exchange,symbol,timestamp,local_timestamp,id,side,price,amount\nbinance,BTCUSDT,1723161241500,1723161241501,3001,buy,61002.00,0.01\n');
    const out = join(dir, 'out');
    await expect(importArchive({ format: 'tardis-trades', files: [ms], out })).rejects.toThrow('trades.csv line 2: local_timestamp 1723161241501 is before 1973-03-03 as Unix µs: Tardis times are microseconds, and this looks like milliseconds');
    expect(existsSync(join(out, 'recording.json'))).toBe(false);
    // Seconds: 1723161241 as µs is 1970-01-01T00:28:43Z.
    writeFileSync(ms, 'exchange,symbol,timestamp,local_timestamp,id,side,price,amount\nbinance,BTCUSDT,1723161241,1723161241,3001,buy,61002.00,0.01\n');
    await expect(importArchive({ format: 'tardis-trades', files: [ms], out })).rejects.toThrow('trades.csv line 2: local_timestamp 1723161241 is before 1973-03-03 as Unix µs: Tardis times are microseconds, and this looks like seconds');
    // The first µs read: 10^14 µs, 1973-03-03T09:46:40Z.
    writeFileSync(ms, 'exchange,symbol,timestamp,local_timestamp,id,side,price,amount\nbinance,BTCUSDT,100000000000000,100000000000000,3001,buy,61002.00,0.01\n');
    await expect(importArchive({ format: 'tardis-trades', files: [ms], out: join(dir, 'first') })).resolves.toBeDefined();
  });

  it.each(['../../etc', 'BTC USDT', '', 'BTC$USDT'])('refuses --symbol %j, which no recording or SYMBOLS entry can name', async (symbol) => {
    const dir = tempDir();
    const file = join(dir, 'trades.csv');
    writeFileSync(file, 'id,price,qty,quote_qty,time,is_buyer_maker\n1,61710.10,0.010,617.1010,1723161240500,false\n');
    const out = join(dir, 'out');
    await expect(importArchive({ format: 'binance-trades', files: [file], out, symbol })).rejects.toThrow('must be letters and digits');
    expect(existsSync(out)).toBe(false);
  });

  it('still takes a symbol written as exchanges write it', async () => {
    const dir = tempDir();
    const file = join(dir, 'trades.csv');
    writeFileSync(file, 'id,price,qty,quote_qty,time,is_buyer_maker\n1,61710.10,0.010,617.1010,1723161240500,false\n');
    expect((await importArchive({ format: 'binance-trades', files: [file], out: join(dir, 'out'), symbol: 'btc/usdt' })).symbol).toBe('BTCUSDT');
  });
});
