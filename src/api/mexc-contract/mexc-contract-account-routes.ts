/**
 * MEXC contract account, positions and leverage (`/api/v1/private/account/*`, `position/*`):
 * assets, open positions, closed positions, leverage (get and change) and position mode. A futures
 * account has one settlement asset and one-way positions (docs/adr/0006), so MEXC's position mode
 * is always 2 (one-way) and the long and short leverage of a symbol are the same setting.
 *
 * Assets: `cashBalance` is the free cash, `positionMargin` the positions' margin, `frozenBalance`
 * what open orders reserve, `availableBalance` what new orders may use (cross: less unrealized
 * losses), `equity` = cash + margin + reservations + unrealized PnL at the mark.
 * A spot account has no contract assets or positions: empty lists.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { FuturesAccount } from '../../core/accounts/futures-account.js';
import { div, formatFixed, mul, ONE, parseFixed } from '../../core/money/fixed.js';
import type { FuturesAccountFigures } from '../../execution/account-read-port.js';
import { accountLife, positionInLife } from '../../persistence/account-life.js';
import { inExecutionOrder } from '../fills-with-pnl.js';
import { accountReads } from '../paper-account-reads.js';
import { venueLeverage } from '../trading-routes.js';
import { freshValueOr } from '../read-answers.js';
import { auditCall } from '../dialect-kit/facade-calls.js';
import { intParam } from '../dialect-kit/request-params.js';
import { ok, type ContractContext } from './mexc-contract-api.js';
import { contractErrorOf, contractErrors } from './mexc-contract-errors.js';
import { contractAsset, contractOpenPosition, num, positionClosedPart, positionNumber, type PositionFill } from './mexc-contract-mappers.js';
import type { ServiceDeps } from '../service-deps.js';
import { contractOfSymbol, volOf, type Contract } from './mexc-contract-symbols.js';

const tags = ['mexc contract'];

/** A position's fill as the `trades` table holds it: its id and what positionClosedPart reads. */
export type PositionFillRow = PositionFill & { readonly id: string };

/**
 * The fills of some of the account's positions, by position id, each list in execution order, as
 * the `trades` read table holds them once it has caught up with the engine (paper accounts). The
 * one read of what a position has closed, for `position/open_positions` and the contract stream.
 */
export async function positionFillRows(deps: ServiceDeps, accountId: string, positionIds: readonly string[]): Promise<Map<string, PositionFillRow[]>> {
  const out = new Map<string, PositionFillRow[]>();
  if (positionIds.length === 0) return out;
  await deps.hub.readModelCaughtUp();
  const rows = (await deps.db.selectFrom('trades').selectAll().where('accountId', '=', accountId).where('positionId', 'in', [...positionIds]).execute()).sort(inExecutionOrder);
  for (const row of rows) {
    const list = out.get(row.positionId!) ?? [];
    if (list.length === 0) out.set(row.positionId!, list);
    list.push(row);
  }
  return out;
}

export function registerContractAccountRoutes(app: FastifyInstance, ctx: ContractContext): void {
  const { deps } = ctx;
  const kernel = () => deps.hub.kernel;
  const marks = (symbol: string) => kernel().markPrice(symbol);
  const futuresOf = (accountId: string): FuturesAccount | undefined => {
    const account = kernel().account(accountId);
    return account?.kind === 'futures' ? account : undefined;
  };
  const contractNamed = (symbol: string | undefined): Contract => ctx.contract(symbol);
  const invalid = (detail: string) => contractErrors.param(detail);
  const audit = auditCall(app, deps, 'mexc-contract', ctx.wallClock);

  // Assets and open positions are the read port's futures figures: the kernel's on paper, the venue's live.
  const reads = () => accountReads(deps, ctx.tape);
  const figuresOf = async (reply: FastifyReply, accountId: string): Promise<FuturesAccountFigures | undefined> => {
    return freshValueOr(reply, await reads().futuresFigures(accountId), contractErrorOf, ctx.wallClock());
  };

  app.get('/api/v1/private/account/assets', { schema: { tags } }, async (request, reply) => {
    const a = await figuresOf(reply, ctx.signed(request).accountId);
    return ok(a === undefined ? [] : [contractAsset(a)]);
  });

  app.get<{ Params: { currency: string } }>('/api/v1/private/account/asset/:currency', { schema: { tags } }, async (request, reply) => {
    const a = await figuresOf(reply, ctx.signed(request).accountId);
    if (a === undefined || a.settleAsset !== request.params.currency) throw contractErrors.unknownCurrency();
    return ok(contractAsset(a));
  });

  app.get('/api/v1/private/position/open_positions', { schema: { tags } }, async (request, reply) => {
    const accountId = ctx.signed(request).accountId;
    const a = await figuresOf(reply, accountId);
    const symbol = ctx.query(request).symbol;
    const only = symbol === undefined || symbol === '' ? undefined : contractNamed(symbol).instrument.symbol;
    if (a === undefined) return ok([]);
    const open = a.positions.filter((p) => parseFixed(p.size) !== 0n && contractOfSymbol(kernel(), p.symbol) !== undefined && (only === undefined || p.symbol === only));
    // On paper, what the position has closed so far (closeVol, closeAvgPrice) from its fills; live, the venue's figures stand.
    const paper = deps.execution.mode === 'paper';
    const fills = paper ? await positionFillRows(deps, accountId, open.flatMap((p) => (p.positionId !== undefined ? [p.positionId] : []))) : new Map<string, PositionFillRow[]>();
    const out = [];
    for (const p of open.sort((x, y) => (x.symbol < y.symbol ? -1 : 1))) {
      const closed = paper && p.positionId !== undefined ? positionClosedPart(fills.get(p.positionId) ?? []) : undefined;
      out.push(contractOpenPosition(a, p, contractOfSymbol(kernel(), p.symbol)!, closed));
    }
    return ok(out);
  });

  app.get('/api/v1/private/position/list/history_positions', { schema: { tags } }, async (request) => {
    const account = ctx.signed(request);
    const q = ctx.query(request);
    const a = futuresOf(account.accountId);
    if (a === undefined) return ok([]);
    const only = q.symbol === undefined || q.symbol === '' ? undefined : contractNamed(q.symbol).instrument.symbol;
    await deps.hub.readModelCaughtUp();
    let query = deps.db.selectFrom('positions').selectAll().where('accountId', '=', account.accountId).where('status', '!=', 'OPEN');
    if (only !== undefined) query = query.where('symbol', '=', only);
    // The current life's positions only: a reset closes the earlier account's, which are not the new one's (docs/adr/0070).
    const life = await accountLife(deps.db, account.accountId);
    const closed = (await query.execute()).filter((row) => positionInLife(life, row.id)).sort((x, y) => Number(y.closedAt ?? 0) - Number(x.closedAt ?? 0));
    const size = intParam(q.page_size, 'page_size', 20, 100, invalid);
    const pageNum = intParam(q.page_num, 'page_num', 1, 1_000_000, invalid);
    const pageRows = closed.slice((pageNum - 1) * size, pageNum * size);
    const out = [];
    for (const row of pageRows) {
      const c = contractOfSymbol(kernel(), row.symbol);
      if (c === undefined) continue;
      // What closed it, from its fills (positionClosedPart). A liquidation closes the rest at its bankruptcy
      // price, with no fill: the row keeps its size and price and the kernel's realized PnL and fees
      // of the position, a liquidation's loss and clearance fee included (docs/adr/0060). Rows from
      // before those columns count their fills alone.
      const fills = (await deps.db.selectFrom('trades').selectAll().where('accountId', '=', account.accountId).where('positionId', '=', row.id).execute()).sort(inExecutionOrder);
      let { qty: closedQty, quote: closedQuote, realised } = positionClosedPart(fills);
      if (row.realizedPnl !== null && row.feesPaid !== null) realised = parseFixed(row.realizedPnl) - parseFixed(row.feesPaid);
      if (row.liquidatedSize !== null && row.bankruptcyPrice !== null) {
        const size = parseFixed(row.liquidatedSize);
        closedQty += size;
        closedQuote += mul(size, parseFixed(row.bankruptcyPrice));
      }
      out.push({
        positionId: positionNumber(row.id),
        symbol: c.symbol,
        positionType: row.direction === 'LONG' ? 1 : 2,
        openType: a.marginMode === 'cross' ? 2 : 1,
        state: 3,
        holdVol: 0,
        closeVol: num(volOf(c, closedQty)),
        openAvgPrice: num(row.entryPrice),
        closeAvgPrice: num(closedQty > 0n ? formatFixed(div(closedQuote, closedQty, 'half-up')) : '0'),
        realised: num(realised),
        holdFee: num(row.totalFundingPaid === '0' ? '0' : formatFixed(-parseFixed(row.totalFundingPaid))),
        leverage: row.leverage,
        createTime: Number(row.openedAt),
        updateTime: Number(row.closedAt ?? row.openedAt),
        positionMode: 2,
      });
    }
    return ok(out);
  });

  app.get('/api/v1/private/position/position_mode', { schema: { tags } }, async (request) => {
    ctx.signed(request);
    return ok(2);
  });

  app.get('/api/v1/private/position/leverage', { schema: { tags } }, async (request) => {
    const a = futuresOf(ctx.signed(request).accountId);
    const c = contractNamed(ctx.query(request).symbol);
    if (a === undefined) return ok([]);
    const leverage = a.leverageOf(c.instrument.symbol);
    const tier = c.instrument.marginTiers?.find((t) => t.maxLeverage >= leverage) ?? c.instrument.marginTiers?.[0];
    const mark = marks(c.instrument.symbol);
    const entry = (positionType: 1 | 2) => ({
      level: tier === undefined ? 1 : c.instrument.marginTiers!.indexOf(tier) + 1,
      ...(tier !== undefined && mark !== undefined && mark > 0n ? { maxVol: num(volOf(c, div(tier.notionalCap, mark, 'down'))) } : {}),
      ...(tier !== undefined ? { mmr: num(tier.maintenanceMarginRate) } : {}),
      imr: num(div(ONE, BigInt(leverage) * ONE, 'up')),
      positionType,
      openType: a.marginMode === 'cross' ? 2 : 1,
      leverage,
      limitBySys: false,
    });
    return ok([entry(1), entry(2)]);
  });

  /** 1 or 2, as a number or its text: MEXC's openType and positionType. A JSON `1.0` arrives as the text "1.0" (exact-json.ts). */
  const oneOrTwo = (value: unknown): boolean => value === 1 || value === 2 || (typeof value === 'string' && /^[12](\.0+)?$/.test(value));

  app.post('/api/v1/private/position/change_leverage', { schema: { tags } }, async (request) => {
    const account = ctx.signed(request);
    const body = ctx.body(request);
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw contractErrors.param('the body must be a JSON object');
    const b = body as Record<string, unknown>;
    const leverage = typeof b.leverage === 'string' ? Number(b.leverage) : b.leverage;
    if (typeof leverage !== 'number' || !Number.isSafeInteger(leverage) || leverage < 1) throw contractErrors.leverage('leverage must be a whole number from 1');
    if (deps.execution.mode === 'live') {
      // The venue's leverage (trading-routes.ts `venueLeverage`), named by symbol: a positionId would
      // name a paper position, which a live account's orders never open.
      const instrument = contractNamed(typeof b.symbol === 'string' ? b.symbol : undefined).instrument;
      const set = await venueLeverage(deps, account.accountId, instrument.symbol, leverage);
      if (!set.ok) throw contractErrorOf(set.error);
      await audit('leverage.set', account.accountId, { symbol: instrument.symbol, leverage, mode: 'live' });
      return ok();
    }
    const a = futuresOf(account.accountId);
    if (a === undefined) throw contractErrors.notFutures();
    let symbol: string;
    if (b.positionId !== undefined && b.positionId !== null) {
      const position = a.openPositions().find((p) => String(positionNumber(p.id)) === String(b.positionId));
      if (position === undefined) throw contractErrors.noPosition();
      symbol = position.symbol;
    } else {
      symbol = contractNamed(typeof b.symbol === 'string' ? b.symbol : undefined).instrument.symbol;
      // Without a positionId MEXC requires openType (1 isolated, 2 cross) and positionType (1 long, 2 short); anything else is 600.
      if (!oneOrTwo(b.openType)) throw contractErrors.param('openType must be 1 (isolated) or 2 (cross)');
      if (!oneOrTwo(b.positionType)) throw contractErrors.param('positionType must be 1 (long) or 2 (short)');
      if (Number(b.openType) !== (a.marginMode === 'cross' ? 2 : 1)) {
        throw contractErrors.wrongOpenType(`this account trades ${a.marginMode} margin (openType ${a.marginMode === 'cross' ? 2 : 1})`);
      }
    }
    const max = kernel().instrument(symbol)?.maxLeverage ?? 1;
    if (leverage > max) throw contractErrors.leverage(`at most ${max}x on ${symbol}`);
    const events = await deps.hub.submit({ kind: 'leverage.set', time: deps.hub.now(), account: account.accountId, symbol, leverage });
    const reply = events.find((e) => e.type === 'LEVERAGE_SET' || e.type === 'LEVERAGE_REJECTED');
    if (reply?.type !== 'LEVERAGE_SET') {
      // The cause's code from the one refusal table: over the bracket 2023, margin short 2005, a reduction refused 600.
      if (reply?.type === 'LEVERAGE_REJECTED' && reply.code !== undefined) throw contractErrorOf({ code: reply.code, message: reply.message ?? reply.code });
      throw contractErrors.leverage(reply?.type === 'LEVERAGE_REJECTED' ? (reply.message ?? 'refused') : 'refused');
    }
    await audit('leverage.set', account.accountId, { symbol, leverage });
    return ok();
  });
}
