/**
 * Binance USD-M SIGNED account endpoints: leverage, marginType, positionSide/dual,
 * leverageBracket, commissionRate, positionRisk (v2 and v3), balance (v2 and v3), account (v2 and
 * v3) (https://developers.binance.com/docs/derivatives/usds-margined-futures/account/rest-api).
 *
 * positionRisk, balance and account show the read port's futures figures: on paper the kernel's
 * futures account (api/futures-account-figures.ts: exact, in the settlement asset), live the
 * venue's positions and balance for the account's own keys. The totals here are sums of those.
 * Leverage changes through the kernel's `leverage.set` input, as the native `POST
 * /api/account/leverage` does (the facade places orders only); the kernel applies Binance's rules
 * (core/accounts/leverage-change.ts), open orders on the symbol allowed as on Binance: an increase
 * past the bracket of the position and open orders' notional -2027, a reduction in isolated margin
 * with a position -4161, a change whose initial margin (the position's in cross margin, the open
 * orders' reservations, retaken at the new leverage) the account cannot pay -2028. A paper
 * account's margin type is set when it is opened: asking for it again answers -4046 "No need to
 * change margin type.", the other one -4048.
 *
 * A position held while its symbol has no mark price yet (an account imported before any mark or
 * book for it) is listed with what is known of it (amount, entry, wallet, leverage, liquidation
 * price) and null for what Binance computes from the mark (markPrice, unRealizedProfit, notional,
 * isolatedMargin, maintMargin), as are the account's totals made from those; the figures port states
 * such a mark as 0, and the PnL at it as −entry × amount (docs/adr/0064).
 */
import type { FastifyReply } from 'fastify';
import type { FuturesAccount } from '../../core/accounts/futures-account.js';
import type { Instrument } from '../../core/instruments/instrument.js';
import { formatFixed, parseFixed, type Fixed } from '../../core/money/fixed.js';
import { extend } from '../../core/objects.js';
import { unmarked, type FuturesAccountFigures, type FuturesPositionFigures } from '../../execution/account-read-port.js';
import { accountReads } from '../paper-account-reads.js';
import { venueLeverage } from '../trading-routes.js';
import { freshValueOr } from '../read-answers.js';
import { binanceErrors } from '../binance/binance-errors.js';
import { feesOf } from '../dialect-kit/facade-calls.js';
import { usdmErrorOf, usdmErrors } from './usdm-errors.js';
import { usdmBreakEvenPrice } from './usdm-break-even.js';
import { maxNotionalAt, usdmLeverageBracket, usdmPrice } from './usdm-mappers.js';
import type { UsdmTrading } from './usdm-trading-routes.js';

const f = (v: Fixed) => formatFixed(v);

/** A position's figures, and on paper its part of the fee of the flip that opened it (none: not opened by a flip). */
type UsdmPositionFigures = FuturesPositionFigures & { readonly openingFee?: string };
type UsdmFigures = Omit<FuturesAccountFigures, 'positions'> & { readonly positions: readonly UsdmPositionFigures[] };

/** `value`, a figure computed from the mark, or null while the position has no mark (docs/adr/0064). */
const atMark = <T>(x: FuturesPositionFigures, value: T): T | null => (unmarked(x) ? null : value);

export function registerUsdmAccountRoutes(t: UsdmTrading): void {
  const { ctx, audit } = t;
  const kernel = () => ctx.deps.hub.kernel;
  const futuresOf = (accountId: string): FuturesAccount => {
    const state = kernel().account(accountId);
    if (state?.kind !== 'futures') throw usdmErrors.notFuturesAccount();
    return state;
  };
  const perpetuals = () => kernel().instruments().filter((i) => i.market === 'perpetual');
  const reads = () => accountReads(ctx.deps, ctx.tape);
  /**
   * On paper, each open position's `updateTime` is its last change, as Binance states a position's:
   * its latest fill (a partial close moves it), not the fill that opened it; and a position a flip
   * opened carries its part of the flip's fee (`openingFee`, persistence/read-model.ts), which its
   * break-even price counts. Live, the venue's.
   */
  const withLastChange = async (accountId: string, figures: FuturesAccountFigures): Promise<UsdmFigures> => {
    if (ctx.deps.execution.mode !== 'paper' || figures.positions.every((x) => x.positionId === undefined)) return figures;
    await ctx.deps.hub.readModelCaughtUp();
    const positions: UsdmPositionFigures[] = [];
    for (const x of figures.positions) {
      if (x.positionId === undefined) {
        positions.push(x);
        continue;
      }
      const last = await ctx.deps.db.selectFrom('trades').select('timestamp').where('accountId', '=', accountId).where('positionId', '=', x.positionId).orderBy('timestamp', 'desc').limit(1).executeTakeFirst();
      const row = await ctx.deps.db.selectFrom('positions').select('openingFee').where('id', '=', x.positionId).executeTakeFirst();
      const moved = last !== undefined && Number(last.timestamp) > x.updateTime ? extend(x, { updateTime: Number(last.timestamp) }) : x;
      positions.push(row !== undefined && row.openingFee !== null ? extend(moved, { openingFee: String(row.openingFee) }) : moved);
    }
    return extend(figures, { positions });
  };
  /** The account's figures from the read port (the kernel on paper, the venue live), its age on the reply; -2015-like refusal for a spot account. */
  const figuresOf = async (reply: FastifyReply, accountId: string): Promise<UsdmFigures> => {
    const value = freshValueOr(reply, await reads().futuresFigures(accountId), (error) => usdmErrorOf(error, 'query'), ctx.wallClock());
    if (value === undefined) throw usdmErrors.notFuturesAccount();
    return withLastChange(accountId, value);
  };
  /** The positions `symbol` names (validated), or all. */
  const chosen = (figures: UsdmFigures, symbol: string | undefined) => {
    const only = symbol ? t.perpetual(symbol).symbol : undefined;
    return figures.positions.filter((x) => only === undefined || x.symbol === only);
  };
  const instrumentOf = (symbol: string): Instrument => kernel().instrument(symbol) ?? t.perpetual(symbol);
  const isolated = (figures: FuturesAccountFigures) => figures.marginMode === 'isolated';
  const plus = (a: string, b: string) => f(parseFixed(a) + parseFixed(b));

  ctx.route('POST', '/v1/leverage', 1, async (request, _reply, p) => {
    const account = t.account(request, p);
    const instrument = t.perpetual(p.symbol);
    const text = p.leverage ?? '';
    if (text === '') throw binanceErrors.mandatory('leverage');
    const leverage = Number(text);
    if (!/^\d{1,4}$/.test(text) || leverage < 1 || leverage > (instrument.maxLeverage ?? 1)) throw usdmErrors.invalidLeverage(text);
    if (ctx.deps.execution.mode === 'live') {
      // The venue's leverage (trading-routes.ts `venueLeverage`): a live account's orders never meet the kernel's.
      t.unwrap(await venueLeverage(ctx.deps, account.accountId, instrument.symbol, leverage), 'query', instrument);
      await audit('leverage.set', account.accountId, { symbol: instrument.symbol, leverage, mode: 'live' });
      return { leverage, maxNotionalValue: maxNotionalAt(instrument, leverage), symbol: instrument.symbol };
    }
    const events = await ctx.deps.hub.submit({ kind: 'leverage.set', time: ctx.deps.hub.now(), account: account.accountId, symbol: instrument.symbol, leverage });
    const answer = events.find((e) => e.type === 'LEVERAGE_SET' || e.type === 'LEVERAGE_REJECTED');
    if (answer?.type !== 'LEVERAGE_SET') {
      const why = answer?.type === 'LEVERAGE_REJECTED' ? (answer.message ?? 'refused') : 'refused';
      const code = answer?.type === 'LEVERAGE_REJECTED' ? answer.code : undefined;
      if (code === 'MAX_POSITION_EXCEEDED') throw usdmErrors.maxPosition();
      if (code === 'LEVERAGE_REDUCTION_REFUSED') throw usdmErrors.isolatedLeverageReduction();
      if (code === 'LEVERAGE_MARGIN_INSUFFICIENT') throw usdmErrors.leverageMarginInsufficient();
      throw answer?.type === 'LEVERAGE_REJECTED' && /whole number|from 1/.test(why) ? usdmErrors.invalidLeverage(text) : usdmErrors.leverageLocked(why);
    }
    await audit('leverage.set', account.accountId, { symbol: instrument.symbol, leverage });
    return { leverage, maxNotionalValue: maxNotionalAt(instrument, leverage), symbol: instrument.symbol };
  });

  ctx.route('POST', '/v1/marginType', 1, async (request, _reply, p) => {
    const account = futuresOf(t.account(request, p).accountId);
    t.perpetual(p.symbol);
    const wanted = p.marginType ?? '';
    if (wanted === '') throw binanceErrors.mandatory('marginType');
    if (wanted !== 'ISOLATED' && wanted !== 'CROSSED') throw binanceErrors.illegalChars('marginType', 'ISOLATED, CROSSED');
    if ((wanted === 'ISOLATED') === (account.marginMode === 'isolated')) throw usdmErrors.noNeedToChangeMarginType();
    throw usdmErrors.marginTypeFixed();
  });

  ctx.route('GET', '/v1/positionSide/dual', 30, async (request, _reply, p) => {
    t.account(request, p);
    return { dualSidePosition: false };
  });
  ctx.route('POST', '/v1/positionSide/dual', 1, async (request, _reply, p) => {
    t.account(request, p);
    if (p.dualSidePosition === 'false') throw usdmErrors.noNeedToChangePositionSide();
    throw usdmErrors.hedgeModeUnsupported();
  });

  ctx.route('GET', '/v1/leverageBracket', 1, async (request, _reply, p) => {
    t.account(request, p);
    return p.symbol ? [usdmLeverageBracket(t.perpetual(p.symbol))] : perpetuals().map(usdmLeverageBracket);
  });

  ctx.route('GET', '/v1/commissionRate', 20, async (request, _reply, p) => {
    const account = t.account(request, p);
    const instrument = t.perpetual(p.symbol);
    const { maker, taker } = feesOf(ctx.deps, account.accountId, instrument.symbol);
    return { symbol: instrument.symbol, makerCommissionRate: maker, takerCommissionRate: taker, rpiCommissionRate: '0' };
  });

  ctx.route('GET', '/v2/positionRisk', 5, async (request, reply, p) => {
    const figures = await figuresOf(reply, t.account(request, p).accountId);
    return chosen(figures, p.symbol).map((x) => ({
      symbol: x.symbol,
      positionAmt: x.size,
      entryPrice: usdmPrice(x.entryPrice),
      breakEvenPrice: usdmBreakEvenPrice(x),
      markPrice: atMark(x, usdmPrice(x.markPrice)),
      unRealizedProfit: atMark(x, x.unrealizedPnl),
      liquidationPrice: usdmPrice(x.liquidationPrice ?? '0'),
      leverage: String(x.leverage),
      maxNotionalValue: maxNotionalAt(instrumentOf(x.symbol), x.leverage),
      marginType: isolated(figures) ? 'isolated' : 'cross',
      isolatedMargin: isolated(figures) ? atMark(x, plus(x.margin, x.unrealizedPnl)) : '0',
      isAutoAddMargin: 'false',
      positionSide: 'BOTH',
      notional: atMark(x, x.notional),
      isolatedWallet: isolated(figures) ? x.margin : '0',
      updateTime: x.updateTime,
    }));
  });

  ctx.route('GET', '/v3/positionRisk', 5, async (request, reply, p) => {
    const figures = await figuresOf(reply, t.account(request, p).accountId);
    // V3 lists the symbols with a position or open orders only.
    return chosen(figures, p.symbol)
      .filter((x) => parseFixed(x.size) !== 0n || parseFixed(x.openOrderMargin) !== 0n)
      .map((x) => ({
        symbol: x.symbol,
        positionSide: 'BOTH',
        positionAmt: x.size,
        entryPrice: usdmPrice(x.entryPrice),
        breakEvenPrice: usdmBreakEvenPrice(x),
        markPrice: atMark(x, usdmPrice(x.markPrice)),
        unRealizedProfit: atMark(x, x.unrealizedPnl),
        liquidationPrice: usdmPrice(x.liquidationPrice ?? '0'),
        isolatedMargin: isolated(figures) ? atMark(x, plus(x.margin, x.unrealizedPnl)) : '0',
        notional: atMark(x, x.notional),
        marginAsset: instrumentOf(x.symbol).quote,
        isolatedWallet: isolated(figures) ? x.margin : '0',
        initialMargin: plus(x.margin, x.openOrderMargin),
        maintMargin: atMark(x, x.maintenanceMargin),
        positionInitialMargin: x.margin,
        openOrderInitialMargin: x.openOrderMargin,
        adl: 0,
        updateTime: x.updateTime,
      }));
  });

  /**
   * The account's totals and its settlement asset's entry, as balance and account answer them; those
   * made from the marks (unrealized PnL, margin balance, maintenance margin, the cross positions' PnL)
   * null while a position has no mark (`unmarked`).
   */
  const totals = (figures: FuturesAccountFigures) => {
    const marked = !figures.positions.some(unmarked);
    const ofMarks = (v: Fixed): string | null => (marked ? f(v) : null);
    const sum = (pick: (x: FuturesPositionFigures) => string) => figures.positions.reduce((total, x) => total + parseFixed(pick(x)), 0n);
    const wallet = parseFixed(figures.wallet);
    const unrealized = parseFixed(figures.unrealizedPnl);
    const available = parseFixed(figures.available);
    const reserved = parseFixed(figures.reserved);
    const positionMargin = sum((x) => x.margin);
    const isolatedWallets = isolated(figures) ? positionMargin : 0n;
    const asset = {
      asset: figures.settleAsset,
      walletBalance: f(wallet),
      unrealizedProfit: ofMarks(unrealized),
      marginBalance: ofMarks(wallet + unrealized),
      maintMargin: ofMarks(sum((x) => x.maintenanceMargin)),
      initialMargin: f(positionMargin + reserved),
      positionInitialMargin: f(positionMargin),
      openOrderInitialMargin: f(reserved),
      crossWalletBalance: f(wallet - isolatedWallets),
      // Isolated: no cross position, so no cross PnL to wait for.
      crossUnPnl: isolated(figures) ? f(0n) : ofMarks(unrealized),
      availableBalance: f(available),
      maxWithdrawAmount: f(available > 0n ? available : 0n),
      marginAvailable: true,
      updateTime: figures.updateTime,
    };
    return { asset, wallet, reserved, positionMargin, isolatedWallets };
  };

  for (const version of ['v2', 'v3']) {
    ctx.route('GET', `/${version}/balance`, 5, async (request, reply, p) => {
      const { asset } = totals(await figuresOf(reply, t.account(request, p).accountId));
      return [{ accountAlias: 'paper', asset: asset.asset, balance: asset.walletBalance, crossWalletBalance: asset.crossWalletBalance, crossUnPnl: asset.crossUnPnl, availableBalance: asset.availableBalance, maxWithdrawAmount: asset.maxWithdrawAmount, marginAvailable: true, updateTime: asset.updateTime }];
    });

    ctx.route('GET', `/${version}/account`, 5, async (request, reply, p) => {
      const profile = t.account(request, p);
      const figures = await figuresOf(reply, profile.accountId);
      const x = totals(figures);
      const summary = version === 'v2' ? t.unwrap(await reads().summary(profile.accountId), 'query').value : undefined;
      const positions = figures.positions
        .filter((pos) => version === 'v2' || parseFixed(pos.size) !== 0n)
        .map((pos) => ({
          symbol: pos.symbol,
          positionSide: 'BOTH',
          positionAmt: pos.size,
          unrealizedProfit: atMark(pos, pos.unrealizedPnl),
          isolatedMargin: isolated(figures) ? atMark(pos, plus(pos.margin, pos.unrealizedPnl)) : '0',
          notional: atMark(pos, pos.notional),
          isolatedWallet: isolated(figures) ? pos.margin : '0',
          initialMargin: plus(pos.margin, pos.openOrderMargin),
          maintMargin: atMark(pos, pos.maintenanceMargin),
          updateTime: pos.updateTime,
          ...(version === 'v2'
            ? { positionInitialMargin: pos.margin, openOrderInitialMargin: pos.openOrderMargin, leverage: String(pos.leverage), isolated: isolated(figures), entryPrice: usdmPrice(pos.entryPrice), breakEvenPrice: usdmBreakEvenPrice(pos), maxNotional: maxNotionalAt(instrumentOf(pos.symbol), pos.leverage), bidNotional: '0', askNotional: '0' }
            : {}),
        }));
      return extend(summary !== undefined ? { feeTier: 0, canTrade: !summary.halted, canDeposit: false, canWithdraw: false, updateTime: 0 } : {}, {
        // V2's top-level updateTime is 0 on Binance too ("reserved property, please ignore", as live
        // answers show); the account's last change is each asset's updateTime.
        multiAssetsMargin: false,
        tradeGroupId: -1,
        totalInitialMargin: x.asset.initialMargin,
        totalMaintMargin: x.asset.maintMargin,
        totalWalletBalance: f(x.wallet),
        totalUnrealizedProfit: x.asset.unrealizedProfit,
        totalMarginBalance: x.asset.marginBalance,
        totalPositionInitialMargin: f(x.positionMargin),
        totalOpenOrderInitialMargin: f(x.reserved),
        totalCrossWalletBalance: f(x.wallet - x.isolatedWallets),
        totalCrossUnPnl: x.asset.crossUnPnl,
        availableBalance: x.asset.availableBalance,
        maxWithdrawAmount: x.asset.maxWithdrawAmount,
        assets: [x.asset],
        positions,
      });
    });
  }
}
