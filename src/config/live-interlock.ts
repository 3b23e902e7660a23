/**
 * The live-trading interlock: real money moves only when three independent settings agree.
 *
 * Guarantees:
 * - `paper` unless PAPER_TRADING=false: the default, and what any doubt resolves to;
 * - `live` only with PAPER_TRADING=false, LIVE_TRADING_CONFIRM=I_UNDERSTAND_REAL_MONEY (exactly) and an
 *   exchange API key and secret, all at once;
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

type InterlockInput = Pick<AppConfig, 'paperTrading' | 'liveTradingConfirm' | 'exchangeApiKey' | 'exchangeApiSecret' | 'exchange'>;

export function checkLiveInterlock(config: InterlockInput): InterlockDecision {
  if (config.paperTrading) return { mode: 'paper' };
  const missing: string[] = [];
  if (config.liveTradingConfirm === undefined) {
    missing.push(`LIVE_TRADING_CONFIRM=${LIVE_TRADING_CONFIRMATION} (it is not set)`);
  } else if (config.liveTradingConfirm !== LIVE_TRADING_CONFIRMATION) {
    missing.push(`LIVE_TRADING_CONFIRM=${LIVE_TRADING_CONFIRMATION} (it is set to another value)`);
  }
  const alias = config.exchange === 'mexc';
  if (config.exchangeApiKey === undefined) missing.push(alias ? 'EXCHANGE_API_KEY (or MEXC_API_KEY)' : 'EXCHANGE_API_KEY');
  if (config.exchangeApiSecret === undefined) missing.push(alias ? 'EXCHANGE_API_SECRET (or MEXC_API_SECRET)' : 'EXCHANGE_API_SECRET');
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
