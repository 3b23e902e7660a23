/**
 * The `Settlement` of a spot account: locks in the asset an order spends, fees as the exchange
 * charges them (see spot-settlement.ts for the arithmetic).
 */
import { mul, type Fixed } from '../money/fixed.js';
import type { Instrument } from '../instruments/instrument.js';
import type { Settlement, SettledFill } from '../matching/settlement.js';
import type { WalkPlan } from '../matching/taker-walk.js';
import type { Liquidity, Order } from '../orders/order.js';
import { rejection, type Rejection } from '../orders/rejection.js';
import { formatFixed } from '../money/fixed.js';
import type { SpotAccount } from './spot-account.js';
import { chargedFee, feeAssetMode, feeRate, initialLock, releaseExcess, settleFill } from './spot-settlement.js';

const fmt = (v: Fixed): string => formatFixed(v);

export class SpotOrderSettlement implements Settlement {
  constructor(
    private readonly account: SpotAccount,
    private readonly instrument: Instrument,
    private readonly bestBid: () => Fixed | undefined,
  ) {}

  reserve(order: Order): Rejection | undefined {
    const lock = initialLock(order, this.account, this.instrument);
    if (!this.account.lock(order.lockedAsset, lock)) {
      return rejection('INSUFFICIENT_BALANCE', `${fmt(lock)} ${order.lockedAsset} needed, ${fmt(this.account.balance(order.lockedAsset).free)} free`);
    }
    order.locked = lock;
    return undefined;
  }

  checkMarket(order: Order, plan: WalkPlan): Rejection | undefined {
    const { account, instrument } = this;
    if (order.side === 'BUY' && order.quoteOrderQty === undefined) {
      const fee = feeAssetMode(account, instrument) === 'quote' ? chargedFee(plan.quote, feeRate(account, instrument, 'TAKER'), instrument.quoteCommissionPrecision) : 0n;
      const free = account.balance(instrument.quote).free;
      if (plan.quote + fee > free) return rejection('INSUFFICIENT_BALANCE', `about ${fmt(plan.quote + fee)} ${instrument.quote} needed, ${fmt(free)} free`);
      if (plan.quantity > 0n && plan.quote < instrument.minNotional) return rejection('MIN_NOTIONAL', `${fmt(instrument.minNotional)} ${instrument.quote}`);
    }
    if (order.side === 'SELL' && order.quoteOrderQty !== undefined) {
      const free = account.balance(instrument.base).free;
      if (plan.quantity > free) return rejection('INSUFFICIENT_BALANCE', `${fmt(plan.quantity)} ${instrument.base} needed, ${fmt(free)} free`);
    }
    if (order.side === 'SELL' && order.quoteOrderQty === undefined) {
      const best = this.bestBid();
      if (best !== undefined && mul(best, order.quantity, 'down') < instrument.minNotional) {
        return rejection('MIN_NOTIONAL', `${fmt(instrument.minNotional)} ${instrument.quote}`);
      }
    }
    return undefined;
  }

  budgetFeeRate(order: Order): Fixed {
    return order.side === 'BUY' && feeAssetMode(this.account, this.instrument) === 'quote' ? feeRate(this.account, this.instrument, 'TAKER') : 0n;
  }

  fillableQty(_order: Order, wanted: Fixed): Fixed {
    return wanted;
  }

  settle(order: Order, price: Fixed, quantity: Fixed, liquidity: Liquidity): SettledFill {
    return settleFill(order, this.account, this.instrument, price, quantity, liquidity);
  }

  release(order: Order): void {
    releaseExcess(order, this.account, this.instrument);
  }
}
