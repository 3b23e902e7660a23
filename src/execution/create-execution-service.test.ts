/** The facade picks its side by the interlock, once, and builds the live client only for live. */
import ccxt, { type Exchange } from 'ccxt';
import { describe, expect, it, vi } from 'vitest';
import { loadConfig, type AppConfig } from '../config/config.js';
import { LIVE_TRADING_CONFIRMATION, LiveTradingRefusedError } from '../config/live-interlock.js';
import { join } from 'node:path';
import { CredentialCipher } from '../persistence/credential-cipher.js';
import { openAndMigrate } from '../persistence/database.js';
import { ExchangeKeyStore } from '../persistence/exchange-key-store.js';
import { createExecutionService } from './create-execution-service.js';
import { createExchangeClient } from './exchange-client.js';
import { LiveExecutionService } from './live-execution-service.js';
import { PaperExecutionService, type PaperExecutionPort } from './paper-execution-service.js';
import { scratchDir } from '../test-kit/scratch-dir.js';

function config(env: Record<string, string>): AppConfig {
  const result = loadConfig(env, { envFile: false });
  if (!result.ok) throw new Error(result.error.map((e) => e.message).join('\n'));
  return result.value;
}

const KEYS = { EXCHANGE_API_KEY: 'mx0vglLiveLookingKey', EXCHANGE_API_SECRET: 'f00dfeedLiveLookingSecret' };
const port = {} as PaperExecutionPort;
const CREDENTIALS_KEY_HEX = '42'.repeat(32);

async function keyStore(): Promise<ExchangeKeyStore> {
  const opened = await openAndMigrate(`sqlite:${join(scratchDir('papertrade-exec-'), 'keys.db')}`);
  return new ExchangeKeyStore(opened.db, new CredentialCipher(CREDENTIALS_KEY_HEX));
}

describe('createExecutionService', () => {
  it('is paper by default, even with keys and the confirmation set, and builds no exchange client', () => {
    const factory = vi.fn();
    const service = createExecutionService(config({ ...KEYS, LIVE_TRADING_CONFIRM: LIVE_TRADING_CONFIRMATION }), port, { exchangeFactory: factory });
    expect(service).toBeInstanceOf(PaperExecutionService);
    expect(service.mode).toBe('paper');
    expect(factory).not.toHaveBeenCalled();
  });

  it('goes live only when the interlock says so; each account gets a client of its own keys, with EXCHANGE_URLS merged', async () => {
    const factory = vi.fn((_id: string, options: Record<string, unknown>): Exchange => new ccxt.mexc(options));
    const exchangeKeys = await keyStore();
    await exchangeKeys.set('alice', { apiKey: 'alice-key', secret: 'alice-secret' }, 1);
    const live = createExecutionService(
      config({ PAPER_TRADING: 'false', LIVE_TRADING_CONFIRM: LIVE_TRADING_CONFIRMATION, CREDENTIALS_KEY: CREDENTIALS_KEY_HEX, EXCHANGE_URLS: '{"api":{"spot":{"private":"http://127.0.0.1:9/api"}}}', EXCHANGE_OPTIONS: '{"timeout":1234}' }),
      port,
      { exchangeFactory: factory, exchangeKeys },
    );
    expect(live).toBeInstanceOf(LiveExecutionService);
    expect(live.mode).toBe('live');
    expect(factory).not.toHaveBeenCalled(); // built on first use, per account
    const exchange = (await (live as LiveExecutionService).clients.clientOf('alice'))!;
    expect(factory).toHaveBeenCalledWith('mexc', { enableRateLimit: true, timeout: 1234, apiKey: 'alice-key', secret: 'alice-secret' });
    const spot = (exchange.urls as unknown as { api: { spot: { public: string; private: string } } }).api.spot;
    expect(spot.private).toBe('http://127.0.0.1:9/api');
    expect(spot.public).toBe('https://api.mexc.com'); // the rest of ccxt's URLs are kept
    expect(await (live as LiveExecutionService).clients.clientOf('bob')).toBeUndefined();
    expect(await live.balances('bob')).toMatchObject({ ok: false, error: { code: 'EXCHANGE_CREDENTIALS_MISSING' } });
  });

  it('refuses live without a store that can open the accounts\' keys', () => {
    const settings = config({ PAPER_TRADING: 'false', LIVE_TRADING_CONFIRM: LIVE_TRADING_CONFIRMATION, CREDENTIALS_KEY: CREDENTIALS_KEY_HEX });
    expect(() => createExecutionService(settings, port)).toThrow(/CREDENTIALS_KEY/);
  });

  it('refuses to build anything when PAPER_TRADING=false is not backed by the confirmation and keys', () => {
    const factory = vi.fn();
    const build = () => createExecutionService(config({ PAPER_TRADING: 'false', ...KEYS }), port, { exchangeFactory: factory });
    expect(build).toThrow(LiveTradingRefusedError);
    expect(build).toThrow(/LIVE_TRADING_CONFIRM=I_UNDERSTAND_REAL_MONEY/);
    expect(factory).not.toHaveBeenCalled();
  });

  it('the unauthenticated (market-data) client carries no credentials, even from EXCHANGE_OPTIONS, so a private call cannot be signed', async () => {
    const settings = config({ ...KEYS, EXCHANGE_OPTIONS: '{"apiKey":"smuggled","secret":"smuggled","timeout":1234}' });
    const exchange = createExchangeClient(settings, { authenticated: false });
    expect(exchange).toBeInstanceOf(ccxt.mexc);
    expect([exchange.apiKey, exchange.secret, exchange.timeout]).toEqual([undefined, undefined, 1234]);
    exchange.setMarkets([]);
    const network = vi.spyOn(exchange, 'fetch');
    await expect(exchange.fetchBalance()).rejects.toThrow(/requires "apiKey" credential/);
    expect(network).not.toHaveBeenCalled();
  });
});
