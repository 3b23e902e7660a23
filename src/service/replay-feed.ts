/**
 * Feeds the bundled (or any) recording into the engine, looping without end, at real-time speed,
 * a speed factor, or as fast as possible.
 *
 * Guarantees: inputs are submitted in the recording's order; the inputs already due are submitted
 * together (at most `MAX_BATCH`), so that the engine journals them in one commit, and the next are
 * sent once those are durable: a feed whose inputs come faster than one commit each (REPLAY_SPEED
 * 40 on the USD-M recording, about 3,000 inputs/s; or `max`) is not held to one input per commit;
 * the feed resumes after the engine's clock (a restart never sends the kernel back in time); a
 * feed that has sent nothing for `staleAfterMs` of wall time reports `stale`; while the engine is
 * unavailable (its database unreachable) the feed waits and sends again from the first input that
 * was not recorded (the engine's journal is contiguous, so those that were are a prefix; a book
 * delta the engine already holds is dropped as stale). A trades-only recording's feed is `synced`
 * once its first print arrived (its book exists only at the prints, ADR 0041).
 */
import type { EngineHub } from '../api/engine-hub.js';
import type { FeedStatus } from '../api/service-deps.js';
import type { KernelInput } from '../core/kernel/inputs.js';
import { EngineUnavailableError, loopRecording } from '../engine/index.js';
import type { Recording } from '../market-data/recording-reader.js';

/** Inputs submitted together at most: a bound on what one wait for the database covers. */
const MAX_BATCH = 1_000;

export class ReplayFeed {
  private running = false;
  private lastSentAt = 0;
  private failure: string | undefined;

  constructor(
    private readonly hub: EngineHub,
    private readonly recording: Recording,
    private readonly speed: number,
    private readonly staleAfterMs = 5_000,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    void this.run().catch((error: unknown) => {
      this.failure = error instanceof Error ? error.message : String(error);
      this.running = false;
    });
  }

  stop(): void {
    this.running = false;
  }

  /** Submits `inputs` together, in order; while the engine is unavailable, waits and sends again from the first one not recorded. */
  private async submitWhenAvailable(inputs: readonly KernelInput[]): Promise<void> {
    let from = 0;
    while (from < inputs.length) {
      const outcomes = await Promise.allSettled(inputs.slice(from).map((input) => this.hub.submit(input)));
      const refused = outcomes.findIndex((outcome) => outcome.status === 'rejected');
      if (refused < 0) return;
      const error = (outcomes[refused] as PromiseRejectedResult).reason as unknown;
      if (!(error instanceof EngineUnavailableError && error.retryable) || !this.running) throw error;
      from += refused;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  status(): FeedStatus[] {
    const symbol = this.recording.symbol;
    const book = this.hub.kernel.bookStatus(symbol);
    const stale = !this.running || Date.now() - this.lastSentAt > this.staleAfterMs;
    // A trades-only recording has no book between prints by design (ADR 0041): once its prints
    // arrive the feed is as synced as it gets, and /ready says so instead of failing for good.
    const betweenPrints = this.recording.fidelity === 'trades-only' && book !== undefined && book.status !== 'awaiting-snapshot';
    const status = stale ? 'stale' : betweenPrints ? 'synced' : ((book?.status ?? 'awaiting-snapshot') as FeedStatus['status']);
    const reason = this.failure ?? (stale ? 'no market data recently' : betweenPrints ? 'trades-only: a quote derived from each print, no depth (ADR 0041)' : book?.reason || undefined);
    return [{ symbol, source: 'replay', status, lastEventAt: this.hub.kernel.now || undefined, ...(reason !== undefined ? { reason } : {}) }];
  }

  private async run(): Promise<void> {
    const resumeAfter = this.hub.kernel.now;
    let wallStart: number | undefined;
    let eventStart = 0;
    let batch: KernelInput[] = [];
    const send = async () => {
      await this.submitWhenAvailable(batch);
      batch = [];
      this.lastSentAt = Date.now();
      // A turn of the event loop for the service's other work: an engine that answers without I/O
      // would otherwise keep a feed that is behind (or at `max`) in microtasks for good.
      await new Promise((resolve) => setImmediate(resolve));
    };
    for (const input of loopRecording(this.recording)) {
      if (!this.running) return;
      if (input.time <= resumeAfter) continue;
      if (wallStart === undefined) {
        wallStart = Date.now();
        eventStart = input.time;
      }
      const wait = Number.isFinite(this.speed) ? wallStart + (input.time - eventStart) / this.speed - Date.now() : 0;
      // What is due goes before a wait, and a full batch before more is added.
      if (batch.length > 0 && (wait > 1 || batch.length >= MAX_BATCH)) {
        await send();
        if (!this.running) return;
      }
      const left = Number.isFinite(this.speed) ? wallStart + (input.time - eventStart) / this.speed - Date.now() : 0;
      if (left > 1) await new Promise((resolve) => setTimeout(resolve, left));
      if (!this.running) return;
      batch.push(input);
    }
  }
}
