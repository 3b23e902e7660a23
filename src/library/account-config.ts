/**
 * `createAccount(config)`: what a library account is made of, validated into exact values.
 * Percentages are percent (`maxRiskPerTrade: 2` is 2 % of equity; `maxDrawdown: 20` halts at 20 %).
 */
import { ONE, parseFixed, type Fixed } from '../core/money/fixed.js';
import { decimalText } from '../strategy/candles.js';
import type { Strategy, StrategyFactory, StrategyParams } from '../strategy/strategy.js';
import { parseTactics, type TacticsSet } from '../strategy/tactics.js';

export interface AccountConfig {
  /** Default: `account-<n>`. */
  readonly id?: string;
  readonly name?: string;
  /** USDT deposited at creation (default 10000). */
  readonly initialBalance?: number | string;
  /** A built-in strategy (`rsi-reversal`, `ema-crossover`, `bollinger-breakout`) or one registered. */
  readonly strategyId?: string;
  /** A user strategy instead of `strategyId` (e.g. from `loadStrategyModule(path)`). */
  readonly strategy?: StrategyFactory;
  readonly strategyParams?: StrategyParams;
  /** Tactics sets (validated); the one named `activeTactics`, else the first, is used for signals. */
  readonly tacticsSets?: readonly unknown[];
  readonly activeTactics?: string;
  /** Trade the strategy's signals once `start(id)` is called (default false: signals only). */
  readonly autoTrading?: boolean;
  /** Percent of equity risked per trade; sizes positions from the stop distance (default 1). */
  readonly maxRiskPerTrade?: number | string;
  /** Percent drawdown from the equity peak that halts the account (default: none). */
  readonly maxDrawdown?: number | string;
  /** On halt, also close the positions (default true). */
  readonly closeOnMaxDrawdown?: boolean;
  /** Open positions (and waiting entries) at most, across symbols (default 1). */
  readonly maxOpenPositions?: number;
  /** Leverage for every symbol, or per symbol (`{ BTCUSDT: 3 }`); default 1. */
  readonly leverage?: number | Readonly<Record<string, number>>;
  /** Symbols the strategy trades on live prices (default: every symbol priced). */
  readonly symbols?: readonly string[];
  /** Fee rates as fractions (`"0.0004"`); default: the instrument's. */
  readonly fees?: { readonly maker?: string; readonly taker?: string };
}

export interface ResolvedAccount {
  readonly id: string;
  readonly name: string;
  readonly initialBalance: string;
  readonly strategyId: string | undefined;
  readonly factory: StrategyFactory | undefined;
  readonly strategyParams: StrategyParams | undefined;
  readonly tacticsSets: readonly TacticsSet[];
  readonly tactics: TacticsSet | undefined;
  readonly autoTrading: boolean;
  readonly maxRiskPerTrade: Fixed;
  readonly maxDrawdown: Fixed | undefined;
  readonly closeOnMaxDrawdown: boolean;
  readonly maxOpenPositions: number;
  readonly leverage: number | Readonly<Record<string, number>>;
  readonly symbols: readonly string[] | undefined;
  readonly fees: AccountConfig['fees'];
  /** The raw config (JSON-safe parts) for snapshots. */
  readonly raw: AccountConfig;
}

export function resolveAccountConfig(config: AccountConfig, id: string, lookup: (strategyId: string) => StrategyFactory | undefined): ResolvedAccount {
  const pct = (v: number | string | undefined, fallback: string | undefined, where: string): Fixed | undefined => {
    if (v === undefined) return fallback === undefined ? undefined : parseFixed(fallback);
    const f = parseFixed(decimalText(v));
    if (f <= 0n || f > 100n * ONE) throw new RangeError(`${where} must be a percent above 0 and at most 100`);
    return f;
  };
  if (typeof id !== 'string' || id.length === 0) throw new TypeError(`id must be a non-empty string, got ${JSON.stringify(id)}`);
  if (config.name !== undefined && typeof config.name !== 'string') throw new TypeError('name must be a string');
  for (const flag of ['autoTrading', 'closeOnMaxDrawdown'] as const) {
    if (config[flag] !== undefined && typeof config[flag] !== 'boolean') throw new TypeError(`${flag} must be true or false`);
  }
  if (config.strategy !== undefined && typeof config.strategy !== 'function') throw new TypeError('strategy must be a strategy factory (a function); give a built-in or registered one as strategyId');
  let factory = config.strategy;
  if (factory === undefined && config.strategyId !== undefined) {
    factory = lookup(config.strategyId);
    if (factory === undefined) throw new Error(`unknown strategy "${config.strategyId}"`);
  }
  // Made once here so that bad strategyParams are refused now, not at the account's first candle
  // (each symbol gets its own instance when its candles come).
  factory?.(config.strategyParams);
  const tacticsSets = (config.tacticsSets ?? []).map((t) => parseTactics(t));
  const tactics = config.activeTactics === undefined ? tacticsSets[0] : tacticsSets.find((t) => t.name === config.activeTactics);
  if (config.activeTactics !== undefined && tactics === undefined) throw new Error(`no tactics set named "${config.activeTactics}"`);
  // Refused here rather than failing on every signal: an auto-trading account's signals become orders through its tactics.
  if (config.autoTrading === true && tactics === undefined) {
    throw new Error('autoTrading needs a tactics set to turn signals into orders: give tacticsSets (the first, or the one named by activeTactics, is used), or create the account with autoTrading false');
  }
  const maxOpen = config.maxOpenPositions ?? 1;
  if (!Number.isSafeInteger(maxOpen) || maxOpen < 1) throw new RangeError('maxOpenPositions must be a whole number ≥ 1');
  const balance = decimalText(config.initialBalance ?? 10000);
  if (parseFixed(balance) <= 0n) throw new RangeError('initialBalance must be positive');
  return {
    id,
    name: config.name ?? id,
    initialBalance: balance,
    strategyId: config.strategyId ?? (config.strategy ? 'custom' : undefined),
    factory,
    strategyParams: config.strategyParams,
    tacticsSets,
    tactics,
    autoTrading: config.autoTrading ?? false,
    maxRiskPerTrade: pct(config.maxRiskPerTrade, '1', 'maxRiskPerTrade')!,
    maxDrawdown: pct(config.maxDrawdown, undefined, 'maxDrawdown'),
    closeOnMaxDrawdown: config.closeOnMaxDrawdown ?? true,
    maxOpenPositions: maxOpen,
    leverage: config.leverage ?? 1,
    symbols: config.symbols,
    fees: config.fees,
    raw: { ...config, strategy: undefined } as AccountConfig,
  };
}

export type { Strategy };
