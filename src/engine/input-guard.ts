/**
 * The durable engine refuses, before journaling, every input the kernel could not apply at all
 * (see core/kernel/input-validation.ts): nothing changes and nothing is recorded.
 */
export { inputProblem } from '../core/kernel/input-validation.js';

/** `\u0000` as JSON.stringify escapes U+0000, not preceded by an escaped backslash (an even run of them). */
const ESCAPED_NUL = /(?<!\\)(?:\\\\)*\\u0000/;

/**
 * Why the journal text of an input cannot be stored, if it cannot: a string holding U+0000 (NUL),
 * which PostgreSQL's text columns refuse, so the read tables could never take the input's events
 * (a projection failure stops the engine). Refused on every database, so that a journal moves
 * between them. `text` is JSON.stringify of the input.
 */
export function storageProblem(text: string): string | undefined {
  return text.includes('\\u0000') && ESCAPED_NUL.test(text) ? 'a string in the input holds the character U+0000 (NUL), which the database cannot store' : undefined;
}

export class InputRefusedError extends Error {
  override readonly name = 'InputRefusedError';
}
