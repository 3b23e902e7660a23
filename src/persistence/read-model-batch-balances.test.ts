/**
 * The read tables keep a batch's last balance of each account's asset (read-model.ts
 * `collectBalances`): the balances of the inputs before it are not read, so that the engine's
 * balances, whose texts are written when first read (core/kernel/deferred-balance.ts), are
 * formatted once per batch and account instead of once per input (ADR 0036, tenth pass).
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { findBundledInstrument } from '../core/instruments/bundled-instruments.js';
import type { KernelInput } from '../core/kernel/inputs.js';
import { Kernel } from '../core/kernel/kernel.js';
import { describeEachDialect, type Harness } from '../test-kit/test-databases.js';
import { ReadModel, type BalanceView, type InputEvents } from './read-model.js';

const T0 = 1_723_161_240_000;
const INPUTS: readonly KernelInput[] = [
  { kind: 'account.open', time: T0, account: 'alice', balances: { USDT: '1000', BTC: '1' } },
  { kind: 'book.snapshot', time: T0 + 1, symbol: 'BTCUSDT', lastUpdateId: 100, bids: [['60000.00', '2']], asks: [['60001.00', '2']] },
  { kind: 'order.place', time: T0 + 2, account: 'alice', symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', price: '59000.00', quantity: '0.001', clientOrderId: 'a' },
  { kind: 'order.place', time: T0 + 3, account: 'alice', symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', price: '59500.00', quantity: '0.001', clientOrderId: 'b' },
];

/** `view` with each text read counted. */
function counted(view: BalanceView, reads: { n: number }): BalanceView {
  const out: Record<string, { readonly free: string; readonly locked: string }> = {};
  for (const asset in view) {
    const balance = view[asset]!;
    out[asset] = {
      get free() {
        reads.n += 1;
        return balance.free;
      },
      get locked() {
        reads.n += 1;
        return balance.locked;
      },
    };
  }
  return out;
}

describeEachDialect((name) => `a batch's balances on ${name}`, (dialect) => {
  let harness: Harness;
  beforeEach(async () => {
    harness = await dialect.open();
  });
  afterEach(async () => harness.cleanup());

  it('are written from the last input that named the account, and only those are read', async () => {
    const kernel = new Kernel({ instruments: [findBundledInstrument('binance', 'spot', 'BTCUSDT')!] });
    const reads = { n: 0 };
    const batch: InputEvents[] = INPUTS.map((input, i) => {
      const events = kernel.handle(input);
      const balances = 'account' in input ? { alice: counted(kernel.deferredBalances('alice')!, reads) } : undefined;
      return { seq: i + 1, at: input.time, events, ...(balances !== undefined ? { balances } : {}) };
    });
    await new ReadModel(harness.opened.db).apply(batch);
    // Three inputs named alice, each with two assets: only the last one's four texts were read.
    expect(reads.n).toBe(4);
    const rows = await harness.opened.db.selectFrom('balances').select(['asset', 'free', 'locked', 'updatedAt']).where('accountId', '=', 'alice').orderBy('asset').execute();
    // USDT: 1000 − 0.001 × 59000 − 0.001 × 59500 = 881.5 free, 59 + 59.5 = 118.5 locked; BTC untouched.
    expect(rows.map((r) => [r.asset, r.free, r.locked, Number(r.updatedAt)])).toEqual([
      ['BTC', '1', '0', T0 + 3],
      ['USDT', '881.5', '118.5', T0 + 3],
    ]);
  });
});
