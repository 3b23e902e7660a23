/**
 * Live mode's ports, wired once: each account's venue client from its sealed keys, the live
 * execution facade (recording what it sends and what the venue answers in the audit log, mode
 * `live`), the live read port, and the reconciler of that record with the venue.
 * `papertrade serve` builds these when the interlock says live; tests build them the same way.
 */
import type { AppConfig } from '../config/config.js';
import type { Instrument } from '../core/instruments/instrument.js';
import { extend } from '../core/objects.js';
import type { ExchangeFactory } from '../execution/exchange-client.js';
import { LiveAccountReads } from '../execution/live-account-reads.js';
import { LiveExecutionService, type LiveExecutionOptions } from '../execution/live-execution-service.js';
import { LiveReconciler } from '../execution/live-reconciler.js';
import { AccountVenueClients } from '../execution/venue-clients.js';
import type { AuditLog } from '../persistence/audit-log.js';
import type { CredentialStore } from '../persistence/credential-store.js';
import type { ExchangeKeyStore } from '../persistence/exchange-key-store.js';

export interface LivePortsInput {
  readonly config: Pick<AppConfig, 'exchange' | 'exchangeOptions' | 'exchangeUrls'>;
  readonly exchangeKeys: ExchangeKeyStore;
  readonly audit: AuditLog;
  readonly credentials: CredentialStore;
  /** The instruments the service trades (the kernel's). */
  instruments(): readonly Instrument[];
  readonly exchangeFactory?: ExchangeFactory;
  readonly live?: Omit<LiveExecutionOptions, 'record'>;
  readonly cacheMs?: number;
  /** The account channel's poll of the venue's open orders (default 5,000 ms). */
  readonly pollMs?: number;
  readonly wallClock?: () => number;
}

export interface LivePorts {
  readonly execution: LiveExecutionService;
  readonly reads: LiveAccountReads;
  readonly reconciler: LiveReconciler;
}

export function createLivePorts(input: LivePortsInput): LivePorts {
  const clock = input.wallClock ?? Date.now;
  const clients = new AccountVenueClients(input.config, input.exchangeKeys, input.exchangeFactory);
  const execution = new LiveExecutionService(clients, extend(input.live, {
    // A perpetual's orders go to the venue's perpetual, not to the spot market of the same id.
    marketOf: (symbol) => input.instruments().find((i) => i.symbol === symbol)?.market,
    record: (entry) => input.audit.append({ at: clock(), actor: 'live-venue', mode: 'live', action: `venue.${entry.op}`, accountId: entry.accountId, details: { sent: entry.sent, answered: entry.answered } }),
  }));
  // An account reads and reconciles its own market: a futures account's orders, fills and leverage
  // are on the venue's perpetuals, a spot account's on its spot markets.
  const symbolsOf = (accountId: string) => {
    const market = input.credentials.byAccount(accountId)?.type === 'futures' ? 'perpetual' : 'spot';
    return input.instruments().filter((i) => i.market === market).map((i) => i.symbol);
  };
  const reads = new LiveAccountReads(execution, {
    symbols: symbolsOf,
    baseOf: (symbol) => input.instruments().find((i) => i.symbol === symbol)?.base,
    accountType: (accountId) => input.credentials.byAccount(accountId)?.type,
    ...(input.cacheMs !== undefined ? { cacheMs: input.cacheMs } : {}),
    ...(input.pollMs !== undefined ? { pollMs: input.pollMs } : {}),
    wallClock: clock,
  });
  const reconciler = new LiveReconciler(execution, input.audit, {
    accounts: () => input.exchangeKeys.accounts(),
    symbols: symbolsOf,
    ...(input.live?.logger !== undefined ? { logger: input.live.logger } : {}),
    wallClock: clock,
  });
  return { execution, reads, reconciler };
}
