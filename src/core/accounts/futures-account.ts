/**
 * A USDT-margined futures account: one settlement asset, one-way positions (one per symbol),
 * leverage per symbol, isolated margin (cross as an option).
 *
 * Money lives in three places, all in the settlement asset: `cash` (free), position margins, and
 * reservations of open orders. Guarantees (checked by `reconcile`):
 * - wallet = cash + Σ position margin + Σ order reservations
 *          = deposits + realized PnL − fees − funding, exactly;
 * - equity = wallet + Σ unrealized PnL at the mark price (so final equity = initial + realized +
 *   unrealized − fees − funding holds by construction, to the last unit).
 */
import { formatFixed, type Fixed } from '../money/fixed.js';
import type { FeeSchedule } from './spot-account.js';
import { unrealizedPnl, type MarginMode, type Position } from './position.js';

export interface FuturesLedger {
  deposits: Fixed;
  realizedPnl: Fixed;
  fees: Fixed;
  funding: Fixed;
}

export class FuturesAccount {
  readonly kind = 'futures';
  cash: Fixed = 0n;
  /** Sum of open orders' reservations. */
  reserved: Fixed = 0n;
  readonly positions = new Map<string, Position>();
  readonly leverage = new Map<string, number>();
  readonly ledger: FuturesLedger = { deposits: 0n, realizedPnl: 0n, fees: 0n, funding: 0n };
  positionSeq = 0;

  constructor(
    readonly id: string,
    readonly settleAsset: string,
    readonly marginMode: MarginMode,
    readonly fees: FeeSchedule,
    readonly defaultLeverage: number,
  ) {}

  deposit(amount: Fixed): void {
    if (amount < 0n) throw new RangeError('a deposit cannot be negative');
    this.cash += amount;
    this.ledger.deposits += amount;
  }

  leverageOf(symbol: string): number {
    return this.leverage.get(symbol) ?? this.defaultLeverage;
  }

  /** Open (non-zero) positions, by symbol. */
  openPositions(): Position[] {
    return [...this.positions.values()].filter((p) => p.size !== 0n).sort((a, b) => (a.symbol < b.symbol ? -1 : 1));
  }

  positionFor(symbol: string, at: number): Position {
    let position = this.positions.get(symbol);
    if (position === undefined || position.size === 0n) {
      this.positionSeq += 1;
      position = {
        id: `${this.id}:${symbol}:${this.positionSeq}`,
        symbol,
        size: 0n,
        entryPrice: 0n,
        leverage: this.leverageOf(symbol),
        margin: 0n,
        realizedPnl: 0n,
        totalFundingPaid: 0n,
        feesPaid: 0n,
        openedAt: at,
      };
      this.positions.set(symbol, position);
    }
    return position;
  }

  wallet(): Fixed {
    let margins = 0n;
    for (const p of this.positions.values()) margins += p.margin;
    return this.cash + margins + this.reserved;
  }

  marginUsed(): Fixed {
    let margins = 0n;
    for (const p of this.positions.values()) margins += p.margin;
    return margins + this.reserved;
  }

  unrealized(marks: (symbol: string) => Fixed | undefined): Fixed {
    let total = 0n;
    for (const p of this.positions.values()) {
      const mark = marks(p.symbol);
      if (p.size !== 0n && mark !== undefined) total += unrealizedPnl(p, mark);
    }
    return total;
  }

  equity(marks: (symbol: string) => Fixed | undefined): Fixed {
    return this.wallet() + this.unrealized(marks);
  }

  /** What new orders may use: cash, plus (cross) unrealized losses, which reduce it. */
  available(marks: (symbol: string) => Fixed | undefined): Fixed {
    if (this.marginMode === 'isolated') return this.cash;
    const upnl = this.unrealized(marks);
    return this.cash + (upnl < 0n ? upnl : 0n);
  }

  reconcile(orderReservations: Fixed): void {
    const expected = this.ledger.deposits + this.ledger.realizedPnl - this.ledger.fees - this.ledger.funding;
    if (this.wallet() !== expected) {
      throw new Error(`futures account ${this.id}: wallet ${formatFixed(this.wallet())} ≠ ledger ${formatFixed(expected)}`);
    }
    if (this.reserved !== orderReservations) {
      throw new Error(`futures account ${this.id}: reserved ${formatFixed(this.reserved)} ≠ open orders' ${formatFixed(orderReservations)}`);
    }
    for (const p of this.positions.values()) {
      if (p.margin < 0n) throw new Error(`futures account ${this.id}: negative margin on ${p.symbol}`);
    }
  }
}
