/**
 * Pieces the snapshot tests share: a state of many parts (accounts with resting orders), inputs
 * journaled while a save runs, a twin kernel as the restore's oracle, and the check that the
 * database holds exactly the parts its snapshot rows read.
 */
import type { Kysely } from 'kysely';
import { expect } from 'vitest';
import type { KernelInput } from '../core/kernel/inputs.js';
import { Kernel, type KernelConfig } from '../core/kernel/kernel.js';
import type { Database } from '../persistence/schema.js';

/**
 * `accounts` accounts (`<tag>-<n>`, 1e9 USDT each) with `perAccount` resting LIMIT BUY orders of
 * 0.001 on `symbol` at 40000.00, 40001.00, …, all at `time`: about 600 bytes of state per order, so
 * a few dozen 16 KiB parts per thousand orders.
 */
export function restingInputs(symbol: string, time: number, accounts: number, perAccount: number, tag: string): KernelInput[] {
  const inputs: KernelInput[] = [];
  for (let a = 0; a < accounts; a++) {
    inputs.push({ kind: 'account.open', time, account: `${tag}-${a}`, balances: { USDT: '1000000000' } });
    for (let o = 0; o < perAccount; o++) {
      inputs.push({ kind: 'order.place', time, account: `${tag}-${a}`, symbol, side: 'BUY', type: 'LIMIT', quantity: '0.001', price: `${40000 + o}.00`, clientOrderId: `${tag}-${a}-${o}` });
    }
  }
  return inputs;
}

/**
 * Submits `stream` one input a millisecond, without waiting for each, while `save` has not settled
 * (and the stream lasts); resolves once those submits have settled, with how many were sent and
 * the ones refused. `save`'s own outcome is the caller's to await.
 */
export async function streamWhile(save: Promise<unknown>, stream: readonly KernelInput[], submit: (input: KernelInput) => Promise<unknown>): Promise<{ sent: number; rejected: PromiseRejectedResult[] }> {
  let saving = true;
  save.then(
    () => (saving = false),
    () => (saving = false),
  );
  const during: Promise<unknown>[] = [];
  let sent = 0;
  while (saving && sent < stream.length) {
    during.push(submit(stream[sent++]!));
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  const rejected = (await Promise.allSettled(during)).filter((o): o is PromiseRejectedResult => o.status === 'rejected');
  return { sent, rejected };
}

/** Parts the snapshot rows read (`seq:part`), and parts the database holds, both in order: equal when no stray part is left. */
export async function partsReadAndHeld(db: Kysely<Database>): Promise<{ read: string[]; held: string[] }> {
  const rows = await db.selectFrom('snapshots').select(['seq', 'parts', 'firstPart']).orderBy('seq').execute();
  const read = rows.flatMap((r) => Array.from({ length: Number(r.parts ?? 0) }, (_, i) => `${Number(r.seq)}:${Number(r.firstPart ?? 0) + i}`));
  const held = (await db.selectFrom('snapshot_parts').select(['seq', 'part']).orderBy('seq').orderBy('part').execute()).map((r) => `${Number(r.seq)}:${Number(r.part)}`);
  return { read, held };
}

/** Asserts that the database holds exactly the parts its snapshot rows read (`partsReadAndHeld`); returns those parts. */
export async function expectOnlyReadPartsHeld(db: Kysely<Database>): Promise<string[]> {
  const { read, held } = await partsReadAndHeld(db);
  expect(held).toEqual(read);
  return read;
}

/**
 * A twin kernel of `config`, the oracle of a restore: `both(input)` hands the twin a copy of `input`
 * (a JSON round trip, so that nothing the engine does to it reaches the twin), then `submit`s it.
 */
export function twinOf(config: KernelConfig, submit: (input: KernelInput) => Promise<unknown>): { twin: Kernel; both: (input: KernelInput) => Promise<unknown> } {
  const twin = new Kernel(config);
  return { twin, both: (input) => (twin.handle(JSON.parse(JSON.stringify(input)) as KernelInput), submit(input)) };
}
