import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/test-kit/data-paths.js';
import { sourceScript } from '../../src/test-kit/source-script.js';

/** The CLI as a child process runs it (test-kit/source-script.ts). */
const CLI = await sourceScript('src/cli/main.ts');

const GOLDEN = `${PROJECT_ROOT}test/golden/demo-replay.jsonl`;

function replay(latency: string): string {
  const result = spawnSync(
    process.execPath,
    [CLI, 'replay', '--recording', 'data/recordings/binance_spot_btcusdt_20240808T2354Z', '--orders', 'data/demo-orders.jsonl', '--latency-ms', latency],
    { cwd: PROJECT_ROOT, encoding: 'utf8' },
  );
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
  return result.stdout;
}

describe('replay determinism', () => {
  it('the same replay twice gives byte-identical output, equal to the golden file', () => {
    const first = replay('50');
    const second = replay('50');
    expect(second).toBe(first);
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(GOLDEN, first);
    expect(first).toBe(readFileSync(GOLDEN, 'utf8'));
  });

  it('the output follows the documented schema', () => {
    const events = readFileSync(GOLDEN, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    let at = 0;
    for (const e of events) {
      expect(typeof e.type).toBe('string');
      expect(typeof e.account).toBe('string');
      expect(e.at as number).toBeGreaterThanOrEqual(at);
      at = e.at as number;
      if (e.type === 'FILL') {
        for (const key of ['price', 'quantity', 'fee', 'feeAsset', 'liquidity', 'clientOrderId', 'status']) expect(e).toHaveProperty(key);
        expect(['MAKER', 'TAKER']).toContain(e.liquidity);
      }
    }
    const tail = events.slice(-2);
    expect(tail.map((e) => [e.type, e.account])).toEqual([['BALANCES', 'bot'], ['BALANCES', 'demo']]);
    expect(events.filter((e) => e.type === 'METRICS').map((e) => e.account)).toEqual(['bot', 'demo']);
    expect(tail[1]!.balances).toHaveProperty('USDT.free');
    expect(tail[1]!.balances).toHaveProperty('BTC.locked');
  });
});
