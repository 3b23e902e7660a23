/** The order execution facade: one interface, a paper (kernel) and a live (ccxt) implementation. */
export {
  EXECUTION_ERROR_CODES,
  generateClientOrderId,
  type BalancesView,
  type ExecutionError,
  type ExecutionMode,
  type ExecutionResult,
  type OrderExecutionService,
  type OrderRef,
  type OrderView,
  type PlaceOrderRequest,
} from './order-execution-service.js';
export { PaperExecutionService, paperOrderView, type PaperExecutionOptions, type PaperExecutionPort } from './paper-execution-service.js';
export { LiveExecutionService, type LiveExecutionOptions, type LiveLogger } from './live-execution-service.js';
export { EventWaiter, type EventWait } from './event-waiter.js';
export { createExchangeClient, defaultExchangeFactory, type ExchangeFactory } from './exchange-client.js';
export { ccxtBalancesToView, ccxtOrderToView, exchangeSymbolOf, mapCcxtError, orderStatusOf, toCcxtOrderArgs, type MappedError } from './ccxt-mapping.js';
export { createExecutionService, type CreateExecutionServiceOptions } from './create-execution-service.js';
