/**
 * The checks on admin and account settings that a JSON Schema cannot express, because they depend
 * on the engine's instruments (and the schemas' balance rules, for callers without the schemas, such
 * as `papertrade accounts`): fee rates within the bounds of core/instruments/fee-bounds.ts (a lone
 * maker rebate against the instruments' taker rates), leverage within each perpetual's range.
 * Each refusal is a 400 whose message starts with the field it is about.
 */
import { feeTextProblem } from '../core/instruments/fee-bounds.js';
import type { Kernel } from '../core/kernel/kernel.js';
import { HttpError } from './http-errors.js';
import { AMOUNT_PATTERN, ASSET_CODE_PATTERN } from './schemas.js';

function refuse(code: string, field: string, message: string): HttpError {
  return new HttpError(400, { code, message: `${field}: ${message}` });
}

const ASSET = new RegExp(ASSET_CODE_PATTERN);
const AMOUNT = new RegExp(AMOUNT_PATTERN);

/** Balances: short upper-case asset codes, non-negative decimal amounts (the schemas' rules, for callers without them). */
export function checkBalances(balances: Readonly<Record<string, string>> | undefined): void {
  if (balances === undefined) return;
  for (const [asset, amount] of Object.entries(balances)) {
    if (!ASSET.test(asset)) throw refuse('INVALID_REQUEST', 'balances', `${JSON.stringify(asset.slice(0, 40))} is not an asset code (1–20 upper-case letters and digits)`);
    if (typeof amount !== 'string' || !AMOUNT.test(amount)) throw refuse('INVALID_REQUEST', `balances.${asset}`, 'must be a non-negative decimal with at most 18 decimals, e.g. "10000" or "0.5"');
  }
}

/** Fee overrides of a new account: within the bounds against every instrument this engine trades. */
export function checkFees(kernel: Kernel, fees: { readonly maker?: string; readonly taker?: string } | undefined): void {
  if (fees === undefined) return;
  const instruments = kernel.instruments();
  const cheapestTaker = instruments.reduce<bigint | undefined>((min, i) => (min === undefined || i.takerFee < min ? i.takerFee : min), undefined);
  const problem = feeTextProblem(fees, cheapestTaker === undefined ? undefined : { maker: 0n, taker: cheapestTaker });
  if (problem !== undefined) throw refuse('INVALID_REQUEST', `fees.${problem.field}`, problem.message);
}

/** The highest leverage valid on every perpetual this engine trades (1 when it trades none). */
export function maxDefaultLeverage(kernel: Kernel): number {
  const perpetuals = kernel.instruments().filter((i) => i.market === 'perpetual');
  if (perpetuals.length === 0) return 1;
  return Math.min(...perpetuals.map((i) => i.maxLeverage ?? 1));
}

/** A new futures account's default leverage: within every perpetual's range. */
export function checkDefaultLeverage(kernel: Kernel, type: 'spot' | 'futures' | undefined, leverage: number | undefined): void {
  if (leverage === undefined) return;
  if (type !== 'futures') throw refuse('INVALID_REQUEST', 'leverage', 'only a futures account has a leverage');
  const max = maxDefaultLeverage(kernel);
  if (Number.isSafeInteger(leverage) && leverage >= 1 && leverage <= max) return;
  // With no perpetual traded, "from 1 to 1" would read as a rule of the account: say why instead.
  if (!kernel.instruments().some((i) => i.market === 'perpetual')) throw refuse('INVALID_LEVERAGE', 'leverage', `must be 1: this server trades no perpetual (its market data is ${kernel.instruments().map((i) => i.symbol).join(', ')} spot), so no leverage above 1 applies; start it with a perpetual's market data, e.g. REPLAY_RECORDING=data/recordings/binance_usdm_btcusdt_20240808T2354Z`);
  throw refuse('INVALID_LEVERAGE', 'leverage', `must be a whole number from 1 to ${max} (the range of every perpetual traded here)`);
}

/** Leverage for one symbol: a perpetual this engine trades, within its range. */
export function checkSymbolLeverage(kernel: Kernel, symbol: string, leverage: number): void {
  const instrument = kernel.instrument(symbol);
  if (instrument === undefined) throw refuse('UNKNOWN_SYMBOL', 'symbol', `${symbol} is not traded here`);
  if (instrument.market !== 'perpetual') throw refuse('INVALID_LEVERAGE', 'symbol', `${symbol} is not a perpetual: it has no leverage`);
  const max = instrument.maxLeverage ?? 1;
  if (!Number.isSafeInteger(leverage) || leverage < 1 || leverage > max) throw refuse('INVALID_LEVERAGE', 'leverage', `must be a whole number from 1 to ${max} on ${symbol}`);
}
