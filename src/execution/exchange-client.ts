/**
 * Builds the ccxt exchange client from the configuration: the one place where EXCHANGE,
 * EXCHANGE_OPTIONS, EXCHANGE_URLS and the keys meet a ccxt constructor.
 *
 * Guarantees: an unauthenticated client (paper mode, market data) carries no credentials at all,
 * even when EXCHANGE_OPTIONS or the environment hold some, so that a private call cannot even be
 * signed (ccxt refuses it before any request); EXCHANGE_URLS is deep-merged into the client's
 * `urls`, so `{"api":{"spot":{"public":"http://…"}}}` replaces one URL and keeps the others.
 */
import ccxt, { functions, type Exchange } from 'ccxt';
import type { AppConfig } from '../config/config.js';

/** Constructs a ccxt exchange by id; injectable so that tests can hand in a spied instance. */
export type ExchangeFactory = (exchangeId: string, options: Record<string, unknown>) => Exchange;

export const defaultExchangeFactory: ExchangeFactory = (exchangeId, options) => {
  const Ctor = (ccxt as unknown as Record<string, unknown>)[exchangeId];
  if (!(ccxt.exchanges as readonly string[]).includes(exchangeId) || typeof Ctor !== 'function') {
    throw new Error(`EXCHANGE: ccxt has no exchange "${exchangeId}"`);
  }
  return new (Ctor as new (options: Record<string, unknown>) => Exchange)(options);
};

/** ccxt constructor options that authenticate a client. */
const CREDENTIAL_OPTIONS = ['apiKey', 'secret', 'password', 'uid', 'login', 'privateKey', 'walletAddress', 'token', 'twofa', 'accountId'];

type ClientConfig = Pick<AppConfig, 'exchange' | 'exchangeOptions' | 'exchangeUrls' | 'exchangeApiKey' | 'exchangeApiSecret'>;

export function createExchangeClient(config: ClientConfig, options: { authenticated: boolean; factory?: ExchangeFactory }): Exchange {
  const constructorOptions: Record<string, unknown> = { enableRateLimit: true, ...config.exchangeOptions };
  for (const key of CREDENTIAL_OPTIONS) delete constructorOptions[key];
  if (options.authenticated) {
    if (config.exchangeApiKey === undefined || config.exchangeApiSecret === undefined) throw new Error('an authenticated exchange client needs EXCHANGE_API_KEY and EXCHANGE_API_SECRET');
    constructorOptions.apiKey = config.exchangeApiKey;
    constructorOptions.secret = config.exchangeApiSecret;
  }
  const exchange = (options.factory ?? defaultExchangeFactory)(config.exchange, constructorOptions);
  if (Object.keys(config.exchangeUrls).length > 0) {
    exchange.urls = functions.deepExtend(exchange.urls, config.exchangeUrls) as Exchange['urls'];
  }
  return exchange;
}
