/**
 * CSV exports of the key's account (`Authorization: Bearer <apiKey>`), from the read port (the read
 * tables on paper, the venue live):
 * `GET /api/trades.csv` (every fill) and `GET /api/orders.csv` (every order), optionally over a time
 * range `from` ≤ time < `to` (Unix ms or ISO 8601) and one `symbol`.
 *
 * Guarantees: rows in execution order (time, then id as a number); RFC 4180 quoting (csv-stringify), CRLF line ends,
 * a header row always; amounts are the source's decimal strings, untouched; free-text cells
 * that a spreadsheet would run as a formula are prefixed with `'`; the body is streamed, read in
 * keyset batches on paper, so an export of any size holds one batch in memory. Sent as an attachment named
 * after the account and the range.
 */
import { pipeline, Readable } from 'node:stream';
import { stringify } from 'csv-stringify';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { extend } from '../core/objects.js';
import type { OrderRow, ReadResult, TimeRange, TradeRowWithPnl } from '../execution/account-read-port.js';
import { requireAccount } from './auth.js';
import { orderedQuantity } from './dialect-kit/order-quantity.js';
import { HttpError } from './http-errors.js';
import { accountReads } from './paper-account-reads.js';
import { freshValue } from './read-answers.js';
import type { ServiceDeps } from './service-deps.js';

export type { TimeRange };

/** Unix ms (digits) or an ISO 8601 date or date-time (UTC unless it names an offset). */
export function parseTimeParameter(value: string, field: string): number {
  if (/^\d{1,15}$/.test(value)) return Number(value);
  if (/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(value)) {
    const ms = Date.parse(/[T ]\d{2}:\d{2}/.test(value) && !/(Z|[+-]\d{2}:?\d{2})$/.test(value) ? `${value.replace(' ', 'T')}Z` : value.replace(' ', 'T'));
    // Date.parse takes 2024-02-30 for 2024-03-01: the day must be one of its month's.
    const day = value.slice(0, 10);
    const midnight = Date.parse(`${day}T00:00Z`);
    if (Number.isFinite(ms) && Number.isFinite(midnight) && new Date(midnight).toISOString().slice(0, 10) === day) return ms;
  }
  throw new HttpError(400, { code: 'INVALID_REQUEST', message: `${field}: expected Unix milliseconds (1723161300000) or ISO 8601 (2024-08-08T23:55:00Z), got ${JSON.stringify(value.slice(0, 40))}` });
}

function rangeOf(query: { from?: string; to?: string }): TimeRange {
  const from = query.from !== undefined ? parseTimeParameter(query.from, 'from') : undefined;
  const to = query.to !== undefined ? parseTimeParameter(query.to, 'to') : undefined;
  if (from !== undefined && to !== undefined && to <= from) throw new HttpError(400, { code: 'INVALID_REQUEST', message: 'to: must be after from (the range is from ≤ time < to)' });
  return extend(from !== undefined ? { from } : {}, to !== undefined ? { to } : {});
}

const iso = (ms: number | string): string => new Date(Number(ms)).toISOString();
/** A cell a spreadsheet would evaluate (=, +, -, @, tab, CR first) is kept as text. */
const text = (value: string | null): string => (value === null ? '' : /^[=+\-@\t\r]/.test(value) ? `'${value}` : value);

export const TRADE_COLUMNS = ['time', 'time_ms', 'symbol', 'side', 'price', 'quantity', 'quote_quantity', 'fee', 'fee_asset', 'liquidity', 'realized_pnl', 'order_id', 'trade_id'] as const;
export const ORDER_COLUMNS = ['time', 'time_ms', 'updated_time', 'symbol', 'side', 'type', 'status', 'price', 'quantity', 'quote_order_quantity', 'executed_quantity', 'cumulative_quote_quantity', 'reason', 'order_id', 'client_order_id'] as const;

type Row = Record<string, string | number>;

/** A fill as a CSV row. */
function tradeCsvRow(r: TradeRowWithPnl): Row {
  return {
    time: iso(r.timestamp),
    time_ms: r.timestamp,
    symbol: r.symbol,
    side: r.orderSide,
    price: r.price,
    quantity: r.size,
    quote_quantity: r.quoteQty,
    fee: r.fee,
    fee_asset: r.feeAsset,
    liquidity: r.liquidity,
    realized_pnl: r.realizedPnl ?? '',
    order_id: r.orderId,
    trade_id: r.id,
  };
}

/** An order as a CSV row. */
function orderCsvRow(r: OrderRow): Row {
  return {
    time: iso(r.createdAt),
    time_ms: r.createdAt,
    updated_time: iso(r.updatedAt),
    symbol: r.symbol,
    side: r.side,
    type: r.type,
    status: r.status,
    price: r.price ?? '',
    quantity: orderedQuantity(r),
    quote_order_quantity: r.quoteOrderQty ?? '',
    executed_quantity: r.executedQty,
    cumulative_quote_quantity: r.cumulativeQuoteQty,
    reason: text(r.reason),
    order_id: r.id,
    client_order_id: text(r.clientOrderId),
  };
}

async function* mapped<T>(rows: AsyncIterable<T>, map: (row: T) => Row): AsyncGenerator<Row> {
  for await (const row of rows) yield map(row);
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

  const send = (kind: 'trades' | 'orders', rows: (accountId: string, range: TimeRange, symbol: string | undefined) => Promise<ReadResult<AsyncIterable<Row>>>, columns: readonly string[]) =>
    app.get<{ Querystring: Query }>(`/api/${kind}.csv`, { preValidation: async (request) => void requireAccount(request, deps.credentials), schema: { tags, querystring: ExportQuery, response: csv } }, async (request, reply) => {
      const account = requireAccount(request, deps.credentials);
      const range = rangeOf(request.query);
      // The source answers (or refuses) before the status is sent; a read failure half-way ends the response early and is logged.
      const source = freshValue(reply, await rows(account.accountId, range, request.query.symbol));
      const body = pipeline(Readable.from(source), stringify({ header: true, columns: [...columns], record_delimiter: 'windows' }), (error) => {
        if (error) request.log.error({ err: error }, `${kind}.csv export failed`);
      });
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${fileName(kind, account.accountId, range)}"`)
        .header('cache-control', 'no-store')
        .send(body);
    });

  const reads = accountReads(deps);
  const csvOf = async <T>(result: Promise<ReadResult<AsyncIterable<T>>>, map: (row: T) => Row): Promise<ReadResult<AsyncIterable<Row>>> => {
    const answered = await result;
    return answered.ok ? { ok: true, value: { value: mapped(answered.value.value, map), asOf: answered.value.asOf } } : answered;
  };
  send('trades', (id, range, symbol) => csvOf(reads.tradeExport(id, range, symbol), tradeCsvRow), TRADE_COLUMNS);
  send('orders', (id, range, symbol) => csvOf(reads.orderExport(id, range, symbol), orderCsvRow), ORDER_COLUMNS);
}
