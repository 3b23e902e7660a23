/**
 * An exchange dialect's refusal: its own numeric code and message (`{"code","msg"}`, the shape MEXC
 * and Binance share) and the HTTP status that dialect answers it with. Each dialect subclasses it, so
 * that its error handler recognises only its own.
 */
export class DialectError extends Error {
  constructor(
    readonly code: number,
    readonly msg: string,
    readonly status = 400,
  ) {
    super(msg);
  }

  get body(): { code: number; msg: string } {
    return { code: this.code, msg: this.msg };
  }
}
