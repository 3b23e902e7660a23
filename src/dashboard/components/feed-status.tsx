/** Feed status: the server's view (replay or live, synced or stale) and the stream's silence. */
import type { FeedStatus } from '../api-client.js';

const STALE_AFTER_MS = 15_000;

export function FeedBadge(props: { feed: FeedStatus | undefined; stream: 'connecting' | 'open' | 'closed'; lastMarketAt: number | undefined; now: number }) {
  const { feed, stream } = props;
  const silent = props.lastMarketAt === undefined || props.now - props.lastMarketAt > STALE_AFTER_MS;
  const source = feed?.source === 'live' ? `Live${feed.exchange !== undefined ? ` ${feed.exchange}` : ''}` : 'Replay';
  let tone = 'ok';
  let text: string;
  if (stream !== 'open') {
    tone = 'bad';
    text = stream === 'connecting' ? 'Connecting…' : 'Disconnected';
  } else if (feed === undefined) {
    tone = 'warn';
    text = 'No feed';
  } else if (feed.status === 'stale' || (feed.status === 'synced' && silent && props.lastMarketAt !== undefined)) {
    tone = 'warn';
    text = `${source} · stale`;
  } else if (feed.status !== 'synced') {
    tone = 'warn';
    text = `${source} · ${feed.status.replace('-', ' ')}`;
  } else {
    text = `${source} feed`;
  }
  const counters = Object.entries(feed?.counters ?? {})
    .filter(([name, n]) => n > 0 && name !== 'books' && name !== 'trades')
    .map(([name, n]) => `${name} ${n}`);
  const title = feed === undefined ? '' : [`${feed.symbol}: ${feed.status}`, feed.reason, counters.length > 0 ? `since start: ${counters.join(', ')}` : undefined].filter((t) => t !== undefined).join('\n');
  return (
    <span class={`pill ${tone}`} data-testid="feed-status" title={title}>
      <span class="dot" />
      {text}
    </span>
  );
}
