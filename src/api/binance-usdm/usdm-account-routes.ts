/**
 * Binance USD-M SIGNED account endpoints: leverage, marginType, positionSide/dual,
 * leverageBracket, commissionRate, positionRisk (v2 and v3), balance (v2 and v3), account (v2 and
 * v3), from the kernel's futures account
 * (https://developers.binance.com/docs/derivatives/usds-margined-futures/account/rest-api).
 *
 * Figures, all in the settlement asset and exact: wallet balance = cash + position margins + open
 * orders' reservations (futures-account.ts); unrealized PnL at the kernel's mark price; a position's
 * initial margin is the margin the kernel holds for it, an open order's what it reserves;
 * maintenance margin is |size| × mark × MMR − cum of the position's bracket; available balance is
 * what new orders may use (cash, less unrealized losses in cross mode).
 * Leverage changes through the kernel's `leverage.set` input, as the native `POST
 * /api/account/leverage` does (the facade places orders only); the kernel refuses it while the
 * symbol has a position or open orders (-4161). A paper account's margin type is set when it is
 * opened: asking for it again answers -4046 "No need to change margin type.", the other one -4048.
 */
import type { FuturesAccount } from '../../core/accounts/futures-account.js';
import { liquidationPriceOf } from '../../core/accounts/liquidation-price.js';
import { maintenanceMargin, notional, unrealizedPnl } from '../../core/accounts/position.js';
import type { Instrument } from '../../core/instruments/instrument.js';
import { isOpenStatus } from '../../core/orders/order-status.js';
import { formatFixed, type Fixed } from '../../core/money/fixed.js';
import { binanceErrors } from '../binance/binance-errors.js';
import { feesOf } from '../dialect-kit/facade-calls.js';
import { usdmErrors } from './usdm-errors.js';
import { maxNotionalAt, usdmLeverageBracket } from './usdm-mappers.js';
import type { UsdmTrading } from './usdm-trading-routes.js';

const f = (v: Fixed) => formatFixed(v);

interface PositionFigures {
  readonly instrument: Instrument;
  readonly size: Fixed;
  readonly entryPrice: Fixed;
  readonly mark: Fixed;
  readonly unrealized: Fixed;
  readonly notional: Fixed;
  readonly margin: Fixed;
  readonly maintenance: Fixed;
  readonly openOrderMargin: Fixed;
  readonly leverage: number;
  readonly liquidationPrice: Fixed | undefined;
  readonly updateTime: number;
}

export function registerUsdmAccountRoutes(t: UsdmTrading): void {
  const { ctx, audit } = t;
  const kernel = () => ctx.deps.hub.kernel;
  const futuresOf = (accountId: string): FuturesAccount => {
    const state = kernel().account(accountId);
    if (state?.kind !== 'futures') throw usdmErrors.notFuturesAccount();
    return state;
  };
  const markOf = (symbol: string): Fixed | undefined => kernel().markPrice(symbol);

  /** The figures of the account's position on `instrument` (flat: zeros), with its open orders' reservations. */
  const figures = (account: FuturesAccount, instrument: Instrument): PositionFigures => {
    const position = account.positions.get(instrument.symbol);
    const size = position?.size ?? 0n;
    const mark = markOf(instrument.symbol) ?? 0n;
    const open = size !== 0n && position !== undefined;
    let openOrderMargin = 0n;
    for (const o of kernel().orders(account.id)) if (o.symbol === instrument.symbol && isOpenStatus(o.status)) openOrderMargin += o.locked;
    return {
      instrument,
      size,
      entryPrice: open ? position.entryPrice : 0n,
      mark,
      unrealized: open ? unrealizedPnl(position, mark) : 0n,
      notional: open ? (size > 0n ? notional(size, mark) : -notional(size, mark)) : 0n,
      margin: open ? position.margin : 0n,
      maintenance: open ? maintenanceMargin(instrument, size, mark) : 0n,
      openOrderMargin,
      leverage: open ? position.leverage : account.leverageOf(instrument.symbol),
      liquidationPrice: open ? liquidationPriceOf(account, position, instrument, (s) => kernel().instrument(s), markOf) : undefined,
      updateTime: open ? position.openedAt : 0,
    };
  };
  const perpetuals = () => kernel().instruments().filter((i) => i.market === 'perpetual');
  const allFigures = (account: FuturesAccount, symbol: string | undefined) => (symbol ? [t.perpetual(symbol)] : perpetuals()).map((i) => figures(account, i));

  ctx.route('POST', '/v1/leverage', 1, async (request, _reply, p) => {
    const account = t.account(request, p);
    const instrument = t.perpetual(p.symbol);
    const text = p.leverage ?? '';
    if (text === '') throw binanceErrors.mandatory('leverage');
    const leverage = Number(text);
    if (!/^\d{1,4}$/.test(text) || leverage < 1 || leverage > (instrument.maxLeverage ?? 1)) throw usdmErrors.invalidLeverage(text);
    const events = await ctx.deps.hub.submit({ kind: 'leverage.set', time: ctx.deps.hub.now(), account: account.accountId, symbol: instrument.symbol, leverage });
    const answer = events.find((e) => e.type === 'LEVERAGE_SET' || e.type === 'LEVERAGE_REJECTED');
    if (answer?.type !== 'LEVERAGE_SET') {
      const why = answer?.type === 'LEVERAGE_REJECTED' ? (answer.message ?? 'refused') : 'refused';
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

  ctx.route('GET', '/v2/positionRisk', 5, async (request, _reply, p) => {
    const account = futuresOf(t.account(request, p).accountId);
    return allFigures(account, p.symbol).map((x) => ({
      symbol: x.instrument.symbol,
      positionAmt: f(x.size),
      entryPrice: f(x.entryPrice),
      markPrice: f(x.mark),
      unRealizedProfit: f(x.unrealized),
      liquidationPrice: x.liquidationPrice === undefined ? '0' : f(x.liquidationPrice),
      leverage: String(x.leverage),
      maxNotionalValue: maxNotionalAt(x.instrument, x.leverage),
      marginType: account.marginMode === 'isolated' ? 'isolated' : 'cross',
      isolatedMargin: account.marginMode === 'isolated' ? f(x.margin + x.unrealized) : '0',
      isAutoAddMargin: 'false',
      positionSide: 'BOTH',
      notional: f(x.notional),
      isolatedWallet: account.marginMode === 'isolated' ? f(x.margin) : '0',
      updateTime: x.updateTime,
    }));
  });

  ctx.route('GET', '/v3/positionRisk', 5, async (request, _reply, p) => {
    const account = futuresOf(t.account(request, p).accountId);
    // V3 lists the symbols with a position or open orders only.
    return allFigures(account, p.symbol)
      .filter((x) => x.size !== 0n || x.openOrderMargin !== 0n)
      .map((x) => ({
        symbol: x.instrument.symbol,
        positionSide: 'BOTH',
        positionAmt: f(x.size),
        entryPrice: f(x.entryPrice),
        markPrice: f(x.mark),
        unRealizedProfit: f(x.unrealized),
        liquidationPrice: x.liquidationPrice === undefined ? '0' : f(x.liquidationPrice),
        isolatedMargin: account.marginMode === 'isolated' ? f(x.margin + x.unrealized) : '0',
        notional: f(x.notional),
        marginAsset: x.instrument.quote,
        isolatedWallet: account.marginMode === 'isolated' ? f(x.margin) : '0',
        initialMargin: f(x.margin + x.openOrderMargin),
        maintMargin: f(x.maintenance),
        positionInitialMargin: f(x.margin),
        openOrderInitialMargin: f(x.openOrderMargin),
        adl: 0,
        updateTime: x.updateTime,
      }));
  });

  /** The account's totals and its settlement asset's entry, as balance and account answer them. */
  const totals = (account: FuturesAccount) => {
    const all = allFigures(account, undefined);
    const sum = (pick: (x: PositionFigures) => Fixed) => all.reduce((s, x) => s + pick(x), 0n);
    const wallet = account.wallet();
    const unrealized = account.unrealized(markOf);
    const available = account.available(markOf);
    const positionMargin = sum((x) => x.margin);
    const isolatedWallets = account.marginMode === 'isolated' ? positionMargin : 0n;
    const crossUnPnl = account.marginMode === 'isolated' ? 0n : unrealized;
    const updateTime = kernel().now;
    const asset = {
      asset: account.settleAsset,
      walletBalance: f(wallet),
      unrealizedProfit: f(unrealized),
      marginBalance: f(wallet + unrealized),
      maintMargin: f(sum((x) => x.maintenance)),
      initialMargin: f(positionMargin + account.reserved),
      positionInitialMargin: f(positionMargin),
      openOrderInitialMargin: f(account.reserved),
      crossWalletBalance: f(wallet - isolatedWallets),
      crossUnPnl: f(crossUnPnl),
      availableBalance: f(available),
      maxWithdrawAmount: f(available > 0n ? available : 0n),
      marginAvailable: true,
      updateTime,
    };
    return { all, asset, wallet, unrealized, available, positionMargin, isolatedWallets, crossUnPnl, updateTime };
  };

  for (const version of ['v2', 'v3']) {
    ctx.route('GET', `/${version}/balance`, 5, async (request, _reply, p) => {
      const account = futuresOf(t.account(request, p).accountId);
      const { asset } = totals(account);
      return [{ accountAlias: 'paper', asset: asset.asset, balance: asset.walletBalance, crossWalletBalance: asset.crossWalletBalance, crossUnPnl: asset.crossUnPnl, availableBalance: asset.availableBalance, maxWithdrawAmount: asset.maxWithdrawAmount, marginAvailable: true, updateTime: asset.updateTime }];
    });

    ctx.route('GET', `/${version}/account`, 5, async (request, _reply, p) => {
      const profile = t.account(request, p);
      const account = futuresOf(profile.accountId);
      const x = totals(account);
      const positions = x.all
        .filter((pos) => version === 'v2' || pos.size !== 0n)
        .map((pos) => ({
          symbol: pos.instrument.symbol,
          positionSide: 'BOTH',
          positionAmt: f(pos.size),
          unrealizedProfit: f(pos.unrealized),
          isolatedMargin: account.marginMode === 'isolated' ? f(pos.margin + pos.unrealized) : '0',
          notional: f(pos.notional),
          isolatedWallet: account.marginMode === 'isolated' ? f(pos.margin) : '0',
          initialMargin: f(pos.margin + pos.openOrderMargin),
          maintMargin: f(pos.maintenance),
          updateTime: pos.updateTime,
          ...(version === 'v2'
            ? { positionInitialMargin: f(pos.margin), openOrderInitialMargin: f(pos.openOrderMargin), leverage: String(pos.leverage), isolated: account.marginMode === 'isolated', entryPrice: f(pos.entryPrice), maxNotional: maxNotionalAt(pos.instrument, pos.leverage), bidNotional: '0', askNotional: '0' }
            : {}),
        }));
      return {
        ...(version === 'v2' ? { feeTier: 0, canTrade: !kernel().isHalted(profile.accountId), canDeposit: false, canWithdraw: false, updateTime: 0 } : {}),
        multiAssetsMargin: false,
        tradeGroupId: -1,
        totalInitialMargin: x.asset.initialMargin,
        totalMaintMargin: x.asset.maintMargin,
        totalWalletBalance: f(x.wallet),
        totalUnrealizedProfit: f(x.unrealized),
        totalMarginBalance: f(x.wallet + x.unrealized),
        totalPositionInitialMargin: f(x.positionMargin),
        totalOpenOrderInitialMargin: f(account.reserved),
        totalCrossWalletBalance: f(x.wallet - x.isolatedWallets),
        totalCrossUnPnl: f(x.crossUnPnl),
        availableBalance: x.asset.availableBalance,
        maxWithdrawAmount: x.asset.maxWithdrawAmount,
        assets: [x.asset],
        positions,
      };
    });
  }
}
