/**
 * Keeps the read tables up to date from the kernel's events, behind the kernel and off its path.
 *
 * Guarantees:
 * - entries are applied in seq order, in batches (one transaction each, at most `maxBatch` inputs);
 * - `flush()` resolves once the read model's checkpoint covers every input handled before the
 *   call, including inputs without events (a marker entry moves the checkpoint over them), so a
 *   snapshot saved after a flush is never ahead of the read model;
 * - a failed batch pauses the projector and is reported once through `onFailure`; the tables keep
 *   their last committed state and the batch stays queued. `resume()` (the owner's retry, once the
 *   database answers again) applies it again from there: `ReadModel.apply` skips what the
 *   checkpoint already covers, so a batch whose commit landed despite the error is not applied twice.
 *   A restart re-projects from the checkpoint too.
 * Not modelled: when to retry (the owner decides; the durable engine retries with back-off).
 * Cost: inputs without events cost nothing until the next batch; one batch in flight at a time. A
 * batch holds the event loop for its whole transaction (SQLite's driver is synchronous), so there a
 * batch is sized to take about `budgetMs` (2 ms) by the time the batches before it took per input
 * (between 8 and `maxBatch`, 250, inputs; 32 for the first), with a turn of the event loop between batches: a backlog
 * drains in many short transactions, not in a few long stalls. New inputs go at the next turn of the
 * event loop, so that on SQLite a request answered after its input is durable finds the input in the
 * read tables; `coalesceMs` > 0 makes a few inputs wait that long for others to share their
 * transaction (each costs as much as a few inputs: its begin, checkpoint read and write, commit) at
 * the price of that read-your-writes; `flush()` never waits.
 */
import type { InputEvents, ReadModel } from '../persistence/read-model.js';

export class ReadModelProjector {
  private queue: InputEvents[] = [];
  /** Inputs of the batch being written. */
  private inFlight = 0;
  private handledSeq = 0;
  private appliedSeq = 0;
  private running: Promise<void> | undefined;
  private scheduled = false;
  private failure: unknown;
  /** Flushes waiting for the batch in flight to end. */
  private batchEnded: (() => void)[] = [];
  /** What one input cost the batches so far, in ms of the transaction's wall time (a moving average). */
  private msPerInput = 0;

  constructor(
    private readonly readModel: ReadModel,
    private readonly onFailure: (error: unknown) => void,
    private readonly maxBatch = 250,
    /** Null: batches of `maxBatch` (a driver that does not hold the event loop, PostgreSQL's). */
    private readonly budgetMs: number | null = 2,
    private readonly coalesceMs = 0,
  ) {}

  /** Starts from the read model's checkpoint: inputs up to `seq` are already in the tables. */
  reset(seq: number): void {
    if (this.queue.length > 0 || this.running !== undefined) throw new Error('the projector is busy and cannot be reset');
    this.handledSeq = seq;
    this.appliedSeq = seq;
  }

  /** The seq of the last input whose events are committed to the read tables. */
  get checkpoint(): number {
    return this.appliedSeq;
  }

  /** Inputs with events handled by the kernel and not yet committed to the read tables. */
  get backlog(): number {
    return this.queue.length + this.inFlight;
  }

  /** True after a failed batch, until `resume()`. */
  get paused(): boolean {
    return this.failure !== undefined;
  }

  /** After a failed batch: go on from the batch that failed (call `flush()` to wait for it). */
  resume(): void {
    this.failure = undefined;
    this.schedule();
  }

  /** The kernel handled input `seq` and it produced no events. */
  skip(seq: number): void {
    this.handledSeq = seq;
  }

  /** The kernel handled input `entry.seq`: project its events. */
  push(entry: InputEvents): void {
    this.queue.push(entry);
    this.handledSeq = entry.seq;
    this.schedule();
  }

  /**
   * Resolves when every input handled so far is in the read tables; rejects if the projector
   * stopped. Waits batch by batch, not for the queue to empty: under a steady load the queue never
   * empties, and a snapshot (which flushes first) would never be taken.
   */
  async flush(): Promise<void> {
    const target = this.handledSeq;
    while (this.appliedSeq < target) {
      if (this.failure !== undefined) throw new Error('the read model projection stopped after a failed write', { cause: this.failure });
      await new Promise<void>((resolve) => {
        this.batchEnded.push(resolve);
        void this.run();
      });
    }
    // The batch that reached the target may be the loop's last: wait for its end (one batch at
    // most), so that with nothing queued nothing runs either (`reset` after a flush).
    if (this.running !== undefined && this.queue.length === 0) await new Promise<void>((resolve) => this.batchEnded.push(resolve));
    if (this.failure !== undefined) throw new Error('the read model projection stopped after a failed write', { cause: this.failure });
  }

  private schedule(): void {
    if (this.scheduled || this.running !== undefined || this.failure !== undefined) return;
    this.scheduled = true;
    const go = () => {
      this.scheduled = false;
      void this.run();
    };
    // A full batch goes at the next turn; a few inputs wait a little for others to share their commit.
    if (this.queue.length >= this.batchSize() || this.coalesceMs <= 0) setImmediate(go);
    else setTimeout(go, this.coalesceMs);
  }

  /** Inputs in the next batch: as many as `budgetMs` holds at the recent cost per input, 8 to `maxBatch` (32 before any was measured). */
  private batchSize(): number {
    if (this.budgetMs === null) return this.maxBatch;
    if (this.msPerInput <= 0) return Math.min(32, this.maxBatch);
    return Math.max(Math.min(8, this.maxBatch), Math.min(this.maxBatch, Math.floor(this.budgetMs / this.msPerInput)));
  }

  private run(): Promise<void> {
    this.running ??= this.loop().finally(() => {
      this.running = undefined;
      this.endBatch();
      if (this.queue.length > 0) this.schedule();
    });
    return this.running;
  }

  /** Tells the flushes waiting that a batch ended (committed or failed) or the loop stopped. */
  private endBatch(): void {
    const waiting = this.batchEnded;
    this.batchEnded = [];
    for (const resolve of waiting) resolve();
  }

  private async loop(): Promise<void> {
    while (this.failure === undefined && (this.queue.length > 0 || this.appliedSeq < this.handledSeq)) {
      const taken = this.queue.splice(0, this.batchSize());
      const target = this.queue.length > 0 ? taken.at(-1)!.seq : this.handledSeq;
      const batch = (taken.at(-1)?.seq ?? -1) < target ? [...taken, { seq: target, events: [] }] : taken;
      const started = performance.now();
      this.inFlight = taken.length;
      try {
        await this.readModel.apply(batch);
        if (taken.length > 0) {
          const perInput = (performance.now() - started) / taken.length;
          this.msPerInput = this.msPerInput === 0 ? perInput : 0.8 * this.msPerInput + 0.2 * perInput;
        }
      } catch (error) {
        this.inFlight = 0;
        this.queue.unshift(...taken);
        this.failure = error;
        this.onFailure(error);
        return;
      }
      this.inFlight = 0;
      this.appliedSeq = target;
      this.endBatch();
      // The driver may answer synchronously: let the event loop run between batches.
      if (this.queue.length > 0) await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }
}
