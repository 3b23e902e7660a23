/**
 * A connection the exchange drops while no watch is pending (the listener is busy with the last
 * book) is still reported as a disconnect, once, and the stream resyncs. ccxt's own `binance`
 * client against the fake Binance server playing the bundled recording.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Exchange } from 'ccxt';
import { CcxtBookStream } from './ccxt-book-stream.js';
import { startHarness, until, type Harness } from './test-server/live-harness.js';

let harness: Harness | undefined;
let stream: CcxtBookStream | undefined;
afterEach(async () => {
  await stream?.stop();
  await harness?.stop();
  stream = undefined;
  harness = undefined;
});

describe('connection drops', () => {
  it('counts a drop that happens while the listener is busy, once, and the book comes back', async () => {
    harness = await startHarness({ maxDepthMessages: 600 });
    const exchange = harness.markets.exchanges.get('binance') as Exchange;
    let books = 0;
    let hold: Promise<void> | undefined;
    let release = () => {};
    const invalid: string[] = [];
    stream = new CcxtBookStream(
      exchange,
      'BTC/USDT',
      {
        onBook: async () => {
          books += 1;
          await hold;
        },
        onTrade: () => undefined,
        onInvalid: (cause) => {
          invalid.push(cause);
        },
      },
      { trades: false, staleAfterMs: 60_000, backoff: { baseMs: 5, maxMs: 50 } },
    );
    stream.start();
    await until(() => books >= 3 && harness!.server.depthSubscribers >= 1, 20_000, 'the first books');

    // The listener is now busy: no watch is pending when the server drops the connection.
    hold = new Promise<void>((resolve) => (release = resolve));
    const busyFrom = books;
    await until(() => books > busyFrom, 20_000, 'the listener to be busy');
    harness.server.dropConnections();
    await until(() => stream!.counters.disconnects >= 1, 20_000, 'the drop to be reported');
    expect(stream.state).toBe('resyncing');

    hold = undefined;
    release();
    const before = harness.server.connections;
    await until(() => stream!.state === 'live' && harness!.server.connections > before, 20_000, 'the stream to resync on a new connection');
    expect(stream.counters.disconnects).toBe(1);
    expect(invalid).toEqual(['disconnect']);
  }, 60_000);
});
