/**
 * The read tables (accounts, balances, orders, order rejections, trades, funding payments, equity points), kept up to
 * date from kernel events. They are a projection: the journal and snapshots are the truth, and these
 * tables can always be rebuilt from them.
 *
 * Guarantees:
 * - one `apply` call is one transaction: every event in it lands, or none does; it commits without
 *   waiting for the disk (`projectionTransaction`), the journal being the durable record;
 * - idempotent twice over: a checkpoint (the last input seq applied) makes a repeated batch a no-op,
 *   and every row write is itself repeatable (inserts keyed by the engine's ids do nothing when the
 *   row exists; updates set absolute values, never increments);
 * - event types it does not know are skipped, so new kernel events never break it;
 * - EQUITY events become equity points and set the account row's equity and drawdowns (the
 *   kernel's valuation); the one right after ACCOUNT_OPENED, ACCOUNT_RESET or ACCOUNT_IMPORTED is the
 *   account's opening equity (an import's: its balances and open positions at the market), kept
 *   as its row's `initialBalance` (a point a fill in the same millisecond replaces); with no EQUITY
 *   right after (something it holds had no price yet), its next EQUITY, the kernel's first valuation
 *   of it, is (the row keeps 0 until then, and after a restart in between: readers then measure
 *   from the account's first equity point, the same figure); a reset writes what it was reset with and when (`settings.openedAt`) on the row; ORDER_TRIGGERED
 *   moves a conditional order's status;
 * - a futures fill's row carries its position effect (OPEN, PARTIAL_CLOSE, CLOSE), its position and,
 *   when it closed something, the PnL it realized (the kernel's figure); an opening fill has none;
 *   a spot fill's row carries the PnL it realized at average price over the fills of the account's
 *   current life (core/accounts/realized-pnl-view.ts, persistence/account-life.ts; null when it closed nothing);
 * - POSITION_* events keep one positions row per position (OPEN, then CLOSED or LIQUIDATED) with
 *   the kernel's realized PnL and fees of it, FUNDING its funding total (and a funding_payments row
 *   per payment, keyed by the event's seq and index), LIQUIDATION the size it
 *   closed, its bankruptcy price and the event's seq and index; a position a flip opened keeps its part
 *   of the flip's fee (`openingFee`, `flipOpeningFee`); ACCOUNT_CLOSED marks the account row CLOSED (an account opened or imported
 *   again under its id makes the row, and its balances, the new account's, and writes where its own
 *   orders and positions start, as a reset does: persistence/account-life.ts); ACCOUNT_CLOSED and ACCOUNT_RESET
 *   close the rows of the positions the kernel dropped with the account; an imported account gets its row
 *   and its orders (with what the kernel gives in `imported`), the fills it brought as one row per
 *   order (`import:<orderId>`, reason IMPORTED).
 * - an order's row keeps what readers need once the kernel has dropped it (closed): its list
 *   (ocoGroup), trigger and when it triggered, when it started working (an order event's `workingTime`), trailing terms and armed stop, reduce-only flag and bracket exits, from
 *   ORDER_NEW, ORDER_TRIGGERED and a trailing stop's ORDER_CANCELED/ORDER_EXPIRED; LEVERAGE_SET moves
 *   the leverage of the account's open orders on the symbol, as the kernel does;
 * - amounts are written as the events' decimal strings, untouched;
 * - on PostgreSQL a batch's writes go to the server together, a few round trips per batch instead
 *   of one per statement (`ProjectionWrites`): the same statements, in the same order.
 * Not modelled: balances are not derived from fills here; the kernel is their authority and its
 * `{ asset: { free, locked } }` view is upserted as given.
 */
import { CompiledQuery, type Compilable, type Insertable, type Kysely, type Transaction } from 'kysely';
import pg from 'pg';
import type { ExitLegView, FillEvent, KernelEvent, OrderNewEvent, PositionEvent } from '../core/kernel/events.js';
import type { TriggerSource } from '../core/orders/order.js';
import { div, divRound, formatFixed, parseFixed, type Fixed } from '../core/money/fixed.js';
import { realizedPnlTracker, type FillForPnl } from '../core/accounts/realized-pnl-view.js';
import { extend } from '../core/objects.js';
import { inLifeWhere, lifeBoundary, lifeOfSettings } from './account-life.js';
import { directWrites, projectionTransaction, type DirectStatements } from './database.js';
import type { Database, OrderTable, TradeTable } from './schema.js';

export type BalanceView = Readonly<Record<string, { readonly free: string; readonly locked: string }>>;

/** The events one journaled input produced, and optionally the balances of the accounts it touched. */
export interface InputEvents {
  readonly seq: number;
  readonly events: readonly KernelEvent[];
  /** When the input was handled (Unix ms); stamps balance rows. Defaults to the last event's time. */
  readonly at?: number;
  /** Account id → balances after this input. */
  readonly balances?: Readonly<Record<string, BalanceView>>;
  /** Account id → what an ACCOUNT_IMPORTED in this input brought in (its type and orders, from the kernel). */
  readonly imported?: Readonly<Record<string, ImportedAccount>>;
}

/** An imported order as the kernel holds it after the import, in the events' decimal strings. */
export interface ImportedOrder {
  readonly orderId: string;
  readonly clientOrderId: string;
  readonly symbol: string;
  readonly side: 'BUY' | 'SELL';
  readonly orderType: string;
  readonly price: string | null;
  readonly quantity: string;
  readonly quoteOrderQty: string | null;
  readonly status: string;
  readonly executedQty: string;
  readonly cumulativeQuoteQty: string;
  readonly createdAt: number;
  readonly updatedAt: number;
  /** Its terms beyond price and quantity, as ORDER_NEW states them (absent: none). */
  readonly ocoGroup?: string;
  readonly stopPrice?: string;
  readonly activationPrice?: string;
  readonly callbackRate?: string;
  readonly maxSlippage?: string;
  readonly triggerSource?: TriggerSource;
  readonly reduceOnly?: boolean;
  /** Futures: the leverage it opens at (absent: 1). */
  readonly leverage?: number;
  readonly takeProfit?: ExitLegView;
  readonly stopLoss?: ExitLegView;
  /** When it started working on this engine, where that is not its creation (the import's time, its trigger's). */
  readonly workingTime?: number;
}

/** An open position an import brought in. */
export interface ImportedPosition {
  readonly positionId: string;
  readonly symbol: string;
  readonly direction: 'LONG' | 'SHORT';
  readonly totalSize: string;
  readonly entryPrice: string;
  readonly leverage: number;
  readonly marginUsed: string;
  readonly totalFundingPaid: string;
  readonly openedAt: number;
  /** What it realized, and the fees it paid, before the export (absent: not known). */
  readonly realizedPnl?: string;
  readonly feesPaid?: string;
}

export interface ImportedAccount {
  readonly type: 'spot' | 'futures';
  readonly orders: readonly ImportedOrder[];
  readonly positions: readonly ImportedPosition[];
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
  /** A symbol's base asset: a spot buy whose fee is paid in it adds the quantity net of the fee. */
  readonly baseAssetOf?: (symbol: string) => string | undefined;
}

type Tx = Transaction<Database> | Kysely<Database>;

export class ReadModel {
  private readonly name: string;
  private readonly valuationAsset: string;
  private readonly baseAssetOf: (symbol: string) => string | undefined;
  /** Per spot account, its holdings at average price as of the last committed fill (rebuilt from the rows when missing). */
  private readonly spotPnl = new Map<string, (fill: FillForPnl) => Fixed | null>();
  /**
   * Accounts the kernel did not value as they opened (`valuedAtOpening`): their next EQUITY is their
   * opening equity. Lost on a restart or a failed batch, the row keeps 0 and readers measure from
   * the first equity point, which is the same figure.
   */
  private readonly unvalued = new Set<string>();
  /** The SQL texts of the statements every batch runs, compiled once by the query builder. */
  private readonly texts = new SqlTexts();
  /** On SQLite: a batch of new orders only, in a transaction without the query builder (`directWrites`). */
  private readonly direct: (<T>(work: (sql: DirectStatements) => T) => Promise<T>) | undefined;

  constructor(
    private readonly db: Kysely<Database>,
    options: ReadModelOptions = {},
  ) {
    this.direct = directWrites(db)?.(false);
    this.name = options.name ?? 'main';
    this.valuationAsset = options.valuationAsset ?? 'USDT';
    this.baseAssetOf = options.baseAssetOf ?? (() => undefined);
  }

  /** The seq of the last input applied, 0 when none was. */
  checkpoint(): Promise<number> {
    return this.readCheckpoint(this.db);
  }

  private async readCheckpoint(db: Tx): Promise<number> {
    const row = (await db.executeQuery<{ seq: number | string | bigint }>(CompiledQuery.raw(this.checkpointReadText(), [this.name]))).rows[0];
    return row === undefined ? 0 : Number(row.seq);
  }

  private checkpointReadText(): string {
    return this.texts.get('checkpoint.read', () => this.db.selectFrom('read_model_checkpoint').select('seq').where('name', '=', '').compile().sql);
  }

  private checkpointWriteText(): string {
    return this.texts.get('checkpoint.write', () =>
      this.db.insertInto('read_model_checkpoint').values({ name: '', seq: 0 }).onConflict((oc) => oc.column('name').doUpdateSet((eb) => ({ seq: eb.ref('excluded.seq') }))).compile().sql,
    );
  }

  /** The order row's update at a fill. */
  private fillUpdateText(): string {
    return this.texts.get('orders.fill', () =>
      this.db.updateTable('orders').set({ status: '', executedQty: '', cumulativeQuoteQty: '', updatedAt: 0 }).where('id', '=', '').compile().sql,
    );
  }

  /** Applies inputs' events in one transaction; inputs at or below the checkpoint are skipped. */
  async apply(batch: readonly InputEvents[]): Promise<ApplyOutcome> {
    for (let i = 1; i < batch.length; i++) {
      if (batch[i]!.seq <= batch[i - 1]!.seq) throw new Error(`read model batch out of order: seq ${batch[i]!.seq} after ${batch[i - 1]!.seq}`);
    }
    try {
      return await this.applyBatch(batch);
    } catch (error) {
      // The spot trackers may have seen fills that were rolled back: rebuilt from the rows next time.
      this.spotPnl.clear();
      this.unvalued.clear();
      throw error;
    }
  }

  private applyBatch(batch: readonly InputEvents[]): Promise<ApplyOutcome> {
    // The batch of a run of placed orders (the requests' common case): the same rows, written
    // directly on SQLite's driver. Any other event takes the query builder's path below.
    if (this.direct !== undefined && batch.every((input) => input.events.every((e) => e.type === 'ORDER_NEW'))) return this.direct((sql) => this.applyNewOrders(sql, batch));
    // No fsync of its own: the journal (durable) can rebuild whatever a power loss takes back, and
    // the checkpoint commits with the rows, so a lost batch is re-projected at the next start.
    return projectionTransaction(this.db, async (tx) => {
      const w = new ProjectionWrites(tx, this.texts, this.direct === undefined);
      const before = await this.readCheckpoint(tx);
      const fresh = batch.filter((b) => b.seq > before);
      // Balances are absolute values: only the last value of each account's asset in the batch is written.
      const lastBalances = new Map<string, Map<string, BalanceRow>>();
      const newOrders = new OrderRows(w, this.texts);
      for (const input of fresh) {
        const events = input.events;
        for (let index = 0; index < events.length; index++) {
          const event = events[index]!;
          if (event.type === 'ORDER_NEW') {
            await newOrders.add(event);
            continue;
          }
          // Every other event may touch an order row: the new ones go in first.
          await newOrders.flush();
          await this.applyEvent(w, input, index, event);
        }
        collectBalances(lastBalances, input);
      }
      await newOrders.flush();
      await upsertBalanceRows(w, this.texts, sortedBalanceRows(lastBalances));
      const last = fresh.at(-1)?.seq;
      if (last !== undefined) await w.write(CompiledQuery.raw(this.checkpointWriteText(), [this.name, last]));
      await w.flush();
      return { applied: fresh.length, skipped: batch.length - fresh.length, checkpoint: last ?? before };
    });
  }

  /** `applyBatch` for a batch whose events are all ORDER_NEW, its statements run at once (`directWrites`): the same statements and rows. */
  private applyNewOrders(sql: DirectStatements, batch: readonly InputEvents[]): ApplyOutcome {
    const row = sql.all<{ seq: number | string | bigint }>(this.checkpointReadText(), [this.name])[0];
    const before = row === undefined ? 0 : Number(row.seq);
    const fresh = batch.filter((b) => b.seq > before);
    const lastBalances = new Map<string, Map<string, BalanceRow>>();
    let values: unknown[] = [];
    const flushOrders = () => {
      if (values.length === 0) return;
      sql.run(rowsInsertText(this.db, this.texts, 'orders', ORDER_COLUMNS, values.length / ORDER_COLUMNS.length), values);
      values = [];
    };
    for (const input of fresh) {
      for (const event of input.events) {
        if (event.type !== 'ORDER_NEW') throw new Error(`not a new order: ${event.type}`);
        pushOrderValues(values, event);
        if (values.length >= ORDERS_PER_INSERT * ORDER_COLUMNS.length) flushOrders();
      }
      collectBalances(lastBalances, input);
    }
    flushOrders();
    const rows = sortedBalanceRows(lastBalances);
    for (let i = 0; i < rows.length; i += BALANCES_PER_UPSERT) {
      const chunk = rows.slice(i, i + BALANCES_PER_UPSERT);
      sql.run(balancesUpsertText(this.db, this.texts, chunk.length), balanceValues(chunk));
    }
    const last = fresh.at(-1)?.seq;
    if (last !== undefined) sql.run(this.checkpointWriteText(), [this.name, last]);
    return { applied: fresh.length, skipped: batch.length - fresh.length, checkpoint: last ?? before };
  }

  /** Writes an account's balances as given (insert or replace per asset). */
  async upsertBalances(accountId: string, balances: BalanceView, at: number): Promise<void> {
    await this.db.transaction().execute((tx) => this.writeBalances(new ProjectionWrites(tx, this.texts, false), accountId, balances, at));
  }

  /** Records an account's equity at a time; recording the same point again replaces it. */
  async recordEquity(accountId: string, at: number, equity: string): Promise<void> {
    await this.db
      .insertInto('equity_points')
      .values({ accountId, at, equity })
      .onConflict((oc) => oc.columns(['accountId', 'at']).doUpdateSet({ equity }))
      .execute();
  }

  private async writeBalances(w: ProjectionWrites, accountId: string, balances: BalanceView, at: number): Promise<void> {
    for (const asset of Object.keys(balances).sort()) await upsertBalance(w, accountId, asset, balances[asset]!.free, balances[asset]!.locked, at);
  }

  private async applyEvent(w: ProjectionWrites, input: InputEvents, index: number, event: KernelEvent): Promise<void> {
    const seq = input.seq;
    switch (event.type) {
      case 'ACCOUNT_IMPORTED': {
        const imported = input.imported?.[event.account];
        await this.insertAccount(w, event.account, imported?.type ?? 'spot', event.balances ?? {}, event.at, this.valuedAtOpening(input, index, event.account));
        for (const order of imported?.orders ?? []) await this.insertImportedOrder(w, event.account, order);
        for (const p of imported?.positions ?? []) {
          await w.write(w.tx
            .insertInto('positions')
            .values({
              id: p.positionId, accountId: event.account, symbol: p.symbol, direction: p.direction, totalSize: p.totalSize, entryPrice: p.entryPrice,
              currentPrice: p.entryPrice, unrealizedPnl: '0', stopLoss: null, takeProfit: null, leverage: p.leverage, marginUsed: p.marginUsed,
              liquidationPrice: null, status: 'OPEN', trailingStop: null, totalFundingPaid: p.totalFundingPaid, openedAt: p.openedAt, closedAt: null,
              realizedPnl: p.realizedPnl ?? null, feesPaid: p.feesPaid ?? null,
            })
            .onConflict((oc) => oc.column('id').doNothing()));
        }
        return;
      }
      case 'ACCOUNT_CLOSED':
        this.spotPnl.delete(event.account);
        this.unvalued.delete(event.account);
        w.forgetPositions();
        await w.write(w.tx.updateTable('accounts').set({ status: 'CLOSED', updatedAt: event.at }).where('id', '=', event.account));
        // The kernel drops a closed account with whatever it held: its positions end with it.
        await w.write(w.tx.updateTable('positions').set({ status: 'CLOSED', closedAt: event.at }).where('accountId', '=', event.account).where('status', '=', 'OPEN'));
        return;
      case 'POSITION_OPENED':
      case 'POSITION_UPDATED':
      case 'POSITION_CLOSED':
        await this.writePosition(w, event, event.type === 'POSITION_OPENED' ? flipOpeningFee(input.events, index, event) : null);
        return;
      case 'LIQUIDATION':
        await w.write(w.tx.updateTable('positions').set({ status: 'LIQUIDATED', closedAt: event.at, liquidatedSize: event.size, bankruptcyPrice: event.bankruptcyPrice, liquidationSeq: seq, liquidationIndex: index }).where('id', '=', event.positionId));
        // Only a row this transaction knows: with no row the update changed nothing, and the status is read back when asked.
        w.noteUpdatedPosition(event.positionId, 'LIQUIDATED');
        return;
      case 'FUNDING':
        await w.write(w.tx.updateTable('positions').set({ totalFundingPaid: event.totalFundingPaid }).where('id', '=', event.positionId));
        await w.write(w.tx
          .insertInto('funding_payments')
          .values({ seq, eventIndex: index, accountId: event.account, symbol: event.symbol, positionId: event.positionId, rate: event.rate, markPrice: event.markPrice, amount: event.amount, at: event.at })
          .onConflict((oc) => oc.columns(['seq', 'eventIndex']).doNothing()));
        return;
      case 'ACCOUNT_OPENED':
        await this.insertAccount(w, event.account, event.accountType ?? 'spot', event.balances, event.at, this.valuedAtOpening(input, index, event.account));
        return;
      case 'ACCOUNT_RESET':
        // The account starts again: what it was reset with and when (its metrics count from then).
        await w.write(w.tx
          .updateTable('accounts')
          .set({
            settings: JSON.stringify({ valuationAsset: this.valuationAsset, initialBalances: event.balances ?? {}, openedAt: event.at, life: await lifeBoundary(w, event.account) }),
            ...(this.valuedAtOpening(input, index, event.account) ? {} : { initialBalance: '0' }),
            updatedAt: event.at,
          })
          .where('id', '=', event.account));
        // The kernel forgets the positions the account held (no POSITION_CLOSED): they end with the reset.
        w.forgetPositions();
        // The account's spot PnL starts again from its own fills (rebuilt from the rows of its life).
        this.spotPnl.delete(event.account);
        await w.write(w.tx.updateTable('positions').set({ status: 'CLOSED', closedAt: event.at }).where('accountId', '=', event.account).where('status', '=', 'OPEN'));
        return;
      case 'ORDER_NEW': {
        const rows = new OrderRows(w, this.texts);
        await rows.add(event);
        await rows.flush();
        return;
      }
      case 'FILL': {
        const effect = positionEffect(event, input.events.slice(index + 1));
        // Futures: the kernel's figure, on a fill that closed something. Spot: at average price.
        const pnl = event.realizedPnl === undefined ? await this.spotRealized(w, event) : effect !== undefined && effect.side !== 'OPEN' ? event.realizedPnl : null;
        await w.addTrade([
          event.tradeId, event.account, event.orderId, effect?.positionId ?? null, event.symbol, effect?.side ?? null, event.side, event.quantity,
          event.price, event.quoteQuantity, pnl, event.fee, event.feeAsset, event.liquidity, null, event.at,
        ]);
        await w.write(CompiledQuery.raw(this.fillUpdateText(), [event.status, event.executedQty, event.cumulativeQuoteQty, event.at, event.orderId]));
        await this.writeWorkingTime(w, event);
        return;
      }
      case 'ORDER_CANCELED':
      case 'ORDER_EXPIRED':
        await w.write(w.tx
          .updateTable('orders')
          .set({ status: event.status, executedQty: event.executedQty, reason: event.reason, updatedAt: event.at, ...(event.stopPrice !== undefined ? { stopPrice: event.stopPrice } : {}) })
          .where('id', '=', event.orderId));
        await this.writeWorkingTime(w, event);
        return;
      case 'LEVERAGE_SET':
        // The account's open orders on the symbol move to the new leverage with it (core/accounts/leverage-change.ts).
        await w.write(
          w.tx
            .updateTable('orders')
            .set({ leverage: event.leverage })
            .where('accountId', '=', event.account)
            .where('symbol', '=', event.symbol)
            .where('status', 'in', ['NEW', 'PARTIALLY_FILLED']),
        );
        return;
      case 'ORDER_TRIGGERED':
        await w.write(w.tx.updateTable('orders').set({ status: event.status, stopPrice: event.stopPrice, triggeredAt: event.at, updatedAt: event.at }).where('id', '=', event.orderId));
        await this.writeWorkingTime(w, event);
        return;
      case 'EQUITY':
        // The kernel values an account as it opens, resets or is imported right after that event, or,
        // when something it holds had no price then, at its first price: this is the equity the
        // metrics measure from, kept on the row since a fill in the same millisecond replaces the point.
        if (this.unvalued.delete(event.account) || isOpening(input.events[index - 1], event.account)) {
          await w.write(w.tx.updateTable('accounts').set({ initialBalance: event.equity }).where('id', '=', event.account));
        }
        await w.write(w.tx
          .insertInto('equity_points')
          .values({ accountId: event.account, at: event.at, equity: event.equity })
          .onConflict((oc) => oc.columns(['accountId', 'at']).doUpdateSet({ equity: event.equity })));
        await w.write(w.tx
          .updateTable('accounts')
          .set({ equity: event.equity, currentDrawdown: event.currentDrawdown, maxDrawdown: event.maxDrawdown, updatedAt: event.at })
          .where('id', '=', event.account));
        return;
      case 'ORDER_REJECTED':
        await w.write(w.tx
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
          .onConflict((oc) => oc.column('id').doNothing()));
        return;
      case 'INPUT_REJECTED':
        await w.write(w.tx
          .insertInto('quarantined_inputs')
          .values({ seq, at: event.at, kind: event.kind, code: event.code, reason: event.message, accountId: event.account ?? null })
          .onConflict((oc) => oc.column('seq').doNothing()));
        return;
      default:
        // Book status, cancel/account rejections and event types added later: not part of these tables.
        return;
    }
  }

  /** A spot fill's realized PnL at average price (accounts/realized-pnl-view.ts), null when it closed nothing. */
  private async spotRealized(w: ProjectionWrites, fill: FillEvent): Promise<string | null> {
    let tracker = this.spotPnl.get(fill.account);
    if (tracker === undefined) {
      tracker = realizedPnlTracker('spot');
      // Only the current account's fills: an earlier one's under the same id held other coins (account-life.ts).
      const [account] = await w.rows(w.tx.selectFrom('accounts').select('settings').where('id', '=', fill.account));
      const life = account === undefined ? undefined : lifeOfSettings(account.settings);
      const rows = await w.rows(w.tx.selectFrom('trades').select(['id', 'symbol', 'orderSide', 'size', 'price', 'fee', 'feeAsset', 'timestamp']).where('accountId', '=', fill.account).where(inLifeWhere(life, 'orderId')));
      rows.sort((a, b) => Number(a.timestamp) - Number(b.timestamp) || Number(a.id) - Number(b.id) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      for (const r of rows) tracker({ symbol: r.symbol, side: r.orderSide, quantity: parseFixed(r.size), price: parseFixed(r.price), fee: parseFixed(r.fee), feeInBase: r.feeAsset === this.baseAssetOf(r.symbol) });
      this.spotPnl.set(fill.account, tracker);
    }
    const realized = tracker({ symbol: fill.symbol, side: fill.side, quantity: parseFixed(fill.quantity), price: parseFixed(fill.price), fee: parseFixed(fill.fee), feeInBase: fill.feeAsset === this.baseAssetOf(fill.symbol) });
    return realized === null ? null : formatFixed(realized);
  }

  /**
   * Whether the kernel valued `account` as it opened, reset or was imported (event `index` of the
   * input): the next event is its EQUITY. It does not while something the account holds has no
   * price (core/kernel/account-health.ts): its first EQUITY, with the first price, is then its
   * opening equity, and until then the row keeps 0.
   */
  private valuedAtOpening(input: InputEvents, index: number, account: string): boolean {
    const next = input.events[index + 1];
    const valued = next !== undefined && next.type === 'EQUITY' && next.account === account;
    if (valued) this.unvalued.delete(account);
    else this.unvalued.add(account);
    return valued;
  }

  /** `valued`: whether the kernel valued the account as it opened (an EQUITY event follows); if not, its opening equity is 0 until then. */
  private async insertAccount(w: ProjectionWrites, id: string, type: 'spot' | 'futures', balances: Readonly<Record<string, string>>, at: number, valued: boolean): Promise<void> {
    const opening = balances[this.valuationAsset] ?? '0';
    // Over a closed account's row: where this account's own rows start (persistence/account-life.ts).
    const previous = await w.rows(w.tx.selectFrom('accounts').select('status').where('id', '=', id));
    const life = previous[0]?.status === 'CLOSED' ? { life: await lifeBoundary(w, id) } : {};
    const fresh = {
      type,
      initialBalance: valued ? opening : '0',
      balance: opening,
      equity: opening,
      availableMargin: opening,
      marginUsed: '0',
      currentDrawdown: '0',
      maxDrawdown: '0',
      status: 'ACTIVE',
      settings: JSON.stringify(extend({ valuationAsset: this.valuationAsset, initialBalances: balances }, life)),
      createdAt: at,
      updatedAt: at,
    };
    // An account opened again under a closed account's id: the closed account's balances go, and its
    // row becomes the new account's (its name, owner and key stay). An active row is this account's
    // own, written before (a replay): left as it is.
    await w.write(w.tx
      .deleteFrom('balances')
      .where('accountId', '=', id)
      .where((eb) => eb.exists(eb.selectFrom('accounts').select('id').where('id', '=', id).where('status', '=', 'CLOSED'))));
    await w.write(w.tx
      .insertInto('accounts')
      .values(extend({ id, userId: null, name: id, apiKey: null, apiSecretHash: null }, fresh))
      .onConflict((oc) => oc.column('id').doUpdateSet(fresh).where('accounts.status', '=', 'CLOSED')));
    for (const asset of Object.keys(balances).sort()) {
      await w.write(w.tx
        .insertInto('balances')
        .values({ accountId: id, asset, free: balances[asset]!, locked: '0', updatedAt: at })
        .onConflict((oc) => oc.columns(['accountId', 'asset']).doNothing()));
    }
  }

  /** An order event's `workingTime` on the order's row, when it states one (an order that waited, or was imported). */
  private async writeWorkingTime(w: ProjectionWrites, event: { readonly orderId: string; readonly workingTime?: number }): Promise<void> {
    if (event.workingTime !== undefined) await w.write(w.tx.updateTable('orders').set({ workingTime: event.workingTime }).where('id', '=', event.orderId));
  }

  /** An imported order's row, and the fills it brought (executed before the import) as one trade row. */
  private async insertImportedOrder(w: ProjectionWrites, accountId: string, o: ImportedOrder): Promise<void> {
    await w.write(w.tx
      .insertInto('orders')
      .values({
        id: o.orderId, accountId, clientOrderId: o.clientOrderId, symbol: o.symbol, side: o.side, type: o.orderType, price: o.price,
        quantity: o.quantity, quoteOrderQty: o.quoteOrderQty, status: o.status, executedQty: o.executedQty, cumulativeQuoteQty: o.cumulativeQuoteQty,
        reason: null, createdAt: o.createdAt, updatedAt: o.updatedAt, ...orderTerms(o), workingTime: o.workingTime ?? null,
      })
      .onConflict((oc) => oc.column('id').doNothing()));
    if (parseFixed(o.executedQty) === 0n) return;
    const average = formatFixed(div(parseFixed(o.cumulativeQuoteQty), parseFixed(o.executedQty), 'half-up'));
    await w.write(w.tx
      .insertInto('trades')
      .values({
        id: `import:${o.orderId}`, accountId, orderId: o.orderId, positionId: null, symbol: o.symbol, side: null, orderSide: o.side,
        size: o.executedQty, price: average, quoteQty: o.cumulativeQuoteQty, pnl: null, fee: '0', feeAsset: '', liquidity: 'TAKER',
        reason: 'IMPORTED', timestamp: o.updatedAt,
      })
      .onConflict((oc) => oc.column('id').doNothing()));
  }

  /** One row per position: its latest state; a close keeps the direction and entry it had while open. */
  private async writePosition(w: ProjectionWrites, event: PositionEvent, openingFee: string | null = null): Promise<void> {
    const closed = event.type === 'POSITION_CLOSED';
    const common = {
      totalSize: event.totalSize,
      currentPrice: event.currentPrice ?? event.entryPrice,
      unrealizedPnl: event.unrealizedPnl ?? '0',
      leverage: event.leverage,
      marginUsed: event.marginUsed,
      liquidationPrice: event.liquidationPrice ?? null,
      totalFundingPaid: event.totalFundingPaid,
      realizedPnl: event.realizedPnl,
      feesPaid: event.feesPaid,
    };
    const row = await w.positionStatus(event.positionId);
    if (row === undefined) {
      await w.write(w.tx
        .insertInto('positions')
        .values({
          id: event.positionId, accountId: event.account, symbol: event.symbol, direction: event.direction === 'SHORT' ? 'SHORT' : 'LONG',
          entryPrice: event.entryPrice, stopLoss: null, takeProfit: null, trailingStop: null, status: closed ? 'CLOSED' : 'OPEN',
          openedAt: event.openedAt, closedAt: closed ? event.at : null, openingFee, ...common,
        }));
      w.notePosition(event.positionId, closed ? 'CLOSED' : 'OPEN');
      return;
    }
    if (row.status === 'LIQUIDATED') {
      await w.write(w.tx.updateTable('positions').set({ ...common, unrealizedPnl: '0' }).where('id', '=', event.positionId));
      return;
    }
    await w.write(w.tx
      .updateTable('positions')
      .set(closed ? extend(common, { unrealizedPnl: '0', status: 'CLOSED', closedAt: event.at }) : extend(common, { entryPrice: event.entryPrice, direction: event.direction === 'SHORT' ? 'SHORT' : 'LONG' }))
      .where('id', '=', event.positionId));
    w.notePosition(event.positionId, closed ? 'CLOSED' : row.status);
  }
}

async function upsertBalance(w: ProjectionWrites, accountId: string, asset: string, free: string, locked: string, at: number): Promise<void> {
  await w.write(w.tx
    .insertInto('balances')
    .values({ accountId, asset, free, locked, updatedAt: at })
    .onConflict((oc) => oc.columns(['accountId', 'asset']).doUpdateSet({ free, locked, updatedAt: at })));
}

interface BalanceRow {
  readonly accountId: string;
  readonly asset: string;
  /** Read when the row is written: a balance whose texts are written on first read (the engine's) formats only the batch's last. */
  readonly balance: { readonly free: string; readonly locked: string };
  readonly at: number;
}

/** The batch's last balance of each account's asset, by account id, then asset (a fixed order, as row locks are taken). */
function sortedBalanceRows(byAccount: ReadonlyMap<string, ReadonlyMap<string, BalanceRow>>): BalanceRow[] {
  const rows: BalanceRow[] = [];
  for (const accountId of [...byAccount.keys()].sort()) {
    const assets = byAccount.get(accountId)!;
    for (const asset of [...assets.keys()].sort()) rows.push(assets.get(asset)!);
  }
  return rows;
}

/** Balance rows per upsert (5 values each). */
const BALANCES_PER_UPSERT = 500;

/** Keeps an input's balances as the batch's latest for each account's asset. */
function collectBalances(lastBalances: Map<string, Map<string, BalanceRow>>, input: InputEvents): void {
  if (input.balances === undefined) return;
  const at = input.at ?? lastEventTime(input.events) ?? 0;
  for (const accountId in input.balances) {
    const balances = input.balances[accountId]!;
    let assets = lastBalances.get(accountId);
    if (assets === undefined) lastBalances.set(accountId, (assets = new Map()));
    for (const asset in balances) assets.set(asset, { accountId, asset, balance: balances[asset]!, at });
  }
}

/** The upsert of `rows` balance rows, as SQL text (compiled once per row count). */
function balancesUpsertText(db: Tx, texts: SqlTexts, rows: number): string {
  return texts.get(`balances.upsert.${rows}`, () =>
    db
      .insertInto('balances')
      .values(Array.from({ length: rows }, () => ({ accountId: '', asset: '', free: '', locked: '', updatedAt: 0 })))
      .onConflict((oc) =>
        oc.columns(['accountId', 'asset']).doUpdateSet((eb) => ({ free: eb.ref('excluded.free'), locked: eb.ref('excluded.locked'), updatedAt: eb.ref('excluded.updatedAt') })),
      )
      .compile().sql,
  );
}

function balanceValues(rows: readonly BalanceRow[]): unknown[] {
  const parameters: unknown[] = [];
  for (const r of rows) parameters.push(r.accountId, r.asset, r.balance.free, r.balance.locked, r.at);
  return parameters;
}

/** Writes balance rows (insert or replace), one statement per 500, its SQL text compiled once per row count. */
async function upsertBalanceRows(w: ProjectionWrites, texts: SqlTexts, rows: readonly BalanceRow[]): Promise<void> {
  for (let i = 0; i < rows.length; i += BALANCES_PER_UPSERT) {
    const chunk = rows.slice(i, i + BALANCES_PER_UPSERT);
    await w.write(CompiledQuery.raw(balancesUpsertText(w.tx, texts, chunk.length), balanceValues(chunk)));
  }
}

/**
 * SQL texts built once by the query builder and kept by name (a batch INSERT's text by its row
 * count): the statements every batch runs then cost their execution, not the builder's work.
 */
class SqlTexts {
  private readonly texts = new Map<string, string>();

  get(name: string, build: () => string): string {
    let text = this.texts.get(name);
    if (text === undefined) {
      text = build();
      if (this.texts.size >= 256) this.texts.clear();
      this.texts.set(name, text);
    }
    return text;
  }
}

/** Rows per INSERT of new orders (26 values each, under SQLite's 32,766 bound values). */
const ORDERS_PER_INSERT = 500;

/** The columns of a new order's row, in the order the INSERT's text binds them. */
const ORDER_COLUMNS = [
  'id', 'accountId', 'clientOrderId', 'symbol', 'side', 'type', 'price', 'quantity', 'quoteOrderQty', 'status', 'executedQty', 'cumulativeQuoteQty',
  'reason', 'createdAt', 'updatedAt', 'ocoGroup', 'stopPrice', 'activationPrice', 'callbackRate', 'reduceOnly', 'leverage', 'takeProfit', 'stopLoss', 'triggeredAt', 'maxSlippage', 'triggerSource',
] as const satisfies readonly (keyof OrderTable)[];

/** New orders' rows, written as one INSERT per run of consecutive ORDER_NEW events (up to 500). */
class OrderRows {
  /** The rows' values, ORDER_COLUMNS.length per row. */
  private values: unknown[] = [];

  constructor(
    private readonly w: ProjectionWrites,
    private readonly texts: SqlTexts,
  ) {}

  async add(event: OrderNewEvent): Promise<void> {
    pushOrderValues(this.values, event);
    if (this.values.length >= ORDERS_PER_INSERT * ORDER_COLUMNS.length) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.values.length === 0) return;
    const values = this.values;
    this.values = [];
    await this.w.write(CompiledQuery.raw(rowsInsertText(this.w.tx, this.texts, 'orders', ORDER_COLUMNS, values.length / ORDER_COLUMNS.length), values));
  }
}

/** A new order's row values, in ORDER_COLUMNS' order. */
function pushOrderValues(values: unknown[], event: OrderNewEvent): void {
  const terms = orderTerms(event);
  values.push(
    event.orderId, event.account, event.clientOrderId, event.symbol, event.side, event.orderType, event.price ?? null, event.quantity,
    event.quoteOrderQty ?? null, event.status, '0', '0', null, event.at, event.at, terms.ocoGroup, terms.stopPrice, terms.activationPrice,
    terms.callbackRate, terms.reduceOnly, terms.leverage, terms.takeProfit, terms.stopLoss, terms.triggeredAt, terms.maxSlippage, terms.triggerSource,
  );
}

/**
 * The INSERT of `rows` new rows of `table`, their values bound in the order of `columns`, a row whose
 * id is there already left as it is, as SQL text (compiled once per table and row count).
 */
function rowsInsertText<T extends 'orders' | 'trades'>(db: Tx, texts: SqlTexts, table: T, columns: readonly (keyof Database[T])[], rows: number): string {
  return texts.get(`${table}.insert.${rows}`, () => {
    const template = Object.fromEntries(columns.map((c) => [c, null])) as unknown as Insertable<Database[T]>;
    return (db as Kysely<Database>)
      .insertInto(table)
      .values(Array.from({ length: rows }, () => template) as never)
      .onConflict((oc) => oc.column('id').doNothing())
      .compile().sql;
  });
}

/** An order's terms beyond price and quantity, as its row keeps them (ORDER_NEW's fields). */
function orderTerms(o: Pick<OrderNewEvent, 'ocoGroup' | 'stopPrice' | 'activationPrice' | 'callbackRate' | 'maxSlippage' | 'triggerSource' | 'reduceOnly' | 'leverage' | 'takeProfit' | 'stopLoss'>) {
  const leg = (l: ExitLegView | undefined): string | null => (l === undefined ? null : JSON.stringify(l.price === undefined ? { stopPrice: l.stopPrice } : { stopPrice: l.stopPrice, price: l.price }));
  return {
    ocoGroup: o.ocoGroup ?? null,
    stopPrice: o.stopPrice ?? null,
    activationPrice: o.activationPrice ?? null,
    callbackRate: o.callbackRate ?? null,
    maxSlippage: o.maxSlippage ?? null,
    triggerSource: o.triggerSource ?? null,
    reduceOnly: o.reduceOnly === true ? 1 : 0,
    leverage: o.leverage ?? 1,
    takeProfit: leg(o.takeProfit),
    stopLoss: leg(o.stopLoss),
    triggeredAt: null,
  };
}

/**
 * The part of a flip's fee that belongs to the position it opened: the fill closed the account's
 * position on the symbol (POSITION_CLOSED) and opened this one (POSITION_OPENED at `index`) with
 * what was left, and the kernel booked its whole fee on the closed one
 * (core/accounts/futures-settlement.ts). Pro rata by quantity: fee × opened / fill quantity,
 * rounded half-up at the fixed-point scale. Null when the position was not opened by a flip.
 */
export function flipOpeningFee(events: readonly KernelEvent[], index: number, opened: PositionEvent): string | null {
  let closed = false;
  for (let i = index - 1; i >= 0; i--) {
    const e = events[i]!;
    if (e.type === 'POSITION_CLOSED' && e.account === opened.account && e.symbol === opened.symbol) closed = true;
    if (e.type !== 'FILL') continue;
    if (!closed || e.account !== opened.account || e.symbol !== opened.symbol) return null;
    const quantity = parseFixed(e.quantity);
    const size = parseFixed(opened.totalSize);
    return quantity === 0n ? null : formatFixed(divRound(parseFixed(e.fee) * (size < 0n ? -size : size), quantity, 'half-up'));
  }
  return null;
}

/**
 * A futures fill's effect on its position, from the position events that follow it in the same
 * input (the kernel emits them right after the fill): OPEN when it opened or added, CLOSE when it
 * closed the position (a flip included), PARTIAL_CLOSE when it reduced it. Undefined for spot.
 * The `trades` table's `side` and `positionId`; the MEXC contract stream tags the fills it keeps
 * with it too, so that its position pushes count the same closes as the REST positions.
 */
export function positionEffect(fill: FillEvent, after: readonly KernelEvent[]): { side: 'OPEN' | 'CLOSE' | 'PARTIAL_CLOSE'; positionId: string } | undefined {
  for (const e of after) {
    if (e.type === 'FILL') return undefined;
    if ((e.type === 'POSITION_OPENED' || e.type === 'POSITION_UPDATED' || e.type === 'POSITION_CLOSED') && e.account === fill.account && e.symbol === fill.symbol) {
      if (e.type === 'POSITION_CLOSED') return { side: 'CLOSE', positionId: e.positionId };
      if (e.type === 'POSITION_OPENED') return { side: 'OPEN', positionId: e.positionId };
      const adds = (e.direction === 'LONG') === (fill.side === 'BUY');
      return { side: adds ? 'OPEN' : 'PARTIAL_CLOSE', positionId: e.positionId };
    }
  }
  return undefined;
}

function lastEventTime(events: readonly KernelEvent[]): number | undefined {
  return events.at(-1)?.at;
}

/**
 * The statements of one projection transaction, in the order they are written. On SQLite each runs
 * when written (the driver is synchronous: nothing to gain by waiting). On PostgreSQL writes wait
 * and go to the server together, as one simple-protocol query of several statements (at most
 * `DEFERRED_WRITES` at a time): one round trip for a run of writes instead of one each. A read
 * (`rows`, `positionStatus`) sends the writes before it first; `flush` sends the rest, before the
 * commit. The statements and their order are those written; a failing statement fails the
 * transaction as it would alone (PostgreSQL runs a multi-statement query's statements in order and
 * stops at the first error).
 *
 * Parameters are inlined as quoted literals (`pg.escapeLiteral`): node-postgres sends every
 * parameter as text of unspecified type, and the server infers an untyped literal's type from its
 * context the same way, so each statement means what it meant with parameters. Values may be
 * strings, finite numbers, bigints, booleans and null (undefined: null, as node-postgres sends it);
 * anything else is refused before anything is sent.
 */
class ProjectionWrites {
  private queue: string[] = [];
  /** Trade rows not yet written, TRADE_COLUMNS.length values each (on PostgreSQL: one INSERT for them all). */
  private trades: unknown[] = [];
  /** Positions whose status this transaction wrote, by id (a status read then needs no round trip). */
  private readonly positions = new Map<string, string>();

  constructor(
    readonly tx: Tx,
    private readonly texts: SqlTexts,
    private readonly deferred: boolean,
  ) {}

  /** A trade row, its values in TRADE_COLUMNS' order; inserted unless a row has its id. */
  async addTrade(values: readonly unknown[]): Promise<void> {
    if (!this.deferred) await this.tx.executeQuery(CompiledQuery.raw(rowsInsertText(this.tx, this.texts, 'trades', TRADE_COLUMNS, 1), [...values]));
    else for (const v of values) this.trades.push(v);
  }

  async write(query: Compilable | CompiledQuery): Promise<void> {
    const compiled = 'compile' in query ? query.compile() : query;
    if (!this.deferred) {
      await this.tx.executeQuery(compiled);
      return;
    }
    // A statement of many rows is a round trip's worth of work alone, and binds faster than the server parses its literals.
    if (compiled.parameters.length > BOUND_PARAMETERS) {
      await this.flush();
      await this.tx.executeQuery(compiled);
      return;
    }
    this.queue.push(withLiterals(compiled));
    if (this.queue.length >= DEFERRED_WRITES) await this.flush();
  }

  async rows<R>(query: Compilable<R>): Promise<R[]> {
    await this.flush();
    return (await this.tx.executeQuery(query.compile())).rows;
  }

  /** A position row's status, undefined when there is no row (on PostgreSQL, a status this transaction wrote is not read back). */
  async positionStatus(id: string): Promise<{ status: string } | undefined> {
    const known = this.deferred ? this.positions.get(id) : undefined;
    if (known !== undefined) return { status: known };
    return (await this.rows(this.tx.selectFrom('positions').select(['status']).where('id', '=', id)))[0];
  }

  /** The status this transaction gave position `id`'s row. */
  notePosition(id: string, status: string): void {
    if (this.deferred) this.positions.set(id, status);
  }

  /** After an UPDATE of position `id`'s status, which changes a row only if there is one: noted when this transaction knows the row. */
  noteUpdatedPosition(id: string, status: string): void {
    if (this.deferred && this.positions.has(id)) this.positions.set(id, status);
  }

  /** After a write that may change positions' statuses beyond those noted (an account closed). */
  forgetPositions(): void {
    this.positions.clear();
  }

  async flush(): Promise<void> {
    let trades = this.trades;
    this.trades = [];
    // A few rows go with the other writes; many, alone with their parameters bound (as any large statement).
    if (trades.length > 0 && trades.length <= BOUND_PARAMETERS) {
      this.queue.push(withLiterals(CompiledQuery.raw(rowsInsertText(this.tx, this.texts, 'trades', TRADE_COLUMNS, trades.length / TRADE_COLUMNS.length), trades)));
      trades = [];
    }
    if (this.queue.length > 0) {
      const text = this.queue.join(';\n');
      this.queue = [];
      await this.tx.executeQuery(CompiledQuery.raw(text, []));
    }
    for (let i = 0; i < trades.length; i += TRADES_PER_INSERT * TRADE_COLUMNS.length) {
      const values = trades.slice(i, i + TRADES_PER_INSERT * TRADE_COLUMNS.length);
      await this.tx.executeQuery(CompiledQuery.raw(rowsInsertText(this.tx, this.texts, 'trades', TRADE_COLUMNS, values.length / TRADE_COLUMNS.length), values));
    }
  }
}

/** The columns of a trade row, in the order `addTrade` takes them. */
const TRADE_COLUMNS = [
  'id', 'accountId', 'orderId', 'positionId', 'symbol', 'side', 'orderSide', 'size', 'price', 'quoteQty', 'pnl', 'fee', 'feeAsset', 'liquidity', 'reason', 'timestamp',
] as const satisfies readonly (keyof TradeTable)[];

/** Trade rows per INSERT. */
const TRADES_PER_INSERT = 500;

/** A deferred write with more parameters than this is sent alone, its parameters bound. */
const BOUND_PARAMETERS = 64;

/** Writes sent together at most, on PostgreSQL. */
const DEFERRED_WRITES = 1_000;

/** A PostgreSQL statement with its `$n` parameters written in as quoted literals (see `ProjectionWrites`). */
export function withLiterals(query: CompiledQuery): string {
  const parameters = query.parameters;
  if (parameters.length === 0) return query.sql;
  return query.sql.replace(/\$(\d+)/g, (_, n: string) => {
    const index = Number(n) - 1;
    if (index >= parameters.length) throw new Error(`statement parameter $${n} has no value (${parameters.length} given)`);
    return literal(parameters[index]);
  });
}

function literal(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return pg.escapeLiteral(value);
    case 'number':
      if (!Number.isFinite(value)) throw new Error(`not a finite number: ${value}`);
      return `'${String(value)}'`;
    case 'bigint':
      return `'${value.toString()}'`;
    case 'boolean':
      return value ? "'true'" : "'false'";
    case 'undefined':
      return 'NULL';
    case 'object':
      if (value === null) return 'NULL';
      break;
  }
  throw new Error(`a statement parameter of type ${typeof value} cannot be written as a literal`);
}

/** Whether `previous` opened or reset `account`: the EQUITY event after it is the account's opening equity. */
function isOpening(previous: KernelEvent | undefined, account: string): boolean {
  return previous !== undefined && (previous.type === 'ACCOUNT_OPENED' || previous.type === 'ACCOUNT_RESET' || previous.type === 'ACCOUNT_IMPORTED') && previous.account === account;
}
