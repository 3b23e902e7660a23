/**
 * Reads a journaled book delta or trade from its text without `JSON.parse`, when the text is
 * exactly what `JSON.stringify` writes for such an input (the engine's own journal): fields in the
 * input's order, no white space, no escape in a string, whole numbers of at most 15 digits.
 * A delta's levels are appended to `LevelColumns` (one page's levels, in typed arrays).
 *
 * Guarantees: `delta`/`trade` accept only text of that one form, for which `JSON.parse` gives an
 * object with exactly the fields read here and these values (a string's value is its raw
 * characters, a number's is exact below 2^53). A delta's levels are read by `readDecimal`, the
 * reader of the kernel's `parseLevels` (`DecimalLevels.pushText`); a level it refuses refuses the row. Any other text
 * (another order or kind, an extra field, a level the kernel would refuse) is refused, and the
 * caller replays that row from its text, which reports it as before.
 * Cost: one pass over the characters, no string made but a symbol new to the page.
 */
import { readDecimal, type DecimalParts } from '../core/money/fixed.js';

const DELTA_HEAD = '{"kind":"book.delta","time":';
const TRADE_HEAD = '{"kind":"trade","time":';
const QUOTE = 34;
const BACKSLASH = 92;
const MAX_DIGITS = 15;

export class JournalRowScanner {
  private text = '';
  private at = 0;
  /** Where the row read ends in `text`. */
  private end = 0;
  // What the last successful `delta` or `trade` read.
  time = 0;
  firstUpdateId = 0;
  finalUpdateId = 0;
  /** NaN when the delta has none. */
  previousFinalUpdateId = Number.NaN;
  /** Where the delta's bids end in the level columns (its asks follow). */
  bidsEnd = 0;
  tradeId = 0;
  buyerMaker = false;
  /** Offsets in the text given (not from the row's start): the symbol's characters, a trade's price and quantity. */
  symbolStart = 0;
  symbolEnd = 0;
  priceStart = 0;
  priceEnd = 0;
  quantityStart = 0;
  quantityEnd = 0;

  /**
   * Reads a book delta (the row `text` from `start` to `end`: the whole text by default, or one row
   * of a page's texts back to back), its bids then its asks appended to `levels`; false (nothing
   * appended) when the row is not one in the journal's form (then `bidsEnd` is where its bids end in `levels`).
   */
  delta(text: string, levels: LevelColumns, start = 0, end = text.length): boolean {
    const before = levels.length;
    if (this.readDelta(text, levels, start, end)) return true;
    levels.length = before;
    return false;
  }

  private readDelta(text: string, levels: LevelColumns, start: number, end: number): boolean {
    if (!text.startsWith(DELTA_HEAD, start)) return false;
    this.text = text;
    this.end = end;
    this.at = start + DELTA_HEAD.length;
    this.time = this.int();
    if (Number.isNaN(this.time) || !this.literal(',"symbol":"')) return false;
    if (!this.symbol() || !this.literal(',"firstUpdateId":')) return false;
    this.firstUpdateId = this.int();
    if (Number.isNaN(this.firstUpdateId) || !this.literal(',"finalUpdateId":')) return false;
    this.finalUpdateId = this.int();
    if (Number.isNaN(this.finalUpdateId)) return false;
    this.previousFinalUpdateId = Number.NaN;
    if (this.literal(',"previousFinalUpdateId":')) {
      this.previousFinalUpdateId = this.int();
      if (Number.isNaN(this.previousFinalUpdateId)) return false;
    }
    if (!this.literal(',"bids":[') || !this.levels(levels)) return false;
    this.bidsEnd = levels.length;
    if (!this.literal(',"asks":[') || !this.levels(levels)) return false;
    return this.at === end - 1 && text.charCodeAt(this.at) === 125;
  }

  /** Reads a trade (with its tradeId), the row `text` from `start` to `end`; false when the row is not one in the journal's form. */
  trade(text: string, start = 0, end = text.length): boolean {
    if (!text.startsWith(TRADE_HEAD, start)) return false;
    this.text = text;
    this.end = end;
    this.at = start + TRADE_HEAD.length;
    this.time = this.int();
    if (Number.isNaN(this.time) || !this.literal(',"symbol":"')) return false;
    if (!this.symbol() || !this.literal(',"tradeId":')) return false;
    this.tradeId = this.int();
    if (Number.isNaN(this.tradeId) || !this.literal(',"price":"')) return false;
    this.priceStart = this.at;
    if ((this.priceEnd = this.stringEnd()) < 0 || !this.literal(',"quantity":"')) return false;
    this.quantityStart = this.at;
    if ((this.quantityEnd = this.stringEnd()) < 0 || !this.literal(',"buyerMaker":')) return false;
    if (this.literal('true}')) this.buyerMaker = true;
    else if (this.literal('false}')) this.buyerMaker = false;
    else return false;
    return this.at === end;
  }

  /** A JSON whole number (no fraction, no exponent) of at most 15 digits, or NaN. */
  private int(): number {
    const text = this.text;
    let i = this.at;
    const negative = text.charCodeAt(i) === 45;
    if (negative) i += 1;
    const start = i;
    let value = 0;
    let c = 0;
    while ((c = text.charCodeAt(i)) >= 48 && c <= 57) {
      value = value * 10 + (c - 48);
      i += 1;
    }
    const digits = i - start;
    // JSON has no leading zero; a fraction or an exponent is left to JSON.parse.
    if (digits === 0 || digits > MAX_DIGITS || (digits > 1 && text.charCodeAt(start) === 48) || c === 46 || c === 69 || c === 101) return Number.NaN;
    this.at = i;
    return negative ? -value : value;
  }

  /** `expected` at the cursor (then the cursor passes it). */
  private literal(expected: string): boolean {
    if (!this.text.startsWith(expected, this.at)) return false;
    this.at += expected.length;
    return true;
  }

  /** The symbol's characters up to its closing quote (the cursor after the quote). */
  private symbol(): boolean {
    this.symbolStart = this.at;
    this.symbolEnd = this.stringEnd();
    return this.symbolEnd >= 0;
  }

  /**
   * From the cursor inside a string: the offset of its closing quote (the cursor passes it), or -1
   * when the string holds an escape or a control character (left to JSON.parse) or does not end.
   */
  private stringEnd(): number {
    const text = this.text;
    const n = this.end;
    for (let i = this.at; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c === QUOTE) {
        this.at = i + 1;
        return i;
      }
      if (c === BACKSLASH || c < 32) return -1;
    }
    return -1;
  }

  /**
   * `["price","size"]` levels up to the list's closing bracket, each side read by `readDecimal`.
   * A side's end is the next quote: `readDecimal` takes only a sign, digits and a point, so a side
   * holding an escape (or any other character) is refused, and one it reads ends at its real quote.
   */
  private levels(out: LevelColumns): boolean {
    const text = this.text;
    const end = this.end;
    let at = this.at;
    if (text.charCodeAt(at) === 93) {
      this.at = at + 1;
      return true;
    }
    const price = PRICE;
    const size = SIZE;
    for (;;) {
      if (text.charCodeAt(at) !== 91 || text.charCodeAt(at + 1) !== QUOTE) return false;
      const priceStart = at + 2;
      const priceEnd = text.indexOf('"', priceStart);
      if (priceEnd < 0 || priceEnd >= end || text.charCodeAt(priceEnd + 1) !== 44 || text.charCodeAt(priceEnd + 2) !== QUOTE) return false;
      const sizeStart = priceEnd + 3;
      const sizeEnd = text.indexOf('"', sizeStart);
      if (sizeEnd < 0 || sizeEnd >= end || text.charCodeAt(sizeEnd + 1) !== 93) return false;
      if (!readDecimal(text, price, priceStart, priceEnd) || !readDecimal(text, size, sizeStart, sizeEnd)) return false;
      out.push(price.mantissa, price.fraction, size.mantissa, size.fraction);
      const c = text.charCodeAt(sizeEnd + 2);
      at = sizeEnd + 3;
      if (c === 93) {
        this.at = at;
        return true;
      }
      if (c !== 44) return false;
    }
  }
}

const PRICE: DecimalParts = { mantissa: 0, fraction: 0 };
const SIZE: DecimalParts = { mantissa: 0, fraction: 0 };

/** A page's book levels as four columns (`DecimalLevels`' fields), grown as needed. */
export class LevelColumns {
  priceMantissa: Float64Array;
  priceFraction: Uint8Array;
  sizeMantissa: Float64Array;
  sizeFraction: Uint8Array;
  length = 0;

  constructor(capacity = 1024) {
    this.priceMantissa = new Float64Array(capacity);
    this.priceFraction = new Uint8Array(capacity);
    this.sizeMantissa = new Float64Array(capacity);
    this.sizeFraction = new Uint8Array(capacity);
  }

  push(priceMantissa: number, priceFraction: number, sizeMantissa: number, sizeFraction: number): void {
    const i = this.length;
    if (i === this.priceMantissa.length) this.grow();
    this.priceMantissa[i] = priceMantissa;
    this.priceFraction[i] = priceFraction;
    this.sizeMantissa[i] = sizeMantissa;
    this.sizeFraction[i] = sizeFraction;
    this.length = i + 1;
  }

  private grow(): void {
    const capacity = this.priceMantissa.length * 2;
    const grown = <T extends Float64Array | Uint8Array>(a: T, make: (n: number) => T): T => {
      const b = make(capacity);
      b.set(a);
      return b;
    };
    this.priceMantissa = grown(this.priceMantissa, (n) => new Float64Array(n));
    this.priceFraction = grown(this.priceFraction, (n) => new Uint8Array(n));
    this.sizeMantissa = grown(this.sizeMantissa, (n) => new Float64Array(n));
    this.sizeFraction = grown(this.sizeFraction, (n) => new Uint8Array(n));
  }
}
