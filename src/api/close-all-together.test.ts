/**
 * `POST /api/positions/close-all` closes every position as one step
 * (`OrderExecutionService.placeOrders`): on paper the reduce-only market orders are one run of the
 * journal, stamped with one time, with no market input between them, as a venue's close of all
 * positions, and one fdatasync covers them and the `position.close` audit entry, where each order
 * and the entry cost one before. A close that is refused does not hide the closes that were made:
 * the answer lists the orders placed and, by symbol, the closes that were not.
 * The account holds positions on three perpetuals: the bundled USD-M recording's BTCUSDT and the
 * same data under XBTUSDT and YBTUSDT (test-kit `mirrors`), so that the three books are the same.
 * The oracles are independent of the engine's answers: the journal's rows as stored, the process's
 * fdatasyncs counted at the file handle (test-kit/held-syncs.ts), the positions read back, and the
 * two longs' fills, which meet the same book when nothing moves it between them.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { parseFixed } from '../core/money/fixed.js';
import { USDM_RECORDING } from '../test-kit/data-paths.js';
import { watchSyncs } from '../test-kit/held-syncs.js';
import { journalAfter, journalHead } from '../test-kit/journal-rows.js';
import { closeAll, MIRRORS, openAccount, openPosition, threePositions, type Order } from '../test-kit/position-close-kit.js';
import { startTestService, type TestService } from '../test-kit/service-kit.js';
import { sleep } from '../test-kit/wait.js';
import { watchedService } from '../test-kit/watched-service.js';

const UNTIL = 1723161300000;

async function positions(service: TestService, headers: { authorization: string }): Promise<{ symbol: string; totalSize: string }[]> {
  await service.engine.readModelCaughtUp();
  return (await service.app.inject({ url: '/api/account/positions', headers })).json<{ items: { symbol: string; totalSize: string }[] }>().items;
}

describe('closing every position as one step', () => {
  const watched = watchedService({ recording: USDM_RECORDING, until: UNTIL, mirrors: MIRRORS });
  let service: TestService;
  beforeAll(() => ({ service } = watched));

  it('three positions: one fdatasync (four before), every position flat, one audit entry naming the three closes, and the two longs sold on one book', async () => {
    const { syncs } = watched;
    const account = await openAccount(service, 'three');
    await threePositions(service, account.headers);
    expect((await positions(service, account.headers)).map((p) => [p.symbol, p.totalSize])).toEqual([['BTCUSDT', '0.5'], ['XBTUSDT', '0.3'], ['YBTUSDT', '0.2']]);
    const before = syncs.count;
    const res = await closeAll(service, account.headers);
    expect(res.statusCode, res.body).toBe(200);
    expect(syncs.count - before).toBe(1);
    const { orders, errors } = res.json<{ orders: Order[]; errors?: unknown }>();
    expect(errors).toBeUndefined();
    expect(orders.map((o) => [o.symbol, o.side, o.status, o.executedQty])).toEqual([['BTCUSDT', 'SELL', 'FILLED', '0.5'], ['XBTUSDT', 'BUY', 'FILLED', '0.3'], ['YBTUSDT', 'SELL', 'FILLED', '0.2']]);
    expect(await positions(service, account.headers)).toEqual([]);
    // The same book under both symbols, nothing between the two sells: the same average price,
    // compared exactly (quote₀ × size₂ = quote₂ × size₀).
    const [btc, ybt] = [orders[0]!, orders[2]!];
    expect(parseFixed(btc.cumulativeQuoteQty) * parseFixed(ybt.executedQty)).toBe(parseFixed(ybt.cumulativeQuoteQty) * parseFixed(btc.executedQty));
    const entries = await service.deps.audit.query({ accountId: account.id, action: 'position.close', limit: 10 });
    expect(entries).toHaveLength(1);
    expect(entries[0]!.details).toEqual({
      symbols: ['BTCUSDT', 'XBTUSDT', 'YBTUSDT'],
      closes: orders.map((o) => ({ symbol: o.symbol, clientOrderId: o.clientOrderId, result: { orderId: o.orderId, status: 'FILLED' } })),
    });
  });

  it('with market data flowing, the closes are one run of the journal stamped with one time: no market input between them', async () => {
    const account = await openAccount(service, 'flowing');
    await threePositions(service, account.headers);
    const head = await journalHead(service);
    let feeding = true;
    const feed = (async () => {
      while (feeding) await service.feedFor(100, 100);
    })();
    await sleep(20);
    const res = await closeAll(service, account.headers);
    feeding = false;
    await feed;
    expect(res.statusCode, res.body).toBe(200);
    const rows = await journalAfter(service, head);
    const closes = rows.filter((r) => r.kind === 'order.place' && r.account === account.id);
    expect(closes.map((r) => r.symbol)).toEqual(['BTCUSDT', 'XBTUSDT', 'YBTUSDT']);
    expect(rows.some((r) => r.seq < closes[0]!.seq && r.kind !== 'order.place')).toBe(true);
    expect(closes.at(-1)!.seq - closes[0]!.seq).toBe(2);
    expect(new Set(closes.map((r) => r.time)).size).toBe(1);
    expect(await positions(service, account.headers)).toEqual([]);
  });
});

describe('a close that is refused among closes that are made', () => {
  it('answers the orders placed and, by symbol, the close refused; the refused position stays and the audit entry names both', async () => {
    // A MARKET order may be at most 1 BTC here (Binance's MARKET_LOT_SIZE maxQty): a long of 1.5 cannot be closed at once.
    const service = await startTestService({ recording: USDM_RECORDING, until: UNTIL, mirrors: ['XBTUSDT'], instrument: (i) => ({ ...i, maxMarketQty: 10n ** 18n }) });
    try {
      const account = await openAccount(service, 'refused');
      await openPosition(service, account.headers, 'BTCUSDT', 'BUY', '0.75');
      await openPosition(service, account.headers, 'BTCUSDT', 'BUY', '0.75');
      await openPosition(service, account.headers, 'XBTUSDT', 'SELL', '0.3');
      const res = await closeAll(service, account.headers);
      expect(res.statusCode, res.body).toBe(200);
      const { orders, errors } = res.json<{ orders: Order[]; errors: { symbol: string; clientOrderId: string; code: string; message: string }[] }>();
      expect(orders.map((o) => [o.symbol, o.side, o.status, o.executedQty])).toEqual([['XBTUSDT', 'BUY', 'FILLED', '0.3']]);
      expect(errors).toEqual([{ symbol: 'BTCUSDT', clientOrderId: expect.stringMatching(/^pt[0-9a-f]{24}$/), code: 'MAX_MARKET_QUANTITY', message: expect.stringContaining('1 BTC') }]);
      expect((await positions(service, account.headers)).map((p) => [p.symbol, p.totalSize])).toEqual([['BTCUSDT', '1.5']]);
      const [entry] = await service.deps.audit.query({ accountId: account.id, action: 'position.close', limit: 10 });
      expect(entry!.details['closes']).toMatchObject([
        { symbol: 'BTCUSDT', clientOrderId: errors[0]!.clientOrderId, result: { code: 'MAX_MARKET_QUANTITY', message: errors[0]!.message } },
        { symbol: 'XBTUSDT', result: { orderId: orders[0]!.orderId, status: 'FILLED' } },
      ]);
      // Only refusals left: the refusal is the answer, as for a single close.
      const again = await closeAll(service, account.headers);
      expect(again.statusCode, again.body).toBe(400);
      expect(again.json()).toMatchObject({ code: 'MAX_MARKET_QUANTITY' });
    } finally {
      await service.close();
    }
  });
});

describe('closing every position when the fdatasync fails', () => {
  it('answers 503 (the outcome unknown), not 200, and the engine stops; a close of all positions after that is 503 too', async () => {
    const service = await startTestService({ recording: USDM_RECORDING, until: UNTIL, mirrors: MIRRORS, engine: { onError: () => undefined } });
    const syncs = await watchSyncs();
    try {
      const account = await openAccount(service, 'eio');
      await threePositions(service, account.headers);
      syncs.failNext(Object.assign(new Error('EIO: i/o error, fdatasync (injected)'), { code: 'EIO' }));
      const res = await closeAll(service, account.headers);
      expect(res.statusCode, res.body).toBe(503);
      expect(res.json()).toMatchObject({ code: 'UNAVAILABLE' });
      expect(service.engine.status.state).toBe('failed');
      // The entry was committed before the answer (its fdatasync failed with the orders').
      expect(await service.deps.audit.query({ accountId: account.id, action: 'position.close', limit: 10 })).toHaveLength(1);
      const again = await closeAll(service, account.headers);
      expect(again.statusCode, again.body).toBe(503);
      expect(again.json()).toMatchObject({ code: 'UNAVAILABLE' });
    } finally {
      syncs.restore();
      await service.close().catch(() => undefined);
    }
  });
});
