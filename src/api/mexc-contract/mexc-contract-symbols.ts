/**
 * MEXC contract names and sizes over the engine's perpetuals: `BTC_USDT` is the perpetual whose
 * base is BTC and quote USDT (the engine's `BTCUSDT`), and MEXC counts its size in contracts.
 *
 * Contract sizes are MEXC's own (`GET /api/v1/contract/detail`, `contractSize`): BTC_USDT 0.0001 BTC,
 * ETH_USDT 0.01 ETH; a perpetual MEXC does not list here counts one step of the engine's rules per
 * contract. Every other rule (tick, step, minimum and maximum quantity, leverage, fees, margin
 * tiers) is the engine's instrument's, stated in contracts: one step of 0.001 BTC is 10 contracts.
 * Conversions are exact decimals: quantity = vol × contractSize.
 */
import type { Instrument } from '../../core/instruments/instrument.js';
import { div, formatFixed, mulExact, parseFixed, type Fixed } from '../../core/money/fixed.js';
import type { Kernel } from '../../core/kernel/kernel.js';

/** MEXC's contract sizes by base asset (MEXC contract detail, 2024–2026). */
const MEXC_CONTRACT_SIZES: Readonly<Record<string, string>> = { BTC: '0.0001', ETH: '0.01' };

/** A perpetual as MEXC's contract API names and sizes it. */
export interface Contract {
  /** MEXC's name, `BTC_USDT`. */
  readonly symbol: string;
  readonly instrument: Instrument;
  /** Base units per contract. */
  readonly contractSize: Fixed;
}

export function contractSizeOf(instrument: Instrument): Fixed {
  const mexc = MEXC_CONTRACT_SIZES[instrument.base];
  return mexc !== undefined ? parseFixed(mexc) : instrument.stepSize;
}

export function contractOf(instrument: Instrument): Contract {
  return { symbol: `${instrument.base}_${instrument.quote}`, instrument, contractSize: contractSizeOf(instrument) };
}

/** The engine's perpetuals as MEXC contracts, by MEXC name. */
export function contracts(kernel: Kernel): Contract[] {
  return kernel.instruments().filter((i) => i.market === 'perpetual').map(contractOf);
}

/** The contract MEXC calls `symbol` (`BTC_USDT`), if the engine trades it. */
export function findContract(kernel: Kernel, symbol: string): Contract | undefined {
  return contracts(kernel).find((c) => c.symbol === symbol);
}

/** The contract of one of the engine's symbols (`BTCUSDT`), if it is a perpetual. */
export function contractOfSymbol(kernel: Kernel, engineSymbol: string): Contract | undefined {
  const instrument = kernel.instrument(engineSymbol);
  return instrument?.market === 'perpetual' ? contractOf(instrument) : undefined;
}

/** Base quantity (decimal string) → contracts (decimal string), exact to 18 digits. */
export function volOf(contract: Contract, quantity: string | Fixed): string {
  const q = typeof quantity === 'string' ? parseFixed(quantity) : quantity;
  return formatFixed(div(q, contract.contractSize, 'half-up'));
}

/** Contracts (decimal string) → base quantity (decimal string), exact. */
export function quantityOfVol(contract: Contract, vol: string): string {
  return formatFixed(mulExact(parseFixed(vol), contract.contractSize));
}
