/**
 * An independent ledger of what every account must hold, built only from the inputs a test sent and
 * the fills, funding and liquidations the kernel reported — with every fee recomputed here from the
 * instrument's published rules, never copied from the fill event.
 *
 * The fee rule (one per order, as the exchanges charge it):
 *   F_k = ceil_p( Σ_{j≤k} amount_j × rate_j ),   fee of fill k = F_k − F_{k−1}
 * where amount_j is the fill's base quantity when the fee is in the base asset (Binance spot buys
 * receive base) and the quote notional price × quantity otherwise (Binance sells, MEXC always,
 * futures); rate_j is the account's override or the instrument's maker/taker rate for the fill's
 * liquidity; the sum is exact; ceil_p rounds toward +∞ to the fee asset's commission precision p.
 *
 * Spot: per asset, free + locked = deposits ± each fill's quantity and notional − fees.
 * Futures: wallet (free + locked) = deposits + realized PnL − fees − funding, realized PnL from an
 * average-entry model of its own (entry rounded half-up at 18 digits, realized half-up); funding
 * |size| × mark × rate (half-up to the commission precision) — a payment the kernel capped at what
 * the position's margin and the cash held is taken from the event, never a larger one; a fill never
 * takes the wallet below zero (the insurance fund pays what is beyond, at most the fill's fee − realized
 * PnL), and a cover the kernel reports is taken when it lies within those bounds.
 */
import type { Instrument } from '../core/instruments/instrument.js';
import type { KernelEvent } from '../core/kernel/events.js';

const SCALE = 10n ** 18n;
/** Raw fee sums are kept at 10^54: amount (10^36 for a notional) × rate (10^18). */
const RAW_DIGITS = 54;

export interface FeeOverrides {
  readonly maker?: bigint;
  readonly taker?: bigint;
  readonly feeAsset?: 'received' | 'quote';
}

/** Strict decimal parser of the model's own (no exponent, no spaces, at most 18 decimals). */
export function parseDecimal(text: unknown): bigint | undefined {
  if (typeof text !== 'string') return undefined;
  const m = /^([+-]?)(\d+)(?:\.(\d{1,18}))?$/.exec(text);
  if (m === null) return undefined;
  const value = BigInt(m[2]! + (m[3] ?? '').padEnd(18, '0'));
  return m[1] === '-' ? -value : value;
}

/** `parseDecimal` for figures that must be decimals (an API's answer): throws naming the text otherwise. */
export function decimalOf(text: string | null | undefined): bigint {
  const v = parseDecimal(text ?? undefined);
  if (v === undefined) throw new Error(`not a decimal: ${String(text)}`);
  return v;
}

export function showDecimal(v: bigint): string {
  const neg = v < 0n;
  const a = neg ? -v : v;
  const frac = (a % SCALE).toString().padStart(18, '0').replace(/0+$/, '');
  return `${neg ? '-' : ''}${a / SCALE}${frac ? `.${frac}` : ''}`;
}

function divCeil(n: bigint, d: bigint): bigint {
  const q = n / d;
  return n % d !== 0n && n > 0n ? q + 1n : q;
}

/** n / d rounded half away from zero. */
export function divHalfUp(n: bigint, d: bigint): bigint {
  const neg = n < 0n !== d < 0n;
  const an = n < 0n ? -n : n;
  const ad = d < 0n ? -d : d;
  let q = an / ad;
  if (2n * (an % ad) >= ad) q += 1n;
  return neg ? -q : q;
}

/** A raw sum at 10^54 rounded toward +∞ to `p` decimals, as a 10^18-scaled amount. */
export function ceilToPrecision(raw: bigint, p: number): bigint {
  return divCeil(raw, 10n ** BigInt(RAW_DIGITS - p)) * 10n ** BigInt(18 - p);
}

interface OrderFees {
  raw: bigint;
  charged: bigint;
}

interface SpotBook {
  readonly kind: 'spot';
  readonly totals: Map<string, bigint>;
  deposits: Map<string, bigint>;
  fees: FeeOverrides;
}

interface FuturesPosition {
  size: bigint;
  entry: bigint;
}

interface FuturesBook {
  readonly kind: 'futures';
  wallet: bigint;
  deposits: bigint;
  fees: FeeOverrides;
  readonly positions: Map<string, FuturesPosition>;
}

type Book = SpotBook | FuturesBook;

export interface Discrepancy {
  readonly account: string;
  readonly asset: string;
  readonly expected: bigint;
  readonly actual: bigint;
}

export class LedgerModel {
  private readonly books = new Map<string, Book>();
  /** Per order id: the exact fee sum so far and what has been charged. */
  private readonly orderFees = new Map<string, OrderFees>();
  /** Fills whose event fee differs from the recomputed one (informative). */
  readonly feeDisagreements: { orderId: string; tradeId: string; expected: string; reported: string; asset: string }[] = [];
  /** Funding payments whose event amount is not the recomputed one (and not a capped payment). */
  readonly fundingDisagreements: { account: string; expected: string; reported: string }[] = [];
  /** Fills whose insurance cover is outside what the rule allows (see insuranceCover). */
  readonly coverDisagreements: { account: string; tradeId: string; least: string; most: string; reported: string }[] = [];

  constructor(
    private readonly instruments: ReadonlyMap<string, Instrument>,
    private readonly settleAsset = 'USDT',
  ) {}

  has(account: string): boolean {
    return this.books.has(account);
  }

  accounts(): string[] {
    return [...this.books.keys()];
  }

  openSpot(account: string, balances: Map<string, bigint>, fees: FeeOverrides): void {
    this.books.set(account, { kind: 'spot', totals: new Map(balances), deposits: new Map(balances), fees });
  }

  openFutures(account: string, deposit: bigint, fees: FeeOverrides): void {
    this.books.set(account, { kind: 'futures', wallet: deposit, deposits: deposit, fees, positions: new Map() });
  }

  /** Reset: positions dropped, balances set anew (absent: the deposits it had). */
  reset(account: string, balances: Map<string, bigint> | undefined): void {
    const book = this.books.get(account);
    if (book === undefined) return;
    if (book.kind === 'spot') {
      const next = balances ?? new Map([...book.deposits].filter(([, v]) => v > 0n));
      this.openSpot(account, next, book.fees);
    } else {
      this.openFutures(account, balances === undefined ? book.deposits : (balances.get(this.settleAsset) ?? 0n), book.fees);
    }
  }

  close(account: string): void {
    this.books.delete(account);
  }

  /** An imported account starts where the exported one stood; its orders keep their fee history. */
  importCopy(from: Book, account: string, orderIds: ReadonlyMap<string, string>, fromFees: ReadonlyMap<string, OrderFees>): void {
    this.books.set(account, structuredClone(from));
    for (const [oldId, newId] of orderIds) {
      const f = fromFees.get(oldId);
      if (f !== undefined) this.orderFees.set(newId, { ...f });
    }
  }

  /** A frozen copy of an account and its orders' fee sums, for a later import. */
  exportCopy(account: string, orderIds: readonly string[]): { book: Book; fees: Map<string, OrderFees> } | undefined {
    const book = this.books.get(account);
    if (book === undefined) return undefined;
    const fees = new Map<string, OrderFees>();
    for (const id of orderIds) {
      const f = this.orderFees.get(id);
      if (f !== undefined) fees.set(id, { ...f });
    }
    return { book: structuredClone(book), fees };
  }

  observe(event: KernelEvent): void {
    if (event.type === 'FILL') this.onFill(event);
    else if (event.type === 'FUNDING') this.onFunding(event);
    else if (event.type === 'LIQUIDATION') this.onLiquidation(event);
  }

  private rate(book: Book, instrument: Instrument, liquidity: 'MAKER' | 'TAKER'): bigint {
    return liquidity === 'MAKER' ? (book.fees.maker ?? instrument.makerFee) : (book.fees.taker ?? instrument.takerFee);
  }

  /** The fee of one fill by the rule above, and the asset it is charged in. */
  private feeOf(book: Book, instrument: Instrument, event: Extract<KernelEvent, { type: 'FILL' }>, qty: bigint, price: bigint): { fee: bigint; asset: string } {
    const rate = this.rate(book, instrument, event.liquidity);
    let amount: bigint;
    let asset: string;
    let precision: number;
    if (book.kind === 'spot' && event.side === 'BUY' && (book.fees.feeAsset ?? instrument.feeAsset) === 'received') {
      amount = qty * SCALE; // base quantity, at 10^36
      asset = instrument.base;
      precision = instrument.baseCommissionPrecision;
    } else {
      amount = price * qty; // exact notional, at 10^36
      asset = book.kind === 'futures' ? this.settleAsset : instrument.quote;
      precision = instrument.quoteCommissionPrecision;
    }
    const state = this.orderFees.get(event.orderId) ?? { raw: 0n, charged: 0n };
    state.raw += amount * rate;
    const total = ceilToPrecision(state.raw, precision);
    const fee = total - state.charged;
    state.charged = total;
    this.orderFees.set(event.orderId, state);
    return { fee, asset };
  }

  private onFill(event: Extract<KernelEvent, { type: 'FILL' }>): void {
    const book = this.books.get(event.account);
    const instrument = this.instruments.get(event.symbol);
    if (book === undefined || instrument === undefined) return;
    const qty = parseDecimal(event.quantity)!;
    const price = parseDecimal(event.price)!;
    const notional = divCeil(price * qty, SCALE);
    const { fee, asset } = this.feeOf(book, instrument, event, qty, price);
    if (showDecimal(fee) !== showDecimal(parseDecimal(event.fee) ?? -1n) || asset !== event.feeAsset) {
      this.feeDisagreements.push({ orderId: event.orderId, tradeId: event.tradeId, expected: showDecimal(fee), reported: `${event.fee} ${event.feeAsset}`, asset });
    }
    if (book.kind === 'spot') {
      const add = (a: string, v: bigint) => book.totals.set(a, (book.totals.get(a) ?? 0n) + v);
      const sign = event.side === 'BUY' ? 1n : -1n;
      add(instrument.base, sign * qty);
      add(instrument.quote, -sign * notional);
      add(asset, -fee);
      return;
    }
    const position = book.positions.get(event.symbol) ?? { size: 0n, entry: 0n };
    book.positions.set(event.symbol, position);
    let delta = event.side === 'BUY' ? qty : -qty;
    let realized = 0n;
    if (position.size !== 0n && position.size > 0n !== delta > 0n) {
      const held = position.size < 0n ? -position.size : position.size;
      const closing = qty < held ? qty : held;
      const side = position.size > 0n ? 1n : -1n;
      realized = divHalfUp(side * closing * (price - position.entry), SCALE);
      position.size -= side * closing;
      delta += side * closing;
      if (position.size === 0n) position.entry = 0n;
    }
    if (delta !== 0n) {
      const held = position.size < 0n ? -position.size : position.size;
      const opened = delta < 0n ? -delta : delta;
      position.entry = divHalfUp(held * position.entry + opened * price, held + opened);
      position.size += delta;
    }
    book.wallet += realized - fee + this.insuranceCover(event, book.wallet + realized - fee, fee - realized);
  }

  /**
   * The insurance fund's part of a fill: a fill never takes the wallet below zero, and the fund pays
   * at most the fill's own cost (fee − realized PnL). How much the free cash held is the kernel's
   * (margins may pay before the fund does), so the event's cover is taken when it lies between what
   * keeps the wallet at zero and the fill's cost; otherwise this rule's own cover is used.
   */
  private insuranceCover(event: Extract<KernelEvent, { type: 'FILL' }>, uncovered: bigint, cost: bigint): bigint {
    const reported = event.insuranceCovered === undefined ? 0n : parseDecimal(event.insuranceCovered);
    const least = uncovered < 0n ? -uncovered : 0n;
    const most = cost > 0n ? cost : 0n;
    if (reported !== undefined && reported >= least && reported <= most) return reported;
    const own = least < most ? least : most;
    this.coverDisagreements.push({ account: event.account, tradeId: event.tradeId, least: showDecimal(least), most: showDecimal(most), reported: event.insuranceCovered ?? '0' });
    return own;
  }

  private onFunding(event: Extract<KernelEvent, { type: 'FUNDING' }>): void {
    const book = this.books.get(event.account);
    const instrument = this.instruments.get(event.symbol);
    if (book?.kind !== 'futures' || instrument === undefined) return;
    const position = book.positions.get(event.symbol);
    if (position === undefined || position.size === 0n) return;
    const size = position.size < 0n ? -position.size : position.size;
    // |size| × mark × rate at 10^54, half-up to the commission precision; longs pay a positive rate.
    const raw = size * parseDecimal(event.markPrice)! * parseDecimal(event.rate)!;
    const magnitude = divHalfUp(raw, 10n ** BigInt(RAW_DIGITS - instrument.quoteCommissionPrecision)) * 10n ** BigInt(18 - instrument.quoteCommissionPrecision);
    const wanted = position.size > 0n ? magnitude : -magnitude;
    // A payment is never more than the position's margin and the free cash hold (what is beyond is
    // the insurance fund's); how much they held is the kernel's, so a smaller payment is taken from
    // the event, but never a larger one, nor one the other way, nor a cut receipt.
    const reported = parseDecimal(event.amount)!;
    const capped = wanted > 0n && reported >= 0n && reported < wanted;
    if (!capped && reported !== wanted) this.fundingDisagreements.push({ account: event.account, expected: showDecimal(wanted), reported: event.amount });
    book.wallet -= capped ? reported : wanted;
  }

  /** A liquidation closes the position; what it costs (margin lost, clearance fee) is the event's. */
  private onLiquidation(event: Extract<KernelEvent, { type: 'LIQUIDATION' }>): void {
    const book = this.books.get(event.account);
    if (book?.kind !== 'futures') return;
    book.wallet += parseDecimal(event.realizedPnl)! - parseDecimal(event.liquidationFee)!;
    book.positions.set(event.symbol, { size: 0n, entry: 0n });
  }

  /** Size the model holds for a futures position (for cross-checks of liquidation events). */
  positionSize(account: string, symbol: string): bigint {
    const book = this.books.get(account);
    return book?.kind === 'futures' ? (book.positions.get(symbol)?.size ?? 0n) : 0n;
  }

  /** Where the kernel's balances (free + locked per asset) differ from the model. */
  compare(account: string, balances: Record<string, { free: string; locked: string }> | undefined): Discrepancy[] {
    const book = this.books.get(account);
    if (book === undefined) return [];
    const actual = new Map<string, bigint>();
    for (const [asset, b] of Object.entries(balances ?? {})) actual.set(asset, (parseDecimal(b.free) ?? 0n) + (parseDecimal(b.locked) ?? 0n));
    const expected = book.kind === 'spot' ? book.totals : new Map([[this.settleAsset, book.wallet]]);
    const out: Discrepancy[] = [];
    for (const asset of new Set([...expected.keys(), ...actual.keys()])) {
      const e = expected.get(asset) ?? 0n;
      const a = actual.get(asset) ?? 0n;
      if (e !== a) out.push({ account, asset, expected: e, actual: a });
    }
    return out;
  }

  book(account: string): Book | undefined {
    return this.books.get(account);
  }
}

export type { Book as LedgerBook, OrderFees };
