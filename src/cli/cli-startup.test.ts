/**
 * What `papertrade` loads before a command runs (docs/adr/0059): the module graph of src/cli/main.ts
 * as esbuild reads it (its metafile: every import of every source, with its kind), walked along
 * static imports only. The packages of the server, the database and the exchanges (about 1.3 s to
 * import) must be reached only through a dynamic import, inside the command that needs them. And the
 * API server, built by `serve` and by the tests of every route, takes its live execution from its
 * caller: it loads no exchange client (ccxt, 0.5 s to import) of its own; and the service loads one
 * only when it builds the live execution ports or opens live market data.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../test-kit/data-paths.js';

/** Packages that only a running command needs. */
const HEAVY = ['ccxt', 'fastify', '@fastify/websocket', 'kysely', 'better-sqlite3', 'pg', 'protobufjs'];

interface Graph {
  /** Packages reached from the entry along static imports only. */
  readonly statically: Set<string>;
  /** Packages reached along static and dynamic imports. */
  readonly all: Set<string>;
}

async function packagesOf(entry: string): Promise<Graph> {
  const esbuild = createRequire(import.meta.url)('esbuild') as typeof import('esbuild');
  const { metafile } = await esbuild.build({
    entryPoints: [entry], absWorkingDir: PROJECT_ROOT, bundle: true, write: false, packages: 'external',
    platform: 'node', format: 'esm', metafile: true, logLevel: 'silent',
  });
  const walk = (follow: (kind: string) => boolean) => {
    const packages = new Set<string>();
    const seen = new Set([entry]);
    const stack = [entry];
    while (stack.length > 0) {
      for (const i of metafile.inputs[stack.pop()!]!.imports) {
        if (!follow(i.kind)) continue;
        if (i.external === true) packages.add(i.path.startsWith('@') ? i.path.split('/').slice(0, 2).join('/') : i.path.split('/')[0]!);
        else if (!seen.has(i.path)) {
          seen.add(i.path);
          stack.push(i.path);
        }
      }
    }
    return packages;
  };
  return { statically: walk((kind) => kind === 'import-statement'), all: walk(() => true) };
}

describe('papertrade start-up', () => {
  it('loads no server, database or exchange package before a command runs; its commands reach them by dynamic import', async () => {
    const { statically, all } = await packagesOf('src/cli/main.ts');
    expect(HEAVY.filter((p) => statically.has(p))).toEqual([]);
    // The walk sees them when it may follow the dynamic imports: what it says above is of the graph.
    expect(HEAVY.filter((p) => !all.has(p))).toEqual([]);
    expect(statically.has('commander')).toBe(true);
  }, 60_000);

  it('the API server loads no exchange client; the service that starts it loads one only to trade live or read live markets', async () => {
    expect((await packagesOf('src/api/server.ts')).statically.has('ccxt')).toBe(false);
    const service = await packagesOf('src/service/start-service.ts');
    expect(service.statically.has('ccxt')).toBe(false);
    expect(service.all.has('ccxt')).toBe(true);
    // The server and the database it serves come at once: only the exchange client waits.
    expect(['fastify', 'kysely'].filter((p) => !service.statically.has(p))).toEqual([]);
  }, 60_000);
});
