import { boundedText } from '../../core/bounded-text.js';

/**
 * An exchange dialect's refusal: its own numeric code and message (`{"code","msg"}`, the shape MEXC
 * and Binance share) and the HTTP status that dialect answers it with. Each dialect subclasses it, so
 * that its error handler recognises only its own. A value of the request the message echoes is cut
 * when absurdly long, as the kernel's refusals cut it (core/bounded-text.ts).
 */
export class DialectError extends Error {
  readonly msg: string;

  constructor(
    readonly code: number,
    msg: string,
    readonly status = 400,
  ) {
    const bounded = boundedText(msg);
    super(bounded);
    this.msg = bounded;
  }

  get body(): { code: number; msg: string } {
    return { code: this.code, msg: this.msg };
  }
}
