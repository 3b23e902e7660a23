/**
 * Versioned schema migrations, listed in code (not scanned from a folder) so they run the same from
 * src/ under tsx and from dist/.
 *
 * Guarantees: migrations apply in name order, each once (Kysely's migration table and lock);
 * running `migrateToLatest` again is a no-op. A migration, once released, is never edited: changes
 * are new entries. Amount columns are TEXT on SQLite (its NUMERIC affinity would turn them into
 * floats) and NUMERIC on PostgreSQL (exact, keeps the written scale).
 */
import { Migrator, PostgresAdapter, sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';

// Migrations see the database as it was when they were written, not as `Database` is today.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

const isPostgres = (db: AnyDb): boolean => db.getExecutor().adapter instanceof PostgresAdapter;

const initial: Migration = {
  async up(db: AnyDb): Promise<void> {
    const pg = isPostgres(db);
    const dec = pg ? sql`numeric` : sql`text`;
    const zero = pg ? sql`0` : sql`'0'`;

    await db.schema
      .createTable('accounts')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('user_id', 'text')
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull().check(sql`type in ('spot', 'futures')`))
      .addColumn('initial_balance', dec, (c) => c.notNull().defaultTo(zero))
      .addColumn('balance', dec, (c) => c.notNull().defaultTo(zero))
      .addColumn('equity', dec, (c) => c.notNull().defaultTo(zero))
      .addColumn('available_margin', dec, (c) => c.notNull().defaultTo(zero))
      .addColumn('margin_used', dec, (c) => c.notNull().defaultTo(zero))
      .addColumn('current_drawdown', dec, (c) => c.notNull().defaultTo(zero))
      .addColumn('max_drawdown', dec, (c) => c.notNull().defaultTo(zero))
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('api_key', 'text', (c) => c.unique())
      .addColumn('api_secret_hash', 'text')
      .addColumn('settings', 'text', (c) => c.notNull().defaultTo('{}'))
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('accounts_user_id').on('accounts').column('user_id').execute();

    await db.schema
      .createTable('balances')
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('asset', 'text', (c) => c.notNull())
      .addColumn('free', dec, (c) => c.notNull())
      .addColumn('locked', dec, (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('balances_pk', ['account_id', 'asset'])
      .execute();

    await db.schema
      .createTable('positions')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('symbol', 'text', (c) => c.notNull())
      .addColumn('direction', 'text', (c) => c.notNull().check(sql`direction in ('LONG', 'SHORT')`))
      .addColumn('total_size', dec, (c) => c.notNull())
      .addColumn('entry_price', dec, (c) => c.notNull())
      .addColumn('current_price', dec, (c) => c.notNull())
      .addColumn('unrealized_pnl', dec, (c) => c.notNull().defaultTo(zero))
      .addColumn('stop_loss', dec)
      .addColumn('take_profit', dec)
      .addColumn('leverage', 'integer', (c) => c.notNull())
      .addColumn('margin_used', dec, (c) => c.notNull().defaultTo(zero))
      .addColumn('liquidation_price', dec)
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('trailing_stop', 'text')
      .addColumn('total_funding_paid', dec, (c) => c.notNull().defaultTo(zero))
      .addColumn('opened_at', 'bigint', (c) => c.notNull())
      .addColumn('closed_at', 'bigint')
      .execute();
    await db.schema.createIndex('positions_account_status').on('positions').columns(['account_id', 'status']).execute();

    await db.schema
      .createTable('orders')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('client_order_id', 'text', (c) => c.notNull())
      .addColumn('symbol', 'text', (c) => c.notNull())
      .addColumn('side', 'text', (c) => c.notNull().check(sql`side in ('BUY', 'SELL')`))
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('price', dec)
      .addColumn('quantity', dec, (c) => c.notNull())
      .addColumn('quote_order_qty', dec)
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('executed_qty', dec, (c) => c.notNull())
      .addColumn('cumulative_quote_qty', dec, (c) => c.notNull())
      .addColumn('reason', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('orders_account_status').on('orders').columns(['account_id', 'status']).execute();
    await db.schema.createIndex('orders_account_client_id').on('orders').columns(['account_id', 'client_order_id']).execute();

    await db.schema
      .createTable('order_rejections')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('client_order_id', 'text', (c) => c.notNull())
      .addColumn('symbol', 'text', (c) => c.notNull())
      .addColumn('code', 'text', (c) => c.notNull())
      .addColumn('mexc_code', 'integer', (c) => c.notNull())
      .addColumn('message', 'text', (c) => c.notNull())
      .addColumn('at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('order_rejections_account_at').on('order_rejections').columns(['account_id', 'at']).execute();

    await db.schema
      .createTable('trades')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('order_id', 'text', (c) => c.notNull())
      .addColumn('position_id', 'text')
      .addColumn('symbol', 'text', (c) => c.notNull())
      .addColumn('side', 'text', (c) => c.check(sql`side in ('OPEN', 'CLOSE', 'PARTIAL_CLOSE')`))
      .addColumn('order_side', 'text', (c) => c.notNull().check(sql`order_side in ('BUY', 'SELL')`))
      .addColumn('size', dec, (c) => c.notNull())
      .addColumn('price', dec, (c) => c.notNull())
      .addColumn('quote_qty', dec, (c) => c.notNull())
      .addColumn('pnl', dec)
      .addColumn('fee', dec, (c) => c.notNull())
      .addColumn('fee_asset', 'text', (c) => c.notNull())
      .addColumn('liquidity', 'text', (c) => c.notNull())
      .addColumn('reason', 'text')
      .addColumn('timestamp', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('trades_account_timestamp').on('trades').columns(['account_id', 'timestamp']).execute();
    await db.schema.createIndex('trades_order_id').on('trades').column('order_id').execute();

    await db.schema
      .createTable('equity_points')
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('at', 'bigint', (c) => c.notNull())
      .addColumn('equity', dec, (c) => c.notNull())
      .addPrimaryKeyConstraint('equity_points_pk', ['account_id', 'at'])
      .execute();

    await db.schema
      .createTable('journal')
      .addColumn('seq', 'bigint', (c) => c.primaryKey())
      .addColumn('at', 'bigint', (c) => c.notNull())
      .addColumn('input', 'text', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('snapshots')
      .addColumn('seq', 'bigint', (c) => c.primaryKey())
      .addColumn('at', 'bigint', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('audit_log')
      .addColumn('id', pg ? 'bigserial' : 'integer', (c) => (pg ? c.primaryKey() : c.primaryKey().autoIncrement()))
      .addColumn('at', 'bigint', (c) => c.notNull())
      .addColumn('actor', 'text', (c) => c.notNull())
      .addColumn('mode', 'text', (c) => c.notNull().check(sql`mode in ('paper', 'live')`))
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('account_id', 'text')
      .addColumn('details', 'text', (c) => c.notNull().defaultTo('{}'))
      .execute();
    await db.schema.createIndex('audit_log_account_at').on('audit_log').columns(['account_id', 'at']).execute();
    await db.schema.createIndex('audit_log_at').on('audit_log').column('at').execute();

    await db.schema
      .createTable('read_model_checkpoint')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('seq', 'bigint', (c) => c.notNull())
      .execute();
  },

  async down(db: AnyDb): Promise<void> {
    for (const table of [
      'read_model_checkpoint', 'audit_log', 'snapshots', 'journal', 'equity_points', 'trades',
      'order_rejections', 'orders', 'positions', 'balances', 'accounts',
    ]) {
      await db.schema.dropTable(table).ifExists().execute();
    }
  },
};

/**
 * Paper accounts' credentials and profile. The API secret is kept as issued: the MEXC-compatible
 * API verifies HMAC signatures, which needs the secret itself. These are paper credentials only;
 * live exchange keys come from the environment and are never stored.
 */
const credentials: Migration = {
  async up(db: AnyDb): Promise<void> {
    await db.schema
      .createTable('account_credentials')
      .addColumn('account_id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('api_key', 'text', (c) => c.notNull().unique())
      .addColumn('api_secret', 'text', (c) => c.notNull())
      .addColumn('settings', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('deleted_at', 'bigint')
      .execute();
    await db.schema
      .createTable('service_settings')
      .addColumn('key', 'text', (c) => c.primaryKey())
      .addColumn('value', 'text', (c) => c.notNull())
      .execute();
  },
  async down(db: AnyDb): Promise<void> {
    await db.schema.dropTable('service_settings').ifExists().execute();
    await db.schema.dropTable('account_credentials').ifExists().execute();
  },
};

/**
 * Inputs the kernel did not apply (INPUT_REJECTED): set aside with why, so that a journal holding
 * one never stops a start and an administrator can see it. The input itself stays in the journal.
 */
const quarantine: Migration = {
  async up(db: AnyDb): Promise<void> {
    await db.schema
      .createTable('quarantined_inputs')
      .addColumn('seq', 'bigint', (c) => c.primaryKey())
      .addColumn('at', 'bigint', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('code', 'text', (c) => c.notNull())
      .addColumn('reason', 'text', (c) => c.notNull())
      .addColumn('account_id', 'text')
      .execute();
  },
  async down(db: AnyDb): Promise<void> {
    await db.schema.dropTable('quarantined_inputs').ifExists().execute();
  },
};

/**
 * Outbound webhooks: endpoints (an account's, or the operator's with no account), one delivery per
 * event and endpoint (pending until delivered or given up, so a restart resumes them) and every
 * attempt made.
 */
const webhooks: Migration = {
  async up(db: AnyDb): Promise<void> {
    await db.schema
      .createTable('webhooks')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text')
      .addColumn('url', 'text', (c) => c.notNull())
      .addColumn('events', 'text', (c) => c.notNull())
      .addColumn('secret', 'text', (c) => c.notNull())
      .addColumn('description', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('deleted_at', 'bigint')
      .execute();
    await db.schema.createIndex('webhooks_account').on('webhooks').column('account_id').execute();
    await db.schema
      .createTable('webhook_deliveries')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('webhook_id', 'text', (c) => c.notNull())
      .addColumn('event', 'text', (c) => c.notNull())
      .addColumn('payload', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('pending', 'delivered', 'failed', 'canceled')`))
      .addColumn('attempts', 'integer', (c) => c.notNull())
      .addColumn('next_attempt_at', 'bigint')
      .addColumn('last_status_code', 'integer')
      .addColumn('last_error', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('completed_at', 'bigint')
      .execute();
    await db.schema.createIndex('webhook_deliveries_webhook').on('webhook_deliveries').columns(['webhook_id', 'created_at']).execute();
    await db.schema.createIndex('webhook_deliveries_status').on('webhook_deliveries').columns(['status', 'next_attempt_at']).execute();
    await db.schema
      .createTable('webhook_attempts')
      .addColumn('delivery_id', 'text', (c) => c.notNull())
      .addColumn('attempt', 'integer', (c) => c.notNull())
      .addColumn('status_code', 'integer')
      .addColumn('error', 'text')
      .addColumn('at', 'bigint', (c) => c.notNull())
      .addColumn('duration_ms', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('webhook_attempts_pk', ['delivery_id', 'attempt'])
      .execute();
  },
  async down(db: AnyDb): Promise<void> {
    for (const table of ['webhook_attempts', 'webhook_deliveries', 'webhooks']) await db.schema.dropTable(table).ifExists().execute();
  },
};

/** Each account's exchange API credentials for live trading, sealed (AES-256-GCM) before they are written. */
const exchangeKeys: Migration = {
  async up(db: AnyDb): Promise<void> {
    await db.schema
      .createTable('account_exchange_keys')
      .addColumn('account_id', 'text', (c) => c.primaryKey())
      .addColumn('sealed', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
  },
  async down(db: AnyDb): Promise<void> {
    await db.schema.dropTable('account_exchange_keys').ifExists().execute();
  },
};

/**
 * A snapshot's state in parts, so that saving a large one never holds the database (or SQLite's
 * one connection, and with it the event loop) for longer than one part takes.
 */
const snapshotParts: Migration = {
  async up(db: AnyDb): Promise<void> {
    await db.schema
      .createTable('snapshot_parts')
      .addColumn('seq', 'bigint', (c) => c.notNull())
      .addColumn('part', 'integer', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('snapshot_parts_pk', ['seq', 'part'])
      .execute();
  },
  async down(db: AnyDb): Promise<void> {
    await db.schema.dropTable('snapshot_parts').ifExists().execute();
  },
};

/**
 * What a reader needs of a closed order, which the kernel no longer holds once the order closes:
 * its order list (OCO pair or bracket), its trigger and when it triggered, a trailing stop's terms
 * and armed stop, whether it only reduces, and a bracket entry's exits (JSON `{ stopPrice, price? }`).
 */
const orderTerms: Migration = {
  async up(db: AnyDb): Promise<void> {
    const dec = isPostgres(db) ? sql`numeric` : sql`text`;
    const columns: [string, 'text' | typeof dec][] = [
      ['oco_group', 'text'],
      ['stop_price', dec],
      ['activation_price', dec],
      ['callback_rate', dec],
      ['take_profit', 'text'],
      ['stop_loss', 'text'],
    ];
    for (const [name, type] of columns) await db.schema.alterTable('orders').addColumn(name, type).execute();
    await db.schema.alterTable('orders').addColumn('reduce_only', 'integer', (c) => c.notNull().defaultTo(0)).execute();
    await db.schema.alterTable('orders').addColumn('triggered_at', 'bigint').execute();
    await db.schema.createIndex('orders_account_oco_group').on('orders').columns(['account_id', 'oco_group']).execute();
  },
  async down(db: AnyDb): Promise<void> {
    await db.schema.dropIndex('orders_account_oco_group').ifExists().execute();
    for (const name of ['triggered_at', 'reduce_only', 'stop_loss', 'take_profit', 'callback_rate', 'activation_price', 'stop_price', 'oco_group']) {
      await db.schema.alterTable('orders').dropColumn(name).execute();
    }
  },
};

/** An order's leverage, so that a closed futures order (no longer in the kernel) still states it. */
const orderLeverage: Migration = {
  async up(db: AnyDb): Promise<void> {
    await db.schema.alterTable('orders').addColumn('leverage', 'integer', (c) => c.notNull().defaultTo(1)).execute();
  },
  async down(db: AnyDb): Promise<void> {
    await db.schema.alterTable('orders').dropColumn('leverage').execute();
  },
};

/**
 * What a restore checks a snapshot against: how many parts its state is in and the first of them
 * (a re-save writes its parts after the published ones and swaps them in at the publish), and the
 * SHA-256 of the state's UTF-8 bytes. Rows written before this migration have none of them (null)
 * and are read as before, unchecked.
 */
const snapshotIntegrity: Migration = {
  async up(db: AnyDb): Promise<void> {
    await db.schema.alterTable('snapshots').addColumn('parts', 'integer').execute();
    await db.schema.alterTable('snapshots').addColumn('first_part', 'integer').execute();
    await db.schema.alterTable('snapshots').addColumn('digest', 'text').execute();
  },
  async down(db: AnyDb): Promise<void> {
    for (const name of ['digest', 'first_part', 'parts']) await db.schema.alterTable('snapshots').dropColumn(name).execute();
  },
};

/**
 * What a position realized, from the kernel's position events: its realized PnL (every close, a
 * liquidation's included) and the fees of its fills (a liquidation's clearance fee included); and,
 * for a liquidated one, the size the liquidation closed and the price it closed at (the bankruptcy
 * price). Rows written before this migration have none of them (null): readers fall back to the
 * position's fills.
 */
const positionRealized: Migration = {
  async up(db: AnyDb): Promise<void> {
    const dec = isPostgres(db) ? sql`numeric` : sql`text`;
    for (const name of ['realized_pnl', 'fees_paid', 'liquidated_size', 'bankruptcy_price']) await db.schema.alterTable('positions').addColumn(name, dec).execute();
  },
  async down(db: AnyDb): Promise<void> {
    for (const name of ['bankruptcy_price', 'liquidated_size', 'fees_paid', 'realized_pnl']) await db.schema.alterTable('positions').dropColumn(name).execute();
  },
};

/** A market order's slippage cap (ORDER_NEW's `maxSlippage`), so that a closed order read from its row still names it. */
const orderMaxSlippage: Migration = {
  async up(db: AnyDb): Promise<void> {
    await db.schema.alterTable('orders').addColumn('max_slippage', isPostgres(db) ? sql`numeric` : sql`text`).execute();
  },
  async down(db: AnyDb): Promise<void> {
    await db.schema.alterTable('orders').dropColumn('max_slippage').execute();
  },
};

/**
 * Each funding payment of a futures position (the kernel's FUNDING events), so that an account's
 * income history (Binance USD-M `GET /fapi/v1/income`, FUNDING_FEE) lists them one by one: before
 * this, only a position's funding total was kept. Keyed by the event's place in the event stream
 * (input seq, index among the input's events), as an order rejection is. Payments projected before
 * this migration are not back-filled: the read model's checkpoint is past them.
 */
const fundingPayments: Migration = {
  async up(db: AnyDb): Promise<void> {
    const dec = isPostgres(db) ? sql`numeric` : sql`text`;
    await db.schema
      .createTable('funding_payments')
      .addColumn('seq', 'bigint', (c) => c.notNull())
      .addColumn('event_index', 'integer', (c) => c.notNull())
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('symbol', 'text', (c) => c.notNull())
      .addColumn('position_id', 'text', (c) => c.notNull())
      .addColumn('rate', dec, (c) => c.notNull())
      .addColumn('mark_price', dec, (c) => c.notNull())
      .addColumn('amount', dec, (c) => c.notNull())
      .addColumn('at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('funding_payments_pk', ['seq', 'event_index'])
      .execute();
    await db.schema.createIndex('funding_payments_account_at').on('funding_payments').columns(['account_id', 'at']).execute();
  },
  async down(db: AnyDb): Promise<void> {
    await db.schema.dropTable('funding_payments').ifExists().execute();
  },
};

/** The price stream a conditional order's trigger watches (ORDER_NEW's `triggerSource`, ADR 0066), so that a closed order read from its row still names it. */
const orderTriggerSource: Migration = {
  async up(db: AnyDb): Promise<void> {
    await db.schema.alterTable('orders').addColumn('trigger_source', 'text').execute();
  },
  async down(db: AnyDb): Promise<void> {
    await db.schema.alterTable('orders').dropColumn('trigger_source').execute();
  },
};

/**
 * Where a position's liquidation is in the event stream (the LIQUIDATION event's input seq and index
 * among the input's events), so that its income rows (Binance USD-M `GET /fapi/v1/income`) have a
 * numeric `tranId`, as a funding payment's: seq × 1,000,000 + index; and, for a position a flip
 * opened, its part of the flip's fee (`opening_fee`: the kernel books the whole fee on the position
 * the flip closed), which its break-even price counts; and when an order started working where that
 * is not its creation (`orders.working_time`: it waited for a usable book, or an import brought it
 * in), so that Binance's `workingTime` of an order read back from its row is the one it had live.
 * Rows written before this migration have none of them (null).
 */
const incomeBreakEvenWorkingTime: Migration = {
  async up(db: AnyDb): Promise<void> {
    await db.schema.alterTable('positions').addColumn('liquidation_seq', 'bigint').execute();
    await db.schema.alterTable('positions').addColumn('liquidation_index', 'integer').execute();
    await db.schema.alterTable('positions').addColumn('opening_fee', isPostgres(db) ? sql`numeric` : sql`text`).execute();
    await db.schema.alterTable('orders').addColumn('working_time', 'bigint').execute();
  },
  async down(db: AnyDb): Promise<void> {
    await db.schema.alterTable('orders').dropColumn('working_time').execute();
    await db.schema.alterTable('positions').dropColumn('opening_fee').execute();
    await db.schema.alterTable('positions').dropColumn('liquidation_index').execute();
    await db.schema.alterTable('positions').dropColumn('liquidation_seq').execute();
  },
};

/** Every migration, by name; names sort in the order they apply. */
export const MIGRATIONS: Readonly<Record<string, Migration>> = {
  '0001_initial': initial,
  '0002_account_credentials': credentials,
  '0003_quarantined_inputs': quarantine,
  '0004_webhooks': webhooks,
  '0005_account_exchange_keys': exchangeKeys,
  '0006_snapshot_parts': snapshotParts,
  '0007_order_terms': orderTerms,
  '0008_order_leverage': orderLeverage,
  '0009_snapshot_integrity': snapshotIntegrity,
  '0010_position_realized': positionRealized,
  '0011_order_max_slippage': orderMaxSlippage,
  '0012_funding_payments': fundingPayments,
  '0013_order_trigger_source': orderTriggerSource,
  '0014_income_break_even_working_time': incomeBreakEvenWorkingTime,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => ({ ...MIGRATIONS }),
};

export interface MigrationOutcome {
  /** Names applied by this call, in order; empty when the schema was already current. */
  readonly applied: readonly string[];
}

/**
 * Brings the schema to the latest version. Throws (and applies nothing further) when a migration fails.
 * `schema`: on PostgreSQL, the schema holding Kysely's migration tables (the connection's first
 * search_path entry); defaults to `public`.
 */
export async function migrateToLatest(db: AnyDb, options: { schema?: string } = {}): Promise<MigrationOutcome> {
  const migrator = new Migrator({
    db: db.withoutPlugins(),
    provider: migrationProvider,
    ...(isPostgres(db) ? { migrationTableSchema: options.schema ?? 'public' } : {}),
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    throw new Error(`migration ${failed ?? '(before any ran)'} failed: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
  return { applied: (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName) };
}

