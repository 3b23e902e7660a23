/**
 * Market feed transitions worth telling: a symbol whose feed turns `stale` (FEED_STALE), and one that
 * is `synced` again after a FEED_STALE (FEED_RECOVERED). Fed with the feeds' statuses by polling; the
 * first status seen of a symbol is its baseline, not a transition (a feed that has not started yet
 * reads as stale: its start is no recovery).
 */
import type { FeedStatus } from '../api/service-deps.js';

export interface FeedTransition {
  readonly name: 'FEED_STALE' | 'FEED_RECOVERED';
  readonly data: { readonly symbol: string; readonly source: FeedStatus['source']; readonly status: FeedStatus['status']; readonly reason?: string; readonly lastEventAt?: number };
}

export class FeedTransitions {
  private readonly last = new Map<string, FeedStatus['status']>();
  private readonly reportedStale = new Set<string>();

  /** The transitions since the previous call. */
  observe(statuses: readonly FeedStatus[]): FeedTransition[] {
    const out: FeedTransition[] = [];
    for (const feed of statuses) {
      const before = this.last.get(feed.symbol);
      this.last.set(feed.symbol, feed.status);
      if (before === undefined || before === feed.status) continue;
      const data = { symbol: feed.symbol, source: feed.source, status: feed.status, ...(feed.reason !== undefined ? { reason: feed.reason } : {}), ...(feed.lastEventAt !== undefined ? { lastEventAt: feed.lastEventAt } : {}) };
      if (feed.status === 'stale') {
        this.reportedStale.add(feed.symbol);
        out.push({ name: 'FEED_STALE', data });
      } else if (feed.status === 'synced' && this.reportedStale.delete(feed.symbol)) {
        out.push({ name: 'FEED_RECOVERED', data });
      }
    }
    return out;
  }
}
