/**
 * The read model keeps each funding payment (a FUNDING event) as a `funding_payments` row, once
 * however often its batch is applied, and the USD-M income reader lists them with the fills'
 * realized PnL and commissions, on SQLite and on PostgreSQL (NUMERIC amounts, BIGINT times read
 * back as text there). Oracle: the events' own figures, negated as Binance's income signs them
 * (what the account paid is a negative income), written by hand below.
 */
import { afterEach, expect, it } from 'vitest';
import { accountIncome } from './usdm-income.js';
import type { KernelEvent } from '../../core/kernel/events.js';
import { describeEachDialect, type Harness } from '../../test-kit/test-databases.js';
import { ReadModel, type InputEvents } from '../../persistence/read-model.js';

const T = 1723161600000;

const funding = (account: string, at: number, rate: string, amount: string, total: string): KernelEvent => ({
  type: 'FUNDING', at, account, symbol: 'BTCUSDT', positionId: 'BTCUSDT:1', rate, markPrice: '61807.7', amount, totalFundingPaid: total,
});

/** A closing fill (realized −0.001, fee 0.3090385) and three payments: 0.1236154 paid, 0.2472308 received, and another account's. */
const BATCHES: InputEvents[] = [
  { seq: 7, events: [funding('a', T, '0.0001', '0.1236154', '0.1236154'), funding('b', T, '0.0001', '0.5', '0.5')] },
  { seq: 8, events: [funding('a', T + 8 * 3_600_000, '-0.0002', '-0.2472308', '-0.1236154')] },
  {
    seq: 9,
    events: [
      { type: 'FILL', at: T + 9 * 3_600_000, account: 'a', orderId: '2', clientOrderId: 'c2', symbol: 'BTCUSDT', side: 'SELL', orderType: 'MARKET', status: 'FILLED', realizedPnl: '-0.001', tradeId: '2', price: '61807.7', quantity: '0.01', quoteQuantity: '618.077', fee: '0.3090385', feeAsset: 'USDT', liquidity: 'TAKER', executedQty: '0.01', cumulativeQuoteQty: '618.077' },
      { type: 'POSITION_UPDATED', at: T + 9 * 3_600_000, account: 'a', symbol: 'BTCUSDT', positionId: 'BTCUSDT:1', direction: 'LONG', totalSize: '0.01', entryPrice: '61807.8', leverage: 10, marginUsed: '61.8078', realizedPnl: '-0.001', totalFundingPaid: '-0.1236154', feesPaid: '0.9271165', openedAt: T - 1 },
    ],
  },
];

describeEachDialect((name) => `funding payments in the read model (${name})`, (dialect) => {
  const harnesses: Harness[] = [];
  afterEach(async () => {
    for (const h of harnesses.splice(0)) await h.cleanup();
  });

  it('projects one row per payment, once, and lists the income of one account oldest first', async () => {
    const h = await dialect.open();
    harnesses.push(h);
    const readModel = new ReadModel(h.opened.db);
    await readModel.apply(BATCHES);
    // Applied again without the checkpoint: the rows keyed by (seq, event index) are not doubled.
    await h.opened.db.deleteFrom('read_model_checkpoint').execute();
    await readModel.apply(BATCHES);
    const rows = await h.opened.db.selectFrom('funding_payments').select(['seq', 'eventIndex', 'accountId', 'amount', 'at']).orderBy('seq').orderBy('eventIndex').execute();
    expect(rows.map((r) => [Number(r.seq), r.eventIndex, r.accountId, String(Number(r.at) - T)])).toEqual([
      [7, 0, 'a', '0'],
      [7, 1, 'b', '0'],
      [8, 0, 'a', '28800000'],
    ]);
    const income = await accountIncome(h.opened.db, 'a', {}, () => 'USDT');
    expect(income).toEqual([
      { symbol: 'BTCUSDT', incomeType: 'FUNDING_FEE', income: '-0.12361540', asset: 'USDT', info: 'FUNDING_FEE', time: T, tranId: 7_000_000, tradeId: '' },
      { symbol: 'BTCUSDT', incomeType: 'FUNDING_FEE', income: '0.24723080', asset: 'USDT', info: 'FUNDING_FEE', time: T + 28_800_000, tranId: 8_000_000, tradeId: '' },
      { symbol: 'BTCUSDT', incomeType: 'REALIZED_PNL', income: '-0.00100000', asset: 'USDT', info: 'REALIZED_PNL', time: T + 32_400_000, tranId: 2, tradeId: '2' },
      { symbol: 'BTCUSDT', incomeType: 'COMMISSION', income: '-0.30903850', asset: 'USDT', info: 'COMMISSION', time: T + 32_400_000, tranId: 2, tradeId: '2' },
    ]);
    // Bounds inclusive; a type narrows.
    expect((await accountIncome(h.opened.db, 'a', { start: T + 28_800_000, end: T + 28_800_000 }, () => 'USDT')).map((r) => r.income)).toEqual(['0.24723080']);
    expect((await accountIncome(h.opened.db, 'b', { incomeType: 'FUNDING_FEE' }, () => 'USDT')).map((r) => [r.income, r.tranId])).toEqual([['-0.50000000', 7_000_001]]);
  });
});

describeEachDialect((name) => `income rows of one time and type (${name})`, (dialect) => {
  const harnesses: Harness[] = [];
  afterEach(async () => {
    for (const h of harnesses.splice(0)) await h.cleanup();
  });

  it('come in one order whatever the window: fills by id, then liquidations by position id', async () => {
    const h = await dialect.open();
    harnesses.push(h);
    const { db } = h.opened;
    // Account `5a`: two closing fills (trades 10 and 60, realized −1 and −2, no fee) and a liquidation on
    // ETHUSDT (realized −3), all at T. Compared as text, "10" < "5a:ETHUSDT:1" < "60", while 10 < 60 as
    // numbers: a comparison that mixes the two is no order, and the rows' order would depend on the rest.
    const trade = (id: string, pnl: string) => ({
      id, accountId: '5a', orderId: id, positionId: '5a:BTCUSDT:1', symbol: 'BTCUSDT', side: 'PARTIAL_CLOSE' as const, orderSide: 'SELL' as const, size: '0.001',
      price: '60000', quoteQty: '60', pnl, fee: '0', feeAsset: 'USDT', liquidity: 'TAKER' as const, reason: null, timestamp: T,
    });
    await db.insertInto('trades').values([trade('10', '-1'), trade('60', '-2')]).execute();
    await db.insertInto('positions').values({
      id: '5a:ETHUSDT:1', accountId: '5a', symbol: 'ETHUSDT', direction: 'LONG', totalSize: '0', entryPrice: '3000', currentPrice: '3000', unrealizedPnl: '0', stopLoss: null,
      takeProfit: null, leverage: 10, marginUsed: '0', liquidationPrice: null, status: 'LIQUIDATED', trailingStop: null, totalFundingPaid: '0', openedAt: T - 1, closedAt: T,
      realizedPnl: '-3', feesPaid: '0', liquidatedSize: '1', bankruptcyPrice: '2997',
    }).execute();
    const income = await accountIncome(db, '5a', {}, () => 'USDT');
    expect(income.map((r) => [r.incomeType, r.tranId, r.income])).toEqual([
      ['REALIZED_PNL', 10, '-1.00000000'],
      ['REALIZED_PNL', 60, '-2.00000000'],
      ['REALIZED_PNL', '5a:ETHUSDT:1', '-3.00000000'],
    ]);
  });
});
