/**
 * The reconciler and orders whose createOrder was never answered: a timeout (the venue may have
 * taken the order) or a process that stopped while the request was out. The venue is a real ccxt
 * `mexc` client whose HTTP layer (`fetch`) is stubbed with MEXC's documented answers; the record is
 * an in-memory audit log with the query semantics of persistence/audit-log.ts (oldest first).
 */
import ccxt, { ExchangeError, InsufficientFunds, RequestTimeout } from 'ccxt';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AuditEntry, AuditEntryInput } from '../persistence/audit-log.js';
import { LiveExecutionService } from './live-execution-service.js';
import { LiveReconciler, type VenueRecordLog } from './live-reconciler.js';

class MemoryLog implements VenueRecordLog {
  readonly entries: AuditEntry[] = [];
  async query(q: { accountId?: string; mode?: 'live'; limit?: number; afterId?: number }): Promise<AuditEntry[]> {
    return this.entries.filter((e) => (q.accountId === undefined || e.accountId === q.accountId) && (q.mode === undefined || e.mode === q.mode) && (q.afterId === undefined || e.id > q.afterId)).slice(0, q.limit ?? 100);
  }
  async append(entry: AuditEntryInput): Promise<number> {
    const id = this.entries.length + 1;
    this.entries.push({ id, at: entry.at, actor: entry.actor, mode: entry.mode, action: entry.action, accountId: entry.accountId ?? null, details: JSON.parse(JSON.stringify(entry.details ?? {})) });
    return id;
  }
}

type Route = (url: string, method: string) => unknown;

/** A live service over a stubbed MEXC, recording into `log` as live-ports.ts wires it. */
function liveOver(log: MemoryLog, route: Route) {
  const exchange = new ccxt.mexc({ apiKey: 'k', secret: 's', enableRateLimit: false });
  exchange.setMarkets([{ id: 'BTCUSDT', symbol: 'BTC/USDT', base: 'BTC', quote: 'USDT', baseId: 'BTC', quoteId: 'USDT', spot: true, type: 'spot', active: true, precision: { amount: 0.000001, price: 0.01 }, limits: {} } as never]);
  const fetch = vi.spyOn(exchange, 'fetch').mockImplementation(async (url: string, method = 'GET') => route(url, method));
  const live = new LiveExecutionService(exchange, {
    readRetries: 0,
    record: (entry) => log.append({ at: 1, actor: 'live-venue', mode: 'live', action: `venue.${entry.op}`, accountId: entry.accountId, details: { sent: entry.sent, answered: entry.answered } }),
  });
  const reconciler = new LiveReconciler(live, log, { accounts: async () => ['alice'], symbols: () => ['BTCUSDT'], wallClock: () => 2 });
  return { live, reconciler, fetch };
}

const FILLED = {
  symbol: 'BTCUSDT', orderId: 'C02__9', orderListId: '-1', clientOrderId: 'lost-1', price: '60000', origQty: '0.001', executedQty: '0.001',
  cummulativeQuoteQty: '60', status: 'FILLED', type: 'LIMIT', side: 'BUY', time: 1_723_161_300_000, updateTime: 1_723_161_300_500,
};
const timedOut = () => {
  throw new RequestTimeout('mexc POST https://api.mexc.com/api/v3/order request timed out (10000 ms)');
};
const LIMIT = { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.001', price: '60000' } as const;

afterEach(() => vi.restoreAllMocks());

describe('LiveReconciler: orders sent without an answer', () => {
  it('a timed-out order that reached the venue and filled is reported, once', async () => {
    const log = new MemoryLog();
    const { live, reconciler } = liveOver(log, (url, method) => {
      if (method === 'POST') timedOut();
      if (url.includes('/api/v3/openOrders')) return [];
      if (url.includes('/api/v3/order?') && url.includes('origClientOrderId=lost-1')) return FILLED;
      throw new Error(`unexpected ${method} ${url}`);
    });
    expect(await live.placeOrder('alice', { ...LIMIT, clientOrderId: 'lost-1' })).toMatchObject({ ok: false, error: { code: 'EXCHANGE_UNAVAILABLE' } });
    const report = await reconciler.run();
    expect(report.differences).toEqual([
      expect.objectContaining({ accountId: 'alice', kind: 'status-changed', orderId: 'C02__9', clientOrderId: 'lost-1', symbol: 'BTCUSDT', recorded: 'UNANSWERED', venue: 'FILLED' }),
    ]);
    expect(report.accounts).toEqual([{ accountId: 'alice', ordersChecked: 1 }]);
    expect((await reconciler.run()).differences).toEqual([]);
  });

  it('a timed-out order resting on the venue is reported as the one sent, not as placed elsewhere', async () => {
    const log = new MemoryLog();
    const resting = { ...FILLED, executedQty: '0', cummulativeQuoteQty: '0', status: 'NEW' };
    const { live, reconciler } = liveOver(log, (url, method) => {
      if (method === 'POST') timedOut();
      if (url.includes('/api/v3/openOrders')) return [resting];
      throw new Error(`unexpected ${method} ${url}`);
    });
    await live.placeOrder('alice', { ...LIMIT, clientOrderId: 'lost-1' });
    const report = await reconciler.run();
    expect(report.differences).toEqual([expect.objectContaining({ kind: 'status-changed', orderId: 'C02__9', clientOrderId: 'lost-1', recorded: 'UNANSWERED', venue: 'NEW' })]);
  });

  it('an order out when the process stopped is looked up on restart by its clientOrderId', async () => {
    const log = new MemoryLog();
    // The first process sends the order and never hears back (it stops with the request out).
    const first = liveOver(log, (_url, method) => (method === 'POST' ? new Promise(() => {}) : []));
    void first.live.placeOrder('alice', { ...LIMIT, clientOrderId: 'lost-1' });
    await vi.waitFor(() => expect(first.fetch).toHaveBeenCalledTimes(1));
    // The restarted one finds it filled on the venue.
    const restarted = liveOver(log, (url, method) => {
      if (url.includes('/api/v3/openOrders')) return [];
      if (url.includes('/api/v3/order?') && url.includes('origClientOrderId=lost-1')) return FILLED;
      throw new Error(`unexpected ${method} ${url}`);
    });
    expect((await restarted.reconciler.run()).differences).toEqual([expect.objectContaining({ kind: 'status-changed', orderId: 'C02__9', clientOrderId: 'lost-1', recorded: 'UNANSWERED', venue: 'FILLED' })]);
  });

  it('one that never reached the venue, or that the venue refused, is settled without a report', async () => {
    const log = new MemoryLog();
    const { live, reconciler, fetch } = liveOver(log, (url, method) => {
      if (method === 'POST' && url.includes('newClientOrderId=refused')) throw new InsufficientFunds('mexc {"code":30004,"msg":"Insufficient position"}');
      if (method === 'POST') timedOut();
      if (url.includes('/api/v3/openOrders')) return [];
      if (url.includes('origClientOrderId=lost-2')) throw new ExchangeError('mexc {"code":-2013,"msg":"Order does not exist."}');
      throw new Error(`unexpected ${method} ${url}`);
    });
    await live.placeOrder('alice', { ...LIMIT, clientOrderId: 'refused' });
    await live.placeOrder('alice', { ...LIMIT, clientOrderId: 'lost-2' });
    fetch.mockClear();
    expect((await reconciler.run()).differences).toEqual([]);
    const asked = fetch.mock.calls.map(([url]) => String(url));
    expect(asked.filter((u) => u.includes('origClientOrderId=lost-2'))).toHaveLength(1);
    expect(asked.some((u) => u.includes('refused'))).toBe(false);
    fetch.mockClear();
    expect((await reconciler.run()).differences).toEqual([]);
    expect(fetch.mock.calls.some(([url]) => String(url).includes('origClientOrderId'))).toBe(false);
  });
});
