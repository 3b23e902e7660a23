import { describe, expect, it } from 'vitest';
import { BinanceError } from '../binance/binance-errors.js';
import { usdmErrorOf } from './usdm-errors.js';
import { usdmOrderRequest } from './usdm-order-request.js';

const base = { symbol: 'BTCUSDT', side: 'SELL' };
const algo = { ...base, algoType: 'CONDITIONAL' };

function refusal(run: () => unknown): { code: number; msg: string } | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    if (error instanceof BinanceError) return error.body;
    throw error;
  }
}

describe("a Binance USD-M new-order request as papertrade's order", () => {
  it('turns LIMIT with GTC, IOC, FOK and GTX into limit, immediate-or-cancel, fill-or-kill and post-only orders', () => {
    const limit = (timeInForce: string) => usdmOrderRequest({ ...base, type: 'LIMIT', timeInForce, quantity: '0.1', price: '60000' }, 'order').order.type;
    expect(['GTC', 'IOC', 'FOK', 'GTX'].map(limit)).toEqual(['LIMIT', 'IMMEDIATE_OR_CANCEL', 'FILL_OR_KILL', 'LIMIT_MAKER']);
    expect(refusal(() => limit('GTD'))?.code).toBe(-1014);
    expect(refusal(() => limit('DAY'))?.code).toBe(-1115);
  });

  it('sends the conditional types to the Algo Service (-4120 on the order endpoint), with triggerPrice or stopPrice', () => {
    expect(refusal(() => usdmOrderRequest({ ...base, type: 'STOP_MARKET', quantity: '0.1', stopPrice: '50000' }, 'order'))?.code).toBe(-4120);
    const stop = usdmOrderRequest({ ...algo, type: 'STOP_MARKET', quantity: '0.1', triggerPrice: '50000', reduceOnly: 'true' }, 'algo').order;
    expect(stop).toMatchObject({ type: 'STOP_LOSS', stopPrice: '50000', quantity: '0.1', reduceOnly: true });
    expect(usdmOrderRequest({ ...algo, type: 'TAKE_PROFIT', quantity: '0.1', price: '70100', stopPrice: '70000' }, 'algo').order).toMatchObject({ type: 'TAKE_PROFIT_LIMIT', price: '70100', stopPrice: '70000' });
    expect(refusal(() => usdmOrderRequest({ ...algo, type: 'LIMIT', timeInForce: 'GTC', quantity: '0.1', price: '1' }, 'algo'))?.code).toBe(-1116);
    expect(refusal(() => usdmOrderRequest({ ...base, type: 'STOP_MARKET', quantity: '0.1', triggerPrice: '1' }, 'algo'))?.code).toBe(-1102); // algoType
  });

  it("reads a trailing stop's callbackRate in percent: 1.5 is papertrade's 0.015", () => {
    const trailing = usdmOrderRequest({ ...algo, type: 'TRAILING_STOP_MARKET', quantity: '0.1', callbackRate: '1.5', activationPrice: '65000' }, 'algo').order;
    expect(trailing).toMatchObject({ type: 'TRAILING_STOP_MARKET', callbackRate: '0.015', activationPrice: '65000' });
  });

  it('reads workingType as the stream the trigger watches: MARK_PRICE the mark, CONTRACT_PRICE the last price, unsent the engine setting; any other value -4031', () => {
    const stop = (workingType?: string) => usdmOrderRequest({ ...algo, type: 'STOP_MARKET', quantity: '0.1', triggerPrice: '50000', ...(workingType !== undefined ? { workingType } : {}) }, 'algo').order;
    expect([stop('MARK_PRICE').triggerSource, stop('CONTRACT_PRICE').triggerSource, stop().triggerSource]).toEqual(['mark', 'last', undefined]);
    const trailing = usdmOrderRequest({ ...algo, type: 'TRAILING_STOP_MARKET', quantity: '0.1', callbackRate: '1', workingType: 'MARK_PRICE' }, 'algo').order;
    expect(trailing.triggerSource).toBe('mark');
    // Binance's error list: -4031 INVALID_WORKING_TYPE, "Invalid parameter working type: `%s`".
    expect(refusal(() => stop('INDEX_PRICE'))).toEqual({ code: -4031, msg: 'Invalid parameter working type: INDEX_PRICE' });
    expect(refusal(() => stop('mark_price'))?.code).toBe(-4031);
    // A LIMIT or MARKET order has no trigger: the parameter changes nothing on it.
    expect(usdmOrderRequest({ ...base, type: 'MARKET', quantity: '0.1', workingType: 'MARK_PRICE' }, 'order').order).not.toHaveProperty('triggerSource');
  });

  it('refuses what it does not simulate in Binance\'s words: hedge mode, closePosition', () => {
    const market = { ...base, type: 'MARKET', quantity: '0.1' };
    expect(refusal(() => usdmOrderRequest({ ...market, positionSide: 'LONG' }, 'order'))).toEqual({ code: -4061, msg: "Order's position side does not match user's setting." });
    expect(usdmOrderRequest({ ...market, positionSide: 'BOTH' }, 'order').order.type).toBe('MARKET');
    expect(refusal(() => usdmOrderRequest({ ...market, closePosition: 'true' }, 'order'))?.code).toBe(-1014);
    expect(refusal(() => usdmOrderRequest({ ...market, quantity: '0' }, 'order'))?.code).toBe(-4003);
    expect(refusal(() => usdmOrderRequest({ ...market, price: '1' }, 'order'))?.code).toBe(-1106);
  });
});

describe("the kernel's refusals in USD-M's codes", () => {
  it('names the price band bound a limit price crossed: 1.15 × 60000 above, 0.85 × 60000 below', () => {
    const band = (message: string) => usdmErrorOf({ code: 'PERCENT_PRICE', message }, 'place').body;
    expect(band('BUY price 70000 outside 0.85×–1.15× the mark price 60000')).toEqual({ code: -4016, msg: "Limit price can't be higher than 69000." });
    expect(band('SELL price 50000.5 outside 0.85×–1.15× the mark price 60000')).toEqual({ code: -4024, msg: "Limit price can't be lower than 51000." });
  });

  it('answers margin, bracket, reduce-only and unknown orders as USD-M does', () => {
    const code = (c: string, on: 'place' | 'query' | 'cancel' = 'place') => usdmErrorOf({ code: c, message: '' }, on).code;
    expect([code('INSUFFICIENT_BALANCE'), code('MAX_POSITION_EXCEEDED'), code('REDUCE_ONLY_REJECTED'), code('WOULD_TRIGGER_IMMEDIATELY'), code('WOULD_TAKE')]).toEqual([-2019, -2027, -2022, -2021, -5022]);
    expect([code('UNKNOWN_ORDER', 'query'), code('UNKNOWN_ORDER', 'cancel')]).toEqual([-2013, -2011]);
  });

  it('reads quantities and rates of the 20 + 20 digits the pattern admits as text, never as a Fixed that cannot hold them', () => {
    const tiny = '0.00000000000000000001';
    expect(usdmOrderRequest({ ...base, type: 'MARKET', quantity: tiny }, 'order').order).toMatchObject({ quantity: tiny });
    expect(refusal(() => usdmOrderRequest({ ...base, type: 'MARKET', quantity: '0.00000000000000000000' }, 'order'))?.code).toBe(-4003);
    const trailing = usdmOrderRequest({ ...algo, type: 'TRAILING_STOP_MARKET', quantity: '0.1', callbackRate: '1.12345678901234567890' }, 'algo').order;
    expect(trailing).toMatchObject({ callbackRate: '0.011234567890123456789' });
    // Percent to fraction moves the point two places: 10 % is 0.1, 0.1 % is 0.001, 100 % is 1.
    expect(['10', '0.1', '100', '5', '00000000000000000001'].map((r) => usdmOrderRequest({ ...algo, type: 'TRAILING_STOP_MARKET', quantity: '0.1', callbackRate: r }, 'algo').order.callbackRate)).toEqual(['0.1', '0.001', '1', '0.05', '0.01']);
  });
});

