/**
 * Tactics sets: how a signal becomes orders. Validated from JSON or objects; every percentage is
 * a decimal (number or string) converted once to exact fixed point.
 *
 * ```json
 * {
 *   "name": "standard",
 *   "entry": { "type": "limit", "offsetPercent": 0.1, "validBars": 3 },
 *   "dca": { "count": 2, "stepPercent": 1, "sizeMultiplier": 1.5 },
 *   "stopLoss": { "type": "percent", "percent": 2 },
 *   "takeProfits": [{ "percent": 2, "share": 0.5 }, { "percent": 4, "share": 0.25 }],
 *   "trailingStop": { "activationPercent": 3, "callbackPercent": 1 },
 *   "breakEvenAfterFirstTarget": true
 * }
 * ```
 * All distances are measured from the entry reference price: the limit price for a limit entry,
 * the open of the bar the order is submitted at for a market entry (live: the current price).
 * - entry: `market`, or `limit` at `offsetPercent` better than the reference (a buy below, a sell
 *   above); an unfilled limit entry is cancelled after `validBars` closed bars (default 3). A market
 *   entry may take `maxSlippage`, the MARKET order's slippage cap (ADR 0061): a fraction of the best
 *   opposite price, from 0 to below 1 (0.005 = 0.5 %); what the cap leaves unfilled expires, and the
 *   exits cover the position the fills opened. A limit entry takes none (its price is its cap).
 * - dca: `count` extra LIMIT orders at `stepPercent`·i against the position (i = 1..count), each
 *   `sizeMultiplier`^i times the first entry's quantity (rounded down to the step from the one
 *   before). The risk budget covers the whole ladder: the entry is sized so that every DCA order
 *   filled, then the stop, loses at most `maxRiskPerTrade` (strategy/risk.ts).
 * - stopLoss: `percent` from the reference, `atr` (`multiple` × ATR(`period`, default 14) at the
 *   signal), or a fixed `price`. Required: the risk sizing needs the stop distance.
 * - takeProfits: levels at `percent` from the reference, each closing `share` of the position
 *   (shares ≤ 1 in total; what is left after the levels rides the stop or the trailing stop).
 * - trailingStop: a TRAILING_STOP_MARKET activated `activationPercent` beyond the reference with a
 *   `callbackPercent` callback, for the whole position.
 * - breakEvenAfterFirstTarget: once the first target fills, the stop moves to the position's
 *   average entry price (rounded to the tick against a loss).
 * - exit: `maxSlippage`, the slippage cap (ADR 0061) of every exit that executes at the market: the
 *   stop, the take-profits and the trailing stop once triggered, and a close of the position at market
 *   (a CLOSE signal, `closePosition`). Same form as the entry's, no cap when absent. What a capped exit
 *   leaves unfilled goes again, capped, at the symbol's next market move until the position is closed
 *   (docs/adr/0065-slippage-cap-on-exits.md). `triggerSource`, `"last"` or `"mark"`: the price the
 *   stop, the take-profits and the trailing stop trigger on (ADR 0066), absent: the engine's setting.
 */
import { formatFixed, ONE, parseFixed, type Fixed } from '../core/money/fixed.js';
import type { TriggerSource } from '../core/orders/order.js';
import { extend } from '../core/objects.js';
import { maxSlippageProblem } from '../core/orders/order-validation.js';
import { decimalText } from './candles.js';

export type EntryTactic =
  | { readonly type: 'market'; readonly maxSlippage?: Fixed }
  | { readonly type: 'limit'; readonly offsetPercent: Fixed; readonly validBars: number };
export type StopLossTactic =
  | { readonly type: 'percent'; readonly percent: Fixed }
  | { readonly type: 'atr'; readonly multiple: Fixed; readonly period: number }
  | { readonly type: 'price'; readonly price: Fixed };

export interface TacticsSet {
  readonly name: string;
  readonly entry: EntryTactic;
  readonly dca?: { readonly count: number; readonly stepPercent: Fixed; readonly sizeMultiplier: Fixed };
  readonly stopLoss: StopLossTactic;
  readonly takeProfits: readonly { readonly percent: Fixed; readonly share: Fixed }[];
  readonly trailingStop?: { readonly activationPercent: Fixed; readonly callbackPercent: Fixed };
  readonly breakEvenAfterFirstTarget: boolean;
  /**
   * The exits' execution: `maxSlippage`, the slippage cap of those that execute at the market (a
   * fraction, as the kernel takes it); `triggerSource`, the price the stop, take-profits and trailing
   * stop trigger on (ADR 0066; absent: the engine's setting).
   */
  readonly exit?: { readonly maxSlippage?: Fixed; readonly triggerSource?: TriggerSource };
}

export class TacticsError extends Error {
  override readonly name = 'TacticsError';
}

type Json = Record<string, unknown>;

function obj(value: unknown, where: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new TacticsError(`${where} must be an object`);
  return value as Json;
}

/** A value as a refusal quotes it: its JSON, or "nothing" for a field left out. */
const shown = (value: unknown): string => (value === undefined ? 'nothing' : JSON.stringify(value));

function dec(value: unknown, where: string, { positive = true, max }: { positive?: boolean; max?: Fixed } = {}): Fixed {
  if (typeof value !== 'number' && typeof value !== 'string') throw new TacticsError(`${where} must be a number, got ${shown(value)}`);
  let v: Fixed;
  try {
    // A number as its digits (decimalText): JSON's 0.0000001 is the number 1e-7, whose String has an exponent.
    v = parseFixed(decimalText(value));
  } catch {
    // NaN and Infinity quoted as themselves (JSON writes them null).
    throw new TacticsError(`${where} must be a plain decimal, got ${typeof value === 'number' ? String(value) : JSON.stringify(value)}`);
  }
  if (positive ? v <= 0n : v < 0n) throw new TacticsError(`${where} must be ${positive ? 'positive' : 'zero or more'}, got ${shown(value)}`);
  if (max !== undefined && v > max) throw new TacticsError(`${where} must be at most ${formatFixed(max)}, got ${shown(value)}`);
  return v;
}

function int(value: unknown, where: string, min: number, fallback?: number): number {
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) throw new TacticsError(`${where} must be a whole number ≥ ${min}, got ${shown(value)}`);
  return value;
}

const HUNDRED = 100n * ONE;

/** An entry's or the exits' slippage cap (a fraction, as the kernel takes it), checked by the kernel's own rule for an order of `type`. */
function slippageCap(value: unknown, type: 'MARKET' | 'LIMIT', where = 'entry.maxSlippage'): Fixed {
  const cap = dec(value, where, { positive: false });
  const problem = maxSlippageProblem(type, cap);
  if (problem !== undefined) throw new TacticsError(`${where}: ${problem}`);
  return cap;
}

/** Validates a tactics set given as JSON or an object; throws `TacticsError` naming the bad field. */
export function parseTactics(input: unknown): TacticsSet {
  const raw = obj(input, 'tactics set');
  const known = new Set(['name', 'entry', 'dca', 'stopLoss', 'takeProfits', 'trailingStop', 'breakEvenAfterFirstTarget', 'exit']);
  for (const key of Object.keys(raw)) if (!known.has(key)) throw new TacticsError(`unknown field "${key}"`);
  const name = raw['name'] ?? 'default';
  if (typeof name !== 'string' || name.length === 0) throw new TacticsError('name must be a non-empty string');

  const e = obj(raw['entry'] ?? { type: 'market' }, 'entry');
  let entry: EntryTactic;
  if (e['type'] === 'market') entry = e['maxSlippage'] === undefined ? { type: 'market' } : { type: 'market', maxSlippage: slippageCap(e['maxSlippage'], 'MARKET') };
  else if (e['type'] === 'limit') {
    if (e['maxSlippage'] !== undefined) slippageCap(e['maxSlippage'], 'LIMIT');
    entry = { type: 'limit', offsetPercent: dec(e['offsetPercent'] ?? 0, 'entry.offsetPercent', { positive: false, max: HUNDRED }), validBars: int(e['validBars'], 'entry.validBars', 1, 3) };
  } else throw new TacticsError('entry.type must be "market" or "limit"');

  let dca: TacticsSet['dca'];
  if (raw['dca'] !== undefined) {
    const d = obj(raw['dca'], 'dca');
    dca = { count: int(d['count'], 'dca.count', 1), stepPercent: dec(d['stepPercent'], 'dca.stepPercent', { max: HUNDRED }), sizeMultiplier: dec(d['sizeMultiplier'] ?? 1, 'dca.sizeMultiplier') };
  }

  const s = obj(raw['stopLoss'], 'stopLoss');
  let stopLoss: StopLossTactic;
  if (s['type'] === 'percent') stopLoss = { type: 'percent', percent: dec(s['percent'], 'stopLoss.percent', { max: HUNDRED }) };
  else if (s['type'] === 'atr') stopLoss = { type: 'atr', multiple: dec(s['multiple'], 'stopLoss.multiple'), period: int(s['period'], 'stopLoss.period', 1, 14) };
  else if (s['type'] === 'price') stopLoss = { type: 'price', price: dec(s['price'], 'stopLoss.price') };
  else throw new TacticsError('stopLoss.type must be "percent", "atr" or "price"');

  const tps = raw['takeProfits'] ?? [];
  if (!Array.isArray(tps)) throw new TacticsError('takeProfits must be an array');
  const takeProfits = tps.map((tp: unknown, i) => {
    const t = obj(tp, `takeProfits[${i}]`);
    return { percent: dec(t['percent'], `takeProfits[${i}].percent`), share: dec(t['share'], `takeProfits[${i}].share`, { max: ONE }) };
  });
  for (let i = 1; i < takeProfits.length; i += 1) {
    if (takeProfits[i]!.percent <= takeProfits[i - 1]!.percent) throw new TacticsError('takeProfits must be in increasing percent');
  }
  if (takeProfits.reduce((sum, tp) => sum + tp.share, 0n) > ONE) throw new TacticsError('takeProfits shares add up to more than 1');

  let trailingStop: TacticsSet['trailingStop'];
  if (raw['trailingStop'] !== undefined) {
    const t = obj(raw['trailingStop'], 'trailingStop');
    trailingStop = { activationPercent: dec(t['activationPercent'] ?? 0, 'trailingStop.activationPercent', { positive: false }), callbackPercent: dec(t['callbackPercent'], 'trailingStop.callbackPercent', { max: HUNDRED }) };
    if (trailingStop.callbackPercent >= HUNDRED) throw new TacticsError('trailingStop.callbackPercent must be below 100');
  }
  const be = raw['breakEvenAfterFirstTarget'] ?? false;
  if (typeof be !== 'boolean') throw new TacticsError('breakEvenAfterFirstTarget must be true or false');
  if (be && takeProfits.length === 0) throw new TacticsError('breakEvenAfterFirstTarget needs at least one take-profit level');
  let exit: TacticsSet['exit'];
  if (raw['exit'] !== undefined) {
    const x = obj(raw['exit'], 'exit');
    for (const key of Object.keys(x)) if (key !== 'maxSlippage' && key !== 'triggerSource') throw new TacticsError(`unknown field "exit.${key}"`);
    const source = x['triggerSource'];
    if (source !== undefined && source !== 'last' && source !== 'mark') throw new TacticsError(`exit.triggerSource must be "last" or "mark", got ${shown(source)}`);
    exit = extend(x['maxSlippage'] === undefined ? {} : { maxSlippage: slippageCap(x['maxSlippage'], 'MARKET', 'exit.maxSlippage') }, source === undefined ? {} : { triggerSource: source });
  }
  return { name, entry, ...(dca ? { dca } : {}), stopLoss, takeProfits, ...(trailingStop ? { trailingStop } : {}), breakEvenAfterFirstTarget: be, ...(exit ? { exit } : {}) };
}

/** The reverse of parseTactics: plain JSON with decimal strings (for snapshots and reports). */
export function tacticsToJson(t: TacticsSet): Json {
  return JSON.parse(JSON.stringify(t, (_k, v: unknown) => (typeof v === 'bigint' ? formatFixed(v) : v))) as Json;
}
