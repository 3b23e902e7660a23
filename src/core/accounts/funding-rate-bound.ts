/**
 * The widest funding rate the kernel applies, either sign: 3 % of the notional per funding time.
 *
 * Why this bound (docs/adr/0006, section of 2026-12-02): no instrument spec papertrade loads carries
 * a funding cap (the bundled specs do not, and ccxt's markets do not unify one), so one bound serves
 * every perpetual. Exchanges cap the rate: Binance USDⓈ-M clamps it to ± the maintenance margin
 * ratio (0.4 % for BTCUSDT's first bracket) and publishes the symbols it widened in
 * `GET /fapi/v1/fundingInfo` (`adjustedFundingRateCap` / `adjustedFundingRateFloor`, at most
 * 0.03 / −0.03 in the values it has published); MEXC reports `maxFundingRate` / `minFundingRate`
 * per contract (±0.0018 on BTC_USDT). A rate beyond ±3 % is no exchange's and would move a
 * position's margin by more than the exchange ever lets funding move it (a rate of −5 credits a
 * 0.1 BTC long 5 × its notional); the kernel refuses it as INPUT_REJECTED and changes nothing.
 */
import { abs, formatFixed, parseFixed, type Fixed } from '../money/fixed.js';

export const MAX_FUNDING_RATE: Fixed = parseFixed('0.03');

/** Why `rate` cannot be applied, or undefined when it can. */
export function fundingRateProblem(rate: Fixed): string | undefined {
  if (abs(rate) <= MAX_FUNDING_RATE) return undefined;
  return `funding rate ${formatFixed(rate)} is beyond ±${formatFixed(MAX_FUNDING_RATE)} (3 % a funding time, the widest cap Binance USDⓈ-M publishes; docs/adr/0006)`;
}
