import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../test-kit/data-paths.js';

const CORE = join(PROJECT_ROOT, 'src/core');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return path.endsWith('.ts') && !path.endsWith('.test.ts') ? [path] : [];
  });
}

describe('src/core stays pure', () => {
  const files = sources(CORE);

  it('imports nothing but other core modules (no I/O, ccxt, database or HTTP)', () => {
    const offenders: string[] = [];
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      for (const match of text.matchAll(/(?:import|export)[^'"]*from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|require\(\s*['"]([^'"]+)['"]\s*\)/g)) {
        const target = match[1] ?? match[2] ?? match[3]!;
        const resolved = target.startsWith('.') ? join(file, '..', target) : target;
        if (!target.startsWith('.') || !resolved.startsWith(CORE)) offenders.push(`${relative(PROJECT_ROOT, file)} → ${target}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('reads no clock and draws no randomness', () => {
    const offenders = files.filter((file) => /\bDate\.now\(|new Date\(|Math\.random\(|performance\.now\(|process\.|setTimeout\(|setInterval\(/.test(readFileSync(file, 'utf8')));
    expect(offenders.map((f) => relative(PROJECT_ROOT, f))).toEqual([]);
  });

  it('finds the core modules it checks', () => {
    expect(files.length).toBeGreaterThan(10);
  });
});
