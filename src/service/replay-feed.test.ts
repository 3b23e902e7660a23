import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EngineHub } from '../api/engine-hub.js';
import type { KernelInput } from '../core/kernel/inputs.js';
import { Kernel } from '../core/kernel/kernel.js';
import { DurableEngine } from '../engine/durable-engine.js';
import { EngineUnavailableError } from '../engine/engine-status.js';
import { loopRecording } from '../engine/looped-recording.js';
import { instrumentForRecording } from '../market-data/replay-session.js';
import { USDM_RECORDING } from '../test-kit/data-paths.js';
import { loadRecording } from '../test-kit/recording-stepper.js';
import { ReplayFeed } from './replay-feed.js';

const recording = loadRecording(USDM_RECORDING);
const config = { instruments: [instrumentForRecording(recording)] };
/** The oracle: the recording's inputs in the order a loop over it gives them. */
const firstInputs = (n: number): KernelInput[] => {
  const inputs: KernelInput[] = [];
  for (const input of loopRecording(recording)) {
    if (inputs.length === n) break;
    inputs.push(input);
  }
  return inputs;
};
const until = async (done: () => boolean) => {
  while (!done()) await new Promise((resolve) => setTimeout(resolve, 5));
};

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('the replay feed', () => {
  it('as fast as it can: inputs due together are journaled together, in the recording order, each once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'papertrade-replay-feed-'));
    dirs.push(dir);
    const engine = await DurableEngine.open({ databaseUrl: `sqlite:${join(dir, 'db.sqlite')}`, kernelConfig: config, snapshotIntervalMs: 0 });
    const hub = new EngineHub(engine);
    // Submits in flight at once, counted through the real hub.
    let inFlight = 0;
    let mostInFlight = 0;
    const submit = hub.submit.bind(hub);
    hub.submit = async (input) => {
      mostInFlight = Math.max(mostInFlight, ++inFlight);
      try {
        return await submit(input);
      } finally {
        inFlight -= 1;
      }
    };
    const feed = new ReplayFeed(hub, recording, Number.POSITIVE_INFINITY);
    const count = 5_000;
    try {
      feed.start();
      await until(() => engine.seq >= count);
      feed.stop();
      await until(() => inFlight === 0);
      const rows = await engine.db.selectFrom('journal').select(['seq', 'input']).orderBy('seq').limit(count).execute();
      expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: count }, (_, i) => i + 1));
      expect(rows.map((r) => JSON.parse(r.input) as KernelInput)).toEqual(JSON.parse(JSON.stringify(firstInputs(count))));
      // One input per commit would never have two in flight.
      expect(mostInFlight).toBeGreaterThan(100);
    } finally {
      feed.stop();
      await engine.close();
    }
  }, 120_000);

  it('an engine unavailable part-way through a batch: the feed waits and resends from the first input not recorded', async () => {
    const kernel = new Kernel(config);
    const handled: KernelInput[] = [];
    let calls = 0;
    let downUntil = 0;
    // An engine whose database goes away at its 40th submit for 400 ms: that one, and every submit
    // until then, is refused with nothing recorded (a contiguous journal refuses a suffix of a batch).
    const hub = new EngineHub({
      kernel,
      submit: async (input) => {
        if (++calls === 40) downUntil = Date.now() + 400;
        if (Date.now() < downUntil) throw new EngineUnavailableError('unavailable', 'the database is unreachable; nothing was recorded, retry later');
        handled.push(input);
        return kernel.handle(input);
      },
    });
    const feed = new ReplayFeed(hub, recording, Number.POSITIVE_INFINITY);
    feed.start();
    await until(() => handled.length >= 3_000);
    const status = feed.status()[0]!;
    feed.stop();
    expect(handled.slice(0, 3_000)).toEqual(firstInputs(3_000));
    // Still feeding, with no failure to report.
    expect(status).toMatchObject({ status: 'synced' });
    expect(status.reason).toBeUndefined();
    // Refused once, then twice more while the database stayed away.
    expect(calls).toBeGreaterThan(3_000 + 2);
  }, 60_000);
});
