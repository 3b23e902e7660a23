/**
 * Shared stream frames: one producer per stream builds and serializes each frame once for every
 * connection. By hand, on a stub diff feed with a fake clock: the depth grid, the merged diff's
 * bytes, and the timer that stops with the last subscriber. Over real WebSockets against the
 * bundled recording: two connections subscribed at different times receive byte-identical frames,
 * a combined connection the same bytes wrapped, and a connection that subscribed mid-interval
 * rebuilds the kernel's whole book from the REST depth and its diffs, by Binance's procedure.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import type { Kernel } from '../../core/kernel/kernel.js';
import type { DepthDiff, DepthDiffFeed, DepthDiffListener } from '../dialect-kit/depth-diffs.js';
import { registerBinanceApi } from '../binance/binance-api.js';
import { startTestService, type TestService } from '../../test-kit/service-kit.js';
import { until } from '../../test-kit/ws-client.js';
import { buildServer } from '../server.js';
import { MarketFrameHub, type SharedFrame } from './shared-frames.js';

/** A diff feed by hand: what `publish` is given, its listeners hear. */
function stubFeed() {
  const listeners = new Set<DepthDiffListener>();
  const feed = { subscribe: (l: DepthDiffListener) => (listeners.add(l), () => listeners.delete(l)) } as unknown as DepthDiffFeed;
  const publish = (diff: DepthDiff) => {
    for (const l of listeners) l(diff);
  };
  return { listeners, feed, publish };
}

describe('a shared depth producer', () => {
  const stream = { name: 'btcusdt@depth@100ms', symbol: 'BTCUSDT', channel: 'depth' as const, intervalMs: 100 };
  const sink = () => {
    const got: SharedFrame[] = [];
    return { got, deliver: (f: SharedFrame) => got.push(f) };
  };
  afterEach(() => vi.useRealTimers());

  it('sends one frame on the grid to a subscriber of the interval and to one that joined mid-interval, the same bytes', () => {
    vi.useFakeTimers({ now: 1_000_030 });
    const { feed, publish } = stubFeed();
    const hub = new MarketFrameHub(() => ({}) as Kernel, feed);
    const [a, b] = [sink(), sink()];
    hub.attach('spot', stream, a);
    publish({ symbol: 'BTCUSDT', time: 7, firstUpdateId: 11, finalUpdateId: 12, bids: [['100', '1']], asks: [['101', '3']] });
    vi.advanceTimersByTime(60); // 1_000_090: the interval's diff still pending
    expect(a.got).toHaveLength(0);
    hub.attach('spot', stream, b);
    publish({ symbol: 'BTCUSDT', time: 8, firstUpdateId: 13, finalUpdateId: 13, bids: [['100', '0'], ['99', '2']], asks: [] });
    publish({ symbol: 'ETHUSDT', time: 8, firstUpdateId: 5, finalUpdateId: 5, bids: [['1', '1']], asks: [] });
    vi.advanceTimersByTime(9);
    expect(a.got).toHaveLength(0);
    vi.advanceTimersByTime(1); // 1_000_100: the grid's tick
    expect(a.got).toHaveLength(1);
    expect(b.got).toEqual(a.got);
    const frame = a.got[0]!;
    expect(b.got[0]).toBe(frame);
    // 100 set then removed keeps its place; U the first id of the interval, u the last.
    const data = '{"e":"depthUpdate","E":8,"s":"BTCUSDT","U":11,"u":13,"b":[["100","0"],["99","2"]],"a":[["101","3"]]}';
    expect(frame.raw.toString()).toBe(data);
    expect(frame.combined.toString()).toBe(`{"stream":"btcusdt@depth@100ms","data":${data}}`);
    expect(frame.raw).toBe(frame.raw); // serialized once
    vi.advanceTimersByTime(1_000);
    expect(a.got).toHaveLength(1); // nothing pending, nothing sent
  });

  it('stops its timer and leaves the feed when the last subscriber leaves', () => {
    vi.useFakeTimers({ now: 2_000_000 });
    const { feed, publish, listeners } = stubFeed();
    const hub = new MarketFrameHub(() => ({}) as Kernel, feed);
    const [a, b] = [sink(), sink()];
    hub.attach('spot', stream, a);
    hub.attach('spot', stream, b);
    publish({ symbol: 'BTCUSDT', time: 1, firstUpdateId: 1, finalUpdateId: 1, bids: [['100', '1']], asks: [] });
    expect(vi.getTimerCount()).toBe(1);
    hub.detach('spot', stream.name, a);
    expect(vi.getTimerCount()).toBe(1);
    hub.detach('spot', stream.name, b);
    expect([vi.getTimerCount(), hub.size, listeners.size]).toEqual([0, 0, 0]);
    vi.advanceTimersByTime(1_000);
    expect([a.got.length, b.got.length]).toEqual([0, 0]);
  });
});

const START = 1723161300000; // 2024-08-08T23:55:00Z
const STREAMS = ['btcusdt@depth@100ms', 'btcusdt@trade', 'btcusdt@bookTicker'];

interface Depth {
  lastUpdateId: number;
  bids: [string, string][];
  asks: [string, string][];
}

/** A client that keeps every frame's text as received. */
async function rawClient(url: string): Promise<{ ws: WebSocket; texts: string[] }> {
  const ws = new WebSocket(url);
  const texts: string[] = [];
  ws.on('message', (data: Buffer) => texts.push(data.toString()));
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return { ws, texts };
}

async function subscribe(client: { ws: WebSocket; texts: string[] }, id: number): Promise<void> {
  client.ws.send(JSON.stringify({ method: 'SUBSCRIBE', params: STREAMS, id }));
  await until(() => client.texts.includes(`{"result":null,"id":${id}}`), 'the answer');
  client.texts.splice(client.texts.indexOf(`{"result":null,"id":${id}}`), 1);
}

describe('shared Binance stream frames over WebSockets', () => {
  let service: TestService;
  let app: FastifyInstance;
  let base: string;
  let ws: string;
  const feed = (ms: number) => service.feedFor(ms);

  beforeAll(async () => {
    service = await startTestService({ until: START });
    app = await buildServer(service.deps, { plugins: [registerBinanceApi] });
    base = await app.listen({ port: 0, host: '127.0.0.1' });
    ws = base.replace(/^http/, 'ws');
  });
  afterAll(async () => {
    await app?.close();
    await service?.close();
  });

  it('sends the same bytes to connections subscribed at different times; one that joined mid-interval rebuilds the kernel book', async () => {
    const a = await rawClient(`${ws}/binance/ws`);
    const c = await rawClient(`${ws}/binance/stream`);
    await subscribe(a, 1);
    await subscribe(c, 2);
    await feed(2_000);
    await until(() => a.texts.some((t) => t.includes('"depthUpdate"')), "a's first diff");

    // b subscribes while the diffs of a chunk wait for the grid's next tick: its first diff then
    // starts before its subscription (U at most the book id it subscribed at). The tick may come
    // before the subscription lands; then another chunk, another connection.
    let b: { ws: WebSocket; texts: string[] } | undefined;
    let rest: Depth | undefined;
    for (let attempt = 0; attempt < 8 && rest === undefined; attempt += 1) {
      const client = await rawClient(`${ws}/binance/ws`);
      while (Date.now() % 100 > 20) await new Promise((r) => setTimeout(r, 1));
      await service.feedUntil(service.fedUntil + 300);
      await subscribe(client, 3);
      const idAtSubscribe = service.engine.kernel.bookStatus('BTCUSDT')!.updateId;
      const snapshot = (await (await fetch(`${base}/binance/api/v3/depth?symbol=BTCUSDT&limit=5000`)).json()) as Depth;
      await until(() => client.texts.some((t) => t.includes('"depthUpdate"')), "b's first diff");
      const first = JSON.parse(client.texts.find((t) => t.includes('"depthUpdate"'))!) as { U: number };
      if (first.U <= idAtSubscribe) [b, rest] = [client, snapshot];
      else client.ws.close();
    }
    expect(rest).toBeDefined();
    const kernel = service.engine.kernel;
    await feed(5_000);
    const lastId = kernel.bookStatus('BTCUSDT')!.updateId;
    const hasLast = (texts: string[]) => texts.some((t) => t.includes('"depthUpdate"') && t.includes(`"u":${lastId},`));
    await until(() => hasLast(a.texts) && hasLast(b!.texts) && hasLast(c.texts), 'the last diff on every connection');

    // b's frames are the tail of a's, byte for byte.
    expect(b!.texts.length).toBeGreaterThan(20);
    expect(b!.texts).toEqual(a.texts.slice(a.texts.length - b!.texts.length));
    // c, combined from the start, got a's frames wrapped in their stream names.
    const nameOf = (text: string) => (text.startsWith('{"e":"depthUpdate"') ? STREAMS[0] : text.startsWith('{"e":"trade"') ? STREAMS[1] : STREAMS[2]);
    expect(c.texts).toEqual(a.texts.map((t) => `{"stream":"${nameOf(t)}","data":${t}}`));

    // Binance: drop diffs with u <= lastUpdateId; the first kept has lastUpdateId in [U, u]; then each U is the last u + 1.
    const book = { bids: new Map(rest!.bids.map(([p, q]) => [Number(p), Number(q)])), asks: new Map(rest!.asks.map(([p, q]) => [Number(p), Number(q)])) };
    const diffs = b!.texts.filter((t) => t.includes('"depthUpdate"')).map((t) => JSON.parse(t) as { U: number; u: number; b: [string, string][]; a: [string, string][] });
    const kept = diffs.filter((d) => d.u > rest!.lastUpdateId);
    expect(kept[0]!.U).toBeLessThanOrEqual(rest!.lastUpdateId + 1);
    let previous = kept[0]!.U - 1;
    for (const d of kept) {
      expect(d.U).toBe(previous + 1);
      previous = d.u;
      for (const [side, levels] of [[book.bids, d.b], [book.asks, d.a]] as const) {
        for (const [p, q] of levels) {
          if (Number(q) === 0) side.delete(Number(p));
          else side.set(Number(p), Number(q));
        }
      }
    }
    expect(previous).toBe(lastId);
    // The kernel's whole book at that id (the REST depth held the whole book: under its 5,000 levels).
    const native = kernel.depth('BTCUSDT', Number.MAX_SAFE_INTEGER)!;
    expect(native.bids.length).toBeLessThan(5_000);
    expect(native.asks.length).toBeLessThan(5_000);
    const sorted = (side: Map<number, number>, descending: boolean) => [...side].sort(([x], [y]) => (descending ? y - x : x - y));
    expect(sorted(book.bids, true)).toEqual(native.bids.map(([p, q]) => [Number(p), Number(q)]));
    expect(sorted(book.asks, false)).toEqual(native.asks.map(([p, q]) => [Number(p), Number(q)]));
    for (const client of [a, b!, c]) client.ws.close();
  });
});
