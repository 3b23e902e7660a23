/**
 * `papertrade serve`: configuration → live-trading interlock → the durable engine (restored from its
 * snapshot and journal) → credentials and the admin key → a default account on first start → the
 * market feed → the HTTP server.
 *
 * Guarantees: the server refuses to start, saying why, on a bad configuration or when live trading
 * is asked for without all three of PAPER_TRADING=false, LIVE_TRADING_CONFIRM and exchange keys; a
 * generated admin key is printed once and only its hash is stored; keys (the admin key, the default
 * account's) are created and printed only after the server listens, so a start that fails burns no
 * one-time secret, and a later start prints none; the replay feed resumes after the
 * engine's clock, so a restart never sends the kernel back in time; the live feed's instruments come
 * from the exchange (else its cache, else the bundled specs) before the engine opens; the engine
 * opens under the database's writer lease (a second writer is refused, naming the first), and the
 * lease records the server's URL, so `papertrade accounts` goes through this server's API.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { checkLiveInterlock, describeConfig, formatConfigErrors, loadConfig, type AppConfig } from '../config/index.js';
import { SnapshotConfigError, type DurableEngine } from '../engine/index.js';
import { openExclusiveEngine, type ExclusiveEngine } from '../engine/exclusive-engine.js';
import { describeHolder, WriterLeaseHeldError, type AcquireOptions } from '../engine/writer-lease.js';
import type { OrderExecutionService } from '../execution/order-execution-service.js';
import { PaperExecutionService } from '../execution/paper-execution-service.js';
import { AuditLog } from '../persistence/audit-log.js';
import { CredentialStore, type AccountProfile } from '../persistence/credential-store.js';
import { CredentialCipher } from '../persistence/credential-cipher.js';
import { ExchangeKeyStore } from '../persistence/exchange-key-store.js';
import type { LivePorts } from './live-ports.js';
import { createAccount } from '../api/account-service.js';
import { sha256 } from '../api/auth.js';
import { EngineHub } from '../api/engine-hub.js';
import { eventWaiterOn, paperExecutionPort } from './paper-port.js';
import { registerDashboard } from '../api/dashboard-routes.js';
import { registerBinanceApi } from '../api/binance/index.js';
import { registerBinanceUsdmApi } from '../api/binance-usdm/index.js';
import { registerMexcApi } from '../api/mexc/index.js';
import { registerMexcContractApi } from '../api/mexc-contract/index.js';
import { buildServer, type ServerOptions } from '../api/server.js';
import type { ServiceDeps } from '../api/service-deps.js';
import { webhookRoutes } from '../api/webhook-routes.js';
import { webhookSettingsFromEnv } from '../config/webhook-config.js';
import { WebhookStore } from '../persistence/webhook-store.js';
import { openMarketSource, type MarketFeed, type MarketSource } from './market-source.js';
import { StartupError } from './startup-error.js';
import { WebhookDispatcher } from './webhook-dispatcher.js';

export interface RunningService {
  readonly app: FastifyInstance;
  readonly url: string;
  readonly deps: ServiceDeps;
  stop(): Promise<void>;
}

export { StartupError };

export async function startService(env: NodeJS.ProcessEnv = process.env, options: { print?: (line: string) => void; plugins?: ServerOptions['plugins'] } = {}): Promise<RunningService> {
  const print = options.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  const loaded = loadConfig(env);
  if (!loaded.ok) throw new StartupError(`configuration refused:\n${formatConfigErrors(loaded.error)}`);
  const config = loaded.value;
  const interlock = checkLiveInterlock(config);
  if (interlock.mode === 'refused') {
    throw new StartupError(`live trading refused; missing: ${interlock.missing.join('; ')}. Set PAPER_TRADING=true (the default) to trade on paper.`);
  }
  const webhookSettings = webhookSettingsFromEnv(env);
  if (!webhookSettings.ok) throw new StartupError(`configuration refused:\n${webhookSettings.errors.map((e) => `  ${e}`).join('\n')}`);

  const source = await openMarketSource(config, print);
  let opened: ExclusiveEngine;
  try {
    opened = await openServiceEngine(config, source, 'server', undefined, (holder, waitMs) =>
      print(`the database is in use by ${describeHolder(holder)}; waiting up to ${Math.ceil(waitMs / 1000)} s for it to let go`),
    );
  } catch (error) {
    await source.close();
    throw error;
  }
  const engine = opened.engine;
  const hub = new EngineHub(engine, config.marketData === 'live' ? Date.now : undefined);
  const credentials = new CredentialStore(engine.db);
  await credentials.load();
  const audit = new AuditLog(engine.db);
  // A generated admin key is stored and shown only once the server listens: a start that fails
  // (port taken) burns no one-time secret.
  const admin = await adminKey(engine, config);
  const adminKeyHash = admin.hash;
  // Every event batch, market data included, reaches the waiter, so an order delayed by LATENCY_MS
  // is answered when it arrives at the venue (or at once, 503, if the engine stops meanwhile).
  const waiter = eventWaiterOn(hub);
  // Each account's exchange keys, sealed under CREDENTIALS_KEY; live mode reads and trades with them.
  const exchangeKeys = new ExchangeKeyStore(engine.db, config.credentialsKey !== undefined ? new CredentialCipher(config.credentialsKey) : undefined);
  let serverLog: FastifyInstance['log'] | undefined;
  const liveLogger = { info: (f: object, m?: string) => serverLog?.info(f, m), warn: (f: object, m?: string) => serverLog?.warn(f, m), error: (f: object, m?: string) => serverLog?.error(f, m) };
  // The live ports (ccxt and its mapping, about 0.5 s to import) are loaded only when the interlock
  // says live; a paper service never imports an exchange client (docs/adr/0059).
  let livePorts: LivePorts | undefined;
  if (interlock.mode === 'live') {
    const { createLivePorts } = await import('./live-ports.js');
    livePorts = createLivePorts({ config, exchangeKeys, audit, credentials, instruments: () => engine.kernel.instruments(), live: { logger: liveLogger } });
  }
  const execution: OrderExecutionService = livePorts?.execution ?? new PaperExecutionService(paperExecutionPort(engine, hub, waiter));
  let feed: MarketFeed | undefined;
  const deps: ServiceDeps = {
    hub,
    db: engine.db,
    credentials,
    audit,
    execution,
    exchangeKeys,
    ...(livePorts !== undefined ? { reads: livePorts.reads, reconciliation: livePorts.reconciler } : {}),
    adminKeyHash,
    mode: { mode: execution.mode, liveRefusedBecause: whatLiveWouldNeed(config) },
    feeds: () => feed?.status() ?? [],
  };
  await audit.append({ at: Date.now(), actor: 'service', mode: execution.mode, action: 'service.start', details: describeConfig(config) });
  // Webhooks hear the engine before the feed starts; they log through the server once it exists.
  const { operator, maxAttempts } = webhookSettings.value;
  const webhooks = new WebhookDispatcher({
    store: new WebhookStore(engine.db),
    hub,
    feeds: () => deps.feeds(),
    ...(operator !== undefined ? { operator } : {}),
    ...(maxAttempts !== undefined ? { retry: { maxAttempts } } : {}),
    log: (level, message, details) => serverLog?.[level](details ?? {}, message),
  });
  await webhooks.start();

  const app = await buildServer(deps, {
    logger: { level: config.logLevel },
    limits: config.limits,
    trustProxy: config.trustProxy,
    plugins: [registerMexcContractApi, registerMexcApi, registerBinanceApi, registerBinanceUsdmApi, webhookRoutes(webhooks), ...(options.plugins ?? []), registerDashboard],
  });
  serverLog = app.log;
  // Live: the record of what was sent is compared with the venue before the first request; differences are logged and kept for GET /api/admin/live/reconciliation.
  if (livePorts !== undefined) await livePorts.reconciler.run();
  feed = source.startFeed(hub, (status) => app.log[status.status === 'synced' ? 'info' : 'warn']({ feed: status }, `market feed ${status.symbol}: ${status.status}${status.reason !== undefined ? ` (${status.reason})` : ''}`));
  const symbols = source.instruments.map((i) => i.symbol);
  // As the feeds say it (GET /api/market/feeds, /ready): a trades-only replay is synced once its
  // prints arrive, though its book is empty between two of them (ADR 0041).
  const unsynced = () => {
    const statuses = feed?.status() ?? [];
    return symbols.filter((symbol) => statuses.find((s) => s.symbol === symbol)?.status !== 'synced');
  };
  await waitFor(() => unsynced().length === 0, 15_000);
  const waiting = unsynced();
  if (waiting.length > 0) print(`Order books not synced yet: ${waiting.join(', ')}; orders on them wait until they are (GET /api/market/feeds).`);
  let address: string;
  try {
    address = await app.listen({ host: config.host, port: config.port });
  } catch (error) {
    await feed.stop();
    await webhooks.stop();
    await app.close();
    await opened.close({ snapshot: false });
    throw new StartupError(listenFailure(error, config), { cause: error });
  }
  const url = address.replace('[::1]', 'localhost');
  await opened.lease?.announce(url);
  // Keys are printed when they are created, never again on a later start. Everything is printed
  // at once, after the last await, so whoever sees the "… TRADING on" line sees the keys too.
  const lines: string[] = [];
  if (admin.generated !== undefined) {
    await engine.db.insertInto('service_settings').values({ key: 'admin_key_sha256', value: admin.hash }).execute();
    lines.push(`Generated the admin API key (shown only this once; set ADMIN_API_KEY to choose your own): ${admin.generated}`);
  }
  let created: AccountProfile | undefined;
  if (credentials.list().length === 0) {
    const futuresOnly = source.instruments.every((i) => i.market === 'perpetual');
    const keys = execution.mode === 'live' && config.exchangeApiKey !== undefined && config.exchangeApiSecret !== undefined ? { exchangeCredentials: { apiKey: config.exchangeApiKey, secret: config.exchangeApiSecret } } : {};
    created = await createAccount(deps, { name: 'default', type: futuresOnly ? 'futures' : 'spot', balances: config.initialBalances, ...keys }, 'service');
    if (execution.mode === 'paper') lines.push(`Created the default paper account "${created.accountId}" with ${Object.entries(config.initialBalances).map(([a, v]) => `${v} ${a}`).join(', ')}.`);
    // Live, an account's balances are the venue's, and without exchange keys its requests are refused.
    else if ('exchangeCredentials' in keys) lines.push(`Created the default live account "${created.accountId}" with the exchange keys this start was given: its balances and orders are the venue's.`);
    else lines.push(`Created the default live account "${created.accountId}" without exchange keys: its requests are refused (403 EXCHANGE_CREDENTIALS_MISSING) until they are set with PUT /api/accounts/${created.accountId}/exchange-credentials (admin key), or EXCHANGE_API_KEY and EXCHANGE_API_SECRET at the first start.`);
    lines.push(`  API key:    ${created.apiKey}`);
    lines.push(`  API secret: ${created.apiSecret}   (shown once; MEXC-style signing uses it)`);
  }
  lines.push(`papertrade ${execution.mode === 'paper' ? 'PAPER TRADING' : 'LIVE TRADING'} on ${url} (API docs ${url}/docs), database ${String(describeConfig(config).databaseUrl)}`);
  lines.push(`Market data: ${source.description}`);
  if (created !== undefined) {
    lines.push(`Dashboard: ${url}/?key=${created.apiKey}`);
    lines.push(`Trade with: curl -H "Authorization: Bearer ${created.apiKey}" ${url}/api/account/balances`);
  } else {
    lines.push(`Dashboard: ${url}/ (sign in with an account's API key or the admin key)`);
  }
  print(lines.join('\n'));

  return {
    app,
    url,
    deps,
    async stop() {
      await feed?.stop();
      await app.close();
      await webhooks.stop();
      await opened.close({ snapshot: true });
    },
  };
}

/**
 * The engine `serve` runs: the configured database under the kernel configuration the market source
 * gives, opened under the database's writer lease (waiting up to `waitMs` for another writer to
 * finish; `onWait` hears of the wait when it starts). Every tool that writes to the database opens it this way, so its configuration is the
 * server's and no two processes write the journal at once.
 */
export async function openServiceEngine(
  config: AppConfig,
  source: Pick<MarketSource, 'instruments' | 'funding'>,
  role: string,
  waitMs = 10_000,
  onWait?: AcquireOptions['onWait'],
): Promise<ExclusiveEngine> {
  try {
    const kernelConfig = {
      instruments: source.instruments,
      latencyMs: config.latencyMs,
      ...(config.marketData === 'live' ? { staleAfterMs: config.staleAfterMs } : {}),
      ...(source.funding !== undefined ? { funding: source.funding } : {}),
    };
    return await openExclusiveEngine(
      {
        databaseUrl: config.databaseUrl,
        kernelConfig,
        snapshotIntervalMs: config.snapshotIntervalMs,
        // SNAPSHOT_INTERVAL_MS=0 turns snapshots off: none after position changes or long rollback tails either.
        ...(config.snapshotIntervalMs === 0 ? { positionSnapshotDebounceMs: 0, snapshotAfterInputs: 0 } : {}),
        ...(config.journalRetentionMs !== undefined ? { journalRetentionMs: config.journalRetentionMs } : {}),
        maxProjectionBacklog: config.maxProjectionBacklog,
      },
      role,
      onWait === undefined ? { waitMs } : { waitMs, onWait },
    );
  } catch (error) {
    if (error instanceof SnapshotConfigError) {
      throw new StartupError(
        `the database ${String(describeConfig(config).databaseUrl)} belongs to an engine configured otherwise; it is left as it is.\n` +
          `  its configuration:  ${error.snapshotConfig}\n  this start asks for: ${error.currentConfig}\n` +
          'Start with the configuration it was created with (MARKET_DATA, REPLAY_RECORDING, EXCHANGE, SYMBOLS, LATENCY_MS), or give this one its own DATABASE_URL.',
      );
    }
    if (error instanceof WriterLeaseHeldError) {
      throw new StartupError(`${error.message}; one process at a time writes to ${String(describeConfig(config).databaseUrl)}. Stop it first, or give this one its own DATABASE_URL.`, { cause: error });
    }
    throw error;
  }
}

/**
 * ADMIN_API_KEY when set; otherwise the stored hash, or a new key (`generated`), which the caller
 * stores and prints once the server listens.
 */
async function adminKey(engine: DurableEngine, config: AppConfig): Promise<{ hash: string; generated?: string }> {
  if (config.adminApiKey !== undefined) return { hash: sha256(config.adminApiKey) };
  const stored = await engine.db.selectFrom('service_settings').select('value').where('key', '=', 'admin_key_sha256').executeTakeFirst();
  if (stored !== undefined) return { hash: stored.value };
  const key = `ptadmin_${randomBytes(24).toString('base64url')}`;
  return { hash: sha256(key), generated: key };
}

/** Why the server could not listen, in words a user acts on. */
function listenFailure(error: unknown, config: AppConfig): string {
  const code = (error as { code?: string }).code;
  const where = `${config.host}:${config.port}`;
  if (code === 'EADDRINUSE') return `cannot listen on ${where}: the port is in use (another papertrade, or another program). Stop it, or choose another port with PORT or --port. No key was created.`;
  if (code === 'EACCES') return `cannot listen on ${where}: permission denied (ports below 1024 need privileges). Choose another port with PORT or --port. No key was created.`;
  if (code === 'EADDRNOTAVAIL') return `cannot listen on ${where}: no such address on this machine. Check HOST or --host. No key was created.`;
  return `cannot listen on ${where}: ${error instanceof Error ? error.message : String(error)}`;
}

/** What switching to live would still need (shown by the dashboard's mode toggle). */
function whatLiveWouldNeed(config: AppConfig): string[] {
  const decision = checkLiveInterlock({ ...config, paperTrading: false });
  return decision.mode === 'refused' ? [...decision.missing] : [];
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
