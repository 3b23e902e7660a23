/**
 * The quantity an order states, in every API that shows one (the native order view and CSV export,
 * Binance's and MEXC's `origQty`).
 */
import { parseFixed } from '../../core/money/fixed.js';

/**
 * An order's quantity (base asset, decimal string): the quantity given, or, for a market order
 * sized in quote (`quoteOrderQty`, which names no quantity, so the engine holds "0"), the base
 * quantity it executed. Binance answers such an order with origQty = executedQty and the amount
 * asked in `origQuoteOrderQty`; MEXC the same (a quoteOrderQty=6 KASUSDT buy queried back as
 * origQty "32.69" = executedQty: mexcdevelop/mexc-api-sdk issue #77). So quantity − executedQty
 * stays what is left, and a reader never sees "0" for an order that bought something.
 * `quoteOrderQty` may be absent or null (the read tables' column): then the quantity given.
 */
export function orderedQuantity(o: { readonly quantity: string; readonly quoteOrderQty?: string | null; readonly executedQty: string }): string {
  return o.quoteOrderQty !== undefined && o.quoteOrderQty !== null && parseFixed(o.quantity) === 0n ? o.executedQty : o.quantity;
}

/** The order (a view or a read-table row) with its `quantity` stated by {@link orderedQuantity}; its other fields, `quoteOrderQty` among them, as they are. */
export function withOrderedQuantity<T extends { readonly quantity: string; readonly quoteOrderQty?: string | null; readonly executedQty: string }>(o: T): T {
  return { ...o, quantity: orderedQuantity(o) };
}
