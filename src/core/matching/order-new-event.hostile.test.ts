import { describe, expect, it } from 'vitest';
import { findBundledInstrument } from '../instruments/bundled-instruments.js';
import type { PlaceOrderInput } from '../kernel/inputs.js';
import { Kernel } from '../kernel/kernel.js';

// ORDER_NEW is now built field by field instead of spread from optional objects. Its JSON text
// feeds the journal, the event hashes and every client, so its keys must keep their order: type,
// at, the order's identity (account … status, ocoGroup when set), then price, quantity,
// quoteOrderQty, stopPrice, activationPrice, callbackRate, reduceOnly, leverage, takeProfit,
// stopLoss, each only when set. The expected texts are written out by hand in that order.
const SPOT = findBundledInstrument('binance', 'spot', 'BTCUSDT')!;
const PERP = findBundledInstrument('binance', 'perpetual', 'BTCUSDT')!;
const T = 1_700_000_000_000;
const AT = T + 59_999;

function started(futures: boolean): Kernel {
  const kernel = new Kernel({ instruments: [futures ? PERP : SPOT], equityIntervalMs: 0 });
  kernel.handle({ kind: 'bar', time: T, symbol: 'BTCUSDT', open: '60000', high: '60100', low: '59900', close: '60000', volume: '1', intervalMs: 60_000 });
  if (futures) kernel.handle({ kind: 'account.open', time: AT, account: 'f', type: 'futures', balances: { USDT: '1000000' }, leverage: 20 });
  else kernel.handle({ kind: 'account.open', time: AT, account: 'a', balances: { USDT: '1000000', BTC: '10' } });
  return kernel;
}

function orderNew(kernel: Kernel, order: Omit<PlaceOrderInput, 'kind' | 'time' | 'symbol'>, time = AT): string {
  const events = kernel.handle({ kind: 'order.place', time, symbol: 'BTCUSDT', ...order });
  const event = events.find((e) => e.type === 'ORDER_NEW');
  expect(event, JSON.stringify(events)).toBeDefined();
  return JSON.stringify(event);
}

const HEAD = `"type":"ORDER_NEW","at":${AT}`;

describe('ORDER_NEW keeps its keys in their order (hostile)', () => {
  it('on spot: a bracket entry in a group, a market order by quote amount, a trailing stop, a stop limit', () => {
    const kernel = started(false);
    expect(orderNew(kernel, { account: 'a', side: 'BUY', type: 'LIMIT', price: '59000', quantity: '0.01', clientOrderId: 'l', ocoGroup: 'g1', takeProfit: { stopPrice: '62000', price: '62100' }, stopLoss: { stopPrice: '58000' } })).toBe(
      `{${HEAD},"account":"a","orderId":"1","clientOrderId":"l","symbol":"BTCUSDT","side":"BUY","orderType":"LIMIT","status":"NEW","ocoGroup":"g1","price":"59000","quantity":"0.01","takeProfit":{"stopPrice":"62000","price":"62100"},"stopLoss":{"stopPrice":"58000"}}`,
    );
    expect(orderNew(kernel, { account: 'a', side: 'BUY', type: 'MARKET', quoteOrderQty: '100', clientOrderId: 'm' })).toBe(
      `{${HEAD},"account":"a","orderId":"2","clientOrderId":"m","symbol":"BTCUSDT","side":"BUY","orderType":"MARKET","status":"NEW","quantity":"0","quoteOrderQty":"100"}`,
    );
    expect(orderNew(kernel, { account: 'a', side: 'SELL', type: 'TRAILING_STOP_MARKET', quantity: '0.01', activationPrice: '61000', callbackRate: '0.01', clientOrderId: 't' })).toBe(
      `{${HEAD},"account":"a","orderId":"3","clientOrderId":"t","symbol":"BTCUSDT","side":"SELL","orderType":"TRAILING_STOP_MARKET","status":"NEW","quantity":"0.01","activationPrice":"61000","callbackRate":"0.01"}`,
    );
    expect(orderNew(kernel, { account: 'a', side: 'SELL', type: 'STOP_LOSS_LIMIT', quantity: '0.01', price: '58000', stopPrice: '58100', clientOrderId: 's' })).toBe(
      `{${HEAD},"account":"a","orderId":"4","clientOrderId":"s","symbol":"BTCUSDT","side":"SELL","orderType":"STOP_LOSS_LIMIT","status":"NEW","price":"58000","quantity":"0.01","stopPrice":"58100"}`,
    );
    // A bracket with only a stop loss: no takeProfit key at all.
    expect(orderNew(kernel, { account: 'a', side: 'BUY', type: 'LIMIT', price: '59000.5', quantity: '0.02', clientOrderId: 'b', ocoGroup: 'g2', stopLoss: { stopPrice: '57000', price: '56900' } })).toBe(
      `{${HEAD},"account":"a","orderId":"5","clientOrderId":"b","symbol":"BTCUSDT","side":"BUY","orderType":"LIMIT","status":"NEW","ocoGroup":"g2","price":"59000.5","quantity":"0.02","stopLoss":{"stopPrice":"57000","price":"56900"}}`,
    );
  });

  it('on futures: the leverage after the quantity, reduce-only before it', () => {
    const kernel = started(true);
    expect(orderNew(kernel, { account: 'f', side: 'BUY', type: 'LIMIT', price: '59000', quantity: '0.01', clientOrderId: 'fl' })).toBe(
      `{${HEAD},"account":"f","orderId":"1","clientOrderId":"fl","symbol":"BTCUSDT","side":"BUY","orderType":"LIMIT","status":"NEW","price":"59000","quantity":"0.01","leverage":20}`,
    );
    // A position to reduce: a market buy that fills at the next bar's open.
    orderNew(kernel, { account: 'f', side: 'BUY', type: 'MARKET', quantity: '0.05', clientOrderId: 'fm' });
    kernel.handle({ kind: 'bar', time: T + 60_000, symbol: 'BTCUSDT', open: '60000', high: '60100', low: '59900', close: '60000', volume: '1', intervalMs: 60_000 });
    expect(orderNew(kernel, { account: 'f', side: 'SELL', type: 'STOP_LOSS', quantity: '0.01', stopPrice: '58000', reduceOnly: true, clientOrderId: 'fr' }, T + 119_999)).toBe(
      `{"type":"ORDER_NEW","at":${T + 119_999},"account":"f","orderId":"3","clientOrderId":"fr","symbol":"BTCUSDT","side":"SELL","orderType":"STOP_LOSS","status":"NEW","quantity":"0.01","stopPrice":"58000","reduceOnly":true,"leverage":20}`,
    );
  });
});
