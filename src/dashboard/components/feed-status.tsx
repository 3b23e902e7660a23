/** Feed status: the server's view (replay or live, synced or stale) and the stream's silence. */
import type { FeedStatus } from '../api-client.js';

const STALE_AFTER_MS = 15_000;

export function FeedBadge(props: { feed: FeedStatus | undefined; stream: 'connecting' | 'open' | 'closed'; lastMarketAt: number | undefined; now: number }) {
  const { feed, stream } = props;
  const silent = props.lastMarketAt === undefined || props.now - props.lastMarketAt > STALE_AFTER_MS;
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
    text = `${feed.source === 'live' ? 'Live' : 'Replay'} · stale`;
  } else if (feed.status !== 'synced') {
    tone = 'warn';
    text = `${feed.source === 'live' ? 'Live' : 'Replay'} · ${feed.status.replace('-', ' ')}`;
  } else {
    text = feed.source === 'live' ? 'Live feed' : 'Replay feed';
  }
  return (
    <span class={`pill ${tone}`} data-testid="feed-status" title={feed?.reason ?? (feed ? `${feed.symbol}: ${feed.status}` : '')}>
      <span class="dot" />
      {text}
    </span>
  );
}
