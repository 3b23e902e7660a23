/**
 * Position events as the seed names them (POSITION_OPENED / _UPDATED / _CLOSED), with every field
 * of the seed's PaperPosition that the engine knows, as decimal strings. The liquidation price is
 * the margin mode's (liquidation-price.ts) when the account is given, else the isolated one.
 */
import { formatFixed, type Fixed } from '../money/fixed.js';
import type { Instrument } from '../instruments/instrument.js';
import type { PositionEvent } from '../kernel/events.js';
import type { FuturesAccount } from './futures-account.js';
import { liquidationPriceOf } from './liquidation-price.js';
import { isolatedLiquidationPrice, unrealizedPnl, type Position } from './position.js';

/** What a cross account's liquidation price depends on besides the position (its wallet and other positions). */
export interface PositionContext {
  readonly account: FuturesAccount;
  readonly instrumentOf: (symbol: string) => Instrument | undefined;
  readonly markOf: (symbol: string) => Fixed | undefined;
}

export function positionView(account: string, position: Position, instrument: Instrument, mark: Fixed | undefined, context?: PositionContext) {
  const size = position.size < 0n ? -position.size : position.size;
  const liquidation =
    context === undefined ? isolatedLiquidationPrice(instrument, position) : liquidationPriceOf(context.account, position, instrument, context.instrumentOf, context.markOf);
  return {
    account,
    symbol: position.symbol,
    positionId: position.id,
    direction: position.size > 0n ? 'LONG' : position.size < 0n ? 'SHORT' : 'FLAT',
    totalSize: formatFixed(size),
    entryPrice: formatFixed(position.entryPrice),
    ...(mark !== undefined ? { currentPrice: formatFixed(mark), unrealizedPnl: formatFixed(position.size === 0n ? 0n : unrealizedPnl(position, mark)) } : {}),
    leverage: position.leverage,
    marginUsed: formatFixed(position.margin),
    ...(liquidation !== undefined ? { liquidationPrice: formatFixed(liquidation) } : {}),
    realizedPnl: formatFixed(position.realizedPnl),
    totalFundingPaid: formatFixed(position.totalFundingPaid),
    feesPaid: formatFixed(position.feesPaid),
    openedAt: position.openedAt,
  } as const;
}

export function positionEvent(
  type: PositionEvent['type'],
  account: string,
  position: Position,
  at: number,
  instrument: Instrument,
  mark: (symbol: string) => Fixed | undefined,
  context?: PositionContext,
): PositionEvent {
  return { type, at, ...positionView(account, position, instrument, mark(position.symbol), context) };
}
