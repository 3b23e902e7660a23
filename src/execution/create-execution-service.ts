/**
 * Picks the execution service by the live-trading interlock, once, at start.
 *
 * Guarantees: in paper mode no authenticated exchange client is ever constructed (the factory is
 * not even called), so no code path can reach a private endpoint; live mode is chosen only when
 * the interlock says `live`; a refused interlock throws LiveTradingRefusedError naming what is
 * missing, and nothing starts.
 */
import type { AppConfig } from '../config/config.js';
import { checkLiveInterlock, LiveTradingRefusedError } from '../config/live-interlock.js';
import { createExchangeClient, type ExchangeFactory } from './exchange-client.js';
import { LiveExecutionService, type LiveExecutionOptions } from './live-execution-service.js';
import type { OrderExecutionService } from './order-execution-service.js';
import { PaperExecutionService, type PaperExecutionOptions, type PaperExecutionPort } from './paper-execution-service.js';

export interface CreateExecutionServiceOptions {
  /** Builds the live ccxt client (default: `new ccxt[EXCHANGE](options)`). */
  readonly exchangeFactory?: ExchangeFactory;
  readonly paper?: PaperExecutionOptions;
  readonly live?: LiveExecutionOptions;
}

export function createExecutionService(config: AppConfig, paperPort: PaperExecutionPort, options: CreateExecutionServiceOptions = {}): OrderExecutionService {
  const decision = checkLiveInterlock(config);
  switch (decision.mode) {
    case 'paper':
      return new PaperExecutionService(paperPort, options.paper);
    case 'live': {
      const exchange = createExchangeClient(config, { authenticated: true, ...(options.exchangeFactory !== undefined ? { factory: options.exchangeFactory } : {}) });
      return new LiveExecutionService(exchange, options.live);
    }
    case 'refused':
      throw new LiveTradingRefusedError(decision.missing);
  }
}
