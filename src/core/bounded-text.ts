/**
 * `boundedText(text)`: `text` with every run of more than LONGEST_RUN (100) non-space characters cut
 * to its first 40 and its length, as "1000000000…(100001 characters)". A value a request carried and
 * a refusal echoes (a price, a quantity, a field that is not what it should be) then never makes the
 * message, and with it the answer, the event and the read tables' rows, as long as the request: a
 * 100,000-digit price is refused in a message of about 150 characters. No run a message carries by
 * right reaches 100 characters (a decimal the kernel keeps has at most 39 digits, an order id or a
 * client order id at most 64). Text without such a run is returned as it is.
 */
const LONGEST_RUN = 100;
const KEPT = 40;

export function boundedText(text: string): string {
  if (text.length <= LONGEST_RUN) return text;
  return text.replace(/\S{101,}/g, (run) => {
    // Cut between characters: a surrogate pair is not split.
    const end = run.charCodeAt(KEPT - 1) >= 0xd800 && run.charCodeAt(KEPT - 1) <= 0xdbff ? KEPT - 1 : KEPT;
    return `${run.slice(0, end)}…(${run.length} characters)`;
  });
}
