/**
 * Where an account's current life starts in the read tables. An account reset, or closed and then
 * opened or imported again under its id, keeps the id, and the read tables keep the earlier
 * account's orders, fills, positions and funding payments under it; histories that list the
 * account's own (the dialects' allOrders, myTrades/userTrades, USD-M income; the native order and
 * trade histories, fills, CSV exports and metrics; a spot fill's realized PnL) start where the
 * current account started.
 *
 * The boundary is exact, not a time (an earlier fill and the reset can share a millisecond): the
 * kernel numbers orders from one counter over every account, and an account's positions from its
 * own counter, which goes on over a reset or a reopening (core/kernel/account-commands.ts). So the
 * earlier account is its orders up to the highest id it had and its positions up to the highest
 * number; its fills are those of its orders, its funding payments those of its positions. The
 * projection writes the boundary on the account row (`settings.life`) at ACCOUNT_RESET and at an
 * ACCOUNT_OPENED or ACCOUNT_IMPORTED that takes over a closed account's row.
 * Not modelled: an account reset or reopened before the boundary was written has none (its earlier
 * rows stay listed).
 */
import { sql, type Compilable, type Kysely, type RawBuilder, type SqlBool } from 'kysely';
import type { Database } from './schema.js';

export interface AccountLife {
  /** The highest order id of the earlier account ('0': none): the current one's orders have higher ids. */
  readonly afterOrder: string;
  /** The highest position number of the earlier account (0: none). */
  readonly afterPosition: number;
}

/** A position id's number: ids are `<account>:<symbol>:<n>`. */
export function positionNumber(positionId: string): number {
  return Number(positionId.slice(positionId.lastIndexOf(':') + 1));
}

/** Compares two decimal counters written without leading zeros (the kernel's order and trade ids): shorter is lower. */
export function compareIds(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}

/** Whether order `orderId` belongs to the account's current life. */
export function inLife(life: AccountLife | undefined, orderId: string): boolean {
  return life === undefined || compareIds(orderId, life.afterOrder) > 0;
}

/**
 * `inLife` as a condition on a query of `orders` (`id`) or `trades` (`orderId`), for reads that
 * page or stream in SQL: the id, a decimal counter, is above the boundary as a number (longer, or
 * as long and later as text; compareIds). True when the account has had no earlier life.
 */
export function inLifeWhere(life: AccountLife | undefined, column: 'id' | 'orderId'): RawBuilder<SqlBool> {
  if (life === undefined) return sql<SqlBool>`1 = 1`;
  const id = sql.ref(column);
  const length = life.afterOrder.length;
  return sql<SqlBool>`(length(${id}) > ${length} or (length(${id}) = ${length} and ${id} > ${life.afterOrder}))`;
}

/** Whether position `positionId` belongs to the account's current life. */
export function positionInLife(life: AccountLife | undefined, positionId: string): boolean {
  return life === undefined || positionNumber(positionId) > life.afterPosition;
}

/** The boundary of the account's current life, read from its row; undefined when it has had no earlier life (or no row). */
export async function accountLife(db: Kysely<Database>, accountId: string): Promise<AccountLife | undefined> {
  const row = await db.selectFrom('accounts').select('settings').where('id', '=', accountId).executeTakeFirst();
  if (row === undefined) return undefined;
  return lifeOfSettings(row.settings);
}

export function lifeOfSettings(settings: string): AccountLife | undefined {
  const life = (JSON.parse(settings) as { life?: AccountLife }).life;
  return life === undefined ? undefined : { afterOrder: String(life.afterOrder), afterPosition: Number(life.afterPosition) };
}

/**
 * The boundary as the read tables stand when the account's life ends: its highest order id and
 * position number so far. `rows` runs a query after the writes before it (the projection's).
 */
export async function lifeBoundary(w: { readonly tx: Kysely<Database>; rows<R>(query: Compilable<R>): Promise<R[]> }, accountId: string): Promise<AccountLife> {
  const [order] = await w.rows(
    w.tx.selectFrom('orders').select('id').where('accountId', '=', accountId).orderBy(sql`length(id)`, 'desc').orderBy('id', 'desc').limit(1),
  );
  const positions = await w.rows(w.tx.selectFrom('positions').select('id').where('accountId', '=', accountId));
  return { afterOrder: order?.id ?? '0', afterPosition: positions.reduce((max, p) => Math.max(max, positionNumber(p.id)), 0) };
}
