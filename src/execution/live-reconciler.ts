/**
 * Reconciles the live service's own record (the audit log's `venue.*` entries, mode `live`: what
 * was sent and what the venue answered) with what the venue reports now, account by account.
 * Run on start and on demand (POST /api/admin/live/reconcile).
 *
 * Guarantees: a difference is reported, never repaired silently: an order open on the venue that
 * the record does not know (`unknown-to-record`: placed elsewhere with the same keys), an order
 * whose venue status is not the last one recorded (`status-changed`: it filled or was cancelled
 * while the service was not looking), an order the record has that the venue does not know
 * (`missing-on-venue`), an account whose venue could not be read (`unreadable`). An order sent
 * whose createOrder was never answered (a timeout, or the process stopped with the request out) is
 * looked up by its clientOrderId: found on the venue, it is `status-changed` from `UNANSWERED`;
 * unknown there, it never arrived and is settled without a report. Each run appends a
 * `venue.reconcile` entry with the statuses it saw and the unanswered orders it settled, so the
 * next run compares against those.
 * Cost: one open-orders read per account and symbol, plus one order read per recorded order
 * still open in the record and per unanswered order.
 */
import type { AuditEntry, AuditEntryInput } from '../persistence/audit-log.js';
import type { LiveExecutionService, LiveLogger } from './live-execution-service.js';

export type DifferenceKind = 'unknown-to-record' | 'status-changed' | 'missing-on-venue' | 'unreadable';

export interface ReconciliationDifference {
  readonly accountId: string;
  readonly kind: DifferenceKind;
  readonly orderId?: string;
  readonly clientOrderId?: string;
  readonly symbol?: string;
  /** The last status the record holds. */
  readonly recorded?: string;
  /** The status the venue reports. */
  readonly venue?: string;
  readonly message: string;
}

export interface ReconciliationReport {
  readonly at: number;
  readonly accounts: readonly { readonly accountId: string; readonly ordersChecked: number }[];
  readonly differences: readonly ReconciliationDifference[];
}

/** What the reconciler needs from the audit log. */
export interface VenueRecordLog {
  query(q: { accountId?: string; mode?: 'live'; limit?: number; afterId?: number }): Promise<AuditEntry[]>;
  append(entry: AuditEntryInput): Promise<number>;
}

export interface LiveReconcilerOptions {
  /** Accounts to reconcile: those holding exchange keys. */
  accounts(): Promise<readonly string[]>;
  /** The symbols of the account's own market the service trades (exchange form): open orders are read per symbol. */
  symbols(accountId: string): readonly string[];
  readonly logger?: LiveLogger;
  readonly wallClock?: () => number;
}

const OPEN = new Set(['NEW', 'PARTIALLY_FILLED']);
/** The record's status of an order sent whose createOrder got no answer. */
const UNANSWERED = 'UNANSWERED';

interface Recorded {
  orderId: string;
  clientOrderId?: string;
  symbol: string;
  status: string;
}

/** An account's record: orders by id, and orders sent without an answer, by clientOrderId. */
interface AccountRecord {
  readonly orders: Map<string, Recorded>;
  readonly unanswered: Map<string, { clientOrderId: string; symbol: string }>;
}

export class LiveReconciler {
  private report: ReconciliationReport | undefined;

  constructor(
    private readonly live: LiveExecutionService,
    private readonly log: VenueRecordLog,
    private readonly options: LiveReconcilerOptions,
  ) {}

  /** The last report, or undefined before the first run. */
  last(): ReconciliationReport | undefined {
    return this.report;
  }

  async run(): Promise<ReconciliationReport> {
    const clock = this.options.wallClock ?? Date.now;
    const differences: ReconciliationDifference[] = [];
    const accounts: { accountId: string; ordersChecked: number }[] = [];
    for (const accountId of await this.options.accounts()) {
      const { orders: recorded, unanswered } = await this.recorded(accountId);
      const seen = new Map<string, { symbol: string; status: string }>();
      const settled: string[] = [];
      const arrived = (order: { orderId: string; clientOrderId: string; symbol: string; status: string }) => {
        settled.push(order.clientOrderId);
        unanswered.delete(order.clientOrderId);
        diff({ kind: 'status-changed', orderId: order.orderId, clientOrderId: order.clientOrderId, symbol: order.symbol, recorded: UNANSWERED, venue: order.status, message: `order ${order.orderId} (clientOrderId ${order.clientOrderId}) reached the venue although its createOrder was never answered: it is ${order.status}` });
      };
      const diff = (d: Omit<ReconciliationDifference, 'accountId'>) => differences.push({ accountId, ...d });
      let readable = true;
      for (const symbol of this.options.symbols(accountId)) {
        const open = await this.live.openOrders(accountId, symbol);
        if (!open.ok) {
          diff({ kind: 'unreadable', symbol, message: `the venue's open orders could not be read: ${open.error.code}: ${open.error.message}` });
          readable = false;
          break;
        }
        for (const order of open.value) {
          seen.set(order.orderId, { symbol: order.symbol, status: order.status });
          const mine = recorded.get(order.orderId);
          if (mine === undefined && unanswered.has(order.clientOrderId)) {
            arrived(order);
          } else if (mine === undefined) {
            diff({ kind: 'unknown-to-record', orderId: order.orderId, clientOrderId: order.clientOrderId, symbol: order.symbol, venue: order.status, message: `order ${order.orderId} is open on the venue, but this service never placed it` });
          } else if (mine.status !== order.status) {
            diff({ kind: 'status-changed', orderId: order.orderId, symbol: order.symbol, recorded: mine.status, venue: order.status, message: `order ${order.orderId} is ${order.status} on the venue; the record says ${mine.status}` });
          }
        }
      }
      if (readable) {
        for (const mine of recorded.values()) {
          if (!OPEN.has(mine.status) || seen.has(mine.orderId)) continue;
          const now = await this.live.getOrder(accountId, { orderId: mine.orderId, symbol: mine.symbol });
          if (now.ok) {
            seen.set(mine.orderId, { symbol: mine.symbol, status: now.value.status });
            if (now.value.status !== mine.status) diff({ kind: 'status-changed', orderId: mine.orderId, symbol: mine.symbol, recorded: mine.status, venue: now.value.status, message: `order ${mine.orderId} is ${now.value.status} on the venue; the record says ${mine.status}` });
          } else if (now.error.code === 'UNKNOWN_ORDER') {
            seen.set(mine.orderId, { symbol: mine.symbol, status: 'UNKNOWN' });
            diff({ kind: 'missing-on-venue', orderId: mine.orderId, symbol: mine.symbol, recorded: mine.status, message: `order ${mine.orderId} is in the record (${mine.status}) but the venue does not know it` });
          } else {
            diff({ kind: 'unreadable', orderId: mine.orderId, symbol: mine.symbol, message: `order ${mine.orderId} could not be read: ${now.error.code}: ${now.error.message}` });
          }
        }
        for (const sent of [...unanswered.values()]) {
          const now = await this.live.getOrder(accountId, { clientOrderId: sent.clientOrderId, symbol: sent.symbol });
          if (now.ok) {
            seen.set(now.value.orderId, { symbol: now.value.symbol, status: now.value.status });
            arrived({ ...now.value, clientOrderId: sent.clientOrderId });
          } else if (now.error.code === 'UNKNOWN_ORDER') {
            settled.push(sent.clientOrderId); // it never reached the venue
          } else {
            diff({ kind: 'unreadable', clientOrderId: sent.clientOrderId, symbol: sent.symbol, message: `order ${sent.clientOrderId}, sent without an answer, could not be looked up: ${now.error.code}: ${now.error.message}` });
          }
        }
      }
      accounts.push({ accountId, ordersChecked: seen.size });
      const orders = [...seen].map(([orderId, o]) => ({ orderId, symbol: o.symbol, status: o.status }));
      const mineDiffs = differences.filter((d) => d.accountId === accountId);
      await this.log.append({ at: clock(), actor: 'live-venue', mode: 'live', action: 'venue.reconcile', accountId, details: { orders, differences: mineDiffs, ...(settled.length > 0 ? { settled } : {}) } });
      for (const d of mineDiffs) this.options.logger?.warn({ mode: 'live', ...d }, `reconciliation: ${d.message}`);
    }
    this.report = { at: clock(), accounts, differences };
    this.options.logger?.info({ mode: 'live', accounts: accounts.length, differences: differences.length }, 'live record reconciled with the venue');
    return this.report;
  }

  /** The last known status of each order in the account's record, and the orders sent without an answer; oldest entries first. */
  private async recorded(accountId: string): Promise<AccountRecord> {
    const out: AccountRecord = { orders: new Map(), unanswered: new Map() };
    let afterId: number | undefined;
    for (;;) {
      const page = await this.log.query({ accountId, mode: 'live', limit: 10_000, ...(afterId !== undefined ? { afterId } : {}) });
      for (const entry of page) apply(out, entry);
      if (page.length < 10_000) return out;
      afterId = page.at(-1)!.id;
    }
  }
}

function apply(out: AccountRecord, entry: AuditEntry): void {
  const details = entry.details as {
    sent?: { symbol?: unknown; params?: { clientOrderId?: unknown } };
    answered?: Record<string, unknown>;
    orders?: { orderId: string; symbol: string; status: string }[];
    settled?: string[];
  };
  const clientOrderId = details.sent?.params?.clientOrderId;
  if ((entry.action === 'venue.sendOrder' || entry.action === 'venue.createOrder') && typeof clientOrderId === 'string' && typeof details.sent?.symbol === 'string') {
    // Sent, and (for createOrder) answered with no more than "the venue could not be reached".
    const error = details.answered?.error as { code?: unknown } | undefined;
    if (entry.action === 'venue.sendOrder' || error?.code === 'EXCHANGE_UNAVAILABLE') out.unanswered.set(clientOrderId, { clientOrderId, symbol: details.sent.symbol });
    else out.unanswered.delete(clientOrderId);
  }
  if (entry.action === 'venue.createOrder' || entry.action === 'venue.cancelOrder') {
    const a = details.answered ?? {};
    if (typeof a.orderId !== 'string' || typeof a.status !== 'string' || typeof a.symbol !== 'string') return;
    out.orders.set(a.orderId, { orderId: a.orderId, symbol: a.symbol, status: a.status, ...(typeof a.clientOrderId === 'string' ? { clientOrderId: a.clientOrderId } : {}) });
  } else if (entry.action === 'venue.reconcile') {
    for (const o of details.orders ?? []) out.orders.set(o.orderId, { ...out.orders.get(o.orderId), orderId: o.orderId, symbol: o.symbol, status: o.status });
    for (const settled of details.settled ?? []) out.unanswered.delete(settled);
  }
}
