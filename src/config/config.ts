/**
 * Configuration: the environment (and a `.env` file) → one validated, immutable `AppConfig`.
 *
 * Guarantees:
 * - every variable is checked at start; each problem comes back as `{ variable, message }` naming
 *   the variable and what is wrong with it, all problems at once (not the first one only);
 * - the process environment wins over the `.env` file; the file never changes `process.env`;
 * - an empty value counts as unset (so `PORT=` in a `.env` file means the default);
 * - secrets (exchange keys, admin key, database password) never leave through `describeConfig`.
 * Not checked here: whether the live interlock is satisfied (see live-interlock.ts), whether the
 * exchange id is one ccxt knows (the exchange factory says so, with ccxt's own list).
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseDotenv } from 'dotenv';
import { fundingRateProblem } from '../core/accounts/funding-rate-bound.js';
import { feeTextProblem } from '../core/instruments/fee-bounds.js';
import { parseFixed } from '../core/money/fixed.js';
import { adminKeyProblem, parseEdgeLimits, parseTrustProxy, type EdgeLimits } from './limits-config.js';
import { parseJournalRetention } from './journal-config.js';

export type Result<T, E> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: E };

export interface ConfigError {
  /** The environment variable (or `.env` for the file itself). */
  readonly variable: string;
  readonly message: string;
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface AppConfig {
  /** PAPER_TRADING (default true). Going live also needs the interlock (checkLiveInterlock). */
  readonly paperTrading: boolean;
  /** LIVE_TRADING_CONFIRM as given; live trading needs exactly I_UNDERSTAND_REAL_MONEY. */
  readonly liveTradingConfirm: string | undefined;
  /** PAPER_TRADING_INITIAL_BALANCE_<ASSET>: asset → decimal string (default { USDT: "10000" }). */
  readonly initialBalances: Readonly<Record<string, string>>;
  /** DATABASE_URL; default sqlite:./data/papertrade.db, or sqlite:./data/papertrade-live.db with MARKET_DATA=live. */
  readonly databaseUrl: string;
  readonly host: string;
  readonly port: number;
  readonly adminApiKey: string | undefined;
  readonly marketData: 'replay' | 'live';
  /** REPLAY_RECORDING as an absolute path (relative values resolve against the working directory). */
  readonly replayRecording: string;
  /** Replay speed factor: 1 = real time, 10 = ten times faster; `Infinity` (REPLAY_SPEED=max) = as fast as possible. */
  readonly replaySpeed: number;
  /** ccxt exchange id (default mexc): the exchange of every symbol not qualified with its own. */
  readonly exchange: string;
  /**
   * SYMBOLS as given, normalised: market ids (BTCUSDT), unified symbols (BTC/USDT, BTC/USDT:USDT),
   * each optionally qualified by its exchange (binance:BTC/USDT; the exchange id in lower case).
   */
  readonly symbols: readonly string[];
  /** EXCHANGE_URLS: deep-merged into the ccxt exchange's `urls`. */
  readonly exchangeUrls: Readonly<Record<string, unknown>>;
  /** EXCHANGE_OPTIONS: merged into the ccxt exchange's constructor options. */
  readonly exchangeOptions: Readonly<Record<string, unknown>>;
  /** EXCHANGE_URLS_<ID> / EXCHANGE_OPTIONS_<ID>: the same, for the other exchanges SYMBOLS names. */
  readonly otherExchanges: Readonly<Record<string, { readonly exchangeUrls: Readonly<Record<string, unknown>>; readonly exchangeOptions: Readonly<Record<string, unknown>> }>>;
  /** Live data: a symbol with no book update for this long (wall ms) is stale (default 10,000). */
  readonly staleAfterMs: number;
  /** Live data: where the exchange's markets (instrument specs) are cached, an absolute path. */
  readonly marketCacheFile: string;
  /**
   * CREDENTIALS_KEY: 32 bytes (64 hex digits or base64) sealing each account's exchange credentials
   * (AES-256-GCM, persistence/credential-cipher.ts); live trading needs it. Absent when not set.
   */
  readonly credentialsKey?: string;
  /** EXCHANGE_API_KEY (or MEXC_API_KEY when EXCHANGE is mexc): in live mode, the default account's exchange keys. */
  readonly exchangeApiKey: string | undefined;
  readonly exchangeApiSecret: string | undefined;
  /** Simulated order latency in event-time ms (default 0). */
  readonly latencyMs: number;
  /** Fee overrides as decimal fractions ("0.001" = 0.1 %); undefined = the instrument's defaults. */
  readonly feeMaker: string | undefined;
  /**
   * FUNDING_RATE: in replay, the rate every perpetual position pays (longs; shorts receive) at each
   * funding time (00:00, 08:00, 16:00 UTC) at the mark; undefined = no funding in replay. Live
   * trading uses the exchange's own rates and times instead.
   */
  readonly fundingRate: string | undefined;
  readonly feeTaker: string | undefined;
  /** Wall-time snapshot interval (default 300,000; 0 = off). */
  readonly snapshotIntervalMs: number;
  /** JOURNAL_RETENTION_MS (journal-config.ts): journal kept behind the newest input once snapshotted; undefined = forever. */
  readonly journalRetentionMs: number | undefined;
  /** MAX_PROJECTION_BACKLOG: inputs waiting for the read tables past which new orders answer 503 OVERLOADED (default 20,000). */
  readonly maxProjectionBacklog: number;
  readonly logLevel: LogLevel;
  /** Request rate, failed-authentication back-off, WebSocket and body limits (limits-config.ts). */
  readonly limits: EdgeLimits;
  /** TRUST_PROXY (limits-config.ts `parseTrustProxy`): proxies whose X-Forwarded-For names the client; empty = none. */
  readonly trustProxy: readonly string[];
  /** The `.env` file that was read, if any. */
  readonly envFile: string | undefined;
}

export interface LoadConfigOptions {
  /** Path of the `.env` file (default `.env` in the working directory, skipped when absent); false: read none. */
  readonly envFile?: string | false;
}

/** The package root (this file is src/config/config.ts, or dist/config/config.js once built). */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const DEFAULT_REPLAY_RECORDING = resolve(PACKAGE_ROOT, 'data/recordings/binance_spot_btcusdt_20240808T2354Z');
export const DEFAULT_DATABASE_URL = 'sqlite:./data/papertrade.db';
export const DEFAULT_LIVE_DATABASE_URL = 'sqlite:./data/papertrade-live.db';
export const DEFAULT_MARKET_CACHE_FILE = './data/market-cache.json';
export const BALANCE_PREFIX = 'PAPER_TRADING_INITIAL_BALANCE_';

/** Variables whose values never appear in error messages (secrets, or JSON that may hold them). */
const NEVER_ECHO = new Set(['CREDENTIALS_KEY', 'ADMIN_API_KEY', 'EXCHANGE_API_KEY', 'EXCHANGE_API_SECRET', 'MEXC_API_KEY', 'MEXC_API_SECRET', 'EXCHANGE_OPTIONS', 'EXCHANGE_URLS']);

/** Reads and validates the configuration. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, options: LoadConfigOptions = {}): Result<AppConfig, ConfigError[]> {
  const errors: ConfigError[] = [];
  const file = readEnvFile(options.envFile, errors);
  // Process environment wins over the file.
  const vars: Record<string, string | undefined> = { ...file.values, ...env };
  const get = (name: string): string | undefined => {
    const v = vars[name]?.trim();
    return v === undefined || v === '' ? undefined : v;
  };
  const fail = (variable: string, message: string): undefined => {
    const shown = NEVER_ECHO.has(variable) || /^EXCHANGE_(URLS|OPTIONS)_/.test(variable) ? '' : ` (got ${JSON.stringify(get(variable))})`;
    errors.push({ variable, message: `${variable}: ${message}${shown}` });
    return undefined;
  };

  const paperTrading = parseBoolean(get('PAPER_TRADING'), true) ?? fail('PAPER_TRADING', 'must be "true" or "false"');
  const port = parseInteger(get('PORT'), 3000, 1, 65_535) ?? fail('PORT', PORT_RULE);
  const latencyMs = parseInteger(get('LATENCY_MS'), 0, 0, Number.MAX_SAFE_INTEGER) ?? fail('LATENCY_MS', 'must be a whole number of milliseconds ≥ 0');
  const snapshotIntervalMs =
    parseInteger(get('SNAPSHOT_INTERVAL_MS'), 300_000, 0, Number.MAX_SAFE_INTEGER) ?? fail('SNAPSHOT_INTERVAL_MS', 'must be a whole number of milliseconds ≥ 0 (0 turns snapshots off)');
  const maxProjectionBacklog =
    parseInteger(get('MAX_PROJECTION_BACKLOG'), 20_000, 1, Number.MAX_SAFE_INTEGER) ?? fail('MAX_PROJECTION_BACKLOG', 'must be a whole number of inputs ≥ 1');
  const retention = parseJournalRetention(get('JOURNAL_RETENTION_MS'));
  if ('error' in retention) fail('JOURNAL_RETENTION_MS', retention.error);
  const replaySpeed = parseSpeed(get('REPLAY_SPEED')) ?? fail('REPLAY_SPEED', 'must be a positive number (1 = real time, 10 = ten times faster) or "max"');

  const marketData = get('MARKET_DATA') ?? 'replay';
  if (marketData !== 'replay' && marketData !== 'live') fail('MARKET_DATA', 'must be "replay" or "live"');
  const logLevel = (get('LOG_LEVEL') ?? 'info').toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) fail('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}`);

  // Live data gets its own default database: an engine's journal is bound to its instruments.
  const databaseUrl = get('DATABASE_URL') ?? (marketData === 'live' ? DEFAULT_LIVE_DATABASE_URL : DEFAULT_DATABASE_URL);
  if (!isDatabaseUrl(databaseUrl)) errors.push({ variable: 'DATABASE_URL', message: `DATABASE_URL: must be sqlite:<path> or postgres://… (got ${JSON.stringify(redactUrl(databaseUrl))})` });

  const host = get('HOST') ?? '127.0.0.1';
  if (/\s|\//.test(host)) fail('HOST', 'must be a host name or IP address');

  const recordingText = get('REPLAY_RECORDING');
  const replayRecording = recordingText === undefined ? DEFAULT_REPLAY_RECORDING : resolve(recordingText);
  if (marketData === 'replay' && !existsSync(replayRecording)) fail('REPLAY_RECORDING', `recording directory not found: ${replayRecording}`);

  const exchange = get('EXCHANGE') ?? 'mexc';
  if (!/^[a-z][a-z0-9_]*$/.test(exchange)) fail('EXCHANGE', 'must be a ccxt exchange id in lower case, e.g. mexc or binance');

  const symbolsText = get('SYMBOLS') ?? 'BTCUSDT';
  const symbols = symbolsText.split(',').map(normaliseSymbol).filter((s) => s !== '');
  if (symbols.length === 0 || symbols.some((s) => !SYMBOL_SPEC.test(s))) {
    fail('SYMBOLS', 'must be a comma-separated list of symbols: BTCUSDT, BTC/USDT, BTC/USDT:USDT, each optionally qualified by its exchange (binance:BTC/USDT)');
  }

  const exchangeUrls = parseJsonObject(get('EXCHANGE_URLS')) ?? fail('EXCHANGE_URLS', 'must be a JSON object, e.g. {"api":{"spot":{"public":"http://127.0.0.1:9001/api"}}}');
  const exchangeOptions = parseJsonObject(get('EXCHANGE_OPTIONS')) ?? fail('EXCHANGE_OPTIONS', 'must be a JSON object of ccxt constructor options, e.g. {"timeout":5000}');

  const otherExchanges: Record<string, { exchangeUrls: Record<string, unknown>; exchangeOptions: Record<string, unknown> }> = {};
  for (const name of Object.keys(vars).sort()) {
    const match = /^EXCHANGE_(URLS|OPTIONS)_([A-Z0-9_]+)$/.exec(name);
    if (match === null || get(name) === undefined) continue;
    const id = match[2]!.toLowerCase();
    const value = parseJsonObject(get(name)) ?? fail(name, `must be a JSON object (the ${match[1] === 'URLS' ? 'ccxt urls' : 'ccxt constructor options'} of ${id})`);
    const entry = (otherExchanges[id] ??= { exchangeUrls: {}, exchangeOptions: {} });
    if (value !== undefined) entry[match[1] === 'URLS' ? 'exchangeUrls' : 'exchangeOptions'] = value;
  }

  const staleAfterMs = parseInteger(get('STALE_AFTER_MS'), 10_000, 100, 86_400_000) ?? fail('STALE_AFTER_MS', 'must be a whole number of milliseconds from 100 to 86400000');
  const marketCacheFile = resolve(get('MARKET_CACHE_FILE') ?? DEFAULT_MARKET_CACHE_FILE);

  // MEXC_API_KEY / MEXC_API_SECRET are accepted as aliases when the exchange is MEXC.
  const mexc = exchange === 'mexc';
  const exchangeApiKey = get('EXCHANGE_API_KEY') ?? (mexc ? get('MEXC_API_KEY') : undefined);
  const exchangeApiSecret = get('EXCHANGE_API_SECRET') ?? (mexc ? get('MEXC_API_SECRET') : undefined);
  if (exchangeApiKey !== undefined && exchangeApiSecret === undefined) fail('EXCHANGE_API_SECRET', 'is required when an API key is set (EXCHANGE_API_KEY or MEXC_API_KEY)');
  if (exchangeApiSecret !== undefined && exchangeApiKey === undefined) fail('EXCHANGE_API_KEY', 'is required when an API secret is set (EXCHANGE_API_SECRET or MEXC_API_SECRET)');

  const credentialsKey = get('CREDENTIALS_KEY');
  if (credentialsKey !== undefined && !isCredentialsKey(credentialsKey)) fail('CREDENTIALS_KEY', 'must be 32 bytes: 64 hex digits or base64 (e.g. `openssl rand -hex 32`)');

  const fundingText = get('FUNDING_RATE');
  const fundingRate =
    fundingText === undefined ? undefined : /^-?(0|[1-9]\d*)(\.\d{1,18})?$/.test(fundingText.trim()) && fundingRateProblem(parseFixed(fundingText.trim())) === undefined ? fundingText.trim() : fail('FUNDING_RATE', 'must be a decimal from -0.03 to 0.03 (3 %, the widest funding cap an exchange publishes; docs/adr/0006), e.g. 0.0001 for 0.01 % per funding');
  const feeMaker = parseFee(get('FEE_MAKER')) ?? (get('FEE_MAKER') === undefined ? undefined : fail('FEE_MAKER', 'must be a decimal fraction from 0 to 0.01 (1 %), e.g. 0.001 for 0.1 %'));
  const feeTaker = parseFee(get('FEE_TAKER')) ?? (get('FEE_TAKER') === undefined ? undefined : fail('FEE_TAKER', 'must be a decimal fraction from 0 to 0.01 (1 %), e.g. 0.001 for 0.1 %'));

  const adminApiKey = get('ADMIN_API_KEY');
  const adminProblem = adminKeyProblem(adminApiKey);
  if (adminProblem !== undefined) fail('ADMIN_API_KEY', adminProblem);
  const limits = parseEdgeLimits(get, fail);
  const trustProxy = parseTrustProxy(get('TRUST_PROXY'), fail);

  const initialBalances: Record<string, string> = {};
  for (const name of Object.keys(vars).filter((n) => n.startsWith(BALANCE_PREFIX)).sort()) {
    const value = get(name);
    if (value === undefined) continue;
    const asset = name.slice(BALANCE_PREFIX.length);
    if (!/^[A-Z0-9]+$/.test(asset)) {
      fail(name, `the asset after ${BALANCE_PREFIX} must be upper-case letters and digits, e.g. ${BALANCE_PREFIX}USDT`);
    } else if (!isPlainDecimal(value)) {
      fail(name, 'must be a decimal amount ≥ 0 with at most 18 decimal places, e.g. 10000 or 0.5');
    } else {
      initialBalances[asset] = value;
    }
  }
  if (Object.keys(initialBalances).length === 0) initialBalances.USDT = '10000';

  if (errors.length > 0) return { ok: false, error: errors };
  return {
    ok: true,
    value: Object.freeze({
      paperTrading: paperTrading!,
      liveTradingConfirm: get('LIVE_TRADING_CONFIRM'),
      initialBalances: Object.freeze(initialBalances),
      databaseUrl,
      host,
      port: port!,
      adminApiKey,
      marketData: marketData as 'replay' | 'live',
      replayRecording,
      replaySpeed: replaySpeed!,
      exchange,
      symbols: Object.freeze([...new Set(symbols)]),
      exchangeUrls: exchangeUrls!,
      exchangeOptions: exchangeOptions!,
      otherExchanges: Object.freeze(otherExchanges),
      staleAfterMs: staleAfterMs!,
      marketCacheFile,
      ...(credentialsKey !== undefined ? { credentialsKey } : {}),
      exchangeApiKey,
      exchangeApiSecret,
      latencyMs: latencyMs!,
      feeMaker,
      fundingRate,
      feeTaker,
      snapshotIntervalMs: snapshotIntervalMs!,
      journalRetentionMs: 'ms' in retention ? retention.ms : undefined,
      maxProjectionBacklog: maxProjectionBacklog!,
      logLevel: logLevel as LogLevel,
      limits,
      trustProxy,
      envFile: file.path,
    }),
  };
}

/** 32 bytes as 64 hex digits or as base64 (persistence/credential-cipher.ts reads it the same way). */
function isCredentialsKey(text: string): boolean {
  if (/^[0-9a-fA-F]{64}$/.test(text)) return true;
  return /^[A-Za-z0-9+/_-]+={0,2}$/.test(text) && Buffer.from(text, 'base64').length === 32;
}

/** One line per problem, for printing before refusing to start. */
export function formatConfigErrors(errors: readonly ConfigError[]): string {
  return ['Invalid configuration:', ...errors.map((e) => `  - ${e.message}`)].join('\n');
}

/** The configuration as a log-safe object: secrets are replaced by "[redacted]" (or absent). */
export function describeConfig(config: AppConfig): Record<string, unknown> {
  const secret = (v: string | undefined): string | undefined => (v === undefined ? undefined : '[redacted]');
  return {
    ...config,
    databaseUrl: redactUrl(config.databaseUrl),
    adminApiKey: secret(config.adminApiKey),
    ...(config.credentialsKey !== undefined ? { credentialsKey: secret(config.credentialsKey) } : {}),
    exchangeApiKey: secret(config.exchangeApiKey),
    exchangeApiSecret: secret(config.exchangeApiSecret),
    exchangeOptions: redactObject(config.exchangeOptions),
    exchangeUrls: redactObject(config.exchangeUrls),
    otherExchanges: Object.fromEntries(
      Object.entries(config.otherExchanges).map(([id, o]) => [id, { exchangeUrls: redactObject(o.exchangeUrls), exchangeOptions: redactObject(o.exchangeOptions) }]),
    ),
    replaySpeed: config.replaySpeed === Number.POSITIVE_INFINITY ? 'max' : config.replaySpeed,
  };
}

// ---- parsing helpers ----

/** `[exchange:]SYMBOL`, SYMBOL a market id (BTCUSDT) or a unified symbol (BTC/USDT, BTC/USDT:USDT). */
const SYMBOL_SPEC = /^(?:[a-z][a-z0-9_]*:)?[A-Z0-9]+(?:\/[A-Z0-9]+(?::[A-Z0-9]+)?)?$/;

/** " binance:btc/usdt " → "binance:BTC/USDT"; the prefix is an exchange only when it holds no "/". */
function normaliseSymbol(text: string): string {
  const trimmed = text.trim();
  const colon = trimmed.indexOf(':');
  if (colon > 0 && !trimmed.slice(0, colon).includes('/')) return `${trimmed.slice(0, colon).toLowerCase()}:${trimmed.slice(colon + 1).toUpperCase()}`;
  return trimmed.toUpperCase();
}

function readEnvFile(option: string | false | undefined, errors: ConfigError[]): { path: string | undefined; values: Record<string, string> } {
  if (option === false) return { path: undefined, values: {} };
  const path = resolve(option ?? '.env');
  if (!existsSync(path)) {
    if (option !== undefined) errors.push({ variable: '.env', message: `.env: file not found: ${path}` });
    return { path: undefined, values: {} };
  }
  try {
    return { path, values: parseDotenv(readFileSync(path, 'utf8')) };
  } catch (error) {
    errors.push({ variable: '.env', message: `.env: cannot read ${path}: ${(error as Error).message}` });
    return { path: undefined, values: {} };
  }
}

function parseBoolean(text: string | undefined, fallback: boolean): boolean | undefined {
  if (text === undefined) return fallback;
  const t = text.toLowerCase();
  return t === 'true' ? true : t === 'false' ? false : undefined;
}

const PORT_RULE = 'must be a whole number from 1 to 65535';

/** Why `text` is no port to listen on, or undefined: the rule of PORT, for a command-line flag that stands for it. */
export function portProblem(text: string): string | undefined {
  return parseInteger(text.trim(), 0, 1, 65_535) === undefined ? PORT_RULE : undefined;
}

function parseInteger(text: string | undefined, fallback: number, min: number, max: number): number | undefined {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) && n >= min && n <= max ? n : undefined;
}

function parseSpeed(text: string | undefined): number | undefined {
  if (text === undefined) return 1;
  if (text.toLowerCase() === 'max') return Number.POSITIVE_INFINITY;
  if (!/^\d+(\.\d+)?$/.test(text)) return undefined;
  const n = Number(text);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

function parseJsonObject(text: string | undefined): Record<string, unknown> | undefined {
  if (text === undefined) return {};
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function isPlainDecimal(text: string): boolean {
  if (!/^\d+(\.\d+)?$/.test(text)) return false;
  try {
    parseFixed(text);
    return true;
  } catch {
    return false;
  }
}

function parseFee(text: string | undefined): string | undefined {
  if (text === undefined || !isPlainDecimal(text)) return undefined;
  return feeTextProblem({ taker: text }) === undefined ? text : undefined;
}

function isDatabaseUrl(url: string): boolean {
  if (url.startsWith('sqlite:')) return url.length > 'sqlite:'.length;
  return /^postgres(ql)?:\/\/[^\s]+$/.test(url);
}

function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}

const SECRET_KEY = /key|secret|password|passphrase|token|auth|uid|private/i;

function redactObject(value: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (SECRET_KEY.test(k)) out[k] = '[redacted]';
    else if (typeof v === 'object' && v !== null && !Array.isArray(v)) out[k] = redactObject(v as Record<string, unknown>);
    else if (typeof v === 'string' && /^[a-z]+:\/\//i.test(v)) out[k] = redactUrl(v);
    else out[k] = v;
  }
  return out;
}

