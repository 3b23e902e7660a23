import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../test-kit/data-paths.js';
import { REJECTION_CODES } from '../orders/rejection.js';
import { RULE_NAMES } from './exchange-rules.js';

// docs/exchange-rules.md is the table of rules, sources, codes per dialect and tests: it names every
// rule the code enforces, and each test it names exists where it says.
const doc = readFileSync(`${PROJECT_ROOT}docs/exchange-rules.md`, 'utf8');
const section = (title: string): string => {
  const start = doc.indexOf(`## ${title}\n`);
  const end = doc.indexOf('\n## ', start + 1);
  return doc.slice(start, end === -1 ? undefined : end);
};

describe('docs/exchange-rules.md', () => {
  it('has one row per rule of EXCHANGE_RULES, with the native code and its MEXC code as rejection.ts has them', () => {
    const rows = section('Rules').split('\n').filter((line) => /^\| [A-Z_]+ \(/.test(line));
    expect(rows.map((row) => /^\| ([A-Z_]+) /.exec(row)![1])).toEqual([...RULE_NAMES]);
    for (const row of rows) {
      const native = row.split(' | ')[3]!;
      const pairs = [...native.matchAll(/`([A-Z_]+)` \((\d+)/g)];
      expect(pairs.length, row).toBeGreaterThan(0);
      for (const [, code, mexc] of pairs) expect(REJECTION_CODES[code as keyof typeof REJECTION_CODES]?.mexcCode, `${code} in ${row.slice(0, 40)}`).toBe(Number(mexc));
    }
  });

  it('every test it names exists, in the file it names', () => {
    const tests = section('Tests');
    const references = [...tests.matchAll(/`(src\/[^`]+\.test\.ts)`((?:\s*›\s*"[^"]+"(?:,\s*"[^"]+")*)?)/g)];
    expect(references.length).toBeGreaterThan(10);
    for (const [, file, names] of references) {
      expect(existsSync(`${PROJECT_ROOT}${file}`), file).toBe(true);
      const source = readFileSync(`${PROJECT_ROOT}${file}`, 'utf8');
      for (const [, name] of (names ?? '').matchAll(/"([^"]+)"/g)) {
        const fragment = name!.replace(/[\s:]*…$/, '').trim();
        expect(source.includes(fragment), `${file} has no test "${fragment}"`).toBe(true);
      }
    }
  });
});
