/**
 * The live read port through a real ccxt `mexc` client whose HTTP layer is stubbed with MEXC's
 * documented answers (https://mexcdevelop.github.io/apidocs/spot_v3_en/#all-orders,
 * #account-trade-list): the brief cache and its age, invalidation by the account's own orders,
 * MEXC's exact decimal strings, and a halted account's summary.
 */
import ccxt, { AuthenticationError, RequestTimeout } from 'ccxt';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LiveAccountReads } from './live-account-reads.js';
import { LiveExecutionService } from './live-execution-service.js';

const ORDER = {
  symbol: 'BTCUSDT', orderId: '101', orderListId: '-1', clientOrderId: 'mine-1', price: '60000', origQty: '0.001', executedQty: '0.001',
  cummulativeQuoteQty: '60', status: 'FILLED', timeInForce: null, type: 'LIMIT', side: 'BUY', time: 1_723_161_300_000, updateTime: 1_723_161_300_500,
};
const TRADE = {
  symbol: 'BTCUSDT', id: '9001', orderId: '101', orderListId: -1, price: '60000', qty: '0.001', quoteQty: '60', commission: '0.000001',
  commissionAsset: 'BTC', time: 1_723_161_300_400, isBuyer: true, isMaker: true, isBestMatch: true, isSelfTrade: false, clientOrderId: 'mine-1',
};

function harness(route: (url: string, method: string) => unknown, pollMs?: number) {
  const exchange = new ccxt.mexc({ apiKey: 'k', secret: 's', enableRateLimit: false });
  exchange.setMarkets([
    { id: 'BTCUSDT', symbol: 'BTC/USDT', base: 'BTC', quote: 'USDT', baseId: 'BTC', quoteId: 'USDT', spot: true, type: 'spot', active: true, precision: { amount: 0.000001, price: 0.01 }, limits: {} } as never,
  ]);
  const fetch = vi.spyOn(exchange, 'fetch').mockImplementation(async (url: string, method = 'GET') => route(url, method));
  const live = new LiveExecutionService(exchange, { readRetries: 0 });
  let now = 1_800_000_000_000;
  const reads = new LiveAccountReads(live, { symbols: () => ['BTCUSDT'], baseOf: () => 'BTC', accountType: () => 'spot', cacheMs: 1_000, wallClock: () => now, ...(pollMs !== undefined ? { pollMs } : {}) });
  const calls = (path: string) => fetch.mock.calls.filter(([url]) => String(url).includes(path)).length;
  return { reads, live, calls, advance: (ms: number) => (now += ms), at: () => now };
}

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

/**
 * A venue read held until the test lets it answer: the venue's route awaits `hold()`; `out()` waits
 * until a held read is out; `answer()` waits for it, lets it answer and gives the poll 50 ms to finish.
 */
function heldRead() {
  let release: (() => void) | undefined;
  const out = () => vi.waitFor(() => expect(release).toBeDefined());
  return {
    hold: () => new Promise<void>((resolve) => (release = resolve)),
    out,
    async answer() {
      await out();
      const answer = release!;
      release = undefined;
      answer();
      await new Promise((resolve) => setTimeout(resolve, 50));
    },
  };
}

/** What the account channel tells of orders, as `label` words each. */
function toldOf(h: ReturnType<typeof harness>, label: (order: { orderId: string; status: string }) => string) {
  const told: string[] = [];
  const stop = h.reads.watchAccount('alice', (m) => {
    if ('event' in m) told.push(label((m.event as { order: { orderId: string; status: string } }).order));
  });
  return { told, stop };
}

describe('LiveAccountReads', () => {
  it('keeps an answer for cacheMs and says when the venue gave it; the account\'s own order drops it', async () => {
    const h = harness((url, method) => {
      if (url.includes('/api/v3/allOrders')) return [ORDER];
      if (url.includes('/api/v3/order?') && method === 'POST') return { symbol: 'BTCUSDT', orderId: '102', orderListId: -1 };
      if (url.includes('/api/v3/order?')) return { ...ORDER, orderId: '102', status: 'NEW', executedQty: '0' };
      throw new Error(`unexpected ${method} ${url}`);
    });
    const first = await h.reads.orderHistory('alice', { limit: 10, offset: 0 });
    const asOf = h.at();
    expect(first).toEqual({ ok: true, value: { asOf, value: [expect.objectContaining({ id: '101', accountId: 'alice', status: 'FILLED', executedQty: '0.001', cumulativeQuoteQty: '60', price: '60000' })] } });
    h.advance(999);
    expect(await h.reads.orderHistory('alice', { limit: 10, offset: 0 })).toMatchObject({ ok: true, value: { asOf } });
    expect(h.calls('/api/v3/allOrders')).toBe(1);
    h.advance(1);
    expect(await h.reads.orderHistory('alice', { limit: 10, offset: 0 })).toMatchObject({ ok: true, value: { asOf: asOf + 1_000 } });
    expect(h.calls('/api/v3/allOrders')).toBe(2);
    await h.live.placeOrder('alice', { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.001', price: '59000' });
    await h.reads.orderHistory('alice', { limit: 10, offset: 0 });
    expect(h.calls('/api/v3/allOrders')).toBe(3);
  });

  it("a read answered after the account's own order is not kept: the next read asks the venue and sees the order", async () => {
    const placed = { ...ORDER, orderId: '102', status: 'NEW', executedQty: '0', cummulativeQuoteQty: '0' };
    let venueOrders: unknown[] = [ORDER];
    let release: (() => void) | undefined;
    const h = harness(async (url, method) => {
      if (url.includes('/api/v3/allOrders')) {
        const answer = venueOrders; // read now, answered later
        if (release === undefined) await new Promise<void>((resolve) => (release = resolve));
        return answer;
      }
      if (url.includes('/api/v3/order?') && method === 'POST') return { symbol: 'BTCUSDT', orderId: '102', orderListId: -1 };
      if (url.includes('/api/v3/order?')) return placed;
      throw new Error(`unexpected ${method} ${url}`);
    });
    const before = h.reads.orderHistory('alice', { limit: 10, offset: 0 });
    await vi.waitFor(() => expect(release).toBeDefined());
    expect(await h.live.placeOrder('alice', { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.001', price: '60000' })).toMatchObject({ ok: true });
    venueOrders = [ORDER, placed];
    release!();
    // The read that was out answers what the venue held when it was read…
    expect(await before).toMatchObject({ ok: true, value: { value: [{ id: '101' }] } });
    // …but a read after the order, within cacheMs, asks again and sees it.
    const after = await h.reads.orderHistory('alice', { limit: 10, offset: 0 });
    expect(after.ok && after.value.value.map((r) => r.id)).toEqual(['102', '101']); // newest first; same time, so by id
    expect(h.calls('/api/v3/allOrders')).toBe(2);
  });

  it("fills carry MEXC's own decimal strings, fee asset and liquidity; realized PnL is counted at average price", async () => {
    const sell = { ...TRADE, id: '9002', orderId: '103', price: '61000', qty: '0.000999', quoteQty: '60.939', commission: '0.060939', commissionAsset: 'USDT', isBuyer: false, isMaker: false, time: TRADE.time + 1, clientOrderId: '' };
    const h = harness((url) => (url.includes('/api/v3/myTrades') ? [TRADE, sell] : []));
    expect(await h.reads.fills('alice', { symbol: 'BTCUSDT' })).toMatchObject({
      ok: true,
      value: {
        value: [
          { id: '9001', orderId: '101', clientOrderId: 'mine-1', side: 'BUY', price: '60000', quantity: '0.001', quoteQuantity: '60', fee: '0.000001', feeAsset: 'BTC', liquidity: 'MAKER', time: TRADE.time },
          { id: '9002', orderId: '103', clientOrderId: null, side: 'SELL', price: '61000', quantity: '0.000999', fee: '0.060939', feeAsset: 'USDT', liquidity: 'TAKER' },
        ],
      },
    });
    // Bought 0.001 paying 0.000001 BTC: 0.000999 held at 60000; selling it at 61000 realizes 0.000999 × 1000 = 0.999.
    const rows = await h.reads.fillsWithPnl('alice');
    expect(rows.ok && rows.value.value.map((r) => r.realizedPnl)).toEqual([null, '0.999']);
  });

  it('a halted account says so in its summary without asking the venue again', async () => {
    const h = harness(() => {
      throw new AuthenticationError('mexc {"code":10072,"msg":"Api key info invalid"}');
    });
    expect(await h.reads.summary('alice')).toMatchObject({ ok: false, error: { code: 'EXCHANGE_AUTH_FAILED' } });
    expect(await h.reads.summary('alice')).toEqual({ ok: true, value: { asOf: h.at(), value: { halted: true, haltReason: 'Api key info invalid', equity: null, balances: {} } } });
    expect(h.calls('/api/v3/account')).toBe(1);
  });

  it('an order that left the open orders while its read failed is told once the venue answers again, not lost', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const resting = { ...ORDER, executedQty: '0', cummulativeQuoteQty: '0', status: 'NEW' };
    let phase: 'resting' | 'filled, read fails' | 'filled' = 'resting';
    const h = harness((url) => {
      if (url.includes('/api/v3/openOrders')) return phase === 'resting' ? [resting] : [];
      if (url.includes('/api/v3/order?')) {
        if (phase === 'filled, read fails') throw new RequestTimeout('mexc GET https://api.mexc.com/api/v3/order request timed out (10000 ms)');
        return ORDER;
      }
      if (url.includes('/api/v3/account')) return { balances: [] };
      throw new Error(`unexpected ${url}`);
    }, 5_000);
    const told: { status: string; executedQty: string }[] = [];
    const stop = h.reads.watchAccount('alice', (m) => {
      if ('event' in m) told.push((m.event as { order: { status: string; executedQty: string } }).order);
    });
    await vi.waitFor(() => expect(h.calls('/api/v3/openOrders')).toBe(1));
    phase = 'filled, read fails';
    vi.advanceTimersByTime(5_000);
    await vi.waitFor(() => expect(h.calls('/api/v3/order?')).toBe(1));
    phase = 'filled';
    vi.advanceTimersByTime(5_000);
    await vi.waitFor(() => expect(told).toEqual([expect.objectContaining({ status: 'FILLED', executedQty: '0.001' })]));
    stop();
  });

  it("a poll that read the open orders before the service's own cancel does not tell the order open again after it", async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const resting = { ...ORDER, executedQty: '0', cummulativeQuoteQty: '0', status: 'NEW' };
    const read = heldRead();
    const h = harness(async (url, method) => {
      if (url.includes('/api/v3/openOrders')) {
        // The venue's answer, as it was before the cancel, arrives after it.
        await read.hold();
        return [resting];
      }
      if (url.includes('/api/v3/order?') && method === 'DELETE') return { ...resting, status: 'CANCELED' };
      if (url.includes('/api/v3/account')) return { balances: [] };
      throw new Error(`unexpected ${method} ${url}`);
    }, 5_000);
    const { told, stop } = toldOf(h, (o) => o.status);
    await read.answer(); // the first poll ends: the order is open
    vi.advanceTimersByTime(5_000);
    await read.out();
    expect(await h.live.cancelOrder('alice', { orderId: '101', symbol: 'BTCUSDT' })).toMatchObject({ ok: true });
    await read.answer();
    expect(told).toEqual(['CANCELED']);
    stop();
  });

  it("an order the service places while a poll reads is told once, not again by that poll", async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const placed = { ...ORDER, orderId: '102', executedQty: '0', cummulativeQuoteQty: '0', status: 'NEW' };
    let venueOpen: unknown[] = [];
    const read = heldRead();
    const h = harness(async (url, method) => {
      if (url.includes('/api/v3/openOrders')) {
        const answer = venueOpen; // read now, answered later
        await read.hold();
        return answer;
      }
      if (url.includes('/api/v3/order?') && method === 'POST') return { symbol: 'BTCUSDT', orderId: '102', orderListId: -1 };
      if (url.includes('/api/v3/order?')) return placed;
      if (url.includes('/api/v3/account')) return { balances: [] };
      throw new Error(`unexpected ${method} ${url}`);
    }, 5_000);
    const { told, stop } = toldOf(h, (o) => `${o.orderId} ${o.status}`);
    await read.answer();
    vi.advanceTimersByTime(5_000);
    await read.out();
    expect(await h.live.placeOrder('alice', { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.001', price: '60000', clientOrderId: 'mine-1' })).toMatchObject({ ok: true });
    venueOpen = [placed];
    await read.answer();
    vi.advanceTimersByTime(5_000);
    await read.answer();
    expect(told).toEqual(['102 NEW']);
    stop();
  });

  // The first poll has no earlier state to compare with: it only learns what is open. What the service
  // tells while it reads is newer than its reads, and must be learnt too, or the next poll tells it again.
  it('an order the service places while the first poll reads is told once, and its end is still told', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const placed = { ...ORDER, orderId: '102', executedQty: '0', cummulativeQuoteQty: '0', status: 'NEW' };
    let venueOpen: unknown[] = [];
    let venueOrder: unknown = placed;
    const read = heldRead();
    const h = harness(async (url, method) => {
      if (url.includes('/api/v3/openOrders')) {
        const answer = venueOpen; // read now, answered later
        await read.hold();
        return answer;
      }
      if (url.includes('/api/v3/order?') && method === 'POST') return { symbol: 'BTCUSDT', orderId: '102', orderListId: -1 };
      if (url.includes('/api/v3/order?')) return venueOrder;
      if (url.includes('/api/v3/account')) return { balances: [] };
      throw new Error(`unexpected ${method} ${url}`);
    }, 5_000);
    const { told, stop } = toldOf(h, (o) => `${o.orderId} ${o.status}`);
    const nextPoll = () => read.answer();
    // The first poll has read the venue (nothing open) when the service places the order.
    await read.out();
    expect(await h.live.placeOrder('alice', { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.001', price: '60000', clientOrderId: 'mine-1' })).toMatchObject({ ok: true });
    venueOpen = [placed];
    await nextPoll();
    vi.advanceTimersByTime(5_000);
    await nextPoll(); // the venue now shows the order as it was told: nothing new
    expect(told).toEqual(['102 NEW']);
    venueOpen = [];
    venueOrder = { ...ORDER, orderId: '102' }; // filled at the venue
    vi.advanceTimersByTime(5_000);
    await nextPoll();
    expect(told).toEqual(['102 NEW', '102 FILLED']);
    stop();
  });

  it('an order the service cancels while the first poll reads is told cancelled once', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const resting = { ...ORDER, executedQty: '0', cummulativeQuoteQty: '0', status: 'NEW' };
    let venueOpen: unknown[] = [resting];
    const read = heldRead();
    const h = harness(async (url, method) => {
      if (url.includes('/api/v3/openOrders')) {
        const answer = venueOpen; // read now, answered later
        await read.hold();
        return answer;
      }
      if (url.includes('/api/v3/order?') && method === 'DELETE') return { ...resting, status: 'CANCELED' };
      if (url.includes('/api/v3/order?')) return { ...resting, status: 'CANCELED' };
      if (url.includes('/api/v3/account')) return { balances: [] };
      throw new Error(`unexpected ${method} ${url}`);
    }, 5_000);
    const { told, stop } = toldOf(h, (o) => o.status);
    // The first poll has read the order open when the service cancels it.
    await read.out();
    expect(await h.live.cancelOrder('alice', { orderId: '101', symbol: 'BTCUSDT' })).toMatchObject({ ok: true });
    venueOpen = [];
    await read.answer();
    vi.advanceTimersByTime(5_000);
    await read.answer();
    expect(told).toEqual(['CANCELED']);
    stop();
  });

  it("an order the service cancels while a poll reads its end is told once", async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const resting = { ...ORDER, executedQty: '0', cummulativeQuoteQty: '0', status: 'NEW' };
    let venueOpen: unknown[] = [resting];
    const read = heldRead();
    const h = harness(async (url, method) => {
      if (url.includes('/api/v3/openOrders')) return venueOpen;
      if (url.includes('/api/v3/order?') && method === 'DELETE') return { ...resting, status: 'CANCELED' };
      if (url.includes('/api/v3/order?')) {
        await read.hold(); // the poll's read of the order, answered later
        return { ...resting, status: 'CANCELED' };
      }
      if (url.includes('/api/v3/account')) return { balances: [] };
      throw new Error(`unexpected ${method} ${url}`);
    }, 5_000);
    const { told, stop } = toldOf(h, (o) => o.status);
    await vi.waitFor(() => expect(h.calls('/api/v3/openOrders')).toBe(1));
    await new Promise((resolve) => setTimeout(resolve, 50)); // the first poll ends: the order is open
    venueOpen = []; // the venue's list no longer shows it
    vi.advanceTimersByTime(5_000);
    await read.out();
    expect(await h.live.cancelOrder('alice', { orderId: '101', symbol: 'BTCUSDT' })).toMatchObject({ ok: true });
    await read.answer();
    expect(told).toEqual(['CANCELED']);
    stop();
  });
});
