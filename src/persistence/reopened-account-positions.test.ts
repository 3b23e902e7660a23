/**
 * The read tables of an account closed and opened again under the same id: the closed account's
 * position keeps its row, and the new account's position gets a row of its own (before, the new
 * account's position 1 landed on the closed account's row: updated in place, still CLOSED, with the
 * old opening time, and its trades named the old position).
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { findBundledInstrument } from '../core/instruments/bundled-instruments.js';
import type { KernelInput } from '../core/kernel/inputs.js';
import { Kernel } from '../core/kernel/kernel.js';
import { describeEachDialect, type Harness } from '../test-kit/test-databases.js';
import { ReadModel } from './read-model.js';

const T0 = 1_700_000_000_000;
const symbol = 'BTCUSDT';
const open = (time: number): KernelInput => ({ kind: 'account.open', time, account: 'a', type: 'futures', balances: { USDT: '100000' }, leverage: 10 });
const market = (time: number, side: 'BUY' | 'SELL', quantity: string): KernelInput => ({ kind: 'order.place', time, account: 'a', symbol, side, type: 'MARKET', quantity });
const INPUTS: readonly KernelInput[] = [
  open(T0),
  { kind: 'book.snapshot', time: T0 + 1, symbol, lastUpdateId: 1, bids: [['59999.9', '5']], asks: [['60000.0', '5']] },
  market(T0 + 2, 'BUY', '0.1'), // long 0.1 at the ask, 60,000
  market(T0 + 3, 'SELL', '0.1'), // closed at the bid, 59,999.9
  { kind: 'account.close', time: T0 + 4, account: 'a' },
  open(T0 + 5),
  { kind: 'book.snapshot', time: T0 + 6, symbol, lastUpdateId: 2, bids: [['61000.0', '5']], asks: [['61000.1', '5']] },
  market(T0 + 7, 'SELL', '0.2'), // short 0.2 at the bid, 61,000, still open
];

describeEachDialect((name) => `positions of a reopened account on ${name}`, (dialect) => {
  let harness: Harness;
  beforeEach(async () => {
    harness = await dialect.open();
  });
  afterEach(async () => harness.cleanup());

  it('the closed account’s position keeps its row; the new one has its own, and its trade names it', async () => {
    const kernel = new Kernel({ instruments: [findBundledInstrument('binance', 'perpetual', symbol)!] });
    const readModel = new ReadModel(harness.opened.db);
    for (const [i, input] of INPUTS.entries()) await readModel.apply([{ seq: i + 1, at: input.time, events: kernel.handle(input) }]);
    const { db } = harness.opened;
    const positions = await db.selectFrom('positions').select(['id', 'direction', 'entryPrice', 'totalSize', 'status', 'openedAt', 'closedAt']).where('accountId', '=', 'a').orderBy('openedAt').execute();
    expect(positions.map((p) => [p.id, p.direction, p.entryPrice, p.status, Number(p.openedAt), p.closedAt === null ? null : Number(p.closedAt)])).toEqual([
      ['a:BTCUSDT:1', 'LONG', '60000', 'CLOSED', T0 + 2, T0 + 3],
      ['a:BTCUSDT:2', 'SHORT', '61000', 'OPEN', T0 + 7, null],
    ]);
    const trades = await db.selectFrom('trades').select(['positionId', 'side', 'orderSide', 'price']).where('accountId', '=', 'a').orderBy('timestamp').execute();
    expect(trades.map((t) => [t.positionId, t.side, t.orderSide, t.price])).toEqual([
      ['a:BTCUSDT:1', 'OPEN', 'BUY', '60000'],
      ['a:BTCUSDT:1', 'CLOSE', 'SELL', '59999.9'],
      ['a:BTCUSDT:2', 'OPEN', 'SELL', '61000'],
    ]);
  });

  it('the account row and balances become the new account’s: active, opened when it was, with what it was opened with', async () => {
    const kernel = new Kernel({ instruments: [findBundledInstrument('binance', 'perpetual', symbol)!] });
    const readModel = new ReadModel(harness.opened.db);
    // `a` opened with 100,000 USDT, closed, opened again with 5,000 USDT and nothing traded since.
    const inputs: KernelInput[] = [open(T0), { kind: 'account.close', time: T0 + 4, account: 'a' }, { kind: 'account.open', time: T0 + 5, account: 'a', type: 'futures', balances: { USDT: '5000' }, leverage: 10 }];
    const batches = inputs.map((input, i) => ({ seq: i + 1, at: input.time, events: kernel.handle(input) }));
    const { db } = harness.opened;
    const read = async () => ({
      account: await db.selectFrom('accounts').select(['status', 'settings', 'createdAt']).where('id', '=', 'a').executeTakeFirstOrThrow(),
      balances: await db.selectFrom('balances').select(['asset', 'free', 'locked']).where('accountId', '=', 'a').execute(),
    });
    for (const batch of batches) await readModel.apply([batch]);
    const first = await read();
    expect([first.account.status, Number(first.account.createdAt), JSON.parse(first.account.settings).initialBalances]).toEqual(['ACTIVE', T0 + 5, { USDT: '5000' }]);
    expect(first.balances.map((b) => [b.asset, b.free, b.locked])).toEqual([['USDT', '5000', '0']]);
    // Applied again from the start (no checkpoint): the same rows.
    await db.deleteFrom('read_model_checkpoint').execute();
    await readModel.apply(batches);
    expect(await read()).toEqual(first);
  });
});
