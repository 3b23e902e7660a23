/**
 * A process that saves one snapshot seq again and again (spawned with `node --import tsx` by
 * persistence/snapshot-resave-kill.hostile.test.ts, which kills it with SIGKILL at random
 * moments): each save is `saveInParts` of seq RESAVE_SEQ with one of two states, alternately, in
 * parts, so that a kill lands between parts, between the parts and the publish, or in the sweep
 * after it. Prints `R` once open, then `P <state>` after each publish (`A` or `B`).
 * Environment: RESAVE_URL, RESAVE_OPTIONS (OpenOptions as JSON), RESAVE_SEQ.
 */
import { openAndMigrate, type OpenOptions } from '../persistence/database.js';
import { SnapshotStore } from '../persistence/snapshot-store.js';

const url = process.env.RESAVE_URL!;
const options = JSON.parse(process.env.RESAVE_OPTIONS ?? '{}') as OpenOptions;
const seq = Number(process.env.RESAVE_SEQ);
const print = (line: string): void => void process.stdout.write(`${line}\n`);

/** State `name`: about 20 parts of 16 Ki characters, each part different. */
export function resaveState(name: 'A' | 'B'): string {
  return JSON.stringify({ name, rows: Array.from({ length: 4_000 }, (_, i) => `${name}${i}-${'x'.repeat(70)}`) });
}

if (process.env.RESAVE_URL !== undefined) {
  const opened = await openAndMigrate(url, options);
  const store = new SnapshotStore(opened.db, { keep: 2 });
  print('R');
  for (let i = 0; ; i++) {
    const name = i % 2 === 0 ? 'A' : 'B';
    const state = resaveState(name);
    const parts = Array.from({ length: Math.ceil(state.length / 16_384) }, (_, p) => state.slice(p * 16_384, (p + 1) * 16_384));
    await store.saveInParts(seq, Date.now(), parts);
    print(`P ${name}`);
  }
}
