/**
 * The hub hands subscribers an input's events only once the input is durable, and in the order the
 * inputs were submitted, however their acknowledgements are awaited (`submit`, `submitHandled`) and
 * whatever order their durability promises settle in (ADR 0084).
 */
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import type { KernelEvent } from '../core/kernel/events.js';
import type { KernelInput } from '../core/kernel/inputs.js';
import type { Kernel } from '../core/kernel/kernel.js';
import { DurableEngine } from '../engine/durable-engine.js';
import { instrumentForRecording } from '../market-data/replay-session.js';
import { BUNDLED_RECORDING } from '../test-kit/data-paths.js';
import { watchSyncs, type SyncWatch } from '../test-kit/held-syncs.js';
import { loadRecording } from '../test-kit/recording-stepper.js';
import { scratchDir } from '../test-kit/scratch-dir.js';
import { EngineHub, type EnginePort } from './engine-hub.js';

const clock = (time: number): KernelInput => ({ kind: 'clock', time });

/** An engine whose inputs are handled at once and made durable only when the test says, in any order. */
function heldPort() {
  const durable: { readonly time: number; readonly resolve: () => void; readonly reject: (error: Error) => void }[] = [];
  const port: EnginePort = {
    kernel: { now: 0 } as unknown as Kernel,
    submit: () => Promise.reject(new Error('the hub goes through submitHandled when the engine has it')),
    submitHandled: async (input) => {
      const events: KernelEvent[] = [{ type: 'EQUITY', at: input.time, account: `t${input.time}`, equity: '1' } as unknown as KernelEvent];
      let resolve!: () => void;
      let reject!: (error: Error) => void;
      const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
      promise.catch(() => undefined);
      durable.push({ time: input.time, resolve, reject });
      return { events, durable: promise };
    },
  };
  return { port, durable };
}

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

it('sends events once durable, in submission order, whatever order durability comes in; an input that never becomes durable sends nothing and holds back no one', async () => {
  const { port, durable } = heldPort();
  const hub = new EngineHub(port);
  const told: number[] = [];
  hub.subscribe((_events, input) => told.push(input.time));
  const answers: string[] = [];
  void hub.submit(clock(1)).then(
    () => answers.push('1 acknowledged'),
    () => answers.push('1 refused'),
  );
  const handled2 = await hub.submitHandled(clock(2));
  void hub.submit(clock(3)).then(() => answers.push('3 acknowledged'));
  void hub.submitHandled(clock(4));
  await settle();
  expect(durable.map((d) => d.time)).toEqual([1, 2, 3, 4]);
  expect(handled2.events).toHaveLength(1);
  // 4, then 3, then 2 become durable: nothing is sent while 1 is not.
  durable[3]!.resolve();
  durable[2]!.resolve();
  durable[1]!.resolve();
  await settle();
  expect(told).toEqual([]);
  expect(answers).toEqual(['3 acknowledged']);
  // 1 fails (the engine stopped before it was on disk): its events are never sent, the rest go in order.
  durable[0]!.reject(new Error('the engine stopped'));
  await settle();
  expect(told).toEqual([2, 3, 4]);
  expect(answers).toEqual(['3 acknowledged', '1 refused']);
});

let syncs: SyncWatch | undefined;
afterEach(() => syncs?.restore());

it('on the durable engine, market inputs and commands submitted in turn reach subscribers in journal order, after their fdatasync', async () => {
  const recording = loadRecording(BUNDLED_RECORDING);
  const engine = await DurableEngine.open({
    databaseUrl: `sqlite:${join(scratchDir('papertrade-hub-order-'), 'x.db')}`,
    kernelConfig: { instruments: [instrumentForRecording(recording)], latencyMs: 0 },
    snapshotIntervalMs: 3_600_000,
  });
  try {
    const hub = new EngineHub(engine);
    const told: number[] = [];
    hub.subscribe((events) => {
      for (const e of events) if (e.type === 'ACCOUNT_OPENED') told.push(Number(e.account.slice(1)));
    });
    syncs = await watchSyncs();
    syncs.hold();
    const t = recording.inputs[0]!.time;
    const waits: Promise<unknown>[] = [];
    const expected: number[] = [];
    for (let i = 0; i < 60; i += 1) {
      const input: KernelInput = { kind: 'account.open', time: t, account: `a${i}`, balances: { USDT: '10' } };
      expected.push(i);
      // Alternately acknowledged in one step and in two, a few market inputs between them.
      waits.push(i % 2 === 0 ? hub.submit(input) : hub.submitHandled(input).then((h) => h.durable));
      if (i % 7 === 0) waits.push(hub.submit(recording.inputs[i]!));
      if (i % 10 === 9) await settle();
    }
    await settle();
    expect(told).toEqual([]);
    syncs.release();
    await Promise.all(waits);
    expect(told).toEqual(expected);
  } finally {
    syncs?.restore();
    await engine.close();
  }
});
