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
 * batch holds the event loop for its whole transaction (SQLite's driver is synchronous), so
 * batches are small (250 inputs): a backlog drains in many short transactions, not one long stall.
 */
import type { InputEvents, ReadModel } from '../persistence/read-model.js';

export class ReadModelProjector {
  private queue: InputEvents[] = [];
  private handledSeq = 0;
  private appliedSeq = 0;
  private running: Promise<void> | undefined;
  private scheduled = false;
  private failure: unknown;

  constructor(
    private readonly readModel: ReadModel,
    private readonly onFailure: (error: unknown) => void,
    private readonly maxBatch = 250,
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

  /** Resolves when every input handled so far is in the read tables; rejects if the projector stopped. */
  async flush(): Promise<void> {
    const target = this.handledSeq;
    while (this.appliedSeq < target) {
      if (this.failure !== undefined) throw new Error('the read model projection stopped after a failed write', { cause: this.failure });
      await this.run();
    }
    if (this.failure !== undefined) throw new Error('the read model projection stopped after a failed write', { cause: this.failure });
  }

  private schedule(): void {
    if (this.scheduled || this.running !== undefined || this.failure !== undefined) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.run();
    });
  }

  private run(): Promise<void> {
    this.running ??= this.loop().finally(() => {
      this.running = undefined;
      if (this.queue.length > 0) this.schedule();
    });
    return this.running;
  }

  private async loop(): Promise<void> {
    while (this.failure === undefined && (this.queue.length > 0 || this.appliedSeq < this.handledSeq)) {
      const taken = this.queue.splice(0, this.maxBatch);
      const target = this.queue.length > 0 ? taken.at(-1)!.seq : this.handledSeq;
      const batch = (taken.at(-1)?.seq ?? -1) < target ? [...taken, { seq: target, events: [] }] : taken;
      try {
        await this.readModel.apply(batch);
      } catch (error) {
        this.queue.unshift(...taken);
        this.failure = error;
        this.onFailure(error);
        return;
      }
      this.appliedSeq = target;
      // The driver may answer synchronously: let the event loop run between batches.
      if (this.queue.length > 0) await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }
}
