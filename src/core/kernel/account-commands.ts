/**
 * Account commands: open, reset, close, import and export one account, set leverage.
 *
 * Guarantees: a refused command emits ACCOUNT_REJECTED or LEVERAGE_REJECTED and changes nothing;
 * a reset or close cancels the account's orders first; an imported account's orders get this
 * engine's ids and its open orders rejoin the back of their queues.
 */
import { FuturesAccount } from '../accounts/futures-account.js';
import { SpotAccount, type FeeSchedule } from '../accounts/spot-account.js';
import { formatFixed, parseFixed } from '../money/fixed.js';
import type { Order } from '../orders/order.js';
import { isOpenStatus } from '../orders/order-status.js';
import { rejection, type Rejection, type RejectionCode } from '../orders/rejection.js';
import type { Account } from './account-health.js';
import type { CloseAccountInput, ImportAccountInput, OpenAccountInput, ResetAccountInput, SetLeverageInput } from './inputs.js';
import { ACCOUNT_DOCUMENT_FORMAT, accountFromState, accountToState, decodeDocument, encodeDocument, healthFromSnapshot, healthToSnapshot, type AccountDocument } from './kernel-snapshot.js';
import type { KernelCore, KernelState } from './kernel-state.js';

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
    health: healthToSnapshot(s.health.get(accountId)!),
    orders: s.orders(accountId),
    placements,
    clientIds: [...(s.clientIds.get(accountId) ?? new Map<string, string>())],
  });
}

export function openAccount(core: KernelCore, input: OpenAccountInput): void {
  const { s } = core;
  const reject = (why: Rejection): void => {
    s.out.push({ type: 'ACCOUNT_REJECTED', at: s.clock, account: input.account, code: why.code, message: why.message });
  };
  if (typeof input.account !== 'string' || input.account.length === 0) return reject(rejection('INVALID_ORDER', 'account id must be a non-empty string'));
  if (s.accountsById.has(input.account)) return reject(rejection('DUPLICATE_ACCOUNT', input.account));
  let account: Account;
  try {
    const amounts = Object.entries(input.balances)
      .map(([asset, amount]) => [asset, parseFixed(amount)] as const)
      .sort((a, b) => (a[0] < b[0] ? -1 : 1));
    if (amounts.some(([, v]) => v < 0n)) return reject(rejection('INVALID_ORDER', 'balances must not be negative'));
    const fees: FeeSchedule = {
      ...(input.fees?.maker !== undefined ? { maker: parseFixed(input.fees.maker) } : {}),
      ...(input.fees?.taker !== undefined ? { taker: parseFixed(input.fees.taker) } : {}),
      ...(input.fees?.feeAsset !== undefined ? { feeAsset: input.fees.feeAsset } : {}),
    };
    if (input.type === 'futures') {
      const leverage = input.leverage ?? 1;
      if (!Number.isSafeInteger(leverage) || leverage < 1) return reject(rejection('INVALID_LEVERAGE', `${leverage}`));
      const settle = s.valuationAsset;
      const others = amounts.filter(([asset]) => asset !== settle);
      if (others.length > 0) return reject(rejection('INVALID_ORDER', `a futures account holds ${settle} only`));
      const futures = new FuturesAccount(input.account, settle, input.marginMode ?? 'isolated', fees, leverage);
      futures.deposit(amounts.find(([asset]) => asset === settle)?.[1] ?? 0n);
      account = futures;
    } else {
      const spot = new SpotAccount(input.account, fees);
      for (const [asset, value] of amounts) spot.deposit(asset, value);
      account = spot;
    }
    const limit = input.risk?.maxDrawdown === undefined ? undefined : parseFixed(input.risk.maxDrawdown);
    if (limit !== undefined && (limit <= 0n || limit >= 10n ** 18n)) return reject(rejection('INVALID_ORDER', 'maxDrawdown must be a fraction between 0 and 1'));
    s.health.set(input.account, { tracker: undefined, limit, closeOnHalt: input.risk?.closeOnMaxDrawdown ?? false, halted: false, lastEquity: 0n });
  } catch (e) {
    return reject(rejection('INVALID_ORDER', e instanceof Error ? e.message : String(e)));
  }
  s.accountsById.set(input.account, account);
  s.clientIds.set(input.account, new Map());
  s.out.push({ type: 'ACCOUNT_OPENED', at: s.clock, account: input.account, accountType: account.kind, balances: s.flatBalances(input.account) });
  core.sampleEquity(input.account);
}

/** Reset or close: cancel the account's orders, forget its positions, then reopen or remove it. */
export function endAccount(core: KernelCore, input: ResetAccountInput | CloseAccountInput): void {
  const { s } = core;
  const account = s.accountsById.get(input.account);
  if (account === undefined) {
    s.out.push({ type: 'ACCOUNT_REJECTED', at: s.clock, account: input.account, code: 'UNKNOWN_ACCOUNT', message: rejection('UNKNOWN_ACCOUNT').message });
    return;
  }
  for (const market of s.markets.values()) core.engine.cancelAll(market, account.id, input.kind === 'account.reset' ? 'ACCOUNT_RESET' : 'ACCOUNT_CLOSED');
  for (let i = s.pending.length - 1; i >= 0; i -= 1) if (s.pending[i]!.input.account === account.id) s.pending.splice(i, 1);
  for (const key of [...s.settlements.keys()]) if (key.startsWith(`${account.id}\u0000`)) s.settlements.delete(key);
  s.accountsById.delete(account.id);
  if (input.kind === 'account.close') {
    s.health.delete(account.id);
    s.out.push({ type: 'ACCOUNT_CLOSED', at: s.clock, account: account.id });
    return;
  }
  const health = s.health.get(account.id)!;
  const initial: Record<string, string> = {};
  if (account.kind === 'futures') initial[account.settleAsset] = formatFixed(account.ledger.deposits);
  else for (const asset of account.assets()) if (account.ledgerOf(asset).deposits > 0n) initial[asset] = formatFixed(account.ledgerOf(asset).deposits);
  const balances = input.balances ?? initial;
  const reopened: OpenAccountInput = {
    kind: 'account.open',
    time: input.time,
    account: account.id,
    balances,
    ...(account.kind === 'futures' ? { type: 'futures', marginMode: account.marginMode, leverage: account.defaultLeverage } : {}),
    fees: {
      ...(account.fees.maker !== undefined ? { maker: formatFixed(account.fees.maker) } : {}),
      ...(account.fees.taker !== undefined ? { taker: formatFixed(account.fees.taker) } : {}),
      ...(account.fees.feeAsset !== undefined ? { feeAsset: account.fees.feeAsset } : {}),
    },
    risk: { ...(health.limit !== undefined ? { maxDrawdown: formatFixed(health.limit) } : {}), closeOnMaxDrawdown: health.closeOnHalt },
  };
  const before = s.out.length;
  openAccount(core, reopened);
  const opened = s.out.slice(before).find((e) => e.type === 'ACCOUNT_OPENED');
  if (opened === undefined) {
    // The new balances were refused: keep the account as it was.
    s.accountsById.set(account.id, account);
    return;
  }
  s.out.splice(s.out.indexOf(opened), 1, { type: 'ACCOUNT_RESET', at: s.clock, account: account.id, balances: opened.type === 'ACCOUNT_OPENED' ? opened.balances : {} });
}

export function setLeverage(core: KernelCore, input: SetLeverageInput): void {
  const { s } = core;
  const account = s.accountsById.get(input.account);
  const instrument = s.markets.get(input.symbol)?.instrument;
  const reply = (ok: boolean, message?: string): void => {
    s.out.push({ type: ok ? 'LEVERAGE_SET' : 'LEVERAGE_REJECTED', at: s.clock, account: input.account, symbol: input.symbol, leverage: input.leverage, ...(message ? { message } : {}) });
  };
  if (account === undefined) return reply(false, rejection('UNKNOWN_ACCOUNT').message);
  if (account.kind !== 'futures') return reply(false, rejection('NOT_A_FUTURES_ACCOUNT').message);
  if (instrument === undefined || instrument.market !== 'perpetual') return reply(false, `${input.symbol} is not a perpetual`);
  const max = instrument.maxLeverage ?? 1;
  if (!Number.isSafeInteger(input.leverage) || input.leverage < 1 || input.leverage > max) return reply(false, `leverage must be a whole number from 1 to ${max}`);
  const position = account.positions.get(input.symbol);
  if (position !== undefined && position.size !== 0n) return reply(false, 'close the position before changing its leverage');
  if (s.orders(account.id).some((o) => isOpenStatus(o.status) && o.symbol === input.symbol)) return reply(false, 'cancel the open orders on this symbol first');
  account.leverage.set(input.symbol, input.leverage);
  reply(true);
}

export function importAccount(core: KernelCore, input: ImportAccountInput): void {
  const { s } = core;
  const reject = (code: RejectionCode, message: string, account = input.account ?? '') => {
    s.out.push({ type: 'ACCOUNT_REJECTED', at: s.clock, account, code, message });
  };
  let document: AccountDocument;
  try {
    document = decodeDocument(input.document);
  } catch (e) {
    return reject('INVALID_ORDER', e instanceof Error ? e.message : String(e));
  }
  const id = input.account ?? document.account.id;
  if (s.accountsById.has(id)) return reject('DUPLICATE_ACCOUNT', `account ${id} already exists`, id);
  for (const order of document.orders) {
    if (document.placements[order.id] !== undefined && !s.markets.has(order.symbol)) return reject('UNKNOWN_SYMBOL', `open order ${order.id} is on ${order.symbol}, which this engine does not trade`, id);
  }
  const account = accountFromState({ ...document.account, id });
  s.accountsById.set(id, account);
  s.health.set(id, healthFromSnapshot(document.health));
  // Orders get ids of this engine; open ones rejoin the back of their queue.
  const newIds = new Map<string, string>();
  for (const exported of document.orders) {
    s.orderSeq += 1;
    const order: Order = { ...exported, id: String(s.orderSeq), account: id, arrivalSeq: s.sequence };
    newIds.set(exported.id, order.id);
    s.ordersById.set(order.id, order);
    const market = s.markets.get(order.symbol);
    const placement = document.placements[exported.id];
    if (market === undefined || placement === undefined) continue;
    if (placement === 'resting') {
      order.queueAhead = (order.side === 'BUY' ? market.book.bids : market.book.asks).sizeAt(order.price!);
      market.resting(order.side).insert(order);
    } else if (placement === 'waiting') market.waiting.push(order);
    else market.conditionals.push(order);
  }
  s.clientIds.set(id, new Map(document.clientIds.flatMap(([client, old]) => (newIds.has(old) ? [[client, newIds.get(old)!] as const] : []))));
  s.out.push({ type: 'ACCOUNT_IMPORTED', at: s.clock, account: id, balances: s.flatBalances(id), openOrders: Object.keys(document.placements).length });
}

