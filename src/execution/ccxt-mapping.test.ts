import ccxt, {
  AccountSuspended,
  AuthenticationError,
  BadRequest,
  BadSymbol,
  DDoSProtection,
  DuplicateOrderId,
  ExchangeError,
  ExchangeNotAvailable,
  InsufficientFunds,
  InvalidOrder,
  NetworkError,
  OnMaintenance,
  OrderImmediatelyFillable,
  OrderNotFound,
  PermissionDenied,
  RateLimitExceeded,
  RequestTimeout,
  type Order as CcxtOrder,
} from 'ccxt';
import { describe, expect, it } from 'vitest';
import { ccxtBalancesToView, ccxtOrderToView, exchangeSymbolOf, mapCcxtError, orderStatusOf, toCcxtOrderArgs } from './ccxt-mapping.js';

/** A ccxt order as ccxt's own MEXC parser builds it from a MEXC response. */
function parsedByMexc(info: Record<string, unknown>): CcxtOrder {
  const exchange = new ccxt.mexc({ enableRateLimit: false });
  exchange.setMarkets([{ id: 'BTCUSDT', symbol: 'BTC/USDT', base: 'BTC', quote: 'USDT', baseId: 'BTC', quoteId: 'USDT', spot: true, type: 'spot', active: true, precision: { amount: 0.000001, price: 0.01 }, limits: {} } as never]);
  return exchange.parseOrder(info, exchange.market('BTC/USDT'));
}

describe('mapCcxtError', () => {
  it.each([
    [new OrderNotFound('mexc {"code":-2011,"msg":"Unknown order sent."}'), 'UNKNOWN_ORDER', -2011, false],
    [new InsufficientFunds('mexc {"code":30004,"msg":"Insufficient position"}'), 'INSUFFICIENT_BALANCE', 30004, false],
    [new InsufficientFunds('not enough'), 'INSUFFICIENT_BALANCE', 10101, false],
    [new InvalidOrder('mexc {"code":30002,"msg":"The minimum transaction volume cannot be less than:5USDT"}'), 'INVALID_ORDER', 30002, false],
    [new OrderImmediatelyFillable('would take'), 'WOULD_TAKE', 30010, false],
    [new DuplicateOrderId('dup'), 'DUPLICATE_CLIENT_ORDER_ID', 30026, false],
    [new BadSymbol('mexc does not have market symbol XYZ'), 'UNKNOWN_SYMBOL', 30014, false],
    [new AuthenticationError('mexc {"code":10072,"msg":"Api key info invalid"}'), 'EXCHANGE_AUTH_FAILED', 10072, false],
    [new PermissionDenied('no trading permission'), 'EXCHANGE_AUTH_FAILED', undefined, false],
    [new AccountSuspended('suspended'), 'EXCHANGE_AUTH_FAILED', undefined, false],
    // One symbol refused, not the keys: no halt (ccxt's tables file these under the key errors).
    [new AuthenticationError('mexc {"code":30020,"msg":"no permission for the symbol"}'), 'EXCHANGE_ERROR', 30020, false],
    [new PermissionDenied('mexc {"code":70011,"msg":"Pair user ban trade apikey."}'), 'EXCHANGE_ERROR', 70011, false],
    [new PermissionDenied('binance This symbol is not permitted for this account.'), 'EXCHANGE_ERROR', undefined, false],
    [new NetworkError('socket hang up'), 'EXCHANGE_UNAVAILABLE', undefined, true],
    [new RequestTimeout('mexc GET https://api.mexc.com/api/v3/order request timed out (10000 ms)'), 'EXCHANGE_UNAVAILABLE', undefined, true],
    [new ExchangeNotAvailable('503'), 'EXCHANGE_UNAVAILABLE', undefined, true],
    [new OnMaintenance('maintenance'), 'EXCHANGE_UNAVAILABLE', undefined, true],
    [new DDoSProtection('cloudflare'), 'EXCHANGE_UNAVAILABLE', undefined, true],
    [new RateLimitExceeded('429'), 'EXCHANGE_UNAVAILABLE', undefined, true],
    [new BadRequest('bad'), 'EXCHANGE_ERROR', undefined, false],
    [new ExchangeError('mexc {"code":700003,"msg":"Timestamp for this request is outside of the recvWindow."}'), 'EXCHANGE_ERROR', 700003, false],
    // ccxt's mexc class has no mapping for -2013 (MEXC: "Order does not exist."): still an unknown order.
    [new ExchangeError('mexc {"code":-2013,"msg":"Order does not exist."}'), 'UNKNOWN_ORDER', -2013, false],
    [new TypeError('undefined is not a function'), 'EXCHANGE_ERROR', undefined, false],
  ])('%s → %s', (error, code, mexcCode, retryable) => {
    const mapped = mapCcxtError(error);
    expect(mapped.code).toBe(code);
    expect(mapped.mexcCode).toBe(mexcCode);
    expect(mapped.retryable === true).toBe(retryable);
    expect(mapped.halt).toBe(code === 'EXCHANGE_AUTH_FAILED');
    expect(mapped.message.length).toBeGreaterThan(0);
  });

  it("takes MEXC's own message from the response ccxt quotes", () => {
    expect(mapCcxtError(new InsufficientFunds('mexc {"code":30004,"msg":"Insufficient position"}')).message).toBe('Insufficient position');
  });
});

describe('ccxt order → OrderView', () => {
  it("a MEXC order keeps MEXC's exact strings and status", () => {
    const order = parsedByMexc({
      symbol: 'BTCUSDT', orderId: 'C02__443776347957968896088', orderListId: '-1', clientOrderId: 'pt-1', price: '61000.01',
      origQty: '0.000150', executedQty: '0.000050', cummulativeQuoteQty: '3.0500005', status: 'PARTIALLY_FILLED',
      timeInForce: null, type: 'LIMIT', side: 'BUY', stopPrice: null, icebergQty: null, time: 1723161300000, updateTime: 1723161305000, isWorking: true, origQuoteOrderQty: '9.15',
    });
    expect(ccxtOrderToView(order)).toEqual({
      orderId: 'C02__443776347957968896088', clientOrderId: 'pt-1', symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', status: 'PARTIALLY_FILLED',
      price: '61000.01', quantity: '0.000150', executedQty: '0.000050', cumulativeQuoteQty: '3.0500005', createdAt: 1723161300000, updatedAt: 1723161305000, mode: 'live',
    });
  });

  it.each(['NEW', 'FILLED', 'CANCELED', 'PARTIALLY_CANCELED'])('MEXC status %s is kept as sent', (status) => {
    expect(ccxtOrderToView(parsedByMexc({ symbol: 'BTCUSDT', orderId: '1', status, type: 'LIMIT_MAKER', side: 'SELL', origQty: '1', executedQty: '0', price: '1' })).status).toBe(status);
  });

  it("without MEXC's status, ccxt's unified status maps by what was filled", () => {
    const base = { info: {}, filled: 0 } as const;
    expect(orderStatusOf({ ...base, status: 'open' })).toBe('NEW');
    expect(orderStatusOf({ ...base, status: 'open', filled: 0.5 })).toBe('PARTIALLY_FILLED');
    expect(orderStatusOf({ ...base, status: 'closed', filled: 1 })).toBe('FILLED');
    expect(orderStatusOf({ ...base, status: 'canceled' })).toBe('CANCELED');
    expect(orderStatusOf({ ...base, status: 'canceled', filled: 0.5 })).toBe('PARTIALLY_CANCELED');
    expect(orderStatusOf({ ...base, status: 'rejected' })).toBe('REJECTED');
    expect(orderStatusOf({ ...base, status: 'expired' })).toBe('EXPIRED');
  });

  it('a unified-only order (another exchange) maps from its floats without exponents', () => {
    const order = {
      id: '42', clientOrderId: 'c', timestamp: 1000, lastUpdateTimestamp: 2000, status: 'open', symbol: 'BTC/USDT', type: 'limit', timeInForce: 'IOC',
      side: 'sell', price: 61000.5, amount: 0.0000001, filled: 0, cost: 0, postOnly: false, info: {},
    } as unknown as CcxtOrder;
    expect(ccxtOrderToView(order)).toMatchObject({
      orderId: '42', symbol: 'BTCUSDT', side: 'SELL', type: 'IMMEDIATE_OR_CANCEL', status: 'NEW', price: '61000.5', quantity: '0.0000001', executedQty: '0', createdAt: 1000, updatedAt: 2000,
    });
  });

  it("MEXC's bare answer to a new order is completed from the request", () => {
    const created = parsedByMexc({ symbol: 'BTCUSDT', orderId: '77', orderListId: -1 });
    expect(ccxtOrderToView(created, { clientOrderId: 'c1', side: 'BUY', type: 'LIMIT_MAKER', status: 'NEW', price: '60000', quantity: '0.001', createdAt: 5 })).toMatchObject({
      orderId: '77', clientOrderId: 'c1', symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT_MAKER', status: 'NEW', price: '60000', quantity: '0.001', executedQty: '0', createdAt: 5,
    });
  });

  // Binance names IOC, FOK and (USD-M) post-only limits LIMIT with a timeInForce; MEXC names them by type.
  it.each([
    ['IOC', 'IMMEDIATE_OR_CANCEL'],
    ['FOK', 'FILL_OR_KILL'],
    ['GTX', 'LIMIT_MAKER'],
    ['GTC', 'LIMIT'],
  ] as const)("a Binance LIMIT order with timeInForce %s is a %s", (timeInForce, type) => {
    const binance = new ccxt.binance({ enableRateLimit: false });
    binance.setMarkets([{ id: 'BTCUSDT', symbol: 'BTC/USDT', base: 'BTC', quote: 'USDT', baseId: 'BTC', quoteId: 'USDT', spot: true, type: 'spot', active: true, precision: { amount: 0.00001, price: 0.01 }, limits: {}, info: {} } as never]);
    // GET /api/v3/order as Binance documents it.
    const order = binance.parseOrder(
      {
        symbol: 'BTCUSDT', orderId: 28, orderListId: -1, clientOrderId: 'c', price: '60000.00', origQty: '0.00100000', executedQty: '0.00000000', cummulativeQuoteQty: '0.00000000',
        status: timeInForce === 'GTC' || timeInForce === 'GTX' ? 'NEW' : 'EXPIRED', timeInForce, type: 'LIMIT', side: 'BUY', stopPrice: '0.00000000', time: 1_723_161_300_000, updateTime: 1_723_161_300_000, isWorking: true,
      },
      binance.market('BTC/USDT'),
    );
    expect(ccxtOrderToView(order).type).toBe(type);
  });

  it('symbols lose their separators and settle suffix', () => {
    expect(exchangeSymbolOf('BTC/USDT')).toBe('BTCUSDT');
    expect(exchangeSymbolOf('BTC/USDT:USDT')).toBe('BTCUSDT');
  });
});

describe('balances', () => {
  it("MEXC's raw balances are taken as exact strings", () => {
    const balances = { info: { balances: [{ asset: 'USDT', free: '100.12345678', locked: '1' }, { asset: 'BTC', free: '0.5', locked: '0' }] }, USDT: { free: 100.12345678, used: 1, total: 101.12345678 } } as never;
    expect(ccxtBalancesToView(balances)).toEqual({ BTC: { free: '0.5', locked: '0' }, USDT: { free: '100.12345678', locked: '1' } });
  });

  it("other exchanges' unified balances are formatted without exponents", () => {
    const balances = { info: {}, free: {}, used: {}, total: {}, BTC: { free: 0.00000001, used: 0, total: 0.00000001 } } as never;
    expect(ccxtBalancesToView(balances)).toEqual({ BTC: { free: '0.00000001', locked: '0' } });
  });
});

describe('request → createOrder arguments', () => {
  const req = { symbol: 'BTCUSDT', side: 'BUY' } as const;
  it.each([
    [{ ...req, type: 'MARKET', quantity: '0.001' }, { type: 'market', side: 'buy', amount: 0.001, price: undefined, params: { clientOrderId: 'c' } }],
    [{ ...req, type: 'MARKET', quoteOrderQty: '25.5' }, { type: 'market', side: 'buy', amount: 25.5, price: undefined, params: { clientOrderId: 'c', cost: 25.5 } }],
    [{ ...req, type: 'LIMIT', quantity: '0.001', price: '60000' }, { type: 'limit', side: 'buy', amount: 0.001, price: 60000, params: { clientOrderId: 'c' } }],
    [{ ...req, type: 'LIMIT_MAKER', quantity: '0.001', price: '60000' }, { type: 'limit', side: 'buy', amount: 0.001, price: 60000, params: { clientOrderId: 'c', postOnly: true } }],
    [{ ...req, type: 'IMMEDIATE_OR_CANCEL', quantity: '0.001', price: '60000' }, { type: 'limit', side: 'buy', amount: 0.001, price: 60000, params: { clientOrderId: 'c', timeInForce: 'IOC' } }],
    [{ ...req, side: 'SELL', type: 'FILL_OR_KILL', quantity: '0.001', price: '60000' }, { type: 'limit', side: 'sell', amount: 0.001, price: 60000, params: { clientOrderId: 'c', timeInForce: 'FOK' } }],
  ] as const)('%j', (request, expected) => {
    expect(toCcxtOrderArgs(request, 'c')).toEqual({ ok: true, value: expected });
  });

  it('conditional orders are refused in live mode, and malformed numbers are invalid', () => {
    const stop = toCcxtOrderArgs({ ...req, type: 'STOP_LOSS', quantity: '1', stopPrice: '50000' }, 'c');
    expect(stop.ok ? undefined : stop.error.code).toBe('UNSUPPORTED_ORDER_TYPE');
    const bad = toCcxtOrderArgs({ ...req, type: 'LIMIT', quantity: '1e-3', price: '60000' }, 'c');
    expect(bad.ok ? undefined : bad.error.code).toBe('INVALID_ORDER');
    const noPrice = toCcxtOrderArgs({ ...req, type: 'LIMIT', quantity: '1' }, 'c');
    expect(noPrice.ok ? undefined : noPrice.error.message).toContain('needs a price');
  });

  // Paper refuses these shapes (core/orders/order-validation.ts); live used to drop the offending
  // field and send what was left: a market order for a request that named a price, a plain limit
  // for one that named a stop.
  it.each([
    ['a MARKET order with a price', { ...req, type: 'MARKET', quantity: '0.001', price: '60000' }],
    ['a MARKET order with both quantity and quoteOrderQty', { ...req, type: 'MARKET', quantity: '0.001', quoteOrderQty: '25' }],
    ['a LIMIT order with quoteOrderQty', { ...req, type: 'LIMIT', quantity: '0.001', price: '60000', quoteOrderQty: '60' }],
    ['a LIMIT order with a stopPrice', { ...req, type: 'LIMIT', quantity: '0.001', price: '60000', stopPrice: '59000' }],
    ['a MARKET order with a callbackRate', { ...req, type: 'MARKET', quantity: '0.001', callbackRate: '0.01' }],
  ] as const)('%s is refused as on paper, not sent without the field', (_name, request) => {
    const args = toCcxtOrderArgs(request, 'c');
    expect(args).toMatchObject({ ok: false, error: { code: 'INVALID_ORDER' } });
  });

  it.each([
    ['a stop-loss exit', { stopLoss: { stopPrice: '55000' } }],
    ['a take-profit exit', { takeProfit: { stopPrice: '65000', price: '65000' } }],
    ['an order group', { ocoGroup: 'g1' }],
  ] as const)('an order with %s is refused in live mode, not placed without it', (_name, extra) => {
    const args = toCcxtOrderArgs({ ...req, type: 'LIMIT', quantity: '0.001', price: '60000', ...extra }, 'c');
    expect(args).toMatchObject({ ok: false, error: { code: 'UNSUPPORTED_ORDER_TYPE' } });
  });

  it('a MARKET order with a slippage cap is refused in live mode, not sent uncapped', () => {
    const args = toCcxtOrderArgs({ ...req, type: 'MARKET', quantity: '0.001', maxSlippage: '0.005' }, 'c');
    expect(args).toMatchObject({ ok: false, error: { code: 'UNSUPPORTED_ORDER_TYPE', message: expect.stringContaining('maxSlippage') } });
  });

  it('sends an amount only when the number ccxt is given is exactly the decimal asked', () => {
    // 0.0019999999999999999 is nearer 0.002 than any other double: sent, it would buy 0.002, a
    // whole 0.000001 step more than the largest quantity on the step grid below what was asked.
    expect(Number('0.0019999999999999999')).toBe(0.002);
    const rounded = toCcxtOrderArgs({ ...req, type: 'LIMIT', quantity: '0.0019999999999999999', price: '60000' }, 'c');
    expect(rounded).toMatchObject({ ok: false, error: { code: 'INVALID_ORDER', message: expect.stringContaining('quantity') } });
    const cost = toCcxtOrderArgs({ ...req, type: 'MARKET', quoteOrderQty: '25.000000000000000001' }, 'c');
    expect(cost).toMatchObject({ ok: false, error: { code: 'INVALID_ORDER', message: expect.stringContaining('quoteOrderQty') } });
    // 15 significant digits, and trailing zeros, are the same number.
    expect(toCcxtOrderArgs({ ...req, type: 'LIMIT', quantity: '0.123456789012345', price: '60000.0000000000' }, 'c')).toMatchObject({ ok: true, value: { amount: 0.123456789012345, price: 60000 } });
  });
});
