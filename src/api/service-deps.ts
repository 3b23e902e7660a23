/**
 * What the HTTP layer needs from the rest of the service. Routes see only these ports, so tests
 * can build the server in-process over a real engine and database.
 */
import type { Kysely } from 'kysely';
import type { AuditLog } from '../persistence/audit-log.js';
import type { CredentialStore } from '../persistence/credential-store.js';
import type { Database } from '../persistence/schema.js';
import type { OrderExecutionService } from '../execution/order-execution-service.js';
import type { AccountReadPort } from '../execution/account-read-port.js';
import type { ExchangeKeyStore } from '../persistence/exchange-key-store.js';
import type { EngineHub } from './engine-hub.js';

/** The paper/live facade (src/execution) as the routes use it. */
export type ExecutionPort = OrderExecutionService;
export type { ExecutionResult, OrderView, PlaceOrderRequest } from '../execution/order-execution-service.js';

export interface FeedStatus {
  readonly symbol: string;
  readonly source: 'replay' | 'live';
  readonly status: 'synced' | 'awaiting-snapshot' | 'resync-needed' | 'stale';
  readonly lastEventAt: number | undefined;
  readonly reason?: string;
  /** Live feeds: the ccxt exchange id. */
  readonly exchange?: string;
  /** Live feeds: what the stream has seen since start (reconnects, gaps, stale spells, …). */
  readonly counters?: Readonly<Record<string, number>>;
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
  /** Reads beyond the facade (history, equity, positions, …); absent: the paper reads over the kernel (api/paper-account-reads.ts). */
  readonly reads?: AccountReadPort;
  /** Each account's exchange credentials for live trading (sealed at rest); absent: none can be stored. */
  readonly exchangeKeys?: ExchangeKeyStore;
  /** Live: the last reconciliation of the service's record with the venue, and how to run one. */
  readonly reconciliation?: { last(): unknown; run(): Promise<unknown> };
  /** sha256 (hex) of the admin API key. */
  readonly adminKeyHash: string;
  readonly mode: ModeStatus;
  feeds(): FeedStatus[];
  /** Wall clock for audit entries (injected for tests). */
  readonly wallClock?: () => number;
}
