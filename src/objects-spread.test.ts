import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import fc from 'fast-check';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { extend } from './core/objects.js';
import { PROJECT_ROOT } from './test-kit/data-paths.js';

/** The product's sources that run per input, order, event or row: all but the command line, configuration, the dashboard and tests. */
const SKIPPED = new Set(['cli', 'config', 'dashboard', 'test-kit']);

function sources(dir: string, top = true): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return top && SKIPPED.has(name) ? [] : sources(path, false);
    return path.endsWith('.ts') && !path.endsWith('.test.ts') ? [path] : [];
  });
}

/**
 * Object literals in `files` that start with a spread and then add a key (a property, or a later
 * spread's property) the first spread's type does not name, as "path:line adds keys".
 */
function spreadsThatAddKeys(files: readonly string[]): string[] {
  const config = ts.parseJsonConfigFileContent(ts.readConfigFile(join(PROJECT_ROOT, 'tsconfig.json'), ts.sys.readFile).config, ts.sys, PROJECT_ROOT);
  const program = ts.createProgram(files, config.options);
  const checker = program.getTypeChecker();
  // The property names of an expression's type (of every member of a union).
  const names = (expression: ts.Expression): Set<string> => {
    const found = new Set<string>();
    const collect = (type: ts.Type): void => {
      if (type.isUnion()) type.types.forEach(collect);
      else for (const property of checker.getPropertiesOfType(type)) found.add(property.name);
    };
    collect(checker.getTypeAtLocation(expression));
    return found;
  };
  const offenders: string[] = [];
  for (const file of files) {
    const source = program.getSourceFile(file)!;
    const visit = (node: ts.Node): void => {
      if (ts.isObjectLiteralExpression(node) && node.properties.length >= 2 && ts.isSpreadAssignment(node.properties[0]!)) {
        const have = names(node.properties[0].expression);
        const added = node.properties.slice(1).flatMap((p) =>
          ts.isSpreadAssignment(p) ? [...names(p.expression)].filter((k) => !have.has(k)) : p.name !== undefined && !have.has(p.name.getText(source)) ? [p.name.getText(source)] : [],
        );
        const { line } = source.getLineAndCharacterOfPosition(node.getStart(source));
        if (added.length > 0) offenders.push(`${relative(PROJECT_ROOT, file)}:${line + 1} adds ${added.join(', ')}`);
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return offenders;
}

describe('objects are not extended after a spread (docs/adr/0062)', () => {
  it('no object literal starts with a spread and then adds a key its source does not have', () => {
    const files = sources(join(PROJECT_ROOT, 'src'));
    expect(files.length).toBeGreaterThan(100);
    expect(spreadsThatAddKeys(files)).toEqual([]);
  }, 180_000);

  it('finds the form it refuses, and leaves a spread that only overrides', () => {
    const dir = mkdtempSync(join(tmpdir(), 'spread-'));
    const file = join(dir, 'sample.ts');
    writeFileSync(file, ['const b = { a: 1, k: 2 };', 'export const adds = { ...b, c: 1 };', 'export const overrides = { ...b, a: 3 };', 'export const both = { ...b, ...{ k: 4, d: 5 } };', ''].join('\n'));
    try {
      expect(spreadsThatAddKeys([file]).map((o) => o.replace(/^.*sample\.ts/, 'sample.ts'))).toEqual(['sample.ts:2 adds c', 'sample.ts:4 adds d']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('extend gives what the spread literal gives: the same keys, in the same order, with the same values', () => {
    const key = fc.constantFrom('a', 'b', 'c', 'd', 'price', 'quantity', '1', '20', 'status');
    const record = fc.dictionary(key, fc.oneof(fc.integer(), fc.string(), fc.constant(undefined), fc.bigInt()));
    const side = fc.oneof(record, fc.constant(undefined), fc.constant(null));
    fc.assert(
      fc.property(side, side, (a, b) => {
        const spread = { ...a, ...b };
        const made = extend(a, b);
        expect(Object.keys(made)).toEqual(Object.keys(spread));
        expect(Object.entries(made)).toEqual(Object.entries(spread));
        expect(Object.getPrototypeOf(made)).toBe(Object.prototype);
      }),
      { numRuns: 5_000, seed: 62 },
    );
  });

  it('extend copies, and leaves both sides as they were', () => {
    const base = { side: 'BUY', price: '60000' };
    const extra = { price: '60001', type: 'LIMIT' };
    const made = extend(base, extra);
    expect(made).toEqual({ side: 'BUY', price: '60001', type: 'LIMIT' });
    expect(Object.keys(made)).toEqual(['side', 'price', 'type']);
    expect(base).toEqual({ side: 'BUY', price: '60000' });
    expect(extra).toEqual({ price: '60001', type: 'LIMIT' });
    expect(made).not.toBe(base);
  });
});
