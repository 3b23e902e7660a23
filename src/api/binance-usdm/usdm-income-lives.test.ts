/**
 * USD-M `GET /fapi/v1/income` of an account that was reset, then closed and opened again under the
 * same id: each time it lists only the current account's rows, never those the read tables keep of
 * the earlier one, even when the reset falls in the millisecond of the earlier account's last rows
 * and the new account's first fill. And a liquidation's rows carry a numeric tranId: its
 * LIQUIDATION event's place in the event stream, seq × 1,000,000 + index (as a funding payment's).
 * Oracle: the batches below, written by hand, and their rows worked out in the comments.
 */
import { afterEach, expect, it } from 'vitest';
import type { KernelEvent } from '../../core/kernel/events.js';
import { ReadModel, type InputEvents } from '../../persistence/read-model.js';
import { describeEachDialect, type Harness } from '../../test-kit/test-databases.js';
import { accountIncome } from './usdm-income.js';

const T = 1723161600000;

const opened = (at: number): KernelEvent => ({ type: 'ACCOUNT_OPENED', at, account: 'a', accountType: 'futures', balances: { USDT: '1000' } });
/** A market buy of 0.01 BTCUSDT filled at 60000 with fee `fee`, opening position number `n`. */
const buy = (at: number, orderId: string, tradeId: string, fee: string, n: number): KernelEvent[] => [
  { type: 'ORDER_NEW', at, account: 'a', orderId, clientOrderId: `c${orderId}`, symbol: 'BTCUSDT', side: 'BUY', orderType: 'MARKET', status: 'NEW', quantity: '0.01', leverage: 10 },
  { type: 'FILL', at, account: 'a', orderId, clientOrderId: `c${orderId}`, symbol: 'BTCUSDT', side: 'BUY', orderType: 'MARKET', status: 'FILLED', tradeId, price: '60000', quantity: '0.01', quoteQuantity: '600', fee, feeAsset: 'USDT', liquidity: 'TAKER', executedQty: '0.01', cumulativeQuoteQty: '600' },
  position('POSITION_OPENED', at, n, '0.01', '0', fee),
];
function position(type: 'POSITION_OPENED' | 'POSITION_CLOSED', at: number, n: number, size: string, realized: string, fees: string): KernelEvent {
  return { type, at, account: 'a', symbol: 'BTCUSDT', positionId: `a:BTCUSDT:${n}`, direction: 'LONG', totalSize: size, entryPrice: '60000', leverage: 10, marginUsed: '60', realizedPnl: realized, totalFundingPaid: '0', feesPaid: fees, openedAt: T };
}
const funding = (at: number, n: number, amount: string, account = 'a'): KernelEvent => ({
  type: 'FUNDING', at, account, symbol: 'BTCUSDT', positionId: `${account}:BTCUSDT:${n}`, rate: '0.0001', markPrice: '60000', amount, totalFundingPaid: amount,
});

// Life 1: opened at T; bought (order 1, trade 1, fee 0.3) into position 1; paid 0.06 funding at T+2; liquidated at T+3
// (seq 4, the LIQUIDATION second of its input's events: another account's payment comes first), the position
// then having realized −50 and paid 0.3 + 5 = 5.3 in fees. Then, in the same millisecond, reset (seq 5).
const LIFE_1: InputEvents[] = [
  { seq: 1, events: [opened(T)] },
  { seq: 2, events: buy(T + 1, '1', '1', '0.3', 1) },
  { seq: 3, events: [funding(T + 2, 1, '0.06')] },
  {
    seq: 4,
    events: [
      funding(T + 3, 1, '0.5', 'b'),
      { type: 'LIQUIDATION', at: T + 3, account: 'a', symbol: 'BTCUSDT', positionId: 'a:BTCUSDT:1', direction: 'LONG', size: '0.01', entryPrice: '60000', markPrice: '55500', bankruptcyPrice: '54000', liquidationFee: '5', realizedPnl: '-50', marginLost: '60' },
      position('POSITION_CLOSED', T + 3, 1, '0', '-50', '5.3'),
    ],
  },
];
const RESET: InputEvents = { seq: 5, events: [{ type: 'ACCOUNT_RESET', at: T + 3, account: 'a', balances: { USDT: '1000' } }] };
// Life 2: in the reset's millisecond, bought (order 2, trade 2, fee 0.25) into position 2; received 0.05 funding at T+6 (seq 7).
const LIFE_2: InputEvents[] = [
  { seq: 6, events: buy(T + 3, '2', '2', '0.25', 2) },
  { seq: 7, events: [funding(T + 6, 2, '-0.05')] },
];
// Closed at T+7 (its position with it), opened again at T+8; life 3 bought (order 3, trade 3, fee 0.2) into position 3.
const LIFE_3: InputEvents[] = [
  { seq: 8, events: [{ type: 'ACCOUNT_CLOSED', at: T + 7, account: 'a' }] },
  { seq: 9, events: [opened(T + 8)] },
  { seq: 10, events: buy(T + 9, '3', '3', '0.2', 3) },
];

describeEachDialect((name) => `USD-M income across an account's lives (${name})`, (dialect) => {
  const harnesses: Harness[] = [];
  afterEach(async () => {
    for (const h of harnesses.splice(0)) await h.cleanup();
  });
  const rowsOf = async (h: Harness) => (await accountIncome(h.opened.db, 'a', {}, () => 'USDT')).map((r) => [r.incomeType, r.income, r.time - T, r.tranId]);

  it('a liquidation’s rows have its LIQUIDATION event’s place as tranId, a number', async () => {
    const h = await dialect.open();
    harnesses.push(h);
    await new ReadModel(h.opened.db).apply(LIFE_1);
    // Realized −50 (the fill realized nothing); clearance fee 5.3 − 0.3 = 5; tranId 4 × 1,000,000 + 1.
    expect(await rowsOf(h)).toEqual([
      ['COMMISSION', '-0.30000000', 1, 1],
      ['FUNDING_FEE', '-0.06000000', 2, 3_000_000],
      ['REALIZED_PNL', '-50.00000000', 3, 4_000_001],
      ['INSURANCE_CLEAR', '-5.00000000', 3, 4_000_001],
    ]);
  });

  it('after a reset, lists only the new account’s rows, in the reset’s millisecond too; after a close and a reopening, only the reopened one’s', async () => {
    const h = await dialect.open();
    harnesses.push(h);
    const readModel = new ReadModel(h.opened.db);
    await readModel.apply([...LIFE_1, RESET, ...LIFE_2]);
    // Life 2: its fill's commission 0.25 at T+3 (trade 2) and the 0.05 it received at T+6 (seq 7, index 0).
    expect(await rowsOf(h)).toEqual([
      ['COMMISSION', '-0.25000000', 3, 2],
      ['FUNDING_FEE', '0.05000000', 6, 7_000_000],
    ]);
    await readModel.apply(LIFE_3);
    expect(await rowsOf(h)).toEqual([['COMMISSION', '-0.20000000', 9, 3]]);
  });
});
