/**
 * Account commands: open, reset, close, import and export one account, set leverage.
 *
 * Guarantees: a refused command emits ACCOUNT_REJECTED or LEVERAGE_REJECTED (with a code and a
 * message) and changes nothing: every setting is checked against the bounds of
 * accounts/account-settings.ts, and an import document field by field, before anything moves;
 * a reset or close cancels the account's orders first; an imported account's orders get this
 * engine's ids and its open orders rejoin the back of their queues; an opened, reset or imported
 * account is valued (EQUITY) right after the event that made it.
 */
import { checkLeverage, parseBalanceSettings, parseFeeSettings } from '../accounts/account-settings.js';
import { FuturesAccount } from '../accounts/futures-account.js';
import { FuturesOrderSettlement } from '../accounts/futures-settlement.js';
import { changeLeverage } from '../accounts/leverage-change.js';
import { positionEvent } from '../accounts/position-events.js';
import { SpotAccount } from '../accounts/spot-account.js';
import { requiredLock } from '../accounts/spot-settlement.js';
import type { Instrument } from '../instruments/instrument.js';
import { compareArrival } from '../matching/resting-orders.js';
import { restingSince } from '../matching/matching-engine.js';
import { formatFixed, isDecimalString, parseFixed, type Fixed } from '../money/fixed.js';
import { executionType, isConditional, type Order } from '../orders/order.js';
import { isOpenStatus } from '../orders/order-status.js';
import { fail, ok, rejection, type Rejection, type Result } from '../orders/rejection.js';
import { checkAccountDocument } from './account-document-check.js';
import type { Account, HealthState } from './account-health.js';
import type { CloseAccountInput, ImportAccountInput, OpenAccountInput, ResetAccountInput, SetLeverageInput } from './inputs.js';
import { ACCOUNT_DOCUMENT_FORMAT, type AccountDocument, accountFromState, accountToState, encodeDocument, healthFromSnapshot, healthToSnapshot, parseDocument, withFeeState } from './kernel-snapshot.js';
import type { KernelCore, KernelState } from './kernel-state.js';
import { settlementFor } from './order-commands.js';
import { extend } from '../objects.js';

/** One account as a JSON document (the seed's single-record mode); undefined for an unknown id. */
export function exportAccount(s: KernelState, accountId: string): string | undefined {
  const account = s.accountsById.get(accountId);
  if (account === undefined) return undefined;
  const placements: Record<string, 'resting' | 'waiting' | 'conditional'> = {};
  for (const market of s.markets.values()) {
    for (const o of [...market.bids.all(), ...market.asks.all()]) if (o.account === accountId) placements[o.id] = 'resting';
    for (const o of market.waiting) if (o.account === accountId) placements[o.id] = 'waiting';
    for (const o of market.conditionals) if (o.account === accountId) placements[o.id] = 'conditional';
  }
  return encodeDocument({
    format: ACCOUNT_DOCUMENT_FORMAT,
    version: 1,
    exportedAt: s.clock,
    account: accountToState(account),
    // The document keeps its format: the import is the imported account's change (ACCOUNT_IMPORTED).
    health: documentHealth(s.health.get(accountId)!),
    orders: s.orders(accountId).filter((o) => isOpenStatus(o.status)),
    placements,
    clientIds: [...(s.clientIds.get(accountId) ?? new Map<string, string>())].filter(([, id]) => placements[id] !== undefined),
  });
}

/** An account's health as its document states it: without the time of its last change, nor a sample held for a price (the importing engine values the account itself). */
function documentHealth(health: HealthState) {
  const { changedAt: _changedAt, awaitingPrice: _awaitingPrice, awaitingPriceSince: _awaitingPriceSince, priceWaitOver: _priceWaitOver, ...rest } = healthToSnapshot(health);
  return rest;
}

interface PreparedAccount {
  readonly account: Account;
  readonly health: HealthState;
}

/** The cheapest default rates the engine trades at: what a lone maker rebate is measured against. */
function feeDefaults(s: KernelState): { maker: Fixed; taker: Fixed } | undefined {
  let taker: Fixed | undefined;
  for (const market of s.markets.values()) if (taker === undefined || market.instrument.takerFee < taker) taker = market.instrument.takerFee;
  return taker === undefined ? undefined : { maker: 0n, taker };
}

/** The highest default leverage valid on every perpetual this engine trades (1 when it trades none). */
export function maxDefaultLeverage(s: KernelState): number {
  const perpetuals = [...s.markets.values()].map((m) => m.instrument).filter((i) => i.market === 'perpetual');
  return perpetuals.length === 0 ? 1 : Math.min(...perpetuals.map((i) => i.maxLeverage ?? 1));
}

/** Builds the account an open (or a reset) asks for, checking every setting; changes nothing. */
function prepareAccount(s: KernelState, input: OpenAccountInput): Result<PreparedAccount> {
  if (typeof input.account !== 'string' || input.account.length === 0) return fail('INVALID_ORDER', 'account id must be a non-empty string');
  const amounts = parseBalanceSettings(input.balances);
  if (!amounts.ok) return amounts;
  const fees = parseFeeSettings(input.fees, feeDefaults(s));
  if (!fees.ok) return fees;
  if (input.type !== undefined && input.type !== 'spot' && input.type !== 'futures') return fail('INVALID_ORDER', 'type must be "spot" or "futures"');
  let limit: Fixed | undefined;
  if (input.risk !== undefined) {
    const { maxDrawdown, closeOnMaxDrawdown } = input.risk;
    if (maxDrawdown !== undefined) {
      if (!isDecimalString(maxDrawdown)) return fail('INVALID_ORDER', 'maxDrawdown must be a decimal fraction');
      limit = parseFixed(maxDrawdown);
      if (limit <= 0n || limit >= 10n ** 18n) return fail('INVALID_ORDER', 'maxDrawdown must be a fraction between 0 and 1');
    }
    if (closeOnMaxDrawdown !== undefined && typeof closeOnMaxDrawdown !== 'boolean') return fail('INVALID_ORDER', 'closeOnMaxDrawdown must be true or false');
  }
  let account: Account;
  if (input.type === 'futures') {
    const leverage = checkLeverage(input.leverage ?? 1, maxDefaultLeverage(s));
    if (!leverage.ok) return leverage;
    const marginMode = input.marginMode ?? 'isolated';
    if (marginMode !== 'isolated' && marginMode !== 'cross') return fail('INVALID_ORDER', 'marginMode must be "isolated" or "cross"');
    const settle = s.valuationAsset;
    if (amounts.value.some(([asset]) => asset !== settle)) return fail('INVALID_ASSET', `a futures account holds ${settle} only`);
    const futures = new FuturesAccount(input.account, settle, marginMode, fees.value, leverage.value);
    futures.deposit(amounts.value.find(([asset]) => asset === settle)?.[1] ?? 0n);
    account = futures;
  } else {
    if (input.leverage !== undefined) return fail('INVALID_LEVERAGE', 'only a futures account has a leverage');
    const spot = new SpotAccount(input.account, fees.value);
    for (const [asset, value] of amounts.value) spot.deposit(asset, value);
    account = spot;
  }
  return ok({ account, health: { tracker: undefined, limit, closeOnHalt: input.risk?.closeOnMaxDrawdown ?? false, halted: false, lastEquity: 0n } });
}

function accountRejected(s: KernelState, account: unknown, why: Rejection): void {
  s.out.push({ type: 'ACCOUNT_REJECTED', at: s.clock, account: typeof account === 'string' ? account : '', code: why.code, message: why.message });
}

export function openAccount(core: KernelCore, input: OpenAccountInput): void {
  const { s } = core;
  if (typeof input.account === 'string' && s.accountsById.has(input.account)) return accountRejected(s, input.account, rejection('DUPLICATE_ACCOUNT', input.account));
  const prepared = prepareAccount(s, input);
  if (!prepared.ok) return accountRejected(s, input.account, prepared.error);
  install(core, prepared.value);
  s.out.push({ type: 'ACCOUNT_OPENED', at: s.clock, account: input.account, accountType: prepared.value.account.kind, balances: s.flatBalances(input.account) });
  core.sampleEquity(input.account);
}

function install(core: KernelCore, prepared: PreparedAccount): void {
  const { s } = core;
  numberOnFromClosed(s, prepared.account);
  s.accountsById.set(prepared.account.id, prepared.account);
  s.health.set(prepared.account.id, prepared.health);
  s.clientIds.set(prepared.account.id, new Map());
}

/**
 * A futures account opened or imported under the id of a closed one numbers its positions on from
 * the closed one's last (`KernelState.positionSeqs`): a position id (`<account>:<symbol>:<n>`) keys the
 * read tables' positions and trades, which keep the closed account's.
 */
function numberOnFromClosed(s: KernelState, account: Account): void {
  const closedSeq = s.positionSeqs.get(account.id);
  if (closedSeq === undefined || account.kind !== 'futures') return;
  account.positionSeq = Math.max(account.positionSeq, closedSeq);
  s.positionSeqs.delete(account.id);
}

/**
 * `numberOnFromClosed` for an imported account: its positions (named after the exported account's
 * numbers) are numbered again after the closed account's last as well, in symbol order, since those
 * numbers may be the closed account's, whose rows the read tables keep (an imported position whose id
 * names a closed one would get no row of its own).
 */
function renumberOverClosed(s: KernelState, account: Account): void {
  const renumber = account.kind === 'futures' && s.positionSeqs.has(account.id);
  numberOnFromClosed(s, account);
  if (!renumber || account.kind !== 'futures') return;
  for (const symbol of [...account.positions.keys()].sort()) {
    account.positionSeq += 1;
    account.positions.set(symbol, { ...account.positions.get(symbol)!, id: `${account.id}:${symbol}:${account.positionSeq}` });
  }
}

/** Reset or close: cancel the account's orders, forget its positions, then reopen or remove it. */
export function endAccount(core: KernelCore, input: ResetAccountInput | CloseAccountInput): void {
  const { s } = core;
  const account = s.accountsById.get(input.account);
  if (account === undefined) return accountRejected(s, input.account, rejection('UNKNOWN_ACCOUNT'));
  let fresh: PreparedAccount | undefined;
  if (input.kind === 'account.reset') {
    // The new account is built and checked before anything of the old one is touched.
    const prepared = prepareAccount(s, reopening(s, account, input));
    if (!prepared.ok) return accountRejected(s, input.account, prepared.error);
    fresh = prepared.value;
  }
  for (const market of s.markets.values()) core.engine.cancelAll(market, account.id, input.kind === 'account.reset' ? 'ACCOUNT_RESET' : 'ACCOUNT_CLOSED');
  for (let i = s.pending.length - 1; i >= 0; i -= 1) if (s.pending[i]!.input.account === account.id) s.pending.splice(i, 1);
  s.settlements.delete(account.id);
  s.accountsById.delete(account.id);
  if (fresh === undefined) {
    s.health.delete(account.id);
    // The read tables keep the closed account's positions under their ids: an account opened again under this id goes on from its last.
    if (account.kind === 'futures' && account.positionSeq > 0) s.positionSeqs.set(account.id, account.positionSeq);
    s.out.push({ type: 'ACCOUNT_CLOSED', at: s.clock, account: account.id });
    return;
  }
  // Position ids go on from the account's last: the read tables keep the positions it had under theirs.
  if (fresh.account.kind === 'futures' && account.kind === 'futures') fresh.account.positionSeq = account.positionSeq;
  install(core, fresh);
  s.out.push({ type: 'ACCOUNT_RESET', at: s.clock, account: account.id, balances: s.flatBalances(account.id) });
  core.sampleEquity(account.id);
}

/** The open input a reset amounts to: the account's settings, with the new balances (default: its deposits). */
function reopening(s: KernelState, account: Account, input: ResetAccountInput): OpenAccountInput {
  const health = s.health.get(account.id)!;
  const initial: Record<string, string> = {};
  if (account.kind === 'futures') initial[account.settleAsset] = formatFixed(account.ledger.deposits);
  else for (const asset of account.assets()) if (account.ledgerOf(asset).deposits > 0n) initial[asset] = formatFixed(account.ledgerOf(asset).deposits);
  return {
    kind: 'account.open',
    time: input.time,
    account: account.id,
    balances: input.balances ?? initial,
    ...(account.kind === 'futures' ? { type: 'futures', marginMode: account.marginMode, leverage: account.defaultLeverage } : {}),
    fees: extend(account.fees.maker !== undefined ? { maker: formatFixed(account.fees.maker) } : {}, extend(account.fees.taker !== undefined ? { taker: formatFixed(account.fees.taker) } : {}, account.fees.feeAsset !== undefined ? { feeAsset: account.fees.feeAsset } : {})),
    risk: extend(health.limit !== undefined ? { maxDrawdown: formatFixed(health.limit) } : {}, { closeOnMaxDrawdown: health.closeOnHalt }),
  };
}

export function setLeverage(core: KernelCore, input: SetLeverageInput): void {
  const { s } = core;
  const account = s.accountsById.get(input.account);
  const instrument = s.markets.get(input.symbol)?.instrument;
  const refuse = (why: Rejection): void => {
    s.out.push({ type: 'LEVERAGE_REJECTED', at: s.clock, account: input.account, symbol: input.symbol, leverage: input.leverage, code: why.code, message: why.message });
  };
  if (account === undefined) return refuse(rejection('UNKNOWN_ACCOUNT'));
  if (account.kind !== 'futures') return refuse(rejection('NOT_A_FUTURES_ACCOUNT'));
  if (instrument === undefined || instrument.market !== 'perpetual') return refuse(rejection('INVALID_LEVERAGE', `${String(input.symbol)} is not a perpetual`));
  const leverage = checkLeverage(input.leverage, instrument.maxLeverage ?? 1);
  if (!leverage.ok) return refuse(leverage.error);
  // Binance's rules for the change, with the position and the open orders on the symbol (accounts/leverage-change.ts).
  const market = s.markets.get(input.symbol)!;
  const settlement = settlementFor(s, account.id, market);
  if (!(settlement instanceof FuturesOrderSettlement)) throw new Error(`account ${account.id}: a futures account without a futures settlement`);
  const held = account.positions.get(input.symbol);
  const position = held !== undefined && held.size !== 0n ? held : undefined;
  const orders = s.orders(account.id).filter((o) => isOpenStatus(o.status) && o.symbol === input.symbol);
  const marks = (symbol: string): Fixed | undefined => s.markets.get(symbol)?.mark;
  const scope = { account, instrument, position, orders, reservationAt: (o: Order, l: number) => settlement.reservationAt(o, l), marks };
  const refused = changeLeverage(scope, account.leverageOf(input.symbol), leverage.value);
  if (refused !== undefined) return refuse(refused);
  account.leverage.set(input.symbol, leverage.value);
  s.out.push({ type: 'LEVERAGE_SET', at: s.clock, account: input.account, symbol: input.symbol, leverage: leverage.value });
  if (position !== undefined) s.out.push(positionEvent('POSITION_UPDATED', account.id, position, s.clock, instrument, marks));
}

export function importAccount(core: KernelCore, input: ImportAccountInput): void {
  const { s } = core;
  const reject = (why: Rejection, account = input.account ?? ''): void => accountRejected(s, account, why);
  if (input.account !== undefined && (typeof input.account !== 'string' || input.account.length === 0)) return reject(rejection('INVALID_ORDER', 'account id must be a non-empty string'), '');
  let decoded: unknown;
  try {
    decoded = parseDocument(input.document);
  } catch (e) {
    return reject(rejection('INVALID_DOCUMENT', `not JSON: ${e instanceof Error ? e.message : String(e)}`));
  }
  const instruments = new Map([...s.markets].map(([symbol, market]) => [symbol, market.instrument] as const));
  const checked = checkAccountDocument(decoded, instruments);
  if (!checked.ok) return reject(checked.error);
  const document = checked.value;
  const id = input.account ?? document.account.id;
  if (s.accountsById.has(id)) return reject(rejection('DUPLICATE_ACCOUNT', `account ${id} already exists`), id);
  for (const order of document.orders) {
    if (document.placements[order.id] !== undefined && !s.markets.has(order.symbol)) return reject(rejection('UNKNOWN_SYMBOL', `open order ${order.id} is on ${order.symbol}, which this engine does not trade`), id);
  }
  const account = accountFromState({ ...document.account, id });
  if (account instanceof SpotAccount) {
    const underfunded = spotReservationProblem(account, document, instruments);
    if (underfunded !== undefined) return reject(underfunded, id);
  }
  // Position ids name their account: the copy's positions are its own, not the exported account's.
  if (account.kind === 'futures') {
    const from = `${document.account.id}:`;
    for (const [symbol, p] of account.positions) account.positions.set(symbol, { ...p, id: `${id}:${p.id.startsWith(from) ? p.id.slice(from.length) : p.id}` });
  }
  renumberOverClosed(s, account);
  s.accountsById.set(id, account);
  s.health.set(id, healthFromSnapshot(document.health));
  // Orders get ids of this engine, given in their priority among themselves (a stop-limit's
  // arrivalSeq is its trigger's, so the exported id order is not that priority); open ones rejoin
  // the back of their queue, in that priority (`imported`: their ids rank them, triggered or not).
  // A conditional order not yet triggered gets its rank at its trigger here, as any other does.
  const newIds = new Map<string, string>();
  for (const exported of [...document.orders].sort(compareArrival)) {
    s.orderSeq += 1;
    const ranked = !isConditional(exported.type) || exported.triggered;
    const order: Order = { ...withFeeState(exported, ranked), id: String(s.orderSeq), account: id, arrivalSeq: s.sequence };
    newIds.set(exported.id, order.id);
    s.ordersById.set(order.id, order);
    const market = s.markets.get(order.symbol);
    const placement = document.placements[exported.id];
    if (market === undefined || placement === undefined) continue;
    // It works on this venue from now: prints and marks stamped before, still to come on a late tape,
    // happened without it (as for an order that waited for a usable book, ADR 0026). Its times are the
    // exporting engine's: a trigger or an activation later than this clock (a document exported from a
    // live engine, imported into a replay of older data) has not happened here yet, and would keep it
    // from filling or triggering until this tape reached the exporting engine's time; they count from now.
    if (order.triggeredAt !== undefined && order.triggeredAt > s.clock) order.triggeredAt = s.clock;
    if (order.activatedAt !== undefined && order.activatedAt > s.clock) order.activatedAt = s.clock;
    if (s.clock !== restingSince(order)) order.workingTime = s.clock;
    if (placement === 'resting') {
      order.queueAhead = (order.side === 'BUY' ? market.book.bids : market.book.asks).sizeAt(order.price!);
      market.resting(order.side).insert(order);
    } else if (placement === 'waiting') market.waiting.push(order);
    else market.conditionals.push(order);
  }
  s.rebuildIndexes();
  s.recomputeNextExpireTime();
  // Each open order's client id names it, as a placement registers it (the document's map, checked
  // to agree with the orders, may leave one out: the open orders are what holds a client id).
  s.clientIds.set(id, new Map(document.orders.filter((o) => document.placements[o.id] !== undefined).map((o) => [o.clientOrderId, newIds.get(o.id)!] as const)));
  s.out.push({ type: 'ACCOUNT_IMPORTED', at: s.clock, account: id, balances: s.flatBalances(id), openOrders: Object.keys(document.placements).length });
  // Valued as an opened or reset account is: the equity its metrics measure from.
  core.sampleEquity(id);
}

/**
 * Why an imported spot account's open orders cannot be taken as they are (INVALID_DOCUMENT, naming
 * the order's lock), or undefined: each must hold what its remainder can still spend, by the
 * settlement's rules (spot-settlement.ts), which the matching engine relies on at every fill.
 * - An order that executes as a limit (resting, or a stop-limit): its `requiredLock`, the remainder
 *   at its price and, when the fee is in the quote asset, the fee reserve; a sell its remaining base.
 * - At the market, waiting for its arrival or for its trigger: a sell its remaining quantity, a
 *   quote-sized buy the quote it has left. A buy sized by quantity, or a stop-market buy, is checked
 *   against the free balance when it executes (SpotOrderSettlement `checkMarket`, `marketBudget`),
 *   and needs no more than it holds.
 * - The orders of one OCO group that have not acted (not triggered, nothing filled; no bracket)
 *   share one reservation, as the matching engine shares it (`ocoSiblings`, `endSiblings`): together
 *   they hold what the largest of their needs asks. An order of a group that has acted holds its
 *   own: the engine passes it the group's lock when it acts and shares nothing with it after.
 * A lock larger than that is the account's own to keep (released as the order fills or ends).
 */
function spotReservationProblem(account: SpotAccount, document: AccountDocument, instruments: ReadonlyMap<string, Instrument>): Rejection | undefined {
  const groups = new Map<string, { first: number; asset: string; held: Fixed; need: Fixed }>();
  for (const [index, exported] of document.orders.entries()) {
    const instrument = instruments.get(exported.symbol);
    if (document.placements[exported.id] === undefined || instrument === undefined) continue;
    const order = withFeeState(exported);
    const untouched = isConditional(order.type) ? !order.triggered : order.executedQty === 0n;
    const sharing = order.ocoGroup !== undefined && order.bracket === undefined && untouched;
    const key = sharing ? `${order.symbol}\u0000${order.ocoGroup}\u0000${order.lockedAsset}` : `#${index}`;
    const group = groups.get(key) ?? { first: index, asset: order.lockedAsset, held: 0n, need: 0n };
    const need = spotNeed(order, account, instrument);
    group.held += order.locked;
    if (need > group.need) group.need = need;
    groups.set(key, group);
  }
  for (const { first, asset, held, need } of groups.values()) {
    if (held < need) return rejection('INVALID_DOCUMENT', `orders[${first}].locked: holds ${formatFixed(held)} ${asset}; what it can still spend needs ${formatFixed(need)} ${asset}`);
  }
  return undefined;
}

/** What an open spot order must hold (`spotReservationProblem`). */
function spotNeed(order: Order, account: SpotAccount, instrument: Instrument): Fixed {
  if (executionType(order.type) !== 'MARKET') return requiredLock(order, account, instrument);
  if (order.side === 'SELL') return order.quoteOrderQty === undefined ? order.quantity - order.executedQty : 0n;
  return order.quoteOrderQty !== undefined && order.quoteOrderQty > order.cumulativeQuoteQty ? order.quoteOrderQty - order.cumulativeQuoteQty : 0n;
}
