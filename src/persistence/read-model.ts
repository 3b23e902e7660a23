/**
 * The read tables (accounts, balances, orders, order rejections, trades, equity points), kept up to
 * date from kernel events. They are a projection: the journal and snapshots are the truth, and these
 * tables can always be rebuilt from them.
 *
 * Guarantees:
 * - one `apply` call is one transaction: every event in it lands, or none does;
 * - idempotent twice over: a checkpoint (the last input seq applied) makes a repeated batch a no-op,
 *   and every row write is itself repeatable (inserts keyed by the engine's ids do nothing when the
 *   row exists; updates set absolute values, never increments);
 * - event types it does not know are skipped, so new kernel events never break it;
 * - EQUITY events become equity points and set the account row's equity and drawdowns (the
 *   kernel's valuation); ORDER_TRIGGERED moves a conditional order's status;
 * - amounts are written as the events' decimal strings, untouched.
 * Not modelled: balances are not derived from fills here; the kernel is their authority and its
 * `{ asset: { free, locked } }` view is upserted as given.
 */
import type { Kysely, Transaction } from 'kysely';
import type { KernelEvent } from '../core/kernel/events.js';
import type { Database } from './schema.js';

export type BalanceView = Readonly<Record<string, { readonly free: string; readonly locked: string }>>;

/** The events one journaled input produced, and optionally the balances of the accounts it touched. */
export interface InputEvents {
  readonly seq: number;
  readonly events: readonly KernelEvent[];
  /** When the input was handled (Unix ms); stamps balance rows. Defaults to the last event's time. */
  readonly at?: number;
  /** Account id → balances after this input. */
  readonly balances?: Readonly<Record<string, BalanceView>>;
}

export interface ApplyOutcome {
  readonly applied: number;
  readonly skipped: number;
  readonly checkpoint: number;
}

export interface ReadModelOptions {
  /** Checkpoint name, for several projections in one database (default `main`). */
  readonly name?: string;
  /** The asset an account's `balance`/`equity` columns are counted in at opening (default USDT). */
  readonly valuationAsset?: string;
}

type Tx = Transaction<Database> | Kysely<Database>;

export class ReadModel {
  private readonly name: string;
  private readonly valuationAsset: string;

  constructor(
    private readonly db: Kysely<Database>,
    options: ReadModelOptions = {},
  ) {
    this.name = options.name ?? 'main';
    this.valuationAsset = options.valuationAsset ?? 'USDT';
  }

  /** The seq of the last input applied, 0 when none was. */
  checkpoint(): Promise<number> {
    return this.readCheckpoint(this.db);
  }

  private async readCheckpoint(db: Tx): Promise<number> {
    const row = await db.selectFrom('read_model_checkpoint').select('seq').where('name', '=', this.name).executeTakeFirst();
    return row === undefined ? 0 : Number(row.seq);
  }

  /** Applies inputs' events in one transaction; inputs at or below the checkpoint are skipped. */
  async apply(batch: readonly InputEvents[]): Promise<ApplyOutcome> {
    for (let i = 1; i < batch.length; i++) {
      if (batch[i]!.seq <= batch[i - 1]!.seq) throw new Error(`read model batch out of order: seq ${batch[i]!.seq} after ${batch[i - 1]!.seq}`);
    }
    return this.db.transaction().execute(async (tx) => {
      const before = await this.readCheckpoint(tx);
      const fresh = batch.filter((b) => b.seq > before);
      for (const input of fresh) {
        for (const [index, event] of input.events.entries()) await this.applyEvent(tx, input.seq, index, event);
        for (const [accountId, balances] of Object.entries(input.balances ?? {})) {
          await this.writeBalances(tx, accountId, balances, input.at ?? lastEventTime(input.events) ?? 0);
        }
      }
      const last = fresh.at(-1)?.seq;
      if (last !== undefined) {
        await tx
          .insertInto('read_model_checkpoint')
          .values({ name: this.name, seq: last })
          .onConflict((oc) => oc.column('name').doUpdateSet({ seq: last }))
          .execute();
      }
      return { applied: fresh.length, skipped: batch.length - fresh.length, checkpoint: last ?? before };
    });
  }

  /** Writes an account's balances as given (insert or replace per asset). */
  async upsertBalances(accountId: string, balances: BalanceView, at: number): Promise<void> {
    await this.db.transaction().execute((tx) => this.writeBalances(tx, accountId, balances, at));
  }

  /** Records an account's equity at a time; recording the same point again replaces it. */
  async recordEquity(accountId: string, at: number, equity: string): Promise<void> {
    await this.db
      .insertInto('equity_points')
      .values({ accountId, at, equity })
      .onConflict((oc) => oc.columns(['accountId', 'at']).doUpdateSet({ equity }))
      .execute();
  }

  private async writeBalances(tx: Tx, accountId: string, balances: BalanceView, at: number): Promise<void> {
    for (const asset of Object.keys(balances).sort()) {
      const { free, locked } = balances[asset]!;
      await tx
        .insertInto('balances')
        .values({ accountId, asset, free, locked, updatedAt: at })
        .onConflict((oc) => oc.columns(['accountId', 'asset']).doUpdateSet({ free, locked, updatedAt: at }))
        .execute();
    }
  }

  private async applyEvent(tx: Tx, seq: number, index: number, event: KernelEvent): Promise<void> {
    switch (event.type) {
      case 'ACCOUNT_OPENED': {
        const opening = event.balances[this.valuationAsset] ?? '0';
        await tx
          .insertInto('accounts')
          .values({
            id: event.account,
            userId: null,
            name: event.account,
            type: event.accountType ?? 'spot',
            initialBalance: opening,
            balance: opening,
            equity: opening,
            availableMargin: opening,
            marginUsed: '0',
            currentDrawdown: '0',
            maxDrawdown: '0',
            status: 'ACTIVE',
            apiKey: null,
            apiSecretHash: null,
            settings: JSON.stringify({ valuationAsset: this.valuationAsset, initialBalances: event.balances }),
            createdAt: event.at,
            updatedAt: event.at,
          })
          .onConflict((oc) => oc.column('id').doNothing())
          .execute();
        for (const asset of Object.keys(event.balances).sort()) {
          await tx
            .insertInto('balances')
            .values({ accountId: event.account, asset, free: event.balances[asset]!, locked: '0', updatedAt: event.at })
            .onConflict((oc) => oc.columns(['accountId', 'asset']).doNothing())
            .execute();
        }
        return;
      }
      case 'ORDER_NEW':
        await tx
          .insertInto('orders')
          .values({
            id: event.orderId,
            accountId: event.account,
            clientOrderId: event.clientOrderId,
            symbol: event.symbol,
            side: event.side,
            type: event.orderType,
            price: event.price ?? null,
            quantity: event.quantity,
            quoteOrderQty: event.quoteOrderQty ?? null,
            status: event.status,
            executedQty: '0',
            cumulativeQuoteQty: '0',
            reason: null,
            createdAt: event.at,
            updatedAt: event.at,
          })
          .onConflict((oc) => oc.column('id').doNothing())
          .execute();
        return;
      case 'FILL':
        await tx
          .insertInto('trades')
          .values({
            id: event.tradeId,
            accountId: event.account,
            orderId: event.orderId,
            positionId: null,
            symbol: event.symbol,
            side: null,
            orderSide: event.side,
            size: event.quantity,
            price: event.price,
            quoteQty: event.quoteQuantity,
            pnl: null,
            fee: event.fee,
            feeAsset: event.feeAsset,
            liquidity: event.liquidity,
            reason: null,
            timestamp: event.at,
          })
          .onConflict((oc) => oc.column('id').doNothing())
          .execute();
        await tx
          .updateTable('orders')
          .set({ status: event.status, executedQty: event.executedQty, cumulativeQuoteQty: event.cumulativeQuoteQty, updatedAt: event.at })
          .where('id', '=', event.orderId)
          .execute();
        return;
      case 'ORDER_CANCELED':
      case 'ORDER_EXPIRED':
        await tx
          .updateTable('orders')
          .set({ status: event.status, executedQty: event.executedQty, reason: event.reason, updatedAt: event.at })
          .where('id', '=', event.orderId)
          .execute();
        return;
      case 'ORDER_TRIGGERED':
        await tx.updateTable('orders').set({ status: event.status, updatedAt: event.at }).where('id', '=', event.orderId).execute();
        return;
      case 'EQUITY':
        await tx
          .insertInto('equity_points')
          .values({ accountId: event.account, at: event.at, equity: event.equity })
          .onConflict((oc) => oc.columns(['accountId', 'at']).doUpdateSet({ equity: event.equity }))
          .execute();
        await tx
          .updateTable('accounts')
          .set({ equity: event.equity, currentDrawdown: event.currentDrawdown, maxDrawdown: event.maxDrawdown, updatedAt: event.at })
          .where('id', '=', event.account)
          .execute();
        return;
      case 'ORDER_REJECTED':
        await tx
          .insertInto('order_rejections')
          .values({
            id: `${seq}:${index}`,
            accountId: event.account,
            clientOrderId: event.clientOrderId,
            symbol: event.symbol,
            code: event.code,
            mexcCode: event.mexcCode,
            message: event.message,
            at: event.at,
          })
          .onConflict((oc) => oc.column('id').doNothing())
          .execute();
        return;
      case 'INPUT_REJECTED':
        await tx
          .insertInto('quarantined_inputs')
          .values({ seq, at: event.at, kind: event.kind, code: event.code, reason: event.message, accountId: event.account ?? null })
          .onConflict((oc) => oc.column('seq').doNothing())
          .execute();
        return;
      default:
        // Book status, cancel/account rejections and event types added later: not part of these tables.
        return;
    }
  }
}

function lastEventTime(events: readonly KernelEvent[]): number | undefined {
  return events.at(-1)?.at;
}
