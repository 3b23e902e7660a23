/**
 * The liquidation price a position shows, by margin mode (Binance FAQ "How to Calculate Liquidation
 * Price of USDⓈ-M Futures Contracts", one-way mode):
 *   LP = (WB − TMM1 + UPNL1 + cumB − side·Q·EP) / (Q·MMR_B − side·Q)
 * with the bracket whose notional range holds Q·LP. Isolated: WB is the position's margin and
 * TMM1 = UPNL1 = 0 (position.ts). Cross: WB is the account's whole wallet balance, TMM1 and UPNL1
 * the maintenance margin and unrealized PnL of its other positions at their marks — the price at
 * which the account's equity meets its total maintenance margin, the condition cross liquidation
 * checks (kernel/futures-risk.ts), other marks held still.
 */
import { abs, div, mul, type Fixed } from '../money/fixed.js';
import type { Instrument } from '../instruments/instrument.js';
import type { FuturesAccount } from './futures-account.js';
import { isolatedLiquidationPrice, maintenanceMargin, unrealizedPnl, type Position } from './position.js';

export interface CrossWallet {
  readonly walletBalance: Fixed;
  /** TMM1: maintenance margin of the account's other positions. */
  readonly othersMaintenance: Fixed;
  /** UPNL1: unrealized PnL of the account's other positions. */
  readonly othersUnrealized: Fixed;
}

export function crossLiquidationPrice(instrument: Instrument, position: Position, wallet: CrossWallet): Fixed | undefined {
  if (position.size === 0n) return undefined;
  const q = abs(position.size);
  const side = position.size > 0n ? 1n : -1n;
  const cost = mul(q, position.entryPrice, 'half-up');
  for (const tier of instrument.marginTiers ?? []) {
    const numerator = wallet.walletBalance - wallet.othersMaintenance + wallet.othersUnrealized + tier.maintenanceAmount - side * cost;
    const denominator = mul(q, tier.maintenanceMarginRate, 'half-up') - side * q;
    if (denominator === 0n) continue;
    const lp = div(numerator, denominator, 'half-up');
    if (lp <= 0n) return undefined;
    const n = mul(q, lp, 'half-up');
    if (n >= tier.notionalFloor && n < tier.notionalCap) return lp;
  }
  return undefined;
}

/** WB, TMM1 and UPNL1 of a cross account for one of its positions; other positions without a mark count as flat. */
export function crossWalletFor(
  account: FuturesAccount,
  position: Position,
  instrumentOf: (symbol: string) => Instrument | undefined,
  markOf: (symbol: string) => Fixed | undefined,
): CrossWallet {
  let othersMaintenance = 0n;
  let othersUnrealized = 0n;
  for (const p of account.openPositions()) {
    if (p.symbol === position.symbol) continue;
    const mark = markOf(p.symbol);
    const instrument = instrumentOf(p.symbol);
    if (mark === undefined || instrument === undefined) continue;
    othersMaintenance += maintenanceMargin(instrument, p.size, mark);
    othersUnrealized += unrealizedPnl(p, mark);
  }
  return { walletBalance: account.wallet(), othersMaintenance, othersUnrealized };
}

/** The liquidation price of `position` as its account's margin mode computes it. */
export function liquidationPriceOf(
  account: FuturesAccount,
  position: Position,
  instrument: Instrument,
  instrumentOf: (symbol: string) => Instrument | undefined,
  markOf: (symbol: string) => Fixed | undefined,
): Fixed | undefined {
  return account.marginMode === 'cross'
    ? crossLiquidationPrice(instrument, position, crossWalletFor(account, position, instrumentOf, markOf))
    : isolatedLiquidationPrice(instrument, position);
}
