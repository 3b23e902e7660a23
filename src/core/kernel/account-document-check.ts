/**
 * An account document checked field by field against the export format before an import changes
 * anything: every field of `exportAccount`'s output present with its type and range, nothing else,
 * and the numbers consistent with each other (balances equal to their ledger, locks equal to the
 * open orders' reservations, a futures position's margin consistent with its size, entry and
 * leverage), and each open order's terms as its placement checked them (`termsProblem`: its shape,
 * a trailing stop's stop, the instrument's spec rules, a bracket's exits), so that an imported
 * account satisfies the kernel's invariants and holds no order its venue would refuse or the
 * matching engine could not run.
 * The first problem is reported with its path, e.g. `account.balances[0][1].free: …`.
 */
import { checkAmount, checkAsset, checkFeeSchedule } from '../accounts/account-settings.js';
import type { Instrument } from '../instruments/instrument.js';
import type { FeeSchedule } from '../matching/fee-model.js';
import { initialMarginOf } from '../accounts/leverage-change.js';
import { formatFixed, type Fixed } from '../money/fixed.js';
import { ORDER_STATUSES, isOpenStatus } from '../orders/order-status.js';
import { ORDER_TYPES, executionType, isConditional, trailingStopPrice, type BracketExits, type ExitLeg, type Order } from '../orders/order.js';
import { fail, ok, type Result } from '../orders/rejection.js';
import { ACCOUNT_DOCUMENT_FORMAT, type AccountDocument } from './kernel-snapshot.js';
import { extend } from '../objects.js';
import { checkExchangeRules, SPEC_RULES, type PlacementContext } from '../matching/exchange-rules.js';
import { validateOrder, type OrderRequest } from '../orders/order-validation.js';
import { bracketOf } from './bracket-exits.js';
import type { PlaceOrderInput } from './inputs.js';

type Json = Record<string, unknown>;

class DocumentError extends Error {}

const problem = (path: string, message: string): never => {
  throw new DocumentError(`${path}: ${message}`);
};

function object(v: unknown, path: string, keys: readonly string[], optional: readonly string[] = []): Json {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return problem(path, 'must be an object');
  const o = v as Json;
  for (const key of keys) if (!(key in o)) problem(`${path}.${key}`, 'is missing');
  for (const key of Object.keys(o)) if (!keys.includes(key) && !optional.includes(key)) problem(`${path}.${key}`, 'is not a field of this format');
  return o;
}

function array(v: unknown, path: string): unknown[] {
  return Array.isArray(v) ? v : problem(path, 'must be an array');
}

function text(v: unknown, path: string): string {
  return typeof v === 'string' && v.length > 0 && v.length <= 200 ? v : problem(path, 'must be a non-empty string');
}

function integer(v: unknown, path: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= min && v <= max ? v : problem(path, `must be a whole number from ${min} to ${max}`);
}

function flag(v: unknown, path: string): boolean {
  return typeof v === 'boolean' ? v : problem(path, 'must be true or false');
}

function amount(v: unknown, path: string, min?: Fixed): Fixed {
  if (typeof v !== 'bigint') return problem(path, 'must be an amount ({"$n": "…"})');
  if (min !== undefined && v < min) problem(path, `must be at least ${formatFixed(min)}`);
  return v;
}

function optionalAmount(o: Json, key: string, path: string, min?: Fixed): Fixed | undefined {
  return o[key] === undefined ? undefined : amount(o[key], `${path}.${key}`, min);
}

function oneOf<T extends string>(v: unknown, path: string, values: readonly T[]): T {
  return values.includes(v as T) ? (v as T) : problem(path, `must be one of ${values.join(', ')}`);
}

function asset(v: unknown, path: string): string {
  const checked = checkAsset(v);
  return checked.ok ? checked.value : problem(path, checked.error.message);
}

function fees(v: unknown, path: string): FeeSchedule {
  const o = object(v, path, [], ['maker', 'taker', 'feeAsset']);
  const schedule: FeeSchedule = extend(o.maker !== undefined ? { maker: amount(o.maker, `${path}.maker`) } : {}, extend(o.taker !== undefined ? { taker: amount(o.taker, `${path}.taker`) } : {}, o.feeAsset !== undefined ? { feeAsset: oneOf(o.feeAsset, `${path}.feeAsset`, ['received', 'quote'] as const) } : {}));
  const checked = checkFeeSchedule(schedule);
  return checked.ok ? schedule : problem(path, checked.error.message);
}

function balanceAmount(v: unknown, path: string, name: string): Fixed {
  const value = amount(v, path);
  const checked = checkAmount(name, value);
  return checked.ok ? value : problem(path, checked.error.message);
}

const SPOT_KEYS = ['kind', 'id', 'fees', 'balances', 'ledger'] as const;
const FUTURES_KEYS = ['kind', 'id', 'fees', 'settleAsset', 'marginMode', 'defaultLeverage', 'cash', 'reserved', 'positions', 'leverage', 'ledger', 'positionSeq'] as const;

const ORDER_KEYS = [
  'id', 'clientOrderId', 'account', 'symbol', 'side', 'type', 'quantity', 'submittedAt', 'arrivesAt', 'arrivalSeq', 'status',
  'executedQty', 'cumulativeQuoteQty', 'locked', 'lockedAsset', 'queueAhead', 'updatedAt', 'leverage', 'reduceOnly', 'triggered',
] as const;
const ORDER_OPTIONAL = ['price', 'quoteOrderQty', 'stopPrice', 'activationPrice', 'callbackRate', 'trailPeak', 'triggeredAt', 'ocoGroup', 'bracket', 'maxSlippage', 'triggerSource', 'expireTime', 'feeExact', 'feeCharged', 'activatedAt', 'workingTime', 'imported'] as const;

function order(v: unknown, path: string, maxLeverage: number): Order {
  const o = object(v, path, ORDER_KEYS, ORDER_OPTIONAL);
  const quantity = amount(o.quantity, `${path}.quantity`, 0n);
  const executedQty = amount(o.executedQty, `${path}.executedQty`, 0n);
  const quoteOrderQty = optionalAmount(o, 'quoteOrderQty', path, 1n);
  if (quoteOrderQty === undefined && executedQty > quantity) problem(`${path}.executedQty`, 'exceeds the quantity');
  const type = oneOf(o.type, `${path}.type`, ORDER_TYPES);
  const price = optionalAmount(o, 'price', path, 1n);
  if (price === undefined && executionType(type) !== 'MARKET') problem(`${path}.price`, `is missing (a ${type} order has a price)`);
  const maxSlippage = optionalAmount(o, 'maxSlippage', path, 0n);
  if (maxSlippage !== undefined && (maxSlippage >= 10n ** 18n || executionType(type) !== 'MARKET')) problem(`${path}.maxSlippage`, 'is a fraction below 1, on an order that executes at the market');
  // Absent: the importing engine's setting, as for documents written before the field (ADR 0066).
  const triggerSource = o.triggerSource === undefined ? undefined : oneOf(o.triggerSource, `${path}.triggerSource`, ['last', 'mark'] as const);
  if (triggerSource !== undefined && !isConditional(type)) problem(`${path}.triggerSource`, `applies to conditional orders, not to a ${type} order`);
  return {
    id: text(o.id, `${path}.id`),
    clientOrderId: text(o.clientOrderId, `${path}.clientOrderId`),
    account: text(o.account, `${path}.account`),
    symbol: text(o.symbol, `${path}.symbol`),
    side: oneOf(o.side, `${path}.side`, ['BUY', 'SELL'] as const),
    type,
    price,
    quantity,
    quoteOrderQty,
    submittedAt: integer(o.submittedAt, `${path}.submittedAt`),
    arrivesAt: integer(o.arrivesAt, `${path}.arrivesAt`),
    arrivalSeq: integer(o.arrivalSeq, `${path}.arrivalSeq`),
    ...(o.imported !== undefined && flag(o.imported, `${path}.imported`) ? { imported: true as const } : {}),
    status: oneOf(o.status, `${path}.status`, ORDER_STATUSES),
    executedQty,
    cumulativeQuoteQty: amount(o.cumulativeQuoteQty, `${path}.cumulativeQuoteQty`, 0n),
    locked: amount(o.locked, `${path}.locked`, 0n),
    lockedAsset: asset(o.lockedAsset, `${path}.lockedAsset`),
    queueAhead: amount(o.queueAhead, `${path}.queueAhead`, 0n),
    updatedAt: integer(o.updatedAt, `${path}.updatedAt`),
    leverage: integer(o.leverage, `${path}.leverage`, 1, maxLeverage),
    reduceOnly: flag(o.reduceOnly, `${path}.reduceOnly`),
    stopPrice: optionalAmount(o, 'stopPrice', path, 1n),
    activationPrice: optionalAmount(o, 'activationPrice', path, 1n),
    callbackRate: optionalAmount(o, 'callbackRate', path, 1n),
    trailPeak: optionalAmount(o, 'trailPeak', path, 1n),
    triggered: flag(o.triggered, `${path}.triggered`),
    triggeredAt: o.triggeredAt === undefined ? undefined : integer(o.triggeredAt, `${path}.triggeredAt`),
    ocoGroup: o.ocoGroup === undefined ? undefined : text(o.ocoGroup, `${path}.ocoGroup`),
    ...(o.bracket !== undefined ? { bracket: bracket(o.bracket, `${path}.bracket`) } : {}),
    ...(maxSlippage !== undefined ? { maxSlippage } : {}),
    ...(triggerSource !== undefined ? { triggerSource } : {}),
    ...(o.expireTime !== undefined ? { expireTime: integer(o.expireTime, `${path}.expireTime`) } : {}),
    feeExact: optionalAmount(o, 'feeExact', path) ?? 0n,
    feeCharged: optionalAmount(o, 'feeCharged', path) ?? 0n,
    ...(o.activatedAt !== undefined ? { activatedAt: integer(o.activatedAt, `${path}.activatedAt`) } : {}),
    ...(o.workingTime !== undefined ? { workingTime: integer(o.workingTime, `${path}.workingTime`) } : {}),
  };
}

/** A bracket entry's exits: legs of {stopPrice, price?}, the quantity handed to exits, the pairs placed. */
function bracket(v: unknown, path: string): BracketExits {
  const b = object(v, path, ['placed', 'pairs'], ['takeProfit', 'stopLoss']);
  const leg = (raw: unknown, at: string): ExitLeg | undefined => {
    if (raw === undefined) return undefined;
    const l = object(raw, at, ['stopPrice'], ['price', 'triggerSource']);
    const checked = { stopPrice: amount(l.stopPrice, `${at}.stopPrice`, 1n), price: optionalAmount(l, 'price', at, 1n) };
    return l.triggerSource === undefined ? checked : extend(checked, { triggerSource: oneOf(l.triggerSource, `${at}.triggerSource`, ['last', 'mark'] as const) });
  };
  return { takeProfit: leg(b.takeProfit, `${path}.takeProfit`), stopLoss: leg(b.stopLoss, `${path}.stopLoss`), placed: amount(b.placed, `${path}.placed`, 0n), pairs: integer(b.pairs, `${path}.pairs`) };
}

/**
 * An open order's terms, checked as its placement checked them, so that no edit brings in an order
 * the engine would have refused or cannot run:
 * - their shape (order-validation.ts `validateOrder`: the fields its type takes and needs, e.g. a
 *   trailing stop's callbackRate between 0 and 1, quoteOrderQty on MARKET orders only);
 * - a trailing stop's stop, once it trails, as the matching engine derives it from the best price
 *   reached (`trailPeak` × (1 ∓ callbackRate), to the tick away from the market), and none before;
 * - the rules of its instrument that depend on the terms alone (exchange-rules.ts `SPEC_RULES`:
 *   PRICE_FILTER, LOT_SIZE, MARKET_LOT_SIZE, TRAILING_DELTA), on the quantity it was placed for
 *   (not its remainder; a quote-sized order names none);
 * - a bracket entry's exit legs (bracket-exits.ts `bracketOf`: on the tick, within PRICE_FILTER,
 *   each on its side of the entry's price and of the other leg).
 * An edited document, or one from an engine whose instrument had another tick, must not bring in a
 * price the venue would never quote or fill at, nor terms the matching engine cannot run.
 */
function termsProblem(o: Order, path: string, instrument: Instrument): void {
  const trailing = o.type === 'TRAILING_STOP_MARKET';
  const request: OrderRequest = {
    side: o.side,
    type: o.type,
    quantity: o.quoteOrderQty === undefined ? o.quantity : undefined,
    quoteOrderQty: o.quoteOrderQty,
    price: o.price,
    // A trailing stop's stopPrice is the engine's (checked below), not a term it was placed with.
    stopPrice: trailing ? undefined : o.stopPrice,
    activationPrice: o.activationPrice,
    callbackRate: o.callbackRate,
    maxSlippage: o.maxSlippage,
  };
  const shaped = validateOrder(request);
  if (!shaped.ok) problem(path, shaped.error.message);
  if (trailing) trailProblem(o, path, instrument);
  else if (o.trailPeak !== undefined) problem(`${path}.trailPeak`, `only a trailing stop has one, not a ${o.type} order`);
  const terms = extend(request, { stopPrice: o.stopPrice });
  for (const rule of SPEC_RULE_SETS) {
    const checked = checkExchangeRules(terms, instrument, NO_PLACEMENT, rule.only);
    if (!checked.ok) problem(path, `${instrument.symbol}'s ${rule.name} refuses it: ${checked.error.message}`);
  }
  if (o.bracket !== undefined) bracketProblem(o, o.bracket, `${path}.bracket`, instrument);
}

/** A trailing stop trails from `trailPeak`: its stopPrice is the engine's (`trailingStopPrice`); before it trails, it has neither. */
function trailProblem(o: Order, path: string, instrument: Instrument): void {
  if (o.trailPeak === undefined) {
    if (o.stopPrice !== undefined) problem(`${path}.stopPrice`, 'a trailing stop has a stop only once it trails (with its trailPeak)');
    return;
  }
  const rate = o.callbackRate!;
  const stop = trailingStopPrice(o.side, o.trailPeak, rate, instrument.tickSize);
  if (o.stopPrice !== stop) {
    problem(`${path}.stopPrice`, `must be ${formatFixed(stop)}: trailPeak ${formatFixed(o.trailPeak)} × (1 ${o.side === 'SELL' ? '−' : '+'} callbackRate ${formatFixed(rate)}), to the tick ${formatFixed(instrument.tickSize)}`);
  }
}

/**
 * The exits an open bracket entry will place, as its placement checked them: `bracketOf` on the legs
 * as text, against the entry's own price or stop. A trailing stop's stop moves after its placement,
 * which measured the legs from the book then (as for a MARKET entry): its legs are checked against
 * each other and the instrument, not against the stop.
 */
function bracketProblem(o: Order, bracket: BracketExits, path: string, instrument: Instrument): void {
  const legText = (leg: ExitLeg | undefined) => (leg === undefined ? undefined : extend({ stopPrice: formatFixed(leg.stopPrice) }, leg.price !== undefined ? { price: formatFixed(leg.price) } : {}));
  const reference = o.type === 'TRAILING_STOP_MARKET' ? undefined : (o.price ?? o.stopPrice);
  const checked = bracketOf({ takeProfit: legText(bracket.takeProfit), stopLoss: legText(bracket.stopLoss), ocoGroup: o.ocoGroup, reduceOnly: o.reduceOnly } as PlaceOrderInput, instrument, o.side, reference);
  if (!checked.ok) problem(path, checked.error.message);
}

/** Each spec rule on its own, so that a refusal names its rule. */
const SPEC_RULE_SETS = SPEC_RULES.map((name) => ({ name, only: new Set([name]) }));

/** The spec rules read no placement context; this one answers nothing of the moment. */
const NO_PLACEMENT: PlacementContext = { reduceOnly: false, averagePrice: undefined, markPrice: undefined, triggerPrice: undefined, openOrders: 0, openAlgoOrders: 0 };

/** Checks a decoded document; `instruments` are the engine's (open orders must be on one of them). */
export function checkAccountDocument(decoded: unknown, instruments: ReadonlyMap<string, Instrument>): Result<AccountDocument> {
  try {
    return ok(check(decoded, instruments));
  } catch (e) {
    if (e instanceof DocumentError) return fail('INVALID_DOCUMENT', e.message);
    throw e;
  }
}

function check(decoded: unknown, instruments: ReadonlyMap<string, Instrument>): AccountDocument {
  const doc = object(decoded, 'document', ['format', 'version', 'exportedAt', 'account', 'health', 'orders', 'placements', 'clientIds']);
  if (doc.format !== ACCOUNT_DOCUMENT_FORMAT) problem('document.format', `must be "${ACCOUNT_DOCUMENT_FORMAT}"`);
  if (doc.version !== 1) problem('document.version', 'must be 1');
  integer(doc.exportedAt, 'document.exportedAt');
  const maxLeverage = Math.max(1, ...[...instruments.values()].map((i) => i.maxLeverage ?? 1));

  const kind = oneOf(object(doc.account, 'account', ['kind'], [...SPOT_KEYS, ...FUTURES_KEYS]).kind, 'account.kind', ['spot', 'futures'] as const);
  object(doc.account, 'account', kind === 'spot' ? SPOT_KEYS : FUTURES_KEYS);
  const lockedByAsset = new Map<string, Fixed>();
  const orders = array(doc.orders, 'orders').map((o, i) => order(o, `orders[${i}]`, maxLeverage));
  const ids = new Set(orders.map((o) => o.id));
  if (ids.size !== orders.length) problem('orders', 'order ids must be unique');
  const placements = object(doc.placements, 'placements', [], [...ids]);
  for (const o of orders) {
    const path = `orders[${orders.indexOf(o)}]`;
    const where = placements[o.id];
    if (isOpenStatus(o.status) !== (where !== undefined)) problem(`placements.${o.id}`, isOpenStatus(o.status) ? 'an open order needs a placement' : 'only open orders have a placement');
    if (!isOpenStatus(o.status)) {
      if (o.locked !== 0n) problem(`${path}.locked`, 'a closed order holds nothing');
      continue;
    }
    const placement = oneOf(where, `placements.${o.id}`, ['resting', 'waiting', 'conditional'] as const);
    if (o.quoteOrderQty === undefined && o.executedQty >= o.quantity) problem(`${path}.executedQty`, `an open order has something left to fill (status ${o.status}, ${formatFixed(o.executedQty)} of ${formatFixed(o.quantity)} executed)`);
    // Counted for an order on an unknown symbol too, which the import then refuses as UNKNOWN_SYMBOL
    // naming the symbol, rather than the balances' check as a lock without an order.
    lockedByAsset.set(o.lockedAsset, (lockedByAsset.get(o.lockedAsset) ?? 0n) + o.locked);
    const instrument = instruments.get(o.symbol);
    if (instrument === undefined) continue;
    if ((instrument.market === 'perpetual') !== (kind === 'futures')) problem(`${path}.symbol`, `a ${kind} account cannot hold an order on ${o.symbol}`);
    if (placement === 'resting' && (o.price === undefined || executionType(o.type) === 'MARKET')) problem(`placements.${o.id}`, 'only a priced order rests');
    if (placement === 'conditional' && (!isConditional(o.type) || o.triggered)) problem(`placements.${o.id}`, 'only an untriggered conditional order waits for its trigger');
    if (placement !== 'conditional' && isConditional(o.type) && !o.triggered) problem(`placements.${o.id}`, `an untriggered ${o.type} order waits for its trigger (placement "conditional"), not "${placement}"`);
    if (kind === 'spot' && o.lockedAsset !== (o.side === 'BUY' ? instrument.quote : instrument.base)) problem(`${path}.lockedAsset`, `must be the asset a ${o.side} spends`);
    termsProblem(o, path, instrument);
  }
  // Two open orders never share a client id (the kernel refuses the second), and the map names each
  // client id once, the order that holds it: else an imported account would refuse a free client id
  // and take one an open order holds.
  const openByClientId = new Map<string, number>();
  orders.forEach((o, i) => {
    if (!isOpenStatus(o.status)) return;
    const other = openByClientId.get(o.clientOrderId);
    if (other !== undefined) problem(`orders[${i}].clientOrderId`, `"${o.clientOrderId}" is also the client id of open order orders[${other}]`);
    openByClientId.set(o.clientOrderId, i);
  });
  const byId = new Map(orders.map((o) => [o.id, o] as const));
  const mapped = new Set<string>();
  array(doc.clientIds, 'clientIds').forEach((entry, i) => {
    const pair = array(entry, `clientIds[${i}]`);
    if (pair.length !== 2) problem(`clientIds[${i}]`, 'must be [clientOrderId, orderId]');
    const client = text(pair[0], `clientIds[${i}][0]`);
    const id = text(pair[1], `clientIds[${i}][1]`);
    const named = byId.get(id);
    if (named === undefined) return problem(`clientIds[${i}][1]`, 'names no order of the document');
    if (mapped.has(client)) problem(`clientIds[${i}][0]`, `"${client}" is mapped twice`);
    mapped.add(client);
    if (named.clientOrderId !== client) problem(`clientIds[${i}]`, `order ${id}'s client id is "${named.clientOrderId}", not "${client}"`);
  });

  const health = object(doc.health, 'health', ['closeOnHalt', 'halted', 'lastEquity'], ['tracker', 'limit']);
  flag(health.closeOnHalt, 'health.closeOnHalt');
  flag(health.halted, 'health.halted');
  amount(health.lastEquity, 'health.lastEquity');
  if (health.limit !== undefined) {
    const limit = amount(health.limit, 'health.limit');
    if (limit <= 0n || limit >= 10n ** 18n) problem('health.limit', 'must be a fraction between 0 and 1');
  }
  if (health.tracker !== undefined) {
    const tracker = array(health.tracker, 'health.tracker');
    if (tracker.length !== 4) problem('health.tracker', 'must hold 4 amounts');
    tracker.forEach((v, i) => amount(v, `health.tracker[${i}]`));
  }

  if (kind === 'spot') checkSpot(doc.account, lockedByAsset);
  else checkFutures(doc.account, lockedByAsset, maxLeverage, instruments);
  return doc as unknown as AccountDocument;
}

function checkSpot(v: unknown, lockedByAsset: ReadonlyMap<string, Fixed>): void {
  const a = object(v, 'account', SPOT_KEYS);
  text(a.id, 'account.id');
  fees(a.fees, 'account.fees');
  const balances = new Map<string, { free: Fixed; locked: Fixed }>();
  array(a.balances, 'account.balances').forEach((entry, i) => {
    const path = `account.balances[${i}]`;
    const pair = array(entry, path);
    if (pair.length !== 2) problem(path, 'must be [asset, {free, locked}]');
    const name = asset(pair[0], `${path}[0]`);
    if (balances.has(name)) problem(`${path}[0]`, `${name} appears twice`);
    const b = object(pair[1], `${path}[1]`, ['free', 'locked']);
    balances.set(name, { free: balanceAmount(b.free, `${path}[1].free`, name), locked: balanceAmount(b.locked, `${path}[1].locked`, name) });
  });
  const ledgers = new Map<string, Fixed>();
  array(a.ledger, 'account.ledger').forEach((entry, i) => {
    const path = `account.ledger[${i}]`;
    const pair = array(entry, path);
    if (pair.length !== 2) problem(path, 'must be [asset, {deposits, traded, fees}]');
    const name = asset(pair[0], `${path}[0]`);
    const l = object(pair[1], `${path}[1]`, ['deposits', 'traded', 'fees']);
    ledgers.set(name, amount(l.deposits, `${path}[1].deposits`, 0n) + amount(l.traded, `${path}[1].traded`) - amount(l.fees, `${path}[1].fees`));
  });
  for (const [name, b] of balances) {
    if (ledgers.get(name) !== b.free + b.locked) problem('account.ledger', `${name}: free + locked does not equal its ledger`);
    if ((lockedByAsset.get(name) ?? 0n) !== b.locked) problem('account.balances', `${name}: locked does not equal what the open orders hold`);
  }
  for (const name of ledgers.keys()) if (!balances.has(name)) problem('account.ledger', `${name} has no balance`);
  for (const [name, held] of lockedByAsset) if (held !== 0n && !balances.has(name)) problem('account.balances', `${name}: open orders hold it but it has no balance`);
}

function checkFutures(v: unknown, lockedByAsset: ReadonlyMap<string, Fixed>, maxLeverage: number, instruments: ReadonlyMap<string, Instrument>): void {
  const a = object(v, 'account', FUTURES_KEYS);
  text(a.id, 'account.id');
  fees(a.fees, 'account.fees');
  const settle = asset(a.settleAsset, 'account.settleAsset');
  const marginMode = oneOf(a.marginMode, 'account.marginMode', ['isolated', 'cross'] as const);
  integer(a.defaultLeverage, 'account.defaultLeverage', 1, maxLeverage);
  const cash = balanceAmount(a.cash, 'account.cash', settle);
  const reserved = balanceAmount(a.reserved, 'account.reserved', settle);
  integer(a.positionSeq, 'account.positionSeq');
  let margins = 0n;
  const symbols = new Set<string>();
  array(a.positions, 'account.positions').forEach((p, i) => {
    const path = `account.positions[${i}]`;
    const o = object(p, path, ['id', 'symbol', 'size', 'entryPrice', 'leverage', 'margin', 'realizedPnl', 'totalFundingPaid', 'feesPaid', 'openedAt']);
    text(o.id, `${path}.id`);
    const symbol = text(o.symbol, `${path}.symbol`);
    if (symbols.has(symbol)) problem(`${path}.symbol`, `${symbol} appears twice`);
    symbols.add(symbol);
    // A position the engine cannot mark (no such perpetual here) or one bought at no price would
    // break every read of the account, or show its whole notional as profit.
    const instrument = instruments.get(symbol);
    if (instrument === undefined || instrument.market !== 'perpetual') problem(`${path}.symbol`, `${symbol} is not a perpetual this engine trades`);
    const size = amount(o.size, `${path}.size`);
    const entryPrice = amount(o.entryPrice, `${path}.entryPrice`, 0n);
    if (size !== 0n && entryPrice === 0n) problem(`${path}.entryPrice`, 'must be positive for an open position');
    const leverage = integer(o.leverage, `${path}.leverage`, 1, instrument?.maxLeverage ?? maxLeverage);
    const margin = amount(o.margin, `${path}.margin`, 0n);
    margins += margin;
    for (const key of ['realizedPnl', 'totalFundingPaid', 'feesPaid']) amount(o[key], `${path}.${key}`);
    checkPositionMargin(path, size, entryPrice, leverage, margin, o.totalFundingPaid as Fixed, marginMode, instrument!);
    integer(o.openedAt, `${path}.openedAt`);
  });
  array(a.leverage, 'account.leverage').forEach((entry, i) => {
    const pair = array(entry, `account.leverage[${i}]`);
    if (pair.length !== 2) problem(`account.leverage[${i}]`, 'must be [symbol, leverage]');
    text(pair[0], `account.leverage[${i}][0]`);
    integer(pair[1], `account.leverage[${i}][1]`, 1, maxLeverage);
  });
  const l = object(a.ledger, 'account.ledger', ['deposits', 'realizedPnl', 'fees', 'funding']);
  const expected = amount(l.deposits, 'account.ledger.deposits', 0n) + amount(l.realizedPnl, 'account.ledger.realizedPnl') - amount(l.fees, 'account.ledger.fees') - amount(l.funding, 'account.ledger.funding');
  if (cash + margins + reserved !== expected) problem('account.ledger', 'cash + margins + reservations do not equal the ledger');
  if ((lockedByAsset.get(settle) ?? 0n) !== reserved) problem('account.reserved', 'does not equal what the open orders hold');
  for (const name of lockedByAsset.keys()) if (name !== settle && lockedByAsset.get(name) !== 0n) problem('orders', `an order holds ${name}, not the settlement asset`);
}

/**
 * A position's margin and leverage as the engine leaves them (what an export holds):
 * - a closed position (size 0) holds no margin (its close released all of it);
 * - an open one may lie past the bracket of its leverage at |size| × entry: the engine checks the
 *   bracket at placement on the order's price and the position at the mark (position-limit.ts), so a
 *   limit sold below the bids, or an add after the mark fell below the entry, leaves |size| × entry
 *   past the cap it checked; its maintenance margin then takes the bracket of its notional;
 * - its margin is the initial margin |size| × entry / leverage, as fills add it (down to the quote's
 *   commission precision), less what funding has taken from it: at least that less the funding paid,
 *   and in cross margin at most that (received funding goes to the cash); an isolated position keeps
 *   the margin of a lower leverage after an increase, so its bound is the margin at 1x plus the
 *   funding received. Each bound allows a millionth of the margin for the per-fill rounding.
 */
function checkPositionMargin(path: string, size: Fixed, entry: Fixed, leverage: number, margin: Fixed, fundingPaid: Fixed, mode: 'isolated' | 'cross', instrument: Instrument): void {
  const quote = instrument.quote;
  if (size === 0n) {
    if (margin !== 0n) problem(`${path}.margin`, `a closed position (size 0) holds no margin, not ${formatFixed(margin)} ${quote}`);
    return;
  }
  const initial = initialMarginOf(size, entry, leverage, instrument);
  const slack = initial / 1_000_000n + 10n ** BigInt(18 - instrument.quoteCommissionPrecision);
  const paid = fundingPaid > 0n ? fundingPaid : 0n;
  if (margin + paid + slack < initial) {
    problem(`${path}.margin`, `${formatFixed(margin)} ${quote} is below size × entryPrice / leverage = ${formatFixed(initial)} ${quote}${paid > 0n ? ` less the funding paid ${formatFixed(paid)}` : ''}`);
  }
  const ceiling = mode === 'cross' ? initial : initialMarginOf(size, entry, 1, instrument) - (fundingPaid < 0n ? fundingPaid : 0n);
  if (margin > ceiling + slack) {
    problem(`${path}.margin`, mode === 'cross'
      ? `${formatFixed(margin)} ${quote} is above size × entryPrice / leverage = ${formatFixed(initial)} ${quote} (cross margin)`
      : `${formatFixed(margin)} ${quote} is above size × entryPrice = ${formatFixed(ceiling)} ${quote} with the funding received (an isolated margin at 1x)`);
  }
}
