/**
 * The durable engine: one kernel, one database. Nothing acknowledged is ever lost.
 *
 * Guarantees:
 * - journal first: `submit` resolves only after its input is committed to the journal (group
 *   commit; on SQLite fsynced) and handled by the kernel. The kernel handles inputs exactly in
 *   journal order, and only committed ones: its `inputCount` is always the seq of the last input it
 *   handled, and never runs ahead of the journal. On a SQLite file it handles an input once its
 *   commit is in the WAL, before the fdatasync that makes it durable (`submitHandled` answers then,
 *   with the promise of that fdatasync; ADR 0084): anything written after it (a snapshot, the read
 *   tables, the API's audit entry) is later in the same WAL, so no durable write can outlive the
 *   input. A failed COMMIT leaves the kernel untouched; a failed fdatasync stops the engine;
 * - every start is a restart (`open` calls `restoreAccounts`): the latest usable snapshot, then the
 *   journal tail through `kernel.handle`, gives the state the engine had, open orders, pending
 *   commands and positions included, byte for byte (the kernel is deterministic);
 * - the kernel sees the journaled JSON (the input after a JSON round trip), exactly what a replay
 *   will see; inputs the kernel cannot apply at all are refused before the journal (`InputRefusedError`);
 * - quarantine: no journal content stops a start. An input the kernel answers with INPUT_REJECTED
 *   (malformed, damaged, or rolled back after breaking an invariant) is set aside: a row in
 *   `quarantined_inputs` and an `onInputSetAside` report (a log line), at first handling and on
 *   every replay. A seq missing from the journal is set aside the same way; a snapshot that fails its
 *   check (a part missing, changed or cut short: its part count and SHA-256, snapshot-store.ts) or
 *   does not restore is passed over for an older one, or for the whole journal, and reported
 *   (`SNAPSHOT`); never restored from. Where the journal is compacted behind it and nothing older
 *   restores, the start is refused, naming each snapshot passed over and why;
 * - the read tables follow the kernel's events asynchronously (`ReadModelProjector`); a restart
 *   brings them up to date before `open` resolves; balances of every account an input touched are
 *   upserted with its events;
 * - a new engine saves a snapshot of its empty state, so its configuration is on record: a later
 *   `open` under another configuration throws `SnapshotConfigError` and changes nothing;
 * - snapshots every `snapshotIntervalMs` of wall time and after position opens/closes (debounced);
 *   each is saved only after the read model covers it, so a restart from it misses no events; they
 *   are rebuilt and serialized in a worker thread from the previous snapshot and the journal
 *   (background-snapshot.ts), and written one part per transaction, so taking one never stalls
 *   the event loop for more than a part's write;
 * - the database may go away (a restart, a failover, a dropped connection): a journal write,
 *   projection or snapshot that fails for want of a connection (the snapshot worker's own
 *   included: no in-process snapshot is taken instead) makes the engine `unavailable`
 *   (engine-status.ts), not failed. The submits of the failed commit group, and every submit until
 *   the database answers again, reject with `EngineUnavailableError`: none was acknowledged, none
 *   was applied. The engine retries the database with back-off (`retry`); once it answers, the kernel
 *   catches up with whatever the journal holds beyond it (a commit that landed although its
 *   connection was lost), the journal continues after its committed head (no gap, no duplicate
 *   seq), the projection resumes from its checkpoint, and the engine is `ready` again;
 * - fail fast otherwise: any other failed journal write, a kernel error or a failed projection
 *   stops the engine (`failed`); every later `submit` rejects. Restarting rebuilds from what is
 *   durable.
 * - contained failures without a stall: an input that throws half-way is rolled back by the kernel
 *   from its checkpoint and the inputs since (kernel.ts). With snapshots on, the engine hands the
 *   kernel each snapshot it saves as that checkpoint, so the kernel never serializes its state on
 *   the event loop while inputs flow (it takes one itself at a start, after a contained failure,
 *   and as a backstop); a snapshot is asked for once `snapshotAfterInputs` inputs wait behind the
 *   checkpoint, which bounds the memory of the rollback tail. After an input the kernel rolled
 *   back (INTERNAL), the next snapshot is the live kernel's own, serialized here: a worker's
 *   rebuild replays the journal, where a fault that does not recur would apply that input;
 * - journal compaction (`journalRetentionMs`, off by default): after a snapshot, the journal
 *   behind the oldest snapshot kept and past the retention is deleted, oldest first, in small
 *   transactions; a restart needs a snapshot at or after the journal's first seq (it refuses, with
 *   the reason, to replay a compacted journal from nothing).
 * Not modelled: several processes on one database (one writer owns the journal).
 * Cost per input: one JSON.stringify and one JSON.parse, the journal row (amortised over the commit group), the
 * kernel; events are projected in batches off the acknowledgement path.
 */
import type { Kysely } from 'kysely';
import type { ExitLegView, KernelEvent } from '../core/kernel/events.js';
import type { CancelOrderInput, KernelInput } from '../core/kernel/inputs.js';
import { isOpenStatus } from '../core/orders/order-status.js';
import { ORDER_FAULT_REASON } from '../core/matching/order-fault.js';
import { BATCH_CHECKPOINT_INPUTS, HOST_CHECKPOINT_TAIL_LIMIT, Kernel, type KernelConfig } from '../core/kernel/kernel.js';
import { SnapshotConfigError } from '../core/kernel/kernel-snapshot.js';
import { DEFAULT_DATABASE_URL, isDatabaseUnavailable, openAndMigrate, type OpenOptions, type PersistenceDatabase } from '../persistence/database.js';
import { JournalStore, JournalWriteError } from '../persistence/journal-store.js';
import { ReadModel, type BalanceView, type ImportedAccount, type ImportedOrder } from '../persistence/read-model.js';
import type { ExitLeg, Order } from '../core/orders/order.js';
import { formatFixed } from '../core/money/fixed.js';
import type { Database } from '../persistence/schema.js';
import { SNAPSHOT_PART_CHARS, SnapshotDamagedError, SnapshotStore, type Snapshot } from '../persistence/snapshot-store.js';
import { canRebuildInWorker, stateAndPartsFromWorker, workerWritesParts } from './background-snapshot.js';
import { DatabaseOutage } from './database-outage.js';
import { EngineUnavailableError, ProjectionBehindError, type EngineState, type EngineStatus } from './engine-status.js';
import { InputRefusedError, inputProblem, storageProblem } from './input-guard.js';
import { journalRows } from './journal-reader.js';
import { handleJournaled, handleMissing, handlePageRow } from './journal-replay.js';
import { ReadModelProjector } from './read-model-projector.js';
import { SnapshotScheduler } from './snapshot-scheduler.js';

/** An input the kernel did not apply, or a restore that went on past a damaged part. */
export interface SetAsideReport {
  /** The input's journal seq (0: not about one input). */
  readonly seq: number;
  readonly code: string;
  readonly reason: string;
  /** True while the journal is being replayed at a start. */
  readonly duringRestore: boolean;
}

export interface DurableEngineOptions {
  /** `sqlite:<path>` (default `sqlite:./data/papertrade.db`) or `postgres://…`. */
  readonly databaseUrl?: string;
  /** PostgreSQL schema and pool size. */
  readonly database?: OpenOptions;
  /** Must be the same on every start: snapshots and the journal mean nothing under another config. */
  readonly kernelConfig: KernelConfig;
  /** Wall-time snapshot interval (default 300,000 = 5 min; 0: off). */
  readonly snapshotIntervalMs?: number;
  /** Shortest wall time between snapshots caused by position changes (default 5,000; 0: off). */
  readonly positionSnapshotDebounceMs?: number;
  /**
   * A snapshot is asked for once this many inputs were handled since the last one (default
   * 131,072; 0: off), at most one per `positionSnapshotDebounceMs`. The kernel's rollback tail is
   * those inputs (see the header); with 0, the kernel takes its own checkpoints on the event loop.
   */
  readonly snapshotAfterInputs?: number;
  /** Snapshots kept (default 3). */
  readonly keepSnapshots?: number;
  /**
   * Timed and position-change snapshots are rebuilt in a worker thread from the database (default
   * true; ignored for `sqlite::memory:`), so the event loop never serializes the kernel.
   */
  readonly snapshotInWorker?: boolean;
  /**
   * Journal compaction: after each snapshot, inputs behind the oldest snapshot kept and more than
   * this many ms older than the newest input (the inputs' own clock) are deleted. Undefined
   * (default): the journal is kept whole. 0: compacted right up to the oldest snapshot kept.
   */
  readonly journalRetentionMs?: number;
  /**
   * New orders are refused (503, nothing recorded) while more than this many inputs with events
   * wait for the read tables (default 20,000: tens of MB of events at most); cancels and
   * reduce-only orders never are.
   */
  readonly maxProjectionBacklog?: number;
  /** Background failures (a snapshot, the projection); they also stop the engine. Default: console.error. */
  readonly onError?: (error: unknown) => void;
  /** Told of every input set aside (see quarantine above). Default: a console.warn line each. */
  readonly onInputSetAside?: (report: SetAsideReport) => void;
  /** Told when the engine becomes unavailable and ready again. Default: a console.warn line each. */
  readonly onStatusChange?: (status: EngineStatus) => void;
  /** Back-off between database retries while unavailable: first and longest wait (default 100 ms, 5,000 ms). */
  readonly retry?: { readonly minMs?: number; readonly maxMs?: number };
}

/** What a submit gives back once its input is durable and handled. */
export interface Acknowledged {
  readonly seq: number;
  readonly events: KernelEvent[];
}

/**
 * What `submitHandled` gives back once its input is committed and handled, before it is durable:
 * `durable` resolves once it is (rejects with EngineUnavailableError, outcome 'unknown', when the
 * engine fails before that). Nothing may be acknowledged to anyone before `durable` resolves.
 */
export interface Handled extends Acknowledged {
  readonly durable: Promise<void>;
}

export interface RestoreOutcome {
  /** Seq of the snapshot restored, 0 when the journal was replayed from the start. */
  readonly snapshotSeq: number;
  /** Journal inputs replayed through the kernel. */
  readonly replayed: number;
  /** Inputs whose events were projected into the read tables during the restore. */
  readonly projected: number;
  /** The kernel's and the journal's seq after the restore. */
  readonly seq: number;
  readonly ms: number;
}

interface Waiting {
  readonly seq: number;
  readonly input: KernelInput;
  /** The input's journaled JSON text (the kernel's rollback tail keeps it rather than the object). */
  readonly text: string;
  committed: boolean;
  /** Handled by the kernel (its commit landed): it then waits in `unsynced` until durable. */
  handled: boolean;
  readonly resolve: (handled: Handled) => void;
  readonly reject: (error: unknown) => void;
  readonly durable: Promise<void>;
  readonly synced: () => void;
  readonly unsyncable: (error: unknown) => void;
}

const POSITION_CHANGES = new Set<string>(['POSITION_OPENED', 'POSITION_CLOSED']);

/**
 * Inputs behind the kernel's rollback checkpoint that ask for a snapshot (which becomes the next
 * checkpoint), by default: about 40 MB of journaled texts held; the kernel's own backstop is 4× further.
 */
const SNAPSHOT_AFTER_INPUTS = 131_072;
/** Inputs waiting for the read tables past which new orders are refused (`maxProjectionBacklog`). */
const MAX_PROJECTION_BACKLOG = 20_000;

/** How often the engine tries the deletes a snapshot worker could not make, while the database is unreachable (`deleteUnreadPartsAfterWorker`). */
const FALLBACK_DELETE_TRIES = 5;

/** Journal rows read per query during a restore. */
const RESTORE_PAGE = 10_000;

/**
 * Journal rows a long restore reads on its own thread while the journal reader's worker starts
 * (journal-reader.ts): about as long to read and replay as the worker takes to start under tsx.
 */
const RESTORE_HEAD_START = 2 * RESTORE_PAGE;

/**
 * A state string in parts of at most `SNAPSHOT_PART_CHARS`, so that each part's write is short. A
 * surrogate pair (a character beyond U+FFFF, e.g. in an account's name) stays in one part: each half
 * alone would reach the database as U+FFFD.
 */
function* partsOf(state: string): Generator<string> {
  for (let offset = 0; offset < state.length; ) {
    let end = Math.min(offset + SNAPSHOT_PART_CHARS, state.length);
    const last = state.charCodeAt(end - 1);
    if (end < state.length && last >= 0xd800 && last <= 0xdbff) end -= 1;
    yield state.slice(offset, end);
    offset = end;
  }
}

const MIB = 1_048_576;

export class DurableEngine {
  private current: Kernel;
  private readonly symbols: ReadonlySet<string>;
  private readonly snapshots: SnapshotStore;
  private readonly readModel: ReadModel;
  private readonly projector: ReadModelProjector;
  private readonly scheduler: SnapshotScheduler;
  private waiting: Waiting[] = [];
  /** Inputs handled whose commit is not on disk yet (a SQLite file's fdatasync in flight), in seq order. */
  private unsynced: Waiting[] = [];
  private snapshotting: Promise<unknown> = Promise.resolve();
  private lastSnapshotSeq = -1;
  /**
   * Buffers the snapshot worker writes its UTF-8 into, shared with it and reused (at most two: the
   * one the kernel's checkpoint reads, `checkpointBuffer`, which is never written into, and one
   * free). A 30 MB state moved here as a new buffer each time is a new external allocation of the
   * main isolate each time, and V8 answered some with a full, non-incremental collection of the
   * heap on the event loop (50–150 ms; ADR 0048).
   */
  private stateBuffers: SharedArrayBuffer[] = [];
  private checkpointBuffer: SharedArrayBuffer | undefined;
  /** The size of the last state snapshotted, in UTF-8 bytes (in characters for an in-process one: at most its bytes). */
  private lastStateBytes: number | undefined;
  /** The last snapshot publish begun (its seq and time) that has not been seen to succeed: its COMMIT may have landed. */
  private publishing: { readonly seq: number; readonly at: number } | undefined;
  private failure: unknown;
  private closed = false;
  private restoring = false;
  private lastRestore: RestoreOutcome | undefined;
  private opened = false;
  private readonly outage: DatabaseOutage;
  private stateSince = Date.now();
  /** The last seq the kernel answered INTERNAL (rolled back) that no in-process snapshot covers yet. */
  private containedUpTo: number | undefined;

  private constructor(
    readonly database: PersistenceDatabase,
    private readonly journal: JournalStore,
    private readonly options: DurableEngineOptions,
  ) {
    const after = options.snapshotAfterInputs;
    if (after !== undefined && (!Number.isSafeInteger(after) || after < 0)) throw new RangeError(`snapshotAfterInputs must be a whole number ≥ 0 (0: off), got ${after}`);
    this.current = new Kernel(options.kernelConfig);
    this.symbols = new Set(options.kernelConfig.instruments.map((i) => i.symbol));
    this.snapshots = new SnapshotStore(database.db, { keep: options.keepSnapshots ?? 3 });
    const bases = new Map(options.kernelConfig.instruments.map((i) => [i.symbol, i.base] as const));
    this.readModel = new ReadModel(database.db, { valuationAsset: options.kernelConfig.valuationAsset ?? 'USDT', baseAssetOf: (symbol) => bases.get(symbol) });
    const report = options.onError ?? ((error: unknown) => console.error('papertrade engine stopped:', error));
    const stop = (error: unknown) => {
      if (isDatabaseUnavailable(error)) return this.enterOutage(error);
      if (this.failure === undefined) report(error);
      this.fail(error);
    };
    this.outage = new DatabaseOutage(
      {
        attempt: () => this.catchUp(),
        stopped: () => this.closed || this.failure !== undefined,
        giveUp: (error) => (report(error), this.fail(error)),
        changed: (ended) => this.notify(ended),
      },
      options.retry?.minMs,
      options.retry?.maxMs,
    );
    // SQLite's driver holds the event loop for a whole batch: there, batches are sized by time.
    // PostgreSQL's does not: full batches (`null`; an `undefined` argument would take the default budget).
    this.projector = new ReadModelProjector(this.readModel, stop, 250, database.dialect === 'sqlite' ? 2 : null);
    this.scheduler = new SnapshotScheduler(() => this.saveSnapshot(), stop, options.snapshotIntervalMs ?? 300_000, options.positionSnapshotDebounceMs ?? 5_000);
  }

  /** Opens (and migrates) the database, restores the state (`restoreAccounts`), then starts the snapshot timer. */
  static async open(options: DurableEngineOptions): Promise<DurableEngine> {
    const database = await openAndMigrate(options.databaseUrl ?? DEFAULT_DATABASE_URL, options.database ?? {});
    try {
      const engine = new DurableEngine(database, await JournalStore.open(database.db), options);
      await engine.restoreAccounts();
      // A new engine records its configuration at once (a snapshot of the empty state), so that a
      // later start under another configuration is refused before it replays a single input.
      if (engine.current.inputCount === 0 && engine.lastSnapshotSeq < 0) await engine.saveSnapshot({ inProcess: true });
      engine.scheduler.start();
      engine.opened = true;
      engine.stateSince = Date.now();
      return engine;
    } catch (error) {
      await database.close();
      throw error;
    }
  }

  /** The kernel, for queries (balances, orders, book). Change it only through `submit`. */
  get kernel(): Kernel {
    return this.current;
  }

  /** What the last restore (the one `open` ran, or a later `restoreAccounts`) did. */
  get restored(): RestoreOutcome {
    if (this.lastRestore === undefined) throw new Error('the engine has not been restored');
    return this.lastRestore;
  }

  get db(): Kysely<Database> {
    return this.database.db;
  }

  /** What the engine can do now (engine-status.ts). */
  get status(): EngineStatus {
    const state = this.state;
    const cause = state === 'unavailable' ? this.outage.cause : state === 'failed' ? this.failure : undefined;
    return {
      state,
      ready: state === 'ready',
      since: this.outage.since ?? this.stateSince,
      ...(cause !== undefined ? { reason: cause instanceof Error ? cause.message : String(cause) } : {}),
      outages: this.outage.count,
    };
  }

  /** True when the engine can apply and persist inputs now. */
  get ready(): boolean {
    return this.state === 'ready';
  }

  private get state(): EngineState {
    if (this.closed) return 'closed';
    if (this.failure !== undefined) return 'failed';
    if (this.outage.active) return 'unavailable';
    if (this.restoring || !this.opened) return 'restoring';
    return 'ready';
  }

  /** The seq of the last input handled; equal to the journal's once submits in flight are done. */
  get seq(): number {
    return this.current.inputCount;
  }

  /** The seq of the last input whose events are in the read tables. */
  get readModelSeq(): number {
    return this.projector.checkpoint;
  }

  /** Resolves once the read tables hold the events of every input handled before the call. */
  readModelCaughtUp(): Promise<void> {
    return this.projector.flush();
  }

  /** Journals the input, then handles it; resolves with its events once it is durable. */
  async submit(input: KernelInput): Promise<KernelEvent[]> {
    return (await this.submitSequenced(input)).events;
  }

  /** `submit`, also telling the input's journal seq. */
  async submitSequenced(input: KernelInput): Promise<Acknowledged> {
    const { seq, events, durable } = await this.submitHandled(input);
    await durable;
    return { seq, events };
  }

  /**
   * `submitSequenced` in two steps: resolves once the input's commit is written and the kernel has
   * handled it, with `durable`, which resolves once the commit is on disk (at once on PostgreSQL and
   * in memory; on a SQLite file, the WAL's next fdatasync). A caller that writes something of its
   * own about the answer (the API's audit entry) writes it meanwhile, so that one fdatasync covers
   * both, and answers once `durable` and its own write have resolved. Between the two, the
   * kernel's state and the read tables show the input: it survives a crash of the process, not yet
   * a power loss. If the fdatasync fails the engine stops (`failed`) and `durable` rejects: whether
   * the input survives is unknown, and a restart replays whatever the journal holds.
   */
  submitHandled(input: KernelInput): Promise<Handled> {
    if (this.failure !== undefined) return Promise.reject(new EngineUnavailableError('failed', 'the engine stopped after a failure', 'not-applied', { cause: this.failure }));
    if (this.closed) return Promise.reject(new EngineUnavailableError('closed', 'the engine is closed'));
    if (this.restoring) return Promise.reject(new EngineUnavailableError('restoring', 'the engine is restoring; submit after restoreAccounts() resolves'));
    if (this.outage.active) {
      return Promise.reject(new EngineUnavailableError('unavailable', 'the database is unreachable; nothing was recorded, retry later', 'not-applied', { cause: this.outage.cause }));
    }
    const behind = this.projectionBehind(input);
    if (behind !== undefined) return Promise.reject(behind);
    const problem = inputProblem(input, this.symbols);
    if (problem !== undefined) return Promise.reject(new InputRefusedError(problem));
    // One serialization: the text is journaled, and the kernel gets it parsed back, as a replay will.
    const text = JSON.stringify(input);
    const unstorable = storageProblem(text);
    if (unstorable !== undefined) return Promise.reject(new InputRefusedError(unstorable));
    const journaled = JSON.parse(text) as KernelInput;
    let synced!: () => void;
    let unsyncable!: (error: unknown) => void;
    const durable = new Promise<void>((resolve, reject) => {
      synced = resolve;
      unsyncable = reject;
    });
    // Handled by whoever awaits `durable`; a caller that never does must not see an unhandled rejection.
    durable.catch(() => undefined);
    return new Promise<Handled>((resolve, reject) => {
      const entry: Waiting = { seq: this.journal.nextSeq, input: journaled, text, committed: false, handled: false, resolve, reject, durable, synced, unsyncable };
      const appended = this.journal.appendText(text, journaled.time, () => {
        entry.committed = true;
        this.handleCommitted();
      });
      this.waiting.push(entry);
      appended.then(
        () => this.durableUpTo(entry),
        (error: unknown) => this.writeFailed(entry, error),
      );
    });
  }

  /** `entry`'s commit is on disk, and so is every earlier one's (one journal, in seq order). */
  private durableUpTo(entry: Waiting): void {
    // Not handled yet: the commit landed but the kernel did not take it (the engine failed first).
    if (!entry.handled) return;
    while (this.unsynced.length > 0 && this.unsynced[0]!.seq <= entry.seq) this.unsynced.shift()!.synced();
  }

  /**
   * Backpressure: a new order, while more than `maxProjectionBacklog` inputs wait for the read
   * tables, is refused before the journal (nothing recorded; 503, retry shortly), so that a
   * database slower than the submits cannot make the projection's queue, and the wait of every
   * snapshot behind it, grow without bound. Orders that only reduce (reduce-only against the
   * account's position as it stands, every leg of a list so), cancels of an open order (or of one
   * that may still be on its way to the venue), account commands and market data are always taken,
   * as Binance exempts reduce-only orders from its system-level throttle (-1008). Refused like a
   * new order: a reduce-only order with nothing to reduce or of a halted account, a cancel of an order that is not open
   * (the kernel would only record their refusal), and a leverage change (it reduces no risk, and in
   * a loop it would grow the backlog as new orders would).
   */
  private projectionBehind(input: KernelInput): ProjectionBehindError | undefined {
    if (input.kind !== 'order.place' && input.kind !== 'order.list' && input.kind !== 'order.cancel' && input.kind !== 'leverage.set') return undefined;
    const limit = this.options.maxProjectionBacklog ?? MAX_PROJECTION_BACKLOG;
    const backlog = this.projector.backlog;
    if (backlog <= limit) return undefined;
    if (input.kind === 'order.place' ? this.reduces(input.account, input) : input.kind === 'order.list' ? Array.isArray(input.orders) && input.orders.length > 0 && input.orders.every((leg) => this.reduces(input.account, leg)) : input.kind === 'order.cancel' && this.cancelsOpen(input)) {
      return undefined;
    }
    return new ProjectionBehindError(
      `the read tables are ${backlog} inputs behind the engine (at most ${limit}): new orders are refused until they catch up, cancels and reduce-only orders are taken; nothing was recorded, retry shortly`,
    );
  }

  /** A cancel naming an open order of its account, or one by clientOrderId while commands are still on their way to the venue (latency). */
  private cancelsOpen(input: CancelOrderInput): boolean {
    const kernel = this.current;
    if (input.orderId !== undefined) {
      const order = kernel.order(input.orderId);
      return order !== undefined && order.account === input.account && isOpenStatus(order.status);
    }
    if (input.clientOrderId === undefined) return false;
    return kernel.pendingCount() > 0 || kernel.openOrders(input.account).some((o) => o.clientOrderId === input.clientOrderId);
  }

  /** A reduce-only order against the side of the account's futures position on its symbol, as the kernel holds it now (a halted account's orders are refused). */
  private reduces(accountId: string, order: { readonly symbol: string; readonly side: string; readonly reduceOnly?: boolean }): boolean {
    if (order.reduceOnly !== true || this.current.isHalted(accountId)) return false;
    const account = this.current.account(accountId);
    const position = account?.kind === 'futures' ? account.positions.get(order.symbol) : undefined;
    return position !== undefined && position.size !== 0n && order.side === (position.size > 0n ? 'SELL' : 'BUY');
  }

  /**
   * The restart path, run by `open` on every start: the newest snapshot the read model has caught
   * up with (normally the latest), then every later journal input through the kernel, projecting
   * events the read tables have not seen. Waits for submits in flight first and refuses new ones
   * until it is done.
   */
  async restoreAccounts(): Promise<RestoreOutcome> {
    if (this.restoring) throw new Error('a restore is already running');
    if (this.outage.active) throw new EngineUnavailableError('unavailable', 'the database is unreachable; restore once it answers', 'not-applied', { cause: this.outage.cause });
    this.restoring = true;
    try {
      return await this.restore();
    } catch (error) {
      // A restore cut short by the database, after the start: the retry catches the kernel up.
      if (this.opened && isDatabaseUnavailable(error)) this.enterOutage(error);
      throw error;
    } finally {
      this.restoring = false;
      this.stateSince = Date.now();
    }
  }

  private async restore(): Promise<RestoreOutcome> {
    const started = performance.now();
    await this.quiesce();
    await this.snapshotting;
    await this.projector.flush();
    const checkpoint = await this.readModel.checkpoint();
    const { kernel, snapshot, passedOver } = await this.restorableSnapshot(checkpoint);
    this.current = kernel;
    this.projector.reset(checkpoint);
    let replayed = 0;
    let projected = 0;
    const replay = (seq: number, events: KernelEvent[]) => {
      replayed += 1;
      this.reportSetAside(seq, events, true);
      if (seq > checkpoint) {
        this.project(seq, events);
        projected += 1;
      }
    };
    const first = await this.journal.firstSeq();
    if (first > kernel.inputCount + 1) {
      throw new Error(
        `the journal starts at seq ${first} (compacted behind its snapshots), but the state to replay it on is at seq ${kernel.inputCount}: ` +
          (snapshot === undefined ? 'no snapshot restores' : `snapshot ${snapshot.seq} is older than the journal`) +
          passedOver.map((reason) => `; ${reason}`).join(''),
      );
    }
    const toReplay = (await this.journal.latestSeq()) - kernel.inputCount;
    const rows = journalRows(this.journal, this.options.databaseUrl ?? DEFAULT_DATABASE_URL, this.options.database ?? {}, kernel.inputCount + 1, RESTORE_PAGE, toReplay, undefined, RESTORE_HEAD_START);
    kernel.setCheckpointSpacing(BATCH_CHECKPOINT_INPUTS); // the rollback tail: a few pages of the journal's texts
    try {
      for await (const page of rows) {
        const { seqs, texts, decoded } = page;
        for (let i = 0; i < seqs.length; i++) {
          const seq = seqs[i]!;
          if (seq <= kernel.inputCount) continue;
          // A seq missing from the journal still takes its place in the sequence, set aside.
          while (seq > kernel.inputCount + 1) replay(kernel.inputCount + 1, handleMissing(kernel));
          replay(seq, decoded === undefined ? handleJournaled(kernel, texts[i]!) : handlePageRow(kernel, texts[i]!, decoded, i));
        }
      }
    } finally {
      kernel.setCheckpointSpacing();
    }
    const head = await this.journal.latestSeq();
    if (kernel.inputCount !== head) throw new Error(`the kernel is at seq ${kernel.inputCount} but the journal at ${head}`);
    await this.projector.flush();
    try {
      kernel.checkInvariants();
    } catch (error) {
      this.setAside({ seq: 0, code: 'INVARIANT', reason: `after the restore: ${error instanceof Error ? error.message : String(error)}`, duringRestore: true });
    }
    this.lastSnapshotSeq = snapshot?.seq ?? -1;
    // From here on the engine's snapshots are the kernel's rollback checkpoints (see the header).
    if (this.snapshotAfterInputs > 0) kernel.useHostCheckpoints(Math.max(HOST_CHECKPOINT_TAIL_LIMIT, 4 * this.snapshotAfterInputs));
    this.lastRestore = { snapshotSeq: snapshot?.seq ?? 0, replayed, projected, seq: head, ms: performance.now() - started };
    return this.lastRestore;
  }

  /**
   * The newest snapshot at or before `seq` that passes its check (`SnapshotStore`: parts and
   * digest) and restores under this configuration, else a new kernel (the whole journal). Each one
   * passed over is reported (`SNAPSHOT`) and named in `passedOver`. A snapshot of another
   * configuration stops the start (`SnapshotConfigError`): that is a wrong database, not damage.
   * A database error stops it too: a snapshot that could not be read is not a damaged one.
   */
  private async restorableSnapshot(seq: number): Promise<{ kernel: Kernel; snapshot: Snapshot | undefined; passedOver: string[] }> {
    const config = this.options.kernelConfig;
    const passedOver: string[] = [];
    const passOver = (at: number, error: unknown) => {
      const reason = `snapshot ${at} passed over: ${error instanceof SnapshotDamagedError ? error.reason : error instanceof Error ? error.message : String(error)}`;
      passedOver.push(reason);
      this.setAside({ seq: 0, code: 'SNAPSHOT', reason, duringRestore: true });
    };
    for (const at of (await this.snapshots.list()).filter((s) => s <= seq)) {
      let snapshot: Snapshot | undefined;
      try {
        snapshot = await this.snapshots.read(at);
      } catch (error) {
        if (!(error instanceof SnapshotDamagedError)) throw error;
        passOver(at, error);
        continue;
      }
      if (snapshot === undefined) continue;
      try {
        const kernel = Kernel.restore(config, snapshot.state);
        if (kernel.inputCount !== snapshot.seq) throw new Error(`it holds kernel seq ${kernel.inputCount}`);
        return { kernel, snapshot, passedOver };
      } catch (error) {
        if (error instanceof SnapshotConfigError) throw error;
        passOver(at, error);
      }
    }
    return { kernel: new Kernel(config), snapshot: undefined, passedOver };
  }

  private reportSetAside(seq: number, events: readonly KernelEvent[], duringRestore: boolean): void {
    const first = events[0];
    const fault = this.current.lastContainedFault;
    if (first?.type !== 'INPUT_REJECTED') {
      // Orders canceled so that the input could apply without them (the kernel's `contain`).
      if (fault?.seq !== seq || fault.orderIds.length === 0) return;
      this.setAside({ seq, code: 'ORDER_FAULT', reason: `order${fault.orderIds.length > 1 ? 's' : ''} ${fault.orderIds.join(', ')} canceled (${ORDER_FAULT_REASON}), the input applied without ${fault.orderIds.length > 1 ? 'them' : 'it'}: ${fault.message}`, duringRestore });
    } else {
      this.setAside({ seq, code: first.code, reason: first.message, duringRestore });
      if (first.code !== 'INTERNAL') return;
    }
    // The kernel contained a fault (the input left out, or applied without the orders it met the
    // fault on), but a rebuild from the journal replays the input, and a fault that does not recur
    // there (a stack overflow, an allocation failure) would apply it otherwise: the next snapshot,
    // and so the next rollback checkpoint and the next restart's base, is the live state.
    this.containedUpTo = Math.max(this.containedUpTo ?? 0, seq);
    if (!duringRestore) this.scheduler.wanted();
  }

  private setAside(report: SetAsideReport): void {
    const tell = this.options.onInputSetAside ?? ((r: SetAsideReport) => console.warn(`papertrade: input set aside: seq ${r.seq} ${r.code}: ${r.reason}`));
    tell(report);
  }

  /**
   * The deletes a snapshot worker could not make after a publish, made on the engine's own
   * connection. A failover that dropped the worker's connection dropped the engine's pooled ones
   * too, and the first statement may take one of those: while the database is unreachable this
   * tries again (`FALLBACK_DELETE_TRIES` in all, `retry.minMs` apart). Never rejects: what is left
   * after that, the next publish deletes.
   */
  private async deleteUnreadPartsAfterWorker(): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.snapshots.deleteUnreadParts();
        return;
      } catch (error) {
        if (!isDatabaseUnavailable(error) || attempt >= FALLBACK_DELETE_TRIES || this.closed) return;
        await new Promise((resolve) => setTimeout(resolve, this.options.retry?.minMs ?? 100));
      }
    }
  }

  /**
   * Saves a snapshot of the current state (after the read model covers it); resolves with its seq.
   * On a database a second connection can see, the state is rebuilt and serialized in a worker
   * (background-snapshot.ts) while the engine goes on; `inProcess` serializes the live kernel
   * here instead (at a start and at close, when nothing waits on the event loop).
   */
  saveSnapshot(options: { readonly inProcess?: boolean } = {}): Promise<number> {
    const next = this.snapshotting.then(async () => {
      if (this.failure !== undefined) throw new Error('the engine stopped after a failure', { cause: this.failure });
      let seq = this.current.inputCount;
      if (seq === this.lastSnapshotSeq) return seq;
      // A publish of this seq whose answer was lost (the connection dropped at COMMIT) may have
      // landed, pruning the others. Its row with the time it was given says it landed, whole (the
      // publish checks its parts in the same transaction): nothing to write again. (A save of a
      // published seq would not harm it either: its new parts go after the published ones.)
      const doubt = this.publishing;
      if (doubt !== undefined) {
        // Forgotten only once the database has answered (a failed look keeps the doubt).
        const landed = doubt.seq === seq && (await this.snapshots.publishedAt(seq)) === doubt.at;
        this.publishing = undefined;
        if (landed) {
          this.lastSnapshotSeq = seq;
          this.scheduler.taken();
          await this.compactJournal();
          return seq;
        }
      }
      const url = this.options.databaseUrl ?? DEFAULT_DATABASE_URL;
      const inWorker = options.inProcess !== true && seq > 0 && this.containedUpTo === undefined && this.options.snapshotInWorker !== false && canRebuildInWorker(url);
      const inProcess = inWorker ? undefined : this.current.snapshot();
      let checkpoint: string | (() => string);
      let checkpointBuffer: SharedArrayBuffer | undefined;
      let stateBytes = inProcess?.length;
      await this.projector.flush();
      if (inProcess !== undefined) {
        await this.snapshots.saveInParts(seq, this.publishAt(seq), partsOf(inProcess));
        checkpoint = inProcess;
      } else {
        try {
          // The worker writes the parts on its own connection and, once they are published here,
          // deletes the ones no snapshot reads (ADR 0053); the digest was hashed there too: this
          // thread neither writes nor hashes the state.
          const { bytes, parts, finish } = await stateAndPartsFromWorker(url, this.options.database ?? {}, this.options.kernelConfig, seq, workerWritesParts(url), this.stateBuffer());
          let published = false;
          try {
            await this.snapshots.publishParts(seq, this.publishAt(seq), parts, { deleteUnread: false });
            published = true;
          } finally {
            // Deleted here when the worker could not; if this fails too, the next publish deletes them.
            if (!(await finish(published)) && published) await this.deleteUnreadPartsAfterWorker();
          }
          // Held as bytes off the collector's heap; decoded only if a rollback needs it.
          checkpoint = () => new TextDecoder().decode(bytes);
          checkpointBuffer = bytes.buffer instanceof SharedArrayBuffer ? bytes.buffer : undefined;
          stateBytes = bytes.byteLength;
        } catch (error) {
          // The database, or the worker's own connection to it, went away: an outage like any
          // other (reported, retried), and no in-process snapshot meanwhile (it would stall the
          // event loop for a database that is probably not there).
          if (isDatabaseUnavailable(error)) {
            this.enterOutage(error);
            throw error;
          }
          // The worker could not rebuild the state (a damaged snapshot behind it, a thread that
          // would not start): the live kernel's own state, serialized here, stalls but stands.
          const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
          this.setAside({ seq: 0, code: 'SNAPSHOT', reason: `snapshot ${seq} could not be rebuilt in a worker (${reason}); taken in-process instead`, duringRestore: false });
          seq = this.current.inputCount;
          const live = this.current.snapshot();
          await this.projector.flush();
          await this.snapshots.saveInParts(seq, this.publishAt(seq), partsOf(live));
          checkpoint = live;
          checkpointBuffer = undefined;
          stateBytes = live.length;
        }
      }
      this.publishing = undefined;
      this.current.adoptCheckpoint(checkpoint, seq);
      // The next worker writes into the other buffer: this one holds the checkpoint now.
      this.checkpointBuffer = checkpointBuffer;
      this.lastStateBytes = stateBytes;
      if (typeof checkpoint === 'string' && this.containedUpTo !== undefined && this.containedUpTo <= seq) this.containedUpTo = undefined;
      this.lastSnapshotSeq = seq;
      this.scheduler.taken();
      await this.compactJournal();
      return seq;
    });
    this.snapshotting = next.catch(() => undefined);
    return next;
  }

  /**
   * A buffer for the next worker snapshot's UTF-8: not the one the kernel's checkpoint reads, and
   * at least a sixteenth larger than the last state (made a quarter larger, in whole MiB, when
   * none is); undefined while no state's size is known (the worker then moves its own buffer).
   */
  private stateBuffer(): SharedArrayBuffer | undefined {
    const last = this.lastStateBytes;
    if (last === undefined || last === 0) return undefined;
    const free = this.stateBuffers.find((b) => b !== this.checkpointBuffer && b.byteLength >= last * 1.0625);
    if (free !== undefined) return free;
    const made = new SharedArrayBuffer(Math.ceil((last * 1.25) / MIB) * MIB);
    this.stateBuffers = [...this.stateBuffers.filter((b) => b === this.checkpointBuffer), made];
    return made;
  }

  /** The time to publish a snapshot of `seq` with, remembered until the publish is seen to succeed. */
  private publishAt(seq: number): number {
    const at = Date.now();
    this.publishing = { seq, at };
    return at;
  }

  /** Deletes the journal behind the oldest snapshot kept, past the retention (`journalRetentionMs`). */
  private async compactJournal(): Promise<void> {
    const retention = this.options.journalRetentionMs;
    if (retention === undefined) return;
    const oldest = (await this.snapshots.list()).at(-1);
    if (oldest !== undefined && oldest > 0) await this.journal.compact(oldest, retention);
  }

  /**
   * Waits for submits in flight and the read model, saves a final snapshot (unless told not to, or
   * the engine failed) and closes the database.
   */
  async close(options: { readonly snapshot?: boolean } = {}): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.scheduler.stop();
    const unreachable = this.outage.active;
    this.outage.end();
    try {
      if (this.failure === undefined && !unreachable) {
        await this.quiesce();
        if (options.snapshot !== false) await this.saveSnapshot({ inProcess: true });
        await this.projector.flush();
      }
      await this.snapshotting;
    } catch (error) {
      // The database went away while closing: what is durable is in the journal, a restart replays it.
      if (!isDatabaseUnavailable(error)) throw error;
    } finally {
      await this.database.close();
    }
  }

  /** Resolves once every submit made so far has been handled and is durable (or the engine failed). */
  private async quiesce(): Promise<void> {
    while ((this.waiting.length > 0 || this.unsynced.length > 0) && this.failure === undefined) {
      await this.journal.flush().catch(() => undefined);
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  private handleCommitted(): void {
    while (this.waiting[0]?.committed === true) {
      const entry = this.waiting.shift()!;
      let events: KernelEvent[];
      try {
        if (this.failure !== undefined) throw new Error('the engine stopped after a failure', { cause: this.failure });
        if (entry.seq !== this.current.inputCount + 1) throw new Error(`the kernel is at seq ${this.current.inputCount} and cannot take journal seq ${entry.seq}`);
        events = this.current.handle(entry.input, entry.text);
        this.reportSetAside(entry.seq, events, false);
        this.project(entry.seq, events);
      } catch (error) {
        entry.reject(error);
        this.fail(error);
        return;
      }
      entry.handled = true;
      this.unsynced.push(entry);
      entry.resolve({ seq: entry.seq, events, durable: entry.durable });
      if (events.some((e) => POSITION_CHANGES.has(e.type))) this.scheduler.positionChanged();
      else if (this.snapshotAfterInputs > 0 && this.current.inputsSinceCheckpoint >= this.snapshotAfterInputs) this.scheduler.wanted();
    }
  }

  private get snapshotAfterInputs(): number {
    return this.options.snapshotAfterInputs ?? SNAPSHOT_AFTER_INPUTS;
  }

  private project(seq: number, events: readonly KernelEvent[]): void {
    if (events.length === 0) return this.projector.skip(seq);
    const balances: Record<string, BalanceView> = {};
    const touched = new Set<string>();
    for (const event of events) if ('account' in event && event.account !== undefined) touched.add(event.account);
    // Texts written only for the balances the read tables keep: each batch's last of each account.
    for (const account of [...touched].sort()) {
      const view = this.current.deferredBalances(account);
      if (view !== undefined) balances[account] = view;
    }
    const imported: Record<string, ImportedAccount> = {};
    for (const event of events) {
      if (event.type !== 'ACCOUNT_IMPORTED') continue;
      const account = this.current.account(event.account);
      if (account === undefined) continue;
      const orders = this.current.orders(event.account).map((o) => ({
        orderId: o.id, clientOrderId: o.clientOrderId, symbol: o.symbol, side: o.side, orderType: o.type, price: o.price === undefined ? null : formatFixed(o.price),
        quantity: formatFixed(o.quantity), quoteOrderQty: o.quoteOrderQty === undefined ? null : formatFixed(o.quoteOrderQty), status: o.status,
        executedQty: formatFixed(o.executedQty), cumulativeQuoteQty: formatFixed(o.cumulativeQuoteQty), createdAt: o.submittedAt, updatedAt: o.updatedAt,
        ...importedTerms(o),
      }));
      const positions = (account.kind === 'futures' ? account.openPositions() : []).map((p) => ({
        positionId: p.id, symbol: p.symbol, direction: p.size > 0n ? ('LONG' as const) : ('SHORT' as const), totalSize: formatFixed(p.size < 0n ? -p.size : p.size),
        entryPrice: formatFixed(p.entryPrice), leverage: p.leverage, marginUsed: formatFixed(p.margin), totalFundingPaid: formatFixed(p.totalFundingPaid), openedAt: p.openedAt,
        realizedPnl: formatFixed(p.realizedPnl), feesPaid: formatFixed(p.feesPaid),
      }));
      imported[event.account] = { type: account.kind, orders, positions };
    }
    this.projector.push({ seq, events, at: this.current.now, balances, ...(Object.keys(imported).length > 0 ? { imported } : {}) });
  }

  /**
   * A journal write failed: refused for want of a connection (the engine retries), else a failure.
   * An input the kernel already handled (its commit landed, its fdatasync failed) is a failure
   * whatever the cause: whether it is on disk is unknown.
   */
  private writeFailed(entry: Waiting, error: unknown): void {
    if (entry.handled || !isDatabaseUnavailable(error) || this.failure !== undefined) return this.fail(error);
    const index = this.waiting.indexOf(entry);
    if (index < 0) return; // already rejected (the engine closed or failed)
    this.waiting.splice(index, 1);
    const inDoubt = error instanceof JournalWriteError && error.inDoubt;
    entry.reject(
      new EngineUnavailableError(
        'unavailable',
        inDoubt
          ? 'the database connection was lost while committing: the outcome is unknown (if the commit landed, the input is applied once the database answers); look it up before sending it again'
          : 'the database is unreachable; nothing was recorded, retry later',
        inDoubt ? 'unknown' : 'not-applied',
        { cause: error },
      ),
    );
    this.enterOutage(error);
  }

  /** The database cannot be reached: refuse submits and retry it until it answers (see the header). */
  private enterOutage(cause: unknown): void {
    if (this.closed || this.failure !== undefined) return;
    this.outage.begin(cause);
  }

  /**
   * One retry: every submit in flight has settled (refused), so the kernel applies what the journal
   * holds beyond it (a commit that landed although its connection was lost), the journal continues
   * after its head, and the read model resumes from its checkpoint. Throws while the database
   * cannot be reached.
   */
  private async catchUp(): Promise<void> {
    await this.journal.settle();
    const head = await this.journal.latestSeq();
    if (head < this.current.inputCount) throw new Error(`the journal is at seq ${head} but the kernel at ${this.current.inputCount}: committed inputs are missing`);
    for await (const entry of this.journal.readFrom(this.current.inputCount + 1)) {
      if (entry.seq !== this.current.inputCount + 1) throw new Error(`journal gap: expected seq ${this.current.inputCount + 1}, found ${entry.seq}`);
      const events = handleJournaled(this.current, entry.text);
      this.reportSetAside(entry.seq, events, false);
      this.project(entry.seq, events);
      if (events.some((e) => POSITION_CHANGES.has(e.type))) this.scheduler.positionChanged();
    }
    const resumed = await this.journal.resume();
    if (resumed !== this.current.inputCount) throw new Error(`the kernel is at seq ${this.current.inputCount} but the journal at ${resumed}`);
    // The projection is off the acknowledgement path: it resumes from its checkpoint in the
    // background, and a failure there makes the engine unavailable again.
    this.projector.resume();
  }

  /** The outage began (`endedAfterMs` undefined) or ended. */
  private notify(endedAfterMs: number | undefined): void {
    if (endedAfterMs !== undefined) this.stateSince = Date.now();
    const status = this.status;
    if (this.options.onStatusChange !== undefined) return this.options.onStatusChange(status);
    if (endedAfterMs === undefined) console.warn(`papertrade engine unavailable, retrying the database: ${status.reason ?? 'unknown cause'}`);
    else console.warn(`papertrade engine ready again after ${endedAfterMs} ms without its database`);
  }

  private fail(error: unknown): void {
    if (this.failure !== undefined) return;
    this.failure = error ?? new Error('unknown failure');
    this.outage.end();
    this.stateSince = Date.now();
    this.scheduler.stop();
    // Their commit may have landed: a restart replays whatever the journal holds.
    for (const entry of this.waiting.splice(0)) entry.reject(new EngineUnavailableError('failed', 'the engine stopped after a failure', 'unknown', { cause: error }));
    for (const entry of this.unsynced.splice(0)) entry.unsyncable(new EngineUnavailableError('failed', 'the engine stopped after a failure before the input was on disk', 'unknown', { cause: error }));
  }
}

/** An imported order's terms beyond price and quantity, as ORDER_NEW would state them: its row keeps them once the kernel drops the order. */
function importedTerms(o: Readonly<Order>): Partial<ImportedOrder> {
  const fmt = (v: bigint | undefined) => (v === undefined ? undefined : formatFixed(v));
  const leg = (l: ExitLeg | undefined): ExitLegView | undefined => (l === undefined ? undefined : { stopPrice: formatFixed(l.stopPrice), ...(l.price !== undefined ? { price: formatFixed(l.price) } : {}) });
  const terms: Record<string, unknown> = {
    ocoGroup: o.ocoGroup, stopPrice: fmt(o.stopPrice), activationPrice: fmt(o.activationPrice), callbackRate: fmt(o.callbackRate), maxSlippage: fmt(o.maxSlippage), triggerSource: o.triggerSource,
    reduceOnly: o.reduceOnly ? true : undefined, leverage: o.leverage !== 1 ? o.leverage : undefined, takeProfit: leg(o.bracket?.takeProfit), stopLoss: leg(o.bracket?.stopLoss),
    workingTime: o.workingTime,
  };
  for (const key of Object.keys(terms)) if (terms[key] === undefined) delete terms[key];
  return terms as Partial<ImportedOrder>;
}
