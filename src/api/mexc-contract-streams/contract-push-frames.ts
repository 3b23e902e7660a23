/**
 * The kernel's events and the market's diffs as MEXC contract WebSocket pushes (MEXC futures API
 * docs, "WebSocket API"): JSON frames `{"channel","data","symbol"?,"ts"}`. Sizes are MEXC contracts
 * and numbers JSON numbers, as the contract REST dialect prints them (mexc-contract-mappers.ts, whose
 * order, deal, asset, position and ticker shapes the pushes reuse).
 *
 * Left out rather than invented, as on the REST dialect: a book level's order count (MEXC's third
 * element), a trade's open/close flag (`O`).
 */
import type { PositionEvent } from '../../core/kernel/events.js';
import { formatFixed, parseFixed } from '../../core/money/fixed.js';
import { extend } from '../../core/objects.js';
import type { AccountFill } from '../dialect-kit/account-history.js';
import type { Level } from '../dialect-kit/market-views.js';
import type { TapeTrade } from '../dialect-kit/market-tape.js';
import { contractDeal, contractPosition, num, type ClosedPart, type ContractPositionState } from '../mexc-contract/mexc-contract-mappers.js';
import { volOf, type Contract } from '../mexc-contract/mexc-contract-symbols.js';

export interface PushFrame {
  readonly channel: string;
  readonly data: unknown;
  readonly symbol?: string;
  /** Every push and answer carries it but the pong, which MEXC documents as `{"channel","data"}` only. */
  readonly ts?: number;
}

/** A control answer: `rs.<method>` with "success", `rs.error` with the reason. */
export const answer = (channel: string, data: unknown, ts: number): PushFrame => ({ channel, data, ts });

/**
 * The answer to `{"method":"ping"}`, as MEXC's "WebSocket API" shows it: `{"channel":"pong","data":1587453241453}`,
 * the server's time in Unix ms as `data`, and nothing else.
 */
export const pong = (ts: number): PushFrame => ({ channel: 'pong', data: ts });

/** Book levels as MEXC's `[price, contracts]` pairs; a level at 0 contracts is removed. */
export function depthLevels(c: Contract, levels: readonly Level[]): [number, number][] {
  return levels.map(([price, quantity]) => [num(price), num(volOf(c, quantity))]);
}

/** `push.deal` items: `T` the taker's side (1 buy, 2 sell), `M` 2 (not a self-trade). */
export function dealItems(c: Contract, trades: readonly TapeTrade[]): Record<string, number>[] {
  return trades.map((t) => ({ p: num(t.price), v: num(volOf(c, t.quantity)), T: t.buyerMaker ? 2 : 1, M: 2, t: t.time }));
}

/** `push.personal.order.deal`: the REST deal of the fill, with the order's client id. */
export function personalDeal(fill: AccountFill, c: Contract, reduceOnly: boolean, externalOid: string): Record<string, unknown> {
  return extend(contractDeal(fill, c, reduceOnly), { externalOid, isSelf: false });
}

/**
 * `push.personal.position` of a position event: state 1 while held, 3 once closed (holdVol 0),
 * through the REST dialect's position mapper (contractPosition), so the push and
 * `position/open_positions` state a position alike. `positionType` (1 long, 2 short) is the
 * caller's for a closed position, whose event says FLAT. `realised` is the realized PnL less the
 * fees paid, as the REST open positions show it; `closed` what the position has closed so far, from
 * its fills (positionClosedPart).
 */
export function personalPosition(e: PositionEvent, c: Contract, openType: 1 | 2, positionType: 1 | 2, closed: ClosedPart): Record<string, unknown> {
  const isClosed = e.type === 'POSITION_CLOSED';
  const state: ContractPositionState = {
    positionId: e.positionId,
    positionType,
    openType,
    state: isClosed ? 3 : 1,
    held: isClosed ? 0n : parseFixed(e.totalSize),
    entryPrice: e.entryPrice,
    liquidationPrice: e.liquidationPrice,
    margin: e.marginUsed,
    fundingPaid: e.totalFundingPaid,
    realised: formatFixed(parseFixed(e.realizedPnl) - parseFixed(e.feesPaid)),
    leverage: e.leverage,
    createTime: e.openedAt,
    updateTime: e.at,
  };
  return contractPosition(state, c, closed);
}
