/**
 * Order statuses as MEXC reports them, and the one table through which every status change passes.
 *
 * Guarantees: a transition missing from the table throws (a broken invariant, not a business error).
 */
export const ORDER_STATUSES = [
  'NEW',
  'PARTIALLY_FILLED',
  'FILLED',
  'CANCELED',
  'PARTIALLY_CANCELED',
  'REJECTED',
  'EXPIRED',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** What happened to an order. `expire` is the engine ending it (IOC/FOK/market remainder). */
export type OrderTransition = 'partial-fill' | 'fill' | 'cancel' | 'expire';

const TABLE: Readonly<Record<OrderStatus, Partial<Record<OrderTransition, OrderStatus>>>> = {
  NEW: { 'partial-fill': 'PARTIALLY_FILLED', fill: 'FILLED', cancel: 'CANCELED', expire: 'EXPIRED' },
  PARTIALLY_FILLED: {
    'partial-fill': 'PARTIALLY_FILLED',
    fill: 'FILLED',
    cancel: 'PARTIALLY_CANCELED',
    // MEXC has no "partially expired": the executed part stands and the rest is cancelled.
    expire: 'PARTIALLY_CANCELED',
  },
  FILLED: {},
  CANCELED: {},
  PARTIALLY_CANCELED: {},
  REJECTED: {},
  EXPIRED: {},
};

export function nextStatus(status: OrderStatus, transition: OrderTransition): OrderStatus {
  const next = TABLE[status][transition];
  if (next === undefined) throw new Error(`illegal order transition: ${status} --${transition}-->`);
  return next;
}

export function isOpenStatus(status: OrderStatus): boolean {
  return status === 'NEW' || status === 'PARTIALLY_FILLED';
}
