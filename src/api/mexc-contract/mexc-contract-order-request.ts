/**
 * What a MEXC contract order body asks for, validated as MEXC does (`order/create`, and the order a
 * trigger order places, mexc-contract-plan-routes.ts): the engine's order and its terms in MEXC's
 * units. Refusals are MEXC contract errors (mexc-contract-errors.ts), thrown before anything is placed.
 */
import { formatFixed, isDecimalString } from '../../core/money/fixed.js';
import { extend } from '../../core/objects.js';
import type { TriggerSource } from '../../core/orders/order.js';
import type { AccountProfile } from '../../persistence/credential-store.js';
import type { PlaceOrderRequest } from '../service-deps.js';
import type { ContractContext } from './mexc-contract-api.js';
import { contractErrors, type ContractOrderTerms } from './mexc-contract-errors.js';
import { ORDER_TYPE_OF_CODE } from './mexc-contract-mappers.js';
import { quantityOfVol } from './mexc-contract-symbols.js';

const EXTERNAL_OID = /^[A-Za-z0-9_.:-]{1,32}$/;

/** MEXC's `openType` of the account's margin mode: 1 isolated, 2 cross. */
export function contractOpenType(ctx: ContractContext, accountId: string): 1 | 2 {
  const account = ctx.deps.hub.kernel.account(accountId);
  return account?.kind === 'futures' && account.marginMode === 'cross' ? 2 : 1;
}

/** A JSON number (read as written: exact-json.ts) or numeric string as the decimal text it stands for; undefined when absent. */
export function decimalField(body: Record<string, unknown>, name: string): string | undefined {
  const value = body[name];
  if (value === undefined || value === null || value === '') return undefined;
  const text = typeof value === 'number' ? String(value) : value;
  if (!isDecimalString(text) || text.startsWith('-')) throw contractErrors.param(`${name} must be a positive decimal`);
  return text;
}

/** A JSON integer, or a string of decimal digits (Number() would also read " 1", "0x1", "1e0" and "1.0" as 1). */
export function intField(body: Record<string, unknown>, name: string): number | undefined {
  const value = body[name];
  if (value === undefined || value === null || value === '') return undefined;
  const n = typeof value === 'string' ? (/^-?[0-9]{1,15}$/.test(value) ? Number(value) : Number.NaN) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n)) throw contractErrors.param(`${name} must be an integer`);
  return n;
}

/**
 * An attached exit's `profitTrend` / `lossTrend` (MEXC's trigger price type: 1 latest price, 2 fair
 * price, 3 index price) as the exit leg's `triggerSource`: {} when unsent (the engine's setting),
 * 'last' for 1, 'mark' for 2 (the fair price is MEXC's mark price). 3 is refused: the engine has no
 * index price stream; anything else is a parameter error (600).
 */
function trendOf(body: Record<string, unknown>, name: 'profitTrend' | 'lossTrend'): { triggerSource?: TriggerSource } {
  const trend = intField(body, name);
  if (trend === undefined) return {};
  if (trend === 1) return { triggerSource: 'last' };
  if (trend === 2) return { triggerSource: 'mark' };
  if (trend === 3) throw contractErrors.notSupported(`${name} 3 (the index price)`);
  throw contractErrors.param(`${name} must be 1 (latest price), 2 (fair price) or 3 (index price)`);
}

/** The order a MEXC `order/create` body describes, validated as MEXC does, and its terms in MEXC's units. */
export function contractOrderRequest(ctx: ContractContext, account: AccountProfile, raw: unknown): { order: PlaceOrderRequest; terms: ContractOrderTerms } {
  const kernel = () => ctx.deps.hub.kernel;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw contractErrors.param('the body must be a JSON object');
  const body = raw as Record<string, unknown>;
  const c = ctx.contract(body.symbol);
  if (kernel().account(account.accountId)?.kind !== 'futures') throw contractErrors.notFutures();
  const vol = decimalField(body, 'vol');
  if (vol === undefined) throw contractErrors.param('vol is required');
  // The base quantity is vol × the contract size, in the kernel's 18 decimals or not at all.
  let quantity: string;
  try {
    quantity = quantityOfVol(c, vol);
  } catch {
    throw contractErrors.param(`vol ${vol} is not a whole number of ${formatFixed(c.contractSize)} ${c.instrument.base} contracts to 18 decimals`);
  }
  const side = intField(body, 'side');
  if (side === undefined || side < 1 || side > 4) throw contractErrors.param('side must be 1 (open long), 2 (close short), 3 (open short) or 4 (close long)');
  const typeCode = intField(body, 'type');
  const type = typeCode === undefined ? undefined : ORDER_TYPE_OF_CODE[typeCode];
  if (type === undefined) throw contractErrors.param('type must be 1 (limit), 2 (post only), 3 (IOC), 4 (FOK), 5 or 6 (market)');
  const openType = intField(body, 'openType');
  if (openType !== 1 && openType !== 2) throw contractErrors.wrongOpenType('openType must be 1 (isolated) or 2 (cross)');
  const accountOpenType = contractOpenType(ctx, account.accountId);
  if (openType !== accountOpenType) throw contractErrors.wrongOpenType(`this account trades ${accountOpenType === 1 ? 'isolated margin (openType 1)' : 'cross margin (openType 2)'}`);
  if (body.positionMode !== undefined && intField(body, 'positionMode') !== 2) throw contractErrors.notSupported('hedge mode (positionMode 1)');
  const leverage = intField(body, 'leverage');
  const state = kernel().account(account.accountId);
  if (leverage !== undefined && state?.kind === 'futures' && leverage !== state.leverageOf(c.instrument.symbol)) {
    throw contractErrors.leverage(`${c.symbol} trades at ${state.leverageOf(c.instrument.symbol)}x; change it with position/change_leverage first`);
  }
  const externalOid = body.externalOid;
  if (externalOid !== undefined && (typeof externalOid !== 'string' || !EXTERNAL_OID.test(externalOid))) throw contractErrors.param('externalOid: up to 32 letters, digits, _ . : -');
  const price = decimalField(body, 'price');
  if (type !== 'MARKET' && price === undefined) throw contractErrors.param('price is required');
  // Attached take-profit and stop-loss: market exits of what the order fills (a bracket).
  const takeProfit = decimalField(body, 'takeProfitPrice');
  const stopLoss = decimalField(body, 'stopLossPrice');
  const profitTrend = trendOf(body, 'profitTrend');
  const lossTrend = trendOf(body, 'lossTrend');
  const orderSide = side === 1 || side === 2 ? 'BUY' : 'SELL';
  const terms: ContractOrderTerms = { contract: c, vol, side: orderSide, ...(type !== 'MARKET' ? { price: price! } : {}) };
  const order: PlaceOrderRequest = {
    symbol: c.instrument.symbol,
    side: orderSide,
    type,
    quantity,
    ...(type !== 'MARKET' ? { price: price! } : {}),
    ...(side === 2 || side === 4 ? { reduceOnly: true } : {}),
    ...(typeof externalOid === 'string' ? { clientOrderId: externalOid } : {}),
    ...(takeProfit !== undefined ? { takeProfit: extend({ stopPrice: takeProfit }, profitTrend) } : {}),
    ...(stopLoss !== undefined ? { stopLoss: extend({ stopPrice: stopLoss }, lossTrend) } : {}),
  };
  return { order, terms };
}
