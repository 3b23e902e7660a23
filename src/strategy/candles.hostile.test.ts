/** The candle CSV `backtest --candles` reads, against files that hold no candles or a broken row. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readCandlesFile } from './candles.js';

const dir = mkdtempSync(join(tmpdir(), 'candles-hostile-'));
const file = (name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a candle file', () => {
  it('without one candle row is an error naming the file, not an empty backtest', () => {
    expect(() => readCandlesFile(file('garbage.csv', 'garbage\n'))).toThrow(/garbage\.csv: no candles/);
    expect(() => readCandlesFile(file('header-only.csv', 'open_time_ms,open,high,low,close,volume\n'))).toThrow(/header-only\.csv: no candles/);
    expect(() => readCandlesFile(file('empty.csv', ''))).toThrow(/empty\.csv: no candles/);
  });

  it('with a broken row names the file and the line', () => {
    const broken = file('broken.csv', 'open_time_ms,open,high,low,close,volume\n1723161240000,100,101,99,100,1\n1723161300000,abc,101,99,100,1\n');
    expect(() => readCandlesFile(broken)).toThrow(/broken\.csv: line 3: /);
    const inconsistent = file('inconsistent.csv', '1723161240000,100,99,98,100,1\n');
    expect(() => readCandlesFile(inconsistent)).toThrow(/inconsistent\.csv: line 1: inconsistent candle/);
  });

  it('whose open times are Unix seconds (or µs) is refused, the line and the unit named, not read as dates of 1970', () => {
    // 1700000000 s is 2023-11-14T22:13:20Z; as ms it would be 1970-01-20.
    const seconds = file('seconds.csv', 'open_time_ms,open,high,low,close,volume\n1700000000,100,101,99,100,1\n1700000060,100,101,99,100,1\n');
    expect(() => readCandlesFile(seconds)).toThrow(
      /seconds\.csv: line 2: open_time_ms 1700000000 is before 1973-03-03: open_time_ms is in Unix milliseconds; it looks like Unix seconds \(1700000000 s is 2023-11-14T22:13:20\.000Z\): write 1700000000000$/,
    );
    // Microseconds of the same instant: year 55,800 as ms.
    expect(() => readCandlesFile(file('micros.csv', '1700000000000000,100,101,99,100,1\n'))).toThrow(/micros\.csv: line 1: open_time_ms 1700000000000000 is after 2286-11-20: .*microseconds/);
    // The bounds: 10^11 ms (1973-03-03T09:46:40Z) is the first time read, 10^13 ms the first refused.
    expect(readCandlesFile(file('first.csv', '100000000000,100,101,99,100,1\n'))[0]!.openTime).toBe(Date.UTC(1973, 2, 3, 9, 46, 40));
    expect(() => readCandlesFile(file('just-before.csv', '99999999999,100,101,99,100,1\n'))).toThrow(/line 1: open_time_ms 99999999999 is before 1973-03-03/);
    expect(() => readCandlesFile(file('last.csv', '10000000000000,100,101,99,100,1\n'))).toThrow(/line 1: open_time_ms 10000000000000 is after 2286-11-20/);
    // Not a whole number of ms: refused by name, not read through Number() (`1.7e12`, `0x10`).
    expect(() => readCandlesFile(file('exp.csv', '1700000000000,100,101,99,100,1\n1.7e12,100,101,99,100,1\n'))).toThrow(/line 2: open_time_ms must be a whole number of Unix milliseconds, got "1\.7e12"/);
  });

  it('with a volume below zero or not a decimal is refused, naming the line', () => {
    const negative = file('negative.csv', 'open_time_ms,open,high,low,close,volume\n1723161240000,100,101,99,100,1\n1723161300000,100,101,99,100,-3.5\n');
    expect(() => readCandlesFile(negative)).toThrow(/negative\.csv: line 3: candle at 1723161300000 has a negative volume: -3\.5$/);
    expect(() => readCandlesFile(file('word.csv', '1723161240000,100,101,99,100,lots\n'))).toThrow(/word\.csv: line 1: volume must be a decimal number ≥ 0, got "lots"/);
    // Zero, and a row without a volume (taken as 0), are volumes.
    expect(readCandlesFile(file('zero.csv', '1723161240000,100,101,99,100,0\n1723161300000,100,101,99,100\n')).map((c) => c.volume)).toEqual(['0', '0']);
  });

  it('names the line of the file a bad row is on, blank lines counted', () => {
    // Header on line 1, blank lines 2 and 4, a good row on line 3, the bad one on line 5 (CRLF ends).
    const gappy = file('gappy.csv', 'open_time_ms,open,high,low,close,volume\r\n\r\n1723161240000,100,101,99,100,1\r\n\r\n1723161300000,100,101,99,100,-1\r\n');
    expect(() => readCandlesFile(gappy)).toThrow(/gappy\.csv: line 5: candle at 1723161300000 has a negative volume: -1$/);
  });

  it('refuses a first row whose open time is negative or quoted instead of skipping it as a header', () => {
    // Two rows: the first is not a header, so it is refused, not dropped leaving a one-candle backtest.
    const negative = file('negative-first.csv', '-1723161240000,100,101,99,100,1\n1723161300000,100,101,99,100,1\n');
    expect(() => readCandlesFile(negative)).toThrow(/negative-first\.csv: line 1: open_time_ms must be a whole number of Unix milliseconds, got "-1723161240000"$/);
    const quoted = file('quoted-first.csv', '"1723161240000",100,101,99,100,1\n');
    expect(() => readCandlesFile(quoted)).toThrow(/quoted-first\.csv: line 1: open_time_ms must be a whole number of Unix milliseconds, got ""1723161240000""$/);
    // A header after a BOM is still a header.
    expect(readCandlesFile(file('bom.csv', '\uFEFFopen_time_ms,open,high,low,close,volume\n1723161240000,100,101,99,100,1\n'))).toHaveLength(1);
  });

  it('reads a good file as before', () => {
    expect(readCandlesFile(file('good.csv', 'open_time_ms,open,high,low,close,volume\n1723161240000,100,101,99,100.5,1\n'))).toEqual([
      { openTime: 1723161240000, open: '100', high: '101', low: '99', close: '100.5', volume: '1' },
    ]);
  });
});
