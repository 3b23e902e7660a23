/**
 * Market rows of a journal page (book deltas and trades), decoded on the journal reader's thread so
 * that the kernel's thread does not parse them: a restore's rows are almost all market data, and
 * their JSON (for a delta, a tuple of two decimal strings per level) cost the kernel's thread about
 * as much as the kernel itself.
 *
 * Guarantees: a row is decoded only when `JournalRowScanner` reads it (a book delta or a trade in
 * the form the engine journals, every level one the kernel's `parseLevels` reads). It reaches the
 * kernel as an input with the field values `JSON.parse` would give (a delta's level lists empty,
 * its levels as `parseLevels` reads them, through `BookLevels`; a trade's strings are slices of the
 * page's text): the kernel checks the fields and applies the input, and keeps the row's text in its
 * rollback tail, exactly as for the parsed row. Any other row is replayed from its text.
 * Cost: on the reader's thread, one scan per market row; on the kernel's thread, one small object
 * per row, four numbers copied per level and two slices per trade. The arrays are transferred.
 */
import { DecimalLevels } from '../core/book/decimal-levels.js';
import type { BookDeltaInput, TradeInput } from '../core/kernel/inputs.js';
import type { BookLevels } from '../core/kernel/kernel.js';
import { JournalRowScanner, LevelColumns } from './journal-row-scanner.js';

/** What a row of a page is: replayed from its text, or decoded as a delta or a trade. */
const TEXT = 0;
const DELTA = 1;
const TRADE = 2;

/** A page's decoded rows, in typed arrays (transferable). */
export interface DecodedRows {
  /** Per row of the page: TEXT, DELTA or TRADE. */
  readonly rowKind: Uint8Array;
  /** Per row: the index of its delta or trade. */
  readonly rowIndex: Uint32Array;
  /** The symbols of the page's decoded rows. */
  readonly symbols: readonly string[];
  /** Per delta: time, firstUpdateId, finalUpdateId, previousFinalUpdateId (NaN when absent). */
  readonly deltaFields: Float64Array;
  /** Per delta: its symbol, an index into `symbols`. */
  readonly deltaSymbol: Uint32Array;
  /** Per delta: the end of its bids, then of its asks, in the level arrays (each list starts where the one before ended). */
  readonly levelEnds: Uint32Array;
  readonly priceMantissa: Float64Array;
  readonly priceFraction: Uint8Array;
  readonly sizeMantissa: Float64Array;
  readonly sizeFraction: Uint8Array;
  /** Per trade: time, tradeId, buyerMaker (1 or 0). */
  readonly tradeFields: Float64Array;
  /** Per trade: its symbol, an index into `symbols`. */
  readonly tradeSymbol: Uint32Array;
  /** Per trade: start and end of its price, then of its quantity, in the page's text (the rows back to back). */
  readonly tradeStrings: Uint32Array;
}

/** The buffers of a page's arrays, for `postMessage`'s transfer list. */
export function transferables(rows: DecodedRows): ArrayBuffer[] {
  const arrays = [rows.rowKind, rows.rowIndex, rows.deltaFields, rows.deltaSymbol, rows.levelEnds, rows.priceMantissa, rows.priceFraction, rows.sizeMantissa, rows.sizeFraction, rows.tradeFields, rows.tradeSymbol, rows.tradeStrings];
  return arrays.map((a) => a.buffer as ArrayBuffer);
}

/** Decodes a page's rows one at a time (`add`, in row order), then hands the page over (`take`). */
export class RowEncoder {
  private rowKind: number[] = [];
  private rowIndex: number[] = [];
  private symbols: string[] = [];
  private readonly symbolAt = new Map<string, number>();
  private deltaFields: number[] = [];
  private deltaSymbol: number[] = [];
  private levelEnds: number[] = [];
  private levels = new LevelColumns();
  private tradeFields: number[] = [];
  private tradeSymbol: number[] = [];
  private tradeStrings: number[] = [];
  private readonly scan = new JournalRowScanner();

  /**
   * The next row of the page: its journaled text, `text` from `start` to `end` (the whole text by
   * default), which starts at `offset` in the page's text.
   */
  add(text: string, offset: number, start = 0, end = text.length): void {
    const scan = this.scan;
    if (scan.delta(text, this.levels, start, end)) {
      this.rowKind.push(DELTA);
      this.rowIndex.push(this.deltaSymbol.length);
      this.deltaFields.push(scan.time, scan.firstUpdateId, scan.finalUpdateId, scan.previousFinalUpdateId);
      this.deltaSymbol.push(this.symbol(text));
      this.levelEnds.push(scan.bidsEnd, this.levels.length);
    } else if (scan.trade(text, start, end)) {
      this.rowKind.push(TRADE);
      this.rowIndex.push(this.tradeSymbol.length);
      this.tradeFields.push(scan.time, scan.tradeId, scan.buyerMaker ? 1 : 0);
      this.tradeSymbol.push(this.symbol(text));
      const shift = offset - start;
      this.tradeStrings.push(shift + scan.priceStart, shift + scan.priceEnd, shift + scan.quantityStart, shift + scan.quantityEnd);
    } else {
      this.rowKind.push(TEXT);
      this.rowIndex.push(0);
    }
  }

  /** The page decoded so far; the encoder starts the next page empty. */
  take(): DecodedRows {
    const levels = this.levels;
    const page: DecodedRows = {
      rowKind: Uint8Array.from(this.rowKind),
      rowIndex: Uint32Array.from(this.rowIndex),
      symbols: this.symbols,
      deltaFields: Float64Array.from(this.deltaFields),
      deltaSymbol: Uint32Array.from(this.deltaSymbol),
      levelEnds: Uint32Array.from(this.levelEnds),
      priceMantissa: levels.priceMantissa.subarray(0, levels.length),
      priceFraction: levels.priceFraction.subarray(0, levels.length),
      sizeMantissa: levels.sizeMantissa.subarray(0, levels.length),
      sizeFraction: levels.sizeFraction.subarray(0, levels.length),
      tradeFields: Float64Array.from(this.tradeFields),
      tradeSymbol: Uint32Array.from(this.tradeSymbol),
      tradeStrings: Uint32Array.from(this.tradeStrings),
    };
    this.rowKind = [];
    this.rowIndex = [];
    this.symbols = [];
    this.symbolAt.clear();
    this.deltaFields = [];
    this.deltaSymbol = [];
    this.levelEnds = [];
    // The columns go with the page (transferred); the next page's start as large.
    this.levels = new LevelColumns(levels.priceMantissa.length);
    this.tradeFields = [];
    this.tradeSymbol = [];
    this.tradeStrings = [];
    return page;
  }

  /** The index of the symbol the scanner read in `text`. */
  private symbol(text: string): number {
    const { symbolStart, symbolEnd } = this.scan;
    const last = this.symbols[this.symbols.length - 1];
    if (last !== undefined && last.length === symbolEnd - symbolStart && text.startsWith(last, symbolStart)) return this.symbols.length - 1;
    const name = text.slice(symbolStart, symbolEnd);
    let index = this.symbolAt.get(name);
    if (index === undefined) {
      index = this.symbols.push(name) - 1;
      this.symbolAt.set(name, index);
    }
    return index;
  }
}

const NO_LEVELS: readonly [] = Object.freeze([]);

/** A page's decoded rows on the kernel's thread: the input of one row at a time, and a delta's levels. */
export class DecodedRowReader implements BookLevels {
  private delta = 0;

  /** `text`: the page's rows back to back (the offsets of `tradeStrings`). */
  constructor(
    private readonly page: DecodedRows,
    private readonly text: string,
  ) {}

  /** The input of row `row` of the page, or undefined when the row is replayed from its text. */
  input(row: number): BookDeltaInput | TradeInput | undefined {
    const kind = this.page.rowKind[row]!;
    if (kind === TEXT) return undefined;
    const i = this.page.rowIndex[row]!;
    return kind === DELTA ? this.deltaInput(i) : this.tradeInput(i);
  }

  /** The levels of the delta `input` returned last, as `parseLevels` read them. */
  readInto(bids: DecimalLevels, asks: DecimalLevels): void {
    const ends = this.page.levelEnds;
    const d = this.delta;
    const start = d === 0 ? 0 : ends[2 * d - 1]!;
    this.fill(bids, start, ends[2 * d]!);
    this.fill(asks, ends[2 * d]!, ends[2 * d + 1]!);
  }

  private deltaInput(d: number): BookDeltaInput {
    this.delta = d;
    const f = this.page.deltaFields;
    const time = f[4 * d]!;
    const symbol = this.page.symbols[this.page.deltaSymbol[d]!]!;
    const firstUpdateId = f[4 * d + 1]!;
    const finalUpdateId = f[4 * d + 2]!;
    const previous = f[4 * d + 3]!;
    return Number.isNaN(previous)
      ? { kind: 'book.delta', time, symbol, firstUpdateId, finalUpdateId, bids: NO_LEVELS, asks: NO_LEVELS }
      : { kind: 'book.delta', time, symbol, firstUpdateId, finalUpdateId, previousFinalUpdateId: previous, bids: NO_LEVELS, asks: NO_LEVELS };
  }

  private tradeInput(t: number): TradeInput {
    const f = this.page.tradeFields;
    const at = this.page.tradeStrings;
    return {
      kind: 'trade',
      time: f[3 * t]!,
      symbol: this.page.symbols[this.page.tradeSymbol[t]!]!,
      tradeId: f[3 * t + 1]!,
      price: this.text.slice(at[4 * t], at[4 * t + 1]),
      quantity: this.text.slice(at[4 * t + 2], at[4 * t + 3]),
      buyerMaker: f[3 * t + 2] === 1,
    };
  }

  private fill(out: DecimalLevels, start: number, end: number): void {
    const { priceMantissa, priceFraction, sizeMantissa, sizeFraction } = this.page;
    out.reset();
    for (let i = start, j = 0; i < end; i++, j++) {
      out.priceMantissa[j] = priceMantissa[i]!;
      out.priceFraction[j] = priceFraction[i]!;
      out.sizeMantissa[j] = sizeMantissa[i]!;
      out.sizeFraction[j] = sizeFraction[i]!;
    }
    out.length = end - start;
  }
}
