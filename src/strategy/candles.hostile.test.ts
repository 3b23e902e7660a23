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

  it('reads a good file as before', () => {
    expect(readCandlesFile(file('good.csv', 'open_time_ms,open,high,low,close,volume\n1723161240000,100,101,99,100.5,1\n'))).toEqual([
      { openTime: 1723161240000, open: '100', high: '101', low: '99', close: '100.5', volume: '1' },
    ]);
  });
});
