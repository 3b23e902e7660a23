/**
 * The database's shape as Kysely sees it (camelCase here, snake_case in SQL via CamelCasePlugin).
 *
 * Guarantees: every amount, price and quantity is a decimal string (SQLite TEXT, PostgreSQL NUMERIC),
 * never a JS number; every time is Unix ms as a number; JSON columns are text, kept byte for byte.
 */
import type { ColumnType, Generated } from 'kysely';

export type DecimalString = string;
/** Unix milliseconds. */
export type UnixMs = number;
/** JSON text, stored and returned exactly as written. */
export type JsonText = string;

export interface AccountTable {
  id: string;
  userId: string | null;
  name: string;
  type: 'spot' | 'futures';
  /** The equity the account was opened or last reset with, in the valuation asset (the kernel's EQUITY at that moment). */
  initialBalance: DecimalString;
  balance: DecimalString;
  equity: DecimalString;
  availableMargin: DecimalString;
  marginUsed: DecimalString;
  currentDrawdown: DecimalString;
  maxDrawdown: DecimalString;
  status: string;
  apiKey: string | null;
  /** A hash of the API secret for paper accounts; never the secret of a live venue key. */
  apiSecretHash: string | null;
  settings: JsonText;
  createdAt: UnixMs;
  updatedAt: UnixMs;
}

export interface BalanceTable {
  accountId: string;
  asset: string;
  free: DecimalString;
  locked: DecimalString;
  updatedAt: UnixMs;
}

export interface PositionTable {
  id: string;
  accountId: string;
  symbol: string;
  direction: 'LONG' | 'SHORT';
  totalSize: DecimalString;
  entryPrice: DecimalString;
  currentPrice: DecimalString;
  unrealizedPnl: DecimalString;
  stopLoss: DecimalString | null;
  takeProfit: DecimalString | null;
  leverage: number;
  marginUsed: DecimalString;
  liquidationPrice: DecimalString | null;
  status: 'OPEN' | 'CLOSED' | 'LIQUIDATED';
  trailingStop: JsonText | null;
  totalFundingPaid: DecimalString;
  openedAt: UnixMs;
  closedAt: UnixMs | null;
  /** The kernel's realized PnL of the position (every close, a liquidation's included); null on rows from before 0010. */
  realizedPnl: DecimalString | null;
  /** The fees of its fills and a liquidation's clearance fee; null on rows from before 0010. */
  feesPaid: DecimalString | null;
  /** A liquidated position: the size the liquidation closed and the price it closed at (the bankruptcy price). */
  liquidatedSize: DecimalString | null;
  bankruptcyPrice: DecimalString | null;
  /** A liquidated position: its LIQUIDATION event's input seq and index among the input's events; null on rows from before 0014. */
  liquidationSeq: number | null;
  liquidationIndex: number | null;
  /** A position a flip opened: the flip's fee × the quantity it opened / the fill's quantity (the kernel books the whole fee on the closed one); null otherwise and on rows from before 0014. */
  openingFee: DecimalString | null;
}

export interface OrderTable {
  id: string;
  accountId: string;
  clientOrderId: string;
  symbol: string;
  side: 'BUY' | 'SELL';
  type: string;
  price: DecimalString | null;
  quantity: DecimalString;
  quoteOrderQty: DecimalString | null;
  status: string;
  executedQty: DecimalString;
  cumulativeQuoteQty: DecimalString;
  /** Why the order ended when it was canceled or expired. */
  reason: string | null;
  createdAt: UnixMs;
  updatedAt: UnixMs;
  /** The order list (OCO pair, bracket) the order belongs to. */
  ocoGroup: string | null;
  /** Conditional orders: the trigger price; a trailing stop's armed stop, as last known. */
  stopPrice: DecimalString | null;
  /** Trailing stops: activation price and callback rate (0.01 = 1 %). */
  activationPrice: DecimalString | null;
  callbackRate: DecimalString | null;
  /** Orders that execute at the market: the slippage cap (a fraction of the best opposite price). */
  maxSlippage: DecimalString | null;
  /** Conditional orders: the price stream the trigger watches, 'last' or 'mark', when ORDER_NEW stated it (null: the engine's setting). */
  triggerSource: string | null;
  /** 1 when the order only reduces a position. */
  reduceOnly: Generated<number>;
  /** A bracket entry's exits, JSON `{ "stopPrice", "price"? }`. */
  takeProfit: JsonText | null;
  stopLoss: JsonText | null;
  /** Conditional orders: when the tape reached the trigger; null until then. */
  triggeredAt: UnixMs | null;
  /** When the order started working, where that is not its creation (it waited for a usable book, or an import brought it in; events' `workingTime`); null otherwise and on rows from before 0014. */
  workingTime: UnixMs | null;
  /** Futures: the leverage the order opened at (ORDER_NEW's `leverage`; 1 on spot). */
  leverage: Generated<number>;
}

/** Orders the engine refused: they never got an order id, so they live apart from `orders`. */
export interface OrderRejectionTable {
  /** `<input seq>:<event index>`: the rejection's place in the event stream. */
  id: string;
  accountId: string;
  clientOrderId: string;
  symbol: string;
  code: string;
  mexcCode: number;
  message: string;
  at: UnixMs;
}

export interface TradeTable {
  id: string;
  accountId: string;
  orderId: string;
  positionId: string | null;
  symbol: string;
  /** Position effect (futures): OPEN, CLOSE or PARTIAL_CLOSE; null for spot fills. */
  side: 'OPEN' | 'CLOSE' | 'PARTIAL_CLOSE' | null;
  orderSide: 'BUY' | 'SELL';
  size: DecimalString;
  price: DecimalString;
  quoteQty: DecimalString;
  /** Realized PnL (futures); null for spot fills. */
  pnl: DecimalString | null;
  fee: DecimalString;
  feeAsset: string;
  liquidity: 'MAKER' | 'TAKER';
  reason: string | null;
  timestamp: UnixMs;
}

/** One funding payment of a futures position (a FUNDING event), keyed by its place in the event stream. */
export interface FundingPaymentTable {
  /** The input whose handling paid it. */
  seq: ColumnType<number, number, number>;
  /** Its index among that input's events. */
  eventIndex: number;
  accountId: string;
  symbol: string;
  positionId: string;
  rate: DecimalString;
  markPrice: DecimalString;
  /** Positive: the account paid; negative: it received (in the settlement asset). */
  amount: DecimalString;
  at: UnixMs;
}

export interface EquityPointTable {
  accountId: string;
  at: UnixMs;
  equity: DecimalString;
}

export interface JournalTable {
  seq: number;
  at: UnixMs;
  input: JsonText;
}

export interface SnapshotTable {
  seq: number;
  at: UnixMs;
  /** The kernel state; empty when it is stored in `snapshot_parts`. */
  state: string;
  /** How many parts of `snapshot_parts` hold the state (0: it is in `state`); null in rows written before it was recorded. */
  parts: number | null;
  /** The `part` number of its first part (its parts are `firstPart` … `firstPart + parts - 1`); null: 0. */
  firstPart: number | null;
  /** SHA-256 of the state's UTF-8 bytes, lowercase hex; null: not recorded (rows written before it was). */
  digest: string | null;
}

/** A snapshot's state in parts (written one part per transaction), joined in `part` order. */
export interface SnapshotPartTable {
  seq: number;
  part: number;
  state: string;
}

export interface AuditLogTable {
  id: Generated<number>;
  at: UnixMs;
  actor: string;
  mode: 'paper' | 'live';
  action: string;
  accountId: string | null;
  details: JsonText;
}

export interface AccountCredentialsTable {
  accountId: string;
  name: string;
  type: 'spot' | 'futures';
  apiKey: string;
  apiSecret: string;
  settings: JsonText;
  createdAt: UnixMs;
  deletedAt: UnixMs | null;
}

export interface ServiceSettingsTable {
  key: string;
  value: string;
}

/** An input the kernel answered with INPUT_REJECTED; `seq` is its journal seq. */
export interface QuarantinedInputTable {
  seq: ColumnType<number, number, number>;
  /** Kernel (exchange) time when it was handled. */
  at: UnixMs;
  kind: string;
  /** INVALID_INPUT or INTERNAL. */
  code: string;
  reason: string;
  accountId: string | null;
}

export interface ReadModelCheckpointTable {
  name: string;
  seq: ColumnType<number, number, number>;
}

/** An outbound webhook endpoint: an account's (over the API) or the operator's (`accountId` null, from the environment). */
export interface WebhookTable {
  id: string;
  accountId: string | null;
  url: string;
  /** JSON array of event names. */
  events: JsonText;
  /** The HMAC-SHA256 signing secret (needed in clear to sign; shown to its owner once). */
  secret: string;
  description: string | null;
  createdAt: UnixMs;
  deletedAt: UnixMs | null;
}

/** One event for one endpoint: pending until delivered, failed when attempts ran out, canceled with its endpoint. */
export interface WebhookDeliveryTable {
  id: string;
  webhookId: string;
  event: string;
  /** The exact body sent on every attempt. */
  payload: JsonText;
  status: 'pending' | 'delivered' | 'failed' | 'canceled';
  attempts: number;
  nextAttemptAt: UnixMs | null;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: UnixMs;
  completedAt: UnixMs | null;
}

/** One HTTP attempt of a delivery (wall-clock time). */
export interface WebhookAttemptTable {
  deliveryId: string;
  attempt: number;
  statusCode: number | null;
  error: string | null;
  at: UnixMs;
  durationMs: number;
}

/** An account's exchange API credentials, sealed with AES-256-GCM (persistence/credential-cipher.ts). */
export interface AccountExchangeKeysTable {
  accountId: string;
  sealed: string;
  updatedAt: UnixMs;
}

export interface Database {
  accounts: AccountTable;
  balances: BalanceTable;
  positions: PositionTable;
  orders: OrderTable;
  order_rejections: OrderRejectionTable;
  trades: TradeTable;
  funding_payments: FundingPaymentTable;
  equity_points: EquityPointTable;
  journal: JournalTable;
  snapshots: SnapshotTable;
  snapshot_parts: SnapshotPartTable;
  audit_log: AuditLogTable;
  account_credentials: AccountCredentialsTable;
  service_settings: ServiceSettingsTable;
  read_model_checkpoint: ReadModelCheckpointTable;
  quarantined_inputs: QuarantinedInputTable;
  webhooks: WebhookTable;
  webhook_deliveries: WebhookDeliveryTable;
  webhook_attempts: WebhookAttemptTable;
  account_exchange_keys: AccountExchangeKeysTable;
}
