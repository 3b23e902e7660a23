/**
 * The bounds an account's settings must keep, checked before anything changes.
 *
 * - Fee rates keep the bounds of instruments/fee-bounds.ts: |rate| ≤ 0.01 (1 %), the taker rate
 *   never negative, a maker rebate never larger than the taker rate; feeAsset is "received" or
 *   "quote".
 * - Balances are non-negative decimals below 10^20 per asset, under asset codes of 1 to 20
 *   upper-case letters or digits (BTC, USDT, 1INCH), as the API edge's schemas have them.
 * - Leverage is a whole number from 1 to the instrument's maximum; an account's default leverage
 *   must be valid on every perpetual the engine trades (1 when it trades none).
 */
import { isDecimalString, parseFixed, SCALE, type Fixed } from '../money/fixed.js';
import type { FeeAssetMode, FeeSchedule } from '../matching/fee-model.js';
import { feeRateProblem } from '../instruments/fee-bounds.js';
import { fail, ok, type Result } from '../orders/rejection.js';
import { extend } from '../objects.js';

/** Balances stay below this (20 integer digits, as the API edge accepts). */
export const BALANCE_LIMIT: Fixed = 10n ** 20n * SCALE;
export const ASSET_CODE = /^[A-Z0-9]{1,20}$/;
const FEE_ASSET_MODES: readonly FeeAssetMode[] = ['received', 'quote'];

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A fee schedule keeps the bounds of instruments/fee-bounds.ts (the same check as the API edge);
 * a rebate is measured against `taker`, else the lowest default taker rate the engine trades at.
 */
export function checkFeeSchedule(fees: FeeSchedule, defaults?: { readonly maker: Fixed; readonly taker: Fixed }): Result<FeeSchedule> {
  if (fees.feeAsset !== undefined && !FEE_ASSET_MODES.includes(fees.feeAsset)) return fail('INVALID_FEES', 'feeAsset must be "received" or "quote"');
  const problem = feeRateProblem(fees, defaults);
  return problem === undefined ? ok(fees) : fail('INVALID_FEES', `fees.${problem.field}: ${problem.message}`);
}

/** Fee overrides as an input gives them (decimal strings), parsed and checked. */
export function parseFeeSettings(raw: unknown, defaults?: { readonly maker: Fixed; readonly taker: Fixed }): Result<FeeSchedule> {
  if (raw === undefined) return ok({});
  if (!isRecord(raw)) return fail('INVALID_FEES', 'fees must be an object');
  for (const key of Object.keys(raw)) if (!['maker', 'taker', 'feeAsset'].includes(key)) return fail('INVALID_FEES', `unknown field fees.${key}`);
  const rate = (name: 'maker' | 'taker'): Result<Fixed | undefined> => {
    const v = raw[name];
    if (v === undefined) return ok(undefined);
    return isDecimalString(v) ? ok(parseFixed(v)) : fail('INVALID_FEES', `${name} must be a decimal string such as "0.001"`);
  };
  const maker = rate('maker');
  if (!maker.ok) return maker;
  const taker = rate('taker');
  if (!taker.ok) return taker;
  const feeAsset = raw.feeAsset;
  if (feeAsset !== undefined && !FEE_ASSET_MODES.includes(feeAsset as FeeAssetMode)) return fail('INVALID_FEES', 'feeAsset must be "received" or "quote"');
  return checkFeeSchedule(extend(maker.value !== undefined ? { maker: maker.value } : {}, extend(taker.value !== undefined ? { taker: taker.value } : {}, feeAsset !== undefined ? { feeAsset: feeAsset as FeeAssetMode } : {})), defaults);
}

export function checkAsset(asset: unknown): Result<string> {
  return typeof asset === 'string' && ASSET_CODE.test(asset) ? ok(asset) : fail('INVALID_ASSET', `${JSON.stringify(asset)} is not an asset code (1 to 20 upper-case letters or digits)`);
}

export function checkAmount(asset: string, amount: Fixed): Result<Fixed> {
  if (amount < 0n) return fail('INVALID_BALANCE', `${asset}: a balance cannot be negative`);
  if (amount >= BALANCE_LIMIT) return fail('INVALID_BALANCE', `${asset}: must be below 10^20`);
  return ok(amount);
}

/** Starting balances as an input gives them: asset code → non-negative decimal string; sorted by asset. */
export function parseBalanceSettings(raw: unknown): Result<Array<readonly [string, Fixed]>> {
  if (!isRecord(raw)) return fail('INVALID_BALANCE', 'balances must be an object of asset → decimal string');
  const out: Array<readonly [string, Fixed]> = [];
  for (const [asset, value] of Object.entries(raw)) {
    const code = checkAsset(asset);
    if (!code.ok) return code;
    if (!isDecimalString(value)) return fail('INVALID_BALANCE', `${asset}: ${JSON.stringify(value)} is not a decimal string`);
    const amount = checkAmount(asset, parseFixed(value));
    if (!amount.ok) return amount;
    out.push([asset, amount.value]);
  }
  return ok(out.sort((a, b) => (a[0] < b[0] ? -1 : 1)));
}

export function checkLeverage(leverage: unknown, max: number): Result<number> {
  if (typeof leverage !== 'number' || !Number.isSafeInteger(leverage) || leverage < 1 || leverage > max) {
    return fail('INVALID_LEVERAGE', `leverage must be a whole number from 1 to ${max}`);
  }
  return ok(leverage);
}
