/**
 * The live-trading interlock: real money moves only when three independent settings agree.
 *
 * Guarantees:
 * - `paper` unless PAPER_TRADING=false: the default, and what any doubt resolves to;
 * - `live` only with PAPER_TRADING=false, LIVE_TRADING_CONFIRM=I_UNDERSTAND_REAL_MONEY (exactly) and a
 *   CREDENTIALS_KEY, all at once: each account trades with its own exchange keys, stored sealed
 *   under that key (docs/adr/0034-live-accounts-and-reads.md); EXCHANGE_API_KEY/SECRET, when set,
 *   are only the default account's;
 * - PAPER_TRADING=false with anything missing is `refused`, never a silent fallback to paper: the
 *   operator asked for live, so the server must not start pretending to be live. Each missing piece
 *   is named so that the refusal can say what to set.
 * See docs/adr/0007-live-trading-interlock.md.
 */
import type { AppConfig } from './config.js';

export const LIVE_TRADING_CONFIRMATION = 'I_UNDERSTAND_REAL_MONEY';

export type InterlockDecision =
  | { readonly mode: 'paper' }
  | { readonly mode: 'live' }
  | { readonly mode: 'refused'; readonly missing: readonly string[] };

type InterlockInput = Pick<AppConfig, 'paperTrading' | 'liveTradingConfirm' | 'credentialsKey'>;

export function checkLiveInterlock(config: InterlockInput): InterlockDecision {
  if (config.paperTrading) return { mode: 'paper' };
  const missing: string[] = [];
  if (config.liveTradingConfirm === undefined) {
    missing.push(`LIVE_TRADING_CONFIRM=${LIVE_TRADING_CONFIRMATION} (it is not set)`);
  } else if (config.liveTradingConfirm !== LIVE_TRADING_CONFIRMATION) {
    missing.push(`LIVE_TRADING_CONFIRM=${LIVE_TRADING_CONFIRMATION} (it is set to another value)`);
  }
  if (config.credentialsKey === undefined) missing.push("CREDENTIALS_KEY (32 bytes, e.g. `openssl rand -hex 32`: it seals each account's exchange keys at rest)");
  return missing.length === 0 ? { mode: 'live' } : { mode: 'refused', missing };
}

/** The message a server prints when it refuses to start. */
export function describeRefusal(missing: readonly string[]): string {
  return [
    'Refusing to start: PAPER_TRADING=false asks for LIVE trading with real money, but these are missing:',
    ...missing.map((m) => `  - ${m}`),
    'Set all of them to trade live, or set PAPER_TRADING=true (the default) to paper trade.',
  ].join('\n');
}

/** Thrown by createExecutionService when the interlock refuses live trading. */
export class LiveTradingRefusedError extends Error {
  override readonly name = 'LiveTradingRefusedError';
  constructor(readonly missing: readonly string[]) {
    super(describeRefusal(missing));
  }
}
