/**
 * The library engine's snapshot: the kernel's own snapshot plus account configs and trade plans,
 * as one JSON string. Bigints are written as `{ "$n": "<digits>" }` so they survive the round trip.
 */
import type { AccountConfig } from './account-config.js';
import type { TradeManager } from '../strategy/trade-manager.js';
import type { MarketFeed } from './market-feed.js';
import type { CandleSequenceState } from './candle-sequence.js';

export interface EngineSnapshot {
  readonly kernel: string;
  readonly accounts: readonly { readonly id: string; readonly config: AccountConfig; readonly running: boolean }[];
  readonly manager: ReturnType<TradeManager['exportState']>;
  readonly nextId: number;
  readonly feed: ReturnType<MarketFeed['exportState']>;
  readonly forming: readonly [string, unknown][];
  /** What processCandles replayed per account and symbol (absent in snapshots written before it). */
  readonly sequences?: readonly (readonly [string, CandleSequenceState])[];
}

const VERSION = 1;

export function encodeEngineSnapshot(state: EngineSnapshot): string {
  return JSON.stringify({ version: VERSION, ...state }, (_k, v: unknown) => (typeof v === 'bigint' ? { $n: v.toString() } : v));
}

export function decodeEngineSnapshot(text: string): EngineSnapshot {
  const parsed = JSON.parse(text, (_k, v: unknown) => {
    if (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 1 && typeof (v as { $n?: unknown }).$n === 'string') return BigInt((v as { $n: string }).$n);
    return v;
  }) as EngineSnapshot & { version?: number };
  if (parsed === null || typeof parsed !== 'object' || parsed.version !== VERSION || typeof parsed.kernel !== 'string') throw new Error('not a papertrade library snapshot');
  if (!Array.isArray(parsed.accounts) || !Number.isSafeInteger(parsed.nextId) || parsed.nextId < 1) throw new Error('not a papertrade library snapshot: accounts or nextId missing');
  for (const a of parsed.accounts as unknown[]) {
    const account = a as { id?: unknown; config?: unknown; running?: unknown } | null;
    if (typeof account !== 'object' || account === null || typeof account.id !== 'string' || typeof account.config !== 'object' || account.config === null || typeof account.running !== 'boolean') {
      throw new Error(`not a papertrade library snapshot: an account is not { id, config, running }: ${JSON.stringify(a)?.slice(0, 200)}`);
    }
  }
  return parsed;
}
