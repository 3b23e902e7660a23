import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_REPLAY_RECORDING, describeConfig, formatConfigErrors, loadConfig, type AppConfig, type ConfigError } from './config.js';
import { checkLiveInterlock, describeRefusal, LIVE_TRADING_CONFIRMATION } from './live-interlock.js';

const tmp = mkdtempSync(join(tmpdir(), 'papertrade-config-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function load(env: Record<string, string>, envFile: string | false = false): AppConfig {
  const result = loadConfig(env, { envFile });
  if (!result.ok) throw new Error(formatConfigErrors(result.error));
  return result.value;
}

function errorsOf(env: Record<string, string>): readonly ConfigError[] {
  const result = loadConfig(env, { envFile: false });
  if (result.ok) throw new Error(`expected ${JSON.stringify(env)} to be refused`);
  return result.error;
}

describe('loadConfig', () => {
  it('an empty environment gives the documented defaults', () => {
    const config = load({});
    expect(config).toMatchObject({
      paperTrading: true,
      liveTradingConfirm: undefined,
      initialBalances: { USDT: '10000' },
      databaseUrl: 'sqlite:./data/papertrade.db',
      host: '127.0.0.1',
      port: 3000,
      adminApiKey: undefined,
      marketData: 'replay',
      replaySpeed: 1,
      exchange: 'mexc',
      symbols: ['BTCUSDT'],
      exchangeUrls: {},
      exchangeOptions: {},
      otherExchanges: {},
      staleAfterMs: 10_000,
      exchangeApiKey: undefined,
      exchangeApiSecret: undefined,
      latencyMs: 0,
      feeMaker: undefined,
      feeTaker: undefined,
      snapshotIntervalMs: 300_000,
      maxProjectionBacklog: 20_000,
      logLevel: 'info',
      limits: { rateLimitMax: 500, rateLimitWindowMs: 10_000, authFailureLimit: 10, authBackoffMs: 1_000, authBackoffMaxMs: 900_000, wsMaxFrameBytes: 16_384, wsMaxSubscriptions: 30, wsMaxConnectionsPerIp: 300, bodyLimitBytes: 1_048_576 },
      envFile: undefined,
    });
    expect(config.replayRecording).toBe(DEFAULT_REPLAY_RECORDING);
    expect(config.marketCacheFile).toBe(resolve('data/market-cache.json'));
    expect(DEFAULT_REPLAY_RECORDING).toMatch(/data\/recordings\/binance_spot_btcusdt_20240808T2354Z$/);
  });

  it('every variable is read and typed', () => {
    const config = load({
      PAPER_TRADING: 'false',
      LIVE_TRADING_CONFIRM: LIVE_TRADING_CONFIRMATION,
      PAPER_TRADING_INITIAL_BALANCE_USDT: '2500.5',
      PAPER_TRADING_INITIAL_BALANCE_BTC: '1',
      DATABASE_URL: 'postgres://trader:pw@db.local:5432/papertrade',
      HOST: '0.0.0.0',
      PORT: '8080',
      ADMIN_API_KEY: 'admin-secret-0123456789',
      MARKET_DATA: 'live',
      REPLAY_SPEED: '10',
      EXCHANGE: 'binance',
      SYMBOLS: 'btcusdt, ETHUSDT,,BTCUSDT, eth/usdt, Binance:btc/usdt, binanceusdm:BTC/USDT:USDT',
      EXCHANGE_URLS: '{"api":{"spot":{"public":"http://127.0.0.1:9001/api"}}}',
      EXCHANGE_OPTIONS: '{"timeout":5000}',
      EXCHANGE_URLS_BINANCEUSDM: '{"api":{"fapiPublic":"http://127.0.0.1:9002/fapi/v1"}}',
      EXCHANGE_OPTIONS_BINANCEUSDM: '{"timeout":7000,"apiKey":"not-shown"}',
      STALE_AFTER_MS: '2500',
      MARKET_CACHE_FILE: '/tmp/markets.json',
      EXCHANGE_API_KEY: 'key',
      EXCHANGE_API_SECRET: 'secret',
      LATENCY_MS: '150',
      FEE_MAKER: '0',
      FEE_TAKER: '0.0005',
      SNAPSHOT_INTERVAL_MS: '0',
      MAX_PROJECTION_BACKLOG: '500',
      LOG_LEVEL: 'DEBUG',
    });
    expect(config).toMatchObject({
      paperTrading: false,
      liveTradingConfirm: LIVE_TRADING_CONFIRMATION,
      initialBalances: { BTC: '1', USDT: '2500.5' },
      databaseUrl: 'postgres://trader:pw@db.local:5432/papertrade',
      host: '0.0.0.0',
      port: 8080,
      adminApiKey: 'admin-secret-0123456789',
      marketData: 'live',
      replaySpeed: 10,
      exchange: 'binance',
      symbols: ['BTCUSDT', 'ETHUSDT', 'ETH/USDT', 'binance:BTC/USDT', 'binanceusdm:BTC/USDT:USDT'],
      exchangeUrls: { api: { spot: { public: 'http://127.0.0.1:9001/api' } } },
      exchangeOptions: { timeout: 5000 },
      otherExchanges: { binanceusdm: { exchangeUrls: { api: { fapiPublic: 'http://127.0.0.1:9002/fapi/v1' } }, exchangeOptions: { timeout: 7000, apiKey: 'not-shown' } } },
      staleAfterMs: 2500,
      marketCacheFile: '/tmp/markets.json',
      exchangeApiKey: 'key',
      exchangeApiSecret: 'secret',
      latencyMs: 150,
      feeMaker: '0',
      feeTaker: '0.0005',
      snapshotIntervalMs: 0,
      maxProjectionBacklog: 500,
      logLevel: 'debug',
    });
    expect(load({ REPLAY_SPEED: 'max' }).replaySpeed).toBe(Number.POSITIVE_INFINITY);
    expect(load({ DATABASE_URL: 'sqlite::memory:' }).databaseUrl).toBe('sqlite::memory:');
    // Live data has a database of its own unless one is given.
    expect(load({ MARKET_DATA: 'live' }).databaseUrl).toBe('sqlite:./data/papertrade-live.db');
    expect(load({ MARKET_DATA: 'live', DATABASE_URL: 'sqlite:x.db' }).databaseUrl).toBe('sqlite:x.db');
  });

  it.each([
    ['PAPER_TRADING', 'yes'],
    ['PAPER_TRADING', '0'],
    ['PAPER_TRADING_INITIAL_BALANCE_USDT', 'ten thousand'],
    ['PAPER_TRADING_INITIAL_BALANCE_USDT', '-5'],
    ['PAPER_TRADING_INITIAL_BALANCE_BTC', '0.0000000000000000001'],
    ['PAPER_TRADING_INITIAL_BALANCE_usdt', '10'],
    ['DATABASE_URL', 'mysql://localhost/db'],
    ['DATABASE_URL', 'sqlite:'],
    ['HOST', 'http://localhost'],
    ['PORT', '0'],
    ['PORT', '65536'],
    ['PORT', '3000abc'],
    ['MARKET_DATA', 'websocket'],
    ['REPLAY_RECORDING', '/nonexistent/recording'],
    ['REPLAY_SPEED', '0'],
    ['REPLAY_SPEED', '-2'],
    ['REPLAY_SPEED', 'fast'],
    ['EXCHANGE', 'Not An Exchange'],
    ['SYMBOLS', 'BTC-USDT'],
    ['SYMBOLS', 'Not An Exchange:BTCUSDT'],
    ['SYMBOLS', 'binance:'],
    ['SYMBOLS', 'BTC/'],
    ['SYMBOLS', ' , '],
    ['EXCHANGE_URLS_BINANCE', '[1]'],
    ['EXCHANGE_OPTIONS_KRAKEN', 'nope'],
    ['STALE_AFTER_MS', '50'],
    ['STALE_AFTER_MS', 'soon'],
    ['EXCHANGE_URLS', '{not json'],
    ['EXCHANGE_URLS', '["array"]'],
    ['EXCHANGE_OPTIONS', '"a string"'],
    ['LATENCY_MS', '1.5'],
    ['LATENCY_MS', '-1'],
    ['FEE_MAKER', '1'],
    ['FEE_TAKER', '-0.001'],
    ['FEE_TAKER', '0.1%'],
    ['SNAPSHOT_INTERVAL_MS', 'often'],
    ['MAX_PROJECTION_BACKLOG', '0'],
    ['MAX_PROJECTION_BACKLOG', 'lots'],
    ['LOG_LEVEL', 'verbose'],
  ])('a bad %s (%j) is refused with a message naming it', (variable, value) => {
    const errors = errorsOf({ [variable]: value });
    expect(errors).toHaveLength(1);
    expect(errors[0]!.variable).toBe(variable);
    expect(errors[0]!.message.startsWith(`${variable}: `)).toBe(true);
    expect(errors[0]!.message.length).toBeGreaterThan(variable.length + 10);
  });

  it('all problems are reported at once, each on its own line', () => {
    const errors = errorsOf({ PORT: 'x', PAPER_TRADING: 'maybe', LOG_LEVEL: 'loud' });
    expect(errors.map((e) => e.variable).sort()).toEqual(['LOG_LEVEL', 'PAPER_TRADING', 'PORT']);
    const text = formatConfigErrors(errors);
    expect(text.split('\n')).toHaveLength(4);
    expect(text).toContain('PORT: must be a whole number from 1 to 65535 (got "x")');
  });

  it('a key without its secret (or the reverse) is refused, and secrets are never echoed', () => {
    const noSecret = errorsOf({ EXCHANGE_API_KEY: 'k-123456' });
    expect(noSecret.map((e) => e.variable)).toEqual(['EXCHANGE_API_SECRET']);
    expect(errorsOf({ EXCHANGE_API_SECRET: 's-123456' }).map((e) => e.variable)).toEqual(['EXCHANGE_API_KEY']);
    const badOptions = errorsOf({ EXCHANGE_OPTIONS: '{"apiKey":"k-123456"' });
    expect(JSON.stringify([noSecret, badOptions])).not.toContain('123456');
  });

  it('MEXC_API_KEY and MEXC_API_SECRET stand in for the exchange keys when the exchange is MEXC', () => {
    expect(load({ MEXC_API_KEY: 'mk', MEXC_API_SECRET: 'ms' })).toMatchObject({ exchangeApiKey: 'mk', exchangeApiSecret: 'ms' });
    expect(load({ MEXC_API_KEY: 'mk', MEXC_API_SECRET: 'ms', EXCHANGE_API_KEY: 'ek', EXCHANGE_API_SECRET: 'es' })).toMatchObject({ exchangeApiKey: 'ek', exchangeApiSecret: 'es' });
    expect(load({ EXCHANGE: 'binance', MEXC_API_KEY: 'mk', MEXC_API_SECRET: 'ms' })).toMatchObject({ exchangeApiKey: undefined, exchangeApiSecret: undefined });
  });

  it('empty values count as unset', () => {
    expect(load({ PORT: '', PAPER_TRADING: ' ', DATABASE_URL: '' })).toMatchObject({ port: 3000, paperTrading: true, databaseUrl: 'sqlite:./data/papertrade.db' });
  });

  it('initial balances replace the USDT default when any is given', () => {
    expect(load({ PAPER_TRADING_INITIAL_BALANCE_BTC: '1' }).initialBalances).toEqual({ BTC: '1' });
    expect(load({ PAPER_TRADING_INITIAL_BALANCE_ETH: '0', PAPER_TRADING_INITIAL_BALANCE_USDT: '10000.12345678' }).initialBalances).toEqual({ ETH: '0', USDT: '10000.12345678' });
  });

  it('a .env file is read, and the process environment wins over it', () => {
    const file = join(tmp, 'settings.env');
    writeFileSync(file, ['# comment', 'PORT=4000', 'HOST=0.0.0.0', 'PAPER_TRADING_INITIAL_BALANCE_BTC=2', 'ADMIN_API_KEY="quoted-admin-key-0123"', 'EXCHANGE_URLS=\'{"api":{"spot":{"public":"http://127.0.0.1:1/api"}}}\''].join('\n'));
    const config = load({ PORT: '5000' }, file);
    expect(config).toMatchObject({
      port: 5000,
      host: '0.0.0.0',
      adminApiKey: 'quoted-admin-key-0123',
      initialBalances: { BTC: '2' },
      exchangeUrls: { api: { spot: { public: 'http://127.0.0.1:1/api' } } },
      envFile: file,
    });
    expect(process.env.HOST).not.toBe('0.0.0.0'); // the file never leaks into process.env
  });

  it('a bad value in the .env file is named like any other', () => {
    const file = join(tmp, 'bad.env');
    writeFileSync(file, 'PORT=eighty\n');
    const result = loadConfig({}, { envFile: file });
    expect(result.ok ? [] : result.error.map((e) => e.variable)).toEqual(['PORT']);
  });

  it('an explicitly named .env file that does not exist is an error; the default one is optional', () => {
    const result = loadConfig({}, { envFile: join(tmp, 'missing.env') });
    expect(result.ok ? [] : result.error.map((e) => e.variable)).toEqual(['.env']);
    const cwd = process.cwd();
    try {
      process.chdir(tmp); // no .env here
      expect(loadConfig({}).ok).toBe(true);
    } finally {
      process.chdir(cwd);
    }
  });
});

describe('edge limits and the admin key', () => {
  it('reads every limit, and 0 turns the rate limit and the back-off off', () => {
    const config = load({ RATE_LIMIT_MAX: '0', RATE_LIMIT_WINDOW_MS: '60000', AUTH_FAILURE_LIMIT: '0', AUTH_BACKOFF_MS: '500', AUTH_BACKOFF_MAX_MS: '60000', WS_MAX_FRAME_BYTES: '4096', WS_MAX_SUBSCRIPTIONS: '5', WS_MAX_CONNECTIONS_PER_IP: '7', BODY_LIMIT_BYTES: '2048' });
    expect(config.limits).toEqual({ rateLimitMax: 0, rateLimitWindowMs: 60_000, authFailureLimit: 0, authBackoffMs: 500, authBackoffMaxMs: 60_000, wsMaxFrameBytes: 4096, wsMaxSubscriptions: 5, wsMaxConnectionsPerIp: 7, bodyLimitBytes: 2048 });
  });

  it('names each bad limit', () => {
    const errors = loadConfig({ RATE_LIMIT_MAX: '-1', WS_MAX_SUBSCRIPTIONS: '0', AUTH_BACKOFF_MS: '5000', AUTH_BACKOFF_MAX_MS: '1000', BODY_LIMIT_BYTES: 'lots' }, { envFile: false });
    expect(errors.ok ? [] : errors.error.map((e) => e.variable).sort()).toEqual(['AUTH_BACKOFF_MAX_MS', 'BODY_LIMIT_BYTES', 'RATE_LIMIT_MAX', 'WS_MAX_SUBSCRIPTIONS']);
  });

  it('refuses an admin key shorter than 16 characters without echoing it', () => {
    const errors = loadConfig({ ADMIN_API_KEY: 'short-s3cret' }, { envFile: false });
    expect(errors.ok).toBe(false);
    const text = errors.ok ? '' : formatConfigErrors(errors.error);
    expect(text).toMatch(/ADMIN_API_KEY: must be at least 16 characters long \(got 12\)/);
    expect(text).not.toContain('s3cret');
    expect(load({ ADMIN_API_KEY: '0123456789abcdef' }).adminApiKey).toBe('0123456789abcdef');
  });

  it('refuses fee overrides above 1 %', () => {
    expect(load({ FEE_MAKER: '0.01', FEE_TAKER: '0.0005' })).toMatchObject({ feeMaker: '0.01', feeTaker: '0.0005' });
    const errors = loadConfig({ FEE_TAKER: '0.02', FEE_MAKER: '2' }, { envFile: false });
    expect(errors.ok ? [] : errors.error.map((e) => e.variable).sort()).toEqual(['FEE_MAKER', 'FEE_TAKER']);
  });

  it('takes a FUNDING_RATE from −3 % to 3 % per funding time (the kernel refuses any wider), none by default', () => {
    expect(load({}).fundingRate).toBeUndefined();
    expect(load({ FUNDING_RATE: '-0.000125' }).fundingRate).toBe('-0.000125');
    expect(load({ FUNDING_RATE: '-0.03' }).fundingRate).toBe('-0.03');
    for (const bad of ['0.06', '0.04', '-0.0300001', '1e-4', 'often']) expect(loadConfig({ FUNDING_RATE: bad }, { envFile: false }).ok, bad).toBe(false);
  });
});

describe('describeConfig', () => {
  it('redacts the admin key, exchange keys, database password and secret exchange options', () => {
    const config = load({
      ADMIN_API_KEY: 'admin-s3cret-0123456789',
      EXCHANGE_API_KEY: 'key-s3cret',
      EXCHANGE_API_SECRET: 'secret-s3cret',
      DATABASE_URL: 'postgres://trader:db-s3cret@db.local/papertrade',
      EXCHANGE_OPTIONS: '{"password":"pw-s3cret","timeout":5000,"headers":{"X-Auth-Token":"tok-s3cret"}}',
      EXCHANGE_URLS: '{"api":{"spot":{"public":"http://user:url-s3cret@127.0.0.1:9001/api"}}}',
      EXCHANGE_OPTIONS_BINANCE: '{"secret":"other-s3cret","timeout":7000}',
    });
    const described = describeConfig(config);
    const text = JSON.stringify(described);
    expect(text).not.toContain('s3cret');
    expect(described).toMatchObject({
      adminApiKey: '[redacted]',
      exchangeApiKey: '[redacted]',
      exchangeApiSecret: '[redacted]',
      databaseUrl: 'postgres://trader:***@db.local/papertrade',
      exchangeOptions: { password: '[redacted]', timeout: 5000, headers: { 'X-Auth-Token': '[redacted]' } },
      otherExchanges: { binance: { exchangeOptions: { secret: '[redacted]', timeout: 7000 } } },
      port: 3000,
    });
    expect(describeConfig(load({}))).toMatchObject({ adminApiKey: undefined, exchangeApiKey: undefined });
  });
});

describe('checkLiveInterlock', () => {
  const key = { CREDENTIALS_KEY: 'a'.repeat(64) };

  it('paper is the default, whatever else is set', () => {
    expect(checkLiveInterlock(load({}))).toEqual({ mode: 'paper' });
    expect(checkLiveInterlock(load({ ...key, EXCHANGE_API_KEY: 'k', EXCHANGE_API_SECRET: 's', LIVE_TRADING_CONFIRM: LIVE_TRADING_CONFIRMATION }))).toEqual({ mode: 'paper' });
  });

  it('live needs PAPER_TRADING=false, the confirmation and CREDENTIALS_KEY, all at once; exchange keys are per account', () => {
    expect(checkLiveInterlock(load({ PAPER_TRADING: 'false', LIVE_TRADING_CONFIRM: LIVE_TRADING_CONFIRMATION, ...key }))).toEqual({ mode: 'live' });
    expect(checkLiveInterlock(load({ PAPER_TRADING: 'false', LIVE_TRADING_CONFIRM: LIVE_TRADING_CONFIRMATION, CREDENTIALS_KEY: Buffer.alloc(32, 7).toString('base64') }))).toEqual({ mode: 'live' });
  });

  it('PAPER_TRADING=false alone is refused, naming every missing piece', () => {
    const decision = checkLiveInterlock(load({ PAPER_TRADING: 'false' }));
    expect(decision).toMatchObject({ mode: 'refused', missing: ['LIVE_TRADING_CONFIRM=I_UNDERSTAND_REAL_MONEY (it is not set)', expect.stringMatching(/^CREDENTIALS_KEY \(32 bytes/)] });
  });

  it('a missing or wrong confirmation is named', () => {
    expect(checkLiveInterlock(load({ PAPER_TRADING: 'false', ...key }))).toEqual({ mode: 'refused', missing: ['LIVE_TRADING_CONFIRM=I_UNDERSTAND_REAL_MONEY (it is not set)'] });
    expect(checkLiveInterlock(load({ PAPER_TRADING: 'false', LIVE_TRADING_CONFIRM: 'yes', ...key }))).toEqual({
      mode: 'refused',
      missing: ['LIVE_TRADING_CONFIRM=I_UNDERSTAND_REAL_MONEY (it is set to another value)'],
    });
  });

  it('exchange keys without CREDENTIALS_KEY do not make live: the key that seals them is named', () => {
    const decision = checkLiveInterlock(load({ PAPER_TRADING: 'false', LIVE_TRADING_CONFIRM: LIVE_TRADING_CONFIRMATION, EXCHANGE_API_KEY: 'k', EXCHANGE_API_SECRET: 's' }));
    expect(decision.mode).toBe('refused');
    expect(decision.mode === 'refused' && decision.missing.join()).toMatch(/CREDENTIALS_KEY .*seals each account's exchange keys/);
  });

  it('a CREDENTIALS_KEY that is not 32 bytes is refused without echoing it', () => {
    const result = loadConfig({ CREDENTIALS_KEY: 'short-s3cret' }, { envFile: false });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error.map((e) => e.message).join()).toMatch(/^CREDENTIALS_KEY: must be 32 bytes/);
    expect(JSON.stringify(result)).not.toContain('s3cret');
  });

  it('the refusal message lists what to set', () => {
    const text = describeRefusal(['EXCHANGE_API_KEY']);
    expect(text).toContain('Refusing to start');
    expect(text).toContain('  - EXCHANGE_API_KEY');
    expect(text).toContain('PAPER_TRADING=true');
  });
});
