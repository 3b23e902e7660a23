/**
 * The order form's pre-checks against the instrument's published rules (tick, step, min/max
 * quantity, min notional). They mirror the exchange's filters to answer at once; whatever passes
 * still goes to the server, whose rejection is shown as it comes.
 */
import type { Instrument } from './api-client.js';
import { formatDecimal, isMultipleOf, mulDecimal, parseDecimal } from './decimal.js';

export type OrderKind = 'MARKET' | 'LIMIT' | 'LIMIT_MAKER' | 'IMMEDIATE_OR_CANCEL' | 'FILL_OR_KILL' | 'STOP_LOSS' | 'STOP_LOSS_LIMIT' | 'TAKE_PROFIT' | 'TAKE_PROFIT_LIMIT';

export const ORDER_KINDS: ReadonlyArray<{ value: OrderKind; label: string }> = [
  { value: 'LIMIT', label: 'Limit' },
  { value: 'MARKET', label: 'Market' },
  { value: 'LIMIT_MAKER', label: 'Post-only' },
  { value: 'IMMEDIATE_OR_CANCEL', label: 'IOC' },
  { value: 'FILL_OR_KILL', label: 'FOK' },
  { value: 'STOP_LOSS', label: 'Stop market' },
  { value: 'STOP_LOSS_LIMIT', label: 'Stop limit' },
  { value: 'TAKE_PROFIT', label: 'Take-profit market' },
  { value: 'TAKE_PROFIT_LIMIT', label: 'Take-profit limit' },
];

export const needsPrice = (k: OrderKind) => k !== 'MARKET' && k !== 'STOP_LOSS' && k !== 'TAKE_PROFIT';
export const needsStop = (k: OrderKind) => k.startsWith('STOP_LOSS') || k.startsWith('TAKE_PROFIT');

export interface OrderDraft {
  readonly kind: OrderKind;
  readonly side: 'BUY' | 'SELL';
  readonly quantity: string;
  readonly price: string;
  readonly stopPrice: string;
}

export type FieldErrors = Partial<Record<'quantity' | 'price' | 'stopPrice' | 'form', string>>;

/** Field errors for a draft; `reference` is the price a market order would meet (best ask or bid). */
export function checkOrder(draft: OrderDraft, instrument: Instrument, reference: string | undefined): FieldErrors {
  const errors: FieldErrors = {};
  const step = parseDecimal(instrument.stepSize) ?? 0n;
  const tick = parseDecimal(instrument.tickSize) ?? 0n;
  const minQty = parseDecimal(instrument.minQty) ?? 0n;
  const maxQty = parseDecimal(instrument.maxQty) ?? 0n;
  const minNotional = parseDecimal(instrument.minNotional) ?? 0n;

  const quantity = parseDecimal(draft.quantity);
  if (draft.quantity.trim() === '') errors.quantity = 'Enter a quantity.';
  else if (quantity === undefined || quantity === 0n) errors.quantity = 'Quantity must be a positive number.';
  else if (!isMultipleOf(quantity, step)) errors.quantity = `Quantity must be a multiple of the step size ${instrument.stepSize} ${instrument.base}.`;
  else if (quantity < minQty) errors.quantity = `Quantity is below the minimum ${instrument.minQty} ${instrument.base}.`;
  else if (maxQty > 0n && quantity > maxQty) errors.quantity = `Quantity is above the maximum ${instrument.maxQty} ${instrument.base}.`;

  let price: bigint | undefined;
  if (needsPrice(draft.kind)) {
    price = parseDecimal(draft.price);
    if (draft.price.trim() === '') errors.price = 'Enter a limit price.';
    else if (price === undefined || price === 0n) errors.price = 'Price must be a positive number.';
    else if (!isMultipleOf(price, tick)) errors.price = `Price must be a multiple of the tick size ${instrument.tickSize}.`;
  }
  if (needsStop(draft.kind)) {
    const stop = parseDecimal(draft.stopPrice);
    if (draft.stopPrice.trim() === '') errors.stopPrice = 'Enter a trigger price.';
    else if (stop === undefined || stop === 0n) errors.stopPrice = 'Trigger price must be a positive number.';
    else if (!isMultipleOf(stop, tick)) errors.stopPrice = `Trigger price must be a multiple of the tick size ${instrument.tickSize}.`;
    else if (price === undefined) price = stop;
  }
  if (price === undefined && reference !== undefined) price = parseDecimal(reference);

  if (errors.quantity === undefined && errors.price === undefined && quantity !== undefined && price !== undefined && minNotional > 0n) {
    const notional = mulDecimal(quantity, price);
    if (notional < minNotional) {
      errors.form = `MIN_NOTIONAL: the order value ${formatDecimal(notional, 2)} ${instrument.quote} is below the minimum ${instrument.minNotional} ${instrument.quote}.`;
    }
  }
  return errors;
}
