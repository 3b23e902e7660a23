import { describe, expect, it } from 'vitest';
import type { FeedStatus } from '../api/service-deps.js';
import { FeedTransitions } from './feed-transitions.js';

const feed = (symbol: string, status: FeedStatus['status']): FeedStatus => ({ symbol, source: 'live', status, lastEventAt: 1 });

describe('feed transitions', () => {
  it('tells a feed turning stale once, and its recovery once it is synced again', () => {
    const t = new FeedTransitions();
    const names = (statuses: FeedStatus[]) => t.observe(statuses).map((x) => `${x.name} ${x.data.symbol}`);
    expect(names([feed('BTCUSDT', 'synced'), feed('ETHUSDT', 'synced')])).toEqual([]);
    expect(names([feed('BTCUSDT', 'stale'), feed('ETHUSDT', 'synced')])).toEqual(['FEED_STALE BTCUSDT']);
    expect(names([feed('BTCUSDT', 'stale'), feed('ETHUSDT', 'synced')])).toEqual([]);
    expect(names([feed('BTCUSDT', 'resync-needed'), feed('ETHUSDT', 'synced')])).toEqual([]);
    expect(names([feed('BTCUSDT', 'synced'), feed('ETHUSDT', 'synced')])).toEqual(['FEED_RECOVERED BTCUSDT']);
    expect(names([feed('BTCUSDT', 'awaiting-snapshot')])).toEqual([]);
    expect(names([feed('BTCUSDT', 'synced')])).toEqual([]);
  });

  it('takes a feed first seen stale (not started yet) as its baseline: its start is no recovery', () => {
    const t = new FeedTransitions();
    expect(t.observe([feed('BTCUSDT', 'stale')])).toEqual([]);
    expect(t.observe([feed('BTCUSDT', 'synced')])).toEqual([]);
  });
});
