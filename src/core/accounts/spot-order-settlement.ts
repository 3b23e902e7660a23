/**
 * The `Settlement` of a spot account: locks in the asset an order spends, fees as the fee model
 * charges them (see spot-settlement.ts for the arithmetic).
 */
import { formatFixed, mul, type Fixed } from '../money/fixed.js';
import type { Instrument } from '../instruments/instrument.js';
import { feeRate, feeUnit, spotFeeBasis, wholeFee } from '../matching/fee-model.js';
import type { MarketBudget, Settlement, SettledFill } from '../matching/settlement.js';
import type { WalkPlan } from '../matching/taker-walk.js';
import { isConditional, type Liquidity, type Order } from '../orders/order.js';
import { rejection, type Rejection } from '../orders/rejection.js';
import type { SpotAccount } from './spot-account.js';
import { initialLock, releaseExcess, settleFill } from './spot-settlement.js';

const fmt = (v: Fixed): string => formatFixed(v);

export class SpotOrderSettlement implements Settlement {
  constructor(
    private readonly account: SpotAccount,
    private readonly instrument: Instrument,
    private readonly bestBid: () => Fixed | undefined,
    /** The market's price for sizing a trailing stop's reservation (last trade, else the book). */
    private readonly marketPrice: () => Fixed | undefined = () => undefined,
  ) {}

  readonly sharesOcoReservation = true;

  reserve(order: Order, heldBySiblings: Fixed = 0n): Rejection | undefined {
    const need = initialLock(order, this.account, this.instrument, this.marketPrice());
    if (need === undefined) return rejection('INVALID_ORDER', 'no market price yet to size the trailing stop’s reservation; give an activationPrice');
    // An OCO leg whose siblings already hold what it needs reserves nothing more.
    const lock = need > heldBySiblings ? need - heldBySiblings : 0n;
    if (lock > 0n && !this.account.lock(order.lockedAsset, lock)) {
      return rejection('INSUFFICIENT_BALANCE', `${fmt(lock)} ${order.lockedAsset} needed, ${fmt(this.account.balance(order.lockedAsset).free)} free`);
    }
    order.locked = lock;
    return undefined;
  }

  checkMarket(order: Order, plan: WalkPlan): Rejection | undefined {
    const { account, instrument } = this;
    if (order.side === 'BUY' && order.quoteOrderQty === undefined) {
      const basis = spotFeeBasis(account.fees, instrument, 'BUY');
      const fee = basis.onBase ? 0n : wholeFee(plan.quote, feeRate(account.fees, instrument, 'TAKER'), basis.decimals);
      const free = account.balance(instrument.quote).free + order.locked;
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

  /** A spot lock already covers the taker part: buys fill at or below the limit, sells spend base. */
  checkTaker(): Rejection | undefined {
    return undefined;
  }

  /**
   * A quote-sized market order spends at most its quote amount; a triggered stop-market buy at most
   * its lock plus the free quote balance. When fees are in the quote asset, one commission unit is
   * kept back: the fee, rounded up once, exceeds Σ notional × rate by less than that.
   */
  marketBudget(order: Order): MarketBudget | undefined {
    const { account, instrument } = this;
    const basis = spotFeeBasis(account.fees, instrument, order.side);
    const rate = order.side === 'BUY' && !basis.onBase ? feeRate(account.fees, instrument, 'TAKER') : 0n;
    const margin = rate > 0n ? feeUnit(basis.decimals) : 0n;
    let amount: Fixed;
    if (order.quoteOrderQty !== undefined) amount = order.quoteOrderQty - order.cumulativeQuoteQty - margin;
    else if (order.side === 'BUY' && isConditional(order.type)) amount = order.locked + account.balance(instrument.quote).free - margin;
    else return undefined;
    return { amount: amount > 0n ? amount : 0n, feeRate: rate };
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
