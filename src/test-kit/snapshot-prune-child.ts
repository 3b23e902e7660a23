/**
 * A process that publishes snapshot after snapshot, keeping one (spawned with `node --import tsx`
 * by persistence/snapshot-cleanup.hostile.test.ts, which kills it with SIGKILL at random moments):
 * seq 1, 2, 3… each saved in parts (`pruneState(seq)`, about 40 parts), so that every publish
 * prunes the one before and deletes its parts, one part per transaction (`cleanupBudgetMs: 0`), and
 * a kill lands between the parts, between the publish and its cleanup, or between the cleanup's
 * transactions. Prints `R` once open, then `C <seq>` once a save (its publish and cleanup) resolved.
 * Environment: PRUNE_URL, PRUNE_OPTIONS (OpenOptions as JSON), PRUNE_FROM (the first seq).
 */
import { openAndMigrate, type OpenOptions } from '../persistence/database.js';
import { SnapshotStore } from '../persistence/snapshot-store.js';

/** The state saved at `seq`: about 40 parts of 16 Ki characters, each row naming its seq. */
export function pruneState(seq: number): string {
  return JSON.stringify({ seq, rows: Array.from({ length: 8_000 }, (_, i) => `${seq}:${i}-${'y'.repeat(70)}`) });
}

/** `state` cut into parts of 16 Ki characters, as the engine cuts an in-process state. */
export function pruneParts(state: string): string[] {
  return Array.from({ length: Math.ceil(state.length / 16_384) }, (_, p) => state.slice(p * 16_384, (p + 1) * 16_384));
}

if (process.env.PRUNE_URL !== undefined) {
  const print = (line: string): void => void process.stdout.write(`${line}\n`);
  const opened = await openAndMigrate(process.env.PRUNE_URL, JSON.parse(process.env.PRUNE_OPTIONS ?? '{}') as OpenOptions);
  const store = new SnapshotStore(opened.db, { keep: 1, cleanupBudgetMs: 0 });
  print('R');
  for (let seq = Number(process.env.PRUNE_FROM); ; seq++) {
    await store.saveInParts(seq, Date.now(), pruneParts(pruneState(seq)));
    print(`C ${seq}`);
  }
}
