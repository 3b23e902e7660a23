/** History routes from the read tables: order history, trades, the equity curve and metrics. Paginated. */
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { computeMetrics } from '../core/accounts/metrics.js';
import { formatFixed, mul, parseFixed } from '../core/money/fixed.js';
import { requireAccount } from './auth.js';
import { ACCOUNT_KEY } from './edge-guards.js';
import { fillsWithRealizedPnl } from './fills-with-pnl.js';
import { Page, type PageQuery } from './schemas.js';
import type { ServiceDeps } from './service-deps.js';

const page = <T>(items: T[], limit: number, offset: number) => ({ items: items.slice(0, limit), limit, offset, nextOffset: items.length > limit ? offset + limit : null });

export function registerReportRoutes(app: FastifyInstance, deps: ServiceDeps): void {
  const tags = ['history'];
  const HistoryQuery = Type.Intersect([Page, Type.Object({ symbol: Type.Optional(Type.String()) })]);

  app.get<{ Querystring: PageQuery & { symbol?: string } }>('/api/orders', { config: ACCOUNT_KEY, schema: { tags, querystring: HistoryQuery } }, async (request) => {
    const account = requireAccount(request, deps.credentials);
    const { limit, offset, symbol } = request.query;
    let query = deps.db.selectFrom('orders').selectAll().where('accountId', '=', account.accountId);
    if (symbol !== undefined) query = query.where('symbol', '=', symbol);
    const rows = await query.orderBy('createdAt', 'desc').orderBy('id', 'desc').limit(limit + 1).offset(offset).execute();
    return page(rows.map((r) => ({ ...r, createdAt: Number(r.createdAt), updatedAt: Number(r.updatedAt) })), limit, offset);
  });

  app.get<{ Querystring: PageQuery & { symbol?: string } }>('/api/trades', { config: ACCOUNT_KEY, schema: { tags, querystring: HistoryQuery } }, async (request) => {
    const account = requireAccount(request, deps.credentials);
    const { limit, offset, symbol } = request.query;
    let query = deps.db.selectFrom('trades').selectAll().where('accountId', '=', account.accountId);
    if (symbol !== undefined) query = query.where('symbol', '=', symbol);
    const rows = await query.orderBy('timestamp', 'desc').orderBy('id', 'desc').limit(limit + 1).offset(offset).execute();
    return page(rows.map((r) => ({ ...r, timestamp: Number(r.timestamp) })), limit, offset);
  });

  app.get<{ Querystring: PageQuery }>('/api/account/equity', { config: ACCOUNT_KEY, schema: { tags, querystring: Page } }, async (request) => {
    const account = requireAccount(request, deps.credentials);
    const { limit, offset } = request.query;
    const rows = await deps.db.selectFrom('equity_points').select(['at', 'equity']).where('accountId', '=', account.accountId).orderBy('at', 'asc').limit(limit + 1).offset(offset).execute();
    return page(rows.map((r) => ({ at: Number(r.at), equity: r.equity })), limit, offset);
  });

  app.get('/api/account/metrics', { config: ACCOUNT_KEY, schema: { tags } }, async (request) => {
    const account = requireAccount(request, deps.credentials);
    const curve = await deps.db.selectFrom('equity_points').select(['at', 'equity']).where('accountId', '=', account.accountId).orderBy('at', 'asc').execute();
    const fees = await fillsWithRealizedPnl(deps, account.accountId);
    // A trade is a fill that closed something, net of its fee (valued in USDT when paid in the base).
    const trades = fees.filter((t) => t.realizedPnl !== null);
    const first = curve[0];
    if (first === undefined) return { metrics: null };
    // Futures: the kernel's ledger holds fees and funding exactly; spot fees paid in the base asset
    // are valued at their fill's price.
    const state = deps.hub.kernel.account(account.accountId);
    const valuation = 'USDT';
    const feesPaid =
      state?.kind === 'futures'
        ? state.ledger.fees
        : fees.reduce((sum, f) => sum + (f.feeAsset === valuation ? parseFixed(f.fee) : mul(parseFixed(f.fee), parseFixed(f.price), 'half-up')), 0n);
    const metrics = computeMetrics({
      initialEquity: parseFixed(first.equity),
      equityCurve: curve.map((p) => ({ at: Number(p.at), equity: parseFixed(p.equity) })),
      trades: trades.map((t) => {
        const fee = t.feeAsset === valuation ? parseFixed(t.fee) : mul(parseFixed(t.fee), parseFixed(t.price), 'half-up');
        return { closedAt: t.timestamp, pnl: parseFixed(t.realizedPnl!) - fee, fees: fee };
      }),
      feesPaid,
      fundingPaid: state?.kind === 'futures' ? state.ledger.funding : 0n,
    });
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(metrics)) out[key] = typeof value === 'bigint' ? formatFixed(value) : value;
    return { metrics: out };
  });
}
