import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { restingOrders } from '../../bench/replay-bench.js';
import type { PlaceOrderInput } from '../../src/core/kernel/inputs.js';
import type { Recording } from '../../src/market-data/recording-reader.js';
import { runReplay } from '../../src/market-data/replay-session.js';
import { BUNDLED_RECORDING } from '../../src/test-kit/data-paths.js';
import { loadRecording } from '../../src/test-kit/recording-stepper.js';

/**
 * The bench's replay (bench/replay-bench.ts: the bundled recording with 1,000 resting LIMIT orders
 * over 5 accounts), hashed: every event as JSON, then the final metrics and balances. The expected
 * figures were recorded by the code before ADR 0036's sixth pass (commit 5a85a6b), not by the code
 * under test: a change to the hot path must leave them as they were. The hash of the withOrders
 * replay was taken again when its metrics came to value each account at the end of the replay
 * rather than at its last whole minute (its events, counts and balances the same as recorded).
 */
const RECORDED = {
  withOrders: { events: 4_228, fills: 1_612, inputs: 27_405, sha256: '183258aafb1e47f7c79f9f9ef594c58be6789df2172bd67d1746f8ee197f7020' },
  withoutOrders: { events: 1, fills: 0, inputs: 26_400, sha256: '90ace3d77721797f41c1207f2b241a22ecdbcd6d1d8b2cbaf0fd557811a0c89c' },
};

const text = (v: unknown) => JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x));

function replayed(recording: Recording, orders: readonly PlaceOrderInput[]) {
  const hash = createHash('sha256');
  let events = 0;
  let fills = 0;
  const result = runReplay(recording, orders, {
    balances: { USDT: '1000000', BTC: '20' },
    onEvent: (event) => {
      events += 1;
      if (event.type === 'FILL') fills += 1;
      hash.update(text(event));
      hash.update('\n');
    },
  });
  hash.update(text({ metrics: result.metrics, balances: result.balances }));
  return { events, fills, inputs: result.inputs, sha256: hash.digest('hex') };
}

describe("the bench's replay, against the events recorded before the hot path changed", () => {
  const recording = loadRecording(BUNDLED_RECORDING);
  const orders = restingOrders(recording);
  // The same recording without the values its reader kept: every level and trade read from its text.
  const { levels: _levels, trades: _trades, ...textOnly } = recording;

  it('with 1,000 resting orders, the events, metrics and balances are those recorded', () => {
    expect(replayed(recording, orders)).toEqual(RECORDED.withOrders);
  });

  it('with 1,000 resting orders, read from the text alone, the same', () => {
    expect(replayed(textOnly, orders)).toEqual(RECORDED.withOrders);
  });

  it('without orders, the same as recorded', () => {
    expect(replayed(recording, [])).toEqual(RECORDED.withoutOrders);
  });
});
