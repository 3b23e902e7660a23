/**
 * A paper futures account's figures for the read port (execution/account-read-port.ts,
 * FuturesAccountFigures), from the kernel, exact, in the settlement asset: wallet balance = cash +
 * position margins + open orders' reservations (core/accounts/futures-account.ts); unrealized PnL
 * at the kernel's mark price; a position's margin is what the kernel holds for it, an open order's
 * what it reserves; maintenance margin is |size| × mark × MMR − cum of the position's bracket;
 * available balance is what new orders may use (cash, less unrealized losses in cross mode).
 * Follows Binance USD-M's position and account fields
 * (https://developers.binance.com/docs/derivatives/usds-margined-futures/account/rest-api).
 */
import { liquidationPriceOf } from '../core/accounts/liquidation-price.js';
import { maintenanceMargin, notional, unrealizedPnl } from '../core/accounts/position.js';
import type { Instrument } from '../core/instruments/instrument.js';
import type { Kernel } from '../core/kernel/kernel.js';
import { formatFixed, type Fixed } from '../core/money/fixed.js';
import { isOpenStatus } from '../core/orders/order-status.js';
import type { FuturesAccountFigures, FuturesPositionFigures } from '../execution/account-read-port.js';

/** The account's figures, one position per perpetual (flat: zeros); undefined for a spot or unknown account. */
export function paperFuturesFigures(kernel: Kernel, accountId: string): FuturesAccountFigures | undefined {
  const account = kernel.account(accountId);
  if (account?.kind !== 'futures') return undefined;
  const markOf = (symbol: string): Fixed | undefined => kernel.markPrice(symbol);
  const f = formatFixed;
  const figures = (instrument: Instrument): FuturesPositionFigures => {
    const position = account.positions.get(instrument.symbol);
    const size = position?.size ?? 0n;
    const mark = markOf(instrument.symbol) ?? 0n;
    const open = size !== 0n && position !== undefined;
    let openOrderMargin = 0n;
    for (const o of kernel.orders(account.id)) if (o.symbol === instrument.symbol && isOpenStatus(o.status)) openOrderMargin += o.locked;
    const liquidation = open ? liquidationPriceOf(account, position, instrument, (s) => kernel.instrument(s), markOf) : undefined;
    return {
      symbol: instrument.symbol,
      size: f(size),
      entryPrice: f(open ? position.entryPrice : 0n),
      markPrice: f(mark),
      unrealizedPnl: f(open ? unrealizedPnl(position, mark) : 0n),
      notional: f(open ? (size > 0n ? notional(size, mark) : -notional(size, mark)) : 0n),
      margin: f(open ? position.margin : 0n),
      maintenanceMargin: f(open ? maintenanceMargin(instrument, size, mark) : 0n),
      openOrderMargin: f(openOrderMargin),
      leverage: open ? position.leverage : account.leverageOf(instrument.symbol),
      liquidationPrice: liquidation === undefined ? null : f(liquidation),
      updateTime: open ? position.openedAt : 0,
      ...(open ? { positionId: position.id, realizedPnl: f(position.realizedPnl - position.feesPaid), fundingPaid: f(position.totalFundingPaid) } : {}),
    };
  };
  return {
    settleAsset: account.settleAsset,
    marginMode: account.marginMode === 'isolated' ? 'isolated' : 'cross',
    wallet: f(account.wallet()),
    unrealizedPnl: f(account.unrealized(markOf)),
    available: f(account.available(markOf)),
    reserved: f(account.reserved),
    positions: kernel.instruments().filter((i) => i.market === 'perpetual').map(figures),
    // The account's last change on the kernel's clock (Binance: the asset's last update), not the time of the read.
    updateTime: kernel.accountChangedAt(account.id) ?? 0,
  };
}
