/**
 * Feeds the bundled (or any) recording into the engine, looping without end, at real-time speed,
 * a speed factor, or as fast as possible.
 *
 * Guarantees: inputs are submitted one at a time, in order, each after the previous is durable;
 * the feed resumes after the engine's clock (a restart never sends the kernel back in time); a
 * feed that has sent nothing for `staleAfterMs` of wall time reports `stale`; while the engine is
 * unavailable (its database unreachable) the feed waits and sends the same input again (a book
 * delta the engine already holds is dropped as stale). A trades-only recording's feed is `synced`
 * once its first print arrived (its book exists only at the prints, ADR 0041).
 */
import type { EngineHub } from '../api/engine-hub.js';
import type { FeedStatus } from '../api/service-deps.js';
import { EngineUnavailableError, loopRecording } from '../engine/index.js';
import type { Recording } from '../market-data/recording-reader.js';

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

  private async submitWhenAvailable(input: Parameters<EngineHub['submit']>[0]): Promise<void> {
    for (;;) {
      try {
        await this.hub.submit(input);
        return;
      } catch (error) {
        if (!(error instanceof EngineUnavailableError && error.retryable) || !this.running) throw error;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
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
    let sinceYield = 0;
    for (const input of loopRecording(this.recording)) {
      if (!this.running) return;
      if (input.time <= resumeAfter) continue;
      if (wallStart === undefined) {
        wallStart = Date.now();
        eventStart = input.time;
      }
      if (Number.isFinite(this.speed)) {
        const due = wallStart + (input.time - eventStart) / this.speed;
        const wait = due - Date.now();
        if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
      } else if (++sinceYield % 500 === 0) {
        await new Promise((resolve) => setImmediate(resolve));
      }
      if (!this.running) return;
      await this.submitWhenAvailable(input);
      this.lastSentAt = Date.now();
    }
  }
}
