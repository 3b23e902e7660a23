/**
 * The live service through a real ccxt `mexc` client whose HTTP layer (`fetch`) is stubbed with
 * MEXC's documented answers: what gets signed and sent, how answers map back, retries and halting.
 * (The end-to-end run against a local MEXC-compatible server comes with the /api/v3 routes.)
 */
import ccxt, { AuthenticationError, InsufficientFunds, NetworkError, OrderNotFound, RequestTimeout, type Exchange } from 'ccxt';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LiveExecutionService } from './live-execution-service.js';

type Route = (url: string, method: string) => unknown;

function mexcWith(route: Route) {
  const exchange = new ccxt.mexc({ apiKey: 'test-key', secret: 'test-secret', enableRateLimit: false });
  exchange.setMarkets([
    { id: 'BTCUSDT', symbol: 'BTC/USDT', base: 'BTC', quote: 'USDT', baseId: 'BTC', quoteId: 'USDT', spot: true, type: 'spot', active: true, precision: { amount: 0.000001, price: 0.01 }, limits: {} } as never,
  ]);
  const fetch = vi.spyOn(exchange, 'fetch').mockImplementation(async (url: string, method = 'GET') => route(url, method));
  const sleep = vi.fn(async (_ms: number) => {});
  const service = new LiveExecutionService(exchange, { sleep });
  return { exchange, fetch, sleep, service };
}

const ORDER = {
  symbol: 'BTCUSDT', orderId: 'C02__1', orderListId: '-1', clientOrderId: 'mine-1', price: '60000', origQty: '0.001', executedQty: '0',
  cummulativeQuoteQty: '0', status: 'NEW', timeInForce: null, type: 'LIMIT_MAKER', side: 'BUY', time: 1_723_161_300_000, updateTime: 1_723_161_300_000,
};

afterEach(() => vi.restoreAllMocks());

describe('LiveExecutionService', () => {
  it('places, reads back, queries and cancels an order through ccxt, signed as MEXC wants', async () => {
    const { fetch, service } = mexcWith((url, method) => {
      if (url.includes('/api/v3/order?') && method === 'POST') return { symbol: 'BTCUSDT', orderId: 'C02__1', orderListId: -1 };
      if (url.includes('/api/v3/order?') && method === 'GET') return ORDER;
      if (url.includes('/api/v3/order?') && method === 'DELETE') return { ...ORDER, status: 'CANCELED' };
      if (url.includes('/api/v3/openOrders')) return [ORDER];
      if (url.includes('/api/v3/account')) return { balances: [{ asset: 'USDT', free: '940.00000001', locked: '60' }] };
      throw new Error(`unexpected ${method} ${url}`);
    });
    const placed = await service.placeOrder('default', { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT_MAKER', quantity: '0.001', price: '60000', clientOrderId: 'mine-1' });
    expect(placed).toEqual({
      ok: true,
      value: { orderId: 'C02__1', clientOrderId: 'mine-1', symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT_MAKER', status: 'NEW', price: '60000', quantity: '0.001', executedQty: '0', cumulativeQuoteQty: '0', createdAt: 1_723_161_300_000, updatedAt: 1_723_161_300_000, mode: 'live' },
    });
    const [url, method, headers] = fetch.mock.calls[0]!;
    expect(method).toBe('POST');
    expect(url).toMatch(/^https:\/\/api\.mexc\.com\/api\/v3\/order\?/);
    expect(url).toContain('type=LIMIT_MAKER');
    expect(url).toContain('newClientOrderId=mine-1');
    expect(url).toMatch(/&signature=[0-9a-f]{64}$/);
    expect(headers).toMatchObject({ 'X-MEXC-APIKEY': 'test-key' });

    expect(await service.getOrder('default', { clientOrderId: 'mine-1', symbol: 'BTCUSDT' })).toMatchObject({ ok: true, value: { orderId: 'C02__1', status: 'NEW' } });
    expect(String(fetch.mock.calls.at(-1)![0])).toContain('origClientOrderId=mine-1');
    expect(await service.openOrders('default', 'BTCUSDT')).toMatchObject({ ok: true, value: [{ orderId: 'C02__1' }] });
    expect(await service.balances('default')).toEqual({ ok: true, value: { USDT: { free: '940.00000001', locked: '60' } } });
    expect(await service.cancelOrder('default', { orderId: 'C02__1', symbol: 'BTCUSDT' })).toMatchObject({ ok: true, value: { orderId: 'C02__1', status: 'CANCELED' } });
  });

  it('cancels many orders one by one: each DELETE leaves only once the one before it was answered, the answers in order', async () => {
    let inFlight = 0;
    let most = 0;
    const sent: string[] = [];
    const { service } = mexcWith(async (url, method) => {
      if (method !== 'DELETE') throw new Error(`unexpected ${method} ${url}`);
      inFlight += 1;
      most = Math.max(most, inFlight);
      const orderId = /orderId=([^&]+)/.exec(url)![1]!;
      sent.push(orderId);
      await new Promise((resolve) => setTimeout(resolve, 5));
      inFlight -= 1;
      if (orderId === 'C02__2') throw new OrderNotFound('mexc {"code":-2011,"msg":"Unknown order sent."}');
      return { ...ORDER, orderId, status: 'CANCELED' };
    });
    const results = await service.cancelOrders('default', ['C02__1', 'C02__2', 'C02__3'].map((orderId) => ({ orderId, symbol: 'BTCUSDT' })));
    expect(sent).toEqual(['C02__1', 'C02__2', 'C02__3']);
    expect(most).toBe(1);
    expect(results.map((o) => (o.status === 'rejected' ? 'thrown' : o.value.ok ? o.value.value.orderId : o.value.error.code))).toEqual(['C02__1', 'UNKNOWN_ORDER', 'C02__3']);
  });

  it('places many orders one by one: each POST leaves only once the one before it was answered, the answers in order', async () => {
    let inFlight = 0;
    let most = 0;
    const sent: string[] = [];
    const { service } = mexcWith(async (url, method) => {
      const clientOrderId = /(?:newC|origC)lientOrderId=([^&]+)/.exec(url)![1]!;
      if (method === 'GET') return { ...ORDER, orderId: `C02__${clientOrderId}`, clientOrderId, type: 'MARKET', status: 'FILLED' };
      if (method !== 'POST') throw new Error(`unexpected ${method} ${url}`);
      inFlight += 1;
      most = Math.max(most, inFlight);
      sent.push(clientOrderId);
      await new Promise((resolve) => setTimeout(resolve, 5));
      inFlight -= 1;
      if (clientOrderId === 'b') throw new InsufficientFunds('mexc {"code":30004,"msg":"Insufficient position"}');
      return { symbol: 'BTCUSDT', orderId: `C02__${clientOrderId}`, orderListId: -1 };
    });
    const results = await service.placeOrders('default', ['a', 'b', 'c'].map((clientOrderId) => ({ symbol: 'BTCUSDT', side: 'SELL', type: 'MARKET', quantity: '0.001', clientOrderId }) as const));
    expect(sent).toEqual(['a', 'b', 'c']);
    expect(most).toBe(1);
    expect(results.map((o) => (o.status === 'rejected' ? 'thrown' : o.value.ok ? o.value.value.clientOrderId : o.value.error.code))).toEqual(['a', 'INSUFFICIENT_BALANCE', 'c']);
  });

  it('a market buy sized in quote is sent as quoteOrderQty', async () => {
    const { fetch, service } = mexcWith((url, method) => (method === 'POST' ? { symbol: 'BTCUSDT', orderId: '9' } : { ...ORDER, orderId: '9', type: 'MARKET', status: 'FILLED' }));
    expect(await service.placeOrder('default', { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quoteOrderQty: '25' })).toMatchObject({ ok: true, value: { orderId: '9', status: 'FILLED' } });
    expect(String(fetch.mock.calls[0]![0])).toContain('quoteOrderQty=25');
    expect(String(fetch.mock.calls[0]![0])).toMatch(/newClientOrderId=pt[0-9a-f]{24}/);
  });

  it('a timed-out createOrder is never retried, and says which clientOrderId to look up', async () => {
    const { fetch, service } = mexcWith(() => {
      throw new RequestTimeout('mexc POST https://api.mexc.com/api/v3/order request timed out (10000 ms)');
    });
    const result = await service.placeOrder('default', { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.001', price: '60000', clientOrderId: 'maybe' });
    expect(result).toMatchObject({ ok: false, error: { code: 'EXCHANGE_UNAVAILABLE', retryable: true } });
    expect(result.ok ? '' : result.error.message).toContain('clientOrderId maybe');
    expect(fetch).toHaveBeenCalledTimes(1);
  });

  it('reads are retried twice with doubling backoff on network failures', async () => {
    let failures = 2;
    const { fetch, sleep, service } = mexcWith(() => {
      if (failures-- > 0) throw new NetworkError('socket hang up');
      return { balances: [] };
    });
    expect(await service.balances('default')).toEqual({ ok: true, value: {} });
    expect(fetch).toHaveBeenCalledTimes(3);
    expect(sleep.mock.calls.map(([ms]) => ms)).toEqual([250, 500]);

    failures = 10;
    expect(await service.openOrders('default')).toMatchObject({ ok: false, error: { code: 'EXCHANGE_UNAVAILABLE', retryable: true } });
    expect(fetch).toHaveBeenCalledTimes(6);
  });

  it('refused keys halt the service: later calls fail fast without contacting the exchange', async () => {
    const { fetch, service } = mexcWith(() => {
      throw new AuthenticationError('mexc {"code":10072,"msg":"Api key info invalid"}');
    });
    expect(await service.balances('default')).toMatchObject({ ok: false, error: { code: 'EXCHANGE_AUTH_FAILED', mexcCode: 10072, message: 'Api key info invalid' } });
    expect(service.halted).toBe(true);
    expect(fetch).toHaveBeenCalledTimes(1); // an auth failure is not retried
    const later = await service.placeOrder('default', { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.001' });
    expect(later).toMatchObject({ ok: false, error: { code: 'EXCHANGE_AUTH_FAILED' } });
    expect(later.ok ? '' : later.error.message).toContain('halted');
    expect(fetch).toHaveBeenCalledTimes(1);
  });

  it('refused keys halt that account only; another account with its own client goes on, and new keys lift the halt', async () => {
    const refused = mexcWith(() => {
      throw new AuthenticationError('mexc {"code":10072,"msg":"Api key info invalid"}');
    });
    const good = mexcWith(() => ({ balances: [{ asset: 'USDT', free: '5', locked: '0' }] }));
    const changed = new Set<(accountId: string) => void>();
    const byAccount: Record<string, Exchange> = { alice: refused.exchange, bob: good.exchange };
    const service = new LiveExecutionService({ clientOf: async (id) => byAccount[id], onChange: (l) => (changed.add(l), () => changed.delete(l)) }, { readRetries: 0 });
    expect(await service.balances('alice')).toMatchObject({ ok: false, error: { code: 'EXCHANGE_AUTH_FAILED' } });
    expect(service.haltReasonOf('alice')).toBe('Api key info invalid');
    expect(await service.balances('bob')).toEqual({ ok: true, value: { USDT: { free: '5', locked: '0' } } });
    expect(service.haltReasonOf('bob')).toBeUndefined();
    expect(await service.balances('carol')).toMatchObject({ ok: false, error: { code: 'EXCHANGE_CREDENTIALS_MISSING', message: expect.stringContaining('PUT /api/accounts/carol/exchange-credentials') } });
    byAccount.alice = good.exchange;
    for (const listener of changed) listener('alice');
    expect(await service.balances('alice')).toMatchObject({ ok: true });
    expect(refused.fetch).toHaveBeenCalledTimes(1);
  });

  it('a refusal of keys replaced while the request was out halts nothing: the new keys trade on', async () => {
    let sent!: () => void;
    const out = new Promise<void>((resolve) => (sent = resolve));
    let refuse!: (error: Error) => void;
    const old = mexcWith(() => {
      sent();
      return new Promise((_resolve, reject) => (refuse = reject));
    });
    const renewed = mexcWith(() => ({ balances: [{ asset: 'USDT', free: '5', locked: '0' }] }));
    const changed = new Set<(accountId: string) => void>();
    const byAccount: Record<string, Exchange> = { alice: old.exchange };
    const service = new LiveExecutionService({ clientOf: async (id) => byAccount[id], onChange: (l) => (changed.add(l), () => changed.delete(l)) }, { readRetries: 0 });

    const inFlight = service.balances('alice');
    await out; // the old keys' request has left
    byAccount.alice = renewed.exchange;
    for (const listener of changed) listener('alice');
    refuse(new AuthenticationError('mexc {"code":10072,"msg":"Api key info invalid"}'));

    // The old request answers with its own refusal…
    expect(await inFlight).toMatchObject({ ok: false, error: { code: 'EXCHANGE_AUTH_FAILED', mexcCode: 10072 } });
    // …but the account, now on keys the venue never refused, is not halted.
    expect(service.haltReasonOf('alice')).toBeUndefined();
    expect(await service.balances('alice')).toEqual({ ok: true, value: { USDT: { free: '5', locked: '0' } } });
    expect(renewed.fetch).toHaveBeenCalledTimes(1);
  });

  it('a refusal of the keys in force still halts after a change of keys', async () => {
    const first = mexcWith(() => ({ balances: [] }));
    const refused = mexcWith(() => {
      throw new AuthenticationError('mexc {"code":10072,"msg":"Api key info invalid"}');
    });
    const changed = new Set<(accountId: string) => void>();
    const byAccount: Record<string, Exchange> = { alice: first.exchange };
    const service = new LiveExecutionService({ clientOf: async (id) => byAccount[id], onChange: (l) => (changed.add(l), () => changed.delete(l)) }, { readRetries: 0 });
    expect(await service.balances('alice')).toMatchObject({ ok: true });
    byAccount.alice = refused.exchange;
    for (const listener of changed) listener('alice');
    expect(await service.balances('alice')).toMatchObject({ ok: false, error: { code: 'EXCHANGE_AUTH_FAILED' } });
    expect(service.haltReasonOf('alice')).toBe('Api key info invalid');
  });

  it('each order is recorded before it is sent, and each order and cancel with what the venue answered, refusals included', async () => {
    const records: unknown[] = [];
    const { exchange } = mexcWith((url, method) => {
      if (url.includes('/api/v3/order?') && method === 'POST') return { symbol: 'BTCUSDT', orderId: 'C02__1', orderListId: -1 };
      if (url.includes('/api/v3/order?') && method === 'GET') return ORDER;
      throw new InsufficientFunds('mexc {"code":10101,"msg":"Insufficient balance"}');
    });
    const service = new LiveExecutionService(exchange, { record: async (entry) => void records.push(entry) });
    await service.placeOrder('alice', { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT_MAKER', quantity: '0.001', price: '60000', clientOrderId: 'mine-1' });
    expect(await service.cancelOrder('alice', { orderId: 'C02__1', symbol: 'BTCUSDT' })).toMatchObject({ ok: false, error: { code: 'INSUFFICIENT_BALANCE', mexcCode: 10101, message: 'Insufficient balance' } });
    expect(records).toEqual([
      // Before the request leaves: an order without an answer is still on record.
      { accountId: 'alice', op: 'sendOrder', sent: expect.objectContaining({ symbol: 'BTCUSDT', side: 'buy', amount: 0.001, params: { clientOrderId: 'mine-1', postOnly: true } }), answered: {} },
      { accountId: 'alice', op: 'createOrder', sent: expect.objectContaining({ symbol: 'BTCUSDT', side: 'buy', amount: 0.001 }), answered: expect.objectContaining({ orderId: 'C02__1', clientOrderId: 'mine-1', status: 'NEW' }) },
      { accountId: 'alice', op: 'cancelOrder', sent: { orderId: 'C02__1', symbol: 'BTCUSDT' }, answered: { error: expect.objectContaining({ code: 'INSUFFICIENT_BALANCE' }) } },
    ]);
  });

  it('refuses what MEXC cannot do before calling it: lookups without a symbol, conditional orders, unknown symbols', async () => {
    const { fetch, service } = mexcWith(() => ({}));
    expect(await service.getOrder('default', { orderId: '1' })).toMatchObject({ ok: false, error: { code: 'INVALID_ORDER', message: expect.stringContaining('symbol is required') } });
    expect(await service.cancelOrder('default', { clientOrderId: 'x' })).toMatchObject({ ok: false, error: { code: 'INVALID_ORDER' } });
    expect(await service.placeOrder('default', { symbol: 'BTCUSDT', side: 'SELL', type: 'STOP_LOSS', quantity: '1', stopPrice: '50000' })).toMatchObject({ ok: false, error: { code: 'UNSUPPORTED_ORDER_TYPE' } });
    expect(await service.placeOrder('default', { symbol: 'NOPEUSDT', side: 'SELL', type: 'MARKET', quantity: '1' })).toMatchObject({ ok: false, error: { code: 'UNKNOWN_SYMBOL' } });
    expect(fetch).not.toHaveBeenCalled();
  });

  it('sends nothing for an order it would change: a bracket exit it cannot keep, a quantity a double rounds up', async () => {
    const { fetch, service } = mexcWith((_url, method) => (method === 'POST' ? { symbol: 'BTCUSDT', orderId: '1' } : ORDER));
    // The MEXC contract route forwards takeProfitPrice/stopLossPrice as a bracket.
    const bracket = await service.placeOrder('default', { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.001', price: '60000', stopLoss: { stopPrice: '55000' } });
    expect(bracket).toMatchObject({ ok: false, error: { code: 'UNSUPPORTED_ORDER_TYPE' } });
    const rounded = await service.placeOrder('default', { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.0019999999999999999', price: '60000' });
    expect(rounded).toMatchObject({ ok: false, error: { code: 'INVALID_ORDER' } });
    const priced = await service.placeOrder('default', { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.001', price: '60000' });
    expect(priced).toMatchObject({ ok: false, error: { code: 'INVALID_ORDER' } });
    expect(fetch).not.toHaveBeenCalled();
  });

  // ccxt files these venue refusals under PermissionDenied/AuthenticationError, but they are about one
  // symbol, not the keys: MEXC 30020 "no permission for the symbol", 70011 "Pair user ban trade apikey.";
  // Binance -2010 "This symbol is not permitted for this account." / "…is restricted for this account.".
  it.each([
    ['mexc', { code: 30020, msg: 'no permission for the symbol' }],
    ['mexc', { code: 70011, msg: 'Pair user ban trade apikey.' }],
    ['binance', { code: -2010, msg: 'This symbol is not permitted for this account.' }],
    ['binance', { code: -2010, msg: 'This symbol is restricted for this account.' }],
  ] as const)('%s %j refuses that order only: the account is not halted and can still cancel its others', async (id, answer) => {
    const exchange = id === 'mexc' ? new ccxt.mexc({ apiKey: 'k', secret: 's', enableRateLimit: false }) : new ccxt.binance({ apiKey: 'k', secret: 's', enableRateLimit: false });
    exchange.setMarkets([
      { id: 'BTCUSDT', symbol: 'BTC/USDT', base: 'BTC', quote: 'USDT', baseId: 'BTC', quoteId: 'USDT', spot: true, type: 'spot', active: true, precision: { amount: 0.000001, price: 0.01 }, limits: {}, info: { orderTypes: ['LIMIT', 'MARKET'] } },
      { id: 'ALTUSDT', symbol: 'ALT/USDT', base: 'ALT', quote: 'USDT', baseId: 'ALT', quoteId: 'USDT', spot: true, type: 'spot', active: true, precision: { amount: 0.01, price: 0.0001 }, limits: {}, info: { orderTypes: ['LIMIT', 'MARKET'] } },
    ] as never);
    const fetch = vi.spyOn(exchange, 'fetch').mockImplementation(async (url: string, method = 'GET', _headers?: unknown, body?: unknown) => {
      if (method === 'POST' && `${url}${String(body ?? '')}`.includes('ALTUSDT')) {
        // The venue's HTTP answer, classified by ccxt's own error table.
        exchange.handleErrors(400, 'Bad Request', url, method, {}, JSON.stringify(answer), answer, {}, '');
        throw new Error('ccxt did not classify the answer');
      }
      return { ...ORDER, status: 'CANCELED' };
    });
    const service = new LiveExecutionService(exchange, { readRetries: 0 });
    const refused = await service.placeOrder('alice', { symbol: 'ALTUSDT', side: 'BUY', type: 'LIMIT', quantity: '10', price: '1' });
    expect(refused).toMatchObject({ ok: false, error: { code: 'EXCHANGE_ERROR' } });
    expect(refused.ok ? '' : refused.error.message).toContain(answer.msg);
    expect(service.haltReasonOf('alice')).toBeUndefined();
    expect(await service.cancelOrder('alice', { orderId: 'C02__1', symbol: 'BTCUSDT' })).toMatchObject({ ok: true, value: { status: 'CANCELED' } });
    expect(fetch.mock.calls.filter(([, method]) => method === 'DELETE')).toHaveLength(1);
  });
});
