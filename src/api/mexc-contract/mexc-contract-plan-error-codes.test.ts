/**
 * The `errorCode` MEXC's trigger order list gives a trigger order that could not place its order
 * (state 5): the code the order routes answer for the reason the engine kept on the order. The codes
 * are MEXC's futures API "Error code" table: 2005 "Balance insufficient", 2007 "Order price error",
 * 2008 "The quantity is insufficient", 2009 "Positions do not exist or have been closed", 2011 "Order
 * quantity error", 9999 "Public abnormal".
 */
import { describe, expect, it } from 'vitest';
import type { Order } from '../../core/orders/order.js';
import { planErrorCode } from './mexc-contract-plan-routes.js';

const failed = (reason: string | undefined) => ({ reason }) as unknown as Readonly<Order>;

describe('the errorCode of a trigger order that could not place its order', () => {
  it('is the MEXC code of the reason kept on the order', () => {
    expect(
      ['REDUCE_ONLY', 'REDUCE_ONLY_REJECTED', 'INSUFFICIENT_BALANCE', 'LEVERAGE_MARGIN_INSUFFICIENT', 'NO_LIQUIDITY', 'DEPTH_EXHAUSTED', 'SLIPPAGE_CAP', 'WOULD_TAKE', 'MAX_MARKET_QUANTITY'].map((r) => [r, planErrorCode(failed(r), 5)]),
    ).toEqual([
      ['REDUCE_ONLY', 2009],
      ['REDUCE_ONLY_REJECTED', 2009],
      ['INSUFFICIENT_BALANCE', 2005],
      ['LEVERAGE_MARGIN_INSUFFICIENT', 2005],
      ['NO_LIQUIDITY', 2008],
      ['DEPTH_EXHAUSTED', 2008],
      ['SLIPPAGE_CAP', 2008],
      ['WOULD_TAKE', 2007],
      ['MAX_MARKET_QUANTITY', 2011],
    ]);
  });

  it('is 9999 for a failed order that kept no reason, and 0 in every other state', () => {
    expect(planErrorCode(failed(undefined), 5)).toBe(9999);
    expect([1, 2, 3, 4].map((state) => planErrorCode(failed('TRIGGER_EXPIRED'), state as 1 | 2 | 3 | 4))).toEqual([0, 0, 0, 0]);
  });
});
