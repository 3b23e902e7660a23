/**
 * The kernel's state as one JSON document, for snapshots and restarts.
 *
 * Guarantees: `decodeState(encodeState(s))` gives back `s` exactly, bigints included (encoded as
 * `{"$n":"…"}`, an object no input or event ever contains); encoding is deterministic, because every
 * collection is written in its insertion order and restored in the same order.
 */
import type { AssetLedger, Balance, FeeSchedule } from '../accounts/spot-account.js';
import type { FuturesLedger } from '../accounts/futures-account.js';
import type { MarginMode, Position } from '../accounts/position.js';
import type { SynchronizerState } from '../book/book-synchronizer.js';
import type { BookSideName } from '../book/book-side.js';
import type { Fixed } from '../money/fixed.js';
import type { Order } from '../orders/order.js';
import type { CancelOrderInput, PlaceOrderInput } from './inputs.js';

export const SNAPSHOT_VERSION = 1;

export interface MarketState {
  readonly symbol: string;
  readonly sync: SynchronizerState;
  readonly own: ReadonlyArray<readonly [BookSideName, Fixed, Fixed]>;
  readonly resting: readonly string[];
  readonly waiting: readonly string[];
  readonly conditionals: readonly string[];
  readonly mark: Fixed | undefined;
  readonly markFromInput: boolean;
  readonly lastTradePrice: string | undefined;
}

export type AccountState =
  | { readonly kind: 'spot'; readonly id: string; readonly fees: FeeSchedule; readonly balances: [string, Balance][]; readonly ledger: [string, AssetLedger][] }
  | {
      readonly kind: 'futures';
      readonly id: string;
      readonly fees: FeeSchedule;
      readonly settleAsset: string;
      readonly marginMode: MarginMode;
      readonly defaultLeverage: number;
      readonly cash: Fixed;
      readonly reserved: Fixed;
      readonly positions: Position[];
      readonly leverage: [string, number][];
      readonly ledger: FuturesLedger;
      readonly positionSeq: number;
    };

export interface HealthSnapshot {
  readonly tracker: readonly [Fixed, Fixed, Fixed, Fixed] | undefined;
  readonly limit: Fixed | undefined;
  readonly closeOnHalt: boolean;
  readonly halted: boolean;
  readonly lastEquity: Fixed;
}

export interface KernelState {
  readonly version: number;
  /** The kernel configuration's fingerprint; restoring under another one is refused. */
  readonly config: string;
  readonly clock: number;
  readonly started: boolean;
  readonly sequence: number;
  readonly orderSeq: number;
  readonly tradeSeq: number;
  readonly nextSampleAt: number;
  readonly nextFundingAt: number;
  readonly markets: readonly MarketState[];
  readonly accounts: readonly AccountState[];
  readonly health: ReadonlyArray<readonly [string, HealthSnapshot]>;
  readonly orders: readonly Order[];
  readonly clientIds: ReadonlyArray<readonly [string, ReadonlyArray<readonly [string, string]>]>;
  readonly pending: ReadonlyArray<{ readonly arrivesAt: number; readonly seq: number; readonly input: PlaceOrderInput | CancelOrderInput }>;
}

export function encodeState(state: KernelState): string {
  return JSON.stringify(state, (_key, value: unknown) => (typeof value === 'bigint' ? { $n: value.toString() } : value));
}

export function decodeState(text: string): KernelState {
  const state = JSON.parse(text, (_key, value: unknown) => {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      const keys = Object.keys(value);
      if (keys.length === 1 && keys[0] === '$n') return BigInt((value as { $n: string }).$n);
    }
    return value;
  }) as KernelState;
  if (state.version !== SNAPSHOT_VERSION) throw new Error(`snapshot version ${String(state.version)} is not ${SNAPSHOT_VERSION}`);
  return state;
}

export const ACCOUNT_DOCUMENT_FORMAT = 'papertrade.account';

/** One account, exported: its state, health, every order (open ones with where they wait) and client ids. */
export interface AccountDocument {
  readonly format: typeof ACCOUNT_DOCUMENT_FORMAT;
  readonly version: number;
  readonly exportedAt: number;
  readonly account: AccountState;
  readonly health: HealthSnapshot;
  readonly orders: readonly Order[];
  /** Open orders only: order id → where it waits. */
  readonly placements: Readonly<Record<string, 'resting' | 'waiting' | 'conditional'>>;
  readonly clientIds: ReadonlyArray<readonly [string, string]>;
}

export function encodeDocument(document: AccountDocument): string {
  return JSON.stringify(document, (_key, value: unknown) => (typeof value === 'bigint' ? { $n: value.toString() } : value), 2);
}

export function decodeDocument(text: string): AccountDocument {
  const document = JSON.parse(text, (_key, value: unknown) => {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      const keys = Object.keys(value);
      if (keys.length === 1 && keys[0] === '$n') return BigInt((value as { $n: string }).$n);
    }
    return value;
  }) as AccountDocument;
  if (document?.format !== ACCOUNT_DOCUMENT_FORMAT || document.version !== 1) throw new Error(`not a ${ACCOUNT_DOCUMENT_FORMAT} version 1 document`);
  return document;
}
