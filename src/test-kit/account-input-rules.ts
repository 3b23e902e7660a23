/**
 * What the kernel fuzzer expects the kernel to refuse in an account input, stated independently of
 * the kernel: balances that are not non-negative decimals under short upper-case asset codes; fee
 * rates that are not decimals within ±1 % (taker ≥ 0, a maker rebate no larger than the taker
 * rate); an unknown fee-asset or margin mode; a leverage outside 1 … the instrument's maximum; a
 * drawdown limit outside (0, 1). Also the parsers the ledger uses for an accepted input.
 */
import type { Instrument } from '../core/instruments/instrument.js';
import type { KernelInput } from '../core/kernel/inputs.js';
import { parseDecimal, type FeeOverrides } from './ledger-model.js';

export function parseFees(raw: unknown): FeeOverrides {
  const f = (raw ?? {}) as Record<string, unknown>;
  return {
    ...(f.maker !== undefined ? { maker: parseDecimal(f.maker)! } : {}),
    ...(f.taker !== undefined ? { taker: parseDecimal(f.taker)! } : {}),
    ...(f.feeAsset !== undefined ? { feeAsset: f.feeAsset as 'quote' | 'received' } : {}),
  };
}

export function parseBalances(raw: unknown): Map<string, bigint> | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const out = new Map<string, bigint>();
  for (const [asset, v] of Object.entries(raw)) {
    const value = parseDecimal(v);
    if (value === undefined) return undefined;
    out.set(asset, value);
  }
  return out;
}

const ASSET = /^[A-Z0-9]{1,20}$/;

export function balancesProblem(raw: unknown): string | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return `balances ${JSON.stringify(raw)}`;
  for (const [asset, v] of Object.entries(raw)) {
    const value = parseDecimal(v);
    if (!ASSET.test(asset)) return `asset name ${JSON.stringify(asset.slice(0, 40))}`;
    if (value === undefined || value < 0n) return `balance ${JSON.stringify(v)?.slice(0, 60)}`;
  }
  return undefined;
}

/** Why an account.open must be refused, or undefined when it may be accepted. */
export function openProblem(input: Extract<KernelInput, { kind: 'account.open' }>, instrument: Instrument): string | undefined {
  const balances = balancesProblem(input.balances);
  if (balances !== undefined) return balances;
  const fees = (input.fees ?? {}) as Record<string, unknown>;
  const max = 10n ** 16n;
  const maker = fees.maker === undefined ? undefined : parseDecimal(fees.maker);
  const taker = fees.taker === undefined ? undefined : parseDecimal(fees.taker);
  if (fees.maker !== undefined && (maker === undefined || maker < -max || maker > max)) return `maker fee ${JSON.stringify(fees.maker)}`;
  if (fees.taker !== undefined && (taker === undefined || taker < 0n || taker > max)) return `taker fee ${JSON.stringify(fees.taker)}`;
  if (maker !== undefined && maker < 0n && -maker > (taker ?? instrument.takerFee)) return `maker rebate ${JSON.stringify(fees.maker)} above the taker fee`;
  if (fees.feeAsset !== undefined && fees.feeAsset !== 'quote' && fees.feeAsset !== 'received') return `feeAsset ${JSON.stringify(fees.feeAsset)}`;
  if (input.type === 'futures') {
    if (input.marginMode !== undefined && input.marginMode !== 'isolated' && input.marginMode !== 'cross') return `marginMode ${JSON.stringify(input.marginMode)}`;
    const lev = input.leverage as unknown;
    if (lev !== undefined && (typeof lev !== 'number' || !Number.isSafeInteger(lev) || lev < 1 || lev > (instrument.maxLeverage ?? 1))) return `leverage ${JSON.stringify(lev)}`;
  }
  const dd = input.risk?.maxDrawdown;
  if (dd !== undefined) {
    const v = parseDecimal(dd);
    if (v === undefined || v <= 0n || v >= 10n ** 18n) return `maxDrawdown ${JSON.stringify(dd)}`;
  }
  return undefined;
}
