/** History routes from the read port (the read tables on paper, the venue live): order history, trades, the equity curve and metrics. Paginated. */
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { computeMetrics } from '../core/accounts/metrics.js';
import { formatFixed, mul, parseFixed } from '../core/money/fixed.js';
import { requireAccount } from './auth.js';
import { withOrderedQuantity } from './dialect-kit/order-quantity.js';
import { ACCOUNT_KEY } from './edge-guards.js';
import { accountReads } from './paper-account-reads.js';
import { freshValue } from './read-answers.js';
import { Page, type PageQuery } from './schemas.js';
import type { ServiceDeps } from './service-deps.js';

const page = <T>(items: T[], limit: number, offset: number) => ({ items: items.slice(0, limit), limit, offset, nextOffset: items.length > limit ? offset + limit : null });

export function registerReportRoutes(app: FastifyInstance, deps: ServiceDeps): void {
  const tags = ['history'];
  // Strict: a parameter these routes do not read (a time range, a status) is refused by name instead
  // of answered with the unfiltered history as if it had been applied.
  const HistoryQuery = Type.Object({ limit: Page.properties.limit, offset: Page.properties.offset, symbol: Type.Optional(Type.String()) }, { additionalProperties: false });
  const EquityQuery = Type.Object({ limit: Page.properties.limit, offset: Page.properties.offset }, { additionalProperties: false });

  app.get<{ Querystring: PageQuery & { symbol?: string } }>('/api/orders', { config: ACCOUNT_KEY, schema: { tags, querystring: HistoryQuery } }, async (request, reply) => {
    const account = requireAccount(request, deps.credentials);
    const { limit, offset, symbol } = request.query;
    const rows = freshValue(reply, await accountReads(deps).orderHistory(account.accountId, { limit, offset, ...(symbol !== undefined ? { symbol } : {}) }));
    return page(rows.map(withOrderedQuantity), limit, offset);
  });

  app.get<{ Querystring: PageQuery & { symbol?: string } }>('/api/trades', { config: ACCOUNT_KEY, schema: { tags, querystring: HistoryQuery } }, async (request, reply) => {
    const account = requireAccount(request, deps.credentials);
    const { limit, offset, symbol } = request.query;
    const rows = freshValue(reply, await accountReads(deps).tradeHistory(account.accountId, { limit, offset, ...(symbol !== undefined ? { symbol } : {}) }));
    return page(rows, limit, offset);
  });

  app.get<{ Querystring: PageQuery }>('/api/account/equity', { config: ACCOUNT_KEY, schema: { tags, querystring: EquityQuery } }, async (request, reply) => {
    const account = requireAccount(request, deps.credentials);
    const { limit, offset } = request.query;
    const curve = freshValue(reply, await accountReads(deps).equityCurve(account.accountId));
    return page(curve.slice(offset, offset + limit + 1), limit, offset);
  });

  app.get('/api/account/metrics', { config: ACCOUNT_KEY, schema: { tags } }, async (request, reply) => {
    const account = requireAccount(request, deps.credentials);
    const reads = accountReads(deps);
    const opening = freshValue(reply, await reads.openingEquity(account.accountId));
    // Since the account was opened or last reset: what came before belongs to the account it was.
    const since = opening?.at ?? -Infinity;
    const curve = freshValue(reply, await reads.equityCurve(account.accountId)).filter((p) => p.at >= since);
    const fees = freshValue(reply, await reads.fillsWithPnl(account.accountId)).filter((f) => f.timestamp >= since);
    const ledger = freshValue(reply, await reads.ledger(account.accountId));
    // A trade is a fill that closed something, net of its fee (valued in USDT when paid in the base).
    const trades = fees.filter((t) => t.realizedPnl !== null);
    // The baseline is the equity the account opened with (a point a fill in the same millisecond
    // replaces); when the kernel could not value it then (something it held had no price yet, or it
    // held nothing), the first point, which the kernel takes once everything it holds has a price.
    const initialEquity = opening !== null && parseFixed(opening.equity) > 0n ? parseFixed(opening.equity) : curve.map((p) => parseFixed(p.equity)).find((e) => e > 0n);
    if (initialEquity === undefined) return { metrics: null };
    // The ledger's fees when it holds them exactly (futures); otherwise fees paid in the base asset
    // are valued at their fill's price.
    const valuation = 'USDT';
    const feesPaid =
      ledger.fees !== null
        ? parseFixed(ledger.fees)
        : fees.reduce((sum, f) => sum + (f.feeAsset === valuation ? parseFixed(f.fee) : mul(parseFixed(f.fee), parseFixed(f.price), 'half-up')), 0n);
    const metrics = computeMetrics({
      initialEquity,
      equityCurve: curve.map((p) => ({ at: Number(p.at), equity: parseFixed(p.equity) })),
      trades: trades.map((t) => {
        const fee = t.feeAsset === valuation ? parseFixed(t.fee) : mul(parseFixed(t.fee), parseFixed(t.price), 'half-up');
        return { closedAt: t.timestamp, pnl: parseFixed(t.realizedPnl!) - fee, fees: fee };
      }),
      feesPaid,
      fundingPaid: parseFixed(ledger.funding),
    });
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(metrics)) out[key] = typeof value === 'bigint' ? formatFixed(value) : value;
    return { metrics: out };
  });
}
