/**
 * The strategy contract: closed candles in, signals out.
 *
 * Guarantees (no look-ahead): a strategy is called once per candle, after that candle has closed,
 * and sees only closed candles through `ClosedCandles`; reaching past the last closed candle throws
 * `LookAheadError`, which aborts the run (it is never turned into a trade). Orders for a signal
 * produced at the close of bar t are submitted at the open of bar t + 1 (see trade-manager.ts).
 * A user strategy is a module (TypeScript through tsx, or JavaScript) whose default export, or
 * `createStrategy` export, is a `StrategyFactory` (or a ready `Strategy`).
 */
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Candle } from './candles.js';

export type SignalAction = 'LONG' | 'SHORT' | 'CLOSE';

export interface StrategySignal {
  readonly action: SignalAction;
  /** Why, in words ("RSI 28.1 crossed back above 30"). */
  readonly reason: string;
}

export type PositionSide = 'LONG' | 'SHORT' | 'FLAT';

export interface StrategyContext {
  readonly symbol: string;
  /** Every closed candle so far, the one just closed last. */
  readonly candles: ClosedCandles;
  /** The account's position on the symbol when the candle closed. */
  readonly position: PositionSide;
}

export interface Strategy {
  readonly id: string;
  /** Called once per closed candle, in time order. Return a signal or nothing. */
  onCandle(candle: Candle, context: StrategyContext): StrategySignal | null | undefined;
}

export type StrategyParams = Readonly<Record<string, unknown>>;
export type StrategyFactory = (params?: StrategyParams) => Strategy;

export class LookAheadError extends Error {
  override readonly name = 'LookAheadError';
}

/** A read-only window on the closed candles; nothing beyond the last closed one is reachable. */
export class ClosedCandles {
  private readonly items: Candle[] = [];
  private readonly limit: number;

  constructor(limit = 1000) {
    this.limit = limit;
  }

  get length(): number {
    return this.items.length;
  }

  /** `at(-1)` is the candle that just closed; an index past it throws `LookAheadError`. */
  at(index: number): Candle {
    const i = index < 0 ? this.items.length + index : index;
    if (i >= this.items.length) throw new LookAheadError(`candle ${index} has not closed yet (${this.items.length} closed)`);
    const candle = this.items[i];
    if (candle === undefined) throw new RangeError(`candle ${index} is older than the ${this.limit} kept`);
    return candle;
  }

  /** Internal: the runner appends a candle once it has closed. */
  push(candle: Candle): void {
    this.items.push(candle);
    if (this.items.length > this.limit * 2) this.items.splice(0, this.items.length - this.limit);
  }
}

/** The built-in strategies by id, filled in by builtin-strategies.ts. */
export const STRATEGIES = new Map<string, StrategyFactory>();

export function registerStrategy(id: string, factory: StrategyFactory): void {
  STRATEGIES.set(id, factory);
}

/** A built-in strategy by id. */
export function createStrategy(id: string, params?: StrategyParams): Strategy {
  const factory = STRATEGIES.get(id);
  if (factory === undefined) throw new Error(`unknown strategy "${id}" (built in: ${[...STRATEGIES.keys()].join(', ')})`);
  return factory(params);
}

function isStrategy(value: unknown): value is Strategy {
  return typeof value === 'object' && value !== null && typeof (value as Strategy).onCandle === 'function';
}

/**
 * Loads a user strategy module by path and returns its factory. `.ts` modules need tsx
 * (`node --import tsx`, which the `papertrade` binary and the tests use).
 */
export async function loadStrategyModule(path: string): Promise<StrategyFactory> {
  const url = pathToFileURL(isAbsolute(path) ? path : resolve(process.cwd(), path)).href;
  let mod = (await importModule(url)) as { default?: unknown; createStrategy?: unknown };
  // A module compiled as CommonJS arrives wrapped once more: { default: { default, createStrategy } }.
  const inner = mod.default as { default?: unknown; createStrategy?: unknown } | undefined;
  if (mod.createStrategy === undefined && typeof inner === 'object' && inner !== null && !isStrategy(inner) && (inner.default !== undefined || inner.createStrategy !== undefined)) mod = inner;
  const exported = mod.createStrategy ?? mod.default;
  if (typeof exported === 'function') {
    return (params?: StrategyParams) => {
      const strategy: unknown = (exported as StrategyFactory)(params);
      if (!isStrategy(strategy)) throw new TypeError(`${path}: the factory did not return a Strategy (an object with onCandle)`);
      return strategy;
    };
  }
  if (isStrategy(exported)) return () => exported;
  throw new TypeError(`${path}: export a StrategyFactory as default or as createStrategy`);
}

/** Imports a module; a TypeScript one through tsx when the running Node cannot load `.ts` itself. */
async function importModule(url: string): Promise<unknown> {
  try {
    return await import(url);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (!/\.[cm]?ts$/.test(url) || (code !== 'ERR_UNKNOWN_FILE_EXTENSION' && code !== 'ERR_UNSUPPORTED_NODE_MODULES_TYPE_STRIPPING')) throw error;
    let api: typeof import('tsx/esm/api');
    try {
      api = await import('tsx/esm/api');
    } catch {
      throw new Error(`${url}: loading a TypeScript strategy needs tsx (install it, or compile the strategy to JavaScript)`);
    }
    return api.register({ namespace: 'papertrade-strategy' }).import(url, import.meta.url);
  }
}

/** A built-in id, or a path to a module (anything with a slash or a .ts/.js/.mjs extension). */
export async function resolveStrategy(nameOrPath: string): Promise<StrategyFactory> {
  if (STRATEGIES.has(nameOrPath)) return STRATEGIES.get(nameOrPath)!;
  if (/[\\/]|\.(m?[jt]s)$/.test(nameOrPath)) return loadStrategyModule(nameOrPath);
  throw new Error(`unknown strategy "${nameOrPath}" (built in: ${[...STRATEGIES.keys()].join(', ')}; or a module path)`);
}
