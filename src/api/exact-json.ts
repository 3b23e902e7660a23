/**
 * JSON request bodies read so that no number loses a digit (docs/adr/0050). `JSON.parse` turns
 * every number into a double: `1234567890.12345678` becomes `1234567890.1234567`, and the schema's
 * coercion then hands the route a different decimal from the one the client typed.
 *
 * Guarantees: each JSON number reaches the route as the decimal the client wrote. A number whose
 * double, written back by `String()`, is its own text stays a JS number (ids, timestamps, leverage
 * and `0.1` as before: any coercion gives the typed text back). Any other number arrives as its
 * text, a string: `1234567890.12345678`, `1.50`, `-0`, `0.0000001`, `1e+21`'s plain digits. A
 * number in exponent form is first written out as its exact plain decimal (`1e-7` → `0.0000001`,
 * `2.5E3` → `2500`) and then follows the same rule; one whose exponent lies outside −100…100 is
 * refused (`JsonNumberRangeError`). Everything else is `JSON.parse`'s: the text it accepts, its
 * strings, the last of duplicated keys, `__proto__` as an own key. One exception: a body with such a
 * number nested deeper than lossless-json's recursion reaches (thousands of levels) is refused as
 * not JSON, a `SyntaxError`.
 *
 * Cost: a body with no number that could lose a digit (every body whose prices and quantities are
 * strings, or numbers of up to 15 significant digits) is parsed by `JSON.parse` alone, after one
 * regular-expression pass over the text (`mayLoseDigits`). Any other body is parsed twice:
 * `JSON.parse` checks it (so both paths accept the same texts), lossless-json reads its numbers.
 */
import { parse as losslessParse } from 'lossless-json';

/** The largest exponent, either sign, written out: beyond it a plain decimal would need over 100 added zeros. */
export const MAX_EXPONENT = 100;

/** A JSON number in exponent form whose exponent lies outside −`MAX_EXPONENT`…`MAX_EXPONENT`. */
export class JsonNumberRangeError extends Error {
  override readonly name = 'JsonNumberRangeError';
  constructor(readonly token: string) {
    super(`the JSON number ${token.length > 40 ? `${token.slice(0, 40)}…` : token} is out of range: exponents from -${MAX_EXPONENT} to ${MAX_EXPONENT} are written out; send the plain decimal, as a string`);
  }
}

/**
 * Everything that may be a number token: a digit run after the start of the text or a `:`, `,` or
 * `[` (and white space). A real token is always found whole: a match holds no `"`, so it lies all
 * inside a string (a harmless extra candidate) or all outside one, where the run stops at the
 * token's end (`,`, `]`, `}` or white space follow a number in valid JSON).
 */
const CANDIDATE = /(?:^|[:,[])\s*(-?\d[\d.eE+-]*)/g;

/**
 * Whether `JSON.parse` could give some number token of `text` a value other than its text: one in
 * exponent form, or one whose double does not print back as the token. False proves that
 * `JSON.parse(text)` equals `parseJsonExactly(text)`. Candidates inside strings may make it true
 * needlessly; that only costs the slower parse.
 */
export function mayLoseDigits(text: string): boolean {
  CANDIDATE.lastIndex = 0;
  for (let m = CANDIDATE.exec(text); m !== null; m = CANDIDATE.exec(text)) {
    const token = m[1]!;
    if (token.includes('e') || token.includes('E') || String(Number(token)) !== token) return true;
  }
  return false;
}

/**
 * The exact plain decimal of a JSON number token in exponent form (`-1.25e-3` → `-0.00125`,
 * `2.5E3` → `2500`); the fraction digits the client wrote are kept (`1.50e1` → `15.0`).
 * @throws JsonNumberRangeError when the exponent lies outside −100…100
 */
export function plainDecimalOf(token: string): string {
  const at = token.search(/[eE]/);
  if (at < 0) return token;
  const exponentText = token.slice(at + 1).replace(/^[+-]?0*/, '');
  if (exponentText.length > 3) throw new JsonNumberRangeError(token);
  const exponent = (token[at + 1] === '-' ? -1 : 1) * Number(exponentText === '' ? '0' : exponentText);
  if (Math.abs(exponent) > MAX_EXPONENT) throw new JsonNumberRangeError(token);
  const negative = token.startsWith('-');
  const mantissa = token.slice(negative ? 1 : 0, at);
  const point = mantissa.indexOf('.');
  const digits = point < 0 ? mantissa : mantissa.slice(0, point) + mantissa.slice(point + 1);
  const pointAt = (point < 0 ? mantissa.length : point) + exponent;
  let whole: string;
  let fraction: string;
  if (pointAt <= 0) {
    whole = '0';
    fraction = '0'.repeat(-pointAt) + digits;
  } else if (pointAt >= digits.length) {
    whole = digits + '0'.repeat(pointAt - digits.length);
    fraction = '';
  } else {
    whole = digits.slice(0, pointAt);
    fraction = digits.slice(pointAt);
  }
  whole = whole.replace(/^0+(?=\d)/, '');
  return `${negative ? '-' : ''}${whole}${fraction === '' ? '' : `.${fraction}`}`;
}

/** A number token as the route receives it: the JS number when it prints back as the decimal written, that decimal otherwise. */
export function numberOfToken(token: string): number | string {
  const plain = plainDecimalOf(token);
  const value = Number(plain);
  return String(value) === plain ? value : plain;
}

const LAST_WINS = ({ newValue }: { readonly newValue: unknown }): unknown => newValue;

/**
 * `text` parsed as `JSON.parse` does, except numbers (see the header).
 * @throws SyntaxError when `text` is not JSON (`JSON.parse`'s own error)
 * @throws JsonNumberRangeError for a number whose exponent lies outside −100…100
 */
export function parseJsonExactly(text: string): unknown {
  const value: unknown = JSON.parse(text);
  return mayLoseDigits(text) ? reparseNumbers(text) : value;
}

/**
 * `text`, already accepted by `JSON.parse`, read again with every number as `numberOfToken` gives it.
 * @throws JsonNumberRangeError for a number whose exponent lies outside −100…100
 */
export function reparseNumbers(text: string): unknown {
  try {
    return losslessParse(text, null, { parseNumber: numberOfToken, onDuplicateKey: LAST_WINS });
  } catch (error) {
    // lossless-json recurses per level: a text nested deeper than the stack is still refused, as a syntax error.
    if (error instanceof RangeError && !(error instanceof JsonNumberRangeError)) throw new SyntaxError('the JSON text is nested too deeply');
    throw error;
  }
}
