/**
 * Paper orders resting on one side of one symbol, in price-time priority.
 *
 * Guarantees: iteration runs best price first, then earliest arrival (`arrivalSeq`, then an order
 * placed as it stands before a triggered conditional one, then the id as a number: a strict order,
 * so that a removal's search finds the order); an order is present at most once. Paper orders
 * never appear in the exchange's book and never trade with each other.
 * `statedAt` keeps, for prices where orders rest, the exchange time of the latest depth update that
 * stated the level: trades stamped at or before it are already in the queue sizes (ADR 0026).
 * Cost: O(log n) search and membership, O(n) insertion/removal (one array move; n is the number of
 * resting paper orders).
 */
import { partsOfFixed, SCALE_DIGITS, type Fixed } from '../money/fixed.js';
import { isConditional, type Order, type Side } from '../orders/order.js';

/** 10^(18 − f) as a double, exact (powers of ten up to 10^22 are). */
const SCALE_OF_FRACTION: readonly number[] = Array.from({ length: SCALE_DIGITS + 1 }, (_, f) => 10 ** (SCALE_DIGITS - f));

/** Buckets of `RestingOrders.buckets` − 1 (8,192 buckets, 32 KiB a side that holds orders). */
const BUCKET_MASK = 8_191;

export class RestingOrders {
  /** Best first. */
  private readonly orders: Order[] = [];
  /** Price → exchange time of the latest depth update stating that level; only prices where orders rest. */
  readonly statedAt = new Map<Fixed, number>();
  /** How many orders rest at prices of each decimal mantissa (`partsOfFixed`). */
  private readonly mantissas = new Map<number, number>();
  /**
   * How many orders rest at prices whose mantissa falls in each bucket (mantissa mod 2^13): a level
   * whose bucket is empty is answered without hashing its mantissa (most stated levels: the resting
   * prices fill few buckets). Made at the first order held.
   */
  private buckets: Int32Array | undefined;
  /** The lowest and highest resting price as doubles (`Number` of the Fixed); empty range when none rests. */
  private low = Infinity;
  private high = -Infinity;

  constructor(readonly side: Side) {}

  get size(): number {
    return this.orders.length;
  }

  /** Orders best first; do not mutate the list while iterating (copy first). */
  all(): readonly Order[] {
    return this.orders;
  }

  best(): Order | undefined {
    return this.orders[0];
  }

  insert(order: Order): void {
    this.orders.splice(this.position(order), 0, order);
    this.count(order.price!, 1);
    this.bound();
  }

  remove(order: Order): void {
    const i = this.position(order);
    if (this.orders[i] !== order) throw new Error(`resting order ${order.id} missing from its side`);
    this.orders.splice(i, 1);
    this.count(order.price!, -1);
    if (this.firstIndexAt(order.price!) < 0) this.statedAt.delete(order.price!);
    this.bound();
  }

  /** `low` and `high` from the first and last order (best first, so they are the extremes). */
  private bound(): void {
    const n = this.orders.length;
    if (n === 0) {
      this.low = Infinity;
      this.high = -Infinity;
      return;
    }
    const a = Number(this.orders[0]!.price!);
    const b = Number(this.orders[n - 1]!.price!);
    this.low = a < b ? a : b;
    this.high = a < b ? b : a;
  }

  /**
   * The first index in [`from`, `to`) of a level priced `mantissas[i]` × 10^-`fractions[i]` (see
   * `readDecimal`) where an order may rest; `to` when none. Skipped: a level outside the resting
   * prices, or whose mantissa no order's price has (its bucket first, then the Map). A level returned
   * may still hold no order (same mantissa, another fraction): it is looked up as a Fixed then.
   * One loop over a delta's levels, the filters held in locals.
   */
  nextMayRest(mantissas: readonly number[], fractions: readonly number[], from: number, to: number): number {
    const { low, high, buckets } = this;
    if (buckets === undefined) return to;
    for (let i = from; i < to; i += 1) {
      const mantissa = mantissas[i]!;
      // The level's double, m × 10^(18−f) in one correctly rounded product, is Number of its Fixed;
      // rounding is monotonic, so a level whose double is outside [low, high] is outside the resting prices.
      const key = mantissa * SCALE_OF_FRACTION[fractions[i]!]!;
      if (key < low || key > high || buckets[mantissa & BUCKET_MASK] === 0) continue;
      if (this.mantissas.has(mantissa)) return i;
    }
    return to;
  }

  private count(price: Fixed, delta: 1 | -1): void {
    const mantissa = partsOfFixed(price)?.mantissa;
    if (mantissa === undefined) return; // no book level has such a price
    const buckets = (this.buckets ??= new Int32Array(BUCKET_MASK + 1));
    buckets[mantissa & BUCKET_MASK]! += delta;
    const n = (this.mantissas.get(mantissa) ?? 0) + delta;
    if (n === 0) this.mantissas.delete(mantissa);
    else this.mantissas.set(mantissa, n);
  }

  /**
   * The index in `all()` of the earliest order resting at exactly `price`, the others there following
   * it; -1 when none rests there. Without the array `at` makes.
   */
  firstIndexAt(price: Fixed): number {
    const i = this.firstIndexAtOrWorse(price);
    return i < this.orders.length && this.orders[i]!.price === price ? i : -1;
  }

  /**
   * Whether `order` rests on this side: one binary search (priority is a strict order, so a present
   * order is at its own search position), whatever the number of orders at its price.
   */
  has(order: Order): boolean {
    if (order.price === undefined) return false;
    return this.orders[this.position(order)] === order;
  }

  /** Resting orders at exactly `price`, earliest first. */
  at(price: Fixed): Order[] {
    const out: Order[] = [];
    let i = this.firstIndexAtOrWorse(price);
    while (i < this.orders.length && this.orders[i]!.price === price) {
      out.push(this.orders[i]!);
      i += 1;
    }
    return out;
  }

  /** True when `a` comes before `b` in priority (both resting on this side, or about to). */
  before(a: Order, b: Order): boolean {
    const pa = a.price!;
    const pb = b.price!;
    if (pa !== pb) return this.side === 'BUY' ? pa > pb : pa < pb;
    return compareArrival(a, b) < 0;
  }

  private position(order: Order): number {
    let lo = 0;
    let hi = this.orders.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.before(this.orders[mid]!, order)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private firstIndexAtOrWorse(price: Fixed): number {
    let lo = 0;
    let hi = this.orders.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const p = this.orders[mid]!.price!;
      const better = this.side === 'BUY' ? p > price : p < price;
      if (better) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/**
 * Time priority between two orders at one price: negative when `a` comes first. Earlier
 * `arrivalSeq` first; within one input an order placed as it stands before a conditional one (a
 * conditional order's arrivalSeq is the input that triggered it, and an input triggers only after
 * the orders it brings — latency releases, placements — are on the book), except orders an import
 * brought already triggered (`Order.imported`: the import triggered none of them); then the id as a number (several
 * orders arrive within one input: latency releases, an OCO list, bracket exits, an import; their
 * ids, given in arrival order, rank them; ids are decimal without leading zeros).
 */
export function compareArrival(a: Readonly<Order>, b: Readonly<Order>): number {
  if (a.arrivalSeq !== b.arrivalSeq) return a.arrivalSeq - b.arrivalSeq;
  const ca = triggeredInArrival(a);
  if (ca !== triggeredInArrival(b)) return ca ? 1 : -1;
  const ia = a.id;
  const ib = b.id;
  if (ia.length !== ib.length) return ia.length - ib.length;
  return ia < ib ? -1 : ia > ib ? 1 : 0;
}

/** Whether the order's `arrivalSeq` is that of the input that triggered it. */
function triggeredInArrival(o: Readonly<Order>): boolean {
  return o.imported !== true && isConditional(o.type);
}
