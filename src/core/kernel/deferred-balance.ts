import { formatFixed, type Fixed } from '../money/fixed.js';

/**
 * One asset's balance as `Kernel.balances` states it (`free`, `locked` as decimal text), holding the
 * amounts it had when made and writing each text only when first read. For a reader that keeps few
 * of the balances it is handed: the read tables write only a batch's last balance of each account,
 * out of one per input that named the account.
 * The texts are getters on the prototype: `JSON.stringify` and a spread do not see them (use
 * `Kernel.balances` for anything that serializes).
 */
export class DeferredBalance {
  private freeText: string | undefined;
  private lockedText: string | undefined;

  constructor(
    readonly freeAmount: Fixed,
    readonly lockedAmount: Fixed,
  ) {}

  get free(): string {
    return (this.freeText ??= formatFixed(this.freeAmount));
  }

  get locked(): string {
    return (this.lockedText ??= formatFixed(this.lockedAmount));
  }
}
