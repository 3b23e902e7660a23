/**
 * CSV exports of the key's account (`Authorization: Bearer <apiKey>`), from the read tables:
 * `GET /api/trades.csv` (every fill) and `GET /api/orders.csv` (every order), optionally over a time
 * range `from` ≤ time < `to` (Unix ms or ISO 8601) and one `symbol`.
 *
 * Guarantees: rows in execution order (time, then id as a number); RFC 4180 quoting (csv-stringify), CRLF line ends,
 * a header row always; amounts are the read tables' decimal strings, untouched; free-text cells
 * that a spreadsheet would run as a formula are prefixed with `'`; the body is streamed, read in
 * keyset batches, so an export of any size holds one batch in memory. Sent as an attachment named
 * after the account and the range.
 */
import { pipeline, Readable } from 'node:stream';
import { stringify } from 'csv-stringify';
import type { FastifyInstance } from 'fastify';
import { sql, type Kysely } from 'kysely';
import { Type } from 'typebox';
import { realizedPnlTracker } from '../core/accounts/realized-pnl-view.js';
import type { Kernel } from '../core/kernel/kernel.js';
import { formatFixed, parseFixed } from '../core/money/fixed.js';
import type { Database } from '../persistence/schema.js';
import { requireAccount } from './auth.js';
import { HttpError } from './http-errors.js';
import type { ServiceDeps } from './service-deps.js';

const BATCH = 1_000;

export interface TimeRange {
  readonly from?: number;
  readonly to?: number;
}

/** Unix ms (digits) or an ISO 8601 date or date-time (UTC unless it names an offset). */
export function parseTimeParameter(value: string, field: string): number {
  if (/^\d{1,15}$/.test(value)) return Number(value);
  if (/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(value)) {
    const ms = Date.parse(/[T ]\d{2}:\d{2}/.test(value) && !/(Z|[+-]\d{2}:?\d{2})$/.test(value) ? `${value.replace(' ', 'T')}Z` : value.replace(' ', 'T'));
    if (Number.isFinite(ms)) return ms;
  }
  throw new HttpError(400, { code: 'INVALID_REQUEST', message: `${field}: expected Unix milliseconds (1723161300000) or ISO 8601 (2024-08-08T23:55:00Z), got ${JSON.stringify(value.slice(0, 40))}` });
}

function rangeOf(query: { from?: string; to?: string }): TimeRange {
  const from = query.from !== undefined ? parseTimeParameter(query.from, 'from') : undefined;
  const to = query.to !== undefined ? parseTimeParameter(query.to, 'to') : undefined;
  if (from !== undefined && to !== undefined && to <= from) throw new HttpError(400, { code: 'INVALID_REQUEST', message: 'to: must be after from (the range is from ≤ time < to)' });
  return { ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}) };
}

const iso = (ms: number | string): string => new Date(Number(ms)).toISOString();
/** A cell a spreadsheet would evaluate (=, +, -, @, tab, CR first) is kept as text. */
const text = (value: string | null): string => (value === null ? '' : /^[=+\-@\t\r]/.test(value) ? `'${value}` : value);

export const TRADE_COLUMNS = ['time', 'time_ms', 'symbol', 'side', 'price', 'quantity', 'quote_quantity', 'fee', 'fee_asset', 'liquidity', 'realized_pnl', 'order_id', 'trade_id'] as const;
export const ORDER_COLUMNS = ['time', 'time_ms', 'updated_time', 'symbol', 'side', 'type', 'status', 'price', 'quantity', 'quote_order_quantity', 'executed_quantity', 'cumulative_quote_quantity', 'reason', 'order_id', 'client_order_id'] as const;

type Row = Record<string, string | number>;

/** Ids are decimal counters: shorter first, then by text, is their numeric (execution) order. */
const idLength = sql<number>`length(id)`;
type Cursor = { at: number; len: number; id: string };

/**
 * The account's fills in execution order, one keyset batch at a time, each with the PnL it realized
 * (average price, fees left out: core/accounts/realized-pnl-view.ts, as `/api/account/fills` shows
 * it). Realized PnL depends on every earlier fill, so the scan starts at the first fill and rows
 * before `from` are read but not written.
 */
async function* tradeRows(db: Kysely<Database>, kernel: Kernel, accountId: string, range: TimeRange, symbol: string | undefined): AsyncGenerator<Row> {
  const realized = realizedPnlTracker(kernel.account(accountId)?.kind === 'futures' ? 'futures' : 'spot');
  let after: Cursor | undefined;
  for (;;) {
    let query = db.selectFrom('trades').selectAll().where('accountId', '=', accountId);
    if (symbol !== undefined) query = query.where('symbol', '=', symbol);
    if (range.to !== undefined) query = query.where('timestamp', '<', range.to);
    if (after !== undefined) {
      const { at, len, id } = after;
      query = query.where((eb) => eb.or([eb('timestamp', '>', at), eb.and([eb('timestamp', '=', at), eb.or([eb(idLength, '>', len), eb.and([eb(idLength, '=', len), eb('id', '>', id)])])])]));
    }
    const rows = await query.orderBy('timestamp', 'asc').orderBy(idLength, 'asc').orderBy('id', 'asc').limit(BATCH).execute();
    for (const r of rows) {
      const pnl = realized({ symbol: r.symbol, side: r.orderSide, quantity: parseFixed(r.size), price: parseFixed(r.price), fee: parseFixed(r.fee), feeInBase: r.feeAsset === kernel.instrument(r.symbol)?.base });
      if (range.from !== undefined && Number(r.timestamp) < range.from) continue;
      yield {
        time: iso(r.timestamp),
        time_ms: Number(r.timestamp),
        symbol: r.symbol,
        side: r.orderSide,
        price: r.price,
        quantity: r.size,
        quote_quantity: r.quoteQty,
        fee: r.fee,
        fee_asset: r.feeAsset,
        liquidity: r.liquidity,
        realized_pnl: pnl === null ? '' : formatFixed(pnl),
        order_id: r.orderId,
        trade_id: r.id,
      };
    }
    const last = rows.at(-1);
    if (last === undefined || rows.length < BATCH) return;
    after = { at: Number(last.timestamp), len: last.id.length, id: last.id };
  }
}

/** The account's orders in creation order, one keyset batch at a time. */
async function* orderRows(db: Kysely<Database>, accountId: string, range: TimeRange, symbol: string | undefined): AsyncGenerator<Row> {
  let after: Cursor | undefined;
  for (;;) {
    let query = db.selectFrom('orders').selectAll().where('accountId', '=', accountId);
    if (symbol !== undefined) query = query.where('symbol', '=', symbol);
    if (range.from !== undefined) query = query.where('createdAt', '>=', range.from);
    if (range.to !== undefined) query = query.where('createdAt', '<', range.to);
    if (after !== undefined) {
      const { at, len, id } = after;
      query = query.where((eb) => eb.or([eb('createdAt', '>', at), eb.and([eb('createdAt', '=', at), eb.or([eb(idLength, '>', len), eb.and([eb(idLength, '=', len), eb('id', '>', id)])])])]));
    }
    const rows = await query.orderBy('createdAt', 'asc').orderBy(idLength, 'asc').orderBy('id', 'asc').limit(BATCH).execute();
    for (const r of rows) {
      yield {
        time: iso(r.createdAt),
        time_ms: Number(r.createdAt),
        updated_time: iso(r.updatedAt),
        symbol: r.symbol,
        side: r.side,
        type: r.type,
        status: r.status,
        price: r.price ?? '',
        quantity: r.quantity,
        quote_order_quantity: r.quoteOrderQty ?? '',
        executed_quantity: r.executedQty,
        cumulative_quote_quantity: r.cumulativeQuoteQty,
        reason: text(r.reason),
        order_id: r.id,
        client_order_id: text(r.clientOrderId),
      };
    }
    const last = rows.at(-1);
    if (last === undefined || rows.length < BATCH) return;
    after = { at: Number(last.createdAt), len: last.id.length, id: last.id };
  }
}

function fileName(kind: string, accountId: string, range: TimeRange): string {
  const part = (ms: number | undefined) => (ms === undefined ? '' : iso(ms).replace(/[:]/g, '').replace('.000Z', 'Z'));
  const span = range.from !== undefined || range.to !== undefined ? `_${part(range.from)}-${part(range.to)}` : '';
  return `${kind}_${accountId}${span}.csv`.replace(/[^A-Za-z0-9_.-]/g, '_');
}

export function registerExportRoutes(app: FastifyInstance, deps: ServiceDeps): void {
  const tags = ['history'];
  const ExportQuery = Type.Object(
    {
      from: Type.Optional(Type.String({ minLength: 1, maxLength: 40, description: 'Unix ms or ISO 8601; inclusive' })),
      to: Type.Optional(Type.String({ minLength: 1, maxLength: 40, description: 'Unix ms or ISO 8601; exclusive' })),
      symbol: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })),
    },
    { additionalProperties: false },
  );
  type Query = { from?: string; to?: string; symbol?: string };
  const csv = { 200: { description: 'RFC 4180, header row first', content: { 'text/csv': { schema: { type: 'string' } } } } };

  const send = (kind: 'trades' | 'orders', rows: (accountId: string, range: TimeRange, symbol: string | undefined) => AsyncGenerator<Row>, columns: readonly string[]) =>
    app.get<{ Querystring: Query }>(`/api/${kind}.csv`, { preValidation: async (request) => void requireAccount(request, deps.credentials), schema: { tags, querystring: ExportQuery, response: csv } }, async (request, reply) => {
      const account = requireAccount(request, deps.credentials);
      const range = rangeOf(request.query);
      // A read failure half-way ends the response early (the status is already sent) and is logged.
      const body = pipeline(Readable.from(rows(account.accountId, range, request.query.symbol)), stringify({ header: true, columns: [...columns], record_delimiter: 'windows' }), (error) => {
        if (error) request.log.error({ err: error }, `${kind}.csv export failed`);
      });
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${fileName(kind, account.accountId, range)}"`)
        .header('cache-control', 'no-store')
        .send(body);
    });

  send('trades', (id, range, symbol) => tradeRows(deps.db, deps.hub.kernel, id, range, symbol), TRADE_COLUMNS);
  send('orders', (id, range, symbol) => orderRows(deps.db, id, range, symbol), ORDER_COLUMNS);
}
