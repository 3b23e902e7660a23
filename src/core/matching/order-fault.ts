/**
 * A broken invariant met while one paper order was being filled (its settlement would take a
 * balance negative, release more than it holds, …): the error names the order and keeps the
 * cause. The kernel contains it at that order (kernel.ts, `contain`): the order is canceled
 * (`ORDER_FAULT_REASON`) and the input that met the fault applies without it, so that one order's
 * fault does not hold a market input back from every account.
 */
export class OrderFault extends Error {
  override readonly name = 'OrderFault';

  constructor(
    readonly orderId: string,
    readonly account: string,
    cause: unknown,
  ) {
    super(`order ${orderId} of account ${account}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }

  /** `error` as met while filling `order`: a fault already naming an order (a nested fill's) stays as it is. */
  static of(order: { readonly id: string; readonly account: string }, error: unknown): OrderFault {
    return error instanceof OrderFault ? error : new OrderFault(order.id, order.account, error);
  }
}

/** The reason of the ORDER_CANCELED event of an order the kernel canceled after its fill broke an invariant. */
export const ORDER_FAULT_REASON = 'INTERNAL_ERROR';
