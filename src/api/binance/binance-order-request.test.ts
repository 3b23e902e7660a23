import { describe, expect, it } from 'vitest';
import { BinanceError } from './binance-errors.js';
import { binanceOrderRequest } from './binance-order-request.js';

const base = { symbol: 'BTCUSDT', side: 'SELL' };

function codeOf(params: Record<string, string>): number | undefined {
  try {
    binanceOrderRequest(params);
    return undefined;
  } catch (error) {
    if (error instanceof BinanceError) return error.code;
    throw error;
  }
}

describe("a Binance new-order request as papertrade's order", () => {
  it('turns LIMIT with GTC, IOC and FOK into limit, immediate-or-cancel and fill-or-kill orders', () => {
    const limit = (timeInForce: string) => binanceOrderRequest({ ...base, type: 'LIMIT', timeInForce, quantity: '0.1', price: '60000' }).order.type;
    expect([limit('GTC'), limit('IOC'), limit('FOK')]).toEqual(['LIMIT', 'IMMEDIATE_OR_CANCEL', 'FILL_OR_KILL']);
    expect(codeOf({ ...base, type: 'LIMIT', quantity: '0.1', price: '60000' })).toBe(-1102); // timeInForce is mandatory
    expect(codeOf({ ...base, type: 'LIMIT', timeInForce: 'GTX', quantity: '0.1', price: '60000' })).toBe(-1115);
  });

  it('sizes a market order by quantity or by quote, never both', () => {
    expect(binanceOrderRequest({ ...base, type: 'MARKET', quoteOrderQty: '25.5' }).order).toEqual({ ...base, type: 'MARKET', quoteOrderQty: '25.5' });
    expect(codeOf({ ...base, type: 'MARKET', quantity: '1', quoteOrderQty: '25' })).toBe(-1128);
    expect(codeOf({ ...base, type: 'MARKET' })).toBe(-1102);
    expect(codeOf({ ...base, type: 'MARKET', quantity: '1', price: '1' })).toBe(-1106);
  });

  it('reads trailingDelta in basis points: 150 BIPS trail by 1.5 %', () => {
    // 150 / 10,000 = 0.015; 1 / 10,000 = 0.0001; 9,999 / 10,000 = 0.9999.
    const trail = (trailingDelta: string) => binanceOrderRequest({ ...base, type: 'STOP_LOSS', quantity: '0.1', trailingDelta }).order;
    expect(trail('150')).toEqual({ ...base, type: 'TRAILING_STOP_MARKET', quantity: '0.1', callbackRate: '0.015' });
    expect(trail('1').callbackRate).toBe('0.0001');
    expect(trail('9999').callbackRate).toBe('0.9999');
    expect(codeOf({ ...base, type: 'STOP_LOSS', quantity: '0.1', trailingDelta: '10000' })).toBe(-1013);
    expect(codeOf({ ...base, type: 'STOP_LOSS', quantity: '0.1', trailingDelta: '0' })).toBe(-1013);
    expect(codeOf({ ...base, type: 'STOP_LOSS', quantity: '0.1', trailingDelta: '1.5' })).toBe(-1100);
  });

  it('starts a trailing TAKE_PROFIT at its stopPrice, and refuses the trailing combinations it does not simulate', () => {
    expect(binanceOrderRequest({ ...base, type: 'TAKE_PROFIT', quantity: '0.1', stopPrice: '70000', trailingDelta: '200' }).order).toEqual({
      ...base, type: 'TRAILING_STOP_MARKET', quantity: '0.1', callbackRate: '0.02', activationPrice: '70000',
    });
    expect(codeOf({ ...base, type: 'STOP_LOSS', quantity: '0.1', stopPrice: '50000', trailingDelta: '200' })).toBe(-1014);
    expect(codeOf({ ...base, type: 'TAKE_PROFIT', quantity: '0.1', trailingDelta: '200' })).toBe(-1014);
    expect(codeOf({ ...base, type: 'STOP_LOSS_LIMIT', timeInForce: 'GTC', quantity: '0.1', price: '49000', stopPrice: '50000', trailingDelta: '200' })).toBe(-1014);
    expect(codeOf({ ...base, type: 'STOP_LOSS_LIMIT', timeInForce: 'IOC', quantity: '0.1', price: '49000', stopPrice: '50000' })).toBe(-1014);
    expect(codeOf({ ...base, type: 'LIMIT', timeInForce: 'GTC', quantity: '0.1', price: '60000', icebergQty: '0.01' })).toBe(-1014);
  });

  it('keeps stop prices, and answers FULL for MARKET and LIMIT and ACK for the other types unless asked', () => {
    const stop = binanceOrderRequest({ ...base, type: 'STOP_LOSS_LIMIT', timeInForce: 'GTC', quantity: '0.1', price: '49000', stopPrice: '50000' });
    expect(stop).toEqual({ order: { ...base, type: 'STOP_LOSS_LIMIT', quantity: '0.1', price: '49000', stopPrice: '50000' }, respType: 'ACK' });
    expect(binanceOrderRequest({ ...base, type: 'MARKET', quantity: '1' }).respType).toBe('FULL');
    expect(binanceOrderRequest({ ...base, type: 'LIMIT_MAKER', quantity: '1', price: '1' }).respType).toBe('ACK');
    expect(binanceOrderRequest({ ...base, type: 'LIMIT_MAKER', quantity: '1', price: '1', newOrderRespType: 'RESULT' }).respType).toBe('RESULT');
    expect(codeOf({ ...base, type: 'MARKET', quantity: '1', newOrderRespType: 'ALL' })).toBe(-1100);
  });

  it('refuses unknown sides and types, malformed numbers and client ids with their Binance codes', () => {
    expect(codeOf({ ...base, side: 'HOLD', type: 'MARKET', quantity: '1' })).toBe(-1117);
    expect(codeOf({ ...base, type: 'TRAILING_STOP_MARKET', quantity: '1' })).toBe(-1116);
    expect(codeOf({ ...base, type: 'MARKET', quantity: '1e-3' })).toBe(-1100);
    expect(codeOf({ ...base, type: 'MARKET', quantity: '1', newClientOrderId: 'has space' })).toBe(-1100);
    expect(codeOf({ side: 'BUY', type: 'MARKET', quantity: '1' })).toBe(-1102);
  });
});
