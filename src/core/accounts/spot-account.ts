/**
 * A spot account: free and locked balance per asset, and a ledger that proves them.
 *
 * Guarantees (checked by `reconcile`, which throws on any breach):
 * - no balance is ever negative;
 * - per asset, free + locked = deposits + Σ traded amounts − Σ fees, exactly (bigint, no rounding);
 * - balances change only through `lock`, `unlock`, `settle` and `deposit`.
 * Cost: O(1) per movement.
 */
import type { FeeSchedule } from '../matching/fee-model.js';
import { formatFixed, type Fixed } from '../money/fixed.js';

export interface Balance {
  free: Fixed;
  locked: Fixed;
}

export interface AssetLedger {
  deposits: Fixed;
  /** Net amount received (+) or paid (−) by fills. */
  traded: Fixed;
  fees: Fixed;
}

export type { FeeAssetMode, FeeSchedule } from '../matching/fee-model.js';

export class SpotAccount {
  readonly kind = 'spot';
  private readonly balances = new Map<string, Balance>();
  private readonly ledger = new Map<string, AssetLedger>();

  constructor(
    readonly id: string,
    readonly fees: FeeSchedule,
  ) {}

  /** Assets in a stable order (sorted by name). */
  assets(): string[] {
    return [...this.balances.keys()].sort();
  }

  /**
   * Calls `visit` with each held asset's balance, in the order the assets were first held (not
   * sorted, no copy): for figures that do not depend on the order, such as an exact sum.
   */
  forEachBalance(visit: (balance: Readonly<Balance>, asset: string) => void): void {
    this.balances.forEach(visit);
  }

  balance(asset: string): Readonly<Balance> {
    return this.balances.get(asset) ?? { free: 0n, locked: 0n };
  }

  ledgerOf(asset: string): Readonly<AssetLedger> {
    return this.ledger.get(asset) ?? { deposits: 0n, traded: 0n, fees: 0n };
  }

  deposit(asset: string, amount: Fixed): void {
    if (amount < 0n) throw new RangeError('a deposit cannot be negative');
    this.entry(asset).free += amount;
    this.ledgerEntry(asset).deposits += amount;
  }

  canLock(asset: string, amount: Fixed): boolean {
    return this.balance(asset).free >= amount;
  }

  /** Moves `amount` from free to locked; false (and nothing changes) when free is short. */
  lock(asset: string, amount: Fixed): boolean {
    if (amount < 0n) throw new RangeError('cannot lock a negative amount');
    const b = this.entry(asset);
    if (b.free < amount) return false;
    b.free -= amount;
    b.locked += amount;
    return true;
  }

  unlock(asset: string, amount: Fixed): void {
    if (amount < 0n) throw new RangeError('cannot unlock a negative amount');
    const b = this.entry(asset);
    if (b.locked < amount) {
      throw new Error(`account ${this.id}: unlocking ${formatFixed(amount)} ${asset} but only ${formatFixed(b.locked)} is locked`);
    }
    b.locked -= amount;
    b.free += amount;
  }

  /**
   * Applies one fill: pays `paid` of `paidAsset` (from the order's lock, or from free when
   * `fromLocked` is 0), receives `received` of `receivedAsset`, and charges `fee` in `feeAsset`
   * (from what was received, or from the lock when the fee is in the paid asset).
   */
  settle(movement: {
    readonly paidAsset: string;
    readonly paid: Fixed;
    readonly fromLocked: Fixed;
    readonly receivedAsset: string;
    readonly received: Fixed;
    readonly feeAsset: string;
    readonly fee: Fixed;
    readonly feeFromLocked: Fixed;
  }): void {
    const paid = this.entry(movement.paidAsset);
    if (movement.fromLocked > movement.paid) throw new Error('paid from the lock more than the fill costs');
    paid.locked -= movement.fromLocked;
    paid.free -= movement.paid - movement.fromLocked;
    this.ledgerEntry(movement.paidAsset).traded -= movement.paid;

    this.entry(movement.receivedAsset).free += movement.received;
    this.ledgerEntry(movement.receivedAsset).traded += movement.received;

    const feeBalance = this.entry(movement.feeAsset);
    feeBalance.locked -= movement.feeFromLocked;
    feeBalance.free -= movement.fee - movement.feeFromLocked;
    this.ledgerEntry(movement.feeAsset).fees += movement.fee;

    for (const asset of [movement.paidAsset, movement.receivedAsset, movement.feeAsset]) {
      const b = this.entry(asset);
      if (b.free < 0n || b.locked < 0n) {
        throw new Error(`account ${this.id}: ${asset} would go negative (free ${formatFixed(b.free)}, locked ${formatFixed(b.locked)})`);
      }
    }
  }

  exportState(): { balances: [string, Balance][]; ledger: [string, AssetLedger][] } {
    return {
      balances: [...this.balances].map(([asset, b]) => [asset, { ...b }]),
      ledger: [...this.ledger].map(([asset, l]) => [asset, { ...l }]),
    };
  }

  importState(state: { balances: [string, Balance][]; ledger: [string, AssetLedger][] }): void {
    this.balances.clear();
    this.ledger.clear();
    for (const [asset, b] of state.balances) this.balances.set(asset, { ...b });
    for (const [asset, l] of state.ledger) this.ledger.set(asset, { ...l });
  }

  /** Throws when a balance is negative or does not equal its ledger. */
  reconcile(): void {
    // Checked in the Map's order (no sorted copy per call); a breach is then reported in asset order,
    // so the message does not depend on the order the assets were first held in.
    // A loop over the keys, not forEach: no closure and context per call (one per input that touches the account).
    let broken = false;
    for (const asset of this.balances.keys()) {
      const b = this.balances.get(asset)!;
      const l = this.ledger.get(asset);
      if (b.free < 0n || b.locked < 0n || b.free + b.locked !== (l === undefined ? 0n : l.deposits + l.traded - l.fees)) {
        broken = true;
        break;
      }
    }
    if (!broken) return;
    for (const asset of this.assets()) {
      const b = this.balance(asset);
      const l = this.ledgerOf(asset);
      if (b.free < 0n || b.locked < 0n) throw new Error(`account ${this.id}: negative ${asset} balance`);
      if (b.free + b.locked !== l.deposits + l.traded - l.fees) {
        throw new Error(
          `account ${this.id}: ${asset} does not reconcile: free+locked=${formatFixed(b.free + b.locked)}, ` +
            `ledger=${formatFixed(l.deposits + l.traded - l.fees)}`,
        );
      }
    }
  }

  private entry(asset: string): Balance {
    let b = this.balances.get(asset);
    if (b === undefined) {
      b = { free: 0n, locked: 0n };
      this.balances.set(asset, b);
      this.ledgerEntry(asset);
    }
    return b;
  }

  private ledgerEntry(asset: string): AssetLedger {
    let l = this.ledger.get(asset);
    if (l === undefined) {
      l = { deposits: 0n, traded: 0n, fees: 0n };
      this.ledger.set(asset, l);
      this.entry(asset);
    }
    return l;
  }
}
