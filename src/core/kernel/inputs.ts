/**
 * Everything that can change the engine's state arrives as one of these inputs.
 *
 * Inputs are plain JSON (decimal strings for every price, quantity and amount) so that they can be
 * journaled and replayed byte for byte. `time` is exchange (event) time in Unix milliseconds.
 */
import type { OrderType, Side } from '../orders/order.js';
import type { FeeAssetMode } from '../accounts/spot-account.js';

export type DecimalString = string;
export type LevelInput = readonly [price: DecimalString, size: DecimalString];

export interface BookSnapshotInput {
  readonly kind: 'book.snapshot';
  readonly time: number;
  readonly symbol: string;
  readonly lastUpdateId: number;
  readonly bids: readonly LevelInput[];
  readonly asks: readonly LevelInput[];
}

export interface BookDeltaInput {
  readonly kind: 'book.delta';
  readonly time: number;
  readonly symbol: string;
  readonly firstUpdateId: number;
  readonly finalUpdateId: number;
  readonly previousFinalUpdateId?: number;
  readonly bids: readonly LevelInput[];
  readonly asks: readonly LevelInput[];
}

export interface TradeInput {
  readonly kind: 'trade';
  readonly time: number;
  readonly symbol: string;
  readonly tradeId: number;
  readonly price: DecimalString;
  readonly quantity: DecimalString;
  /** True when the buyer was the resting side (the aggressor sold). */
  readonly buyerMaker: boolean;
}

export interface ClockInput {
  readonly kind: 'clock';
  readonly time: number;
}

export interface OpenAccountInput {
  readonly kind: 'account.open';
  readonly time: number;
  readonly account: string;
  readonly balances: Readonly<Record<string, DecimalString>>;
  readonly fees?: {
    readonly maker?: DecimalString;
    readonly taker?: DecimalString;
    readonly feeAsset?: FeeAssetMode;
  };
}

export interface PlaceOrderInput {
  readonly kind: 'order.place';
  readonly time: number;
  readonly account: string;
  readonly symbol: string;
  readonly side: Side;
  readonly type: OrderType;
  readonly quantity?: DecimalString;
  readonly quoteOrderQty?: DecimalString;
  readonly price?: DecimalString;
  readonly clientOrderId?: string;
}

export interface CancelOrderInput {
  readonly kind: 'order.cancel';
  readonly time: number;
  readonly account: string;
  readonly orderId?: string;
  readonly clientOrderId?: string;
}

export type KernelInput =
  | BookSnapshotInput
  | BookDeltaInput
  | TradeInput
  | ClockInput
  | OpenAccountInput
  | PlaceOrderInput
  | CancelOrderInput;

export type CommandInput = OpenAccountInput | PlaceOrderInput | CancelOrderInput;
