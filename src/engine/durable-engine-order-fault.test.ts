import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it, vi } from 'vitest';
import { SpotAccount } from '../core/accounts/spot-account.js';
import type { KernelEvent } from '../core/kernel/events.js';
import type { KernelInput } from '../core/kernel/inputs.js';
import { Kernel } from '../core/kernel/kernel.js';
import { ORDER_FAULT_REASON } from '../core/matching/order-fault.js';
import { instrumentForRecording } from '../market-data/replay-session.js';
import { BUNDLED_RECORDING } from '../test-kit/data-paths.js';
import { loadRecording } from '../test-kit/recording-stepper.js';
import { DurableEngine, type SetAsideReport } from './durable-engine.js';

const recording = loadRecording(BUNDLED_RECORDING);
const CONFIG = { instruments: [instrumentForRecording(recording)], latencyMs: 0 };

it('an order whose fill faults on the live thread only: canceled and reported, the market applied; the snapshot after it is the live state, so a restart keeps the cancel', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'papertrade-order-fault-'));
  const url = `sqlite:${join(dir, 'x.db')}`;
  const reports: SetAsideReport[] = [];
  const engine = await DurableEngine.open({ databaseUrl: url, kernelConfig: CONFIG, snapshotIntervalMs: 3_600_000, onInputSetAside: (r) => reports.push(r) });
  // The oracle: the same inputs, with the faulty order canceled by its owner just before the input that met the fault.
  const twin = new Kernel(CONFIG);
  try {
    const start = recording.inputs[0]!.time + 30_000;
    let next = 0;
    while (recording.inputs[next]!.time <= start) {
      const input = recording.inputs[next++]!;
      await engine.submit(input);
      twin.handle(input);
    }
    const t = engine.kernel.now;
    const bid = engine.kernel.depth(recording.symbol, 1)!.bids[0]![0];
    const commands: KernelInput[] = [
      { kind: 'account.open', time: t, account: 'a', balances: { USDT: '100000' } },
      { kind: 'account.open', time: t, account: 'b', balances: { USDT: '100000' } },
      { kind: 'order.place', time: t, account: 'a', symbol: recording.symbol, side: 'BUY', type: 'LIMIT', price: bid, quantity: '0.01', clientOrderId: 'faulty' },
      { kind: 'order.place', time: t, account: 'b', symbol: recording.symbol, side: 'BUY', type: 'LIMIT', price: bid, quantity: '0.01', clientOrderId: 'sound' },
    ];
    for (const input of commands) {
      await engine.submit(input);
      twin.handle(input);
    }
    const faulty = engine.kernel.openOrders('a')[0]!.id;
    // A fault of this thread only: the snapshot worker's thread settles as it should.
    const original = SpotAccount.prototype.settle;
    vi.spyOn(SpotAccount.prototype, 'settle').mockImplementation(function (this: SpotAccount, ...args) {
      original.apply(this, args);
      if (this.id === 'a') throw new Error('account a: USDT would go negative (injected)');
    });
    let met: { seq: number; events: KernelEvent[] } | undefined;
    while (met === undefined && next < recording.inputs.length) {
      const input = recording.inputs[next++]!;
      const events = await engine.submit(input);
      if (events.some((e) => e.type === 'ORDER_CANCELED' && e.reason === ORDER_FAULT_REASON)) {
        met = { seq: engine.kernel.inputCount, events };
        twin.handle({ kind: 'order.cancel', time: input.time, account: 'a', orderId: faulty });
      }
      twin.handle(input);
    }
    expect(met, 'no input met the injected fault').toBeDefined();
    expect(met!.events.some((e) => e.type === 'FILL' && e.account === 'b')).toBe(true);
    expect(reports).toEqual([{ seq: met!.seq, code: 'ORDER_FAULT', reason: expect.stringMatching(new RegExp(`^order ${faulty} canceled \\(${ORDER_FAULT_REASON}\\), the input applied without it: .*would go negative \\(injected\\)`)), duringRestore: false }]);
    expect(engine.kernel.bookStatus(recording.symbol)?.status).toBe('synced');
    for (const input of recording.inputs.slice(next, next + 500)) {
      await engine.submit(input);
      twin.handle(input);
    }
    for (const id of ['a', 'b']) expect(engine.kernel.balances(id)).toEqual(twin.balances(id));
    // A worker's rebuild would replay the journal, where this fault does not strike, and fill the order.
    await engine.saveSnapshot();
    vi.restoreAllMocks();
    await engine.close({ snapshot: false });
    const restarted = await DurableEngine.open({ databaseUrl: url, kernelConfig: CONFIG, snapshotIntervalMs: 3_600_000, onInputSetAside: (r) => reports.push(r) });
    try {
      for (const id of ['a', 'b']) expect(restarted.kernel.balances(id)).toEqual(twin.balances(id));
      expect(restarted.kernel.order(faulty)).toBeUndefined(); // closed before the snapshot: not held
      expect(restarted.kernel.openOrders('a')).toEqual([]);
    } finally {
      await restarted.close({ snapshot: false });
    }
  } finally {
    vi.restoreAllMocks();
    await engine.close({ snapshot: false });
    rmSync(dir, { recursive: true, force: true });
  }
});
