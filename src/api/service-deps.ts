/**
 * What the HTTP layer needs from the rest of the service. Routes see only these ports, so tests
 * can build the server in-process over a real engine and database.
 */
import type { Kysely } from 'kysely';
import type { AuditLog } from '../persistence/audit-log.js';
import type { CredentialStore } from '../persistence/credential-store.js';
import type { Database } from '../persistence/schema.js';
import type { EngineHub } from './engine-hub.js';

export interface PlaceOrderRequest {
  readonly symbol: string;
  readonly side: 'BUY' | 'SELL';
  readonly type: string;
  readonly quantity?: string;
  readonly quoteOrderQty?: string;
  readonly price?: string;
  readonly stopPrice?: string;
  readonly activationPrice?: string;
  readonly callbackRate?: string;
  readonly reduceOnly?: boolean;
  readonly clientOrderId?: string;
}

export interface OrderView {
  readonly orderId: string;
  readonly clientOrderId: string;
  readonly symbol: string;
  readonly side: string;
  readonly type: string;
  readonly status: string;
  readonly price?: string;
  readonly quantity: string;
  readonly executedQty: string;
  readonly cumulativeQuoteQty: string;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly mode: 'paper' | 'live';
}

export type ExecutionResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: { readonly code: string; readonly message: string; readonly mexcCode?: number } };

/** The paper/live facade (src/execution) as the routes use it. */
export interface ExecutionPort {
  readonly mode: 'paper' | 'live';
  placeOrder(accountId: string, request: PlaceOrderRequest): Promise<ExecutionResult<OrderView>>;
  cancelOrder(accountId: string, ref: { orderId?: string; clientOrderId?: string; symbol?: string }): Promise<ExecutionResult<OrderView>>;
  getOrder(accountId: string, ref: { orderId?: string; clientOrderId?: string; symbol?: string }): Promise<ExecutionResult<OrderView>>;
  openOrders(accountId: string, symbol?: string): Promise<ExecutionResult<OrderView[]>>;
  balances(accountId: string): Promise<ExecutionResult<Record<string, { free: string; locked: string }>>>;
}

export interface FeedStatus {
  readonly symbol: string;
  readonly source: 'replay' | 'live';
  readonly status: 'synced' | 'awaiting-snapshot' | 'resync-needed' | 'stale';
  readonly lastEventAt: number | undefined;
  readonly reason?: string;
}

export interface ModeStatus {
  readonly mode: 'paper' | 'live';
  /** Why live trading is refused, when it is (the interlock's missing pieces). */
  readonly liveRefusedBecause: readonly string[];
}

export interface ServiceDeps {
  readonly hub: EngineHub;
  readonly db: Kysely<Database>;
  readonly credentials: CredentialStore;
  readonly audit: AuditLog;
  readonly execution: ExecutionPort;
  /** sha256 (hex) of the admin API key. */
  readonly adminKeyHash: string;
  readonly mode: ModeStatus;
  feeds(): FeedStatus[];
  /** Wall clock for audit entries (injected for tests). */
  readonly wallClock?: () => number;
}
