/**
 * The service in-process for tests: a real durable engine on a temporary SQLite file, the real
 * recording fed up to a chosen moment, the paper facade, and the Fastify app (driven with `inject`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { sha256 } from '../api/auth.js';
import { EngineHub } from '../api/engine-hub.js';
import { paperExecutionPort } from '../service/paper-port.js';
import { buildServer, type ServerOptions } from '../api/server.js';
import type { ServiceDeps } from '../api/service-deps.js';
import { webhookRoutes } from '../api/webhook-routes.js';
import { DurableEngine, type DurableEngineOptions } from '../engine/index.js';
import { readModelMismatches } from '../engine/read-model-check.js';
import { PaperExecutionService } from '../execution/paper-execution-service.js';
import type { Instrument } from '../core/instruments/instrument.js';
import { instrumentForRecording } from '../market-data/replay-session.js';
import type { Recording } from '../market-data/recording-reader.js';
import { AuditLog } from '../persistence/audit-log.js';
import { CredentialStore } from '../persistence/credential-store.js';
import { WebhookStore } from '../persistence/webhook-store.js';
import { WebhookDispatcher, type WebhookDispatcherOptions } from '../service/webhook-dispatcher.js';
import { loadRecording } from './recording-stepper.js';
import { BUNDLED_RECORDING } from './data-paths.js';

export const ADMIN_KEY = 'admin-key-for-tests';

export interface TestService {
  readonly app: FastifyInstance;
  readonly deps: ServiceDeps;
  readonly engine: DurableEngine;
  readonly recording: Recording;
  /** The webhook dispatcher, when `webhooks` was given. */
  readonly webhooks?: WebhookDispatcher;
  /** Feeds the recording's market inputs stamped at or before `time`. */
  feedUntil(time: number): Promise<void>;
  /** The market time fed up to (the `until` option, then the latest `feedUntil`). */
  readonly fedUntil: number;
  /**
   * Plays `ms` more of the recording in steps of `stepMs` of market time, with a pause of 5 ms of
   * wall time after each, so that sockets get their frames step by step as they would live.
   */
  feedFor(ms: number, stepMs?: number): Promise<void>;
  /** The service's database (a SQLite file in a temporary directory of its own, unless the options named another). */
  readonly databaseUrl: string;
  /** Closes the service and removes its temporary directory, database included. */
  close(): Promise<void>;
  /**
   * Closes the service (the read tables checked as `close` checks them) and starts it again on the
   * same database, with the same options: the engine recovers from its snapshot and journal as a
   * restarted service does, and the recording resumes after the market time already fed.
   * `snapshot: false` closes without a final snapshot: the restart replays the journal.
   */
  restart(options?: { readonly snapshot?: boolean }): Promise<TestService>;
}

export interface TestServiceOptions {
  /** Check at close that the read tables agree with the kernel (default true). */
  readonly checkReadModel?: boolean;
  readonly recording?: string;
  readonly until?: number;
  readonly latencyMs?: number;
  readonly plugins?: ServerOptions['plugins'];
  /** Engine options besides the kernel's (default: a temporary SQLite file, no timed snapshots). */
  readonly engine?: Omit<DurableEngineOptions, 'kernelConfig'>;
  /** The instrument traded, from the recording's (default: the recording's own, unchanged). */
  readonly instrument?: (recorded: Instrument) => Instrument;
  /**
   * More markets, one per symbol given: each the recording's instrument under that symbol, fed the
   * recording's own market inputs under it (each right after the original), so that an account can
   * hold positions on several symbols. The data is the recording's, whatever the symbol says.
   */
  readonly mirrors?: readonly string[];
  /** Outbound webhooks (dispatcher and routes), with these options; the feeds default to the service's. */
  readonly webhooks?: Omit<WebhookDispatcherOptions, 'store' | 'hub'>;
}

export async function startTestService(options: TestServiceOptions = {}): Promise<TestService> {
  const dir = mkdtempSync(join(tmpdir(), 'papertrade-api-'));
  return start(options, { databaseUrl: `sqlite:${join(dir, 'test.db')}`, fedUntil: undefined, dir });
}

/**
 * The service on `databaseUrl` (unless the options name another database); `fedUntil` set: a
 * restart, the recording resumes after it. `dir`: the temporary directory of the database, removed
 * by the service's `close()` (a restart keeps it).
 */
async function start(options: TestServiceOptions, from: { readonly databaseUrl: string; readonly fedUntil: number | undefined; readonly dir: string }): Promise<TestService> {
  const recorded = loadRecording(options.recording ?? BUNDLED_RECORDING);
  const mirrors = options.mirrors ?? [];
  const recording: Recording = mirrors.length === 0 ? recorded : { ...recorded, inputs: recorded.inputs.flatMap((input) => [input, ...mirrors.map((symbol) => ({ ...input, symbol }))]), levels: undefined, trades: undefined };
  const instrument = (options.instrument ?? ((own) => own))(instrumentForRecording(recorded));
  const engine = await DurableEngine.open({
    databaseUrl: from.databaseUrl,
    snapshotIntervalMs: 0,
    ...options.engine,
    kernelConfig: { instruments: [instrument, ...mirrors.map((symbol) => ({ ...instrument, symbol }))], latencyMs: options.latencyMs ?? 0 },
  });
  const hub = new EngineHub(engine);
  const credentials = new CredentialStore(engine.db);
  await credentials.load();
  const deps: ServiceDeps = {
    hub,
    db: engine.db,
    credentials,
    audit: new AuditLog(engine.db),
    execution: new PaperExecutionService(paperExecutionPort(engine, hub)),
    adminKeyHash: sha256(ADMIN_KEY),
    mode: { mode: 'paper', liveRefusedBecause: ['PAPER_TRADING=false', 'LIVE_TRADING_CONFIRM=I_UNDERSTAND_REAL_MONEY', 'exchange API key and secret'] },
    feeds: () => [recording.symbol, ...mirrors].map((symbol) => ({ symbol, source: 'replay' as const, status: (engine.kernel.bookStatus(symbol)?.status ?? 'awaiting-snapshot') as 'synced', lastEventAt: engine.kernel.now })),
  };
  const webhooks = options.webhooks !== undefined ? new WebhookDispatcher({ feeds: () => deps.feeds(), ...options.webhooks, store: new WebhookStore(engine.db), hub }) : undefined;
  await webhooks?.start();
  const plugins = [...(options.plugins ?? []), ...(webhooks !== undefined ? [webhookRoutes(webhooks)] : [])];
  const app = await buildServer(deps, plugins.length > 0 ? { plugins } : {});
  // A restart resumes the recording after what the database was fed already.
  let next = from.fedUntil === undefined ? 0 : recording.inputs.findIndex((input) => input.time > from.fedUntil!);
  if (next < 0) next = recording.inputs.length;
  let fedUntil = from.fedUntil ?? 0;
  // Market inputs go in waves: the engine keeps submit order, and a wave shares its group commits.
  const feedUntil = async (time: number) => {
    fedUntil = Math.max(fedUntil, time);
    while (next < recording.inputs.length && recording.inputs[next]!.time <= time) {
      const wave: Promise<unknown>[] = [];
      while (wave.length < 256 && next < recording.inputs.length && recording.inputs[next]!.time <= time) wave.push(hub.submit(recording.inputs[next++]!));
      await Promise.all(wave);
    }
  };
  if (from.fedUntil === undefined) await feedUntil(options.until ?? recording.inputs[0]!.time + 5_000);
  const service: TestService = {
    app,
    deps,
    engine,
    recording,
    ...(webhooks !== undefined ? { webhooks } : {}),
    feedUntil,
    get fedUntil() {
      return fedUntil;
    },
    databaseUrl: options.engine?.databaseUrl ?? from.databaseUrl,
    async feedFor(ms: number, stepMs = 250) {
      for (const end = fedUntil + ms; fedUntil < end; ) {
        await feedUntil(fedUntil + stepMs);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    },
    async close() {
      try {
        await closeService();
      } finally {
        // The database goes with the service: a suite or a bench run leaves nothing in the temp directory.
        rmSync(from.dir, { recursive: true, force: true });
      }
    },
    async restart(restartOptions = {}) {
      await closeService(restartOptions.snapshot);
      return start(options, { databaseUrl: from.databaseUrl, fedUntil, dir: from.dir });
    },
  };
  async function closeService(snapshot?: boolean): Promise<void> {
    await webhooks?.stop();
    await app.close();
    // The read tables must agree with the kernel after any scenario (engine/read-model-check.ts),
    // checked whenever the engine is still healthy enough to be asked.
    let problems: string[] = [];
    if (options.checkReadModel !== false && engine.status.state === 'ready') {
      try {
        await engine.readModelCaughtUp();
        problems = await readModelMismatches(engine.db, engine.kernel);
      } catch (error) {
        // An outage that began during the check is not a disagreement; anything else is.
        if (engine.status.state === 'ready') problems = [`the check could not run: ${error instanceof Error ? error.message : String(error)}`];
      }
    }
    await engine.close(snapshot === false ? { snapshot: false } : {});
    if (problems.length > 0) throw new Error(`the read tables disagree with the kernel:\n  ${problems.join('\n  ')}`);
  }
  return service;
}
