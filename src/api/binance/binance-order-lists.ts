/**
 * Binance Spot v3's order list object (`POST /api/v3/orderList/oco`, `GET` and `DELETE
 * /api/v3/orderList`, `GET /api/v3/openOrderList`, `GET /api/v3/allOrderList`, and each list entry of
 * `DELETE /api/v3/openOrders`) built from the list's orders, oldest first, as the kernel or the read
 * tables hold them (api/order-groups.ts):
 *
 *   { orderListId, contingencyType, listStatusType, listOrderStatus, listClientOrderId,
 *     transactionTime, symbol, orders: [{ symbol, orderId, clientOrderId }], orderReports?: [...] }
 *
 * `orderListId` is the id of the list's first order; `listClientOrderId` the group id; times are Unix
 * ms on the exchange clock. Reports, when asked for, are the placement's RESULT answers ("placed") or
 * the cancel answers of `DELETE /api/v3/order` ("canceled"), each naming the list; Binance's cancel
 * answers of a list (`DELETE /api/v3/orderList`, `DELETE /api/v3/openOrders`) carry cancel reports
 * (https://developers.binance.com/docs/binance-spot-api-docs/rest-api/trading-endpoints).
 */
import { extend } from '../../core/objects.js';
import { isOpenStatus } from '../../core/orders/order-status.js';
import type { Order } from '../../core/orders/order.js';
import { paperOrderView } from '../../execution/paper-execution-service.js';
import { binanceCanceledOrder, binanceNewOrder, idNumber } from './binance-mappers.js';

export type OrderListReports = 'none' | 'placed' | 'canceled';

/** The list `group` of `orders` (at least one, oldest first) as Binance states it. */
export function binanceOrderList(group: string, orders: readonly Readonly<Order>[], reports: OrderListReports): Record<string, unknown> {
  const first = orders[0];
  if (first === undefined) throw new Error(`order list ${group} has no order`);
  const open = orders.some((o) => isOpenStatus(o.status));
  const listId = idNumber(first.id);
  const report = (o: Readonly<Order>): Record<string, unknown> =>
    reports === 'canceled' ? binanceCanceledOrder(paperOrderView(o), o, o.clientOrderId, listId) : extend(binanceNewOrder(paperOrderView(o), o, 'RESULT', []), { orderListId: listId });
  return {
    orderListId: listId,
    contingencyType: orders.some((o) => o.bracket !== undefined) ? 'OTO' : 'OCO',
    listStatusType: open ? 'EXEC_STARTED' : 'ALL_DONE',
    listOrderStatus: open ? 'EXECUTING' : 'ALL_DONE',
    listClientOrderId: group,
    transactionTime: Math.max(...orders.map((o) => o.updatedAt)),
    symbol: first.symbol,
    orders: orders.map((o) => ({ symbol: o.symbol, orderId: idNumber(o.id), clientOrderId: o.clientOrderId })),
    ...(reports !== 'none' ? { orderReports: orders.map(report) } : {}),
  };
}

/** A list once it is cancelled (`DELETE /api/v3/orderList`, a list entry of `DELETE /api/v3/openOrders`): ALL_DONE, with cancel reports. */
export function binanceCanceledOrderList(group: string, orders: readonly Readonly<Order>[]): Record<string, unknown> {
  return extend(binanceOrderList(group, orders, 'canceled'), { listStatusType: 'ALL_DONE', listOrderStatus: 'ALL_DONE' });
}
