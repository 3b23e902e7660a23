/**
 * papertrade's public API. Everything a library user may rely on is exported here; nothing else
 * is reachable by deep import (see package.json `exports`).
 */
export { Kernel, type KernelConfig } from './core/kernel/kernel.js';
export type * from './core/kernel/inputs.js';
export type * from './core/kernel/events.js';
export { parseFixed, formatFixed, type Fixed } from './core/money/fixed.js';
export { BUNDLED_INSTRUMENTS, findBundledInstrument } from './core/instruments/bundled-instruments.js';
export type { Instrument, MarginTier, MarketKind } from './core/instruments/instrument.js';
export { ORDER_STATUSES, type OrderStatus } from './core/orders/order-status.js';
export { ORDER_TYPES, type OrderType, type Side, type Liquidity } from './core/orders/order.js';
export { REJECTION_CODES, type RejectionCode, type Rejection } from './core/orders/rejection.js';
export { readRecording, type Recording } from './market-data/recording-reader.js';
export { parseOrders, readOrdersFile, type OrderCommand } from './market-data/orders-file.js';
export { runReplay, type ReplayOptions, type ReplayResult, type BalancesEvent } from './market-data/replay-session.js';
