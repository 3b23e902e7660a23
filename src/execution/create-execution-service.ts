/**
 * Picks the execution service by the live-trading interlock, once, at start.
 *
 * Guarantees: in paper mode no authenticated exchange client is ever constructed (the factory is
 * not even called), so no code path can reach a private endpoint; live mode is chosen only when
 * the interlock says `live`, and then each account trades with a client of its own keys, read from
 * `exchangeKeys` (sealed at rest) on first use; a refused interlock throws LiveTradingRefusedError
 * naming what is missing, and nothing starts.
 */
import type { AppConfig } from '../config/config.js';
import { checkLiveInterlock, LiveTradingRefusedError } from '../config/live-interlock.js';
import type { ExchangeKeyStore } from '../persistence/exchange-key-store.js';
import type { ExchangeFactory } from './exchange-client.js';
import { LiveExecutionService, type LiveExecutionOptions } from './live-execution-service.js';
import type { OrderExecutionService } from './order-execution-service.js';
import { PaperExecutionService, type PaperExecutionOptions, type PaperExecutionPort } from './paper-execution-service.js';
import { AccountVenueClients } from './venue-clients.js';

export interface CreateExecutionServiceOptions {
  /** Builds each account's live ccxt client (default: `new ccxt[EXCHANGE](options)`). */
  readonly exchangeFactory?: ExchangeFactory;
  /** Each account's exchange credentials; required for live. */
  readonly exchangeKeys?: ExchangeKeyStore;
  readonly paper?: PaperExecutionOptions;
  readonly live?: LiveExecutionOptions;
}

export function createExecutionService(config: AppConfig, paperPort: PaperExecutionPort, options: CreateExecutionServiceOptions = {}): OrderExecutionService {
  const decision = checkLiveInterlock(config);
  switch (decision.mode) {
    case 'paper':
      return new PaperExecutionService(paperPort, options.paper);
    case 'live': {
      if (options.exchangeKeys === undefined || !options.exchangeKeys.available) throw new LiveTradingRefusedError(['CREDENTIALS_KEY (the store of the accounts\' exchange keys could not be opened)']);
      return new LiveExecutionService(new AccountVenueClients(config, options.exchangeKeys, options.exchangeFactory), options.live);
    }
    case 'refused':
      throw new LiveTradingRefusedError(decision.missing);
  }
}
